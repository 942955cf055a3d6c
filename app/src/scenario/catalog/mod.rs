//! The catalog: what the validator checks a scenario against, passed in as data.
//!
//! Services → their kind → the actions they support → each action's parameter
//! schema; and assertion types → the `expect` words and parameters they accept.
//! An [`ActionSpec`] deserialises from exactly what a chaos-API service returns from
//! `GET /chaos/capabilities`, so the server can fill the catalog from live services;
//! [`Catalog::builtin_assertions`] are the types the engine implements, and custom
//! ones from config are added with [`Catalog::add_assertion`].
//!
//! [`ParamSpec`] is also the shape of a template's typed `parameters`, so one
//! checker ([`ParamSpec::check`]) serves action parameters, assertion parameters
//! and template parameter values.
//!
//! This module owns the data and the value checks; it knows nothing of scenarios.

//!
//! # Layout
//! - `params`: parameter schemas and the value checker.
//! - `assertions`: the built-in assertion types and their roles
//!   ([`assertion_role`]).

mod assertions;
mod params;
#[cfg(test)]
mod tests;

pub use assertions::{assertion_role, ALERT_TYPES, HTTP_METHODS};
pub(crate) use params::{describe_value, quoted_list};
pub use params::{ParamSpec, ParamType};

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How a service is driven; decides the actions it has without declaring them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// Speaks the chaos API of DESIGN.md §3; also has `clear_chaos` and
    /// `clear_all_chaos`.
    ChaosApi,
    /// A plain HTTP service: only the `http` action.
    Http,
    /// A local process the coordinator supervises: `start`, `stop`, `kill`, `restart`.
    Process,
}

/// One action a service supports: `GET /chaos/capabilities` returns a list of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionSpec {
    /// The action's name as scenarios write it (`inject_latency`).
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Its parameters.
    #[serde(default)]
    pub parameters: Vec<ParamSpec>,
    /// The action this one is a shorthand of, when the service says so
    /// (`latency` → `inject_latency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<String>,
}

impl ActionSpec {
    /// An action with these parameters.
    pub fn new(name: impl Into<String>, parameters: Vec<ParamSpec>) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            parameters,
            alias_of: None,
        }
    }
}

/// A service of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceSpec {
    /// How it is driven.
    pub kind: ServiceKind,
    /// The actions it declares (those implied by its kind come on top).
    #[serde(default)]
    pub actions: Vec<ActionSpec>,
}

/// Whether an assertion type needs the assertion's `service` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceUse {
    /// `service` may be given (and must then name a known service).
    #[default]
    Optional,
    /// `service` must be given.
    Required,
}

/// An assertion type: the `expect` words and parameters it accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssertionSpec {
    /// The accepted `expect` words.
    pub expect: Vec<String>,
    /// Its parameters.
    #[serde(default)]
    pub parameters: Vec<ParamSpec>,
    /// Whether it needs `service`.
    #[serde(default)]
    pub service: ServiceUse,
    /// What it checks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What its success shows: detection, recovery, or neither.
    #[serde(default)]
    pub role: AssertionRole,
}

/// What an assertion's success shows. The engine's verdict
/// (`risk_system_correctly_identified_all_breaches`, `system_recovered_within_sla`),
/// the report's recovery times and `/metrics`' recovery histogram all read it
/// through [`assertion_role`], so they cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssertionRole {
    /// Risk controls noticed the chaos (`risk_alert`, `position_limits`…).
    Detection,
    /// The system recovered from it (`system_recovery`, `price_recovery`…).
    Recovery,
    /// Neither: a check of state or behaviour.
    #[default]
    Check,
}

impl AssertionSpec {
    /// An assertion type accepting `expect` words and `parameters`.
    pub fn new(expect: &[&str], parameters: Vec<ParamSpec>) -> Self {
        Self {
            expect: expect.iter().map(|word| (*word).to_owned()).collect(),
            parameters,
            service: ServiceUse::Optional,
            description: String::new(),
            role: AssertionRole::Check,
        }
    }

    /// The same spec, needing `service`.
    pub fn with_service(mut self) -> Self {
        self.service = ServiceUse::Required;
        self
    }
}

/// Everything the validator checks against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Catalog {
    /// Services by name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceSpec>,
    /// Assertion types by name.
    #[serde(default)]
    pub assertions: BTreeMap<String, AssertionSpec>,
}

