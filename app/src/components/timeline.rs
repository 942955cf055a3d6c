//! The plan drawn as an SVG timeline: phases as bands, actions and parallel actions
//! as markers at their offsets, assertion windows as ranges from start to deadline
//! (clamped ones marked), the rollback after the end. With a [`LiveState`] it also
//! shows the current phase, an elapsed cursor and each step's result.
//!
//! Every state is written as text as well as colour, so it reads in greyscale.
//!
//! Live, the drawing is rebuilt only when a step's result changes
//! ([`LiveState::timeline_marks`]); the elapsed cursor and the check counts of
//! assertions being polled are reactive parts of it and move on their own.
//!
//! Below a minimum width (`.timeline-canvas` in the stylesheet) the drawing does
//! not shrink further: it scrolls sideways, with its row labels kept in view
//! (HTML, sticky), so its text stays readable on a phone or in a side panel.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::live::{AssertionRow, LiveState};
use crate::scenario::plan::Plan;

/// Milliseconds for people; one definition with the event descriptions.
pub use crate::api::describe::format_ms;

/// Width of the drawing in SVG units; it scales to its container.
const WIDTH: f64 = 1000.0;
const LEFT: f64 = 8.0;
const RIGHT: f64 = 8.0;
/// Room left of the plot for the row labels ("actions", "parallel"), so that a
/// marker at 0 never sits on them.
const LABEL_W: f64 = 50.0;
/// Horizontal step between sequential actions of one moment: a marker's width
/// and a gap, so that they never overlap.
const FAN_STEP: f64 = 15.0;
/// Space on the right for the rollback band, when there is one.
const ROLLBACK_WIDTH: f64 = 70.0;
const AXIS_Y: f64 = 14.0;
const CALLOUT_Y: f64 = 32.0;
const BAND_Y: f64 = 52.0;
const BAND_H: f64 = 40.0;
/// Rows of markers; `.tl-row-actions` and `.tl-row-parallel` in the stylesheet
/// sit at these heights (as a share of [`WIDTH`]), so change them together.
const ACTIONS_Y: f64 = 108.0;
const PARALLEL_Y: f64 = 130.0;
const ASSERT_Y: f64 = 152.0;
const ASSERT_ROW: f64 = 16.0;
/// Rough width of one character of the 11-unit font, for "does it fit" decisions.
const CHAR_W: f64 = 6.4;

/// Check counts of the assertions being polled, by (phase, index).
pub type PollCounts = BTreeMap<(usize, usize), u64>;

/// The plan as an SVG timeline; pass `live` for an execution's progress.
pub fn timeline_view(plan: &Plan, live: Option<&LiveState>, elapsed_ms: u64) -> AnyView {
    let counts = live.map(LiveState::polling_counts).unwrap_or_default();
    draw(
        plan,
        live,
        Signal::stored(elapsed_ms),
        Signal::stored(counts),
    )
}

/// An execution's timeline: `marks` (see [`LiveState::timeline_marks`]) decide
/// the drawing; `elapsed` moves the cursor and `counts` the "polling n" labels
/// without redrawing it.
pub fn live_timeline_view(
    plan: &Plan,
    marks: &LiveState,
    elapsed: Signal<u64>,
    counts: Signal<PollCounts>,
) -> AnyView {
    draw(plan, Some(marks), elapsed, counts)
}

