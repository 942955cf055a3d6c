//! The live view's tables and events log, built to stay cheap when events come
//! by the thousand: each row reads a memo of its own (it re-renders only when
//! its own data changes), rows are keyed (`<For>`: a new action or log line adds
//! one row, the others stay), and the log renders a window of the latest lines.

use leptos::prelude::*;

use super::{ActionRow, AssertionRow, LiveState, LogLine, LOG_PAGE};
use crate::components::{format_ms, AssertionView};
use crate::scenario::plan::Plan;

/// Every action call: a row each, added as calls start, updated when they return.
#[component]
pub fn ActionsTable(state: RwSignal<LiveState>) -> impl IntoView {
    let count = Memo::new(move |_| state.with(|s| s.actions.len()));
    move || {
        if count.get() == 0 {
            return view! { <p class="muted">"No action has run yet."</p> }.into_any();
        }
        view! {
            <table class="table" id="actions-table">
                <thead><tr><th scope="col">"Phase"</th><th scope="col">"Action"</th><th scope="col">"Result"</th><th scope="col">"Latency"</th></tr></thead>
                <tbody>
                    <For each=move || 0..count.get() key=|i| *i let:i>
                        <ActionLine state i />
                    </For>
                </tbody>
            </table>
        }
        .into_any()
    }
}

#[component]
fn ActionLine(state: RwSignal<LiveState>, i: usize) -> impl IntoView {
    let row = Memo::new(move |_| state.with(|s| s.actions.get(i).cloned()));
    move || row.with(|a| a.as_ref().map(action_row))
}

fn action_row(a: &ActionRow) -> impl IntoView {
    let (class, result) = match &a.outcome {
        None => ("pending", "running…".to_owned()),
        Some(o) if o.ok => (
            "ok",
            format!(
                "✓ ok{}",
                o.status.map(|c| format!(" ({c})")).unwrap_or_default()
            ),
        ),
        Some(o) => (
            "fail",
            format!(
                "✗ failed{}: {}",
                o.status.map(|c| format!(" ({c})")).unwrap_or_default(),
                o.message
            ),
        ),
    };
    view! {
        <tr class=format!("row-{class}")>
            <td>{a.phase.map(|p| (p + 1).to_string()).unwrap_or_default()}</td>
            <td><code>{format!("{}.{}", a.service, a.action)}</code>{a.parallel.then_some(" (parallel)")}</td>
            <td class=format!("result result-{class}")>{result}</td>
            <td>{a.outcome.as_ref().map(|o| format!("{:.1} ms", o.latency_ms)).unwrap_or_default()}</td>
        </tr>
    }
}

