//! Instants shown in the viewer's time zone and in UTC (schedules' next runs).
//!
//! The server knows no viewer's zone, so it renders UTC (`Tue 1 Dec 01:00
//! UTC`); hydration renders the same, and only then does the browser switch to
//! its own zone (`Tue 1 Dec 02:00 (01:00 UTC)`), read through `Intl` and
//! `Date`. [`viewer_zone`] is the signal that flips: `None` while rendering on
//! the server and hydrating, the IANA name once the page runs.

use leptos::prelude::*;
use time::{format_description::well_known::Rfc3339, Date, Month, OffsetDateTime};

/// A calendar day and a time of day, in some zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// The day.
    pub date: Date,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–59.
    pub second: u8,
}

impl Moment {
    /// `Tue 1 Dec`.
    pub fn day_label(&self) -> String {
        day_label(self.date)
    }

    /// `02:00`, or `02:00:30` when the seconds are not zero (a 6-field cron).
    pub fn time_label(&self) -> String {
        if self.second == 0 {
            format!("{:02}:{:02}", self.hour, self.minute)
        } else {
            format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
        }
    }

    /// `Tue 1 Dec 02:00`.
    pub fn label(&self) -> String {
        format!("{} {}", self.day_label(), self.time_label())
    }
}

/// `Tue 1 Dec`.
pub fn day_label(date: Date) -> String {
    let weekday = date.weekday().to_string();
    let month = date.month().to_string();
    format!(
        "{} {} {}",
        weekday.get(..3).unwrap_or(&weekday),
        date.day(),
        month.get(..3).unwrap_or(&month)
    )
}

/// An RFC 3339 instant in UTC; `None` when it does not read.
pub fn utc_moment(rfc3339: &str) -> Option<Moment> {
    let at = OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()?
        .to_offset(time::UtcOffset::UTC);
    Some(Moment {
        date: at.date(),
        hour: at.hour(),
        minute: at.minute(),
        second: at.second(),
    })
}

/// An RFC 3339 instant in the browser's zone; `None` on the server or when it
/// does not read.
pub fn local_moment(rfc3339: &str) -> Option<Moment> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        use leptos::web_sys::js_sys;
        let at = js_sys::Date::new(&JsValue::from_str(rfc3339));
        if at.get_time().is_nan() {
            return None;
        }
        let month = Month::try_from(u8::try_from(at.get_month() + 1).ok()?).ok()?;
        let date = Date::from_calendar_date(
            i32::try_from(at.get_full_year()).ok()?,
            month,
            u8::try_from(at.get_date()).ok()?,
        )
        .ok()?;
        Some(Moment {
            date,
            hour: u8::try_from(at.get_hours()).ok()?,
            minute: u8::try_from(at.get_minutes()).ok()?,
            second: u8::try_from(at.get_seconds()).ok()?,
        })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (rfc3339, Month::January);
        None
    }
}

/// The browser's IANA time zone (`Europe/Berlin`); `None` on the server.
pub fn browser_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        use leptos::web_sys::js_sys;
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        js_sys::Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone"))
            .ok()
            .and_then(|zone| zone.as_string())
            .filter(|zone| !zone.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// The viewer's zone: `None` while server rendering and hydrating (so both
/// render UTC alike), the browser's zone once the page runs.
pub fn viewer_zone() -> ReadSignal<Option<String>> {
    let (zone, set_zone) = signal(None::<String>);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| set_zone.set(Some(browser_zone().unwrap_or_else(|| "UTC".to_owned()))));
    zone
}

/// `rfc3339` for people: `Tue 1 Dec 01:00 UTC` without a zone (or when the
/// viewer's zone agrees with UTC), else the viewer's time then UTC's:
/// `Tue 1 Dec 02:00 (01:00 UTC)`, with UTC's day when it differs
/// (`Tue 1 Dec 00:30 (Mon 30 Nov 23:30 UTC)`). Unreadable text as it is.
pub fn zoned_label(rfc3339: &str, zone: Option<&str>) -> String {
    let Some(utc) = utc_moment(rfc3339) else {
        return rfc3339.to_owned();
    };
    let local = zone.and_then(|_| local_moment(rfc3339));
    match local {
        Some(local) if local != utc => {
            let utc_part = if local.date == utc.date {
                utc.time_label()
            } else {
                utc.label()
            };
            format!("{} ({utc_part} UTC)", local.label())
        }
        _ => format!("{} UTC", utc.label()),
    }
}

