//! The catalog the validator checks scenarios against (DESIGN.md §3): every
//! configured service with its kind and actions, and every assertion type.
//!
//! Actions come from each service's `GET {chaos_api_path}/capabilities`. The six
//! sandbox services' capabilities are also compiled in (from the `sandbox`
//! crate, the single source of what they serve), so scenarios validate offline;
//! `--strict` always asks the services themselves.

use std::time::Duration;

use app::scenario::{
    catalog::{ActionSpec, AssertionSpec, Catalog, ServiceKind, ServiceSpec},
    diagnostic::{Diagnostic, DiagnosticKind},
};
use reqwest::Client;
use serde_json::Value;

use crate::config::{Config, ServiceConfig};

/// How long a capabilities request may take.
const CAPABILITIES_TIMEOUT: Duration = Duration::from_secs(3);

/// The actions a sandbox service declares, when `name` is one of them.
pub fn sandbox_actions(name: &str) -> Option<Vec<ActionSpec>> {
    let service = sandbox::Service::from_name(name)?;
    let json: Vec<Value> = sandbox::catalog::actions(service)
        .iter()
        .map(|a| a.to_json())
        .collect();
    serde_json::from_value(Value::Array(json)).ok()
}

fn base_catalog(config: &Config) -> Catalog {
    let mut catalog = Catalog::new();
    for custom in &config.custom_assertions {
        let expect: Vec<&str> = custom.expect.iter().map(String::as_str).collect();
        let mut spec = AssertionSpec::new(&expect, Vec::new());
        spec.description = custom.description.clone().unwrap_or_default();
        catalog.add_assertion(custom.name.clone(), spec);
    }
    catalog
}

fn kind_of(service: &ServiceConfig) -> ServiceKind {
    if service.process.is_some() {
        ServiceKind::Process
    } else if service.chaos_api_path.is_some() {
        ServiceKind::ChaosApi
    } else {
        ServiceKind::Http
    }
}

/// The faults of a proxied service's proxy, when it has one.
pub fn proxy_actions(service: &ServiceConfig) -> Option<Vec<ActionSpec>> {
    let actions = match service.proxy.as_ref()?.protocol {
        fault_proxy::Protocol::Tcp => fault_proxy::tcp_actions(),
        fault_proxy::Protocol::Http => fault_proxy::http_actions(),
    };
    let json: Vec<Value> = actions.iter().map(|a| a.to_json()).collect();
    serde_json::from_value(Value::Array(json)).ok()
}

/// The catalog without asking any service: the sandbox's compiled-in
/// capabilities for its six services, the proxies' faults for proxied
/// services, no declared actions for others.
pub fn offline(config: &Config) -> Catalog {
    let mut catalog = base_catalog(config);
    for service in config.services.values() {
        let actions = proxy_actions(service)
            .or_else(|| sandbox_actions(&service.name))
            .unwrap_or_default();
        catalog.add_service(
            service.name.clone(),
            ServiceSpec {
                kind: kind_of(service),
                actions,
            },
        );
    }
    catalog
}

/// The catalog from the services' live `/chaos/capabilities`, with a diagnostic
/// for each service that does not answer (strict mode).
pub async fn live(config: &Config, client: &Client) -> (Catalog, Vec<Diagnostic>) {
    let mut catalog = base_catalog(config);
    let mut problems = Vec::new();
    for service in config.services.values() {
        let kind = kind_of(service);
        let actions = match (&service.chaos_api_path, kind) {
            (Some(path), ServiceKind::ChaosApi) => {
                match fetch_capabilities(client, service, path).await {
                    Ok(actions) => actions,
                    Err(reason) => {
                        problems.push(
                        Diagnostic::error(
                            DiagnosticKind::UnknownService,
                            "",
                            format!("service {} is not reachable for strict validation: {reason}", service.name),
                        )
                        .with_hint(format!(
                            "start it (for the sandbox: test-coordinator sandbox) or check services.{}.url ({})",
                            service.name, service.url
                        )),
                    );
                        proxy_actions(service)
                            .or_else(|| sandbox_actions(&service.name))
                            .unwrap_or_default()
                    }
                }
            }
            _ => Vec::new(),
        };
        catalog.add_service(service.name.clone(), ServiceSpec { kind, actions });
    }
    (catalog, problems)
}

async fn fetch_capabilities(
    client: &Client,
    service: &ServiceConfig,
    chaos_path: &str,
) -> Result<Vec<ActionSpec>, String> {
    let url = format!(
        "{}{}/capabilities",
        service.chaos_base().as_str().trim_end_matches('/'),
        chaos_path.trim_end_matches('/')
    );
    let response = service
        .chaos_auth(client.get(&url))
        .timeout(CAPABILITIES_TIMEOUT.min(service.timeout))
        .send()
        .await
        .map_err(|e| {
            if e.is_connect() {
                format!("cannot connect to {url}")
            } else {
                format!("{url}: {e}")
            }
        })?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("{url} did not answer JSON: {e}"))?;
    let actions = body.get("actions").cloned().unwrap_or(body);
    serde_json::from_value(actions)
        .map_err(|e| format!("{url}: capabilities in an unknown shape: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scenario of the library validates and plans against the catalog
    /// the default configuration offers offline: the sandbox's six services
    /// and the default `market-data-proxy` with the proxy's real faults.
    #[test]
    fn every_library_scenario_validates_against_the_default_configuration() {
        let config = crate::config::Settings::default()
            .validate()
            .expect("the defaults are valid");
        let catalog = offline(&config);
        let options = app::scenario::validate::ValidateOptions::default();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
        let mut checked = Vec::new();
        for entry in std::fs::read_dir(dir).expect("the library") {
            let path = entry.expect("an entry").path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            let validation = app::scenario::validate::validate_text(&text, &catalog, &options);
            let shown: Vec<String> = validation
                .diagnostics
                .iter()
                .map(ToString::to_string)
                .collect();
            assert!(
                !validation.has_errors() && validation.plan.is_some(),
                "{}: {shown:#?}",
                path.display()
            );
            checked.push(path);
        }
        assert!(
            checked.iter().any(|p| p.ends_with("proxy-latency.yaml")),
            "{checked:?}"
        );
    }

    /// The shipped orchestrations (`scenarios/orchestrations/`) validate
    /// against the default configuration, their `config` blocks against the
    /// proxy's real faults and their steps against the built-in library.
    #[test]
    fn every_shipped_orchestration_validates_against_the_default_configuration() {
        let config = crate::config::Settings::default()
            .validate()
            .expect("the defaults are valid");
        let catalog = offline(&config);
        let library = crate::library::Library::load(&config);
        let names = |kind: &str| {
            library
                .files()
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| f.name.clone())
                .collect::<std::collections::BTreeSet<_>>()
        };
        let (scenarios, templates) = (names("Scenario"), names("Template"));
        let known = app::orchestration::Known {
            catalog: &catalog,
            library: &scenarios,
            uploaded: &Default::default(),
            templates: &templates,
        };
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/orchestrations");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).expect("the orchestrations") {
            let path = entry.expect("an entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            let validation = app::orchestration::validate_orchestration(&text, &known);
            assert!(
                validation.orchestration.is_some(),
                "{}: {:#?}",
                path.display(),
                validation.diagnostics
            );
            checked += 1;
        }
        assert!(checked >= 1);
    }
}
