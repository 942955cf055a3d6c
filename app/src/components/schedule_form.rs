//! "Schedule…" on a scenario page (issue 18): a dialog that puts the scenario
//! on a calendar — once, after a delay, every N seconds or on a cron
//! expression in a time zone (the browser's by default) — with its speed and
//! policies. While the fields change it shows, in plain words, what the server
//! makes of them and the next runs in the viewer's zone and UTC
//! (`preview-schedule`), or the server's message naming the wrong field. The
//! dialog follows the modal focus rules (`modal_focus`), like "Run…".

use leptos::html;
use leptos::prelude::*;

use super::modal_focus;
use super::zoned_time::{
    browser_zone, local_input_from_now, local_input_to_utc, viewer_zone, zoned_label,
};

use crate::api::{
    check_speed,
    schedule::{
        ConcurrencyPolicy, MissedPolicy, SchedulePolicies, SchedulePreviewRequest, ScheduleRequest,
        ScheduleTiming, ScheduleView, MAX_SCHEDULE_NAME,
    },
    ExecuteOptions, ExecuteRequest, MAX_SPEED, MIN_SPEED,
};
use crate::server_fns::schedule::{create_schedule, preview_schedule};

/// How long the fields rest before the preview asks the server, ms.
const PREVIEW_DELAY_MS: u64 = 250;
/// How many next runs the preview lists.
const PREVIEW_RUNS: usize = 5;

/// The fields as typed.
#[derive(Debug, Clone, PartialEq)]
struct Fields {
    kind: String,
    at: String,
    delay: String,
    interval: String,
    max_runs: String,
    expression: String,
    zone: String,
}

impl Fields {
    /// The timing the fields give, or what is missing in words (nothing is
    /// sent then; the server checks the rest and names the field).
    fn timing(&self) -> Result<ScheduleTiming, String> {
        let seconds = |text: &str, what: &str| {
            text.trim()
                .parse::<u64>()
                .map_err(|_| format!("{what} is a whole number of seconds, e.g. 3600 (an hour)."))
        };
        match self.kind.as_str() {
            "once" => {
                if self.at.trim().is_empty() {
                    return Err("Choose the date and time it runs.".to_owned());
                }
                local_input_to_utc(&self.at)
                    .map(|at| ScheduleTiming::Once { at })
                    .ok_or_else(|| "The date and time do not read.".to_owned())
            }
            "delayed" => Ok(ScheduleTiming::Delayed {
                delay_seconds: seconds(&self.delay, "The delay")?,
            }),
            "periodic" => {
                let max_executions = match self.max_runs.trim() {
                    "" => None,
                    text => Some(text.parse::<u32>().map_err(|_| {
                        "At most … runs is a whole number (empty: no limit).".to_owned()
                    })?),
                };
                Ok(ScheduleTiming::Periodic {
                    interval_seconds: seconds(&self.interval, "The interval")?,
                    max_executions,
                })
            }
            _ => {
                if self.expression.trim().is_empty() {
                    return Err("Give a cron expression, e.g. 0 2 * * MON-FRI.".to_owned());
                }
                let zone = self.zone.trim();
                Ok(ScheduleTiming::Cron {
                    expression: self.expression.trim().to_owned(),
                    time_zone: if zone.is_empty() { "UTC" } else { zone }.to_owned(),
                })
            }
        }
    }
}

/// A "Schedule…" button and its dialog for the library scenario `scenario`
/// (an uploaded one when `custom`). With `source`, it schedules what that
/// holds instead (a template's rendering); an `Err` says why it cannot yet.
#[component]
pub fn ScheduleDialog(
    #[prop(optional, into)] scenario: String,
    #[prop(optional)] custom: bool,
    #[prop(optional, into)] source: Option<Signal<Result<ExecuteRequest, String>>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let opener = NodeRef::<html::Button>::new();
    let first = NodeRef::<html::Input>::new();
    let last = NodeRef::<html::Button>::new();
    modal_focus(open, opener, move || {
        if let Some(element) = first.get() {
            let _ = element.focus();
        }
    });
    let default_name = if scenario.is_empty() {
        "scheduled run".to_owned()
    } else {
        scenario.clone()
    };
    view! {
        <button
            type="button"
            id="schedule-button"
            class="button"
            aria-haspopup="dialog"
            node_ref=opener
            on:click=move |_| open.set(true)
        >
            "Schedule…"
        </button>
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| open.set(false)></div>
            <div
                class="dialog dialog-wide"
                role="dialog"
                aria-modal="true"
                aria-labelledby="schedule-dialog-title"
                id="schedule-dialog"
            >
                // Focus that leaves either end lands on these and wraps to the other end.
                <span class="focus-guard" tabindex="0" on:focus=move |_| { if let Some(b) = last.get_untracked() { let _ = b.focus(); } }></span>
                <h2 id="schedule-dialog-title">"Schedule this scenario"</h2>
                <ScheduleForm scenario=scenario.clone() custom source name=default_name.clone() open first last />
                <span class="focus-guard" tabindex="0" on:focus=move |_| { if let Some(i) = first.get_untracked() { let _ = i.focus(); } }></span>
            </div>
        </Show>
    }
}

