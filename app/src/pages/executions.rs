use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::ExecutionSummary;
use crate::components::{ErrorPanel, Loading, StatusBadge};
use crate::server_fns::list_executions;

/// How many executions the history page shows.
const PAGE_SIZE: u32 = 50;

/// The execution history, newest first.
#[component]
pub fn Executions() -> impl IntoView {
    let executions = Resource::new(|| (), |_| list_executions(PAGE_SIZE));
    view! {
        <Title text="Executions" />
        <h1>"Executions"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match executions.await {
                    Ok(rows) => view! { <ExecutionTable rows /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A table of executions, or a note that there are none.
#[component]
pub fn ExecutionTable(rows: Vec<ExecutionSummary>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="panel" id="no-executions">"No executions recorded yet."</p> }
            .into_any();
    }
    view! {
        <table class="table" id="executions-table">
            <thead>
                <tr><th scope="col">"Scenario"</th><th scope="col">"State"</th><th scope="col">"Started by"</th><th scope="col">"Submitted"</th><th scope="col">"Ended"</th></tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|e| view! {
                    <tr>
                        <th scope="row">{e.scenario_name}</th>
                        <td><StatusBadge status=e.status /></td>
                        <td>{e.started_by}</td>
                        <td><time>{e.created_at}</time></td>
                        <td>{e.finished_at.unwrap_or_else(|| "—".to_owned())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
