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

use serde_json::json;

use super::{fail, http::check_all, pass, unreachable, Registry};
pub use crate::config::CustomAssertion;
use crate::engine::{AssertionCall, CheckOutcome};

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
