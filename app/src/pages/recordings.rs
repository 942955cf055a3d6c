//! `/recordings` (issue 19; docs/recordings.md): start a recording and watch
//! it capture (events, dropped, elapsed, "Stop recording"), every recording
//! kept, and the one chosen (`?id=`, so it can be linked) in detail: its
//! events on a timeline and as a list, replay, export, remove and "Save as
//! scenario" (`recording_detail.rs`). Operators and admins also import a
//! recording (pasted, or read from a file). Viewers see the same without the
//! controls.
//!
//! The recording under way is read every second while one captures (every
//! five otherwise, so one started elsewhere shows up) into signals, so the
//! live panel and its Stop button are updated in place, never redrawn.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{
    auth::Role,
    describe::format_ms,
    recording::{RecordingStartRequest, RecordingView, DEFAULT_MAX_EVENTS, MAX_EVENTS},
    ApiError,
};
use crate::components::{outcome_of, readable_time, ErrorPanel, Loading, Outcome};
use crate::server_fns::{
    list_services,
    recording::{
        get_recording_status, import_recording, list_recordings, remove_recording, start_recording,
        stop_recording,
    },
    server_resource,
};

use super::recording_detail::RecordingDetailPane;

/// How often the page ticks (the status while one captures, a replay's progress), ms.
#[cfg(feature = "hydrate")]
const TICK_MS: u64 = 1_000;
/// While nothing captures, the status is re-read every this many ticks.
const IDLE_TICKS: u32 = 5;

/// The page's address with recording `id` chosen.
pub(crate) fn recording_path(id: &str) -> String {
    format!("/recordings?id={}", crate::components::query_value(id))
}