fn draw(
    plan: &Plan,
    live: Option<&LiveState>,
    elapsed: Signal<u64>,
    counts: Signal<PollCounts>,
) -> AnyView {
    let total = plan
        .total_ms
        .as_millis()
        .max(plan.phases.last().map_or(0, |p| p.end_ms.as_millis()))
        .max(1) as f64;
    let has_rollback = !plan.rollback.actions.is_empty();
    let plot_left = LEFT + LABEL_W;
    let plot_w = WIDTH
        - plot_left
        - RIGHT
        - if has_rollback {
            ROLLBACK_WIDTH + 6.0
        } else {
            0.0
        };
    let x = move |ms: u64| plot_left + (ms as f64 / total).min(1.0) * plot_w;
    let assertion_count: usize = plan.phases.iter().map(|p| p.assertions.len()).sum();
    let height = ASSERT_Y + assertion_count as f64 * ASSERT_ROW + 18.0;
    let current = live.and_then(|l| l.current_phase);
    let finished = live.is_some_and(|l| l.finished);

    let axis = crate::chart::ticks(total as u64, 8)
        .map(|t| {
            let tx = x(t);
            // The last tick's label ends at its line rather than leave the drawing.
            let (lx, anchor) = if tx > WIDTH - RIGHT - 40.0 {
                (tx - 2.0, "end")
            } else {
                (tx + 2.0, "start")
            };
            view! {
                <g class="tl-tick">
                    <line x1=tx x2=tx y1=AXIS_Y + 4.0 y2=height - 4.0 />
                    <text x=lx y=AXIS_Y text-anchor=anchor>{format_ms(t)}</text>
                </g>
            }
        })
        .collect_view();

    let bands = plan
        .phases
        .iter()
        .map(|phase| {
            let x0 = x(phase.start_ms.as_millis() as u64);
            let x1 = x(phase.end_ms.as_millis() as u64);
            let w = (x1 - x0).max(2.0);
            let name = phase.name.clone();
            let length = format_ms(phase.duration_ms.as_millis() as u64);
            let outcome = live.and_then(|l| l.phase_outcomes.get(&phase.index).cloned());
            let is_current = current == Some(phase.index) && !finished && outcome.is_none();
            let state = match (&outcome, is_current) {
                (Some(o), _) => o.clone(),
                (None, true) => "current".to_owned(),
                _ => String::new(),
            };
            let class = format!(
                "tl-phase tl-phase-{} {}",
                phase.index % 2,
                if state.is_empty() { String::new() } else { format!("tl-phase-{state}") }
            );
            let fits = w > (name.len().max(length.len()) as f64 + 1.0) * CHAR_W;
            let label = if state.is_empty() { length.clone() } else { format!("{length} · {state}") };
            let label_fits = w > (label.len() as f64 + 1.0) * CHAR_W;
            let inside = fits.then(|| {
                view! {
                    <text class="tl-phase-name" x=x0 + 4.0 y=BAND_Y + 16.0>{name.clone()}</text>
                    <text class="tl-phase-len" x=x0 + 4.0 y=BAND_Y + 32.0>
                        {if label_fits { label.clone() } else { length.clone() }}
                    </text>
                }
            });
            // A band too narrow for its name gets a callout above it.
            let callout = (!fits).then(|| {
                let y = CALLOUT_Y - if phase.index % 2 == 1 { 12.0 } else { 0.0 };
                let text = format!("{name} ({length})");
                let half = text.len() as f64 * CHAR_W / 2.0;
                let tx = (x0 + w / 2.0).clamp(LEFT + half, WIDTH - RIGHT - half);
                view! {
                    <g class="tl-callout">
                        <line x1=x0 + w / 2.0 x2=x0 + w / 2.0 y1=y + 3.0 y2=BAND_Y />
                        <text x=tx y=y>{text}</text>
                    </g>
                }
            });
            view! {
                <g class=class data-phase=phase.index>
                    <rect x=x0 y=BAND_Y width=w height=BAND_H rx="3">
                        <title>{format!("{} — {} from {}", phase.name, length, format_ms(phase.start_ms.as_millis() as u64))}</title>
                    </rect>
                    {inside}
                    {callout}
                </g>
            }
        })
        .collect_view();

    let rollback = has_rollback.then(|| {
        let x0 = WIDTH - RIGHT - ROLLBACK_WIDTH;
        let state = live.and_then(|l| l.rollback.clone());
        let class = format!("tl-rollback {}", state.as_deref().map(|s| format!("tl-rollback-{s}")).unwrap_or_default());
        let count = plan.rollback.actions.len();
        view! {
            <g class=class>
                <rect x=x0 y=BAND_Y width=ROLLBACK_WIDTH height=BAND_H rx="3">
                    <title>{format!("rollback: {count} action(s){}", if plan.rollback.on_failure { ", also on failure" } else { "" })}</title>
                </rect>
                <text x=x0 + 4.0 y=BAND_Y + 16.0>"rollback"</text>
                <text x=x0 + 4.0 y=BAND_Y + 32.0>{state.unwrap_or_else(|| format!("{count} action{}", if count == 1 { "" } else { "s" }))}</text>
            </g>
        }
    });

    let mut markers = Vec::new();
    for phase in &plan.phases {
        for (list, parallel) in [(&phase.actions, false), (&phase.parallel_actions, true)] {
            for (ordinal, action) in list.iter().enumerate() {
                let result = live.and_then(|l| {
                    l.action_result(
                        phase.index,
                        parallel,
                        &action.service,
                        &action.action,
                        ordinal_of(list, ordinal),
                    )
                });
                let cx = x(action.at_ms.as_millis() as u64);
                // Sequential actions of one phase share a moment: fan them out a little.
                let cx = if parallel {
                    cx
                } else {
                    cx + ordinal as f64 * FAN_STEP
                };
                let state = result.unwrap_or("planned");
                let class = format!("tl-action tl-action-{state}");
                let title = format!(
                    "{}{}.{} at {} — {state}",
                    if parallel { "parallel: " } else { "" },
                    action.service,
                    action.action,
                    format_ms(action.at_ms.as_millis() as u64)
                );
                let shape = if parallel {
                    let y = PARALLEL_Y;
                    view! { <polygon points=format!("{cx},{} {},{y} {cx},{} {},{y}", y - 7.0, cx + 7.0, y + 7.0, cx - 7.0)><title>{title}</title></polygon> }.into_any()
                } else {
                    view! { <circle cx=cx cy=ACTIONS_Y r="6"><title>{title}</title></circle> }
                        .into_any()
                };
                let mark = match state {
                    "ok" => "✓",
                    "failed" => "✗",
                    "running" => "…",
                    _ => "",
                };
                let y = if parallel { PARALLEL_Y } else { ACTIONS_Y };
                markers.push(view! {
                    <g class=class data-path=action.path.clone()>
                        {shape}
                        <text class="tl-mark" x=cx y=y + 4.0>{mark}</text>
                    </g>
                });
            }
        }
    }

    let mut row = 0usize;
    let mut ranges = Vec::new();
    for phase in &plan.phases {
        for (index, assertion) in phase.assertions.iter().enumerate() {
            let y = ASSERT_Y + row as f64 * ASSERT_ROW;
            row += 1;
            let x0 = x(assertion.start_ms.as_millis() as u64);
            let x1 = x(assertion.deadline_ms.as_millis() as u64).max(x0 + 3.0);
            let state = live
                .map(|l| l.assertion_state(phase.index, index))
                .unwrap_or(AssertionView::Planned);
            let polling = matches!(state, AssertionView::Polling(_));
            // The count is its own text node (below), so that a check does not redraw.
            let state = if polling {
                AssertionView::Polling(0)
            } else {
                state
            };
            let (state_class, state_text) = state.describe();
            let class = format!(
                "tl-assert tl-assert-{state_class}{}",
                if assertion.clamped { " tl-clamped" } else { "" }
            );
            let within = assertion.within_ms.map(|w| format_ms(w.as_millis() as u64));
            let mut label = format!("{} → {}", assertion.assertion_type, assertion.expect);
            if assertion.clamped {
                label.push_str(&format!(
                    " (within {} clamped to phase end)",
                    within.clone().unwrap_or_default()
                ));
            }
            if !state_text.is_empty() {
                label.push_str(" · ");
                label.push_str(&state_text);
            }
            // The label goes right of the range, else left of it, else over it on a
            // background of its own (assertion labels use a 10-unit font).
            // Room for a count of up to five digits while polling.
            let count_chars = if polling { 6 } else { 0 };
            let label_w = (label.chars().count() + count_chars) as f64 * CHAR_W * 10.0 / 11.0;
            let (tx, anchor, over) = if x1 + 4.0 + label_w <= WIDTH - RIGHT {
                (x1 + 4.0, "start", false)
            } else if x0 - 4.0 - label_w >= LEFT {
                (x0 - 4.0, "end", false)
            } else {
                (x0 + 4.0, "start", true)
            };
            let label_bg = over.then(|| {
                view! { <rect class="tl-label-bg" x=tx - 2.0 y=y - 8.0 width=label_w + 4.0 height="11" rx="2" /> }
            });
            let clamp_mark = assertion
                .clamped
                .then(|| view! { <line class="tl-clamp" x1=x1 x2=x1 y1=y - 7.0 y2=y + 3.0 /> });
            ranges.push(view! {
                <g class=class data-path=assertion.path.clone()>
                    <rect x=x0 y=y - 6.0 width=x1 - x0 height="7" rx="2">
                        <title>{format!("{} — from {} to {}", label, format_ms(assertion.start_ms.as_millis() as u64), format_ms(assertion.deadline_ms.as_millis() as u64))}</title>
                    </rect>
                    {clamp_mark}
                    {label_bg}
                    <text x=tx y=y + 1.0 text-anchor=anchor>
                        {label}
                        {polling.then(|| {
                            let key = (phase.index, index);
                            view! {
                                <tspan class="tl-count">
                                    {move || counts.with(|c| c.get(&key).filter(|n| **n > 0).map(|n| format!(" {n}")).unwrap_or_default())}
                                </tspan>
                            }
                        })}
                    </text>
                </g>
            });
        }
    }

    let cursor = live.map(|l| {
        let cx = move || x(elapsed.get());
        let late = move || cx() > WIDTH * 0.8;
        view! {
            <g class="tl-cursor" class:tl-cursor-paused=l.status == "paused">
                <line x1=cx x2=cx y1=BAND_Y - 4.0 y2=height - 14.0 />
                <text
                    x=move || if late() { cx() - 3.0 } else { cx() + 3.0 }
                    y=height - 3.0
                    text-anchor=move || if late() { "end" } else { "start" }
                >
                    {move || format!("elapsed {}", format_ms(elapsed.get()))}
                </text>
            </g>
        }
    });

    let summary = format!(
        "Timeline of {}: {} phases over {}, {} assertions{}",
        plan.metadata.name,
        plan.phases.len(),
        format_ms(total as u64),
        assertion_count,
        if has_rollback { ", then rollback" } else { "" }
    );
    // Row labels are HTML beside the drawing, kept in view when it scrolls; the
    // stylesheet places them at ACTIONS_Y and PARALLEL_Y (in `cqw`: the drawing's
    // height scales with its width).
    view! {
        <figure class="timeline">
            <div class="timeline-scroll" tabindex="0" role="group" aria-label=format!("{summary} (scrolls sideways when narrow)")>
                <div class="timeline-canvas">
                    <svg
                        class="timeline-svg"
                        viewBox=format!("0 0 {WIDTH} {height}")
                        role="img"
                        aria-label=summary.clone()
                        preserveAspectRatio="xMinYMin meet"
                    >
                        <g class="tl-axis">{axis}</g>
                        {bands}
                        {rollback}
                        {markers}
                        {ranges}
                        {cursor}
                    </svg>
                    <div class="tl-sticky" aria-hidden="true">
                        <span class="tl-row-label tl-row-actions">"actions"</span>
                        <span class="tl-row-label tl-row-parallel">"parallel"</span>
                    </div>
                </div>
            </div>
            <figcaption class="muted">{summary}</figcaption>
        </figure>
    }
    .into_any()
}

