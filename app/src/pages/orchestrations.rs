//! `/orchestrations` (issue 19, seed 001): every stored orchestration — its
//! steps, whether they run side by side or in a loop, its latest version and
//! its last run (linked to the run's page) — and, for operators, "New
//! orchestration". The library page lists the scenarios the steps run, and
//! shows these orchestrations in a short section ([`OrchestrationLinks`]).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    auth::Role, download::path_segment, orchestration::OrchestrationSummary, suite::SuiteSummary,
};
use crate::components::{readable_time, ErrorPanel, Loading, StatusBadge};
use crate::server_fns::{orchestration::list_orchestrations, server_resource};

/// The page of orchestration `id`.
pub(crate) fn orchestration_path(id: &str) -> String {
    format!("/orchestrations/{}", path_segment(id))
}

/// The page of run (suite) `id`.
pub(crate) fn run_path(id: &str) -> String {
    format!("/orchestrations/runs/{}", path_segment(id))
}

/// `sequential`, `parallel`, with `× N` when it loops.
pub(crate) fn mode_words(parallel: bool, iterations: u32) -> String {
    let mode = if parallel { "parallel" } else { "sequential" };
    if iterations > 1 {
        format!("{mode}, loops × {iterations}")
    } else {
        mode.to_owned()
    }
}

/// A run's status badge, linked to its page.
#[component]
pub(crate) fn RunLink(run: SuiteSummary) -> impl IntoView {
    let short: String = run.id.chars().take(8).collect();
    view! {
        <a href=run_path(&run.id) class="run-link" title=format!("Run {} of {}", run.id, readable_time(&run.created_at))>
            <StatusBadge status=run.status.as_str() />
            " "<span class="muted">{format!("run {short}")}</span>
        </a>
    }
}

/// The Orchestrations page.
#[component]
pub fn Orchestrations() -> impl IntoView {
    let list = server_resource(|| (), |_| list_orchestrations());
    let operator = crate::me::can(Role::Operator);
    view! {
        <Title text="Orchestrations" />
        <div class="page-head">
            <div>
                <h1>"Orchestrations"</h1>
                <p class="muted">
                    "An orchestration chains scenarios as steps — one after another or side by side, once or in a loop — each with its delay, time box and failure rule. A run is one execution per step, each in the history. The "
                    <a href="/scenarios">"library"</a>" lists the scenarios and templates a step can run."
                </p>
            </div>
            {operator.then(|| view! {
                <div class="page-actions">
                    <a class="button button-primary" href="/orchestrations/new" id="new-orchestration">"New orchestration"</a>
                </div>
            })}
        </div>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <OrchestrationTable orchestrations=list.orchestrations operator /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Every orchestration, by id.
#[component]
fn OrchestrationTable(orchestrations: Vec<OrchestrationSummary>, operator: bool) -> impl IntoView {
    if orchestrations.is_empty() {
        let how = if operator {
            "Write one with “New orchestration”, or import a document through the API or the CLI."
        } else {
            "An operator writes them here, or imports them through the API or the CLI."
        };
        return view! { <p class="panel" id="no-orchestrations">"No orchestrations yet. "{how}</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" id="orchestrations-table">
                <thead><tr>
                    <th scope="col">"Orchestration"</th>
                    <th scope="col">"Steps"</th>
                    <th scope="col">"Runs as"</th>
                    <th scope="col">"Version"</th>
                    <th scope="col">"Last run"</th>
                </tr></thead>
                <tbody>
                    {orchestrations.into_iter().map(|o| {
                        let steps = o.steps.len();
                        view! {
                            <tr data-orchestration=o.id.clone()>
                                <th scope="row">
                                    <a href=orchestration_path(&o.id)>{o.id.clone()}</a>
                                    {o.description.clone().map(|d| view! { <div class="muted">{d}</div> })}
                                    {(!o.tags.is_empty()).then(|| view! {
                                        <div class="card-meta">{o.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</div>
                                    })}
                                </th>
                                <td>
                                    {format!("{steps} step{}", if steps == 1 { "" } else { "s" })}
                                    <div class="muted">{o.steps.join(" → ")}</div>
                                </td>
                                <td>{mode_words(o.parallel, o.iterations)}</td>
                                <td>
                                    {format!("v{}", o.version)}
                                    <div class="muted">{readable_time(&o.updated_at)}</div>
                                </td>
                                <td>{match o.last_run {
                                    Some(run) => view! { <RunLink run /> }.into_any(),
                                    None => view! { <span class="muted">"never run"</span> }.into_any(),
                                }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The library page's short list of orchestrations: names linked to their
/// pages, with the link to the Orchestrations page.
#[component]
pub fn OrchestrationLinks() -> impl IntoView {
    let list = server_resource(|| (), |_| list_orchestrations());
    view! {
        <section class="library-orchestrations" id="library-orchestrations" aria-labelledby="library-orchestrations-title">
            <h2 id="library-orchestrations-title">"Orchestrations"</h2>
            <p class="muted">
                "Scenarios chained as steps. "
                <a href="/orchestrations">"All orchestrations"</a>
            </p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) if list.orchestrations.is_empty() => view! {
                            <p class="muted">"None yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="link-list">
                                {list.orchestrations.into_iter().map(|o| {
                                    let steps = o.steps.len();
                                    view! {
                                        <li data-orchestration=o.id.clone()>
                                            <a href=orchestration_path(&o.id)>{o.id.clone()}</a>
                                            <span class="muted">{format!(" · {steps} step{} · {}", if steps == 1 { "" } else { "s" }, mode_words(o.parallel, o.iterations))}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_escape_ids_and_modes_read_as_words() {
        assert_eq!(orchestration_path("a b"), "/orchestrations/a%20b");
        assert_eq!(run_path("0b5e-9"), "/orchestrations/runs/0b5e-9");
        assert_eq!(mode_words(false, 1), "sequential");
        assert_eq!(mode_words(true, 3), "parallel, loops × 3");
    }
}
