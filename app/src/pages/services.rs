//! `/services`: each configured service's health, capabilities (the actions the
//! validator's catalog knows it offers) and active chaos, with "clear chaos" per
//! service and for all, each behind a confirmation (operators and admins).
//! A service behind a fault-injection proxy also shows the proxy's address,
//! its faults with the time left on their leases, and its request counters,
//! refreshed every few seconds; operators inject a fault through it by hand,
//! behind a confirmation, and the audit log records it (docs/proxy.md).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    auth::Role,
    rest::InjectChaosRequest,
    ui::{ProxyView, ServiceState},
};
use crate::components::{ConfirmButton, ErrorPanel, Loading, Outcome};
use crate::scenario::catalog::Catalog;
use crate::server_fns::{
    clear_chaos, get_catalog, inject_chaos, list_service_states, server_resource,
};

/// How often the table is refreshed (leases count down, counters grow), ms.
#[cfg(feature = "hydrate")]
const REFRESH_MS: u64 = 2_000;

/// The services page.
#[component]
pub fn Services() -> impl IntoView {
    let clear = Action::new(|service: &Option<String>| {
        let service = service.clone();
        async move { clear_chaos(service).await }
    });
    let inject = Action::new(|(service, request): &(String, InjectChaosRequest)| {
        let (service, request) = (service.clone(), request.clone());
        async move { inject_chaos(service, request).await }
    });
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || tick.update(|t| *t += 1),
        std::time::Duration::from_millis(REFRESH_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    // Refetch after every clear or injection, so the table shows what the
    // services now report; and every few seconds, for the leases and counters.
    let services = server_resource(
        move || (clear.version().get(), inject.version().get(), tick.get()),
        |_| list_service_states(),
    );
    // The form's targets, read once: the form is not redrawn while typing.
    let targets = server_resource(|| (), |_| list_service_states());
    let catalog = server_resource(|| (), |_| get_catalog());
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
        {operator.then(|| view! {
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let catalog = catalog.await.unwrap_or_default();
                    let proxied: Vec<String> = targets
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|s| s.proxy.is_some())
                        .map(|s| s.name)
                        .collect();
                    (!proxied.is_empty()).then(|| view! { <InjectForm proxied catalog confirming inject /> })
                })}
            </Transition>
        })}
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
            <th scope="row">
                {service.name.clone()}<div class="muted"><code>{service.url.clone()}</code></div>
                {service.proxy.as_ref().map(|p| view! {
                    <div class="muted proxy-address">{format!("{} proxy → ", p.protocol)}<code>{p.upstream.clone()}</code></div>
                })}
            </th>
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
            <td class="chaos-cell">
                {match &service.proxy {
                    Some(proxy) => view! { <ProxyChaos proxy=proxy.clone() /> }.into_any(),
                    None => chaos.into_any(),
                }}
            </td>
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

