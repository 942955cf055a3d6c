//! The run dialog: speed, dry run, continue on failure, repeat, what happens
//! if its coordinator is lost; starts an
//! execution and goes to its live view. While open it keeps the keyboard focus
//! inside (Tab and Shift+Tab wrap around) and Escape closes it, giving the focus
//! back to the button that opened it.

use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::modal_focus;

use crate::api::{ExecuteOptions, ExecuteRequest, OnOwnerLoss, MAX_SPEED, MIN_SPEED};
use crate::server_fns::start_execution;

/// A "Run…" button and the dialog it opens for the library scenario `scenario`
/// (an uploaded one when `custom`). With `source`, the dialog runs what it holds
/// instead (a template's rendering, an editor's saved scenario); an `Err` says
/// why it cannot run yet, and the dialog shows it and starts nothing.
#[component]
pub fn RunDialog(
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
    let speed = RwSignal::new("600".to_owned());
    let dry_run = RwSignal::new(false);
    let continue_on_failure = RwSignal::new(false);
    let resume = RwSignal::new(false);
    let repeat = RwSignal::new("1".to_owned());
    let invalid = RwSignal::new(None::<String>);

    let start = Action::new(move |request: &ExecuteRequest| {
        let request = request.clone();
        async move { start_execution(request).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(accepted)) = start.value().get() {
            navigate(
                &format!("/executions/{}", accepted.execution_id),
                Default::default(),
            );
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(speed_value) = speed.get_untracked().trim().parse::<f64>() else {
            invalid.set(Some(
                "Speed must be a number, e.g. 600 (ten minutes of scenario a second).".into(),
            ));
            return;
        };
        let Ok(repeat_value) = repeat.get_untracked().trim().parse::<u32>() else {
            invalid.set(Some("Repeat must be a whole number of at least 1.".into()));
            return;
        };
        let options = ExecuteOptions {
            speed: speed_value,
            dry_run: dry_run.get_untracked(),
            continue_on_failure: continue_on_failure.get_untracked(),
            repeat: repeat_value,
            on_owner_loss: if resume.get_untracked() {
                OnOwnerLoss::Resume
            } else {
                OnOwnerLoss::Rollback
            },
        };
        // The same check as the server's and the CLI's, before anything is sent.
        if let Err(message) = options.check() {
            let mut message = message;
            if let Some(first) = message.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            invalid.set(Some(format!("{message}.")));
            return;
        }
        let mut request = match source.map(|s| s.get_untracked()) {
            Some(Ok(request)) => request,
            // `blocked` below already says why.
            Some(Err(_)) => {
                invalid.set(None);
                return;
            }
            None if custom => ExecuteRequest {
                scenario_id: Some(scenario.clone()),
                ..ExecuteRequest::default()
            },
            None => ExecuteRequest {
                scenario: Some(scenario.clone()),
                ..ExecuteRequest::default()
            },
        };
        invalid.set(None);
        request.options = options;
        start.dispatch(request);
    };

    // What the source says is missing shows as soon as the dialog opens.
    let blocked = move || source.and_then(|s| s.get().err());
    let error = move || {
        invalid
            .get()
            .or_else(blocked)
            .or_else(|| match start.value().get() {
                Some(Err(e)) => Some(e.message),
                _ => None,
            })
    };

    view! {
        <button
            type="button"
            id="run-button"
            class="button button-primary"
            aria-haspopup="dialog"
            node_ref=opener
            on:click=move |_| open.set(true)
        >
            "Run…"
        </button>
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| open.set(false)></div>
            <div
                class="dialog"
                role="dialog"
                aria-modal="true"
                aria-labelledby="run-dialog-title"
                id="run-dialog"
            >
                // Focus that leaves either end lands on these and wraps to the other end.
                <span class="focus-guard" tabindex="0" on:focus=move |_| { if let Some(b) = last.get_untracked() { let _ = b.focus(); } }></span>
                <h2 id="run-dialog-title">"Run this scenario"</h2>
                <form on:submit=submit.clone()>
                    <label for="run-speed">"Speed (scenario time per real second)"</label>
                    <input id="run-speed" name="speed" type="number" min=MIN_SPEED.to_string() max=MAX_SPEED.to_string() step="any" node_ref=first
                        prop:value=move || speed.get() on:input:target=move |ev| speed.set(ev.target().value()) />
                    <p class="hint">"600 runs ten minutes of scenario each second; 1 is real time."</p>
                    <label for="run-repeat">"Repeat"</label>
                    <input id="run-repeat" name="repeat" type="number" min="1" step="1"
                        prop:value=move || repeat.get() on:input:target=move |ev| repeat.set(ev.target().value()) />
                    <label class="check">
                        <input id="run-dry-run" type="checkbox" prop:checked=move || dry_run.get()
                            on:change:target=move |ev| dry_run.set(ev.target().checked()) />
                        " Dry run (record the plan's timeline, call no service)"
                    </label>
                    <label class="check">
                        <input id="run-continue" type="checkbox" prop:checked=move || continue_on_failure.get()
                            on:change:target=move |ev| continue_on_failure.set(ev.target().checked()) />
                        " Continue after a failed phase"
                    </label>
                    <label class="check">
                        <input id="run-resume" type="checkbox" prop:checked=move || resume.get()
                            on:change:target=move |ev| resume.set(ev.target().checked()) />
                        " If its coordinator is lost, resume at its phase on another (after the rollback)"
                    </label>
                    {move || error().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                        <button type="submit" id="run-start" class="button button-primary" node_ref=last disabled=move || start.pending().get()>
                            {move || if start.pending().get() { "Starting…" } else { "Start execution" }}
                        </button>
                    </div>
                </form>
                <span class="focus-guard" tabindex="0" on:focus=move |_| { if let Some(i) = first.get_untracked() { let _ = i.focus(); } }></span>
            </div>
        </Show>
    }
}
