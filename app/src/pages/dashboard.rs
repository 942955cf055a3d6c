//! `/`: what is running now with its progress (refreshed every two seconds), the
//! services' health at a glance, counts, the latest results, and a way to run a
//! scenario (operators and admins).

use leptos::prelude::*;
use leptos_meta::Title;

use super::executions::ExecutionTable;
use crate::api::{
    auth::Role,
    ui::{ActiveExecution, ServiceState},
};
use crate::components::{format_ms, ErrorPanel, Loading, StatusBadge};
use crate::server_fns::{get_overview, list_active_progress, list_service_states, server_resource};

/// How often the running executions are refreshed, in ms (in the browser).
#[cfg(feature = "hydrate")]
const REFRESH_MS: u64 = 2_000;
/// Health is asked of every service, so it is refreshed less often (every n-th tick).
const HEALTH_EVERY: u32 = 5;

/// The landing page.
#[component]
pub fn Dashboard() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || tick.update(|t| *t += 1),
        std::time::Duration::from_millis(REFRESH_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    let overview = server_resource(|| (), |_| get_overview());
    let active = server_resource(move || tick.get(), |_| list_active_progress());
    // Asked by the browser once the page is up, never while the server renders
    // it: a probe of every service (each with its own time limit) must not hold
    // back the first page (render, then fill in).
    let health = LocalResource::new(move || {
        let _ = tick.get() / HEALTH_EVERY;
        list_service_states()
    });
    let operator = crate::me::can(Role::Operator);
    view! {
        <Title text="Dashboard" />
        <div class="page-head">
            <h1>"Dashboard"</h1>
            {operator.then(|| view! { <div class="page-actions"><crate::components::ScenarioPicker /></div> })}
        </div>
        <div class="dashboard-grid">
            <section aria-labelledby="active-title">
                <h2 id="active-title">"Running and queued"</h2>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match active.await {
                            Ok(rows) if rows.is_empty() => view! { <p class="muted" id="no-active">"Nothing is running."</p> }.into_any(),
                            Ok(rows) => view! {
                                <ul class="active-list" id="active-executions">
                                    {rows.into_iter().map(|row| view! { <ActiveRow row /> }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section aria-labelledby="health-title">
                <h2 id="health-title">"Services"</h2>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match health.await {
                            Ok(services) => view! { <HealthGlance services /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
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
                            {o.executions_by_status.into_iter().map(|(status, count)| { let href = format!("/executions?status={status}"); view! {
                                <a class="stat" href=href>
                                    <span class="stat-value">{count}</span>
                                    <span class="stat-label">{status}" executions"</span>
                                </a>
                            } }).collect_view()}
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

/// One running or queued execution: its state, phase and a progress bar of
/// scenario time elapsed over planned.
#[component]
fn ActiveRow(row: ActiveExecution) -> impl IntoView {
    let ActiveExecution {
        summary,
        progress,
        phase_count,
    } = row;
    let total = progress.total_ms.max(1);
    let elapsed = progress.elapsed_ms.min(total);
    let percent = elapsed * 100 / total;
    let phase = match (&progress.phase, &progress.phase_name) {
        (Some(i), Some(name)) => format!("phase {} of {phase_count}: {name}", i + 1),
        _ if summary.status == "queued" => "waiting for a free slot".to_owned(),
        _ => "starting".to_owned(),
    };
    let label = format!(
        "{} of {} ({percent}%)",
        format_ms(elapsed),
        format_ms(progress.total_ms)
    );
    let id = summary.id.clone();
    view! {
        <li class="active-item" data-id=id.clone()>
            <div class="active-head">
                <a href=format!("/executions/{id}")>{summary.scenario_name.clone()}</a>
                <StatusBadge status=summary.status.clone() />
                <span class="muted">{phase}</span>
            </div>
            <progress class="progress" max=total value=elapsed aria-label=format!("{} progress", summary.scenario_name) data-elapsed=elapsed>{label.clone()}</progress>
            <span class="progress-label">{label}</span>
        </li>
    }
}

/// Each service as a chip, healthy or not in words and colour.
#[component]
fn HealthGlance(services: Vec<ServiceState>) -> impl IntoView {
    if services.is_empty() {
        return view! { <p class="muted">"No services are configured."</p> }.into_any();
    }
    let down = services.iter().filter(|s| !s.healthy).count();
    let summary = if down == 0 {
        format!("All {} services healthy.", services.len())
    } else {
        format!("{down} of {} services unhealthy.", services.len())
    };
    view! {
        <p id="health-summary" class:form-error=down != 0 class:ok-text=down == 0>{summary}</p>
        <ul class="health-chips" id="service-health">
            {services.into_iter().map(|s| {
                let class = if s.healthy { "chip chip-ok" } else { "chip chip-bad" };
                view! {
                    <li class=class data-service=s.name.clone()>
                        <a href="/services">{if s.healthy { "✓ " } else { "✗ " }}{s.name.clone()}</a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
