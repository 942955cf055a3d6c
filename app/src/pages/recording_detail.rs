//! The Recordings page's chosen recording: what it is (state, events, dropped,
//! length, who, which services), Export JSON / YAML (the REST download, like a
//! scenario's "Download YAML"), "Remove…" behind an in-place confirmation, its
//! events on one time axis and as a list, and, for operators, the replay
//! form (speed, loop, skip the initial delay, which event types) with
//! "Replay" and "Save as scenario…" (the editor opened on the scenario a
//! replay with those choices runs), the replay's progress and controls, and
//! its earlier replays.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::api::{
    auth::Role,
    describe::format_ms,
    download::{path_segment, scenario_file_name},
    recording::{
        ExportFormat, RecordingDetail, RecordingState, RecordingView, ReplayRequest, ReplayShape,
        ReplaySpeed, ReplayView, SpeedWord,
    },
    ApiError, MAX_REPEAT,
};
use crate::components::recording_timeline::{
    event_symbol, recording_timeline_svg, RecordingEvents, MAX_MARKS,
};
use crate::components::replay_progress::{replay_under_way, replay_words, ReplayProgress};
use crate::components::{outcome_of, readable_time, ConfirmButton, ErrorPanel, Loading, Outcome};
use crate::server_fns::{
    recording::{get_recording, start_replay},
    server_resource,
};

use super::editor::recording_scenario_path;
use super::recordings::services_words;

/// The event types a replay sends, which its filter chooses among.
const REPLAYED: [&str; 2] = ["ChaosInjected", "ChaosCleared"];

/// The link that downloads recording `id` (named `name`) as `format`.
fn export_link(id: &str, name: &str, format: ExportFormat) -> (String, String) {
    let (word, extension) = match format {
        ExportFormat::Json => ("json", "json"),
        ExportFormat::Yaml => ("yaml", "yaml"),
    };
    // The scenario download's safe file name rule, with the recording's extension.
    let safe = scenario_file_name(name, "", None);
    let stem = safe.strip_suffix(".yaml").unwrap_or(&safe);
    (
        format!(
            "/api/v1/recordings/{}/export?format={word}",
            path_segment(id)
        ),
        format!("{stem}.recording.{extension}"),
    )
}

/// How fast the form replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpeedChoice {
    Realtime,
    Fast,
    Multiplier,
}

/// The replay form's choices; kept by the pane, so a refresh of the
/// recording does not reset them.
#[derive(Clone, Copy)]
struct ReplayChoices {
    speed: RwSignal<SpeedChoice>,
    multiplier: RwSignal<String>,
    looped: RwSignal<bool>,
    max_iterations: RwSignal<String>,
    skip_initial_delay: RwSignal<bool>,
    /// The replayed types ticked.
    types: RwSignal<Vec<&'static str>>,
}

impl ReplayChoices {
    fn new() -> Self {
        Self {
            speed: RwSignal::new(SpeedChoice::Realtime),
            multiplier: RwSignal::new("10".to_owned()),
            looped: RwSignal::new(false),
            max_iterations: RwSignal::new("2".to_owned()),
            skip_initial_delay: RwSignal::new(false),
            types: RwSignal::new(REPLAYED.to_vec()),
        }
    }

    /// The filter: none when every replayed type is ticked (all of them).
    fn event_types(&self) -> Result<Vec<String>, String> {
        let types = self.types.get_untracked();
        match types.len() {
            0 => Err("Tick at least one event type to replay.".to_owned()),
            n if n == REPLAYED.len() => Ok(Vec::new()),
            _ => Ok(types.into_iter().map(str::to_owned).collect()),
        }
    }

    /// What "Save as scenario…" builds: the replay's shape, its speed aside.
    fn shape(&self) -> Result<ReplayShape, String> {
        Ok(ReplayShape {
            skip_initial_delay: self.skip_initial_delay.get_untracked(),
            event_types: self.event_types()?,
            fast: self.speed.get_untracked() == SpeedChoice::Fast,
        })
    }

    /// The replay of recording `id` the form asks for; the server checks the
    /// bounds and names a wrong field.
    fn request(&self, id: &str) -> Result<ReplayRequest, String> {
        let speed = match self.speed.get_untracked() {
            SpeedChoice::Realtime => ReplaySpeed::Word(SpeedWord::Realtime),
            SpeedChoice::Fast => ReplaySpeed::Word(SpeedWord::Fast),
            SpeedChoice::Multiplier => {
                match self.multiplier.get_untracked().trim().parse::<f64>() {
                    Ok(m) => ReplaySpeed::Multiplier(m),
                    Err(_) => {
                        return Err(
                            "The multiplier must be a number, e.g. 10 (ten times faster)."
                                .to_owned(),
                        )
                    }
                }
            }
        };
        let looped = self.looped.get_untracked();
        let max_iterations = if looped {
            match self.max_iterations.get_untracked().trim().parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    return Err(format!(
                        "Plays at most: a whole number from 1 to {MAX_REPEAT}."
                    ))
                }
            }
        } else {
            None
        };
        Ok(ReplayRequest {
            recording_id: Some(id.to_owned()),
            speed,
            loop_replay: looped,
            max_iterations,
            skip_initial_delay: self.skip_initial_delay.get_untracked(),
            event_types: self.event_types()?,
            ..ReplayRequest::default()
        })
    }
}

