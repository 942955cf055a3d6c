//! `/scenarios/new` and `/scenarios/{name}/edit`: the YAML editor. Validation runs
//! in the browser on every keystroke with the same validator as the server (the
//! catalog comes from the server once); diagnostics are listed and their lines
//! marked (a click on one takes the cursor there), and the timeline preview
//! follows. A file can be opened into it; a template gets a parameter form with
//! its rendered preview. Save uploads a new version (operators and admins; a
//! viewer checks scenarios here but cannot save or run them); the version
//! history lists every saved version, shows one, and diffs any two (or one
//! with the editor).

use std::collections::BTreeMap;

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use crate::api::recording::ReplayShape;
use crate::api::ui::ScenarioVersionText;
use crate::components::diff::{diff_view, line_diff};
use crate::components::{
    query_value, raw_text, readable_time, set_not_found_status, timeline_view, DiagnosticList,
    ErrorPanel, Loading, TemplateForm,
};
use crate::scenario::{
    catalog::Catalog,
    diagnostic::Severity,
    validate::{validate_text, ValidateOptions},
};
use crate::server_fns::{get_catalog, get_scenario, list_scenario_versions, save_scenario};
use crate::server_fns::{recording::recording_as_scenario, server_resource};

/// Height of one editor line in CSS pixels (`.editor-text` in style/main.css): the
/// gutter and "go to line" count on it.
const LINE_PX: i32 = 20;

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

/// The editor opened on the scenario recording `id` becomes with `shape`
/// (`/scenarios/new?recording=…`): the Recordings page's "Save as scenario…".
/// The text is built by the server when the editor opens (`recording-scenario`),
/// so the link works from anywhere and survives a reload; nothing is saved
/// until the user saves it.
pub(crate) fn recording_scenario_path(id: &str, shape: &ReplayShape) -> String {
    let mut path = format!("/scenarios/new?recording={}", query_value(id));
    if shape.skip_initial_delay {
        path.push_str("&skip_initial_delay=true");
    }
    if shape.fast {
        path.push_str("&fast=true");
    }
    if !shape.event_types.is_empty() {
        let types: Vec<String> = shape.event_types.iter().map(|t| query_value(t)).collect();
        path.push_str(&format!("&event_types={}", types.join(",")));
    }
    path
}