/// The plan's assertions, each with its live state: "polling n — not yet: …"
/// while checks do not hold (an `assertion_checked` updates this row only), then
/// the decision.
#[component]
pub fn AssertionTable(
    plan: Option<Plan>,
    state: RwSignal<LiveState>,
    phase_names: Vec<String>,
) -> impl IntoView {
    let Some(plan) = plan else {
        return view! { <p class="muted">"The plan of this execution is not available."</p> }
            .into_any();
    };
    let rows: Vec<(usize, usize, String, Option<String>)> = plan
        .phases
        .iter()
        .flat_map(|p| {
            p.assertions.iter().enumerate().map(move |(i, a)| {
                (
                    p.index,
                    i,
                    format!("{} → {}", a.assertion_type, a.expect),
                    a.service.clone(),
                )
            })
        })
        .collect();
    if rows.is_empty() {
        return view! { <p class="muted">"This scenario has no assertions."</p> }.into_any();
    }
    view! {
        <table class="table" id="assertions-table">
            <thead><tr><th scope="col">"Phase"</th><th scope="col">"Assertion"</th><th scope="col">"State"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|(phase, index, label, service)| {
                    let phase_name = phase_names.get(phase).cloned().unwrap_or_default();
                    let row = Memo::new(move |_| state.with(|s| s.assertions.get(&(phase, index)).cloned()));
                    view! {
                        <tr data-assertion=format!("{phase}.{index}")>
                            <td>{phase_name}</td>
                            <td><code>{label}</code>{service.map(|s| view! { " on "<code>{s}</code> })}</td>
                            {move || row.with(|row| assertion_cell(row.as_ref()))}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The text of an assertion's state cell.
pub fn assertion_text(row: Option<&AssertionRow>) -> String {
    let until = format_ms(row.map_or(0, |r| r.deadline_ms));
    match AssertionView::of(row) {
        AssertionView::Planned => "pending".to_owned(),
        AssertionView::Polling(0) => format!("polling until {until}"),
        AssertionView::Polling(n) => format!(
            "polling {n} — not yet{} (until {until})",
            row.and_then(|r| r.last_check.as_deref())
                .filter(|m| !m.is_empty())
                .map(|m| format!(": {m}"))
                .unwrap_or_default(),
        ),
        AssertionView::Passed(Some(ms)) => format!("✓ passed, held after {}", format_ms(ms)),
        AssertionView::Passed(None) => "✓ passed".to_owned(),
        AssertionView::Failed(message) => format!("✗ failed: {message}"),
    }
}

fn assertion_cell(row: Option<&AssertionRow>) -> impl IntoView {
    let (class, _) = AssertionView::of(row).describe();
    let evidence = row
        .and_then(|r| r.result.as_ref())
        .filter(|r| !r.passed)
        .map(|r| r.evidence.clone());
    view! {
        <td class=format!("result result-{class}")>
            {assertion_text(row)}
            {evidence.map(|e| view! { <details><summary>"Evidence"</summary><pre class="code">{e}</pre></details> })}
        </td>
    }
}

/// The events log, newest first: a window of the latest [`LOG_PAGE`] lines, with
/// "Show earlier" adding a page at a time of those kept; older ones are in the
/// report. `assertion_checked` and `workload_slot` events are not lines (their
/// row and chart show them).
#[component]
pub fn EventsLog(id: String, state: RwSignal<LiveState>) -> impl IntoView {
    let shown = RwSignal::new(LOG_PAGE);
    let total = Memo::new(move |_| state.with(|s| s.log_total));
    let lines = Memo::new(move |_| {
        let _ = total.get();
        let shown = shown.get();
        state.with_untracked(|s| s.log_window(shown))
    });
    let hidden = Memo::new(move |_| {
        let _ = total.get();
        let shown = shown.get();
        state.with_untracked(|s| (s.log_hidden(shown), s.log_dropped()))
    });
    let more = move || {
        let (hidden, dropped) = hidden.get();
        let earlier = (hidden > 0).then(|| {
            let page = hidden.min(LOG_PAGE);
            view! {
                <button type="button" class="button" id="log-earlier" on:click=move |_| shown.update(|n| *n += LOG_PAGE)>
                    {format!("Show {page} earlier (of {hidden})")}
                </button>
            }
        });
        let gone = (hidden == 0 && dropped > 0).then(|| {
            view! {
                <span class="muted" id="log-dropped">
                    {format!("{dropped} earlier line(s) are in the ")}
                    <a href=format!("/executions/{id}/report")>"report"</a>
                </span>
            }
        });
        (earlier, gone)
    };
    view! {
        <ol class="event-log" id="event-log">
            <For each=move || lines.get() key=|line| line.seq let:line>
                <LogItem line />
            </For>
        </ol>
        <p class="log-more">{more}</p>
    }
}

#[component]
fn LogItem(line: LogLine) -> impl IntoView {
    view! {
        <li class:log-bad=line.bad data-kind=line.kind>
            <span class="log-seq">{format!("#{}", line.seq)}</span>
            <span class="log-offset">{line.offset_ms.map(format_ms).unwrap_or_default()}</span>
            <span class="log-text">{line.text}</span>
        </li>
    }
}