/// The dialog's form: built when the dialog opens (in the browser), so the
/// browser's zone and clock give the defaults.
#[component]
fn ScheduleForm(
    scenario: String,
    custom: bool,
    source: Option<Signal<Result<ExecuteRequest, String>>>,
    name: String,
    open: RwSignal<bool>,
    first: NodeRef<html::Input>,
    last: NodeRef<html::Button>,
) -> impl IntoView {
    let zone = viewer_zone();
    let name = RwSignal::new(name);
    let kind = RwSignal::new("cron".to_owned());
    let at = RwSignal::new(local_input_from_now(3600).unwrap_or_default());
    let delay = RwSignal::new("600".to_owned());
    let interval = RwSignal::new("3600".to_owned());
    let max_runs = RwSignal::new(String::new());
    let expression = RwSignal::new("0 2 * * MON-FRI".to_owned());
    let time_zone = RwSignal::new(browser_zone().unwrap_or_else(|| "UTC".to_owned()));
    let speed = RwSignal::new("600".to_owned());
    let concurrency = RwSignal::new(ConcurrencyPolicy::Forbid);
    let missed = RwSignal::new(MissedPolicy::Skip);
    let enabled = RwSignal::new(true);
    let invalid = RwSignal::new(None::<String>);

    let fields = Memo::new(move |_| Fields {
        kind: kind.get(),
        at: at.get(),
        delay: delay.get(),
        interval: interval.get(),
        max_runs: max_runs.get(),
        expression: expression.get(),
        zone: time_zone.get(),
    });
    let policies = move || SchedulePolicies {
        enabled: enabled.get(),
        concurrency: concurrency.get(),
        missed: missed.get(),
        ..SchedulePolicies::default()
    };

    // The preview: the fields once they rest for a moment, checked by the
    // server; a newer change makes an older answer moot.
    let settled = RwSignal::new(None::<SchedulePreviewRequest>);
    let problem = RwSignal::new(None::<String>);
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let timing = fields.get().timing();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        match timing {
            Err(why) => {
                problem.set(Some(why));
                settled.set(None);
            }
            Ok(schedule) => {
                problem.set(None);
                let request = SchedulePreviewRequest {
                    schedule,
                    policies: SchedulePolicies::default(),
                };
                set_timeout(
                    move || {
                        if generation.try_get_value() == Some(mine) {
                            settled.set(Some(request));
                        }
                    },
                    std::time::Duration::from_millis(PREVIEW_DELAY_MS),
                );
            }
        }
    });
    let preview = LocalResource::new(move || {
        let request = settled.get();
        async move {
            match request {
                Some(request) => Some(preview_schedule(request).await),
                None => None,
            }
        }
    });

    let create = Action::new(move |request: &ScheduleRequest| {
        let request = request.clone();
        async move { create_schedule(request).await }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let timing = match fields.get_untracked().timing() {
            Ok(timing) => timing,
            Err(why) => {
                invalid.set(Some(why));
                return;
            }
        };
        let speed_value = match speed.get_untracked().trim().parse::<f64>() {
            Ok(value) => value,
            Err(_) => {
                invalid.set(Some(
                    "Speed must be a number, e.g. 600 (ten minutes of scenario a second).".into(),
                ));
                return;
            }
        };
        if let Err(message) = check_speed(speed_value) {
            invalid.set(Some(sentence(message)));
            return;
        }
        let mut request = ScheduleRequest {
            name: name.get_untracked().trim().to_owned(),
            scenario: None,
            scenario_id: None,
            version: None,
            yaml: None,
            template: None,
            parameters: None,
            suite: None,
            schedule: timing,
            options: ExecuteOptions {
                speed: speed_value,
                ..ExecuteOptions::default()
            },
            policies: policies(),
        };
        match source.map(|s| s.get_untracked()) {
            Some(Ok(from)) => {
                request.scenario = from.scenario;
                request.scenario_id = from.scenario_id;
                request.yaml = from.yaml;
                request.template = from.template;
                request.parameters = from.parameters;
            }
            // `blocked` below already says why.
            Some(Err(_)) => {
                invalid.set(None);
                return;
            }
            None if custom => request.scenario_id = Some(scenario.clone()),
            None => request.scenario = Some(scenario.clone()),
        }
        invalid.set(None);
        create.dispatch(request);
    };

    let blocked = move || source.and_then(|s| s.get().err());
    let error = move || {
        invalid
            .get()
            .or_else(blocked)
            .or_else(|| match create.value().get() {
                Some(Err(e)) => Some(e.message),
                _ => None,
            })
    };
    let created = move || match create.value().get() {
        Some(Ok(view)) => Some(view),
        _ => None,
    };
    let show = move |which: &'static str| move || kind.get() == which;

    view! {
        <Show when=move || created().is_none() fallback=move || view! {
            <Created view=created() zone open last />
        }>
            <form on:submit=submit.clone() id="schedule-form">
                <label for="schedule-name">"Name"</label>
                <input id="schedule-name" type="text" required maxlength=MAX_SCHEDULE_NAME.to_string() node_ref=first
                    prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value()) />
                <label for="schedule-kind">"When"</label>
                <select id="schedule-kind" prop:value=move || kind.get()
                    on:change:target=move |ev| kind.set(ev.target().value())>
                    <option value="once">"Once, at a date and time"</option>
                    <option value="delayed">"Once, after a delay"</option>
                    <option value="periodic">"Every N seconds"</option>
                    <option value="cron">"On a cron calendar"</option>
                </select>
                <Show when=show("once")>
                    <label for="schedule-at">"Date and time (your time zone)"</label>
                    <input id="schedule-at" type="datetime-local" prop:value=move || at.get()
                        on:input:target=move |ev| at.set(ev.target().value()) />
                </Show>
                <Show when=show("delayed")>
                    <label for="schedule-delay">"Delay (seconds)"</label>
                    <input id="schedule-delay" type="number" min="1" step="1" prop:value=move || delay.get()
                        on:input:target=move |ev| delay.set(ev.target().value()) />
                </Show>
                <Show when=show("periodic")>
                    <label for="schedule-interval">"Every (seconds)"</label>
                    <input id="schedule-interval" type="number" min="1" step="1" prop:value=move || interval.get()
                        on:input:target=move |ev| interval.set(ev.target().value()) />
                    <label for="schedule-max">"At most … runs (empty: no limit)"</label>
                    <input id="schedule-max" type="number" min="1" step="1" prop:value=move || max_runs.get()
                        on:input:target=move |ev| max_runs.set(ev.target().value()) />
                </Show>
                <Show when=show("cron")>
                    <label for="schedule-expression">"Cron expression (5 fields, or 6 with seconds first)"</label>
                    <input id="schedule-expression" type="text" spellcheck="false" autocomplete="off" prop:value=move || expression.get()
                        on:input:target=move |ev| expression.set(ev.target().value()) />
                    <label for="schedule-zone">"Time zone (IANA)"</label>
                    <input id="schedule-zone" type="text" spellcheck="false" autocomplete="off" prop:value=move || time_zone.get()
                        on:input:target=move |ev| time_zone.set(ev.target().value()) />
                </Show>
                <div class="schedule-preview" id="schedule-preview" role="status" aria-live="polite">
                    {move || {
                        if let Some(why) = problem.get() {
                            return view! { <p class="hint" id="schedule-hint">{why}</p> }.into_any();
                        }
                        match preview.get().flatten() {
                            None => view! { <p class="muted">"Checking…"</p> }.into_any(),
                            Some(Err(error)) => view! { <p class="form-error" id="schedule-problem">{error.message}</p> }.into_any(),
                            Some(Ok(preview)) => {
                                let zone_now = zone.get();
                                let runs: Vec<String> = preview.upcoming.iter().take(PREVIEW_RUNS)
                                    .map(|at| zoned_label(at, zone_now.as_deref())).collect();
                                let next = runs.first().cloned()
                                    .map(|first| format!("; next: {first}"))
                                    .unwrap_or_else(|| "; no run in the next 7 days".to_owned());
                                view! {
                                    <p id="schedule-words"><strong>{preview.description}</strong>{next}</p>
                                    {(runs.len() > 1).then(|| view! {
                                        <ol class="schedule-runs" id="schedule-runs">
                                            {runs.into_iter().map(|run| view! { <li>{run}</li> }).collect_view()}
                                        </ol>
                                    })}
                                }.into_any()
                            }
                        }
                    }}
                </div>
                <label for="schedule-speed">"Speed (scenario time per real second)"</label>
                <input id="schedule-speed" type="number" min=MIN_SPEED.to_string() max=MAX_SPEED.to_string() step="any"
                    prop:value=move || speed.get() on:input:target=move |ev| speed.set(ev.target().value()) />
                <label for="schedule-concurrency">"If the previous run is still going"</label>
                <select id="schedule-concurrency" on:change:target=move |ev| concurrency.set(match ev.target().value().as_str() {
                    "allow" => ConcurrencyPolicy::Allow,
                    "replace" => ConcurrencyPolicy::Replace,
                    _ => ConcurrencyPolicy::Forbid,
                })>
                    <option value="forbid" selected=move || concurrency.get() == ConcurrencyPolicy::Forbid>"skip this run (forbid)"</option>
                    <option value="allow" selected=move || concurrency.get() == ConcurrencyPolicy::Allow>"start another beside it (allow)"</option>
                    <option value="replace" selected=move || concurrency.get() == ConcurrencyPolicy::Replace>"stop it, then start (replace)"</option>
                </select>
                <label for="schedule-missed">"Runs missed while the coordinator was down"</label>
                <select id="schedule-missed" on:change:target=move |ev| missed.set(match ev.target().value().as_str() {
                    "run_once" => MissedPolicy::RunOnce,
                    _ => MissedPolicy::Skip,
                })>
                    <option value="skip" selected=move || missed.get() == MissedPolicy::Skip>"skip them"</option>
                    <option value="run_once" selected=move || missed.get() == MissedPolicy::RunOnce>"run once for the latest"</option>
                </select>
                <label class="check">
                    <input id="schedule-enabled" type="checkbox" prop:checked=move || enabled.get()
                        on:change:target=move |ev| enabled.set(ev.target().checked()) />
                    " Enabled (fires on its calendar)"
                </label>
                {move || error().map(|message| view! { <p class="form-error" role="alert" id="schedule-error">{message}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" id="schedule-create" class="button button-primary" node_ref=last disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create schedule" }}
                    </button>
                </div>
            </form>
        </Show>
    }
}

