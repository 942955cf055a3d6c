//! `/orchestrations/new` and `/orchestrations/{id}/edit`: the orchestration
//! editor. As the scenario editor does, it validates in the browser on every
//! keystroke with the same check as the server
//! ([`validate_orchestration`]), against the catalog and the names a step may
//! use, fetched once when it opens (`orchestration-names`). Diagnostics are
//! listed at their line and column and marked in the gutter (a click on one
//! takes the cursor there), the steps preview follows, and Save (operators;
//! off while there are errors) imports the text as the orchestration's next
//! version and opens its page. A new one starts from the commented starter
//! ([`template_yaml`]).

use std::collections::BTreeMap;

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::orchestration::OrchestrationNames;
use crate::api::{auth::Role, orchestration::OrchestrationImport};
use crate::components::{
    raw_text, set_not_found_status, DiagnosticList, ErrorPanel, Loading, Outcome,
};
use crate::orchestration::{template_yaml, validate_orchestration};
use crate::scenario::diagnostic::Severity;
use crate::server_fns::{
    orchestration::{get_orchestration, get_orchestration_names, import_orchestration},
    server_resource,
};

use super::orchestration_detail::steps_table;
use super::orchestrations::{mode_words, orchestration_path};

/// Height of one editor line in CSS pixels (`.editor-text` in style/main.css):
/// "go to line" counts on it.
const LINE_PX: i32 = 20;

