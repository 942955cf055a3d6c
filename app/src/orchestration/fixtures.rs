//! What the orchestration tests share: the seed's example, a catalog with the
//! fault proxy's actions (as fault-proxy/src/http_faults.rs and faults.rs
//! publish them, rebuilt here: `app` does not depend on the proxy), and a
//! server's names.

use super::validate::Known;
use crate::scenario::catalog::{
    ActionSpec, Catalog, ParamSpec, ParamType, ServiceKind, ServiceSpec,
};
use crate::scenario::diagnostic::Diagnostic;
use std::collections::BTreeSet;

/// Seed 001's orchestration example, with `service` added to each `config`.
pub const SEED_EXAMPLE: &str = "\
name: my_chaos_test
description: Comprehensive chaos testing
steps:
  - name: warmup
    scenario:
      config:
        service: market-data-proxy
        enabled: true
        latency:
          fixed_delay_ms: 50
    duration_seconds: 30
  - name: load_test
    scenario:
      config:
        service: market-data-proxy
        rate_limit:
          requests_per_second: 500
    duration_seconds: 120
    delay_before_seconds: 10
  - name: chaos
    scenario:
      name: settlement-cascade-failure
    duration_seconds: 60
    continue_on_failure: true
parallel: false
loop_orchestration: false
max_iterations: 1
tags: [test, chaos]
";

fn filters() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new("method", ParamType::Enum).values(&["GET", "POST", "PUT", "DELETE"]),
        ParamSpec::new("path", ParamType::String),
        ParamSpec::new("toxicity", ParamType::Float).range(Some(0.0), Some(1.0)),
    ]
}

fn with_filters(mut parameters: Vec<ParamSpec>) -> Vec<ParamSpec> {
    parameters.extend(filters());
    parameters
}

/// The HTTP proxy's faults.
pub fn http_proxy_actions() -> Vec<ActionSpec> {
    let ms = |name| ParamSpec::new(name, ParamType::Int).range(Some(0.0), Some(600_000.0));
    vec![
        ActionSpec::new(
            "latency",
            with_filters(vec![ms("latency").required(), ms("jitter")]),
        ),
        ActionSpec::new(
            "error",
            with_filters(vec![
                ParamSpec::new("status", ParamType::Int).range(Some(400.0), Some(599.0)),
                ParamSpec::new("body", ParamType::String),
                ParamSpec::new("content_type", ParamType::String),
            ]),
        ),
        ActionSpec::new("abort", filters()),
        ActionSpec::new(
            "rate_limit",
            with_filters(vec![
                ParamSpec::new("requests_per_second", ParamType::Float)
                    .required()
                    .range(Some(0.01), Some(1_000_000.0)),
                ParamSpec::new("burst", ParamType::Int).range(Some(1.0), Some(1_000_000.0)),
            ]),
        ),
        ActionSpec::new(
            "corrupt_body",
            with_filters(vec![
                ParamSpec::new("rate", ParamType::Float).range(Some(0.0), Some(1.0))
            ]),
        ),
    ]
}

/// The TCP proxy's latency and bandwidth.
fn tcp_proxy_actions() -> Vec<ActionSpec> {
    let toxicity = || ParamSpec::new("toxicity", ParamType::Float).range(Some(0.0), Some(1.0));
    vec![
        ActionSpec::new(
            "latency",
            vec![
                ParamSpec::new("latency", ParamType::Int)
                    .required()
                    .range(Some(0.0), Some(600_000.0)),
                ParamSpec::new("jitter", ParamType::Int).range(Some(0.0), Some(600_000.0)),
                toxicity(),
            ],
        ),
        ActionSpec::new(
            "bandwidth",
            vec![
                ParamSpec::new("rate", ParamType::Int)
                    .required()
                    .range(Some(1.0), Some(10_000_000.0)),
                toxicity(),
            ],
        ),
    ]
}

/// `market-data-proxy` (HTTP) and `orders-db-proxy` (TCP), chaos-API services.
pub fn catalog() -> Catalog {
    let mut catalog = Catalog::new();
    catalog.add_service(
        "market-data-proxy",
        ServiceSpec {
            kind: ServiceKind::ChaosApi,
            actions: http_proxy_actions(),
        },
    );
    catalog.add_service(
        "orders-db-proxy",
        ServiceSpec {
            kind: ServiceKind::ChaosApi,
            actions: tcp_proxy_actions(),
        },
    );
    catalog
}

fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// What a test server knows.
pub struct Server {
    pub catalog: Catalog,
    pub library: BTreeSet<String>,
    pub uploaded: BTreeSet<String>,
    pub templates: BTreeSet<String>,
}

impl Server {
    pub fn new() -> Self {
        Self {
            catalog: catalog(),
            library: names(&[
                "basic-market-disruption",
                "settlement-cascade-failure",
                "proxy-latency",
            ]),
            uploaded: names(&["my-exchange-outage"]),
            templates: names(&["latency-template"]),
        }
    }

    pub fn known(&self) -> Known<'_> {
        Known {
            catalog: &self.catalog,
            library: &self.library,
            uploaded: &self.uploaded,
            templates: &self.templates,
        }
    }
}

/// `(kind, path, line, column)` of each diagnostic, for assertions.
pub fn summary(diagnostics: &[Diagnostic]) -> Vec<(String, String, u32, u32)> {
    diagnostics
        .iter()
        .map(|d| {
            (
                d.kind.as_str().to_owned(),
                d.path.clone(),
                d.line.unwrap_or(0),
                d.column.unwrap_or(0),
            )
        })
        .collect()
}

/// The one diagnostic at `path`; panics with all of them otherwise.
pub fn only_at<'a>(diagnostics: &'a [Diagnostic], path: &str) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.path == path).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one diagnostic at {path}, got {:#?}",
        diagnostics
    );
    found[0]
}
