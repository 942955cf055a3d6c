//! The [`Plan`]: a validated, rendered scenario with every offset computed from
//! the start of the execution — what the engine runs, what a dry run prints
//! ([`Plan::timeline_text`]) and what the UI draws.
//!
//! Offsets are [`Duration`]s, serialised as whole milliseconds in fields ending in
//! `_ms`. A Plan is only made by [`validate`](super::validate::validate), from a
//! scenario without errors, so it is consistent by construction: phases follow one
//! another, every parallel action starts inside its phase, and every assertion's
//! deadline is inside its phase.
//!
//! This module owns the plan's shape and its printing; it does no checking.

use super::duration::{format_duration, serde_millis, serde_millis_option};
use super::model::{Action, Metadata, Parameters, Reporting, Scenario};
use super::workload::Workload;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// The validated scenario with absolute offsets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The scenario's metadata (its `name` identifies it).
    pub metadata: Metadata,
    /// The planned length: `spec.duration`, or the phases' total when not given.
    #[serde(with = "serde_millis")]
    pub total_ms: Duration,
    /// The hard stop of the execution (`spec.timeout`), when given.
    #[serde(with = "serde_millis_option")]
    pub timeout_ms: Option<Duration>,
    /// The phases in order.
    pub phases: Vec<PlannedPhase>,
    /// What undoes the chaos.
    pub rollback: PlannedRollback,
    /// Conditions the whole execution must meet, as the scenario lists them
    /// (none: [`Plan::criteria`] judges `all_phases_completed`).
    pub success_criteria: Vec<SuccessCriterion>,
    /// What the report includes.
    pub reporting: Reporting,
    /// Traffic driven for the whole execution, when the scenario has a workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
}

/// A condition the whole execution must meet (`spec.success_criteria`); the
/// engine's verdict judges each (docs/engine.md). Serialised by its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuccessCriterion {
    /// Every phase ran to its end and passed (skipped ones are named).
    AllPhasesCompleted,
    /// Every action succeeded.
    NoCriticalSystemFailures,
    /// Every detection assertion held.
    RiskSystemCorrectlyIdentifiedAllBreaches,
    /// Every recovery assertion held and the run completed.
    SystemRecoveredWithinSla,
    /// Every assertion held.
    AllAssertionsPassed,
    /// The rollback, if one ran, succeeded.
    RollbackSucceeded,
}

impl SuccessCriterion {
    /// Every criterion, in the order the docs list them.
    pub const ALL: [Self; 6] = [
        Self::AllPhasesCompleted,
        Self::NoCriticalSystemFailures,
        Self::RiskSystemCorrectlyIdentifiedAllBreaches,
        Self::SystemRecoveredWithinSla,
        Self::AllAssertionsPassed,
        Self::RollbackSucceeded,
    ];

    /// Its name in a scenario.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AllPhasesCompleted => "all_phases_completed",
            Self::NoCriticalSystemFailures => "no_critical_system_failures",
            Self::RiskSystemCorrectlyIdentifiedAllBreaches => {
                "risk_system_correctly_identified_all_breaches"
            }
            Self::SystemRecoveredWithinSla => "system_recovered_within_sla",
            Self::AllAssertionsPassed => "all_assertions_passed",
            Self::RollbackSucceeded => "rollback_succeeded",
        }
    }

    /// Every criterion's name.
    pub fn names() -> [&'static str; 6] {
        Self::ALL.map(Self::as_str)
    }
}

impl fmt::Display for SuccessCriterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a success criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCriterion(pub String);

impl std::str::FromStr for SuccessCriterion {
    type Err = UnknownCriterion;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| UnknownCriterion(name.to_owned()))
    }
}

impl Plan {
    /// The criteria the verdict judges: the listed ones, or
    /// `all_phases_completed` when the scenario lists none.
    pub fn criteria(&self) -> Vec<SuccessCriterion> {
        if self.success_criteria.is_empty() {
            vec![SuccessCriterion::AllPhasesCompleted]
        } else {
            self.success_criteria.clone()
        }
    }

    /// The listed criteria's names (none when the scenario lists none).
    pub fn criteria_names(&self) -> Vec<String> {
        self.success_criteria
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect()
    }
}

