//! When a schedule is due: its timing (`once`, `delayed`, `periodic`, `cron`)
//! and its blackout windows compiled from the wire form, checked with a
//! message naming the field, and described in plain words. Cron calendars and
//! time zones are `croner` over `jiff` (the IANA database is bundled), so the
//! daylight-saving rules are theirs: a time in a spring-forward gap runs at
//! the first instant after the gap, a time in a fall-back overlap runs once.

use app::api::schedule::{
    Blackout, ScheduleRequest, ScheduleTiming, MAX_BLACKOUTS, MAX_SCHEDULE_SECONDS,
};
use croner::{
    parser::{CronParser, Seconds},
    Cron,
};
use jiff::{tz::TimeZone, SignedDuration, Timestamp, Zoned};

/// The furthest in the future a `once.at` or an `expires_at` may be: ten years.
const MAX_AHEAD_SECONDS: i64 = 10 * 366 * 24 * 3600;

/// A field that does not hold: `field` as the request spells it, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// `schedule.expression`, `policies.blackout[0].from`, …
    pub field: String,
    /// What is wrong, in words.
    pub message: String,
}

fn field_error(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// A cron calendar in a time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    cron: Cron,
    /// Whether the expression has a seconds field (6 fields).
    seconds: bool,
    zone: TimeZone,
    zone_name: String,
    expression: String,
}

impl Calendar {
    /// Parses `expression` (5 fields, or 6 with seconds first) in `zone_name`;
    /// errors name `field`.expression or `field`.time_zone.
    pub fn parse(expression: &str, zone_name: &str, field: &str) -> Result<Self, FieldError> {
        let expression = expression.trim();
        let fields = expression.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(field_error(
                format!("{field}.expression"),
                format!("{expression:?} has {fields} fields; a cron expression has 5 (minute hour day month weekday) or 6 (second first)"),
            ));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expression)
            .map_err(|error| {
                field_error(
                    format!("{field}.expression"),
                    format!("{expression:?} is not a cron expression: {error}"),
                )
            })?;
        let zone = TimeZone::get(zone_name).map_err(|_| {
            field_error(
                format!("{field}.time_zone"),
                format!("{zone_name:?} is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)"),
            )
        })?;
        Ok(Self {
            cron,
            seconds: fields == 6,
            zone,
            zone_name: zone_name.to_owned(),
            expression: expression.to_owned(),
        })
    }

    /// The first time strictly after `after` (none within croner's search range).
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        self.cron
            .find_next_occurrence(&after.to_zoned(self.zone.clone()), false)
            .ok()
            .map(|zoned| zoned.timestamp())
    }

    /// The last time at or before `at`.
    pub fn last_at_or_before(&self, at: Timestamp) -> Option<Timestamp> {
        self.cron
            .find_previous_occurrence(&at.to_zoned(self.zone.clone()), true)
            .ok()
            .map(|zoned| zoned.timestamp())
    }

    /// Whether `at` falls in the calendar: in its second with 6 fields, in its
    /// minute with 5 (`* 9-17 * * *` closes all of 09:00 to 17:59).
    pub fn covers(&self, at: Timestamp) -> bool {
        let zoned = at.to_zoned(self.zone.clone());
        let probe = if self.seconds {
            zoned.with().subsec_nanosecond(0).build()
        } else {
            zoned.with().second(0).subsec_nanosecond(0).build()
        };
        probe.is_ok_and(|probe| self.cron.is_time_matching(&probe).unwrap_or(false))
    }

    /// `every weekday at 02:00 Europe/Berlin`, or croner's words for the rest.
    pub fn describe(&self) -> String {
        let words = describe_cron(&self.expression).unwrap_or_else(|| {
            let described = self.cron.describe();
            format!(
                "cron {} ({})",
                self.expression,
                described.trim_end_matches('.')
            )
        });
        format!("{words} {}", self.zone_name)
    }

    /// The zone.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

