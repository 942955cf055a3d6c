//! Data the server sends to the UI and to API clients, and the one error shape
//! both receive (DESIGN.md §8).
//!
//! The wire vocabulary of executions is here too, so that the engine, the store,
//! the browser and the CLI share one typed definition: [`event`] (events, control
//! commands, execution ids), [`verdict`], [`figures`] (workload figures), and
//! [`describe`](describe::describe) (one line for people about an event).

pub mod auth;
pub mod compare;
pub mod describe;
pub mod download;
mod error;
pub mod event;
pub mod figures;
pub mod orchestration;
pub mod proxy;
pub mod recording;
pub mod rest;
pub mod schedule;
mod status;
pub mod suite;
pub mod ui;
pub mod verdict;

pub use describe::describe;
pub use error::{ApiError, ErrorKind};
pub use event::{Event, EventKind, ExecutionId};
pub use status::ExecutionStatus;
pub use verdict::Verdict;

use serde::{Deserialize, Serialize};

/// A service the coordinator is configured to act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceInfo {
    /// The name scenarios use (`exchange-simulator`).
    pub name: String,
    /// Base URL of the service.
    pub url: String,
    /// Path of its health endpoint.
    pub health_endpoint: String,
    /// Path of its chaos API, when it has one.
    pub chaos_api_path: Option<String>,
    /// Per-request timeout, canonical duration text (`30s`).
    pub timeout: String,
}

/// One row of the execution history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExecutionSummary {
    /// Execution id.
    pub id: String,
    /// Name of the scenario it runs.
    pub scenario_name: String,
    /// State (`queued`, `running`, … `completed`).
    pub status: String,
    /// Who started it: the actor (`alice`, `alice (token ci)`, `local:ana`,
    /// `schedule:<id>`); the channel for executions stored before teams.
    pub started_by: String,
    /// How it was started: `cli`, `ui`, `api` or `schedule`.
    #[serde(default)]
    pub channel: String,
    /// When it was submitted (RFC 3339).
    pub created_at: String,
    /// When it ended (RFC 3339), if it has.
    pub finished_at: Option<String>,
    /// Who stopped it (the actor; `ui`, `api` or `cli` in executions stored
    /// before teams; `a user` when unrecorded), when a user's stop ended it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
}

