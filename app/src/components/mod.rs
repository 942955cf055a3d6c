//! Small widgets the pages share.

mod shell;

pub use shell::AppShell;

use leptos::prelude::*;

use crate::api::ApiError;

/// An error shown in place of the content that failed to load.
#[component]
pub fn ErrorPanel(error: ApiError) -> impl IntoView {
    view! {
        <div class="panel panel-error" role="alert">
            <strong>"Could not load this: "</strong>
            {error.message}
        </div>
    }
}

/// An execution state as a badge; the text carries the meaning, colour only helps.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let class = format!("badge badge-{status}");
    view! { <span class=class>{status}</span> }
}

/// A loading line for `Suspense` fallbacks.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted" aria-busy="true">"Loading…"</p> }
}