/// The recording `id` in detail. `live_events` is its event count while it
/// captures (its detail is re-read as it grows); `remove` is the page's.
#[component]
pub fn RecordingDetailPane(
    id: String,
    tick: RwSignal<u32>,
    live_events: Memo<u32>,
    remove: Action<String, Result<(), ApiError>>,
) -> impl IntoView {
    let replay = Action::new(|request: &ReplayRequest| start_replay(request.clone()));
    let replay_ended = RwSignal::new(0u32);
    let key_id = id.clone();
    let detail = server_resource(
        move || {
            (
                key_id.clone(),
                live_events.get(),
                replay.version().get(),
                replay_ended.get(),
            )
        },
        |(id, ..)| get_recording(id),
    );
    let choices = ReplayChoices::new();
    // The replay shown with its progress: the one just started, or one
    // under way when the recording was opened.
    let playing = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(view)) = replay.value().get() {
            playing.set(Some(view.execution_id));
        }
    });
    Effect::new(move |attached: Option<bool>| {
        if attached == Some(true) {
            return true;
        }
        match detail.get() {
            Some(Ok(detail)) => {
                if let Some(going) = detail.replays.iter().find(|r| replay_under_way(r)) {
                    playing.set(Some(going.execution_id.clone()));
                }
                true
            }
            _ => false,
        }
    });
    let replay_outcome = Signal::derive(move || {
        outcome_of(
            replay.value().get().filter(Result::is_err),
            "Not started",
            |_: ReplayView| String::new(),
        )
    });
    let confirming = RwSignal::new(None::<String>);
    let operator = crate::me::can(Role::Operator);

    view! {
        <section class="rec-detail" id="recording-detail" data-recording=id.clone() aria-labelledby="recording-detail-title">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => {
                            let recording = detail.recording.clone();
                            let capturing = recording.state == RecordingState::Recording;
                            let recording_id = recording.id.clone();
                            view! {
                                <DetailHead recording operator confirming remove />
                                <DetailTimeline detail />
                                {(operator && !capturing).then(|| view! {
                                    <ReplayForm id=recording_id choices replay />
                                })}
                                {capturing.then(|| view! {
                                    <p class="hint" id="replay-after-stop">"Stop the recording to replay it or save it as a scenario."</p>
                                })}
                            }.into_any()
                        }
                        Err(error) => view! { <h2 id="recording-detail-title">"Recording"</h2><ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
            <Outcome id="replay-result" outcome=replay_outcome />
            {move || playing.get().map(|execution_id| view! {
                <ReplayProgress execution_id tick on_end=move |_: ()| replay_ended.update(|n| *n += 1) />
            })}
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    detail.await.ok().map(|detail| {
                        let started = started_of(&detail);
                        let RecordingDetail { events, replays, .. } = detail;
                        view! {
                            <ReplayList replays />
                            <h3 id="recording-events-title">"Events"</h3>
                            {if events.is_empty() {
                                view! { <p class="muted">"None yet."</p> }.into_any()
                            } else {
                                view! { <RecordingEvents events started /> }.into_any()
                            }}
                        }
                    })
                })}
            </Transition>
        </section>
    }
}