/// The recording and shape named by `/scenarios/new`'s query, if any (the
/// reverse of [`recording_scenario_path`]).
fn recording_source(query: &ParamsMap) -> Option<(String, ReplayShape)> {
    let id = query.get("recording").filter(|id| !id.is_empty())?;
    let yes = |key: &str| query.get(key).is_some_and(|v| v == "true");
    let event_types = query
        .get("event_types")
        .map(|types| {
            types
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some((
        id,
        ReplayShape {
            skip_initial_delay: yes("skip_initial_delay"),
            event_types,
            fast: yes("fast"),
        },
    ))
}

/// `/scenarios/new`, empty (a starter), or with `?recording=` a recording's
/// scenario to review.
#[component]
pub fn NewScenario() -> impl IntoView {
    let query = use_query_map();
    let source = Memo::new(move |_| query.with(recording_source));
    let catalog = server_resource(|| (), |_| get_catalog());
    let made = server_resource(
        move || source.get(),
        |source| async move {
            match source {
                Some((id, shape)) => Some(recording_as_scenario(id, shape).await),
                None => None,
            }
        },
    );
    let heading = move || {
        if source.with(Option::is_some) {
            "New scenario from a recording"
        } else {
            "New scenario"
        }
    };
    view! {
        <Title text=heading />
        <p class="breadcrumbs"><a href="/scenarios">"Scenarios"</a>" / new"</p>
        <h1>{heading}</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (catalog.await, made.await) {
                    (Ok(catalog), None) => view! { <Editor initial=STARTER.to_owned() catalog /> }.into_any(),
                    (Ok(catalog), Some(Ok(made))) => {
                        let back = source.get_untracked().map(|(id, _)| super::recordings::recording_path(&id)).unwrap_or_default();
                        view! {
                            <p class="panel" id="from-recording" role="status">
                                "Made from "<a href=back>"a recording"</a>{format!(
                                    ": {} event{} became actions, {} left out (effects and health changes are observed, not replayed; or filtered). Review it, then save it.",
                                    made.actions, if made.actions == 1 { "" } else { "s" }, made.left_out
                                )}
                            </p>
                            <Editor initial=made.yaml catalog />
                        }.into_any()
                    }
                    (Ok(_), Some(Err(error))) => view! {
                        <ErrorPanel error />
                        <p><a href="/recordings">"Back to the recordings"</a></p>
                    }.into_any(),
                    (Err(error), _) => view! { <ErrorPanel error /> }.into_any(),
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
    let scenario = server_resource(name, get_scenario);
    let catalog = server_resource(|| (), |_| get_catalog());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (scenario.await, catalog.await) {
                    (Ok(scenario), Ok(catalog)) => view! {
                        <Title text=raw_text(format!("Edit {}", scenario.name)) />
                        <p class="breadcrumbs">
                            <a href="/scenarios">"Scenarios"</a>" / "
                            <a href=format!("/scenarios/{}", scenario.name)>{scenario.name.clone()}</a>" / edit"
                        </p>
                        <h1>"Edit "{scenario.name.clone()}</h1>
                        <Editor initial=scenario.definition catalog name=scenario.name />
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

/// The editor proper: line-numbered text, diagnostics, preview and Save; with
/// `name` (an existing scenario), its version history too.
#[component]
fn Editor(
    initial: String,
    catalog: Catalog,
    #[prop(optional)] name: Option<String>,
) -> impl IntoView {
    let text = RwSignal::new(initial.clone());
    let form_catalog = catalog.clone();
    let is_template = Memo::new(move |_| {
        text.with(|t| crate::scenario::parse::parse_scenario(t).is_ok_and(|d| d.is_template()))
    });
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

    // Replaces the whole text (a file, a version): the textarea's value too, which
    // its children only set at first render.
    let set_text = move |new: String| {
        if let Some(a) = area.get_untracked() {
            a.set_value(&new);
            a.set_scroll_top(0);
        }
        if let Some(g) = gutter.get_untracked() {
            g.set_scroll_top(0);
        }
        text.set(new);
    };
    // Selects line `line` and scrolls it into view, a third from the top.
    let jump = Callback::new(move |line: u32| {
        let (Some(a), gutter) = (area.get_untracked(), gutter.get_untracked()) else {
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
        if let Some(g) = gutter {
            g.set_scroll_top(a.scroll_top());
        }
    });
    let upload_note = RwSignal::new(None::<(bool, String)>);
    let on_file = move |input: leptos::web_sys::HtmlInputElement| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let file_name = file.name();
            leptos::task::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    Ok(content) => {
                        let content = content.as_string().unwrap_or_default();
                        let lines = content.lines().count();
                        set_text(content);
                        upload_note.set(Some((
                            false,
                            format!("Opened {file_name} ({lines} lines); not saved yet."),
                        )));
                    }
                    Err(_) => upload_note.set(Some((true, format!("Could not read {file_name}.")))),
                }
                // The same file can be chosen again.
                input.set_value("");
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, set_text, upload_note);
    };

    let (run_opened, run_initial) = (name.clone(), initial.clone());
    let opened_from = name.clone();
    let save = Action::new(move |yaml: &String| {
        let yaml = yaml.clone();
        let opened_from = opened_from.clone();
        async move { save_scenario(yaml, opened_from).await }
    });
    let errors = move || validation.with(|v| v.has_errors());
    // Saving and running change things: operators and admins only.
    let operator = crate::me::can(crate::api::auth::Role::Operator);
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
                    {if operator {
                        view! {
                            <button
                                type="button"
                                id="save-button"
                                class="button button-primary"
                                disabled=move || errors() || save.pending().get()
                                aria-describedby="save-reason"
                                on:click=move |_| { save.dispatch(text.get_untracked()); }
                            >
                                {move || if save.pending().get() { "Saving…" } else { "Save new version" }}
                            </button>
                            <super::editor_run::EditorRun text opened=run_opened.clone() initial=run_initial.clone() save />
                            <span id="save-reason" class="muted">{move || errors().then_some("Save is off until the errors below are fixed.")}</span>
                        }.into_any()
                    } else {
                        view! { <span class="hint" id="save-needs-role">"Check a scenario here; saving and running it need the operator role."</span> }.into_any()
                    }}
                    <label class="button" for="editor-upload">"Open a file…"</label>
                    <input type="file" id="editor-upload" class="visually-hidden" accept=".yaml,.yml,.json,text/yaml,application/json,text/plain"
                        on:change:target=move |ev| on_file(ev.target()) />
                    <span id="upload-result" role="status">
                        {move || upload_note.get().map(|(bad, note)| view! { <span class:form-error=bad class:muted=!bad>{note}</span> })}
                    </span>
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
                        {raw_text(initial)}
                    </textarea>
                </div>
                <h2>"Diagnostics"</h2>
                <Show when=move || validation.with(|v| !v.diagnostics.is_empty()) fallback=|| view! { <p class="muted" id="no-diagnostics">"No problems found."</p> }>
                    <DiagnosticList diagnostics on_select=jump />
                </Show>
                <TemplateForm text=text catalog=form_catalog on_select=jump />
                {name.map(|name| view! { <VersionHistory name text saved=save.version() on_load=Callback::new(set_text) /> })}
            </div>
            <section class="editor-preview" aria-labelledby="preview-title">
                <h2 id="preview-title">"Timeline preview"</h2>
                {move || validation.with(|v| match &v.plan {
                    Some(plan) => timeline_view(plan, None, 0),
                    None if is_template.get() => view! { <p class="panel" id="no-preview">"A template is previewed with its parameters: see “Template parameters” below the editor."</p> }.into_any(),
                    None => view! { <p class="panel" id="no-preview">"The preview returns when the scenario validates."</p> }.into_any(),
                })}
            </section>
        </div>
    }
}

/// The saved versions of scenario `name`: each can be viewed or loaded into the
/// editor, and any two (or one and the editor's text) diffed, line by line.
#[component]
fn VersionHistory(
    name: String,
    text: RwSignal<String>,
    /// Bumped by each save, so the list follows.
    saved: RwSignal<usize>,
    on_load: Callback<String>,
) -> impl IntoView {
    let versions = server_resource(
        move || (name.clone(), saved.get()),
        |(name, _)| list_scenario_versions(name),
    );
    view! {
        <section aria-labelledby="history-title" id="version-history">
            <h2 id="history-title">"Version history"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match versions.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" id="no-versions">"No saved versions yet: this is the library's file. Saving creates version 1."</p>
                        }.into_any(),
                        Ok(list) => view! { <VersionList list text on_load /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Which text a diff side shows: a saved version, or the editor's current text.
const EDITOR: &str = "editor";

#[component]
fn VersionList(
    list: Vec<ScenarioVersionText>,
    text: RwSignal<String>,
    on_load: Callback<String>,
) -> impl IntoView {
    let viewing = RwSignal::new(None::<i64>);
    let latest = list.last().map_or(1, |v| v.version);
    let from = RwSignal::new((latest - 1).max(1).to_string());
    let to = RwSignal::new(if list.len() > 1 {
        latest.to_string()
    } else {
        EDITOR.to_owned()
    });
    let texts = StoredValue::new(list.clone());
    let text_of = move |which: String| {
        if which == EDITOR {
            text.get()
        } else {
            texts.with_value(|list| {
                list.iter()
                    .find(|v| v.version.to_string() == which)
                    .map(|v| v.definition.clone())
                    .unwrap_or_default()
            })
        }
    };
    let options = move |selected: RwSignal<String>| {
        let mut choices: Vec<(String, String)> = texts.with_value(|list| {
            list.iter()
                .rev()
                .map(|v| (v.version.to_string(), format!("version {}", v.version)))
                .collect()
        });
        choices.push((EDITOR.to_owned(), "the editor (unsaved)".to_owned()));
        choices
            .into_iter()
            .map(|(value, label)| {
                let is = value.clone();
                view! { <option value=value selected=move || selected.get() == is>{label}</option> }
            })
            .collect_view()
    };
    let rows = list
        .iter()
        .rev()
        .map(|v| {
            let (version, definition) = (v.version, v.definition.clone());
            view! {
                <tr data-version=version>
                    <th scope="row">{format!("v{version}")}{(version == latest).then_some(" (latest)")}</th>
                    <td><time datetime=v.created_at.clone()>{readable_time(&v.created_at)}</time></td>
                    <td>{format!("{} lines", v.definition.lines().count())}</td>
                    <td class="row-actions">
                        <button type="button" class="button" id=format!("view-version-{version}")
                            aria-pressed=move || (viewing.get() == Some(version)).to_string()
                            on:click=move |_| viewing.update(|v| *v = if *v == Some(version) { None } else { Some(version) })>
                            "View"
                        </button>
                        <button type="button" class="button" id=format!("load-version-{version}")
                            on:click=move |_| on_load.run(definition.clone())>"Load into editor"</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table" id="versions-table">
                <thead><tr><th scope="col">"Version"</th><th scope="col">"Saved"</th><th scope="col">"Size"</th><th scope="col">"Actions"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {move || viewing.get().map(|version| view! {
            <div class="version-view">
                <h3>{format!("Version {version}")}</h3>
                <pre class="code" id="version-text"><code>{text_of(version.to_string())}</code></pre>
            </div>
        })}
        <h3>"Compare"</h3>
        <div class="filters">
            <label>"From"
                <select id="diff-from" on:change:target=move |ev| from.set(ev.target().value())>{options(from)}</select>
            </label>
            <label>"To"
                <select id="diff-to" on:change:target=move |ev| to.set(ev.target().value())>{options(to)}</select>
            </label>
        </div>
        {move || {
            let (old, new) = (text_of(from.get()), text_of(to.get()));
            diff_view(&line_diff(&old, &new))
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recordings_scenario_link_reads_back_as_its_shape() {
        let shape = ReplayShape {
            skip_initial_delay: true,
            event_types: vec!["ChaosInjected".into()],
            fast: true,
        };
        let path = recording_scenario_path("0b5e-9", &shape);
        assert_eq!(
            path,
            "/scenarios/new?recording=0b5e-9&skip_initial_delay=true&fast=true&event_types=ChaosInjected"
        );
        let mut query = ParamsMap::new();
        for pair in path.split_once('?').map_or("", |(_, q)| q).split('&') {
            if let Some((key, value)) = pair.split_once('=') {
                query.insert(key.to_owned(), value.to_owned());
            }
        }
        assert_eq!(recording_source(&query), Some(("0b5e-9".to_owned(), shape)));
        let plain = recording_scenario_path("r", &ReplayShape::default());
        assert_eq!(plain, "/scenarios/new?recording=r");
        assert_eq!(recording_source(&ParamsMap::new()), None);
    }
}
