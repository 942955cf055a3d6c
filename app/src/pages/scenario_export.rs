//! A scenario page's "Download YAML" (library and uploaded scenarios, through
//! `GET /api/v1/scenarios/{id}/yaml`) and, for an uploaded one, "Archive…"
//! behind a confirmation dialog (Escape or Cancel closes it, nothing archived;
//! operators and admins only).

use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::download::{scenario_download_path, scenario_file_name};
use crate::components::modal_focus;
use crate::server_fns::archive_scenario;

/// The download link, and the archive button of an uploaded (`custom`) scenario.
#[component]
pub fn ExportActions(
    name: String,
    kind: String,
    custom: bool,
    version: Option<i64>,
) -> impl IntoView {
    let version = version.filter(|_| custom);
    let href = scenario_download_path(&name, version);
    let file = scenario_file_name(&name, &kind, version);
    view! {
        <a class="button" id="download-yaml" href=href download=file.clone() title=format!("Saves {file}")>"Download YAML"</a>
        {(custom && crate::me::can(crate::api::auth::Role::Operator)).then(|| view! { <ArchiveButton name /> })}
    }
}

#[component]
fn ArchiveButton(name: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let opener = NodeRef::<html::Button>::new();
    let cancel = NodeRef::<html::Button>::new();
    // Cancel takes the focus on opening: the safe choice.
    modal_focus(open, opener, move || {
        if let Some(element) = cancel.get() {
            let _ = element.focus();
        }
    });
    let archive = Action::new(move |name: &String| {
        let name = name.clone();
        async move { archive_scenario(name).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = archive.value().get() {
            navigate("/scenarios", Default::default());
        }
    });
    let confirm_name = name.clone();
    view! {
        <button type="button" class="button button-danger" id="archive-button" aria-haspopup="dialog"
            node_ref=opener on:click=move |_| open.set(true)>
            "Archive…"
        </button>
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| open.set(false)></div>
            <div class="dialog" role="alertdialog" aria-modal="true" id="archive-dialog"
                aria-labelledby="archive-title" aria-describedby="archive-text">
                <h2 id="archive-title">"Archive "{name.clone()}"?"</h2>
                <p id="archive-text">"It leaves the library and can no longer be run or edited. Its versions and its executions' history are kept."</p>
                {move || match archive.value().get() {
                    Some(Err(error)) => Some(view! { <p class="form-error" role="alert">{error.message}</p> }),
                    _ => None,
                }}
                <div class="dialog-actions">
                    <button type="button" class="button" id="archive-cancel" node_ref=cancel on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="button" class="button button-danger" id="archive-confirm" disabled=move || archive.pending().get()
                        on:click={
                            let name = confirm_name.clone();
                            move |_| { archive.dispatch(name.clone()); }
                        }>
                        {move || if archive.pending().get() { "Archiving…" } else { "Archive" }}
                    </button>
                </div>
            </div>
        </Show>
    }
}