/// When the recording started (its first event's time if the text is odd).
fn started_of(detail: &RecordingDetail) -> OffsetDateTime {
    OffsetDateTime::parse(&detail.recording.started_at, &Rfc3339)
        .ok()
        .or_else(|| detail.events.first().map(|e| e.timestamp))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Name, what it holds, Export JSON / YAML and "Remove…".
#[component]
fn DetailHead(
    recording: RecordingView,
    operator: bool,
    confirming: RwSignal<Option<String>>,
    remove: Action<String, Result<(), ApiError>>,
) -> impl IntoView {
    let r = recording;
    let (json_href, json_file) = export_link(&r.id, &r.name, ExportFormat::Json);
    let (yaml_href, yaml_file) = export_link(&r.id, &r.name, ExportFormat::Yaml);
    let removable = operator && r.state != RecordingState::Recording;
    let remove_id = r.id.clone();
    let dropped = format!(
        "{} dropped (past the cap of {})",
        r.dropped_events, r.max_events
    );
    view! {
        <div class="page-head rec-detail-head">
            <div>
                <h2 id="recording-detail-title">{r.name.clone()}</h2>
                <p class="card-meta">
                    <span class=format!("badge rec-state-{}", r.state.as_str()) id="detail-state">{r.state.as_str()}</span>
                    <span id="detail-events">{format!("{} event{}", r.event_count, if r.event_count == 1 { "" } else { "s" })}</span>
                    {(r.dropped_events > 0).then(|| view! { <span class="tag tag-warn" id="detail-dropped">{dropped}</span> })}
                    <span>{format!("{} long", format_ms(r.total_duration_ms))}</span>
                    <span>{format!("started {}", readable_time(&r.started_at))}</span>
                    <span>{format!("by {}", r.created_by)}</span>
                    <span>{services_words(&r.services)}</span>
                </p>
            </div>
            <div class="page-actions">
                <a class="button" id="export-json" href=json_href download=json_file.clone() title=format!("Saves {json_file}")>"Export JSON"</a>
                <a class="button" id="export-yaml" href=yaml_href download=yaml_file.clone() title=format!("Saves {yaml_file}")>"Export YAML"</a>
                {removable.then(|| view! {
                    <ConfirmButton key=r.id.clone() id="remove-recording" label="Remove…"
                        question=format!("Remove “{}” and its events? Its replays' executions stay.", r.name)
                        yes="Yes, remove" confirming on_confirm=move || { remove.dispatch(remove_id.clone()); } />
                })}
            </div>
        </div>
    }
}

/// The events on one time axis, with the legend; or why there is nothing to draw.
#[component]
fn DetailTimeline(detail: RecordingDetail) -> impl IntoView {
    if detail.events.is_empty() {
        return view! {
            <p class="panel" id="no-events">"No events recorded. Chaos injected or cleared on the services while it records — by a scenario, the Services page or the API — shows here."</p>
        }
        .into_any();
    }
    let started = started_of(&detail);
    let svg = recording_timeline_svg(&detail.events, started, detail.recording.total_duration_ms);
    let cut = (detail.events.len() > MAX_MARKS).then(|| {
        format!(
            " The first {MAX_MARKS} of {} events are drawn; the list has them all.",
            detail.events.len()
        )
    });
    let legend = [
        ("injected", "injected"),
        ("cleared", "cleared"),
        ("effect", "a proxy's effect"),
        ("healthy", "healthy again"),
        ("unhealthy", "unhealthy"),
    ];
    view! {
        <figure class="rec-timeline-box" aria-labelledby="recording-timeline-caption">
            <div class="rec-timeline-scroll" role="region" tabindex="0" aria-label="Timeline (scrolls sideways on narrow screens)" inner_html=svg></div>
            <figcaption id="recording-timeline-caption">
                <ul class="rec-legend">
                    {legend.into_iter().map(|(kind, words)| view! {
                        <li><span class=format!("rec-symbol rec-{kind}") aria-hidden="true">{event_symbol(kind)}</span>" "{words}</li>
                    }).collect_view()}
                    <li><span class="rec-swatch" aria-hidden="true"></span>" chaos in place"</li>
                </ul>
                <span class="muted">"One lane per service: what a replay sends above, what was only observed below. Hover a mark for what it was."{cut}</span>
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Speed, loop, skip the initial delay, event types; "Replay" and "Save as scenario…".
#[component]
fn ReplayForm(
    id: String,
    choices: ReplayChoices,
    replay: Action<ReplayRequest, Result<ReplayView, ApiError>>,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let replay_id = id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match choices.request(&replay_id) {
            Ok(request) => {
                problem.set(None);
                replay.dispatch(request);
            }
            Err(why) => problem.set(Some(why)),
        }
    };
    let save_as = move |_| match choices.shape() {
        Ok(shape) => {
            problem.set(None);
            navigate(&recording_scenario_path(&id, &shape), Default::default());
        }
        Err(why) => problem.set(Some(why)),
    };
    let ReplayChoices {
        speed,
        multiplier,
        looped,
        max_iterations,
        skip_initial_delay,
        types,
    } = choices;
    let speed_radio = move |choice: SpeedChoice, radio_id: &'static str, words: &'static str| {
        view! {
            <label class="check">
                <input type="radio" name="replay-speed" id=radio_id
                    prop:checked=move || speed.get() == choice
                    on:change=move |_| speed.set(choice) />
                {words}
            </label>
        }
    };
    view! {
        <section class="panel rec-replay-form" aria-labelledby="replay-form-title">
            <h3 id="replay-form-title">"Replay"</h3>
            <form id="replay-form" on:submit=submit>
                <div class="rec-form-grid">
                    <fieldset>
                        <legend>"Speed"</legend>
                        {speed_radio(SpeedChoice::Realtime, "speed-realtime", "Realtime: the recording's own timing")}
                        {speed_radio(SpeedChoice::Fast, "speed-fast", "Fast: in order, no waits")}
                        <div class="check">
                            {speed_radio(SpeedChoice::Multiplier, "speed-multiplier", "Faster ×")}
                            <input type="number" id="replay-multiplier" class="rec-number" min="0.001" max="1000000" step="any"
                                aria-label="Multiplier (10 is ten times faster)"
                                prop:value=move || multiplier.get()
                                on:input:target=move |ev| { multiplier.set(ev.target().value()); speed.set(SpeedChoice::Multiplier); } />
                        </div>
                    </fieldset>
                    <fieldset>
                        <legend>"Events"</legend>
                        {REPLAYED.into_iter().map(|name| {
                            let words = if name == "ChaosInjected" { "injections (▲)" } else { "clears (■)" };
                            view! {
                                <label class="check">
                                    <input type="checkbox" name="event-type" value=name id=format!("type-{name}")
                                        prop:checked=move || types.with(|t| t.contains(&name))
                                        on:change:target=move |ev| {
                                            let on = ev.target().checked();
                                            types.update(|t| { t.retain(|n| *n != name); if on { t.push(name); } });
                                        } />
                                    {words}
                                </label>
                            }
                        }).collect_view()}
                        <label class="check">
                            <input type="checkbox" id="replay-skip-delay"
                                prop:checked=move || skip_initial_delay.get()
                                on:change:target=move |ev| skip_initial_delay.set(ev.target().checked()) />
                            "Skip the wait before the first event"
                        </label>
                        <p class="hint">"Effects and health changes were observed, not made: a replay never sends them."</p>
                    </fieldset>
                    <fieldset>
                        <legend>"Repeat"</legend>
                        <label class="check">
                            <input type="checkbox" id="replay-loop"
                                prop:checked=move || looped.get()
                                on:change:target=move |ev| looped.set(ev.target().checked()) />
                            "Loop: play it again when it ends"
                        </label>
                        <label class="check" for="replay-max-iterations">"Plays at most"
                            <input type="number" id="replay-max-iterations" class="rec-number" min="1" max=MAX_REPEAT.to_string() step="1"
                                disabled=move || !looped.get()
                                prop:value=move || max_iterations.get()
                                on:input:target=move |ev| max_iterations.set(ev.target().value()) />
                        </label>
                    </fieldset>
                </div>
                <p class="form-error" id="replay-problem" role="alert">{move || problem.get()}</p>
                <div class="row-actions">
                    <button type="submit" class="button button-primary" id="replay-button"
                        disabled=move || replay.pending().get()>
                        {move || if replay.pending().get() { "Starting…" } else { "Replay" }}
                    </button>
                    <button type="button" class="button" id="save-as-scenario" aria-describedby="save-as-scenario-hint"
                        on:click=save_as>"Save as scenario…"</button>
                </div>
                <p class="hint" id="save-as-scenario-hint">
                    "A replay is an execution: it has the live view, the report and rollback on stop. “Save as scenario…” opens the editor on the scenario this replay runs (its speed aside), to review and save."
                </p>
            </form>
        </section>
    }
}

/// The recording's earlier replays, newest first.
#[component]
fn ReplayList(replays: Vec<ReplayView>) -> impl IntoView {
    (!replays.is_empty()).then(|| {
        view! {
            <h3 id="replays-title">"Replays"</h3>
            <div class="table-wrap">
                <table class="table" id="replays-table" aria-labelledby="replays-title">
                    <thead><tr>
                        <th scope="col">"Execution"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Progress"</th>
                        <th scope="col">"Asked for"</th>
                    </tr></thead>
                    <tbody>
                        {replays.into_iter().map(|r| {
                            let short: String = r.execution_id.chars().take(8).collect();
                            let status = r.status.as_str();
                            view! {
                                <tr data-execution=r.execution_id.clone()>
                                    <th scope="row"><a href=format!("/executions/{}", r.execution_id)>{format!("execution {short}")}</a></th>
                                    <td><span class=format!("badge badge-{status}")>{status}</span></td>
                                    <td>{replay_words(&r)}</td>
                                    <td>{readable_time(&r.started_at)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::recording::RecordedEventType;

    #[test]
    fn exports_link_the_rest_download_with_a_safe_file_name() {
        let (href, file) = export_link("a b", "Game day #3", ExportFormat::Yaml);
        assert_eq!(href, "/api/v1/recordings/a%20b/export?format=yaml");
        assert_eq!(file, "Game-day--3.recording.yaml");
        let (_, file) = export_link("x", "../..", ExportFormat::Json);
        assert_eq!(file, "scenario.recording.json");
    }

    #[test]
    fn the_event_type_names_offered_are_the_replayed_ones() {
        for name in REPLAYED {
            assert!(RecordedEventType::TYPE_NAMES.contains(&name));
        }
    }
}
