//! The orchestration model: scenarios chained as steps (seed 001's orchestration
//! document), typed, with the bounds the structure check
//! ([`parse_orchestration`](super::parse_orchestration)) enforces.
//!
//! An [`Orchestration`] is read from text by
//! [`parse_orchestration`](super::parse_orchestration) or
//! [`validate_orchestration`](super::validate_orchestration), which report every
//! problem with its position; the serde derives here are for the server to store
//! and send the model (and read back what it wrote), with unknown keys refused.
//!
//! This module is data only.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The longest orchestration name, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
/// The most tags an orchestration has.
pub const MAX_TAGS: usize = 32;
/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// The most steps an orchestration has.
pub const MAX_STEPS: usize = 50;
/// The longest step name, in characters.
pub const MAX_STEP_NAME_CHARS: usize = 128;
/// The most iterations of a looping orchestration.
pub const MAX_ITERATIONS: u32 = 100;
/// The most executions one run of an orchestration starts (steps × iterations).
pub const MAX_MEMBERS: usize = 1000;
/// The longest `duration_seconds` of a step: 7 days.
pub const MAX_STEP_DURATION_SECONDS: u64 = 604_800;
/// The longest `delay_before_seconds` of a step: 1 day.
pub const MAX_DELAY_BEFORE_SECONDS: u64 = 86_400;

/// Scenarios run as steps, one after another or side by side, once or in a loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Orchestration {
    /// Lowercase letters, digits, `-` and `_`, starting with a letter or digit
    /// (the server makes its id from it).
    pub name: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Whether the steps start together rather than one after another.
    #[serde(default)]
    pub parallel: bool,
    /// Whether the steps run [`max_iterations`](Self::max_iterations) times.
    #[serde(default)]
    pub loop_orchestration: bool,
    /// How many times the steps run when looping; ignored otherwise.
    #[serde(default = "one")]
    pub max_iterations: u32,
    /// Free-form tags for search.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

fn one() -> u32 {
    1
}

impl Orchestration {
    /// How many times the steps run: `max_iterations` when looping, else once.
    pub fn iterations(&self) -> u32 {
        if self.loop_orchestration {
            self.max_iterations
        } else {
            1
        }
    }

    /// How many executions one run starts: steps × iterations.
    pub fn member_count(&self) -> usize {
        self.steps
            .len()
            .saturating_mul(usize::try_from(self.iterations()).unwrap_or(usize::MAX))
    }
}

/// One step: a scenario, when it starts and what its failure means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Step {
    /// Unique within the orchestration.
    pub name: String,
    /// What the step runs.
    pub scenario: StepScenario,
    /// How long the step lasts, in seconds: required for
    /// [`StepScenario::Faults`] (the faults last that long); for the other
    /// sources, the seed's limit on the step, which the runner applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u64>,
    /// How long to wait before the step starts.
    #[serde(default)]
    pub delay_before_seconds: u64,
    /// Whether the orchestration goes on when this step fails.
    #[serde(default)]
    pub continue_on_failure: bool,
}

/// Where a step's scenario comes from: exactly one source per step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepScenario {
    /// A library scenario by name: `scenario: name` or `scenario: {name: x}`.
    Library {
        /// The scenario's `metadata.name`.
        name: String,
    },
    /// An uploaded scenario: `scenario: {id: x, version: 3}`.
    Uploaded {
        /// The upload's id.
        id: String,
        /// Its version; the latest when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<i64>,
    },
    /// A whole scenario written in the step: `scenario: {inline: {apiVersion, kind,
    /// metadata, spec}}`.
    Inline {
        /// The scenario document, as JSON.
        #[cfg_attr(feature = "ssr", schema(value_type = Object))]
        definition: Value,
    },
    /// A template rendered with parameters: `scenario: {template: x, parameters:
    /// {...}}`.
    Template {
        /// The template's name.
        template: String,
        /// The values of its parameters.
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        #[cfg_attr(feature = "ssr", schema(value_type = Object))]
        parameters: Map<String, Value>,
    },
    /// Faults on one service for the step's `duration_seconds`: the seed's
    /// `scenario: {config: {...}}` (its ChaosConfig), adapted to the fault proxy
    /// (see [`faults`](super::faults) for the mapping).
    Faults {
        /// The service whose faults are injected.
        service: String,
        /// `false`: the step injects nothing (a quiet period).
        enabled: bool,
        /// The faults, in the order the proxy applies them.
        faults: Vec<Fault>,
    },
}

/// One fault-proxy action with its parameters, as a scenario action writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Fault {
    /// The proxy's action (`latency`, `error`, `rate_limit`, `bandwidth`).
    pub action: String,
    /// Its parameters, in the proxy's names.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub parameters: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(name: &str) -> Step {
        Step {
            name: name.to_owned(),
            scenario: StepScenario::Library {
                name: "basic-market-disruption".to_owned(),
            },
            duration_seconds: None,
            delay_before_seconds: 0,
            continue_on_failure: false,
        }
    }

    fn orchestration(steps: usize) -> Orchestration {
        Orchestration {
            name: "o".to_owned(),
            description: None,
            steps: (0..steps).map(|i| step(&format!("s{i}"))).collect(),
            parallel: false,
            loop_orchestration: false,
            max_iterations: 5,
            tags: Vec::new(),
        }
    }

    #[test]
    fn iterations_count_only_when_the_orchestration_loops() {
        let mut o = orchestration(3);
        assert_eq!(o.iterations(), 1);
        assert_eq!(o.member_count(), 3);
        o.loop_orchestration = true;
        assert_eq!(o.iterations(), 5);
        assert_eq!(o.member_count(), 15);
    }

    #[test]
    fn the_model_round_trips_through_json_with_defaults_filled_in() {
        let json = json!({
            "name": "o",
            "steps": [{
                "name": "faults",
                "scenario": {"source": "faults", "service": "p", "enabled": true,
                             "faults": [{"action": "latency", "parameters": {"latency": 50}}]},
                "duration_seconds": 30
            }]
        });
        let read: Orchestration = serde_json::from_value(json).expect("reads");
        assert_eq!(read.max_iterations, 1);
        assert!(!read.parallel && read.tags.is_empty());
        let written = serde_json::to_value(&read).expect("writes");
        assert_eq!(written["steps"][0]["scenario"]["source"], "faults");
        let back: Orchestration = serde_json::from_value(written).expect("reads back");
        assert_eq!(back, read);
    }
}
