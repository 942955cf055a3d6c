//! A `config` step as a scenario: the document the runner executes for it, which
//! the scenario validator accepts like any other.
//!
//! One phase, named after the step and lasting its `duration_seconds`, whose
//! actions are the step's faults; no assertions (a phase needs none) and no
//! rollback (the engine clears an execution's proxied faults whenever it ends,
//! docs/proxy.md). A disabled step's phase has no action: a quiet period.

use super::model::{Step, StepScenario};
use crate::scenario::model::API_VERSION;
use serde_json::{json, Value};

/// The longest generated scenario name: the server's limit on scenario ids.
pub const MAX_SCENARIO_NAME_CHARS: usize = 64;

impl Step {
    /// The scenario that runs this step, as JSON, when it is a `config` step
    /// (`None` for the other sources, and for a `config` step without
    /// `duration_seconds`, which validation refuses). Its `metadata.name` is
    /// [`scenario_name`]`(orchestration, step)`.
    pub fn faults_scenario(&self, orchestration: &str) -> Option<Value> {
        let StepScenario::Faults {
            service,
            enabled,
            faults,
        } = &self.scenario
        else {
            return None;
        };
        let seconds = self.duration_seconds?;
        let actions: Vec<Value> = if *enabled {
            faults
                .iter()
                .map(|fault| {
                    json!({
                        "service": service,
                        "action": fault.action,
                        "parameters": fault.parameters,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let what = if actions.is_empty() {
            format!("a quiet period on `{service}`")
        } else {
            let names: Vec<&str> = faults.iter().map(|fault| fault.action.as_str()).collect();
            format!("{} on `{service}`", names.join(", "))
        };
        Some(json!({
            "apiVersion": API_VERSION,
            "kind": "Scenario",
            "metadata": {
                "name": scenario_name(orchestration, &self.name),
                "description": format!(
                    "Step `{}` of orchestration `{orchestration}`: {what} for {seconds}s",
                    self.name
                ),
            },
            "spec": {
                "phases": [{
                    "name": self.name,
                    "duration": format!("{seconds}s"),
                    "actions": actions,
                }],
            },
        }))
    }
}

/// `<orchestration>-<step>` made a valid scenario id: lowercase, every run of
/// other characters one `-`, starting with a letter or digit, at most
/// [`MAX_SCENARIO_NAME_CHARS`] characters (`step` when nothing is left).
pub fn scenario_name(orchestration: &str, step: &str) -> String {
    let mut name = String::new();
    for c in format!("{orchestration}-{step}").chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
        if name.len() == MAX_SCENARIO_NAME_CHARS {
            break;
        }
    }
    let name = name.trim_start_matches('_').trim_end_matches(['-', '_']);
    if name.is_empty() {
        "step".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_slugs_of_the_orchestration_and_the_step() {
        assert_eq!(
            scenario_name("my_chaos_test", "warmup"),
            "my_chaos_test-warmup"
        );
        assert_eq!(scenario_name("drill", "Slow Prices!"), "drill-slow-prices");
        assert_eq!(scenario_name("", "ÉÉ"), "step");
        let long = scenario_name("a".repeat(60).as_str(), "bbbbbbbbbb");
        assert_eq!(long.len(), MAX_SCENARIO_NAME_CHARS);
        assert!(long.ends_with("-bbb"));
    }
}