/// `/orchestrations/new`: the starter document.
#[component]
pub fn NewOrchestration() -> impl IntoView {
    let names = server_resource(|| (), |_| get_orchestration_names());
    view! {
        <Title text="New orchestration" />
        <p class="breadcrumbs"><a href="/orchestrations">"Orchestrations"</a>" / new"</p>
        <h1>"New orchestration"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match names.await {
                    Ok(names) => view! { <OrchestrationEditor initial=template_yaml().to_owned() names /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/orchestrations/{id}/edit`: the latest version's text.
#[component]
pub fn EditOrchestration() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = server_resource(id, |id| get_orchestration(id, None));
    let names = server_resource(|| (), |_| get_orchestration_names());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (detail.await, names.await) {
                    (Ok(detail), Ok(names)) => view! {
                        <Title text=raw_text(format!("Edit {}", detail.id)) />
                        <p class="breadcrumbs">
                            <a href="/orchestrations">"Orchestrations"</a>" / "
                            <a href=orchestration_path(&detail.id)>{detail.id.clone()}</a>" / edit"
                        </p>
                        <h1>"Edit "{detail.id.clone()}</h1>
                        <p class="hint" id="rename-hint">
                            {format!("Saving adds version {} of {}. Another `name` saves a new orchestration instead.", detail.latest_version + 1, detail.id)}
                        </p>
                        <OrchestrationEditor initial=detail.content names />
                    }.into_any(),
                    (Err(error), _) | (_, Err(error)) => {
                        set_not_found_status(&error);
                        view! { <h1>"Edit orchestration"</h1><ErrorPanel error /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The editor proper: line-numbered text, diagnostics, the steps preview and Save.
#[component]
fn OrchestrationEditor(initial: String, names: OrchestrationNames) -> impl IntoView {
    let text = RwSignal::new(initial.clone());
    let validation = Memo::new(move |_| text.with(|t| validate_orchestration(t, &names.known())));
    let diagnostics = Signal::derive(move || validation.with(|v| v.diagnostics.clone()));
    let errors = move || validation.with(|v| v.has_errors());
    // The worst severity per line, for the gutter.
    let marks = Memo::new(move |_| {
        validation.with(|v| {
            let mut marks = BTreeMap::new();
            for d in &v.diagnostics {
                if let Some(line) = d.line {
                    let entry = marks.entry(line).or_insert(d.severity);
                    if d.severity == Severity::Error {
                        *entry = Severity::Error;
                    }
                }
            }
            marks
        })
    });
    let line_count = Memo::new(move |_| text.with(|t| t.split('\n').count().max(1)));
    let gutter = NodeRef::<html::Div>::new();
    let area = NodeRef::<html::Textarea>::new();
    // Selects line `line` and scrolls it into view, a third from the top.
    let jump = Callback::new(move |line: u32| {
        let Some(a) = area.get_untracked() else {
            return;
        };
        let value = a.value();
        let mut start = 0u32;
        let mut end = 0u32;
        for (i, l) in value.split('\n').enumerate() {
            // Selection offsets count UTF-16 units.
            let length = l.encode_utf16().count() as u32;
            if i + 1 == line as usize {
                end = start + length;
                break;
            }
            start += length + 1;
        }
        let _ = a.focus();
        let _ = a.set_selection_range(start, end.max(start));
        let top = (line as i32 - 1) * LINE_PX - a.client_height() / 3;
        a.set_scroll_top(top.max(0));
        if let Some(g) = gutter.get_untracked() {
            g.set_scroll_top(a.scroll_top());
        }
    });

    let save = Action::new(|content: &String| {
        import_orchestration(OrchestrationImport {
            content: content.clone(),
            format: None,
        })
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            navigate(&orchestration_path(&saved.id), Default::default());
        }
    });
    let save_outcome = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::err)
            .map(|error| (true, format!("Not saved: {}", error.message)))
    });
    let operator = crate::me::can(Role::Operator);
    let status = move || {
        validation.with(|v| {
            let errors = v.diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = v.diagnostics.len() - errors;
            match (errors, warnings) {
                (0, 0) => "✓ Valid".to_owned(),
                (0, w) => format!("✓ Valid, {w} warning{}", if w == 1 { "" } else { "s" }),
                (e, _) => format!("✗ {e} error{}", if e == 1 { "" } else { "s" }),
            }
        })
    };

    view! {
        <div class="editor-layout">
            <div class="editor-main">
                <div class="editor-toolbar">
                    <span id="orchestration-status" class=move || if errors() { "badge badge-failed" } else { "badge badge-completed" } aria-live="polite">{status}</span>
                    {if operator {
                        view! {
                            <button type="button" id="save-orchestration" class="button button-primary"
                                disabled=move || errors() || save.pending().get()
                                aria-describedby="save-orchestration-reason"
                                on:click=move |_| { save.dispatch(text.get_untracked()); }>
                                {move || if save.pending().get() { "Saving…" } else { "Save" }}
                            </button>
                            <span id="save-orchestration-reason" class="muted">{move || errors().then_some("Save is off until the errors below are fixed.")}</span>
                        }.into_any()
                    } else {
                        view! { <span class="hint" id="save-needs-role">"Check an orchestration here; saving it needs the operator role."</span> }.into_any()
                    }}
                    <Outcome id="save-orchestration-result" outcome=save_outcome />
                </div>
                <div class="editor">
                    <div class="editor-gutter" node_ref=gutter aria-hidden="true">
                        {move || (1..=line_count.get() as u32).map(|n| {
                            let mark = marks.with(|m| m.get(&n).copied());
                            let class = match mark {
                                Some(Severity::Error) => "gutter-line gutter-error",
                                Some(Severity::Warning) => "gutter-line gutter-warning",
                                None => "gutter-line",
                            };
                            view! { <div class=class data-line=n>{match mark { Some(Severity::Error) => "✗ ", Some(Severity::Warning) => "! ", None => "" }}{n}</div> }
                        }).collect_view()}
                    </div>
                    <label class="visually-hidden" for="orchestration-editor">"Orchestration (YAML or JSON)"</label>
                    <textarea
                        id="orchestration-editor"
                        node_ref=area
                        class="editor-text"
                        spellcheck="false"
                        wrap="off"
                        autocomplete="off"
                        aria-describedby="orchestration-status"
                        on:input:target=move |ev| text.set(ev.target().value())
                        on:scroll=move |_| {
                            if let (Some(g), Some(a)) = (gutter.get_untracked(), area.get_untracked()) {
                                g.set_scroll_top(a.scroll_top());
                            }
                        }
                    >
                        {raw_text(initial)}
                    </textarea>
                </div>
                <h2>"Diagnostics"</h2>
                <Show when=move || validation.with(|v| !v.diagnostics.is_empty())
                    fallback=|| view! { <p class="muted" id="no-orchestration-diagnostics">"No problems found."</p> }>
                    <DiagnosticList diagnostics on_select=jump id="orchestration-diagnostics" />
                </Show>
            </div>
            <section class="editor-preview" aria-labelledby="orchestration-preview-title">
                <h2 id="orchestration-preview-title">"Steps preview"</h2>
                {move || validation.with(|v| match &v.orchestration {
                    Some(o) => view! {
                        <p class="card-meta" id="preview-head">
                            <strong>{o.name.clone()}</strong>
                            <span>{mode_words(o.parallel, o.iterations())}</span>
                            <span>{format!("{} execution{} per run", o.member_count(), if o.member_count() == 1 { "" } else { "s" })}</span>
                        </p>
                        {steps_table(o)}
                    }.into_any(),
                    None => view! { <p class="panel" id="no-orchestration-preview">"The preview returns when the document validates."</p> }.into_any(),
                })}
            </section>
        </div>
    }
}