/// Plain words for the common shapes of a cron expression: every N seconds
/// or minutes, and a fixed time of day on every day, weekdays, weekends or one
/// day of the week. `None` for anything else.
fn describe_cron(expression: &str) -> Option<String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let (second, rest) = match fields.len() {
        6 => (fields[0], &fields[1..]),
        5 => ("0", &fields[..]),
        _ => return None,
    };
    let [minute, hour, day, month, weekday] = [rest[0], rest[1], rest[2], rest[3], rest[4]];
    let every = |field: &str| -> Option<u32> {
        match field {
            "*" => Some(1),
            _ => field.strip_prefix("*/")?.parse().ok(),
        }
    };
    let calendar_free = day == "*" && month == "*" && (weekday == "*" || weekday == "?");
    if calendar_free && minute == "*" && hour == "*" && fields.len() == 6 {
        return every(second).map(|n| plural(n, "second"));
    }
    if calendar_free && hour == "*" && second == "0" {
        return every(minute).map(|n| plural(n, "minute"));
    }
    let (Ok(hour), Ok(minute), Ok(second)) = (
        hour.parse::<u8>(),
        minute.parse::<u8>(),
        second.parse::<u8>(),
    ) else {
        return None;
    };
    if day != "*" && day != "?" || month != "*" {
        return None;
    }
    let days = match weekday.to_ascii_uppercase().as_str() {
        "*" | "?" => "every day".to_owned(),
        "1-5" | "MON-FRI" => "every weekday".to_owned(),
        "0,6" | "6,0" | "SAT,SUN" | "SUN,SAT" | "6-7" | "SAT-SUN" => "every weekend day".to_owned(),
        one => format!("every {}", day_name(one)?),
    };
    let time = if second == 0 {
        format!("{hour:02}:{minute:02}")
    } else {
        format!("{hour:02}:{minute:02}:{second:02}")
    };
    Some(format!("{days} at {time}"))
}

fn day_name(field: &str) -> Option<&'static str> {
    Some(match field {
        "0" | "7" | "SUN" => "Sunday",
        "1" | "MON" => "Monday",
        "2" | "TUE" => "Tuesday",
        "3" | "WED" => "Wednesday",
        "4" | "THU" => "Thursday",
        "5" | "FRI" => "Friday",
        "6" | "SAT" => "Saturday",
        _ => return None,
    })
}

fn plural(n: u32, unit: &str) -> String {
    if n == 1 {
        format!("every {unit}")
    } else {
        format!("every {n} {unit}s")
    }
}

/// `every 2 s`, `every 90 min`, … for an interval of `seconds`.
fn describe_interval(seconds: u64) -> String {
    let (n, unit) = match seconds {
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3600 == 0 => (s / 3600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    plural(n as u32, unit)
}

/// A compiled timing.
#[derive(Debug, Clone)]
pub enum Timing {
    /// Once, at this instant (`once`, and `delayed` from its creation).
    At(Timestamp),
    /// Every `interval` from `anchor` (the creation), the first one interval after it.
    Every {
        /// The creation.
        anchor: Timestamp,
        /// The period.
        interval: SignedDuration,
    },
    /// On a calendar.
    /// (Boxed: a parsed cron is large beside an instant.)
    Cron(Box<Calendar>),
}

impl Timing {
    /// The first due time strictly after `after`.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        match self {
            Self::At(at) => (*at > after).then_some(*at),
            Self::Every { anchor, interval } => {
                let period = interval.as_millis().max(1);
                let since = after.duration_since(*anchor).as_millis();
                // The k-th firing is at anchor + k·period, k ≥ 1.
                let k = if since < 0 { 1 } else { since / period + 1 };
                let offset = i64::try_from(k.checked_mul(period)?).ok()?;
                anchor.checked_add(SignedDuration::from_millis(offset)).ok()
            }
            Self::Cron(calendar) => calendar.next_after(after),
        }
    }

    /// The last due time at or before `at` that is at or after `from`.
    pub fn last_between(&self, from: Timestamp, at: Timestamp) -> Option<Timestamp> {
        let last = match self {
            Self::At(due) => (*due <= at).then_some(*due),
            Self::Every { anchor, interval } => {
                let period = interval.as_millis().max(1);
                let since = at.duration_since(*anchor).as_millis();
                let k = since / period;
                (k >= 1)
                    .then(|| i64::try_from(k * period).ok())
                    .flatten()
                    .and_then(|offset| anchor.checked_add(SignedDuration::from_millis(offset)).ok())
            }
            Self::Cron(calendar) => calendar.last_at_or_before(at),
        };
        last.filter(|last| *last >= from)
    }

    /// How many due times lie in `from..=to`, counting at most `cap`.
    pub fn count_between(&self, from: Timestamp, to: Timestamp, cap: u64) -> u64 {
        if from > to {
            return 0;
        }
        match self {
            Self::At(at) => u64::from(from <= *at && *at <= to),
            Self::Every { interval, .. } => {
                let period = interval.as_millis().max(1);
                // `from` is a due time itself when called on the schedule's own grid.
                let span = to.duration_since(from).as_millis();
                u64::try_from(span / period + 1).unwrap_or(cap).min(cap)
            }
            Self::Cron(calendar) => {
                let mut count = 0;
                let mut at = calendar.last_at_or_before(from).filter(|t| *t == from);
                if at.is_none() {
                    at = calendar.next_after(from);
                }
                while let Some(due) = at.filter(|due| *due <= to) {
                    count += 1;
                    if count >= cap {
                        break;
                    }
                    at = calendar.next_after(due);
                }
                count
            }
        }
    }
}

