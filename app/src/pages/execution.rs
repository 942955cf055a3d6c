//! `/executions/{id}`: one execution, live. The server renders the history so far;
//! in the browser the WebSocket replays anything newer and follows the execution:
//! the current phase and an elapsed cursor on the plan's timeline, each action's
//! result and latency, each assertion's state, the events log, the controls, and
//! the verdict at the end.
//!
//! Events come in batches, at most one state update a frame (`live::socket`),
//! and each part of the page reads a memo of what it shows, so a check that did
//! not hold touches its assertion's row and nothing else (`live::view`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{auth::Role, ui::LiveExecution};
use crate::components::compare_link::CompareWithPrevious;
use crate::components::live::view::{ActionsTable, AssertionTable, EventsLog};
use crate::components::live::{LiveState, WorkloadEnd};
use crate::components::{
    format_ms, live_timeline_view, raw_text, set_not_found_status, ErrorPanel, Loading, StatusBadge,
};
use crate::scenario::plan::Plan;
use crate::server_fns::{control_execution, get_live_execution, server_resource};

/// The live execution page.
#[component]
pub fn ExecutionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let execution = server_resource(id, get_live_execution);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match execution.await {
                    Ok(live) => view! { <LiveView live /> }.into_any(),
                    Err(error) => {
                        set_not_found_status(&error);
                        view! {
                            <Title text="Execution not found" />
                            <h1>"Execution"</h1>
                            <ErrorPanel error />
                            <p><a href="/executions">"Back to the history"</a></p>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn LiveView(live: LiveExecution) -> impl IntoView {
    let LiveExecution { detail, events } = live;
    let id = detail.id.clone();
    let plan: Option<Plan> = Some(detail.plan.clone());
    let state = RwSignal::new(LiveState::new(detail.status.as_str(), &events));
    // Scenario time since the last event, advanced by a timer while running, so the
    // cursor moves between events (events can be minutes of scenario time apart).
    let drift_ms = RwSignal::new(0u64);
    let speed = detail.options.speed;

    #[cfg(feature = "hydrate")]
    let link = {
        use crate::components::live::socket::{follow, Link};
        let link = RwSignal::new(Link::Connecting);
        let last_event_wall = StoredValue::new(js_now());
        if state.with_untracked(|s| s.finished) {
            link.set(Link::Done);
        } else {
            follow(&id, state, link, move || {
                last_event_wall.set_value(js_now());
                drift_ms.set(0);
            });
            if let Ok(handle) = set_interval_with_handle(
                move || {
                    if state.with_untracked(|s| s.status == "running" && !s.finished) {
                        let real = js_now() - last_event_wall.get_value();
                        drift_ms.set((real.max(0.0) * speed) as u64);
                    }
                },
                std::time::Duration::from_millis(200),
            ) {
                on_cleanup(move || handle.clear());
            }
        }
        Signal::derive(move || match link.get() {
            Link::Connecting => "connecting…".to_owned(),
            Link::Live => "live".to_owned(),
            Link::Done => "ended".to_owned(),
            Link::Reconnecting(attempt) => {
                format!("connection lost — reconnecting (attempt {attempt})…")
            }
            Link::CatchingUp => "catching up…".to_owned(),
        })
    };
    #[cfg(not(feature = "hydrate"))]
    let link = {
        let _ = speed;
        Signal::derive(move || {
            if state.with(|s| s.finished) {
                "ended".to_owned()
            } else {
                "connecting…".to_owned()
            }
        })
    };

    // The cursor: the latest event's offset plus the drift, kept inside the phase.
    let plan_for_cursor = plan.clone();
    let elapsed = Memo::new(move |_| {
        state.with(|s| {
            let base = s.elapsed_ms;
            if s.finished || s.status != "running" {
                return base;
            }
            let phase_end = plan_for_cursor
                .as_ref()
                .and_then(|p| s.current_phase.and_then(|i| p.phases.get(i)))
                .map(|p| p.end_ms.as_millis() as u64)
                .unwrap_or(base);
            (base + drift_ms.get()).min(phase_end.max(base))
        })
    });

    let total_ms = detail.progress.total_ms;
    let phase_count = plan.as_ref().map_or(0, |p| p.phases.len());
    let phase_names: Vec<String> = plan
        .as_ref()
        .map(|p| p.phases.iter().map(|ph| ph.name.clone()).collect())
        .unwrap_or_default();
    let phase_names_for_assert = phase_names.clone();
    let status = Memo::new(move |_| state.with(|s| s.status.clone()));

    // The drawing changes only with a step's result; the cursor and the check
    // counts move inside it.
    let marks = Memo::new(move |_| state.with(LiveState::timeline_marks));
    let counts = Memo::new(move |_| state.with(LiveState::polling_counts));
    let timeline_plan = plan.clone();
    let timeline = move || {
        timeline_plan
            .as_ref()
            .map(|plan| marks.with(|m| live_timeline_view(plan, m, elapsed.into(), counts.into())))
    };

    let progress = move || {
        state.with(|s| {
            let phase = s
                .current_phase
                .and_then(|i| phase_names.get(i).map(|n| (i, n.clone())));
            let where_ = match (s.finished, phase) {
                (true, _) => "Ended".to_owned(),
                (false, Some((i, name))) => format!("Phase {} of {phase_count}: {name}", i + 1),
                (false, None) => "Waiting to start".to_owned(),
            };
            format!(
                "{where_} · elapsed {} of {}",
                format_ms(elapsed.get()),
                format_ms(total_ms)
            )
        })
    };

    let options = detail.options.clone();
    let title = detail.scenario_name.clone();
    // Controls and "Run again" change things: operators and admins only.
    let operator = crate::me::can(Role::Operator);
    view! {
            <Title text=raw_text(format!("{title} · execution")) />
            <p class="breadcrumbs"><a href="/executions">"Executions"</a>" / "<code>{id.clone()}</code></p>
            <div class="page-head">
                <div>
                    <h1>
                        <a href=format!("/scenarios/{}", detail.scenario_name)>{detail.scenario_name.clone()}</a>
                    </h1>
                    <p class="card-meta">
                        <span id="execution-status" aria-live="polite">{move || view! { <StatusBadge status=status.get() stopped_by=state.with(|s| s.stopped_by.clone()) /> }}</span>
                        <span class="tag">{format!("speed ×{}", options.speed)}</span>
                        {options.dry_run.then(|| view! { <span class="tag tag-warn">"dry run"</span> })}
                        {options.continue_on_failure.then(|| view! { <span class="tag">"continues after failures"</span> })}
                        {(options.repeat > 1).then(|| view! { <span class="tag">{format!("repeat ×{}", options.repeat)}</span> })}
                        {(!options.on_owner_loss.is_rollback()).then(|| view! { <span class="tag" title="If its coordinator is lost, another rolls its chaos back and runs it on from its phase">"resumes on owner loss"</span> })}
                        <span class="tag">"started by "{detail.started_by.clone()}</span>
                        <span class="muted" id="link-state">{move || link.get()}</span>
                    </p>
                    <CompareWithPrevious id=id.clone() finished=Signal::derive(move || state.with(|s| s.finished)) />
                </div>
                {operator.then(|| view! {
                    <Controls id=id.clone() state />
                    <crate::components::RunAgain id=id.clone() />
                })}
            </div>
            <p id="progress" class="progress-line">{progress}</p>
            <Verdict id=id.clone() state />
            {timeline}
            {plan.as_ref().and_then(|p| p.workload.as_ref()).map(|_| view! { <WorkloadPanel plan=plan.clone() state /> })}
            <div class="two-columns">
    <ChaosEffects state />
                        <section aria-labelledby="actions-title">
                    <h2 id="actions-title">"Actions"</h2>
                    <ActionsTable state />
                </section>
                <section aria-labelledby="assertions-title">
                    <h2 id="assertions-title">"Assertions"</h2>
                    <AssertionTable plan=plan.clone() state phase_names=phase_names_for_assert />
                </section>
            </div>
            <section aria-labelledby="log-title">
                <h2 id="log-title">"Events"</h2>
                <EventsLog id=id.clone() state />
            </section>
        }
}

/// The workload's latency and failure rate over time, drawn as the report draws
/// it, with the current figures and, at the end, the recovery time.
/// What the proxies' faults did to the traffic so far (`chaos_effect`
/// events): requests or connections touched, per service and kind. Absent
/// until a proxy reports one.
#[component]
fn ChaosEffects(state: RwSignal<LiveState>) -> impl IntoView {
    let effects = Memo::new(move |_| state.with(|s| s.effects.clone()));
    move || {
        let effects = effects.get();
        (!effects.is_empty()).then(|| view! {
            <section aria-labelledby="effects-title" id="chaos-effects">
                <h2 id="effects-title">"Chaos effects"</h2>
                <p class="muted">"Requests or connections the fault-injection proxies' faults touched, counted per second by the proxy."</p>
                <table class="table" id="effects-table">
                    <thead><tr><th scope="col">"Service"</th><th scope="col">"Effect"</th><th scope="col">"Touched"</th></tr></thead>
                    <tbody>
                        {effects.into_iter().map(|((service, effect), count)| {
                            let label = effect.clone();
                            view! { <tr data-effect=label><td>{service}</td><td><code>{effect}</code></td><td>{count}</td></tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })
    }
}

#[component]
fn WorkloadPanel(plan: Option<Plan>, state: RwSignal<LiveState>) -> impl IntoView {
    let phases: Vec<(String, u64, u64)> = plan
        .as_ref()
        .map(|p| {
            p.phases
                .iter()
                .map(|ph| {
                    (
                        ph.name.clone(),
                        ph.start_ms.as_millis() as u64,
                        ph.end_ms.as_millis() as u64,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let total_ms = plan.as_ref().map_or(0, |p| p.total_ms.as_millis() as u64);
    let bound = plan
        .as_ref()
        .and_then(|p| p.workload.as_ref())
        .and_then(|w| w.steady_state.as_ref())
        .and_then(|s| s.p95_latency_ms);
    // Redrawn when a slot, an action or the summary comes, not on every event.
    let drawn = Memo::new(move |_| {
        state.with(|s| (s.workload.len(), s.actions.len(), s.workload_end.is_some()))
    });
    let chart = move || {
        let _ = drawn.get();
        state.with_untracked(|s| {
            // While it runs: chaos from the first injecting action to the clear after it.
            let chaos = s.workload_end.as_ref().and_then(|e| e.chaos).or_else(|| {
                let injecting = |a: &&crate::components::live::ActionRow| {
                    a.phase.is_some() && a.action != "http" && !a.action.starts_with("clear")
                };
                let first = s.actions.iter().find(injecting)?.started_ms?;
                let last = s.actions.iter().rev().find(injecting)?.started_ms?;
                let cleared = s
                    .actions
                    .iter()
                    .filter(|a| a.phase.is_some() && a.action.starts_with("clear"))
                    .filter_map(|a| a.started_ms)
                    .find(|at| *at >= last)
                    .unwrap_or(s.elapsed_ms);
                Some((first, cleared))
            });
            crate::chart::workload_svg(&crate::chart::WorkloadChart {
                points: s.workload.clone(),
                phases: phases.clone(),
                chaos,
                recovered_ms: s.workload_end.as_ref().and_then(|e| e.recovered_ms),
                p95_bound_ms: bound,
                total_ms,
            })
        })
    };
    let figures = move || {
        state.with(|s| {
            let last = s.workload.iter().rev().find(|p| p.requests > 0);
            let now = last.map_or("no request answered yet".to_owned(), |p| {
                format!(
                    "last slot: {} request(s), p95 {:.1} ms, p99 {:.1} ms, {:.1} % failed",
                    p.requests,
                    p.p95_ms,
                    p.p99_ms,
                    p.failure_rate * 100.0
                )
            });
            let recovery = match &s.workload_end {
                Some(WorkloadEnd {
                    measured: true,
                    recovery_time_ms: Some(ms),
                    ..
                }) => {
                    format!(
                        " · recovered {} after the chaos was cleared",
                        format_ms(*ms)
                    )
                }
                Some(WorkloadEnd {
                    measured: true,
                    recovery_time_ms: None,
                    ..
                }) => " · no recovery detected".to_owned(),
                _ => String::new(),
            };
            format!("{now}{recovery}")
        })
    };
    view! {
        <section aria-labelledby="workload-title" id="workload">
            <h2 id="workload-title">"Workload"</h2>
            <p class="muted" id="workload-figures" aria-live="polite">{figures}</p>
            <div class="workload-chart-box" inner_html=chart></div>
        </section>
    }
}

/// Pause, resume, skip phase and stop, each disabled when it does not fit the
/// state, with the request's progress and answer shown next to them. Stop asks
/// first, in place, as "Clear chaos" does; once the execution has ended the
/// controls are gone (only the answer to the last command stays).
#[component]
fn Controls(id: String, state: RwSignal<LiveState>) -> impl IntoView {
    let control = Action::new(move |(id, command): &(String, String)| {
        let (id, command) = (id.clone(), command.clone());
        async move { (command.clone(), control_execution(id, command).await) }
    });
    let pending_command = RwSignal::new(None::<String>);
    let confirming_stop = RwSignal::new(false);
    Effect::new(move |_| {
        if !control.pending().get() {
            pending_command.set(None);
        }
    });
    let finished = Memo::new(move |_| state.with(|s| s.finished));
    let send = {
        let id = id.clone();
        move |command: &'static str| {
            pending_command.set(Some(command.to_owned()));
            control.dispatch((id.clone(), command.to_owned()));
        }
    };
    let button = {
        let send = send.clone();
        move |command: &'static str,
              label: &'static str,
              busy: &'static str,
              fits: fn(&str) -> bool| {
            let send = send.clone();
            view! {
                <button
                    type="button"
                    class=if command == "stop" { "button button-danger" } else { "button" }
                    id=format!("control-{command}")
                    disabled=move || control.pending().get() || state.with(|s| s.finished || !fits(&s.status))
                    on:click=move |_| {
                        if command == "stop" {
                            confirming_stop.set(true);
                        } else {
                            send(command);
                        }
                    }
                >
                    {move || if pending_command.get().as_deref() == Some(command) { busy } else { label }}
                </button>
            }
        }
    };
    let feedback = move || match control.value().get() {
        Some((command, Ok(detail))) => Some((
            false,
            format!(
                "{} done: the execution is {}.",
                command.replace('_', " "),
                detail.status
            ),
        )),
        Some((command, Err(error))) => Some((
            true,
            format!("Could not {}: {}", command.replace('_', " "), error.message),
        )),
        None => None,
    };
    let stop_or_confirm = {
        let button = button.clone();
        move || {
            let send = send.clone();
            if confirming_stop.get() && !finished.get() {
                view! {
                <span class="confirm" role="group" aria-label="Confirm stop">
                    <span>"Stop this execution? Its rollback runs."</span>
                    <button type="button" class="button button-danger" id="control-stop-confirm"
                        on:click=move |_| { confirming_stop.set(false); send("stop"); }>"Yes, stop"</button>
                    <button type="button" class="button" id="control-stop-cancel"
                        on:click=move |_| confirming_stop.set(false)>"Cancel"</button>
                </span>
            }
            .into_any()
            } else {
                button("stop", "Stop", "Stopping…", |s| s != "completed").into_any()
            }
        }
    };
    let buttons = {
        let button = button.clone();
        move || {
            (!finished.get()).then(|| {
                view! {
                    {button("pause", "Pause", "Pausing…", |s| s == "running")}
                    {button("resume", "Resume", "Resuming…", |s| s == "paused")}
                    {button("skip_phase", "Skip phase", "Skipping…", |s| s == "running" || s == "paused")}
                    {stop_or_confirm.clone()}
                }
            })
        }
    };
    view! {
        <div class="page-actions controls" role="group" aria-label="Execution controls">
            {buttons}
            <p class="control-feedback" id="control-feedback" role="status">
                {move || feedback().map(|(bad, text)| view! { <span class:form-error=bad>{text}</span> })}
            </p>
        </div>
    }
}

/// The verdict once the execution ended. A run a user stopped is not a failure:
/// it shows "■ STOPPED by <who>" (the stop's source), neutral, with the criteria
/// as they stood.
#[component]
fn Verdict(id: String, state: RwSignal<LiveState>) -> impl IntoView {
    move || {
        let id = id.clone();
        state.with(|s| {
            s.verdict.clone().map(|v| {
                let stopped = s.status == "stopped";
                let (class, heading) = if stopped {
                    (
                        "verdict verdict-stopped",
                        format!(
                            "■ STOPPED by {}",
                            s.stopped_by.as_deref().unwrap_or("a user")
                        ),
                    )
                } else if v.passed {
                    ("verdict verdict-pass", "✓ PASSED".to_owned())
                } else {
                    ("verdict verdict-fail", "✗ FAILED".to_owned())
                };
                view! {
                    <section class=class id="verdict" aria-labelledby="verdict-title">
                        <h2 id="verdict-title">
                            {heading}
                            <span class="verdict-status">{format!(" — execution {}", s.status)}</span>
                        </h2>
                        <p>{v.summary.clone()}</p>
                        <ul class="criteria">
                            {v.criteria.into_iter().map(|c| view! {
                                <li class:crit-fail=!c.passed>
                                    <strong>{if c.passed { "✓ held" } else if stopped { "– not reached" } else { "✗ missed" }}</strong>" "<code>{c.name}</code>" "{c.detail}
                                </li>
                            }).collect_view()}
                        </ul>
                        <p class="report-links" id="report-links">
                            "Report: "
                            <a href=format!("/executions/{id}/report") id="open-report">"open the report"</a>
                            " · download "
                            <a href=format!("/api/v1/scenarios/{id}/report?format=html&download=true") rel="external" download="">"HTML"</a>" · "
                            <a href=format!("/api/v1/scenarios/{id}/report?format=json&download=true") rel="external" download="">"JSON"</a>" · "
                            <a href=format!("/api/v1/scenarios/{id}/report?format=csv&table=assertions&download=true") rel="external" download="">"CSV"</a>" · "
                            <a href=format!("/api/v1/scenarios/{id}/report?format=junit&download=true") rel="external" download="">"JUnit"</a>
                        </p>
                    </section>
                }
            })
        })
    }
}

#[cfg(feature = "hydrate")]
fn js_now() -> f64 {
    leptos::web_sys::js_sys::Date::now()
}
