//! The fault-injection proxies' chaos API (docs/proxy.md) as the coordinator
//! reads it: the answers of `…/status`, `…/lease` and `…/clear`, the effects
//! they carry and the proxies' errors. `fault-proxy` writes these shapes (it
//! knows nothing of this crate); the coordinator reads them through these
//! types only, and `server/tests/api/proxy.rs` runs both against each other.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::ChaosEffect;

/// `GET /proxies/{name}/chaos/status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProxyStatus {
    /// Its active faults, in the order they act.
    #[serde(default)]
    pub active: Vec<ProxyActiveFault>,
    /// Requests or connections so far: `none` (untouched) and per action.
    #[serde(default)]
    pub requests: BTreeMap<String, u64>,
}

/// One active fault in a proxy's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProxyActiveFault {
    /// `fault-000001`.
    pub id: String,
    /// The action.
    pub action: String,
    /// The parameters it was injected with (each action's own).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// The execution holding it; none when injected by hand.
    #[serde(default)]
    pub owner: Option<String>,
    /// Time left on its lease, ms.
    #[serde(default)]
    pub remaining_ms: Option<u64>,
}

/// `POST …/lease`: the execution's faults renewed, and what they did since
/// the last collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProxyRenewal {
    /// The ids renewed; empty: the execution's faults are gone.
    #[serde(default)]
    pub renewed: Vec<String>,
    /// What they did, per second and kind.
    #[serde(default)]
    pub effects: Vec<ProxyEffectRow>,
}

/// `POST …/clear`: how many faults were cleared, and (for an execution) what
/// they did since the last collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProxyClearing {
    /// How many faults were cleared.
    #[serde(default)]
    pub cleared: usize,
    /// What the execution's faults did, per second and kind.
    #[serde(default)]
    pub effects: Vec<ProxyEffectRow>,
}

/// The effects of one kind in one second (`fault_proxy::EffectRow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProxyEffectRow {
    /// The second (Unix time).
    pub second: u64,
    /// Requests or connections touched (chunks, for traffic shaping).
    pub count: u64,
    /// What was done.
    pub event_type: ChaosEffect,
}

/// A proxy's refusal: `{error: {kind, message, details?}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProxyRefusal {
    /// What went wrong.
    pub error: ProxyError,
}

/// The error of a [`ProxyRefusal`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProxyError {
    /// `unsupported_action`, `invalid_parameter`, `not_found`, `conflict`, …
    pub kind: String,
    /// One sentence for a person.
    pub message: String,
    /// What it was about.
    #[serde(default)]
    pub details: ProxyErrorDetails,
}

/// The details of a [`ProxyError`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProxyErrorDetails {
    /// Every problem with the parameters (`invalid_parameter`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ParameterProblem>,
    /// The actions offered (`unsupported_action`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported: Vec<String>,
}

/// One problem with a parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ParameterProblem {
    /// The parameter (empty: the body as a whole).
    pub parameter: String,
    /// What is wrong.
    pub message: String,
}
