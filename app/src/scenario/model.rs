//! The scenario model (DESIGN.md §2): every field of the seed's scenarios and
//! templates, typed. Durations are [`std::time::Duration`]; action and assertion
//! parameters are JSON values checked against the [catalog](super::catalog).
//!
//! A `Scenario` is read from a [`ScenarioDocument`](super::document::ScenarioDocument)
//! by [`read_scenario`](super::structure::read_scenario), which reports every
//! structure problem with its position; the serde derives here are for writing a
//! scenario out (and reading back what was written), with unknown keys refused.
//!
//! This module is data only.

use super::catalog::ParamSpec;
use super::duration::{serde_text, serde_text_option};
use super::workload::Workload;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The only `apiVersion` there is.
pub const API_VERSION: &str = "chaos.trading/v1";

/// Parameters of an action or assertion: a JSON mapping, checked against the
/// catalog's schema for it.
pub type Parameters = Map<String, Value>;

/// A scenario or a template, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Always [`API_VERSION`].
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Scenario or Template.
    pub kind: ScenarioKind,
    /// Name, description and the rest.
    pub metadata: Metadata,
    /// A template's typed parameters (empty for scenarios).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParamSpec>,
    /// What the scenario does.
    pub spec: Spec,
}

/// Whether a document runs as it is or must be rendered with parameters first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScenarioKind {
    /// Runs as it is.
    Scenario,
    /// Has `parameters` and `{{ .Parameters.x }}` expressions to render first.
    Template,
}

/// Who and what a scenario is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The scenario's unique name (`basic-market-disruption`).
    pub name: String,
    /// One sentence on what it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its version, as text (`"1.0"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Who wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Free-form tags for search.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The library category (`market`, `infrastructure`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

/// The body of a scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The planned length; when given, the phases must fit in it.
    #[serde(
        default,
        with = "serde_text_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration: Option<Duration>,
    /// The hard stop of the whole execution; at least `duration`.
    #[serde(
        default,
        with = "serde_text_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    /// Values usable as `{{ .Variables.k }}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Value>,
    /// The phases, run in order.
    pub phases: Vec<Phase>,
    /// What undoes the chaos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<Rollback>,
    /// Conditions the whole execution must meet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub success_criteria: Vec<String>,
    /// What the report includes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporting: Option<Reporting>,
    /// Traffic driven for the whole execution, and its steady state (DESIGN.md §7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
}

/// One phase: actions at its start, parallel actions at their delays, assertions
/// polled until they hold or their `within` ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Unique within the scenario.
    pub name: String,
    /// How long the phase lasts.
    #[serde(with = "serde_text")]
    pub duration: Duration,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Run in order at the phase's start.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Each started `delay` after the phase's start, concurrently.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parallel_actions: Vec<ParallelAction>,
    /// Checked from the phase's start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assertions: Vec<Assertion>,
}

/// An action on a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// The catalog's name of the service.
    pub service: String,
    /// The action's name (`inject_latency`).
    pub action: String,
    /// Its parameters.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub parameters: Parameters,
}

/// An action started `delay` after its phase's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParallelAction {
    /// How long after the phase's start; less than the phase's duration.
    #[serde(with = "serde_text")]
    pub delay: Duration,
    /// The catalog's name of the service.
    pub service: String,
    /// The action's name.
    pub action: String,
    /// Its parameters.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub parameters: Parameters,
}

/// A check polled until it holds or `within` runs out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    /// The assertion type (`risk_alert`).
    #[serde(rename = "type")]
    pub assertion_type: String,
    /// The expected outcome, one of the type's words (`alert_generated`).
    pub expect: String,
    /// How long it may take to hold; until the phase's end when absent.
    #[serde(
        default,
        with = "serde_text_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub within: Option<Duration>,
    /// The service it looks at, for types that take one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Its parameters.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub parameters: Parameters,
}

/// What undoes the chaos when an execution fails or stops.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    /// Whether a failure triggers it (stop, timeout and shutdown always do).
    #[serde(default)]
    pub on_failure: bool,
    /// Run in order.
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// What the report includes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reporting {
    /// A timeline of every event.
    #[serde(default)]
    pub generate_timeline: bool,
    /// Latency and throughput before, during and after chaos.
    #[serde(default)]
    pub include_performance_impact: bool,
    /// Audit events matched to the chaos that caused them.
    #[serde(default)]
    pub correlate_with_audit_logs: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_round_trips_through_json_with_durations_as_text() {
        let scenario = Scenario {
            api_version: API_VERSION.to_owned(),
            kind: ScenarioKind::Scenario,
            metadata: Metadata {
                name: "x".to_owned(),
                ..Metadata::default()
            },
            parameters: vec![],
            spec: Spec {
                duration: Some(Duration::from_secs(5400)),
                phases: vec![Phase {
                    name: "p".to_owned(),
                    duration: Duration::from_secs(60),
                    description: None,
                    actions: vec![],
                    parallel_actions: vec![],
                    assertions: vec![],
                }],
                ..Spec::default()
            },
        };
        let json = serde_json::to_value(&scenario).expect("serialises");
        assert_eq!(json["apiVersion"], API_VERSION);
        assert_eq!(json["spec"]["duration"], "1h30m");
        assert_eq!(json["spec"]["phases"][0]["duration"], "1m");
        let back: Scenario = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, scenario);
    }

    #[test]
    fn serde_refuses_unknown_keys() {
        let error = serde_json::from_str::<Reporting>(r#"{"generate_timelime": true}"#)
            .expect_err("typo refused");
        assert!(error.to_string().contains("generate_timelime"));
    }
}
