//! The dashboard's "Run a scenario": a dialog to find a scenario by name or
//! description, pick it (radio buttons: arrow keys move between them), set the
//! speed and start it, then go to its live view. Enter in the search box picks
//! the first match when none is picked; Escape closes the dialog and gives the
//! focus back to its button. Templates need their parameters, so the dialog
//! sends to the library for them.
//!
//! Only operators see the button, and few open the dialog, so the dialog is a
//! lazy function: its view, its reader of the library's cards, its request
//! writer and its number parsing are in a chunk fetched on the first opening,
//! not in the main module that every first visit downloads (docs/build.md).

use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::modal_focus;

use crate::api::{ui::LibraryCard, ExecuteOptions, ExecuteRequest};
use crate::server_fns::{list_scenario_cards, start_execution};

/// Whether `card` is a runnable scenario matching the search `text` (any case).
fn matches(card: &LibraryCard, text: &str) -> bool {
    let text = text.trim().to_lowercase();
    card.kind == "scenario"
        && card.duration_ms.is_some()
        && (text.is_empty()
            || card.name.to_lowercase().contains(&text)
            || card
                .description
                .as_deref()
                .is_some_and(|d| d.to_lowercase().contains(&text)))
}

/// What the button and its dialog share: whether it is open, the search box
/// (focused on opening) and the speed, which is kept from one opening to the next.
#[derive(Clone, Copy)]
struct Picker {
    open: RwSignal<bool>,
    search: NodeRef<html::Input>,
    speed: RwSignal<String>,
}

/// The button and its dialog.
#[component]
pub fn ScenarioPicker() -> impl IntoView {
    let picker = Picker {
        open: RwSignal::new(false),
        search: NodeRef::new(),
        speed: RwSignal::new("600".to_owned()),
    };
    let opener = NodeRef::<html::Button>::new();
    // The search box is there only once the dialog's chunk has loaded: reading
    // it here makes the focus rule run again when it appears.
    modal_focus(picker.open, opener, move || {
        if let Some(element) = picker.search.get() {
            let _ = element.focus();
        }
    });
    view! {
        <button type="button" class="button button-primary" id="run-a-scenario" aria-haspopup="dialog"
            node_ref=opener on:click=move |_| picker.open.set(true)>
            "Run a scenario"
        </button>
        <Show when=move || picker.open.get()>
            // Each opening makes the dialog anew: a new search, nothing picked.
            {move || Suspend::new(picker_dialog(picker))}
        </Show>
    }
}

