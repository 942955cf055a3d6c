//! Pieces the team pages' forms share: the line that says how an action went,
//! and the role picker.

use leptos::prelude::*;

use crate::api::{auth::Role, ApiError};

/// How an action went, for [`Outcome`]: `(failed, text)`, `None` before it ran.
/// A failure reads "`failed`: the server's message".
pub fn outcome_of<T>(
    result: Option<Result<T, ApiError>>,
    failed: &str,
    done: impl FnOnce(T) -> String,
) -> Option<(bool, String)> {
    result.map(|result| match result {
        Ok(value) => (false, done(value)),
        Err(error) => (true, format!("{failed}: {}", error.message)),
    })
}

/// One announced line saying how an action went: red when it failed.
#[component]
pub fn Outcome(
    /// The element's id (tests and labels find it by this).
    id: &'static str,
    /// `(failed, text)`; nothing shown while `None`.
    outcome: Signal<Option<(bool, String)>>,
) -> impl IntoView {
    view! {
        <p id=id role="status">
            {move || outcome.get().map(|(bad, text)| view! { <span class:form-error=bad class:ok-text=!bad>{text}</span> })}
        </p>
    }
}

/// A labelled "Role" select over `roles`, bound to `role`.
#[component]
pub fn RoleSelect(
    /// The select's id.
    id: &'static str,
    role: RwSignal<Role>,
    /// The roles offered, lowest first.
    roles: Vec<Role>,
) -> impl IntoView {
    view! {
        <label>"Role"
            <select id=id on:change:target=move |ev| {
                if let Some(chosen) = Role::parse(&ev.target().value()) { role.set(chosen); }
            }>
                {roles.into_iter().map(|r| view! {
                    <option value=r.as_str() selected=move || role.get() == r>{r.as_str()}</option>
                }).collect_view()}
            </select>
        </label>
    }
}
