//! A validator's diagnostics as a list: severity in words, line and column, kind,
//! message, hint and path.

use leptos::prelude::*;

use crate::scenario::diagnostic::{Diagnostic, Severity};

/// Every diagnostic, errors and warnings, in reading order.
#[component]
pub fn DiagnosticList(#[prop(into)] diagnostics: Signal<Vec<Diagnostic>>) -> impl IntoView {
    view! {
        <ul class="diagnostics" id="diagnostics" aria-live="polite">
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
                    view! {
                        <li class=format!("diagnostic diagnostic-{severity}") data-line=d.line.map(|l| l.to_string())>
                            <span class="diagnostic-severity">{severity}</span>
                            " "<span class="diagnostic-place">{place}</span>
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
