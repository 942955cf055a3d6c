//! A validator's diagnostics as a list: severity in words, line and column, kind,
//! message, hint and path. In the editor, each placed diagnostic is a button that
//! takes the cursor to its line.

use leptos::prelude::*;

use crate::scenario::diagnostic::{Diagnostic, Severity};

/// Every diagnostic, errors and warnings, in reading order. With `on_select`, the
/// place of each diagnostic that has a line is a button calling it with the line.
#[component]
pub fn DiagnosticList(
    #[prop(into)] diagnostics: Signal<Vec<Diagnostic>>,
    #[prop(optional)] on_select: Option<Callback<u32>>,
    /// The list's element id (two lists on one page need two).
    #[prop(default = "diagnostics".to_owned(), into)]
    id: String,
) -> impl IntoView {
    view! {
        <ul class="diagnostics" id=id aria-live="polite">
            <For
                each=move || diagnostics.get().into_iter().enumerate()
                key=|(i, d)| format!("{i}:{:?}:{:?}:{}", d.line, d.column, d.message)
                children=move |(_, d)| {
                    let severity = match d.severity { Severity::Error => "error", Severity::Warning => "warning" };
                    let place = match (d.line, d.column) {
                        (Some(l), Some(c)) => format!("line {l}, column {c}"),
                        (Some(l), None) => format!("line {l}"),
                        _ => "whole document".to_owned(),
                    };
                    let place = match (on_select, d.line) {
                        (Some(select), Some(line)) => view! {
                            <button type="button" class="diagnostic-jump" title="Go to this line in the editor"
                                on:click=move |_| select.run(line)>{place}</button>
                        }.into_any(),
                        _ => view! { <span class="diagnostic-place">{place}</span> }.into_any(),
                    };
                    view! {
                        <li class=format!("diagnostic diagnostic-{severity}") data-line=d.line.map(|l| l.to_string())>
                            <span class="diagnostic-severity">{severity}</span>
                            " "{place}
                            " "<code>{d.kind.as_str()}</code>
                            ": "{d.message}
                            {(!d.path.is_empty()).then(|| view! { " "<span class="muted">"("{d.path}")"</span> })}
                            {d.hint.map(|h| view! { <div class="hint">{h}</div> })}
                        </li>
                    }
                }
            />
        </ul>
    }
}
