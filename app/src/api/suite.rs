//! Suites: several scenarios run as one (`POST /api/v1/suites`), in order,
//! shuffled with a seed, or side by side, summarised like N1V1's
//! `chaos_summary.json`. Each member is an ordinary execution in the history.

use serde::{Deserialize, Serialize};

/// The order members run in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SuiteMode {
    /// In the order given.
    #[default]
    Sequential,
    /// Shuffled with a seeded generator: the same seed gives the same order.
    Random,
}

impl SuiteMode {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::Random => "random",
        }
    }

    /// The mode named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sequential" => Some(Self::Sequential),
            "random" => Some(Self::Random),
            _ => None,
        }
    }
}

/// The states of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SuiteStatus {
    /// Members are queued or running, or wait for their turn.
    Running,
    /// Held by hand: its running members are paused and nothing new starts.
    Paused,
    /// Every member ran and passed (a skipped one counts as neither).
    Completed,
    /// A member did not pass (an orchestration stops at a step that fails
    /// without `continue_on_failure`).
    Failed,
    /// Stopped by hand: its running members were stopped with rollback.
    Stopped,
    /// The coordinator stopped before every member had run.
    Interrupted,
}

impl SuiteStatus {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::Interrupted => "interrupted",
        }
    }

    /// The state named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "running" => Some(Self::Running),
            "paused" => Some(Self::Paused),
            "completed" => Some(Self::Completed),
            "failed" => Some(Self::Failed),
            "stopped" => Some(Self::Stopped),
            "interrupted" => Some(Self::Interrupted),
            _ => None,
        }
    }

    /// Whether the suite has ended.
    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Running | Self::Paused)
    }
}

/// One member of a suite request: a library scenario's name, or an object
/// naming exactly one of `scenario`, `scenario_id`, `yaml` or `template`
/// (+ `parameters`), as `POST /api/v1/scenarios/execute` takes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SuiteEntry {
    /// A library scenario by name.
    Name(String),
    /// Any source `execute` accepts.
    Source(SuiteSource),
}

/// Where a member's scenario comes from (`execute`'s sources, without options).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SuiteSource {
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
}

/// `POST /api/v1/suites`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SuiteRequest {
    /// The members, at least one.
    pub scenarios: Vec<SuiteEntry>,
    /// `sequential` (default) or `random`.
    pub mode: SuiteMode,
    /// Submit every member at once (the engine's queue bounds how many run).
    pub parallel: bool,
    /// Random mode: the shuffle's seed (default: a fresh one, returned).
    pub seed: Option<u64>,
    /// Time scale of every member (one for all: the sandbox's clock is global).
    pub speed: f64,
    /// Call nothing; record each member's planned timeline.
    pub dry_run: bool,
    /// Members keep going after a failed phase.
    pub continue_on_failure: bool,
}

impl Default for SuiteRequest {
    fn default() -> Self {
        Self {
            scenarios: Vec::new(),
            mode: SuiteMode::Sequential,
            parallel: false,
            seed: None,
            speed: 1.0,
            dry_run: false,
            continue_on_failure: false,
        }
    }
}

/// One member as the suite knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SuiteMember {
    /// Its place in the run order (0 first).
    pub position: usize,
    /// Its execution (reserved at creation; in the history once submitted).
    pub execution_id: String,
    /// The scenario's name.
    pub scenario: String,
    /// `pending` (waits for its turn), `not_run` (the suite ended first), or
    /// its execution's state.
    pub status: String,
    /// Whether it passed, once it has ended.
    pub passed: Option<bool>,
    /// Wall-clock seconds it ran, once it has ended.
    pub duration_seconds: Option<f64>,
    /// Its recovery time in scenario seconds, when one was measured.
    pub recovery_time_seconds: Option<f64>,
    /// An orchestration's run: the step it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// An orchestration's run: its iteration, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration: Option<u32>,
    /// How the run ended it, when not by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<MemberOutcome>,
}

/// How a member was ended by its suite rather than by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberOutcome {
    /// Its step's `duration_seconds` ran out and it was stopped with rollback.
    /// It passes when nothing had failed by then.
    TimeBoxed,
    /// Skipped by hand: stopped with rollback, or never started.
    /// It counts as neither passed nor failed.
    Skipped,
}

