//! `/services`: each configured service's health, capabilities (the actions the
//! validator's catalog knows it offers) and active chaos, with "clear chaos" per
//! service and for all, each behind a confirmation (operators and admins).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{auth::Role, ui::ServiceState};
use crate::components::{ConfirmButton, ErrorPanel, Loading, Outcome};
use crate::scenario::catalog::Catalog;
use crate::server_fns::{clear_chaos, get_catalog, list_service_states};

/// The services page.
#[component]
pub fn Services() -> impl IntoView {
    let clear = Action::new(|service: &Option<String>| {
        let service = service.clone();
        async move { clear_chaos(service).await }
    });
    // Refetch after every clear, so the table shows what the services now report.
    let services = Resource::new(move || clear.version().get(), |_| list_service_states());
    let catalog = Resource::new(|| (), |_| get_catalog());
    let confirming = RwSignal::new(None::<String>);
    let operator = crate::me::can(Role::Operator);
    let feedback = move || {
        clear.value().get().map(|result| match result {
            Ok(done) if done.iter().all(|d| d.cleared) => (
                false,
                format!(
                    "Chaos cleared on {}.",
                    done.iter()
                        .map(|d| d.service.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Ok(done) => (
                true,
                format!(
                    "Some services did not clear: {}.",
                    done.iter()
                        .filter(|d| !d.cleared)
                        .map(|d| d.service.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Err(error) => (true, format!("Could not clear chaos: {}", error.message)),
        })
    };
    view! {
        <Title text="Services" />
        <div class="page-head">
            <h1>"Services"</h1>
            {operator.then(|| view! {
                <div class="page-actions">
                    <ConfirmButton key="__all__" id="clear-all" label="Clear all chaos" question="Clear chaos on every service?" yes="Yes, clear" confirming on_confirm=move || { clear.dispatch(None); } />
                </div>
            })}
        </div>
        <p class="muted">"The services scenarios act on: their health and the chaos they report right now."</p>
        <Outcome id="clear-feedback" outcome=Signal::derive(feedback) />
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                // Without the catalog the table still shows health and chaos.
                let catalog = catalog.await.unwrap_or_default();
                match services.await {
                    Ok(list) if list.is_empty() => view! { <p class="panel">"No services are configured."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                        <table class="table" id="services-table">
                            <thead><tr><th scope="col">"Service"</th><th scope="col">"Health"</th><th scope="col">"Capabilities"</th><th scope="col">"Active chaos"</th>{operator.then(|| view! { <th scope="col">"Actions"</th> })}</tr></thead>
                            <tbody>
                                {list.into_iter().map(|s| {
                                    let capabilities = capabilities(&catalog, &s.name);
                                    view! { <ServiceRow service=s capabilities confirming operator on_clear=move |name| { clear.dispatch(Some(name)); } /> }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ServiceRow(
    service: ServiceState,
    /// (action, what it does, the action it is an alias of).
    capabilities: Vec<(String, String, Option<String>)>,
    confirming: RwSignal<Option<String>>,
    /// The viewer may clear chaos.
    operator: bool,
    on_clear: impl Fn(String) + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let chaos = describe_chaos(&service.active_chaos);
    let name = service.name.clone();
    view! {
        <tr data-service=service.name.clone()>
            <th scope="row">{service.name.clone()}<div class="muted"><code>{service.url.clone()}</code></div></th>
            <td>
                {if service.healthy {
                    view! { <span class="health-ok">"✓ healthy"</span> }.into_any()
                } else {
                    view! { <span class="health-bad">{format!("✗ unhealthy{}", service.status.map(|s| format!(" ({s})")).unwrap_or_else(|| " (no answer)".to_owned()))}</span> }.into_any()
                }}
            </td>
            <td class="capabilities-cell">
                <span class="capabilities">
                    {capabilities.into_iter().map(|(action, about, alias_of)| match alias_of {
                        Some(target) => view! {
                            <span class="capability-alias" data-alias-of=target.clone()><code title=about>{action}</code>" (alias of "<code>{target.clone()}</code>")"</span>
                        }.into_any(),
                        None => view! { <code title=about>{action}</code> }.into_any(),
                    }).collect_view()}
                </span>
            </td>
            <td class="chaos-cell">{chaos}</td>
            // A viewer has no Actions column at all.
            {operator.then(|| view! {
                <td>
                    {service.has_chaos_api.then(|| {
                        let on_clear = on_clear.clone();
                        let target = name.clone();
                        view! {
                            <ConfirmButton key=name.clone() id=format!("clear-{name}") label="Clear chaos" question=format!("Clear chaos on {target}?") yes="Yes, clear" confirming on_confirm=move || on_clear(target.clone()) />
                        }
                    })}
                </td>
            })}
        </tr>
    }
}

/// The actions `service` offers, declared ones first, each with its description
/// (or its parameters when it has none) and the action it is an alias of.
fn capabilities(catalog: &Catalog, service: &str) -> Vec<(String, String, Option<String>)> {
    catalog
        .action_names(service)
        .into_iter()
        .map(|name| {
            let spec = catalog.action(service, name);
            let alias_of = spec.as_ref().and_then(|s| s.alias_of.clone());
            let about = spec
                .map(|spec| {
                    if spec.description.is_empty() {
                        spec.parameters
                            .iter()
                            .map(|p| format!("{}: {}", p.name, p.describe()))
                            .collect::<Vec<_>>()
                            .join("; ")
                    } else {
                        spec.description.clone()
                    }
                })
                .unwrap_or_default();
            (name.to_owned(), about, alias_of)
        })
        .collect()
}

/// Active chaos in words: `none`, or each entry.
fn describe_chaos(chaos: &serde_json::Value) -> String {
    use serde_json::Value;
    match chaos {
        Value::Null => "unknown".to_owned(),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        Value::Object(map) if map.is_empty() => "none".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.get("action")
                    .or_else(|| i.get("type"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}
