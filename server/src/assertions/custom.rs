//! Assertion types declared in config, without recompiling:
//!
//! ```yaml
//! assertions:
//!   order_backlog_low:
//!     service: exchange-simulator
//!     path: /api/v1/orders/stats
//!     checks: [{pointer: /open_orders, op: "<", value: 100}]
//!     expect: [holds]
//! ```

use serde::Deserialize;
use serde_json::{json, Value};

use super::{fail, http::check_all, pass, unreachable, Registry};
use crate::engine::{AssertionCall, CheckOutcome};

/// One custom assertion type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomAssertion {
    /// The `type` scenarios use (filled from the config key).
    #[serde(default)]
    pub name: String,
    /// The service queried.
    pub service: String,
    /// The path GET-ed on it.
    pub path: String,
    /// Conditions on the JSON answer; all must hold.
    pub checks: Vec<Value>,
    /// Accepted `expect` words (default `holds`).
    #[serde(default = "default_expect")]
    pub expect: Vec<String>,
    /// What it means, for people.
    #[serde(default)]
    pub description: Option<String>,
}

fn default_expect() -> Vec<String> {
    vec!["holds".to_owned()]
}

impl CustomAssertion {
    pub(super) async fn check(&self, registry: &Registry, call: &AssertionCall) -> CheckOutcome {
        let body = match registry.get_json(call, &self.service, &self.path).await {
            Ok(body) => body,
            Err(error) => return unreachable(error),
        };
        match check_all(&body, &self.checks) {
            Ok(failed) if failed.is_empty() => pass(
                format!("{}: every condition held", self.name),
                json!({"body": body}),
            ),
            Ok(failed) => fail(failed.join("; "), json!({"body": body})),
            Err(error) => fail(error, json!({"body": body})),
        }
    }
}
