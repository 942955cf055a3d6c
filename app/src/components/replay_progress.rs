//! One replay as it plays: its execution (linked: the live view, the report),
//! its status, the events sent of all it will send, and, for operators,
//! Pause / Resume / Stop (its execution's controls, audited as
//! `pause-replay`, `resume-replay`, `stop-replay`). It re-reads the replay
//! every `tick` while it is queued, running or paused, and stops asking once
//! it has ended.

use leptos::prelude::*;

use crate::api::recording::ReplayView;
use crate::api::ExecutionStatus;
use crate::components::{outcome_of, Outcome};
use crate::server_fns::recording::{get_replay, pause_replay, resume_replay, stop_replay};

/// Whether a replay can still change (queued, running or paused).
pub fn replay_under_way(view: &ReplayView) -> bool {
    view.is_playing || view.is_paused
}

/// `3 of 4 events sent`, with the plays when it loops.
pub fn replay_words(view: &ReplayView) -> String {
    let all = u64::from(view.total_events) * u64::from(view.iterations.max(1));
    let plays = if view.iterations > 1 {
        format!(" ({} plays)", view.iterations)
    } else {
        String::new()
    };
    format!(
        "{} of {all} events sent{plays} · speed {}",
        view.current_event, view.speed
    )
}

/// The replay whose execution is `execution_id`; `tick` paces the re-reads
/// and `on_end` runs once when it has ended (the recording's replays list
/// follows).
#[component]
pub fn ReplayProgress(
    execution_id: String,
    tick: RwSignal<u32>,
    #[prop(into)] on_end: Callback<()>,
) -> impl IntoView {
    let operator = crate::me::can(crate::api::auth::Role::Operator);
    let pause = Action::new(|id: &String| pause_replay(id.clone()));
    let resume = Action::new(|id: &String| resume_replay(id.clone()));
    let stop = Action::new(|id: &String| stop_replay(id.clone()));
    let under_way = RwSignal::new(true);
    let id = execution_id.clone();
    let replay = LocalResource::new(move || {
        let _ = (
            pause.version().get(),
            resume.version().get(),
            stop.version().get(),
        );
        // Once it has ended, nothing more to ask.
        if under_way.get() {
            tick.track();
        }
        get_replay(id.clone())
    });
    Effect::new(move |_| {
        if let Some(Ok(view)) = replay.get() {
            let going = replay_under_way(&view);
            if under_way.get_untracked() && !going {
                under_way.set(false);
                on_end.run(());
            }
        }
    });
    let control_outcome = Signal::derive(move || {
        let failed = |result: Option<Result<ReplayView, crate::api::ApiError>>| {
            outcome_of(result.filter(Result::is_err), "Not done", |_| String::new())
        };
        failed(stop.value().get())
            .or_else(|| failed(pause.value().get()))
            .or_else(|| failed(resume.value().get()))
    });
    let current = move || replay.get().and_then(Result::ok);
    let status = move || {
        current()
            .map(|v| v.status.as_str().to_owned())
            .unwrap_or_else(|| "queued".to_owned())
    };
    let href = format!("/executions/{execution_id}");
    let short: String = execution_id.chars().take(8).collect();
    let controls = operator.then(|| {
        let (pause_id, resume_id, stop_id) = (
            execution_id.clone(),
            execution_id.clone(),
            execution_id.clone(),
        );
        let is = move |wanted: ExecutionStatus| current().is_some_and(|v| v.status == wanted);
        let busy = move || pause.pending().get() || resume.pending().get() || stop.pending().get();
        view! {
            <div class="row-actions">
                <button type="button" class="button" id="replay-pause"
                    disabled=move || busy() || !is(ExecutionStatus::Running)
                    on:click=move |_| { pause.dispatch(pause_id.clone()); }>"Pause"</button>
                <button type="button" class="button" id="replay-resume"
                    disabled=move || busy() || !is(ExecutionStatus::Paused)
                    on:click=move |_| { resume.dispatch(resume_id.clone()); }>"Resume"</button>
                <button type="button" class="button button-danger" id="replay-stop"
                    title="Stop it; its rollback clears the chaos it made"
                    disabled=move || busy() || !current().as_ref().is_some_and(replay_under_way)
                    on:click=move |_| { stop.dispatch(stop_id.clone()); }>"Stop"</button>
            </div>
        }
    });
    view! {
        <section class="panel rec-replay" id="replay-progress" aria-labelledby="replay-progress-title"
            data-execution=execution_id.clone() data-status=status>
            <h3 id="replay-progress-title">
                "Replay "<a href=href id="replay-execution" title="Its live view and report">{format!("execution {short}")}</a>
            </h3>
            <p class="rec-replay-line" aria-live="polite">
                <span class=move || format!("badge badge-{}", status()) id="replay-status">{status}</span>" "
                <span id="replay-words">{move || current().map(|v| replay_words(&v)).unwrap_or_else(|| "starting…".to_owned())}</span>
            </p>
            <progress class="progress" max="1" aria-label="Replay progress"
                value=move || current().map_or(0.0, |v| v.progress)></progress>
            {controls}
            <Outcome id="replay-control-result" outcome=control_outcome />
        </section>
    }
}