/// What the dialog shows once the schedule is stored: its next run and the
/// way to the Schedules page.
#[component]
fn Created(
    view: Option<ScheduleView>,
    zone: ReadSignal<Option<String>>,
    open: RwSignal<bool>,
    last: NodeRef<html::Button>,
) -> impl IntoView {
    let Some(view) = view else {
        return ().into_any();
    };
    let next = view.next_execution.clone();
    view! {
        <div id="schedule-created" role="status">
            <p class="ok-text">{format!("Schedule “{}” created: {}.", view.name, view.description)}</p>
            <p>"Next run: "{move || next.as_deref().map(|at| zoned_label(at, zone.get().as_deref())).unwrap_or_else(|| "none".to_owned())}</p>
            <div class="dialog-actions">
                <button type="button" class="button" node_ref=last on:click=move |_| open.set(false)>"Close"</button>
                <a class="button button-primary" id="schedule-created-link" href="/schedules">"Open Schedules"</a>
            </div>
        </div>
    }
    .into_any()
}

/// `message` as a sentence: a capital first letter and a full stop.
fn sentence(mut message: String) -> String {
    if let Some(first) = message.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    message.push('.');
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(kind: &str) -> Fields {
        Fields {
            kind: kind.to_owned(),
            at: String::new(),
            delay: "600".to_owned(),
            interval: "3600".to_owned(),
            max_runs: String::new(),
            expression: "0 2 * * MON-FRI".to_owned(),
            zone: "Europe/Berlin".to_owned(),
        }
    }

    #[test]
    fn the_fields_give_the_seed_timing_or_say_what_is_missing() {
        assert_eq!(
            fields("periodic").timing(),
            Ok(ScheduleTiming::Periodic {
                interval_seconds: 3600,
                max_executions: None
            })
        );
        let mut capped = fields("periodic");
        capped.max_runs = "3".to_owned();
        assert_eq!(
            capped.timing(),
            Ok(ScheduleTiming::Periodic {
                interval_seconds: 3600,
                max_executions: Some(3)
            })
        );
        assert_eq!(
            fields("delayed").timing(),
            Ok(ScheduleTiming::Delayed { delay_seconds: 600 })
        );
        assert_eq!(
            fields("cron").timing(),
            Ok(ScheduleTiming::Cron {
                expression: "0 2 * * MON-FRI".to_owned(),
                time_zone: "Europe/Berlin".to_owned()
            })
        );
        let mut bad = fields("periodic");
        bad.interval = "1.5".to_owned();
        assert!(bad.timing().unwrap_err().contains("whole number"));
        // Zero is the server's to refuse, naming the field.
        bad.interval = "0".to_owned();
        assert!(bad.timing().is_ok());
        assert!(fields("once")
            .timing()
            .unwrap_err()
            .contains("date and time"));
        let mut no_zone = fields("cron");
        no_zone.zone = " ".to_owned();
        assert!(
            matches!(no_zone.timing(), Ok(ScheduleTiming::Cron { time_zone, .. }) if time_zone == "UTC")
        );
    }
}
