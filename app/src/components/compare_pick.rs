//! The history's "Compare" picker: a checkbox on each finished execution and a
//! Compare button, enabled when exactly two are chosen. It is a plain GET form
//! to `/executions/compare?pick=…&pick=…` (the page takes the older as the
//! baseline).

use leptos::prelude::*;

use crate::api::ExecutionSummary;
use crate::pages::ExecutionTable;

/// The history's table with a checkbox per row and the Compare button.
#[component]
pub fn ComparePicker(rows: Vec<ExecutionSummary>) -> impl IntoView {
    let picked = RwSignal::new(Vec::<String>::new());
    let count = move || picked.with(Vec::len);
    let hint = move || match count() {
        0 => "Choose two finished executions to compare them.".to_owned(),
        1 => "Choose one more.".to_owned(),
        2 => "Ready: B is the newer, A the older.".to_owned(),
        n => format!("{n} chosen: choose exactly two."),
    };
    if rows.is_empty() {
        return view! { <ExecutionTable rows /> }.into_any();
    }
    view! {
        <form method="get" action="/executions/compare" id="compare-form" class="compare-form">
            <div class="compare-bar">
                <button type="submit" class="button" id="compare-button"
                    disabled=move || count() != 2
                    title=move || if count() == 2 { String::new() } else { hint() }>
                    "Compare"
                </button>
                <span class="muted" id="compare-hint" aria-live="polite">{hint}</span>
            </div>
            <ExecutionTable rows pick=picked />
        </form>
    }
    .into_any()
}
