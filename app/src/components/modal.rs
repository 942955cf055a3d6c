//! The focus rules every modal dialog follows: on opening, the focus goes to
//! the dialog's first control (or its safe choice); on closing, back to the
//! button that opened it; Escape closes it wherever the focus is.

use leptos::html;
use leptos::prelude::*;

/// Applies the rules to a dialog shown while `open` holds, opened by `opener`;
/// `focus_first` focuses the control that should have the focus on opening.
pub fn modal_focus(
    open: RwSignal<bool>,
    opener: NodeRef<html::Button>,
    focus_first: impl Fn() + 'static,
) {
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        if is_open {
            focus_first();
        } else if was_open == Some(true) {
            if let Some(button) = opener.get_untracked() {
                let _ = button.focus();
            }
        }
        is_open
    });
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && open.try_get_untracked() == Some(true) {
            open.set(false);
        }
    });
    on_cleanup(move || escape.remove());
}