/// The position of an action among the same (service, action) pairs of its list,
/// which is how events (they carry no index) are matched to the plan.
fn ordinal_of(list: &[crate::scenario::plan::PlannedAction], i: usize) -> usize {
    let target = &list[i];
    list[..i]
        .iter()
        .filter(|a| a.service == target.service && a.action == target.action)
        .count()
}

/// An assertion's state as the timeline and tables show it.
#[derive(Debug, Clone, PartialEq)]
pub enum AssertionView {
    /// Not yet reached (or a plan without an execution).
    Planned,
    /// Its window is open; this many checks did not hold yet.
    Polling(u64),
    /// Held, after this much scenario time.
    Passed(Option<u64>),
    /// Did not hold; why.
    Failed(String),
}

impl AssertionView {
    /// A CSS class word and a short text.
    pub fn describe(&self) -> (&'static str, String) {
        match self {
            Self::Planned => ("planned", String::new()),
            Self::Polling(0) => ("polling", "polling".to_owned()),
            Self::Polling(n) => ("polling", format!("polling {n}")),
            Self::Passed(Some(ms)) => ("passed", format!("passed, held after {}", format_ms(*ms))),
            Self::Passed(None) => ("passed", "passed".to_owned()),
            Self::Failed(_) => ("failed", "FAILED".to_owned()),
        }
    }

    /// From a live row.
    pub fn of(row: Option<&AssertionRow>) -> Self {
        match row {
            None => Self::Planned,
            Some(AssertionRow {
                result: None,
                checks,
                ..
            }) => Self::Polling(*checks),
            Some(AssertionRow {
                result: Some(r), ..
            }) if r.passed => Self::Passed(r.time_to_hold_ms),
            Some(AssertionRow {
                result: Some(r), ..
            }) => Self::Failed(r.message.clone()),
        }
    }
}