/// The day an instant falls on: the viewer's when `local`, else UTC's.
pub fn day_of(rfc3339: &str, local: bool) -> Option<Date> {
    if local {
        local_moment(rfc3339).map(|m| m.date)
    } else {
        utc_moment(rfc3339).map(|m| m.date)
    }
}

/// The time of day of an instant (`02:00`): the viewer's when `local`, else UTC's.
pub fn time_of_day(rfc3339: &str, local: bool) -> Option<String> {
    let moment = if local {
        local_moment(rfc3339)
    } else {
        utc_moment(rfc3339)
    };
    moment.map(|m| m.time_label())
}

/// Today: the viewer's when `local`, else UTC's.
pub fn today(local: bool) -> Date {
    let now = now_utc();
    let rfc = now.format(&Rfc3339).unwrap_or_default();
    if local {
        if let Some(date) = day_of(&rfc, true) {
            return date;
        }
    }
    now.date()
}

/// The current instant, from the browser's clock in the browser.
fn now_utc() -> OffsetDateTime {
    #[cfg(feature = "hydrate")]
    {
        let millis = leptos::web_sys::js_sys::Date::now() as i128;
        OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
    #[cfg(not(feature = "hydrate"))]
    OffsetDateTime::now_utc()
}

/// A `datetime-local` input's value (`2026-12-01T02:00`, the viewer's wall
/// clock) as an RFC 3339 instant in UTC; `None` on the server or when it does
/// not read.
pub fn local_input_to_utc(value: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        use leptos::web_sys::js_sys;
        // A date-time without an offset is local time to `Date` (ECMA-262).
        let at = js_sys::Date::new(&JsValue::from_str(value.trim()));
        (!value.trim().is_empty() && !at.get_time().is_nan())
            .then(|| String::from(at.to_iso_string()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = value;
        None
    }
}

/// The viewer's wall clock `seconds` from now on the minute, as a
/// `datetime-local` value (`2026-12-01T02:00`); `None` on the server.
pub fn local_input_from_now(seconds: u32) -> Option<String> {
    let later = now_utc() + time::Duration::seconds(i64::from(seconds));
    let rfc = later.format(&Rfc3339).ok()?;
    let local = local_moment(&rfc)?;
    Some(format!(
        "{}T{:02}:{:02}",
        local.date, local.hour, local.minute
    ))
}

/// An instant as `<time>`: UTC until the page runs, then the viewer's time
/// and UTC's (see [`zoned_label`]); the zone is in its title.
#[component]
pub fn ZonedTime(
    /// RFC 3339.
    #[prop(into)]
    at: String,
    /// From [`viewer_zone`].
    zone: ReadSignal<Option<String>>,
) -> impl IntoView {
    let label = {
        let at = at.clone();
        move || zoned_label(&at, zone.get().as_deref())
    };
    let title = move || {
        zone.get()
            .map(|zone| format!("your time ({zone}), then UTC"))
            .unwrap_or_else(|| "UTC".to_owned())
    };
    view! { <time class="zoned-time" datetime=at title=title>{label}</time> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_reads_in_utc_without_a_zone() {
        assert_eq!(
            zoned_label("2026-12-01T01:00:00Z", None),
            "Tue 1 Dec 01:00 UTC"
        );
        assert_eq!(
            zoned_label("2026-12-01T01:00:30.250Z", None),
            "Tue 1 Dec 01:00:30 UTC"
        );
        // The server's zone is unknown here: UTC even when a zone is named.
        assert_eq!(
            zoned_label("2026-12-01T02:00:00+01:00", Some("Europe/Berlin")),
            "Tue 1 Dec 01:00 UTC"
        );
        assert_eq!(zoned_label("soon", None), "soon");
    }

    #[test]
    fn days_are_named_and_counted_from_today() {
        let date = utc_moment("2026-11-30T23:30:00Z").map(|m| m.date);
        assert_eq!(date.map(day_label).as_deref(), Some("Mon 30 Nov"));
        assert_eq!(
            day_of("2026-12-01T00:00:00Z", false).map(day_label),
            Some("Tue 1 Dec".to_owned())
        );
        assert_eq!(today(false), OffsetDateTime::now_utc().date());
    }
}