/// One phase with its place in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedPhase {
    /// Its position among the phases, from 0.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// When it starts.
    #[serde(with = "serde_millis")]
    pub start_ms: Duration,
    /// When it ends (the next phase's start).
    #[serde(with = "serde_millis")]
    pub end_ms: Duration,
    /// Its length.
    #[serde(with = "serde_millis")]
    pub duration_ms: Duration,
    /// Run in order at `start_ms`.
    pub actions: Vec<PlannedAction>,
    /// Each at `start_ms` + its delay.
    pub parallel_actions: Vec<PlannedAction>,
    /// Each polled from `start_ms` until its deadline.
    pub assertions: Vec<PlannedAssertion>,
}

/// An action with the moment it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAction {
    /// Where it is in the scenario (`phases[1].parallel_actions[0]`), for events.
    pub path: String,
    /// When it starts.
    #[serde(with = "serde_millis")]
    pub at_ms: Duration,
    /// The delay after its phase's start, for a parallel action.
    #[serde(with = "serde_millis_option")]
    pub delay_ms: Option<Duration>,
    /// The service.
    pub service: String,
    /// The action.
    pub action: String,
    /// Its parameters, rendered.
    pub parameters: Parameters,
}

/// An assertion with its window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAssertion {
    /// Where it is in the scenario (`phases[1].assertions[0]`).
    pub path: String,
    /// The assertion type.
    #[serde(rename = "type")]
    pub assertion_type: String,
    /// The expected outcome.
    pub expect: String,
    /// The service it looks at, if any.
    pub service: Option<String>,
    /// Its parameters, rendered.
    pub parameters: Parameters,
    /// When polling starts (its phase's start).
    #[serde(with = "serde_millis")]
    pub start_ms: Duration,
    /// When it fails if it has not held: start + min(within, phase duration).
    #[serde(with = "serde_millis")]
    pub deadline_ms: Duration,
    /// The `within` as written, if any.
    #[serde(with = "serde_millis_option")]
    pub within_ms: Option<Duration>,
    /// Whether `within` was longer than the phase, so the deadline is the phase's end.
    pub clamped: bool,
}

/// The rollback, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlannedRollback {
    /// Whether a failure triggers it (stop, timeout and shutdown always do).
    pub on_failure: bool,
    /// Its actions, in order.
    pub actions: Vec<Action>,
}

/// Computes the plan of a scenario that validated without errors.
/// `default_within` is the window of an assertion without `within`
/// (`execution.assertion_timeout`); `None`: its phase.
pub(crate) fn plan(scenario: Scenario, default_within: Option<Duration>) -> Plan {
    let spec = scenario.spec;
    let mut start = Duration::ZERO;
    let mut phases = Vec::with_capacity(spec.phases.len());
    for (index, phase) in spec.phases.into_iter().enumerate() {
        let end = start.saturating_add(phase.duration);
        let actions = phase
            .actions
            .into_iter()
            .enumerate()
            .map(|(i, action)| PlannedAction {
                path: format!("phases[{index}].actions[{i}]"),
                at_ms: start,
                delay_ms: None,
                service: action.service,
                action: action.action,
                parameters: action.parameters,
            })
            .collect();
        let parallel_actions = phase
            .parallel_actions
            .into_iter()
            .enumerate()
            .map(|(i, action)| PlannedAction {
                path: format!("phases[{index}].parallel_actions[{i}]"),
                at_ms: start.saturating_add(action.delay),
                delay_ms: Some(action.delay),
                service: action.service,
                action: action.action,
                parameters: action.parameters,
            })
            .collect();
        let assertions = phase
            .assertions
            .into_iter()
            .enumerate()
            .map(|(i, assertion)| {
                let window = assertion
                    .within
                    .or(default_within)
                    .unwrap_or(phase.duration);
                PlannedAssertion {
                    path: format!("phases[{index}].assertions[{i}]"),
                    assertion_type: assertion.assertion_type,
                    expect: assertion.expect,
                    service: assertion.service,
                    parameters: assertion.parameters,
                    start_ms: start,
                    deadline_ms: start.saturating_add(window.min(phase.duration)),
                    within_ms: assertion.within,
                    clamped: assertion
                        .within
                        .is_some_and(|within| within > phase.duration),
                }
            })
            .collect();
        phases.push(PlannedPhase {
            index,
            name: phase.name,
            description: phase.description,
            start_ms: start,
            end_ms: end,
            duration_ms: phase.duration,
            actions,
            parallel_actions,
            assertions,
        });
        start = end;
    }
    let rollback = spec
        .rollback
        .map(|rollback| PlannedRollback {
            on_failure: rollback.on_failure,
            actions: rollback.actions,
        })
        .unwrap_or_default();
    Plan {
        metadata: scenario.metadata,
        total_ms: spec.duration.unwrap_or(start),
        timeout_ms: spec.timeout,
        phases,
        rollback,
        // The validator reported every unknown name; a plan is made without errors.
        success_criteria: spec
            .success_criteria
            .iter()
            .filter_map(|name| name.parse().ok())
            .collect(),
        reporting: spec.reporting.unwrap_or_default(),
        workload: spec.workload,
    }
}