/// The Recordings page.
#[component]
pub fn Recordings() -> impl IntoView {
    let query = use_query_map();
    let selected = Memo::new(move |_| query.read().get("id").filter(|id| !id.is_empty()));
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || tick.update(|t| *t = t.wrapping_add(1)),
        std::time::Duration::from_millis(TICK_MS),
    ) {
        on_cleanup(move || handle.clear());
    }

    let start = Action::new(|request: &RecordingStartRequest| start_recording(request.clone()));
    let stop = Action::new(|id: &String| stop_recording(Some(id.clone())));
    let import = Action::new(|text: &String| import_recording(text.clone()));
    let remove = Action::new(|id: &String| remove_recording(id.clone()));

    // The recording under way, read in the browser only: the server renders
    // the page without it and hydration agrees; then it appears.
    let capturing = RwSignal::new(false);
    // Changes every tick while one captures, every IDLE_TICKS-th otherwise.
    let poll = Memo::new(move |_| {
        let t = tick.get();
        if capturing.get() {
            t
        } else {
            t / IDLE_TICKS
        }
    });
    let status = LocalResource::new(move || {
        let _ = (start.version().get(), stop.version().get(), poll.get());
        get_recording_status()
    });
    let live = Memo::new(move |_| {
        status
            .get()
            .and_then(Result::ok)
            .filter(|s| s.is_recording)
            .and_then(|s| s.recording)
    });
    Effect::new(move |_| {
        let now = live.with(Option::is_some);
        if capturing.get_untracked() != now {
            capturing.set(now);
        }
    });
    // The chosen recording's event count while it captures: its detail follows.
    let live_events = Memo::new(move |_| {
        live.with(|live| match (live, selected.get()) {
            (Some(live), Some(id)) if live.id == id => live.event_count,
            _ => 0,
        })
    });

    let feedback = RwSignal::new(None::<(bool, String)>);
    let navigate = use_navigate();
    let go = move |path: String| navigate(&path, Default::default());
    let go_started = go.clone();
    Effect::new(move |_| match start.value().get() {
        Some(Ok(view)) => {
            feedback.set(Some((false, format!("Recording “{}”.", view.name))));
            go_started(recording_path(&view.id));
        }
        failed => feedback.set(outcome_of(failed, "Not started", |_| String::new())),
    });
    let go_stopped = go.clone();
    Effect::new(move |_| match stop.value().get() {
        Some(Ok(view)) => {
            feedback.set(Some((
                false,
                format!(
                    "Stopped “{}”: {} event{} recorded.",
                    view.name,
                    view.event_count,
                    if view.event_count == 1 { "" } else { "s" }
                ),
            )));
            go_stopped(recording_path(&view.id));
        }
        failed => feedback.set(outcome_of(failed, "Not stopped", |_| String::new())),
    });
    let go_imported = go.clone();
    Effect::new(move |_| match import.value().get() {
        Some(Ok(view)) => {
            feedback.set(Some((
                false,
                format!("Imported “{}” ({} events).", view.name, view.event_count),
            )));
            go_imported(recording_path(&view.id));
        }
        failed => feedback.set(outcome_of(failed, "Not imported", |_| String::new())),
    });
    let go_home = go;
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => {
            feedback.set(Some((
                false,
                "Recording removed; its replays' executions stay in the history.".to_owned(),
            )));
            go_home("/recordings".to_owned());
        }
        failed => feedback.set(outcome_of(failed, "Not removed", |_| String::new())),
    });

    let recordings = server_resource(
        move || {
            (
                start.version().get(),
                stop.version().get(),
                import.version().get(),
                remove.version().get(),
                // The row of the one capturing follows its count.
                live.with(|l| l.as_ref().map(|l| l.event_count)),
            )
        },
        |_| list_recordings(),
    );
    let operator = crate::me::can(Role::Operator);

    view! {
        <Title text="Recordings" />
        <div class="page-head">
            <div>
                <h1>"Recordings"</h1>
                <p class="muted">
                    "A recording captures the chaos injected and cleared on the services while it runs — by executions and by hand — with what the proxies did and the services' health. Replay it, or save it as a scenario: a manual game day becomes a repeatable test."
                </p>
            </div>
        </div>
        <Outcome id="recording-feedback" outcome=feedback.into() />
        <LivePanel live operator stop />
        {operator.then(|| view! {
            <div class="two-columns rec-forms">
                <StartForm start capturing />
                <ImportForm import />
            </div>
        })}
        <section aria-labelledby="recordings-title">
            <h2 id="recordings-title">"All recordings"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match recordings.await {
                        Ok(list) => view! { <RecordingTable recordings=list.recordings selected /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        {move || selected.get().map(|id| view! {
            <RecordingDetailPane id tick live_events remove />
        })}
    }
}

/// The recording under way: name, events, dropped, elapsed; "Stop recording"
/// for operators.
#[component]
fn LivePanel(
    live: Memo<Option<RecordingView>>,
    operator: bool,
    stop: Action<String, Result<RecordingView, ApiError>>,
) -> impl IntoView {
    let field = move |f: fn(&RecordingView) -> String| {
        move || live.with(|l| l.as_ref().map(f).unwrap_or_default())
    };
    view! {
        <Show when=move || live.with(Option::is_some)>
            <section class="panel rec-live" id="recording-live" aria-labelledby="recording-live-title">
                <h2 id="recording-live-title">
                    <span class="rec-dot" aria-hidden="true">"●"</span>" Recording: "
                    <a id="live-name" href=move || live.with(|l| l.as_ref().map(|l| recording_path(&l.id)).unwrap_or_default())>
                        {field(|l| l.name.clone())}
                    </a>
                </h2>
                <dl class="rec-figures">
                    <div><dt>"Events"</dt><dd id="live-events">{field(|l| l.event_count.to_string())}</dd></div>
                    <div><dt>"Dropped"</dt><dd id="live-dropped">{field(|l| l.dropped_events.to_string())}</dd></div>
                    <div><dt>"Elapsed"</dt><dd id="live-elapsed">{field(|l| format_ms(l.total_duration_ms / 1000 * 1000))}</dd></div>
                    <div><dt>"Services"</dt><dd>{field(|l| services_words(&l.services))}</dd></div>
                    <div><dt>"Keeps at most"</dt><dd>{field(|l| format!("{} events", l.max_events))}</dd></div>
                </dl>
                {operator.then(|| view! {
                    <button type="button" class="button button-danger" id="stop-recording"
                        disabled=move || stop.pending().get()
                        on:click=move |_| {
                            if let Some(id) = live.with_untracked(|l| l.as_ref().map(|l| l.id.clone())) {
                                stop.dispatch(id);
                            }
                        }>
                        {move || if stop.pending().get() { "Stopping…" } else { "Stop recording" }}
                    </button>
                })}
            </section>
        </Show>
    }
}

/// `all services`, or the services named.
pub(crate) fn services_words(services: &[String]) -> String {
    if services.is_empty() {
        "all services".to_owned()
    } else {
        services.join(", ")
    }
}

/// Name, services (none ticked: all) and the cap; one recording at a time.
#[component]
fn StartForm(
    start: Action<RecordingStartRequest, Result<RecordingView, ApiError>>,
    capturing: RwSignal<bool>,
) -> impl IntoView {
    let services = server_resource(|| (), |_| list_services());
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let max_events = RwSignal::new(DEFAULT_MAX_EVENTS.to_string());
    let invalid = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let max = match max_events.get_untracked().trim().parse::<u32>() {
            Ok(max) if (1..=MAX_EVENTS).contains(&max) => max,
            _ => {
                invalid.set(Some(format!(
                    "Keep at most: a whole number from 1 to {MAX_EVENTS}."
                )));
                return;
            }
        };
        invalid.set(None);
        let name = name.get_untracked().trim().to_owned();
        start.dispatch(RecordingStartRequest {
            name: (!name.is_empty()).then_some(name),
            services: chosen.get_untracked(),
            max_events: Some(max),
        });
    };
    view! {
        <section class="panel" aria-labelledby="start-recording-title">
            <h2 id="start-recording-title">"Start a recording"</h2>
            <form class="form-stack" id="start-recording-form" on:submit=submit>
                <label for="recording-name">"Name"</label>
                <input type="text" id="recording-name" maxlength="128" placeholder="game day"
                    aria-describedby="recording-name-hint"
                    prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value()) />
                <p class="hint" id="recording-name-hint">"Empty: recording-<date and time>."</p>
                <fieldset class="rec-services">
                    <legend>"Services (none ticked: all of them)"</legend>
                    <Suspense fallback=Loading>
                        {move || Suspend::new(async move {
                            match services.await {
                                Ok(services) => view! {
                                    <div class="check-group" id="recording-services">
                                        {services.into_iter().map(|service| {
                                            let (checked, toggled) = (service.name.clone(), service.name.clone());
                                            view! {
                                                <label class="check">
                                                    <input type="checkbox" name="service" value=service.name.clone()
                                                        prop:checked=move || chosen.with(|c| c.contains(&checked))
                                                        on:change:target=move |ev| {
                                                            let on = ev.target().checked();
                                                            chosen.update(|c| {
                                                                c.retain(|s| s != &toggled);
                                                                if on { c.push(toggled.clone()); }
                                                            });
                                                        } />
                                                    {service.name}
                                                </label>
                                            }
                                        }).collect_view()}
                                    </div>
                                }.into_any(),
                                Err(error) => view! { <ErrorPanel error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </fieldset>
                <label for="recording-max-events">"Keep at most (events)"</label>
                <input type="number" id="recording-max-events" min="1" max=MAX_EVENTS.to_string() step="1"
                    aria-describedby="recording-max-hint"
                    prop:value=move || max_events.get() on:input:target=move |ev| max_events.set(ev.target().value()) />
                <p class="hint" id="recording-max-hint">"Later events are counted as dropped, not kept."</p>
                <p class="form-error" id="start-recording-problem" role="alert">{move || invalid.get()}</p>
                <button type="submit" class="button button-primary" id="start-recording"
                    disabled=move || capturing.get() || start.pending().get()
                    aria-describedby="start-recording-why">
                    {move || if start.pending().get() { "Starting…" } else { "Start recording" }}
                </button>
                <p class="hint" id="start-recording-why">
                    {move || capturing.get().then_some("One recording at a time: stop the one under way first.")}
                </p>
            </form>
        </section>
    }
}

/// A recording document (seed 004's JSON or YAML), pasted or read from a file.
#[component]
fn ImportForm(import: Action<String, Result<RecordingView, ApiError>>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let note = RwSignal::new(None::<(bool, String)>);
    let on_file = move |input: leptos::web_sys::HtmlInputElement| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let file_name = file.name();
            leptos::task::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    Ok(content) => {
                        text.set(content.as_string().unwrap_or_default());
                        note.set(Some((
                            false,
                            format!("Read {file_name}; not imported yet."),
                        )));
                    }
                    Err(_) => note.set(Some((true, format!("Could not read {file_name}.")))),
                }
                // The same file can be chosen again.
                input.set_value("");
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, text, note);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let document = text.get_untracked();
        if document.trim().is_empty() {
            note.set(Some((
                true,
                "Paste a recording or choose a file first.".to_owned(),
            )));
            return;
        }
        note.set(None);
        import.dispatch(document);
    };
    view! {
        <section class="panel" aria-labelledby="import-recording-title">
            <h2 id="import-recording-title">"Import a recording"</h2>
            <form class="form-stack" id="import-recording-form" on:submit=submit>
                <label for="import-text">"Recording (JSON or YAML, as exported)"</label>
                <textarea id="import-text" class="rec-import-text" rows="6" spellcheck="false"
                    prop:value=move || text.get() on:input:target=move |ev| text.set(ev.target().value())></textarea>
                <div class="row-actions">
                    <label class="button" for="import-file">"Read a file…"</label>
                    <input type="file" id="import-file" class="visually-hidden" accept=".json,.yaml,.yml,application/json,text/yaml,text/plain"
                        on:change:target=move |ev| on_file(ev.target()) />
                    <button type="submit" class="button button-primary" id="import-recording"
                        disabled=move || import.pending().get()>
                        {move || if import.pending().get() { "Importing…" } else { "Import" }}
                    </button>
                </div>
                <p id="import-note" role="status">
                    {move || note.get().map(|(bad, text)| view! { <span class:form-error=bad class:muted=!bad>{text}</span> })}
                </p>
            </form>
        </section>
    }
}

/// Every recording, newest first; a name opens its detail.
#[component]
fn RecordingTable(recordings: Vec<RecordingView>, selected: Memo<Option<String>>) -> impl IntoView {
    if recordings.is_empty() {
        return view! {
            <p class="panel" id="no-recordings">"No recordings yet. Start one above, then inject chaos (a scenario, the Services page or the API) and stop it."</p>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" id="recordings-table">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Events"</th>
                    <th scope="col">"Length"</th>
                    <th scope="col">"Started"</th>
                </tr></thead>
                <tbody>
                    {recordings.into_iter().map(|r| {
                        let id = r.id.clone();
                        let current = move || (selected.get().as_deref() == Some(id.as_str())).then_some("page");
                        let is_current = current.clone();
                        let dropped = (r.dropped_events > 0).then(|| format!(" ({} dropped)", r.dropped_events));
                        view! {
                            <tr data-recording=r.id.clone() data-name=r.name.clone() class:rec-row-selected=move || is_current().is_some()>
                                <th scope="row">
                                    <a class="rec-open" href=recording_path(&r.id) aria-current=current>{r.name.clone()}</a>
                                    <div class="muted rec-by">{format!("by {} · {}", r.created_by, services_words(&r.services))}</div>
                                </th>
                                <td><span class=format!("badge rec-state-{}", r.state.as_str())>{r.state.as_str()}</span></td>
                                <td class="rec-count">{r.event_count.to_string()}{dropped}</td>
                                <td>{format_ms(r.total_duration_ms)}</td>
                                <td>{readable_time(&r.started_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
