//! Schedules (issue 18, seed 004's "Time-Based Scheduling"): a scenario or a
//! suite run once, after a delay, every N seconds or on a cron calendar, with
//! the policies LitmusChaos, Chaos Mesh and Gremlin users expect (concurrency,
//! missed firings, blackout windows, a cap and an end). Kept in the database,
//! so they survive restarts. `POST /api/chaos/schedule` (the seed's paths) and
//! `POST /api/v1/schedules` take the same [`ScheduleRequest`].

use serde::{Deserialize, Serialize};

use super::{suite::SuiteRequest, ExecuteOptions};

/// When a schedule fires: the seed's four kinds (`schedule: {type: …}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleTiming {
    /// Once, at `at` (RFC 3339, in the future).
    Once {
        /// When (RFC 3339, e.g. `2026-12-24T02:00:00Z` or with an offset).
        at: String,
    },
    /// Once, `delay_seconds` after the schedule is created.
    Delayed {
        /// Seconds from creation (1 to a year).
        delay_seconds: u64,
    },
    /// Every `interval_seconds` from creation, at most `max_executions` times.
    Periodic {
        /// Seconds between firings (1 to a year).
        interval_seconds: u64,
        /// Stop after this many executions (absent or 0: no cap).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_executions: Option<u32>,
    },
    /// On a cron calendar: 5 fields (minute first) or 6 (seconds first), in an
    /// IANA time zone; daylight-saving gaps and overlaps as `croner` resolves them.
    Cron {
        /// `0 2 * * MON-FRI`, `*/10 * * * * *`, …
        expression: String,
        /// An IANA zone (`Europe/Berlin`); default `UTC`.
        #[serde(default = "utc")]
        time_zone: String,
    },
}

fn utc() -> String {
    "UTC".to_owned()
}

impl ScheduleTiming {
    /// `once`, `delayed`, `periodic` or `cron`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Once { .. } => "once",
            Self::Delayed { .. } => "delayed",
            Self::Periodic { .. } => "periodic",
            Self::Cron { .. } => "cron",
        }
    }
}

/// What a schedule does when its previous execution is still going.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConcurrencyPolicy {
    /// Skip this firing (recorded, with the running execution's id).
    #[default]
    Forbid,
    /// Start another beside it.
    Allow,
    /// Stop the running one, then start.
    Replace,
}

/// What a schedule does with firings that fell while the coordinator was down
/// (or more than [`MISSED_AFTER_SECONDS`] late).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MissedPolicy {
    /// Record them as skipped; wait for the next one.
    #[default]
    Skip,
    /// Run once for the latest missed firing (if within `starting_deadline_seconds`).
    RunOnce,
}

/// A firing this late or later counts as missed, and its policy decides.
pub const MISSED_AFTER_SECONDS: u64 = 5;

/// A window in which nothing fires (Gremlin's restricted times): either a
/// cron `expression` whose matching minutes (or seconds) are closed, in
/// `time_zone`, or the dates `from`…`until`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Blackout {
    /// Cron-like: `* 9-17 * * MON-FRI` closes business hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// The zone of `expression` (IANA; default `UTC`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Dates: closed from this instant (RFC 3339) …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// … until this one (exclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// A schedule's policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SchedulePolicies {
    /// Whether it fires (default true).
    pub enabled: bool,
    /// When the previous run is still going (default `forbid`).
    pub concurrency: ConcurrencyPolicy,
    /// Firings missed while the coordinator was down (default `skip`).
    pub missed: MissedPolicy,
    /// `missed: run_once` runs a missed firing only this many seconds after it
    /// was due (absent: however late).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<u64>,
    /// Windows in which nothing fires (at most 16).
    pub blackout: Vec<Blackout>,
    /// Stop after this many executions (absent: no cap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_executions: Option<u32>,
    /// Fire nothing after this instant (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl Default for SchedulePolicies {
    fn default() -> Self {
        Self {
            enabled: true,
            concurrency: ConcurrencyPolicy::Forbid,
            missed: MissedPolicy::Skip,
            starting_deadline_seconds: None,
            blackout: Vec::new(),
            max_executions: None,
            expires_at: None,
        }
    }
}