/// A window in which nothing fires.
#[derive(Debug, Clone)]
pub enum Window {
    /// The calendar's seconds or minutes.
    /// (Boxed: a parsed cron is large beside two instants.)
    Calendar(Box<Calendar>),
    /// `from` (inclusive) to `until` (exclusive).
    Dates {
        /// Start.
        from: Timestamp,
        /// End.
        until: Timestamp,
    },
}

impl Window {
    /// Whether `at` is closed.
    pub fn covers(&self, at: Timestamp) -> bool {
        match self {
            Self::Calendar(calendar) => calendar.covers(at),
            Self::Dates { from, until } => *from <= at && at < *until,
        }
    }

    /// The window in words.
    pub fn describe(&self) -> String {
        match self {
            Self::Calendar(calendar) => calendar.describe(),
            Self::Dates { from, until } => format!("{from} to {until}"),
        }
    }
}

/// Everything that decides when a schedule is due, compiled once.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// When.
    pub timing: Timing,
    /// Closed windows.
    pub blackouts: Vec<Window>,
    /// The cap on executions (the smaller of `periodic.max_executions` and
    /// `policies.max_executions`; 0 and absent mean none).
    pub max_executions: Option<u32>,
    /// Nothing fires after this.
    pub expires_at: Option<Timestamp>,
}

fn parse_instant(text: &str, field: &str) -> Result<Timestamp, FieldError> {
    text.trim().parse::<Timestamp>().map_err(|_| {
        field_error(
            field,
            format!(
                "{text:?} is not an RFC 3339 instant with an offset (e.g. 2026-12-24T02:00:00Z)"
            ),
        )
    })
}

fn check_seconds(seconds: u64, field: &str) -> Result<SignedDuration, FieldError> {
    if seconds == 0 || seconds > MAX_SCHEDULE_SECONDS {
        return Err(field_error(
            field,
            format!("must be between 1 and {MAX_SCHEDULE_SECONDS} seconds (a year), not {seconds}"),
        ));
    }
    Ok(SignedDuration::from_secs(seconds as i64))
}

impl Compiled {
    /// Compiles `timing` and `policies` of a schedule created at `created`.
    /// With `fresh`, a `once.at` must lie after `created` (a new schedule);
    /// a stored one is compiled as it was accepted.
    pub fn new(
        request: &ScheduleRequest,
        created: Timestamp,
        fresh: bool,
    ) -> Result<Self, FieldError> {
        Self::from_parts(&request.schedule, &request.policies, created, fresh)
    }