fn offset(duration: Duration) -> String {
    format!("+{}", format_duration(duration))
}

fn call(service: &str, action: &str, parameters: &Parameters) -> String {
    if parameters.is_empty() {
        format!("{service}.{action}")
    } else {
        let json = serde_json::to_string(parameters).unwrap_or_default();
        format!("{service}.{action} {json}")
    }
}

impl Plan {
    /// The plan as a human timeline, one line per step with its offset from the
    /// start (what `execute --dry-run` prints):
    ///
    /// ```text
    /// +1h       phase gradual_depeg (24h)
    /// +1h         action market-data-simulator.stablecoin_depeg {"symbol":"USDT-USD"}
    /// +1h         assert price_divergence=usdt_depegged until +25h (clamped to phase end)
    /// +13h        parallel custodian-simulator.delay_settlements {…}
    /// ```
    pub fn timeline_text(&self) -> String {
        let mut out = String::new();
        let timeout = self
            .timeout_ms
            .map(|timeout| format!(", timeout {}", format_duration(timeout)))
            .unwrap_or_default();
        out.push_str(&format!(
            "{}: {} phase{}, {}{timeout}\n",
            self.metadata.name,
            self.phases.len(),
            if self.phases.len() == 1 { "" } else { "s" },
            format_duration(self.total_ms),
        ));
        if let Some(workload) = &self.workload {
            for stream in &workload.streams {
                out.push_str(&format!(
                    "workload {}: {} {} {} at {} (throughout)\n",
                    stream.name, stream.method, stream.service, stream.path, stream.rate
                ));
            }
            if let Some(steady) = &workload.steady_state {
                out.push_str(&format!("steady state: {}\n", steady.describe()));
            }
        }
        for phase in &self.phases {
            out.push_str(&format!(
                "{:<10}phase {} ({})\n",
                offset(phase.start_ms),
                phase.name,
                format_duration(phase.duration_ms)
            ));
            let mut steps: Vec<(Duration, String)> = Vec::new();
            for action in &phase.actions {
                steps.push((
                    action.at_ms,
                    format!(
                        "action {}",
                        call(&action.service, &action.action, &action.parameters)
                    ),
                ));
            }
            for assertion in &phase.assertions {
                let service = assertion
                    .service
                    .as_ref()
                    .map(|service| format!(" on {service}"))
                    .unwrap_or_default();
                let parameters = if assertion.parameters.is_empty() {
                    String::new()
                } else {
                    format!(
                        " {}",
                        serde_json::to_string(&assertion.parameters).unwrap_or_default()
                    )
                };
                let deadline = match (assertion.clamped, assertion.within_ms) {
                    (true, Some(within)) => format!(
                        "until {} (clamped to phase end)",
                        offset(assertion.start_ms.saturating_add(within))
                    ),
                    _ => format!("until {}", offset(assertion.deadline_ms)),
                };
                steps.push((
                    assertion.start_ms,
                    format!(
                        "assert {}={}{service}{parameters} {deadline}",
                        assertion.assertion_type, assertion.expect
                    ),
                ));
            }
            for action in &phase.parallel_actions {
                steps.push((
                    action.at_ms,
                    format!(
                        "parallel {}",
                        call(&action.service, &action.action, &action.parameters)
                    ),
                ));
            }
            steps.sort_by_key(|(at, _)| *at);
            for (at, text) in steps {
                out.push_str(&format!("{:<12}{text}\n", offset(at)));
            }
        }
        let end = self
            .phases
            .last()
            .map_or(Duration::ZERO, |phase| phase.end_ms);
        out.push_str(&format!("{:<10}end\n", offset(end)));
        if !self.rollback.actions.is_empty() {
            let actions: Vec<String> = self
                .rollback
                .actions
                .iter()
                .map(|action| call(&action.service, &action.action, &action.parameters))
                .collect();
            let when = if self.rollback.on_failure {
                "on failure, stop or timeout"
            } else {
                "on stop or timeout"
            };
            out.push_str(&format!("rollback ({when}): {}\n", actions.join(", ")));
        }
        if !self.success_criteria.is_empty() {
            out.push_str(&format!(
                "success criteria: {}\n",
                self.criteria_names().join(", ")
            ));
        }
        out
    }
}

