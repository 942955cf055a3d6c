//! `/orchestrations/{id}` (`?version=N` for an older version): one
//! orchestration — its steps as a table in run order (what each runs, its
//! delay, its time box, what its failure means), Export YAML / JSON (the REST
//! download), its versions and its recent runs; for operators Edit,
//! "Remove…" behind an in-place question, and the Run form (speed, dry run)
//! that starts a run and opens its page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::{
    auth::Role,
    describe::format_ms,
    download::path_segment,
    orchestration::{OrchestrationDetail, OrchestrationStart},
    suite::{SuiteAccepted, SuiteSummary},
    ApiError,
};
use crate::components::{
    outcome_of, raw_text, readable_time, set_not_found_status, ConfirmButton, ErrorPanel, Loading,
    Outcome,
};
use crate::orchestration::{Orchestration, StepScenario};
use crate::server_fns::{
    orchestration::{get_orchestration, remove_orchestration, start_orchestration},
    server_resource,
};

use super::orchestrations::{mode_words, orchestration_path, run_path, RunLink};

/// The REST download of orchestration `id` (`version`, or the latest) as
/// `yaml` or `json`, and the file name it is saved as.
fn export_link(id: &str, version: Option<i64>, format: &str) -> (String, String) {
    let mut href = format!(
        "/api/v1/orchestrations/{}/export?format={format}",
        path_segment(id)
    );
    let mut file = crate::api::download::scenario_file_name(id, "", version);
    if let Some(version) = version {
        href.push_str(&format!("&version={version}"));
    }
    // `name.yaml` → `name.orchestration.yaml` (or `.json`).
    file = format!(
        "{}.orchestration.{format}",
        file.strip_suffix(".yaml").unwrap_or(&file)
    );
    (href, file)
}

/// What a step runs, in words, and the page to see it on (if any).
pub(crate) fn source_words(scenario: &StepScenario) -> (String, Option<String>) {
    let page = |name: &str| Some(format!("/scenarios/{}", path_segment(name)));
    match scenario {
        StepScenario::Library { name } => (format!("library scenario {name}"), page(name)),
        StepScenario::Uploaded { id, version } => {
            let which = version.map_or_else(|| "latest".to_owned(), |v| format!("v{v}"));
            (format!("uploaded scenario {id} ({which})"), page(id))
        }
        StepScenario::Inline { definition } => {
            let name = definition["metadata"]["name"].as_str().unwrap_or("unnamed");
            (format!("inline scenario {name}"), None)
        }
        StepScenario::Template {
            template,
            parameters,
        } => {
            let n = parameters.len();
            let words = format!(
                "template {template} ({n} parameter{})",
                if n == 1 { "" } else { "s" }
            );
            (words, page(template))
        }
        StepScenario::Faults {
            service,
            enabled: false,
            ..
        } => (format!("a quiet period on {service} (no faults)"), None),
        StepScenario::Faults {
            service, faults, ..
        } => {
            let actions: Vec<&str> = faults.iter().map(|f| f.action.as_str()).collect();
            (format!("faults on {service}: {}", actions.join(", ")), None)
        }
    }
}