/// `POST /api/chaos/schedule`, `POST /api/v1/schedules`: a name, exactly one
/// source (`execute`'s four, an uploaded scenario's `version`, or a `suite`),
/// when, how to run, and the policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// A name for people (1 to 200 characters).
    pub name: String,
    /// A library scenario by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// An uploaded scenario by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_id: Option<String>,
    /// With `scenario_id`: that version (absent: the latest when it fires).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Inline YAML or JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaml: Option<String>,
    /// A template by name, rendered with `parameters`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Template parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub parameters: Option<serde_json::Map<String, serde_json::Value>>,
    /// A suite (its own options apply; `options` is ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<SuiteRequest>,
    /// When it fires.
    pub schedule: ScheduleTiming,
    /// How each execution runs (`speed`, `continue_on_failure`, …).
    #[serde(default)]
    pub options: ExecuteOptions,
    /// Enabled, concurrency, missed, blackout, cap, end.
    #[serde(default)]
    pub policies: SchedulePolicies,
}

/// What became of one due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FiringResult {
    /// Claimed; the execution (or suite) is being submitted.
    Claimed,
    /// The execution (or suite) was submitted.
    Submitted,
    /// Nothing ran; `reason` says why (blackout, concurrency, missed, …).
    Skipped,
    /// Submission was refused (the scenario no longer validates, the queue is
    /// full, the coordinator stopped between claim and submission); `reason`.
    Failed,
}

impl FiringResult {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::Submitted => "submitted",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }

    /// The result named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "claimed" => Some(Self::Claimed),
            "submitted" => Some(Self::Submitted),
            "skipped" => Some(Self::Skipped),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One firing of a schedule's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Firing {
    /// When it was due (RFC 3339, UTC).
    pub due_at: String,
    /// When it was decided (claimed or skipped), RFC 3339, UTC.
    pub fired_at: String,
    /// Fired late by this many milliseconds.
    pub lateness_ms: u64,
    /// What became of it.
    pub result: FiringResult,
    /// The execution it started (a suite's: the suite id in `suite_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    /// The suite it started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite_id: Option<String>,
    /// Why it was skipped or failed; `trigger` for a manual trigger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One schedule as listed and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScheduleView {
    /// Its id (a UUID).
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it runs, in words: `scenario stablecoin-depeg-scenario`, `suite of 3`, …
    pub target: String,
    /// When it fires.
    pub schedule: ScheduleTiming,
    /// When it fires, in plain words (`every weekday at 02:00 Europe/Berlin`).
    pub description: String,
    /// How each execution runs.
    pub options: ExecuteOptions,
    /// Its policies (`policies.enabled` says whether it fires).
    pub policies: SchedulePolicies,
    /// Its next due time (RFC 3339, UTC); absent when it will not fire again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_execution: Option<String>,
    /// The executions (or suites) it has submitted.
    pub execution_count: u32,
    /// The last due time decided, and what became of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_firing: Option<Firing>,
    /// Why it will not fire again (`finished`, `expired`, `max_executions reached`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// Who created it (actor).
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

/// `GET /api/v1/schedules/{id}`: a schedule, its next due times and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScheduleDetail {
    /// The schedule.
    pub schedule: ScheduleView,
    /// Its next due times over the next 7 days (at most 50; RFC 3339, UTC),
    /// blackouts and caps applied.
    pub upcoming: Vec<String>,
    /// Its firings, newest first (at most 100).
    pub firings: Vec<Firing>,
}

/// `GET /api/v1/schedules`, `GET /api/chaos/schedules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScheduleList {
    /// Every schedule, by next due time (those that will not fire last).
    pub schedules: Vec<ScheduleView>,
}

/// `POST /api/v1/schedules/{id}/trigger`: what a manual trigger started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScheduleTriggered {
    /// The schedule.
    pub schedule_id: String,
    /// The execution it started (for a scenario).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    /// The suite it started (for a suite).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite_id: Option<String>,
}

/// `POST /api/v1/schedules/preview`: a timing and blackouts in plain words with
/// the next due times, checked as a create would check them (nothing stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SchedulePreviewRequest {
    /// When it would fire.
    pub schedule: ScheduleTiming,
    /// Its policies (blackouts, cap, end).
    #[serde(default)]
    pub policies: SchedulePolicies,
}

/// The answer to [`SchedulePreviewRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SchedulePreview {
    /// `every weekday at 02:00 Europe/Berlin`.
    pub description: String,
    /// The next due times over the next 7 days (at most 50; RFC 3339, UTC).
    pub upcoming: Vec<String>,
}

/// The most schedules a coordinator keeps.
pub const MAX_SCHEDULES: usize = 10_000;
/// The most blackout windows on one schedule.
pub const MAX_BLACKOUTS: usize = 16;
/// The longest delay, interval or look-ahead a schedule may take: a year.
pub const MAX_SCHEDULE_SECONDS: u64 = 366 * 24 * 3600;
/// The longest schedule name.
pub const MAX_SCHEDULE_NAME: usize = 200;