/// A proxy's faults, each with the time left on its lease and who holds
/// it, then its request counters.
#[component]
fn ProxyChaos(proxy: ProxyView) -> impl IntoView {
    if !proxy.reachable {
        return view! { <span class="health-bad">"the proxies' chaos API does not answer"</span> }
            .into_any();
    }
    let untouched = proxy.requests.get("none").copied().unwrap_or(0);
    let touched: Vec<String> = proxy
        .requests
        .iter()
        .filter(|(fault, count)| fault.as_str() != "none" && **count > 0)
        .map(|(fault, count)| format!("{count} {fault}"))
        .collect();
    let counters = if touched.is_empty() {
        format!("{untouched} untouched")
    } else {
        format!("{untouched} untouched · {}", touched.join(" · "))
    };
    view! {
        {if proxy.faults.is_empty() {
            view! { <span>"none"</span> }.into_any()
        } else {
            view! {
                <ul class="proxy-faults">
                    {proxy.faults.into_iter().map(|f| {
                        let holder = match &f.owner {
                            Some(owner) => format!("held by execution {}", owner.chars().take(8).collect::<String>()),
                            None => "by hand".to_owned(),
                        };
                        let left = f.remaining_ms.map(|ms| format!(", {} left", countdown(ms))).unwrap_or_default();
                        view! {
                            <li data-fault=f.action.clone()><code>{f.action.clone()}</code>" "<span class="muted">{f.parameters.clone()}</span>" — "<span class="lease">{format!("{holder}{left}")}</span></li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <div class="muted proxy-counters" title="requests (HTTP) or connections (TCP) through the proxy, by the fault that touched them">{counters}</div>
    }
    .into_any()
}

/// `9m 58s`, `42s`.
fn countdown(ms: u64) -> String {
    let seconds = ms.div_ceil(1000);
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

/// Injects a fault by hand through a service's proxy: service, action,
/// parameters (a JSON object) and ttl, behind a confirmation.
#[component]
fn InjectForm(
    proxied: Vec<String>,
    catalog: Catalog,
    confirming: RwSignal<Option<String>>,
    inject: Action<
        (String, InjectChaosRequest),
        Result<crate::api::rest::InjectedChaos, crate::api::ApiError>,
    >,
) -> impl IntoView {
    let service = RwSignal::new(proxied.first().cloned().unwrap_or_default());
    let action = RwSignal::new(String::new());
    let parameters = RwSignal::new("{}".to_owned());
    let ttl = RwSignal::new("10m".to_owned());
    let mistake = RwSignal::new(None::<String>);
    let catalog = StoredValue::new(catalog);
    // The actions the chosen service's proxy offers (not the clears or `http`).
    let actions = move || {
        catalog.with_value(|c| {
            c.action_names(&service.get())
                .into_iter()
                .filter(|a| !matches!(*a, "http" | "clear_chaos" | "clear_all_chaos"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
    };
    Effect::new(move |_| {
        let offered = actions();
        if !offered.contains(&action.get_untracked()) {
            action.set(offered.first().cloned().unwrap_or_default());
        }
    });
    let about = move || {
        catalog.with_value(|c| {
            c.action(&service.get(), &action.get())
                .map(|spec| {
                    spec.parameters
                        .iter()
                        .map(|p| format!("{}: {}", p.name, p.describe()))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default()
        })
    };
    let outcome = move || {
        if let Some(problem) = mistake.get() {
            return Some((true, problem));
        }
        inject.value().get().map(|result| match result {
            Ok(done) => (
                false,
                format!("{} injected on {}.", done.action, done.service),
            ),
            Err(error) => (true, format!("Not injected: {}", error.message)),
        })
    };
    let submit = move || {
        let parsed = serde_json::from_str::<serde_json::Value>(&parameters.get_untracked());
        let Ok(serde_json::Value::Object(parameters)) = parsed else {
            mistake.set(Some(
                "Parameters must be a JSON object, like {\"latency\": 300}.".to_owned(),
            ));
            return;
        };
        mistake.set(None);
        let ttl = ttl.get_untracked();
        inject.dispatch((
            service.get_untracked(),
            InjectChaosRequest {
                action: action.get_untracked(),
                parameters,
                ttl: (!ttl.trim().is_empty()).then(|| ttl.trim().to_owned()),
            },
        ));
    };
    view! {
        <section class="panel" id="inject" aria-labelledby="inject-title">
            <h2 id="inject-title">"Inject a fault by hand"</h2>
            <p class="muted">"Through a service's fault-injection proxy. No execution holds it: it lives its ttl, then the proxy clears it by itself. The audit log records who injected it."</p>
            <div class="form-row">
                <label>"Service "
                    <select id="inject-service" on:change=move |ev| service.set(event_target_value(&ev)) prop:value=move || service.get()>
                        {proxied.into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Action "
                    <select id="inject-action" on:change=move |ev| action.set(event_target_value(&ev)) prop:value=move || action.get()>
                        {move || actions().into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"ttl "
                    <input id="inject-ttl" type="text" size="6" prop:value=move || ttl.get() on:input=move |ev| ttl.set(event_target_value(&ev)) />
                </label>
            </div>
            <label class="block">"Parameters (JSON) "
                <textarea id="inject-parameters" rows="2" prop:value=move || parameters.get() on:input=move |ev| parameters.set(event_target_value(&ev))></textarea>
            </label>
            <p class="muted" id="inject-about">{about}</p>
            {move || {
                let question = format!("Inject {} on {} for {}?", action.get(), service.get(), ttl.get());
                view! { <ConfirmButton key="__inject__" id="inject-fault" label="Inject…" question yes="Yes, inject" confirming on_confirm=submit /> }
            }}
            <Outcome id="inject-feedback" outcome=Signal::derive(outcome) />
        </section>
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