/// The dialog, in a chunk of its own.
#[lazy]
fn picker_dialog(picker: Picker) -> AnyView {
    let Picker {
        open,
        search,
        speed,
    } = picker;
    let last = NodeRef::<html::Button>::new();
    // Asked on each opening, by the browser (the server never renders the dialog).
    let cards = LocalResource::new(list_scenario_cards);
    let text = RwSignal::new(String::new());
    let chosen = RwSignal::new(None::<(String, bool)>);
    let invalid = RwSignal::new(None::<String>);
    let start = Action::new(move |request: &ExecuteRequest| {
        let request = request.clone();
        async move { start_execution(request).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(accepted)) = start.value().get() {
            open.set(false);
            navigate(
                &format!("/executions/{}", accepted.execution_id),
                Default::default(),
            );
        }
    });
    let first_match = move || {
        cards
            .get()
            .and_then(Result::ok)
            .and_then(|all| all.into_iter().find(|c| matches(c, &text.get_untracked())))
            .map(|c| (c.name, c.source == "custom"))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((name, custom)) = chosen.get_untracked().or_else(first_match) else {
            invalid.set(Some("Pick a scenario to run.".to_owned()));
            return;
        };
        chosen.set(Some((name.clone(), custom)));
        let options = ExecuteOptions {
            speed: speed.get_untracked().trim().parse().unwrap_or(f64::NAN),
            ..ExecuteOptions::default()
        };
        if let Err(message) = options.check() {
            invalid.set(Some(format!("Speed: {message}.")));
            return;
        }
        invalid.set(None);
        start.dispatch(ExecuteRequest {
            scenario: (!custom).then(|| name.clone()),
            scenario_id: custom.then_some(name),
            options,
            ..ExecuteRequest::default()
        });
    };
    let error = move || {
        invalid.get().or_else(|| match start.value().get() {
            Some(Err(e)) => Some(e.message),
            _ => None,
        })
    };
    let list = move || {
        let all = match cards.get() {
            None => return view! { <p class="muted">"Loading the library…"</p> }.into_any(),
            Some(Err(error)) => {
                return view! { <p class="form-error" role="alert">{error.message}</p> }.into_any()
            }
            Some(Ok(all)) => all,
        };
        let shown: Vec<LibraryCard> = all
            .into_iter()
            .filter(|c| matches(c, &text.get()))
            .collect();
        if shown.is_empty() {
            return view! { <p class="muted" id="picker-empty">"No scenario matches."</p> }
                .into_any();
        }
        view! {
            <fieldset class="picker-list" id="picker-list">
                <legend class="visually-hidden">"Scenarios"</legend>
                {shown.into_iter().map(|card| {
                    let custom = card.source == "custom";
                    let (name, value) = (card.name.clone(), card.name.clone());
                    let is = card.name.clone();
                    view! {
                        <label class="picker-option" data-name=card.name.clone()>
                            <input type="radio" name="picker-choice" value=value
                                prop:checked=move || chosen.with(|c| c.as_ref().is_some_and(|(n, _)| *n == is))
                                on:change=move |_| chosen.set(Some((name.clone(), custom))) />
                            <span class="picker-name">{card.name.clone()}</span>
                            {custom.then(|| view! { <span class="tag">"custom"</span> })}
                            <span class="picker-description muted">{card.description.clone().unwrap_or_default()}</span>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        }.into_any()
    };
    view! {
        <div class="dialog-backdrop" on:click=move |_| open.set(false)></div>
        <div class="dialog picker-dialog" role="dialog" aria-modal="true" aria-labelledby="picker-title" id="picker-dialog">
            <span class="focus-guard" tabindex="0" on:focus=move |_| { if let Some(b) = last.get_untracked() { let _ = b.focus(); } }></span>
            <h2 id="picker-title">"Run a scenario"</h2>
            <form on:submit=submit>
                <label for="picker-search">"Find a scenario"</label>
                <input id="picker-search" type="search" autocomplete="off" node_ref=search
                    placeholder="name or description"
                    prop:value=move || text.get() on:input:target=move |ev| text.set(ev.target().value()) />
                {list}
                <p class="hint">"Templates need their parameters: open one from "<a href="/scenarios">"the library"</a>"."</p>
                <label for="picker-speed">"Speed (scenario time per real second)"</label>
                <input id="picker-speed" type="number" min="0.001" max="1000000" step="any"
                    prop:value=move || speed.get() on:input:target=move |ev| speed.set(ev.target().value()) />
                {move || error().map(|message| view! { <p class="form-error" role="alert" id="picker-error">{message}</p> })}
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" id="picker-run" class="button button-primary" node_ref=last disabled=move || start.pending().get()>
                        {move || if start.pending().get() { "Starting…" } else { "Run" }}
                    </button>
                </div>
            </form>
            <span class="focus-guard" tabindex="0" on:focus=move |_| { if let Some(i) = search.get_untracked() { let _ = i.focus(); } }></span>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str, kind: &str, description: &str, runnable: bool) -> LibraryCard {
        LibraryCard {
            name: name.to_owned(),
            kind: kind.to_owned(),
            source: "library".to_owned(),
            category: None,
            description: Some(description.to_owned()),
            tags: Vec::new(),
            duration_ms: runnable.then_some(60_000),
            phases: 1,
            services: Vec::new(),
            last_status: None,
        }
    }

    #[test]
    fn the_picker_finds_runnable_scenarios_by_name_or_description() {
        let crash = card("market-crash", "scenario", "Prices fall 20%", true);
        assert!(matches(&crash, ""));
        assert!(matches(&crash, " CRASH "));
        assert!(matches(&crash, "prices fall"));
        assert!(!matches(&crash, "depeg"));
        assert!(!matches(&card("shock", "template", "", false), ""));
        assert!(!matches(&card("broken", "scenario", "", false), "broken"));
    }
}
