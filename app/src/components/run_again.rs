//! "Run again" on an execution page: a new execution of the same scenario text
//! with the same options (speed, dry run, continue on failure, repeat), then its
//! live view.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::server_fns::rerun_execution;

/// The button; `id` is the execution to run again.
#[component]
pub fn RunAgain(#[prop(into)] id: String) -> impl IntoView {
    let rerun = Action::new(move |id: &String| {
        let id = id.clone();
        async move { rerun_execution(id).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(accepted)) = rerun.value().get() {
            navigate(
                &format!("/executions/{}", accepted.execution_id),
                Default::default(),
            );
        }
    });
    view! {
        <div class="run-again">
            <button type="button" class="button" id="run-again"
                title="A new execution of the same scenario text with the same options"
                disabled=move || rerun.pending().get()
                on:click=move |_| { rerun.dispatch(id.clone()); }>
                {move || if rerun.pending().get() { "Starting…" } else { "Run again" }}
            </button>
            {move || match rerun.value().get() {
                Some(Err(error)) => Some(view! { <p class="form-error" role="alert" id="run-again-error">{error.message}</p> }),
                _ => None,
            }}
        </div>
    }
}