    /// [`Compiled::new`] from the timing and policies alone (previews).
    pub fn from_parts(
        timing: &ScheduleTiming,
        policies: &app::api::schedule::SchedulePolicies,
        created: Timestamp,
        fresh: bool,
    ) -> Result<Self, FieldError> {
        let ahead_limit = created
            .checked_add(SignedDuration::from_secs(MAX_AHEAD_SECONDS))
            .unwrap_or(Timestamp::MAX);
        let mut cap = None;
        let timing = match timing {
            ScheduleTiming::Once { at } => {
                let at = parse_instant(at, "schedule.at")?;
                if fresh && at <= created {
                    return Err(field_error(
                        "schedule.at",
                        format!(
                            "{at} is in the past (now is {})",
                            created.round(jiff::Unit::Second).unwrap_or(created)
                        ),
                    ));
                }
                if at > ahead_limit {
                    return Err(field_error("schedule.at", "is more than ten years ahead"));
                }
                Timing::At(at)
            }
            ScheduleTiming::Delayed { delay_seconds } => {
                let delay = check_seconds(*delay_seconds, "schedule.delay_seconds")?;
                Timing::At(
                    created
                        .checked_add(delay)
                        .map_err(|_| field_error("schedule.delay_seconds", "is too far ahead"))?,
                )
            }
            ScheduleTiming::Periodic {
                interval_seconds,
                max_executions,
            } => {
                cap = max_executions.filter(|n| *n > 0);
                Timing::Every {
                    anchor: created,
                    interval: check_seconds(*interval_seconds, "schedule.interval_seconds")?,
                }
            }
            ScheduleTiming::Cron {
                expression,
                time_zone,
            } => Timing::Cron(Box::new(Calendar::parse(
                expression, time_zone, "schedule",
            )?)),
        };
        if policies.blackout.len() > MAX_BLACKOUTS {
            return Err(field_error(
                "policies.blackout",
                format!(
                    "has {} windows; at most {MAX_BLACKOUTS}",
                    policies.blackout.len()
                ),
            ));
        }
        let blackouts = policies
            .blackout
            .iter()
            .enumerate()
            .map(|(i, window)| compile_window(window, &format!("policies.blackout[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let expires_at = policies
            .expires_at
            .as_deref()
            .map(|text| parse_instant(text, "policies.expires_at"))
            .transpose()?;
        if let Some(expires) = expires_at {
            if fresh && expires <= created {
                return Err(field_error(
                    "policies.expires_at",
                    format!("{expires} is in the past"),
                ));
            }
        }
        let max_executions = match (cap, policies.max_executions.filter(|n| *n > 0)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(deadline) = policies.starting_deadline_seconds {
            check_seconds(deadline, "policies.starting_deadline_seconds")?;
        }
        Ok(Self {
            timing,
            blackouts,
            max_executions,
            expires_at,
        })
    }

    /// The blackout window that closes `at`, if any.
    pub fn blackout_at(&self, at: Timestamp) -> Option<&Window> {
        self.blackouts.iter().find(|window| window.covers(at))
    }

    /// Whether `at` is past the end.
    pub fn expired_at(&self, at: Timestamp) -> bool {
        self.expires_at.is_some_and(|end| at > end)
    }

    /// Whether `count` executions reach the cap.
    pub fn capped(&self, count: u32) -> bool {
        self.max_executions.is_some_and(|max| count >= max)
    }

    /// Due times after `after` up to `until` that would run (not in a
    /// blackout, before the end, under the cap given `count` so far), at most `limit`.
    pub fn upcoming(
        &self,
        after: Timestamp,
        until: Timestamp,
        count: u32,
        limit: usize,
    ) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let mut count = count;
        let mut at = after;
        // Blackouts can close many due times in a row: bound the walk too.
        for _ in 0..limit.saturating_mul(64).max(1024) {
            if out.len() >= limit || self.capped(count) {
                break;
            }
            let Some(due) = self.timing.next_after(at).filter(|due| *due <= until) else {
                break;
            };
            if self.expired_at(due) {
                break;
            }
            if self.blackout_at(due).is_none() {
                out.push(due);
                count += 1;
            }
            at = due;
        }
        out
    }

    /// The timing (and blackouts) in plain words.
    pub fn describe(&self, timing: &ScheduleTiming) -> String {
        let mut words = match (&self.timing, timing) {
            (Timing::At(at), ScheduleTiming::Delayed { delay_seconds }) => {
                format!(
                    "once, {delay_seconds} s after creation ({})",
                    utc_words(*at)
                )
            }
            (Timing::At(at), _) => format!("once at {}", utc_words(*at)),
            (Timing::Every { interval, .. }, _) => {
                describe_interval(interval.as_secs().unsigned_abs())
            }
            (Timing::Cron(calendar), _) => calendar.describe(),
        };
        if let Some(max) = self.max_executions {
            words.push_str(&format!(", at most {max} times"));
        }
        if let Some(end) = self.expires_at {
            words.push_str(&format!(", until {}", utc_words(end)));
        }
        for window in &self.blackouts {
            words.push_str(&format!("; never during {}", window.describe()));
        }
        words
    }
}

fn compile_window(window: &Blackout, field: &str) -> Result<Window, FieldError> {
    match window {
        Blackout {
            expression: Some(expression),
            time_zone,
            from: None,
            until: None,
        } => Ok(Window::Calendar(Box::new(Calendar::parse(
            expression,
            time_zone.as_deref().unwrap_or("UTC"),
            field,
        )?))),
        Blackout {
            expression: None,
            time_zone: None,
            from: Some(from),
            until: Some(until),
        } => {
            let from = parse_instant(from, &format!("{field}.from"))?;
            let until = parse_instant(until, &format!("{field}.until"))?;
            if until <= from {
                return Err(field_error(
                    format!("{field}.until"),
                    "must be after `from`",
                ));
            }
            Ok(Window::Dates { from, until })
        }
        _ => Err(field_error(
            field,
            "give either `expression` (with an optional `time_zone`) or both `from` and `until`",
        )),
    }
}

/// `Tue 1 Dec 2026 02:00 UTC`.
pub fn utc_words(at: Timestamp) -> String {
    zoned_words(&at.to_zoned(TimeZone::UTC))
}

/// `Tue 1 Dec 2026 02:00 CET`.
pub fn zoned_words(zoned: &Zoned) -> String {
    let format = if zoned.second() == 0 {
        "%a %-d %b %Y %H:%M %Z"
    } else {
        "%a %-d %b %Y %H:%M:%S %Z"
    };
    zoned.strftime(format).to_string()
}

/// The instant as the API writes it: RFC 3339 in UTC, milliseconds when not whole.
pub fn rfc3339(at: Timestamp) -> String {
    at.to_string()
}

/// The instant of a stored millisecond count.
pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests;