/// The steps in run order: name, what each runs, its delay, its time box and
/// what its failure means. The editor's preview shows the same table.
pub(crate) fn steps_table(orchestration: &Orchestration) -> impl IntoView {
    let rows = orchestration
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let (words, page) = source_words(&step.scenario);
            let source = match page {
                Some(href) => view! { <a href=href>{words}</a> }.into_any(),
                None => view! { <span>{words}</span> }.into_any(),
            };
            let delay = if step.delay_before_seconds == 0 {
                "—".to_owned()
            } else {
                format_ms(step.delay_before_seconds.saturating_mul(1000))
            };
            let limit = step.duration_seconds.map_or_else(
                || "its own length".to_owned(),
                |s| format_ms(s.saturating_mul(1000)),
            );
            let failure = if step.continue_on_failure {
                "goes on"
            } else {
                "stops the run"
            };
            view! {
                <tr class="step-row" data-step=step.name.clone()>
                    <td>{i + 1}</td>
                    <th scope="row">{step.name.clone()}</th>
                    <td>{source}</td>
                    <td>{delay}</td>
                    <td>{limit}</td>
                    <td>{failure}</td>
                </tr>
            }
        })
        .collect_view();
    let how = if orchestration.parallel {
        "Every step starts at once (each after its own delay)."
    } else {
        "Each step starts when the one before has ended (then waits its delay)."
    };
    let looped = (orchestration.iterations() > 1)
        .then(|| format!(" The steps run {} times.", orchestration.iterations()));
    view! {
        <p class="muted" id="steps-how">{how}{looped}</p>
        <div class="table-wrap">
            <table class="table" id="steps-table">
                <thead><tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"Step"</th>
                    <th scope="col">"Runs"</th>
                    <th scope="col">"Delay before"</th>
                    <th scope="col">"Time box"</th>
                    <th scope="col">"If it fails, the run"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// `/orchestrations/{id}`.
#[component]
pub fn OrchestrationPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let version = move || {
        query
            .read()
            .get("version")
            .and_then(|v| v.parse::<i64>().ok())
    };
    let detail = server_resource(
        move || (id(), version()),
        |(id, version)| get_orchestration(id, version),
    );
    let remove = Action::new(|id: &String| remove_orchestration(id.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            navigate("/orchestrations", Default::default());
        }
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <Detail detail remove /> }.into_any(),
                    Err(error) => {
                        set_not_found_status(&error);
                        view! {
                            <Title text="Orchestration" />
                            <p class="breadcrumbs"><a href="/orchestrations">"Orchestrations"</a></p>
                            <h1>"Orchestration"</h1>
                            <ErrorPanel error />
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// Everything on the page once the orchestration has loaded.
#[component]
fn Detail(
    detail: OrchestrationDetail,
    remove: Action<String, Result<(), ApiError>>,
) -> impl IntoView {
    let operator = crate::me::can(Role::Operator);
    let confirming = RwSignal::new(None::<String>);
    let d = detail;
    let o = &d.orchestration;
    let latest = d.version == d.latest_version;
    // An older version is exported and run as that version.
    let pinned = (!latest).then_some(d.version);
    let (yaml_href, yaml_file) = export_link(&d.id, pinned, "yaml");
    let (json_href, json_file) = export_link(&d.id, pinned, "json");
    let remove_outcome = Signal::derive(move || {
        outcome_of(
            remove.value().get().filter(Result::is_err),
            "Not removed",
            |_| String::new(),
        )
    });
    let remove_id = d.id.clone();
    let actions = operator.then(|| {
        view! {
            <a class="button" id="edit-orchestration" href=format!("{}/edit", orchestration_path(&d.id))>"Edit"</a>
            <ConfirmButton key=d.id.clone() id="remove-orchestration" label="Remove…"
                question=format!("Remove “{}”? Its versions and runs are kept; importing it again brings it back.", d.id)
                yes="Yes, remove" confirming on_confirm=move || { remove.dispatch(remove_id.clone()); } />
        }
    });
    view! {
        <Title text=raw_text(d.id.clone()) />
        <p class="breadcrumbs"><a href="/orchestrations">"Orchestrations"</a>" / "{d.id.clone()}</p>
        <div class="page-head">
            <div>
                <h1 id="orchestration-title">{d.id.clone()}</h1>
                {o.description.clone().map(|text| view! { <p id="orchestration-description">{text}</p> })}
                <p class="card-meta">
                    <span class="tag" id="orchestration-version">{format!("version {}", d.version)}</span>
                    <span>{format!("{} step{}", o.steps.len(), if o.steps.len() == 1 { "" } else { "s" })}</span>
                    <span id="orchestration-mode">{mode_words(o.parallel, o.iterations())}</span>
                    {o.tags.iter().map(|t| view! { <span class="tag tag-quiet">{t.clone()}</span> }).collect_view()}
                    <span>{format!("first imported {} by {}", readable_time(&d.created_at), d.created_by)}</span>
                </p>
            </div>
            <div class="page-actions">
                <a class="button" id="export-yaml" href=yaml_href download=yaml_file.clone() title=format!("Saves {yaml_file}")>"Export YAML"</a>
                <a class="button" id="export-json" href=json_href download=json_file.clone() title=format!("Saves {json_file}")>"Export JSON"</a>
                {actions}
            </div>
        </div>
        <Outcome id="remove-result" outcome=remove_outcome />
        {(!latest).then(|| view! {
            <p class="panel" id="older-version" role="status">
                {format!("This is version {} of {}. ", d.version, d.latest_version)}
                <a href=orchestration_path(&d.id)>"See the latest"</a>
            </p>
        })}
        {operator.then(|| view! { <RunForm id=d.id.clone() version=pinned /> })}
        <section aria-labelledby="steps-title">
            <h2 id="steps-title">"Steps"</h2>
            {steps_table(o)}
        </section>
        <div class="two-columns">
            <section aria-labelledby="runs-title">
                <h2 id="runs-title">"Recent runs"</h2>
                <RunTable runs=d.runs.clone() />
            </section>
            <section aria-labelledby="versions-title">
                <h2 id="versions-title">"Versions"</h2>
                <VersionTable detail=d.clone() />
            </section>
        </div>
        <details class="orchestration-document">
            <summary>"The document"</summary>
            <pre class="code" id="orchestration-content"><code>{d.content.clone()}</code></pre>
        </details>
    }
}

/// Speed and dry run; "Run" starts a run and opens its page.
#[component]
fn RunForm(id: String, version: Option<i64>) -> impl IntoView {
    let speed = RwSignal::new("1".to_owned());
    let dry_run = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let start = Action::new(|request: &OrchestrationStart| start_orchestration(request.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(accepted)) = start.value().get() {
            navigate(&run_path(&accepted.suite_id), Default::default());
        }
    });
    let start_outcome = Signal::derive(move || {
        outcome_of(
            start.value().get().filter(Result::is_err),
            "Not started",
            |_: SuiteAccepted| String::new(),
        )
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match speed.get_untracked().trim().parse::<f64>() {
            Ok(value) if value.is_finite() && value > 0.0 => {
                problem.set(None);
                start.dispatch(OrchestrationStart {
                    id: Some(id.clone()),
                    version,
                    speed: value,
                    dry_run: dry_run.get_untracked(),
                    ..OrchestrationStart::default()
                });
            }
            _ => problem.set(Some(
                "Speed: a number above 0 (60 runs a minute of scenario time per second)."
                    .to_owned(),
            )),
        }
    };
    view! {
        <section class="panel" aria-labelledby="run-form-title">
            <h2 id="run-form-title">"Run"</h2>
            <form id="run-orchestration-form" class="row-actions orch-run-form" on:submit=submit>
                <label>"Speed ×"
                    <input type="number" id="run-speed" class="rec-number" min="0.001" step="any"
                        aria-describedby="run-speed-hint"
                        prop:value=move || speed.get() on:input:target=move |ev| speed.set(ev.target().value()) />
                </label>
                <label class="check">
                    <input type="checkbox" id="run-dry"
                        prop:checked=move || dry_run.get() on:change:target=move |ev| dry_run.set(ev.target().checked()) />
                    "Dry run (call nothing)"
                </label>
                <button type="submit" class="button button-primary" id="run-orchestration"
                    disabled=move || start.pending().get()>
                    {move || if start.pending().get() { "Starting…" } else { "Run" }}
                </button>
            </form>
            <p class="hint" id="run-speed-hint">"One scale for every step, its delay and its time box: 1 is real time, 60 a minute per second."</p>
            <p class="form-error" id="run-problem" role="alert">{move || problem.get()}</p>
            <Outcome id="run-result" outcome=start_outcome />
        </section>
    }
}

/// The orchestration's recent runs, newest first.
#[component]
fn RunTable(runs: Vec<SuiteSummary>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="muted" id="no-runs">"Not run yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" id="runs-table">
                <thead><tr>
                    <th scope="col">"Run"</th>
                    <th scope="col">"Version"</th>
                    <th scope="col">"Started"</th>
                    <th scope="col">"Ended"</th>
                </tr></thead>
                <tbody>
                    {runs.into_iter().map(|run| {
                        let version = run.orchestration.as_ref().and_then(|o| o.version).map(|v| format!("v{v}"));
                        let (started, ended) = (readable_time(&run.created_at), run.finished_at.as_deref().map(readable_time));
                        view! {
                            <tr data-run=run.id.clone()>
                                <td><RunLink run=run.clone() /></td>
                                <td>{version}</td>
                                <td>{started}</td>
                                <td>{ended.unwrap_or_else(|| "—".to_owned())}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Every version, newest first; the one shown is marked, the others link.
#[component]
fn VersionTable(detail: OrchestrationDetail) -> impl IntoView {
    let path = orchestration_path(&detail.id);
    view! {
        <div class="table-wrap">
            <table class="table" id="versions-table">
                <thead><tr>
                    <th scope="col">"Version"</th>
                    <th scope="col">"Imported"</th>
                    <th scope="col">"By"</th>
                </tr></thead>
                <tbody>
                    {detail.versions.iter().rev().map(|v| {
                        let label = format!("v{}{}", v.version, if v.version == detail.latest_version { " (latest)" } else { "" });
                        let link = if v.version == detail.version {
                            view! { <strong aria-current="page">{label}</strong> }.into_any()
                        } else if v.version == detail.latest_version {
                            view! { <a href=path.clone()>{label}</a> }.into_any()
                        } else {
                            view! { <a href=format!("{path}?version={}", v.version)>{label}</a> }.into_any()
                        };
                        view! {
                            <tr data-version=v.version>
                                <th scope="row">{link}</th>
                                <td>{readable_time(&v.created_at)}</td>
                                <td>{v.created_by.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exports_link_the_rest_download_with_a_safe_file_name() {
        let (href, file) = export_link("my-drill", None, "yaml");
        assert_eq!(href, "/api/v1/orchestrations/my-drill/export?format=yaml");
        assert_eq!(file, "my-drill.orchestration.yaml");
        let (href, file) = export_link("my-drill", Some(2), "json");
        assert_eq!(
            href,
            "/api/v1/orchestrations/my-drill/export?format=json&version=2"
        );
        assert_eq!(file, "my-drill-v2.orchestration.json");
    }

    #[test]
    fn each_source_reads_as_words_with_its_page() {
        let library = StepScenario::Library {
            name: "market-crash".into(),
        };
        assert_eq!(
            source_words(&library),
            (
                "library scenario market-crash".to_owned(),
                Some("/scenarios/market-crash".to_owned())
            )
        );
        let inline = StepScenario::Inline {
            definition: json!({"metadata": {"name": "x"}}),
        };
        assert_eq!(source_words(&inline).0, "inline scenario x");
        let quiet = StepScenario::Faults {
            service: "p".into(),
            enabled: false,
            faults: Vec::new(),
        };
        assert_eq!(source_words(&quiet).0, "a quiet period on p (no faults)");
    }
}
