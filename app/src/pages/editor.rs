//! `/scenarios/new` and `/scenarios/{name}/edit`: the YAML editor. Validation runs
//! in the browser on every keystroke with the same validator as the server (the
//! catalog comes from the server once); diagnostics are listed and their lines
//! marked, and the timeline preview follows. Save uploads a new version.

use std::collections::BTreeMap;

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::{set_not_found_status, timeline_view, DiagnosticList, ErrorPanel, Loading};
use crate::scenario::{
    catalog::Catalog,
    diagnostic::Severity,
    validate::{validate_text, ValidateOptions},
};
use crate::server_fns::{get_catalog, get_scenario, save_scenario};

/// What a new scenario starts from.
const STARTER: &str = r#"apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: "my-scenario"
  description: "What this scenario shows"
  category: "custom"
spec:
  duration: "10m"
  phases:
    - name: "baseline"
      duration: "5m"
      assertions:
        - type: "system_health"
          expect: "all_services_healthy"
    - name: "chaos"
      duration: "5m"
      actions:
        - service: "exchange-simulator"
          action: "inject_latency"
          parameters:
            delay_ms: 500
"#;

/// `/scenarios/new`.
#[component]
pub fn NewScenario() -> impl IntoView {
    let catalog = Resource::new(|| (), |_| get_catalog());
    view! {
        <Title text="New scenario" />
        <p class="breadcrumbs"><a href="/scenarios">"Scenarios"</a>" / new"</p>
        <h1>"New scenario"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match catalog.await {
                    Ok(catalog) => view! { <Editor initial=STARTER.to_owned() catalog /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/scenarios/{name}/edit`.
#[component]
pub fn EditScenario() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let scenario = Resource::new(name, get_scenario);
    let catalog = Resource::new(|| (), |_| get_catalog());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (scenario.await, catalog.await) {
                    (Ok(scenario), Ok(catalog)) => view! {
                        <Title text=format!("Edit {}", scenario.name) />
                        <p class="breadcrumbs">
                            <a href="/scenarios">"Scenarios"</a>" / "
                            <a href=format!("/scenarios/{}", scenario.name)>{scenario.name.clone()}</a>" / edit"
                        </p>
                        <h1>"Edit "{scenario.name.clone()}</h1>
                        <Editor initial=scenario.definition catalog />
                    }.into_any(),
                    (Err(error), _) | (_, Err(error)) => {
                        set_not_found_status(&error);
                        view! { <h1>"Edit scenario"</h1><ErrorPanel error /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The editor proper: line-numbered text, diagnostics, preview and Save.
#[component]
fn Editor(initial: String, catalog: Catalog) -> impl IntoView {
    let text = RwSignal::new(initial.clone());
    let validation =
        Memo::new(move |_| text.with(|t| validate_text(t, &catalog, &ValidateOptions::default())));
    let diagnostics = Signal::derive(move || validation.with(|v| v.diagnostics.clone()));
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

    let save = Action::new(move |yaml: &String| {
        let yaml = yaml.clone();
        async move { save_scenario(yaml).await }
    });
    let errors = move || validation.with(|v| v.has_errors());
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
                    <span id="validation-status" class=move || if errors() { "badge badge-failed" } else { "badge badge-completed" } aria-live="polite">{status}</span>
                    <button
                        type="button"
                        id="save-button"
                        class="button button-primary"
                        disabled=move || errors() || save.pending().get()
                        on:click=move |_| { save.dispatch(text.get_untracked()); }
                    >
                        {move || if save.pending().get() { "Saving…" } else { "Save new version" }}
                    </button>
                    <span id="save-result" role="status">
                        {move || save.value().get().map(|result| match result {
                            Ok(saved) => view! {
                                <span class="ok-text">"Saved version "{saved.version}" of "
                                    <a href=format!("/scenarios/{}", saved.scenario_id)>{saved.scenario_id.clone()}</a>
                                </span>
                            }.into_any(),
                            Err(error) => view! { <span class="form-error">"Not saved: "{error.message}</span> }.into_any(),
                        })}
                    </span>
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
                    <label class="visually-hidden" for="editor-text">"Scenario YAML"</label>
                    <textarea
                        id="editor-text"
                        node_ref=area
                        class="editor-text"
                        spellcheck="false"
                        wrap="off"
                        autocomplete="off"
                        aria-describedby="validation-status"
                        on:input:target=move |ev| text.set(ev.target().value())
                        on:scroll=move |_| {
                            if let (Some(g), Some(a)) = (gutter.get_untracked(), area.get_untracked()) {
                                g.set_scroll_top(a.scroll_top());
                            }
                        }
                    >
                        {initial}
                    </textarea>
                </div>
                <h2>"Diagnostics"</h2>
                <Show when=move || validation.with(|v| !v.diagnostics.is_empty()) fallback=|| view! { <p class="muted" id="no-diagnostics">"No problems found."</p> }>
                    <DiagnosticList diagnostics />
                </Show>
            </div>
            <section class="editor-preview" aria-labelledby="preview-title">
                <h2 id="preview-title">"Timeline preview"</h2>
                {move || validation.with(|v| match &v.plan {
                    Some(plan) => timeline_view(plan, None, 0),
                    None => view! { <p class="panel" id="no-preview">"The preview returns when the scenario validates."</p> }.into_any(),
                })}
            </section>
        </div>
    }
}
