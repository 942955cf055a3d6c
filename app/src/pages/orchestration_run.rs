//! `/orchestrations/runs/{run_id}`: one run of an orchestration (a suite) —
//! its status, each member (the step, its iteration, the scenario, its
//! execution's status, how the run ended it, whether it passed, linked to the
//! execution's page) and the summary counts; for operators, while it is
//! running or paused, Pause / Resume / Skip step / Stop (the suite's controls,
//! audited as `pause-suite`, `resume-suite`, `skip-suite-step`, `stop-suite`).
//!
//! The server renders the run as it is; in the browser it is re-read every
//! second until it has ended, into one signal, so the controls are updated in
//! place, never redrawn.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{
    auth::Role,
    suite::{SuiteDetail, SuiteMember, SuiteStatus},
    ApiError,
};
use crate::components::{
    outcome_of, readable_time, set_not_found_status, ErrorPanel, Loading, Outcome, StatusBadge,
};
use crate::server_fns::{
    orchestration::{get_suite, pause_suite, resume_suite, skip_suite_step, stop_suite},
    server_resource,
};

use super::orchestrations::orchestration_path;

/// How often a run under way is re-read, ms.
#[cfg(feature = "hydrate")]
const TICK_MS: u64 = 1_000;

/// `/orchestrations/runs/{run_id}`.
#[component]
pub fn OrchestrationRunPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("run_id").unwrap_or_default();
    let run = server_resource(id, get_suite);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match run.await {
                    Ok(detail) => view! { <RunView initial=detail /> }.into_any(),
                    Err(error) => {
                        set_not_found_status(&error);
                        view! {
                            <Title text="Run" />
                            <p class="breadcrumbs"><a href="/orchestrations">"Orchestrations"</a></p>
                            <h1>"Run"</h1>
                            <ErrorPanel error />
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Whether a member can still be skipped: it has not ended.
fn skippable(member: &SuiteMember) -> bool {
    matches!(
        member.status.as_str(),
        "pending" | "queued" | "running" | "paused"
    ) && member.outcome.is_none()
}

/// `yes`, `no`, or `—` before it has ended.
fn passed_words(passed: Option<bool>) -> &'static str {
    match passed {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

/// The run, kept current while it is under way.
#[component]
fn RunView(initial: SuiteDetail) -> impl IntoView {
    let id = initial.id.clone();
    let detail = RwSignal::new(initial);
    let under_way = Memo::new(move |_| detail.with(|d| !d.status.is_finished()));
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || tick.update(|t| *t = t.wrapping_add(1)),
        std::time::Duration::from_millis(TICK_MS),
    ) {
        on_cleanup(move || handle.clear());
    }

    let pause = Action::new(|id: &String| pause_suite(id.clone()));
    let resume = Action::new(|id: &String| resume_suite(id.clone()));
    let stop = Action::new(|id: &String| stop_suite(id.clone()));
    let skip = Action::new(|(id, step): &(String, Option<String>)| {
        skip_suite_step(id.clone(), step.clone())
    });
    let poll_id = id.clone();
    let polled = LocalResource::new(move || {
        // Once it has ended, nothing more to ask.
        if under_way.get() {
            tick.track();
        }
        get_suite(poll_id.clone())
    });
    Effect::new(move |_| {
        if let Some(Ok(now)) = polled.get() {
            detail.set(now);
        }
    });
    // A control answers with the run's state after it.
    for action in [pause, resume, stop] {
        Effect::new(move |_| {
            if let Some(Ok(now)) = action.value().get() {
                detail.set(now);
            }
        });
    }
    Effect::new(move |_| {
        if let Some(Ok(now)) = skip.value().get() {
            detail.set(now);
        }
    });
    let control_outcome = Signal::derive(move || {
        let failed = |result: Option<Result<SuiteDetail, ApiError>>| {
            outcome_of(result.filter(Result::is_err), "Not done", |_| String::new())
        };
        failed(stop.value().get())
            .or_else(|| failed(skip.value().get()))
            .or_else(|| failed(pause.value().get()))
            .or_else(|| failed(resume.value().get()))
    });

    let status = move || detail.with(|d| d.status.as_str());
    let (name, back) = detail.with_untracked(|d| match &d.orchestration {
        Some(o) => (
            o.name.clone(),
            o.id.as_deref().map(|id| match o.version {
                Some(v) => format!("{}?version={v}", orchestration_path(id)),
                None => orchestration_path(id),
            }),
        ),
        None => ("a suite".to_owned(), None),
    });
    let short: String = id.chars().take(8).collect();
    let (started_by, created_at) =
        detail.with_untracked(|d| (d.started_by.clone(), readable_time(&d.created_at)));
    let version = detail.with_untracked(|d| {
        d.orchestration
            .as_ref()
            .and_then(|o| o.version)
            .map(|v| format!("version {v}"))
    });
    let operator = crate::me::can(Role::Operator);

    view! {
        <Title text=format!("Run {short} of {name}") />
        <p class="breadcrumbs">
            <a href="/orchestrations">"Orchestrations"</a>" / "
            {match back.clone() {
                Some(href) => view! { <a href=href id="run-orchestration-link">{name.clone()}</a> }.into_any(),
                None => view! { <span>{name.clone()}</span> }.into_any(),
            }}
            {format!(" / run {short}")}
        </p>
        <div class="page-head">
            <div>
                <h1>"Run of "{name.clone()}</h1>
                <p class="card-meta" aria-live="polite">
                    <span id="run-status" data-status=status>{move || view! { <StatusBadge status=status() /> }}</span>
                    {version.map(|v| view! { <span class="tag">{v}</span> })}
                    <span>{format!("started {created_at} by {started_by}")}</span>
                    <span id="run-ended">{move || detail.with(|d| d.finished_at.as_deref().map(|t| format!("ended {}", readable_time(t))))}</span>
                </p>
            </div>
        </div>
        {operator.then(|| view! { <Controls id=id.clone() detail under_way pause resume skip stop /> })}
        <Outcome id="run-control-result" outcome=control_outcome />
        <Summary detail />
        <section aria-labelledby="members-title">
            <h2 id="members-title">"Steps"</h2>
            <div class="table-wrap">
                <table class="table" id="run-members">
                    <thead><tr>
                        <th scope="col">"#"</th>
                        <th scope="col">"Step"</th>
                        <th scope="col">"Iteration"</th>
                        <th scope="col">"Scenario"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Ended by the run"</th>
                        <th scope="col">"Passed"</th>
                        <th scope="col">"Took"</th>
                        <th scope="col">"Execution"</th>
                    </tr></thead>
                    <tbody>
                        {move || detail.with(|d| d.members.iter().map(member_row).collect_view())}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// One member as a table row.
fn member_row(m: &SuiteMember) -> impl IntoView + use<> {
    let started = !matches!(m.status.as_str(), "pending" | "not_run");
    let short: String = m.execution_id.chars().take(8).collect();
    let execution = if started {
        view! { <a class="run-member-execution" href=format!("/executions/{}", m.execution_id)>{format!("execution {short}")}</a> }.into_any()
    } else {
        view! { <span class="muted">"not started"</span> }.into_any()
    };
    let outcome = m.outcome.map(|o| o.as_str().replace('_', " "));
    let took = m.duration_seconds.map(|s| format!("{s:.1}s"));
    view! {
        <tr class="run-member" data-position=m.position data-status=m.status.clone()
            data-step=m.step.clone() data-outcome=m.outcome.map(|o| o.as_str())>
            <td>{m.position + 1}</td>
            <th scope="row">{m.step.clone().unwrap_or_else(|| "—".to_owned())}</th>
            <td>{m.iteration.map(|i| i.to_string())}</td>
            <td>{m.scenario.clone()}</td>
            <td><StatusBadge status=m.status.clone() /></td>
            <td>{outcome}</td>
            <td class=format!("run-member-passed result-{}", match m.passed { Some(true) => "passed", Some(false) => "failed", None => "pending" })>{passed_words(m.passed)}</td>
            <td>{took}</td>
            <td>{execution}</td>
        </tr>
    }
}

/// Pause / Resume / Skip step (which: the current one, or one chosen) / Stop,
/// while the run is under way.
#[component]
fn Controls(
    id: String,
    detail: RwSignal<SuiteDetail>,
    under_way: Memo<bool>,
    pause: Action<String, Result<SuiteDetail, ApiError>>,
    resume: Action<String, Result<SuiteDetail, ApiError>>,
    skip: Action<(String, Option<String>), Result<SuiteDetail, ApiError>>,
    stop: Action<String, Result<SuiteDetail, ApiError>>,
) -> impl IntoView {
    let is = move |wanted: SuiteStatus| detail.with(|d| d.status == wanted);
    let busy = move || {
        pause.pending().get()
            || resume.pending().get()
            || skip.pending().get()
            || stop.pending().get()
    };
    let chosen = RwSignal::new(String::new());
    // The steps not ended yet, each once, in run order.
    let choices = Memo::new(move |_| {
        detail.with(|d| {
            let mut steps: Vec<String> = Vec::new();
            for step in d
                .members
                .iter()
                .filter(|m| skippable(m))
                .filter_map(|m| m.step.clone())
            {
                if !steps.contains(&step) {
                    steps.push(step);
                }
            }
            steps
        })
    });
    let (pause_id, resume_id, skip_id, stop_id) = (id.clone(), id.clone(), id.clone(), id);
    view! {
        <Show when=move || under_way.get()>
            <section class="panel" id="run-controls" aria-label="Run controls">
                <div class="row-actions">
                    <button type="button" class="button" id="pause-run"
                        disabled=move || busy() || !is(SuiteStatus::Running)
                        on:click={ let id = pause_id.clone(); move |_| { pause.dispatch(id.clone()); } }>"Pause"</button>
                    <button type="button" class="button" id="resume-run"
                        disabled=move || busy() || !is(SuiteStatus::Paused)
                        on:click={ let id = resume_id.clone(); move |_| { resume.dispatch(id.clone()); } }>"Resume"</button>
                    <label class="check">"Step"
                        <select id="skip-step-name" on:change:target=move |ev| chosen.set(ev.target().value())>
                            <option value="" selected=move || chosen.get().is_empty()>"the current one"</option>
                            {move || choices.get().into_iter().map(|step| {
                                let (is_chosen, value) = (step.clone(), step.clone());
                                view! { <option value=value selected=move || chosen.get() == is_chosen>{step}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class="button" id="skip-step"
                        title="Stop the step with rollback, or never start it; it counts as neither passed nor failed"
                        disabled=move || busy() || choices.with(Vec::is_empty)
                        on:click={ let id = skip_id.clone(); move |_| {
                            let step = Some(chosen.get_untracked()).filter(|s| !s.is_empty());
                            skip.dispatch((id.clone(), step));
                        } }>"Skip step"</button>
                    <button type="button" class="button button-danger" id="stop-run"
                        title="Stop the running steps with rollback; nothing more starts"
                        disabled=busy
                        on:click={ let id = stop_id.clone(); move |_| { stop.dispatch(id.clone()); } }>"Stop"</button>
                </div>
            </section>
        </Show>
    }
}

/// Passed, failed, waiting and skipped members, the pass rate and the length.
#[component]
fn Summary(detail: RwSignal<SuiteDetail>) -> impl IntoView {
    let figure = move |f: fn(&SuiteDetail) -> String| move || detail.with(f);
    view! {
        <dl class="rec-figures" id="run-summary">
            <div><dt>"Passed"</dt><dd id="run-passed">{figure(|d| d.summary.results.passed_scenarios.to_string())}</dd></div>
            <div><dt>"Failed"</dt><dd id="run-failed">{figure(|d| d.summary.results.failed_scenarios.to_string())}</dd></div>
            <div><dt>"Waiting or running"</dt><dd id="run-pending">{figure(|d| d.summary.results.pending_scenarios.to_string())}</dd></div>
            <div><dt>"Skipped"</dt><dd id="run-skipped">{figure(|d| d.summary.results.skipped_scenarios.to_string())}</dd></div>
            <div><dt>"Pass rate"</dt><dd id="run-pass-rate">{figure(|d| format!("{}%", d.summary.results.pass_rate_percent))}</dd></div>
            <div><dt>"Speed"</dt><dd>{figure(|d| format!("×{}", d.summary.test_run.speed))}</dd></div>
            <div><dt>"Took"</dt><dd id="run-took">{figure(|d| format!("{:.1}s", d.summary.test_run.duration_seconds))}</dd></div>
            <div><dt>"Mean recovery"</dt><dd>{figure(|d| d.summary.results.average_recovery_time_seconds.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}s")))}</dd></div>
        </dl>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(status: &str) -> SuiteMember {
        SuiteMember {
            position: 0,
            execution_id: "e".into(),
            scenario: "s".into(),
            status: status.into(),
            passed: None,
            duration_seconds: None,
            recovery_time_seconds: None,
            step: Some("a".into()),
            iteration: Some(1),
            outcome: None,
        }
    }

    #[test]
    fn only_members_that_have_not_ended_can_be_skipped() {
        assert!(skippable(&member("pending")));
        assert!(skippable(&member("running")));
        assert!(!skippable(&member("completed")));
        assert!(!skippable(&member("not_run")));
        assert_eq!(passed_words(Some(true)), "yes");
        assert_eq!(passed_words(None), "—");
    }
}