/// Displays [`Plan::timeline_text`].
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.timeline_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::{
        Assertion, ParallelAction, Phase, Rollback, ScenarioKind, Spec, API_VERSION,
    };

    fn hours(n: u64) -> Duration {
        Duration::from_secs(n * 3600)
    }

    fn scenario() -> Scenario {
        let phase = |name: &str, duration| Phase {
            name: name.to_owned(),
            duration,
            description: None,
            actions: vec![],
            parallel_actions: vec![],
            assertions: vec![],
        };
        let mut depeg = phase("gradual_depeg", hours(24));
        depeg.actions.push(Action {
            service: "market-data-simulator".into(),
            action: "stablecoin_depeg".into(),
            parameters: Parameters::new(),
        });
        depeg.parallel_actions.push(ParallelAction {
            delay: hours(12),
            service: "custodian-simulator".into(),
            action: "delay_settlements".into(),
            parameters: Parameters::new(),
        });
        depeg.assertions.push(Assertion {
            assertion_type: "price_divergence".into(),
            expect: "usdt_depegged".into(),
            within: Some(hours(25)),
            service: None,
            parameters: Parameters::new(),
        });
        depeg.assertions.push(Assertion {
            assertion_type: "risk_alert".into(),
            expect: "alert_generated".into(),
            within: None,
            service: None,
            parameters: Parameters::new(),
        });
        Scenario {
            api_version: API_VERSION.into(),
            kind: ScenarioKind::Scenario,
            metadata: Metadata {
                name: "s".into(),
                ..Metadata::default()
            },
            parameters: vec![],
            spec: Spec {
                timeout: Some(hours(37)),
                phases: vec![phase("setup", hours(1)), depeg, phase("recovery", hours(5))],
                rollback: Some(Rollback {
                    on_failure: true,
                    actions: vec![Action {
                        service: "exchange-simulator".into(),
                        action: "clear_all_chaos".into(),
                        parameters: Parameters::new(),
                    }],
                }),
                ..Spec::default()
            },
        }
    }

    #[test]
    fn offsets_are_absolute_from_the_execution_start() {
        let plan = plan(scenario(), None);
        assert_eq!(
            plan.total_ms,
            hours(30),
            "the phases' total when no duration is given"
        );
        let depeg = &plan.phases[1];
        assert_eq!((depeg.start_ms, depeg.end_ms), (hours(1), hours(25)));
        assert_eq!(depeg.actions[0].at_ms, hours(1));
        assert_eq!(depeg.parallel_actions[0].at_ms, hours(13));
        assert_eq!(plan.phases[2].start_ms, hours(25));
    }

    #[test]
    fn an_assertion_deadline_is_clamped_to_its_phase_end() {
        let plan = plan(scenario(), None);
        let clamped = &plan.phases[1].assertions[0];
        assert_eq!(clamped.deadline_ms, hours(25));
        assert!(clamped.clamped);
        let open = &plan.phases[1].assertions[1];
        assert_eq!(
            open.deadline_ms,
            hours(25),
            "no within: until the phase ends"
        );
        assert!(!open.clamped);
    }

    #[test]
    fn a_plan_serialises_offsets_as_milliseconds_and_reads_back() {
        let plan = plan(scenario(), None);
        let json = serde_json::to_value(&plan).expect("serialises");
        assert_eq!(json["phases"][1]["start_ms"], 3_600_000);
        assert_eq!(
            json["phases"][1]["parallel_actions"][0]["at_ms"],
            46_800_000
        );
        assert_eq!(
            json["phases"][1]["assertions"][0]["type"],
            "price_divergence"
        );
        assert_eq!(json["timeout_ms"], 133_200_000);
        let back: Plan = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, plan);
    }

    #[test]
    fn the_timeline_lists_every_step_in_time_order() {
        let text = plan(scenario(), None).timeline_text();
        let expected = [
            "s: 3 phases, 1d6h, timeout 1d13h",
            "+1h       phase gradual_depeg (1d)",
            "+1h         action market-data-simulator.stablecoin_depeg",
            "+1h         assert price_divergence=usdt_depegged until +1d2h (clamped to phase end)",
            "+1h         assert risk_alert=alert_generated until +1d1h",
            "+13h        parallel custodian-simulator.delay_settlements",
            "+1d6h     end",
            "rollback (on failure, stop or timeout): exchange-simulator.clear_all_chaos",
        ];
        for line in expected {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert_eq!(plan(scenario(), None).to_string(), text);
    }
}
