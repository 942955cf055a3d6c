use leptos::prelude::*;
use leptos_meta::Title;

use super::executions::ExecutionTable;
use crate::components::{ErrorPanel, Loading};
use crate::server_fns::{get_overview, list_active};

/// The landing page: counts, recent executions and where to go next.
#[component]
pub fn Dashboard() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    let active = Resource::new(|| (), |_| list_active());
    view! {
        <Title text="Dashboard" />
        <div class="page-head">
            <h1>"Dashboard"</h1>
            <div class="page-actions"><a class="button button-primary" href="/scenarios" id="run-a-scenario">"Run a scenario"</a></div>
        </div>
        <h2>"Running and queued"</h2>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match active.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="muted" id="no-active">"Nothing is running."</p> }.into_any(),
                    Ok(rows) => view! { <div id="active-executions"><ExecutionTable rows /></div> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! {
                        <section class="stats" aria-label="At a glance">
                            <a class="stat" href="/scenarios">
                                <span class="stat-value" id="library-count">{o.library_count}</span>
                                <span class="stat-label">"scenarios and templates in the library"</span>
                            </a>
                            <a class="stat" href="/services">
                                <span class="stat-value" id="service-count">{o.service_count}</span>
                                <span class="stat-label">"services configured"</span>
                            </a>
                            {o.executions_by_status.into_iter().map(|(status, count)| view! {
                                <a class="stat" href="/executions">
                                    <span class="stat-value">{count}</span>
                                    <span class="stat-label">{status}" executions"</span>
                                </a>
                            }).collect_view()}
                        </section>
                        <h2>"Recent executions"</h2>
                        <ExecutionTable rows=o.recent_executions />
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
