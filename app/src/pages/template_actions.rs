//! A template page's "Run…" and "Save as scenario…": both take the scenario the
//! parameter form's current values render to, and refuse, saying why, while
//! the values do not give one (an enum not chosen yet, a value out of range).

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::ExecuteRequest;
use crate::components::{template_form::FormOutcome, RunDialog};
use crate::server_fns::save_scenario;

/// "Run…" (the run dialog, on the rendered scenario) and "Save as scenario…"
/// (asks for a name, saves the rendered YAML under it, opens the saved scenario).
#[component]
pub fn TemplateActions(template: String, outcome: RwSignal<FormOutcome>) -> impl IntoView {
    let source = Signal::derive(move || {
        outcome.get().map(|rendered| ExecuteRequest {
            yaml: Some(rendered.yaml()),
            ..ExecuteRequest::default()
        })
    });
    view! {
        <RunDialog source />
        <SaveAsScenario template outcome />
    }
}

#[component]
fn SaveAsScenario(template: String, outcome: RwSignal<FormOutcome>) -> impl IntoView {
    let open = RwSignal::new(false);
    let name = RwSignal::new(format!("{template}-scenario"));
    let save = Action::new(move |yaml: &String| {
        let yaml = yaml.clone();
        async move { save_scenario(yaml, None).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            navigate(
                &format!(
                    "/scenarios/{}",
                    crate::api::download::path_segment(&saved.scenario_id)
                ),
                Default::default(),
            );
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = name.get_untracked().trim().to_owned();
        if let Ok(rendered) = outcome.get_untracked() {
            save.dispatch(rendered.yaml_named(&chosen));
        }
    };
    let problem = move || match (outcome.get(), save.value().get()) {
        (Err(why), _) => Some(why),
        (Ok(_), Some(Err(error))) => Some(format!("Not saved: {}", error.message)),
        _ => None,
    };
    view! {
        <button type="button" class="button" id="save-as-button" aria-expanded=move || open.get().to_string()
            aria-controls="save-as-form" on:click=move |_| open.update(|o| *o = !*o)>
            "Save as scenario…"
        </button>
        <Show when=move || open.get()>
            <form class="inline-form" id="save-as-form" on:submit=submit>
                <label for="save-as-name">"Name of the scenario"</label>
                <input id="save-as-name" type="text" required autofocus
                    title="lowercase letters, digits, '-' and '_'"
                    prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value()) />
                <p class="hint">"Saves the scenario these parameter values render to, with this name as its metadata.name."</p>
                <button type="submit" class="button button-primary" id="save-as-start"
                    disabled=move || save.pending().get() || outcome.with(Result::is_err)>
                    {move || if save.pending().get() { "Saving…" } else { "Save the scenario" }}
                </button>
                {move || problem().map(|message| view! { <p class="form-error" role="alert" id="save-as-error">{message}</p> })}
            </form>
        </Show>
    }
}
