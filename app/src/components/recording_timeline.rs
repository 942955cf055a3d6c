//! A recording's events on ONE time axis (the recording's own time, ticks from
//! [`crate::chart::ticks`]): one lane per service, its upper row what a replay
//! sends (▲ injections, ■ clears, the chaos between them shaded) and its lower
//! row what was only observed (◆ a proxy's effects, ● healthy again, ✕
//! unhealthy). Every event's [`RecordedEventType::describe`] is its marker's
//! `<title>`, so hovering says what it was; [`RecordingEvents`] lists the same
//! events as text. A standalone `<svg>` string, like
//! [`crate::components::compare_timeline`]; colours come from CSS classes
//! (`rec-*` in style/main.css), and each kind has a shape of its own, so the
//! drawing reads in greyscale and in the dark scheme.

use std::fmt::Write;

use leptos::prelude::*;
use time::OffsetDateTime;

use crate::api::describe::format_ms;
use crate::api::recording::{RecordedEvent, RecordedEventType};
use crate::chart::{esc, ticks, truncate};

/// The most events drawn; a longer recording is drawn up to its
/// `MAX_MARKS`-th event (the caption says so) and listed in pages.
pub const MAX_MARKS: usize = 2_000;

const WIDTH: f64 = 1000.0;
/// Room for the lanes' service names.
const LABEL_W: f64 = 150.0;
const RIGHT: f64 = 16.0;
const AXIS_Y: f64 = 14.0;
const FIRST_LANE_Y: f64 = 22.0;
/// One service's lane: the replayed row, the observed row, a gap.
const LANE_H: f64 = 34.0;
const SENT_DY: f64 = 10.0;
const SEEN_DY: f64 = 24.0;
/// Characters of a service name that fit in the label column (11-unit font).
const LABEL_CHARS: usize = 22;

/// Milliseconds from `started` to `at` (0 for an event before it).
pub fn offset_ms(started: OffsetDateTime, at: OffsetDateTime) -> u64 {
    u64::try_from((at - started).whole_milliseconds()).unwrap_or(0)
}

/// What kind of event it is, in the words the list and the CSS classes use:
/// `injected`, `cleared`, `effect`, `healthy`, `unhealthy`.
pub fn event_kind(event: &RecordedEventType) -> &'static str {
    match event {
        RecordedEventType::ChaosInjected { .. } => "injected",
        RecordedEventType::ChaosCleared { .. } => "cleared",
        RecordedEventType::ChaosEffect { .. } => "effect",
        RecordedEventType::ServiceHealthChanged { healthy: true, .. } => "healthy",
        RecordedEventType::ServiceHealthChanged { .. } => "unhealthy",
    }
}

/// The mark a kind is drawn and listed with.
pub fn event_symbol(kind: &str) -> &'static str {
    match kind {
        "injected" => "▲",
        "cleared" => "■",
        "effect" => "◆",
        "healthy" => "●",
        _ => "✕",
    }
}

/// The drawing's time axis: the recording's start and length.
struct Axis {
    started: OffsetDateTime,
    total: u64,
}

impl Axis {
    /// The x of the recording's `ms`.
    fn x(&self, ms: u64) -> f64 {
        let plot_w = WIDTH - LABEL_W - RIGHT;
        LABEL_W + (ms.min(self.total) as f64 / self.total as f64) * plot_w
    }

    /// The offset of `at`.
    fn at(&self, at: OffsetDateTime) -> u64 {
        offset_ms(self.started, at)
    }
}

/// The recording's events (at most [`MAX_MARKS`]) on one axis of
/// `total_ms` (at least as long as the last event), as an `<svg>` element.
pub fn recording_timeline_svg(
    events: &[RecordedEvent],
    started: OffsetDateTime,
    total_ms: u64,
) -> String {
    let events = &events[..events.len().min(MAX_MARKS)];
    let total = events
        .iter()
        .map(|e| offset_ms(started, e.timestamp))
        .fold(total_ms, u64::max)
        .max(1);
    let axis = Axis { started, total };
    let mut lanes: Vec<&str> = Vec::new();
    for event in events {
        let service = event.event_type.service();
        if !lanes.contains(&service) {
            lanes.push(service);
        }
    }
    let height = FIRST_LANE_Y + lanes.len().max(1) as f64 * LANE_H + 4.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"rec-timeline\" id=\"recording-timeline\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"recording-timeline-title\" font-size=\"11\"><title id=\"recording-timeline-title\">{} event{} over {} on {} service{}: injections and clears (the chaos between them shaded) above, effects and health changes below</title>",
        events.len(),
        if events.len() == 1 { "" } else { "s" },
        esc(&format_ms(total)),
        lanes.len(),
        if lanes.len() == 1 { "" } else { "s" },
    );
    for t in ticks(total, 8) {
        let tx = axis.x(t);
        let (lx, anchor) = if tx > WIDTH - RIGHT - 40.0 {
            (tx - 2.0, "end")
        } else {
            (tx + 2.0, "start")
        };
        let _ = write!(
            out,
            "<g class=\"rec-tick\"><line x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"{}\" y2=\"{:.1}\"></line><text x=\"{lx:.1}\" y=\"{AXIS_Y}\" text-anchor=\"{anchor}\">{}</text></g>",
            AXIS_Y + 4.0,
            height - 2.0,
            esc(&format_ms(t))
        );
    }
    for (index, service) in lanes.iter().enumerate() {
        let top = FIRST_LANE_Y + index as f64 * LANE_H;
        let mine: Vec<&RecordedEvent> = events
            .iter()
            .filter(|e| e.event_type.service() == *service)
            .collect();
        draw_lane(&mut out, service, top, &mine, &axis);
    }
    out.push_str("</svg>");
    out
}