/// A scenario or template file of the built-in library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LibraryEntry {
    /// `metadata.name`, or the file stem when the file has none.
    pub name: String,
    /// `Scenario` or `Template`.
    pub kind: String,
    /// Path relative to the library folder.
    pub file: String,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.category`.
    pub category: Option<String>,
}

/// What the dashboard shows at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Overview {
    /// Number of executions per state, in state order; states with none are left out.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub executions_by_status: Vec<(String, u64)>,
    /// The most recent executions, newest first.
    pub recent_executions: Vec<ExecutionSummary>,
    /// How many services are configured.
    pub service_count: usize,
    /// How many files the built-in library has.
    pub library_count: usize,
}

/// How to run an execution (`POST /api/v1/scenarios/execute` → `options`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ExecuteOptions {
    /// Time scale: 3600 runs an hour of scenario in a second.
    pub speed: f64,
    /// Call nothing; record the plan's timeline.
    pub dry_run: bool,
    /// Keep going after a failed phase.
    pub continue_on_failure: bool,
    /// How many times to run the phases.
    pub repeat: u32,
    /// What happens when the coordinator running it is lost (replicas on
    /// PostgreSQL, docs/scale-out.md): its chaos is rolled back either way.
    pub on_owner_loss: OnOwnerLoss,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        Self {
            speed: 1.0,
            dry_run: false,
            continue_on_failure: false,
            repeat: 1,
            on_owner_loss: OnOwnerLoss::Rollback,
        }
    }
}

/// What a coordinator that takes over a run whose owner was lost does once it
/// has rolled the run's chaos back (docs/scale-out.md, "Owner loss").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnOwnerLoss {
    /// End it `interrupted`.
    #[default]
    Rollback,
    /// Run it on from the start of the phase it was in.
    Resume,
}

impl OnOwnerLoss {
    /// Its name in options and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rollback => "rollback",
            Self::Resume => "resume",
        }
    }

    /// Whether it is the default (left out of stored options).
    pub fn is_rollback(&self) -> bool {
        *self == Self::Rollback
    }
}

impl std::str::FromStr for OnOwnerLoss {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "rollback" => Ok(Self::Rollback),
            "resume" => Ok(Self::Resume),
            other => Err(format!(
                "on_owner_loss is rollback or resume, not {other:?}"
            )),
        }
    }
}

/// The slowest speed a run may take: a thousandth of real time.
pub const MIN_SPEED: f64 = 0.001;
/// The fastest speed a run may take: a million times real time.
pub const MAX_SPEED: f64 = 1_000_000.0;
/// The most repetitions of a scenario's phases in one run.
pub const MAX_REPEAT: u32 = 10_000;

/// Whether `speed` is one a run may take: the one check of it that the CLI, the
/// REST API, the UI and suites share. The message names the bounds.
pub fn check_speed(speed: f64) -> Result<f64, String> {
    if speed.is_finite() && (MIN_SPEED..=MAX_SPEED).contains(&speed) {
        Ok(speed)
    } else {
        Err(format!(
            "speed must be between {MIN_SPEED} and {MAX_SPEED} (scenario time per real second), not {speed}"
        ))
    }
}

/// The most steps one run may take: its phases, actions, parallel actions and
/// assertions, times `repeat`. Each step is a few events in the store and on
/// every live view; without it a 1 MiB plan repeated 10,000 times was hundreds
/// of millions of events.
pub const MAX_RUN_STEPS: u64 = 100_000;

/// Whether `plan` run `repeat` times stays within [`MAX_RUN_STEPS`]: checked by
/// the REST API, the UI and the CLI once the plan is known.
pub fn check_run_size(plan: &crate::scenario::plan::Plan, repeat: u32) -> Result<(), String> {
    let per_run: u64 = plan
        .phases
        .iter()
        .map(|phase| {
            1 + phase.actions.len() as u64
                + phase.parallel_actions.len() as u64
                + phase.assertions.len() as u64
        })
        .sum::<u64>()
        + plan.rollback.actions.len() as u64;
    let total = per_run.saturating_mul(u64::from(repeat.max(1)));
    if total > MAX_RUN_STEPS {
        return Err(format!(
            "this run would take {total} steps ({per_run} per run × repeat {repeat}); the limit is {MAX_RUN_STEPS}: lower repeat or split the scenario"
        ));
    }
    Ok(())
}

impl ExecuteOptions {
    /// Whether these options may run: speed and repeat within their bounds.
    pub fn check(&self) -> Result<(), String> {
        check_speed(self.speed)?;
        if self.repeat == 0 || self.repeat > MAX_REPEAT {
            return Err(format!(
                "repeat must be between 1 and {MAX_REPEAT}, not {}",
                self.repeat
            ));
        }
        Ok(())
    }
}

/// `POST /api/v1/scenarios/execute`: exactly one of `scenario` (library name),
/// `scenario_id` (uploaded), `yaml` (inline) or `template` (+ `parameters`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({"scenario": "basic-market-disruption", "options": {"speed": 3600.0}})))]
#[serde(default, deny_unknown_fields)]
pub struct ExecuteRequest {
    /// A library scenario by name.
    pub scenario: Option<String>,
    /// An uploaded scenario by id (its latest version).
    pub scenario_id: Option<String>,
    /// Inline YAML or JSON.
    pub yaml: Option<String>,
    /// A template by name, rendered with `parameters`.
    pub template: Option<String>,
    /// Template parameters.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub parameters: Option<serde_json::Map<String, serde_json::Value>>,
    /// How to run.
    pub options: ExecuteOptions,
}

/// The answer to an accepted execution (`202`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExecuteResponse {
    /// Its id.
    pub execution_id: String,
    /// `queued` (it runs as soon as a slot is free).
    pub status: ExecutionStatus,
    /// The scenario's name.
    pub scenario: String,
    /// Warnings the validator found (errors would have refused it).
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub warnings: Vec<crate::scenario::diagnostic::Diagnostic>,
}

/// One execution in detail (`GET …/{execution_id}/status`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExecutionDetail {
    /// Id.
    pub id: String,
    /// Scenario name.
    pub scenario_name: String,
    /// State.
    pub status: ExecutionStatus,
    /// Who started it: the actor, or the channel for executions stored
    /// before teams.
    pub started_by: String,
    /// How it was started: `cli`, `ui`, `api` or `schedule`.
    #[serde(default)]
    pub channel: String,
    /// Submitted (RFC 3339).
    pub created_at: String,
    /// Started running.
    pub started_at: Option<String>,
    /// Ended.
    pub finished_at: Option<String>,
    /// Who stopped it (the actor, or the channel for executions stored before
    /// teams), when a user's stop ended it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    /// Options it runs with.
    pub options: ExecuteOptions,
    /// The success-criteria verdict, once ended.
    pub verdict: Option<Verdict>,
    /// The plan it runs (as `POST /api/v1/scenarios/validate` answers it).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub plan: crate::scenario::plan::Plan,
    /// Progress so far, from its events.
    pub progress: Progress,
    /// The suite it ran in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_id: Option<String>,
}

/// Where an execution is, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Progress {
    /// Index of the current (or last) phase.
    pub phase: Option<usize>,
    /// Its name.
    pub phase_name: Option<String>,
    /// Phases finished.
    pub phases_done: usize,
    /// Timeline offset of the latest event, ms.
    pub elapsed_ms: u64,
    /// Planned length, ms.
    pub total_ms: u64,
    /// Assertions that held.
    pub assertions_passed: usize,
    /// Assertions that failed.
    pub assertions_failed: usize,
    /// Actions that failed.
    pub actions_failed: usize,
    /// Number of events recorded.
    pub events: u64,
}

/// `POST /api/v1/scenarios/validate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ValidateRequest {
    /// The scenario or template text.
    pub yaml: String,
    /// Strict mode.
    pub strict: bool,
    /// Template parameters (renders the template before validating).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub parameters: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The validator's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ValidateResponse {
    /// No errors.
    pub valid: bool,
    /// Every error and warning.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub diagnostics: Vec<crate::scenario::diagnostic::Diagnostic>,
    /// The plan, when valid.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub plan: Option<crate::scenario::plan::Plan>,
}