impl MemberOutcome {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TimeBoxed => "time_boxed",
            Self::Skipped => "skipped",
        }
    }

    /// The outcome named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "time_boxed" => Some(Self::TimeBoxed),
            "skipped" => Some(Self::Skipped),
            _ => None,
        }
    }
}

/// The orchestration a suite runs, when it is an orchestration's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrchestrationRef {
    /// The stored orchestration's id; none when it was run inline.
    pub id: Option<String>,
    /// Its version; none when it was run inline.
    pub version: Option<i64>,
    /// Its `name`.
    pub name: String,
}

/// `202` to `POST /api/v1/suites`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SuiteAccepted {
    /// The suite's id.
    pub suite_id: String,
    /// `running`.
    pub status: SuiteStatus,
    /// The order mode.
    pub mode: SuiteMode,
    /// Whether members run side by side.
    pub parallel: bool,
    /// Random mode: the seed the order came from.
    pub seed: Option<u64>,
    /// The members in run order.
    pub members: Vec<SuiteMember>,
    /// The orchestration it runs, when it is an orchestration's run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orchestration: Option<OrchestrationRef>,
}

/// `GET /api/v1/suites/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SuiteDetail {
    /// Id.
    pub id: String,
    /// State.
    pub status: SuiteStatus,
    /// Who started it.
    pub started_by: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Ended, once it has.
    pub finished_at: Option<String>,
    /// The members in run order.
    pub members: Vec<SuiteMember>,
    /// N1V1's `chaos_summary.json`, as of now.
    pub summary: ChaosSummary,
    /// The orchestration it runs, when it is an orchestration's run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orchestration: Option<OrchestrationRef>,
}

/// One row of `GET /api/v1/suites`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SuiteSummary {
    /// Id.
    pub id: String,
    /// State.
    pub status: SuiteStatus,
    /// The order mode.
    pub mode: SuiteMode,
    /// Whether members ran side by side.
    pub parallel: bool,
    /// Random mode: the seed.
    pub seed: Option<u64>,
    /// Scenario names in run order.
    pub scenarios: Vec<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Ended, once it has.
    pub finished_at: Option<String>,
    /// The orchestration it runs, when it is an orchestration's run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orchestration: Option<OrchestrationRef>,
}

/// N1V1's `chaos_summary.json` of one suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChaosSummary {
    /// What ran.
    pub test_run: ChaosTestRun,
    /// How it went.
    pub results: ChaosResults,
}

/// `test_run` of a chaos summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChaosTestRun {
    /// The suite.
    pub suite_id: String,
    /// When the suite ended (RFC 3339); while it runs, when it was created.
    pub timestamp: String,
    /// Wall-clock seconds from creation to its end (or to now while it runs).
    pub duration_seconds: f64,
    /// `sequential` or `random`.
    pub mode: SuiteMode,
    /// Whether members ran side by side.
    pub parallel: bool,
    /// Random mode: the seed (rerun with it to get the same order).
    pub seed: Option<u64>,
    /// Time scale of every member.
    pub speed: f64,
    /// Number of members.
    pub total_scenarios: usize,
    /// Scenario names in run order.
    pub scenarios_run: Vec<String>,
}

/// `results` of a chaos summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChaosResults {
    /// Members that ended and passed.
    pub passed_scenarios: usize,
    /// Members that ended and did not pass, or never ran because the suite ended first.
    pub failed_scenarios: usize,
    /// Members still waiting or running.
    pub pending_scenarios: usize,
    /// Members skipped by hand (neither passed nor failed).
    #[serde(default)]
    pub skipped_scenarios: usize,
    /// passed / (total − skipped) × 100, rounded to 2 decimals (0 with no such members).
    pub pass_rate_percent: f64,
    /// Mean of the members' recovery times (scenario seconds); null when none was measured.
    pub average_recovery_time_seconds: Option<f64>,
    /// How many members that mean is over.
    pub recovery_samples: usize,
}
