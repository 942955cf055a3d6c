//! A button that asks "are you sure?" in place before it acts ("Clear chaos",
//! "Remove…", "Revoke…"). A page keeps one `confirming` signal, so at most one
//! question is open at a time.

use leptos::prelude::*;

/// The button; once clicked, the question with its "yes" button
/// (`id="{id}-confirm"`) and "Cancel".
#[component]
pub fn ConfirmButton(
    /// Which of the page's questions this is (`confirming` holds the open one's).
    #[prop(into)]
    key: String,
    /// The button's id.
    #[prop(into)]
    id: String,
    /// The button's text.
    label: &'static str,
    /// The question.
    #[prop(into)]
    question: String,
    /// The text of the button that acts.
    yes: &'static str,
    confirming: RwSignal<Option<String>>,
    on_confirm: impl Fn() + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let open_key = key.clone();
    let is_open = move || confirming.get().as_deref() == Some(open_key.as_str());
    let opener_id = id.clone();
    view! {
        <Show
            when=is_open
            fallback=move || {
                let (id, key) = (opener_id.clone(), key.clone());
                view! { <button type="button" class="button button-danger" id=id on:click=move |_| confirming.set(Some(key.clone()))>{label}</button> }
            }
        >
            <span class="confirm" role="group" aria-label="Confirm">
                <span>{question.clone()}</span>
                <button type="button" class="button button-danger" id=format!("{id}-confirm") on:click={
                    let on_confirm = on_confirm.clone();
                    move |_| { confirming.set(None); on_confirm(); }
                }>{yes}</button>
                <button type="button" class="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
            </span>
        </Show>
    }
}