/// One service's lane at `top`: its name, its chaos windows, its markers.
fn draw_lane(out: &mut String, service: &str, top: f64, events: &[&RecordedEvent], axis: &Axis) {
    let _ = write!(
        out,
        "<g class=\"rec-lane\" data-service=\"{}\"><title>{}</title><line class=\"rec-lane-line\" x1=\"{LABEL_W}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"></line><text class=\"rec-lane-name\" x=\"4\" y=\"{:.1}\">{}</text>",
        esc(service),
        esc(service),
        WIDTH - RIGHT,
        top + LANE_H - 4.0,
        top + LANE_H - 4.0,
        top + SENT_DY + 4.0,
        esc(&truncate(service, LABEL_CHARS))
    );
    // The chaos in place: from an injection to the next clear (or the end).
    let mut since: Option<u64> = None;
    let mut windows: Vec<(u64, u64)> = Vec::new();
    for event in events {
        let at = axis.at(event.timestamp);
        match event.event_type {
            RecordedEventType::ChaosInjected { .. } => {
                since.get_or_insert(at);
            }
            RecordedEventType::ChaosCleared { .. } => {
                if let Some(from) = since.take() {
                    windows.push((from, at));
                }
            }
            _ => {}
        }
    }
    if let Some(from) = since {
        windows.push((from, axis.total));
    }
    for (from, to) in windows {
        let x0 = axis.x(from);
        let w = (axis.x(to) - x0).max(1.0);
        let _ = write!(
            out,
            "<rect class=\"rec-window\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"16\"><title>{}: chaos in place from {} to {}</title></rect>",
            top + SENT_DY - 8.0,
            esc(service),
            esc(&format_ms(from)),
            esc(&format_ms(to))
        );
    }
    for event in events {
        let at = axis.at(event.timestamp);
        let mx = axis.x(at);
        let kind = event_kind(&event.event_type);
        let y = top
            + if event.event_type.is_replayed() {
                SENT_DY
            } else {
                SEEN_DY
            };
        let shape = match kind {
            "injected" => format!("<path d=\"M{mx:.1} {:.1} l6 10 h-12 z\"></path>", y - 6.0),
            "cleared" => format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"9\" height=\"9\"></rect>",
                mx - 4.5,
                y - 4.5
            ),
            "effect" => format!(
                "<path d=\"M{mx:.1} {:.1} l5 5 l-5 5 l-5 -5 z\"></path>",
                y - 5.0
            ),
            "healthy" => format!("<circle cx=\"{mx:.1}\" cy=\"{y:.1}\" r=\"4.5\"></circle>"),
            _ => format!(
                "<path d=\"M{:.1} {:.1} l8 8 m0 -8 l-8 8\"></path>",
                mx - 4.0,
                y - 4.0
            ),
        };
        let _ = write!(
            out,
            "<g class=\"rec-mark rec-{kind}\" data-type=\"{}\"><title>+{} · {}</title>{shape}</g>",
            event.event_type.type_name(),
            esc(&format_ms(at)),
            esc(&event.event_type.describe())
        );
    }
    out.push_str("</g>");
}

/// How many events the list shows at first, and adds per "Show more".
const PAGE: usize = 200;

