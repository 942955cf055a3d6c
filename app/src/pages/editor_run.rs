//! The editor's "Run…" and what follows a save. Run… appears once the editor
//! holds saved text (the scenario it opened, or what was just saved) and runs
//! exactly that text; with unsaved changes it says to save first. A save under a
//! name other than the page's makes the page that scenario's editor (its URL,
//! its version history): a new scenario's first save, or a renamed copy.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{download::path_segment, ui::SavedScenario, ApiError, ExecuteRequest};
use crate::components::RunDialog;

/// Run… for the editor's text when saved; `opened` is the scenario the page
/// edits (its text `initial`), `save` the editor's Save.
#[component]
pub fn EditorRun(
    text: RwSignal<String>,
    opened: Option<String>,
    initial: String,
    save: Action<String, Result<SavedScenario, ApiError>>,
) -> impl IntoView {
    // The text as last saved: what opened an existing scenario, then each save's.
    let saved_text = RwSignal::new(opened.is_some().then_some(initial));
    let navigate = use_navigate();
    Effect::new(move |_| {
        let Some(Ok(done)) = save.value().get() else {
            return;
        };
        saved_text.set(Some(text.get_untracked()));
        if opened.as_deref() != Some(done.scenario_id.as_str()) {
            navigate(
                &format!("/scenarios/{}/edit", path_segment(&done.scenario_id)),
                Default::default(),
            );
        }
    });
    let is_saved = move || saved_text.with(|s| s.as_ref().is_some_and(|s| text.with(|t| t == s)));
    let source = Signal::derive(move || match saved_text.get() {
        Some(yaml)
            if crate::scenario::parse::parse_scenario(&yaml).is_ok_and(|d| d.is_template()) =>
        {
            Err(
                "A template runs with its parameters: use Run… on its page, below the form."
                    .to_owned(),
            )
        }
        Some(yaml) => Ok(ExecuteRequest {
            yaml: Some(yaml),
            ..ExecuteRequest::default()
        }),
        None => Err("Save the scenario first.".to_owned()),
    });
    view! {
        <Show when=is_saved fallback=|| view! { <span class="hint" id="run-needs-save">"Save to run it"</span> }>
            <RunDialog source />
        </Show>
    }
}