/// The actions every `process` service has.
pub const PROCESS_ACTIONS: [&str; 4] = ["start", "stop", "kill", "restart"];

/// The actions every `chaos_api` service has (POST `/chaos/clear`).
pub const CLEAR_ACTIONS: [&str; 2] = ["clear_chaos", "clear_all_chaos"];

/// The action every service has: an HTTP request to one of its paths.
pub const HTTP_ACTION: &str = "http";

/// What an action does to the chaos on its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChaosEffect {
    /// It injects chaos (`inject_latency`, `simulate_downtime`, `kill`…).
    Injects,
    /// It takes chaos away (`clear_chaos`, `restore_liquidity`, `restart`…).
    Clears,
    /// Neither: a request or an operation (`http`, `start_strategy`,
    /// `scale_strategies`, a process `start`).
    Neutral,
}

/// What `action` does to the chaos on its service, by its name: the report's
/// chaos windows and the workload's recovery time both start from this.
pub fn chaos_effect(action: &str) -> ChaosEffect {
    match action {
        HTTP_ACTION | "start" | "start_strategy" | "stop_strategy" | "scale_strategies" => {
            ChaosEffect::Neutral
        }
        "restore_liquidity" | "resume_normal_settlement" | "restart" | "price_recovery" => {
            ChaosEffect::Clears
        }
        clear if clear.starts_with("clear") => ChaosEffect::Clears,
        _ => ChaosEffect::Injects,
    }
}

impl Catalog {
    /// A catalog with the built-in assertion types and no services yet.
    pub fn new() -> Self {
        Self {
            services: BTreeMap::new(),
            assertions: Self::builtin_assertions(),
        }
    }

    /// Adds (or replaces) a service.
    pub fn add_service(&mut self, name: impl Into<String>, service: ServiceSpec) {
        self.services.insert(name.into(), service);
    }

    /// Adds (or replaces) an assertion type, such as a custom one from config.
    pub fn add_assertion(&mut self, name: impl Into<String>, assertion: AssertionSpec) {
        self.assertions.insert(name.into(), assertion);
    }

    /// The action `action` of `service`, declared or implied by the service's kind;
    /// `None` when the service or the action is unknown.
    pub fn action(&self, service: &str, action: &str) -> Option<Cow<'_, ActionSpec>> {
        let spec = self.services.get(service)?;
        if let Some(declared) = spec.actions.iter().find(|a| a.name == action) {
            return Some(Cow::Borrowed(declared));
        }
        implied_action(spec.kind, action).map(Cow::Owned)
    }

    /// Every action name `service` supports, declared first.
    pub fn action_names(&self, service: &str) -> Vec<&str> {
        let Some(spec) = self.services.get(service) else {
            return Vec::new();
        };
        let mut names: Vec<&str> = spec.actions.iter().map(|a| a.name.as_str()).collect();
        let implied: &[&str] = match spec.kind {
            ServiceKind::ChaosApi => &CLEAR_ACTIONS,
            ServiceKind::Process => &PROCESS_ACTIONS,
            ServiceKind::Http => &[],
        };
        for name in implied.iter().chain(std::iter::once(&HTTP_ACTION)) {
            if !names.contains(name) {
                names.push(name);
            }
        }
        names
    }
}

/// The actions a service of `kind` has without declaring them.
fn implied_action(kind: ServiceKind, action: &str) -> Option<ActionSpec> {
    use ParamType::{Int, Object, String as Text};
    if action == HTTP_ACTION {
        return Some(ActionSpec::new(
            HTTP_ACTION,
            vec![
                ParamSpec::new("method", ParamType::Enum).values(&HTTP_METHODS),
                ParamSpec::new("path", Text).required(),
                ParamSpec::new("body", ParamType::Any),
                ParamSpec::new("headers", Object),
                ParamSpec::new("expect_status", Int).range(Some(100.0), Some(599.0)),
            ],
        ));
    }
    let implied = match kind {
        ServiceKind::ChaosApi => CLEAR_ACTIONS.contains(&action),
        ServiceKind::Process => PROCESS_ACTIONS.contains(&action),
        ServiceKind::Http => false,
    };
    implied.then(|| ActionSpec::new(action, Vec::new()))
}