/// The events as text, oldest first: offset, kind (its mark and word), what
/// happened, where it came from; [`PAGE`] at a time.
#[component]
pub fn RecordingEvents(events: Vec<RecordedEvent>, started: OffsetDateTime) -> impl IntoView {
    let total = events.len();
    let shown = RwSignal::new(PAGE.min(total));
    let rows: Vec<(String, &'static str, String, String, &'static str)> = events
        .iter()
        .map(|event| {
            let kind = event_kind(&event.event_type);
            let source = match (
                event.metadata.get("source").map(String::as_str),
                event.metadata.get("by"),
            ) {
                (Some("hand"), Some(by)) => format!("by hand ({by})"),
                (Some("hand"), None) => "by hand".to_owned(),
                (Some("execution"), _) => "an execution".to_owned(),
                (Some("probe"), _) => "health probe".to_owned(),
                (Some(other), _) => other.to_owned(),
                (None, _) => String::new(),
            };
            (
                format!("+{}", format_ms(offset_ms(started, event.timestamp))),
                kind,
                event.event_type.describe(),
                source,
                event.event_type.type_name(),
            )
        })
        .collect();
    let rows = StoredValue::new(rows);
    view! {
        <ol class="rec-events" id="recording-events" aria-label="Recorded events, oldest first">
            {move || rows.with_value(|rows| rows.iter().take(shown.get()).cloned().map(|(offset, kind, text, source, type_name)| view! {
                <li class=format!("rec-event rec-event-{kind}") data-type=type_name>
                    <span class="rec-offset">{offset}</span>
                    <span class="rec-kind"><span class=format!("rec-symbol rec-{kind}") aria-hidden="true">{event_symbol(kind)}</span>" "{kind}</span>
                    <span class="rec-text">{text}</span>
                    <span class="rec-source muted">{source}</span>
                </li>
            }).collect_view())}
        </ol>
        <p class="log-more">
            {move || (shown.get() < total).then(|| view! {
                <span class="muted">{format!("{} of {total} events shown.", shown.get())}</span>
                <button type="button" class="button" id="recording-events-more"
                    on:click=move |_| shown.update(|n| *n = (*n + PAGE).min(total))>
                    {format!("Show {} more", PAGE.min(total - shown.get()))}
                </button>
            })}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn event(ms: i64, event_type: RecordedEventType) -> RecordedEvent {
        RecordedEvent {
            timestamp: OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(ms),
            event_type,
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn each_kind_has_its_shape_its_words_and_the_chaos_window_is_shaded() {
        let events = vec![
            event(
                1_000,
                RecordedEventType::ChaosInjected {
                    service: "exchange-simulator".into(),
                    action: "inject_latency".into(),
                    parameters: serde_json::json!({"delay_ms": 100})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                },
            ),
            event(
                2_000,
                RecordedEventType::ServiceHealthChanged {
                    service: "exchange-simulator".into(),
                    healthy: false,
                    status: Some(503),
                },
            ),
            event(
                4_000,
                RecordedEventType::ChaosCleared {
                    service: "exchange-simulator".into(),
                },
            ),
            event(
                4_500,
                RecordedEventType::ServiceHealthChanged {
                    service: "<odd> name".into(),
                    healthy: true,
                    status: Some(200),
                },
            ),
        ];
        let svg = recording_timeline_svg(&events, OffsetDateTime::UNIX_EPOCH, 10_000);
        assert!(svg.starts_with("<svg class=\"rec-timeline\""));
        assert!(svg.contains("4 events over 10s on 2 services"));
        for kind in ["injected", "cleared", "unhealthy", "healthy"] {
            assert!(svg.contains(&format!("rec-mark rec-{kind}\"")), "{kind}");
        }
        assert!(svg.contains(
            "<title>+1s · exchange-simulator: inject_latency {&quot;delay_ms&quot;:100}</title>"
        ));
        assert!(svg.contains("exchange-simulator: chaos in place from 1s to 4s"));
        assert!(svg.contains("&lt;odd&gt; name"));
        assert!(!svg.contains("<odd>"));
        // The axis: ticks from chart::ticks over the recording's 10 s.
        assert!(svg.contains(">0s</text>") && svg.contains(">10s</text>"));
    }

    #[test]
    fn chaos_left_in_place_is_shaded_to_the_end_and_long_recordings_are_cut() {
        let inject = |ms| {
            event(
                ms,
                RecordedEventType::ChaosInjected {
                    service: "s".into(),
                    action: "a".into(),
                    parameters: Default::default(),
                },
            )
        };
        let svg = recording_timeline_svg(&[inject(500)], OffsetDateTime::UNIX_EPOCH, 2_000);
        assert!(svg.contains("chaos in place from 500ms to 2s"));
        let many: Vec<RecordedEvent> = (0..(MAX_MARKS as i64 + 10)).map(inject).collect();
        let svg = recording_timeline_svg(&many, OffsetDateTime::UNIX_EPOCH, 0);
        assert_eq!(svg.matches("rec-mark ").count(), MAX_MARKS);
        assert_eq!(
            offset_ms(
                OffsetDateTime::UNIX_EPOCH,
                OffsetDateTime::UNIX_EPOCH - time::Duration::seconds(1)
            ),
            0
        );
    }
}