#[cfg(test)]
mod limits_tests {
    use super::*;

    #[test]
    fn speeds_outside_the_bounds_are_refused_with_the_bounds_named() {
        for speed in [
            1e-300,
            0.0,
            -1.0,
            1e308,
            f64::NAN,
            f64::INFINITY,
            0.0009,
            1_000_001.0,
        ] {
            let message = check_speed(speed).expect_err("refused");
            assert!(message.contains("between 0.001 and 1000000"), "{message}");
        }
        for speed in [MIN_SPEED, 1.0, 3600.0, MAX_SPEED] {
            assert_eq!(check_speed(speed), Ok(speed));
        }
    }

    #[test]
    fn a_run_is_bounded_in_steps_whatever_its_repeat() {
        use crate::scenario::{
            catalog::Catalog,
            validate::{validate_text, ValidateOptions},
        };
        let text = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  phases:\n    - {name: a, duration: 1m}\n    - {name: b, duration: 1m}\n";
        let plan = validate_text(text, &Catalog::new(), &ValidateOptions::default())
            .plan
            .expect("valid");
        assert!(check_run_size(&plan, 1).is_ok());
        assert!(
            check_run_size(&plan, 50_000).is_ok(),
            "2 × 50,000 = the limit"
        );
        let message = check_run_size(&plan, 50_001).unwrap_err();
        assert!(
            message.contains("100002 steps") && message.contains("limit is 100000"),
            "{message}"
        );
        assert!(check_run_size(&plan, u32::MAX).is_err());
    }

    #[test]
    fn options_check_speed_and_repeat() {
        assert!(ExecuteOptions::default().check().is_ok());
        let zero = ExecuteOptions {
            repeat: 0,
            ..ExecuteOptions::default()
        };
        assert!(zero.check().unwrap_err().contains("repeat"));
        let slow = ExecuteOptions {
            speed: 1e-300,
            ..ExecuteOptions::default()
        };
        assert!(slow.check().unwrap_err().contains("speed"));
    }
}
