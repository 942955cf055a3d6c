//! The report's schema ([`ExecutionReport`]) and the pure fold that makes it
//! ([`build`]), plus the summary over several reports ([`summarize`]).
//!
//! # Schema (version [`SCHEMA_VERSION`])
//!
//! Stable: fields are only ever added. Every time is RFC 3339 UTC text; every
//! duration or offset is a whole number of milliseconds in a field ending in `_ms`.
//! Offsets are *scenario time* from the execution's start (at speed 600 one real
//! second is ten scenario minutes); `duration_ms` of the execution is wall-clock.
//!
//! ```text
//! metadata            schema_version, report_id, generated_at, coordinator_version, instance
//! scenario            name, version, category, description, author, tags,
//!                     definition (the exact text that ran), parameters,
//!                     success_criteria, reporting {…flags}, planned_duration_ms, timeout_ms
//! execution           id, status, passed, verdict {passed, summary, criteria[]},
//!                     created_at, started_at, finished_at, duration_ms,
//!                     scenario_elapsed_ms, speed, dry_run, continue_on_failure,
//!                     repeat, iterations, started_by
//! system_impact       services_affected[] {service, chaos_actions, injected_ms,
//!                       cleared_ms, cleared_by, recovery_ms, recovered_by, recovery_window_ms}
//!                     alerts_observed, alerts_generated[] {id, type, subject, severity,
//!                       raised_at, resolved_at, raised_offset_ms, resolved_offset_ms,
//!                       active_ms, source}
//!                     performance_impact[] {subject, metric, higher_is_worse, baseline,
//!                       worst, worst_offset_ms, worst_phase, last, change, change_percent, samples}
//! validation_results  total, passed, failed, not_decided, pass_rate_percent,
//!                     assertions[] {iteration, phase_index, phase, index, path, type, expect,
//!                       service, outcome, passed, message, evidence, attempts,
//!                       window_start_ms, deadline_ms, window_ms, within_ms, started_ms,
//!                       finished_ms, first_check_ms, last_check_ms, time_to_hold_ms,
//!                       window_used_percent}
//!                     unexpected_behaviors[] {kind, phase, offset_ms, subject, message}
//! timeline[]          seq, at, iteration, offset_ms, planned_ms, skew_ms, phase_index,
//!                     phase, kind, summary, details (the event's payload; an
//!                     assertion_finished's evidence is in validation_results only)
//! metrics             event_count, assertion_checks, phases[] (planned vs actual),
//!                     actions[] (each call with its latency), action_latency_ms {count,
//!                     min, p50, p99, max, mean}, timing_skew_ms {same}
//! audit               null, or {correlation_id, available, events[] {id, at, offset_ms,
//!                     service, kind, confirms_action, details}, chaos_injected,
//!                     chaos_confirmed, unconfirmed[]}
//! recommendations[]   severity (info|warning|critical), rule, message
//! ```
//!
//! # Definitions
//! - **Timing skew** = actual − planned offset of the steps the scheduler starts at
//!   a planned time (`phase_started`, `action_started`, `assertion_started`,
//!   `iteration_started`). Other events carry a planned reference (a deadline, a
//!   phase end) but no skew: finishing early is not lateness.
//! - **Percentiles** are nearest-rank over the samples (p99 of 12 samples is the 12th).
//! - **Services affected** are the services a phase action injected chaos into
//!   successfully. Clearing actions (`clear*`, `restore_liquidity`,
//!   `resume_normal_settlement`, `restart`, `price_recovery`) and rollback actions
//!   are not injections.
//! - **Recovery time** of a service = from the first clearing action (phase or
//!   rollback) that succeeded on it after its first injection, to the first check at
//!   which a recovery-type assertion (`system_recovery`, `performance_recovery`,
//!   `price_recovery`, `alert_resolution`, `system_stabilization`,
//!   `service_health`) on that service or on no particular service held; null when
//!   there is no such clear or no such assertion held.
//! - **Alerts** come from the audit events (`alert_raised`/`alert_resolved`, whose
//!   details are the risk monitor's alert) when they are given, else from alert
//!   objects (with `type` and `raised_at`) seen in assertion evidence.
//! - **Performance impact** is what assertion evidence measured: strategies'
//!   `p95_latency_ms` and `success_rate` (baseline: the strategy's own `baseline`,
//!   else samples before the first injection) and health-check latencies per service
//!   (baseline: samples before the first injection).
//! - **Audit alignment**: an audit event's wall-clock `at` is placed on the timeline
//!   from the latest coordinator event recorded before it, at the execution's speed,
//!   capped at the next event's offset (so a pause does not stretch it). An injection
//!   is confirmed by one `chaos_injected` audit event of the same service and action.
//! - The timeline and performance impact are always included, whatever
//!   `reporting.generate_timeline`/`include_performance_impact` say: they cost nothing
//!   and a report without them cannot be judged. The flags are kept in
//!   `scenario.reporting`. The `audit` section is present only with
//!   `reporting.correlate_with_audit_logs`.

use app::scenario::catalog::{chaos_effect, ChaosEffect};
use std::collections::{BTreeMap, HashMap};

use app::{
    api::ExecutionStatus,
    scenario::{model::Reporting, plan::Plan},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::engine::{
    event::{ActionOutcome, AssertionResult, Event, EventKind, PhaseOutcome, Verdict},
    ExecutionId, RunOptions,
};

/// The version of the schema below; bumped only for an incompatible change.
pub const SCHEMA_VERSION: &str = "1";

/// Assertion types whose success shows recovery (the engine's list).
pub const RECOVERY_TYPES: [&str; 6] = [
    "system_recovery",
    "performance_recovery",
    "price_recovery",
    "alert_resolution",
    "system_stabilization",
    "service_health",
];

// ───────────────────────────── input ─────────────────────────────

/// The stored `executions` row, as the report needs it (the plan is parsed
/// separately into [`ReportInput::plan`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    /// The execution's id.
    pub id: ExecutionId,
    /// The scenario's name.
    pub scenario_name: String,
    /// The scenario text that ran (rendered YAML).
    pub definition: String,
    /// Template parameters, when it came from a template.
    pub parameters: Option<Value>,
    /// How it was run.
    pub options: RunOptions,
    /// Its state.
    pub status: ExecutionStatus,
    /// The success-criteria verdict, once ended.
    pub verdict: Option<Verdict>,
    /// Who started it (`cli`, `ui`, `api`, `schedule`).
    pub started_by: String,
    /// When it was submitted.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it started running.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// Everything a report is computed from.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// The execution's row.
    pub execution: ExecutionRecord,
    /// The plan it ran.
    pub plan: Plan,
    /// Its events, in `seq` order.
    pub events: Vec<Event>,
    /// The audit correlator's events for this execution's id
    /// (`GET /api/v1/events?correlation_id=…` → `events`), when fetched.
    pub audit_events: Option<Vec<Value>>,
}

// ───────────────────────────── output ─────────────────────────────

/// The report of one execution. See the module docs for the schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionReport {
    /// About the report itself.
    pub metadata: ReportMetadata,
    /// What ran.
    pub scenario: ScenarioSection,
    /// How it ran and ended.
    pub execution: ExecutionSection,
    /// What the chaos did to the system.
    pub system_impact: SystemImpact,
    /// Every assertion and everything unexpected.
    pub validation_results: ValidationResults,
    /// Every event, planned against actual.
    pub timeline: Vec<TimelineEvent>,
    /// Durations, latencies and timing.
    pub metrics: Metrics,
    /// The audit trail aligned on the timeline (with `correlate_with_audit_logs`).
    pub audit: Option<AuditSection>,
    /// The workload's figures (DESIGN.md §7), when the scenario drives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSection>,
    /// What to look at, from rules over the results.
    pub recommendations: Vec<Recommendation>,
}

/// About the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportMetadata {
    /// [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// `rpt-<execution id>-<generated at, compact>`: deterministic, so the same
    /// input at the same time gives the same report.
    pub report_id: String,
    /// When it was made.
    pub generated_at: String,
    /// The coordinator's version.
    pub coordinator_version: String,
    /// The coordinator instance that made it.
    pub instance: String,
}

/// The scenario that ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSection {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.version`.
    pub version: Option<String>,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.author`.
    pub author: Option<String>,
    /// `metadata.tags`.
    pub tags: Vec<String>,
    /// The exact definition that ran.
    pub definition: String,
    /// Template parameters, if any.
    pub parameters: Option<Value>,
    /// The success criteria.
    pub success_criteria: Vec<String>,
    /// The scenario's `reporting` flags.
    pub reporting: Reporting,
    /// The planned length.
    pub planned_duration_ms: u64,
    /// `spec.timeout`, if given.
    pub timeout_ms: Option<u64>,
}

/// How the execution ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionSection {
    /// Execution id.
    pub id: String,
    /// Final (or current) state.
    pub status: String,
    /// Completed and every success criterion held.
    pub passed: bool,
    /// The success-criteria verdict, once ended.
    pub verdict: Option<VerdictSection>,
    /// Submitted.
    pub created_at: String,
    /// Started running.
    pub started_at: Option<String>,
    /// Ended.
    pub finished_at: Option<String>,
    /// Wall-clock from start to end.
    pub duration_ms: Option<u64>,
    /// Scenario time covered (the largest event offset).
    pub scenario_elapsed_ms: u64,
    /// Time scale.
    pub speed: f64,
    /// Whether nothing was called.
    pub dry_run: bool,
    /// Whether it went on after a failed phase.
    pub continue_on_failure: bool,
    /// Loops asked for.
    pub repeat: u32,
    /// Loops that started.
    pub iterations: u32,
    /// Who started it.
    pub started_by: String,
}

/// The verdict over the success criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictSection {
    /// Whether every criterion held.
    pub passed: bool,
    /// One line for people.
    pub summary: String,
    /// Each criterion.
    pub criteria: Vec<CriterionSection>,
}

/// One success criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionSection {
    /// Its name.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// Why.
    pub detail: String,
}

/// What the chaos did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemImpact {
    /// Each service chaos was injected into.
    pub services_affected: Vec<ServiceImpact>,
    /// Whether any alert data was available (audit events or alert evidence).
    pub alerts_observed: bool,
    /// Alerts raised during the execution.
    pub alerts_generated: Vec<AlertSummary>,
    /// Figures measured by assertions, against their baseline.
    pub performance_impact: Vec<PerformanceImpact>,
}

/// One affected service and its recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceImpact {
    /// The service.
    pub service: String,
    /// The chaos actions injected into it (distinct names, in order).
    pub chaos_actions: Vec<String>,
    /// Offset of the first successful injection.
    pub injected_ms: u64,
    /// Offset at which the first clear after it returned.
    pub cleared_ms: Option<u64>,
    /// Which action cleared it (`clear_chaos`, or `rollback: clear_all_chaos`).
    pub cleared_by: Option<String>,
    /// From the clear to the first recovery-type assertion that held; null if none.
    pub recovery_ms: Option<u64>,
    /// That assertion (`system_recovery (recovery)`).
    pub recovered_by: Option<String>,
    /// That assertion's window.
    pub recovery_window_ms: Option<u64>,
}

/// One alert raised while the execution ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertSummary {
    /// The alert's id (`alert-000001`), or `type:subject` when it has none.
    pub id: String,
    /// Alert type (`execution_latency`).
    #[serde(rename = "type")]
    pub alert_type: String,
    /// What it is about (`arbitrage`).
    pub subject: Option<String>,
    /// Highest severity seen.
    pub severity: Option<String>,
    /// When it was raised (wall clock).
    pub raised_at: Option<String>,
    /// When it was resolved; null while (or when last seen) active.
    pub resolved_at: Option<String>,
    /// `raised_at` on the timeline.
    pub raised_offset_ms: Option<i64>,
    /// `resolved_at` on the timeline.
    pub resolved_offset_ms: Option<i64>,
    /// Scenario time it was active, when resolved.
    pub active_ms: Option<u64>,
    /// `audit` or `assertion_evidence`.
    pub source: String,
}

/// One measured figure against its baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceImpact {
    /// What was measured (`strategy arbitrage`, `service exchange-simulator`).
    pub subject: String,
    /// The figure (`p95_latency_ms`, `success_rate`, `health_check_latency_ms`).
    pub metric: String,
    /// Whether a larger value is worse.
    pub higher_is_worse: bool,
    /// The baseline, when known.
    pub baseline: Option<f64>,
    /// The worst value seen.
    pub worst: f64,
    /// When it was seen.
    pub worst_offset_ms: Option<u64>,
    /// In which phase.
    pub worst_phase: Option<String>,
    /// The last value seen.
    pub last: f64,
    /// worst − baseline.
    pub change: Option<f64>,
    /// (worst − baseline) / baseline × 100.
    pub change_percent: Option<f64>,
    /// How many samples.
    pub samples: usize,
}

/// Assertions and surprises.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidationResults {
    /// Assertions in the report (each run of each, plus those never run).
    pub total: usize,
    /// Held.
    pub passed: usize,
    /// Did not hold in their window.
    pub failed: usize,
    /// Started but cut short, or never reached.
    pub not_decided: usize,
    /// passed / (passed + failed) × 100; null when nothing was decided.
    pub pass_rate_percent: Option<f64>,
    /// Each assertion.
    pub assertions: Vec<AssertionReport>,
    /// Failed actions and failed assertions, in time order.
    pub unexpected_behaviors: Vec<UnexpectedBehavior>,
}

/// How an assertion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssertionOutcome {
    /// It held before its deadline.
    Passed,
    /// It did not.
    Failed,
    /// Its window opened but it was never decided (phase failed, skipped, stopped).
    NotDecided,
    /// Its phase never started.
    NotRun,
}

impl AssertionOutcome {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::NotDecided => "not_decided",
            Self::NotRun => "not_run",
        }
    }
}

/// One assertion's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssertionReport {
    /// Loop (1-based).
    pub iteration: u32,
    /// Phase index.
    pub phase_index: usize,
    /// Phase name.
    pub phase: String,
    /// Index within the phase.
    pub index: usize,
    /// `phases[1].assertions[0]`.
    pub path: String,
    /// Assertion type.
    #[serde(rename = "type")]
    pub assertion_type: String,
    /// Expected outcome word.
    pub expect: String,
    /// The service it looks at, if any.
    pub service: Option<String>,
    /// How it ended.
    pub outcome: AssertionOutcome,
    /// `outcome == passed`.
    pub passed: bool,
    /// The last check's message.
    pub message: String,
    /// The JSON the last check observed.
    pub evidence: Value,
    /// Checks made.
    pub attempts: u32,
    /// Planned window start.
    pub window_start_ms: u64,
    /// Deadline.
    pub deadline_ms: u64,
    /// deadline − start.
    pub window_ms: u64,
    /// `within` as written.
    pub within_ms: Option<u64>,
    /// Actual offset its window opened.
    pub started_ms: Option<u64>,
    /// Actual offset it was decided.
    pub finished_ms: Option<u64>,
    /// First check.
    pub first_check_ms: Option<u64>,
    /// Last check (the one that held, when it passed).
    pub last_check_ms: Option<u64>,
    /// From window start until it held.
    pub time_to_hold_ms: Option<u64>,
    /// time_to_hold / window × 100.
    pub window_used_percent: Option<f64>,
}

/// Something that went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnexpectedBehavior {
    /// `action_failed`, `rollback_action_failed` or `assertion_failed`.
    pub kind: String,
    /// Phase name, when in a phase.
    pub phase: Option<String>,
    /// When.
    pub offset_ms: Option<u64>,
    /// `exchange-simulator.inject_latency` or `risk_alert=alert_generated`.
    pub subject: String,
    /// Why.
    pub message: String,
}

/// One event, planned against actual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// Position in the log.
    pub seq: u64,
    /// Wall-clock time recorded.
    pub at: String,
    /// Loop (1-based).
    pub iteration: u32,
    /// Actual offset.
    pub offset_ms: Option<u64>,
    /// Planned offset.
    pub planned_ms: Option<u64>,
    /// Actual − planned, for scheduled starts.
    pub skew_ms: Option<i64>,
    /// Phase index.
    pub phase_index: Option<usize>,
    /// Phase name.
    pub phase: Option<String>,
    /// Event kind (`action_finished`).
    pub kind: String,
    /// One line for people.
    pub summary: String,
    /// The event's payload (its fields but `kind`).
    pub details: Value,
}

/// Figures over the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Events recorded.
    pub event_count: usize,
    /// Assertion checks made, in all.
    pub assertion_checks: u64,
    /// Each phase, planned against actual.
    pub phases: Vec<PhaseReport>,
    /// Each action call.
    pub actions: Vec<ActionReport>,
    /// Round-trip latency of action calls (real ms).
    pub action_latency_ms: Distribution,
    /// Timing skew of scheduled starts (scenario ms).
    pub timing_skew_ms: Distribution,
}

/// Summary statistics; all null without samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Samples.
    pub count: usize,
    /// Smallest.
    pub min: Option<f64>,
    /// Median (nearest rank).
    pub p50: Option<f64>,
    /// 99th percentile (nearest rank).
    pub p99: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
}

/// One phase, planned against actual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// Loop (1-based).
    pub iteration: u32,
    /// Index.
    pub index: usize,
    /// Name.
    pub name: String,
    /// Planned start.
    pub planned_start_ms: u64,
    /// Planned end.
    pub planned_end_ms: u64,
    /// Planned length.
    pub planned_duration_ms: u64,
    /// Actual start.
    pub started_ms: Option<u64>,
    /// Actual end.
    pub finished_ms: Option<u64>,
    /// Actual length.
    pub duration_ms: Option<u64>,
    /// `passed`, `failed`, `skipped`, `aborted`, `unfinished` or `not_run`.
    pub outcome: String,
    /// Why, when it did not pass.
    pub reason: Option<String>,
}

/// One action call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionReport {
    /// Loop (1-based).
    pub iteration: u32,
    /// Phase index; null for rollback actions.
    pub phase_index: Option<usize>,
    /// Phase name, or `rollback`.
    pub phase: String,
    /// Part of the rollback.
    pub rollback: bool,
    /// One of the phase's parallel actions.
    pub parallel: bool,
    /// Target service.
    pub service: String,
    /// Action name.
    pub action: String,
    /// Parameters sent.
    pub parameters: Value,
    /// Planned start.
    pub planned_ms: Option<u64>,
    /// Actual start.
    pub started_ms: Option<u64>,
    /// When it returned.
    pub finished_ms: Option<u64>,
    /// started − planned.
    pub skew_ms: Option<i64>,
    /// Whether the service accepted it; null if it never returned.
    pub ok: Option<bool>,
    /// HTTP status.
    pub status: Option<u16>,
    /// Round-trip (real ms).
    pub latency_ms: Option<f64>,
    /// One line.
    pub message: String,
}

/// What the scenario's workload measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadSection {
    /// Each run's summary (one per iteration), with the recovery time.
    pub runs: Vec<WorkloadRun>,
    /// The last run's figures in N1V1's report terms.
    pub n1v1: N1v1Metrics,
    /// Every slot in order (latency and failure rate over time).
    pub series: Vec<crate::engine::workload::SlotFigures>,
}

/// One iteration's workload summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadRun {
    /// Loop (1-based).
    pub iteration: u32,
    /// What it measured.
    #[serde(flatten)]
    pub summary: crate::engine::workload::WorkloadSummary,
}

/// The N1V1 report's `metrics` and recovery fields, from the workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct N1v1Metrics {
    /// Requests due before the first chaos action.
    pub orders_before_chaos: u64,
    /// Requests due inside the chaos window.
    pub orders_during_chaos: u64,
    /// Requests due after the clear.
    pub orders_after_chaos: u64,
    /// Of those, failed.
    pub failures_before_chaos: u64,
    /// Failed inside the chaos window.
    pub failures_during_chaos: u64,
    /// Failed after the clear.
    pub failures_after_chaos: u64,
    /// Failed share inside the chaos window, in percent.
    pub chaos_failure_rate: f64,
    /// Whether the steady state held again after the clear.
    pub recovery_detected: bool,
    /// Seconds (scenario time) from the clear until it did.
    pub recovery_time_seconds: Option<f64>,
}

impl N1v1Metrics {
    fn of(summary: &crate::engine::workload::WorkloadSummary) -> Self {
        let recovery = summary.recovery.as_ref();
        Self {
            orders_before_chaos: summary.before.requests,
            orders_during_chaos: summary.during.requests,
            orders_after_chaos: summary.after.requests,
            failures_before_chaos: summary.before.failures,
            failures_during_chaos: summary.during.failures,
            failures_after_chaos: summary.after.failures,
            chaos_failure_rate: (summary.during.failure_rate * 1000.0).round() / 10.0,
            recovery_detected: recovery.is_some_and(|r| r.detected),
            recovery_time_seconds: recovery
                .and_then(|r| r.recovery_time_ms)
                .map(|ms| ms as f64 / 1000.0),
        }
    }
}

impl ExecutionReport {
    /// The recovery times this execution measured, in ms: the workload's per
    /// service when it has one (DESIGN.md §7), else each affected service's time
    /// from its clear to the first recovery assertion that held. Summaries (and
    /// suites) average these.
    pub fn recovery_times_ms(&self) -> Vec<f64> {
        let measured: Vec<f64> = self
            .workload
            .iter()
            .flat_map(|w| &w.runs)
            .filter_map(|run| run.summary.recovery.as_ref())
            .flat_map(|recovery| &recovery.services)
            .filter_map(|service| service.recovery_time_ms.map(|ms| ms as f64))
            .collect();
        if !measured.is_empty() {
            return measured;
        }
        self.system_impact
            .services_affected
            .iter()
            .filter_map(|s| s.recovery_ms.map(|ms| ms as f64))
            .collect()
    }
}

/// The audit trail of this execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditSection {
    /// The correlation id asked for (the execution id).
    pub correlation_id: String,
    /// Whether audit events were given.
    pub available: bool,
    /// Them, oldest first, placed on the timeline.
    pub events: Vec<AuditEntry>,
    /// Successful chaos injections by the coordinator.
    pub chaos_injected: usize,
    /// Of those, how many an audit `chaos_injected` event confirms.
    pub chaos_confirmed: usize,
    /// The injections without audit record (`exchange-simulator.inject_latency @ 5m`).
    pub unconfirmed: Vec<String>,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id.
    pub id: String,
    /// Wall-clock time.
    pub at: String,
    /// On the timeline.
    pub offset_ms: Option<i64>,
    /// Service.
    pub service: String,
    /// Kind (`chaos_injected`, `alert_raised`…).
    pub kind: String,
    /// Index in `metrics.actions` of the injection it confirms.
    pub confirms_action: Option<usize>,
    /// Its details.
    pub details: Value,
}

/// How much a recommendation matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth checking.
    Warning,
    /// Act on it.
    Critical,
}

impl Severity {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// How much it matters.
    pub severity: Severity,
    /// Which rule made it (`near_window_limit`).
    pub rule: String,
    /// What to do, for people.
    pub message: String,
}

/// The summary over several executions (N1V1's `chaos_summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// What ran.
    pub test_run: SummaryRun,
    /// How it went.
    pub results: SummaryResults,
    /// One line per execution, in the order given.
    pub executions: Vec<SummaryEntry>,
}

/// What ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRun {
    /// Executions summarised.
    pub total_executions: usize,
    /// Distinct scenario names, first seen first.
    pub scenarios_run: Vec<String>,
    /// Earliest start.
    pub first_started_at: Option<String>,
    /// Latest end.
    pub last_finished_at: Option<String>,
    /// Sum of the executions' wall-clock durations.
    pub total_duration_ms: u64,
}

/// How it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryResults {
    /// Executions that passed.
    pub passed_executions: usize,
    /// Those that did not.
    pub failed_executions: usize,
    /// passed / total × 100 (0 with no executions).
    pub pass_rate_percent: f64,
    /// Mean of every service recovery time measured; null when none was.
    pub average_recovery_time_ms: Option<f64>,
    /// How many recovery times that mean is over.
    pub recovery_samples: usize,
    /// Assertions, in all.
    pub total_assertions: usize,
    /// Of which held.
    pub passed_assertions: usize,
    /// Of which failed.
    pub failed_assertions: usize,
}

/// One execution in a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryEntry {
    /// Execution id.
    pub execution_id: String,
    /// Scenario name.
    pub scenario: String,
    /// State.
    pub status: String,
    /// Whether it passed.
    pub passed: bool,
    /// Wall-clock duration.
    pub duration_ms: Option<u64>,
    /// Mean recovery time of its services, when measured.
    pub average_recovery_ms: Option<f64>,
}

// ───────────────────────────── build ─────────────────────────────

/// Builds the report of one execution from stored data only. Pure: the same input,
/// time and instance give the same report.
pub fn build(input: &ReportInput, generated_at: OffsetDateTime, instance: &str) -> ExecutionReport {
    let plan = &input.plan;
    let record = &input.execution;
    let fold = Fold::run(input);
    let execution = execution_section(record, &fold);
    let system_impact = system_impact(input, &fold);
    let validation_results = validation_results(&fold);
    let audit = plan
        .reporting
        .correlate_with_audit_logs
        .then(|| audit_section(input, &fold));
    let mut report = ExecutionReport {
        metadata: ReportMetadata {
            schema_version: SCHEMA_VERSION.to_owned(),
            report_id: format!("rpt-{}-{}", record.id, compact_time(generated_at)),
            generated_at: rfc3339(generated_at),
            coordinator_version: env!("CARGO_PKG_VERSION").to_owned(),
            instance: instance.to_owned(),
        },
        scenario: ScenarioSection {
            name: plan.metadata.name.clone(),
            version: plan.metadata.version.clone(),
            category: plan.metadata.category.clone(),
            description: plan.metadata.description.clone(),
            author: plan.metadata.author.clone(),
            tags: plan.metadata.tags.clone(),
            definition: record.definition.clone(),
            parameters: record.parameters.clone(),
            success_criteria: plan.criteria_names(),
            reporting: plan.reporting,
            planned_duration_ms: millis(plan.total_ms),
            timeout_ms: plan.timeout_ms.map(millis),
        },
        execution,
        system_impact,
        validation_results,
        timeline: fold.timeline,
        metrics: Metrics {
            event_count: input.events.len(),
            assertion_checks: fold.assertions.iter().map(|a| u64::from(a.attempts)).sum(),
            phases: fold.phases,
            action_latency_ms: distribution(
                fold.actions.iter().filter_map(|a| a.latency_ms).collect(),
            ),
            actions: fold.actions,
            timing_skew_ms: distribution(fold.skews.iter().map(|s| *s as f64).collect()),
        },
        audit,
        workload: workload_section(fold.workload_summaries, fold.workload_slots),
        recommendations: Vec::new(),
    };
    report.validation_results.assertions = fold.assertions;
    report.recommendations = super::recommend::recommend(&report, plan);
    report
}

fn workload_section(
    summaries: Vec<(u32, crate::engine::workload::WorkloadSummary)>,
    series: Vec<crate::engine::workload::SlotFigures>,
) -> Option<WorkloadSection> {
    let n1v1 = N1v1Metrics::of(&summaries.last()?.1);
    Some(WorkloadSection {
        runs: summaries
            .into_iter()
            .map(|(iteration, summary)| WorkloadRun { iteration, summary })
            .collect(),
        n1v1,
        series,
    })
}

/// Summarises several reports: pass rate and mean recovery time.
pub fn summarize(reports: &[ExecutionReport]) -> Summary {
    let mut scenarios_run: Vec<String> = Vec::new();
    let mut recoveries: Vec<f64> = Vec::new();
    let mut executions = Vec::with_capacity(reports.len());
    let (mut assertions, mut passed_assertions, mut failed_assertions) = (0, 0, 0);
    for report in reports {
        if !scenarios_run.contains(&report.scenario.name) {
            scenarios_run.push(report.scenario.name.clone());
        }
        let own = report.recovery_times_ms();
        recoveries.extend(&own);
        assertions += report.validation_results.total;
        passed_assertions += report.validation_results.passed;
        failed_assertions += report.validation_results.failed;
        executions.push(SummaryEntry {
            execution_id: report.execution.id.clone(),
            scenario: report.scenario.name.clone(),
            status: report.execution.status.clone(),
            passed: report.execution.passed,
            duration_ms: report.execution.duration_ms,
            average_recovery_ms: mean(&own),
        });
    }
    let passed = reports.iter().filter(|r| r.execution.passed).count();
    // RFC 3339 UTC text with a fixed shape sorts as time.
    let first_started_at = reports
        .iter()
        .filter_map(|r| r.execution.started_at.clone())
        .min();
    let last_finished_at = reports
        .iter()
        .filter_map(|r| r.execution.finished_at.clone())
        .max();
    Summary {
        test_run: SummaryRun {
            total_executions: reports.len(),
            scenarios_run,
            first_started_at,
            last_finished_at,
            total_duration_ms: reports.iter().filter_map(|r| r.execution.duration_ms).sum(),
        },
        results: SummaryResults {
            passed_executions: passed,
            failed_executions: reports.len() - passed,
            pass_rate_percent: if reports.is_empty() {
                0.0
            } else {
                passed as f64 * 100.0 / reports.len() as f64
            },
            average_recovery_time_ms: mean(&recoveries),
            recovery_samples: recoveries.len(),
            total_assertions: assertions,
            passed_assertions,
            failed_assertions,
        },
        executions,
    }
}

/// What one pass over the events gathers.
#[derive(Default)]
struct Fold {
    timeline: Vec<TimelineEvent>,
    phases: Vec<PhaseReport>,
    actions: Vec<ActionReport>,
    assertions: Vec<AssertionReport>,
    skews: Vec<i64>,
    iterations: u32,
    speed: Option<f64>,
    dry_run: Option<bool>,
    started_at: Option<OffsetDateTime>,
    finished_at: Option<OffsetDateTime>,
    finished: Option<(ExecutionStatus, Verdict)>,
    max_offset: u64,
    /// (wall time, offset) of every event with an offset, in order: the audit clock.
    anchors: Vec<(OffsetDateTime, u64)>,
    /// The workload's slots, in order (all iterations).
    workload_slots: Vec<crate::engine::workload::SlotFigures>,
    /// Each iteration's workload summary.
    workload_summaries: Vec<(u32, crate::engine::workload::WorkloadSummary)>,
}

impl Fold {
    fn run(input: &ReportInput) -> Self {
        let plan = &input.plan;
        let mut fold = Self {
            iterations: 0,
            ..Self::default()
        };
        let mut iteration = 1u32;
        let mut in_rollback = false;
        let mut phase_at: HashMap<(u32, usize), usize> = HashMap::new();
        let mut open_actions: Vec<usize> = Vec::new();
        let mut open_assertions: HashMap<(u32, usize, usize), usize> = HashMap::new();
        fold.timeline.reserve(input.events.len());
        for event in &input.events {
            if let Some(offset) = event.offset_ms {
                fold.max_offset = fold.max_offset.max(offset);
                fold.anchors.push((event.at, offset));
            }
            let phase_name = event
                .phase
                .map(|index| phase_name(plan, index, &event.kind));
            let scheduled = matches!(
                event.kind,
                EventKind::PhaseStarted { .. }
                    | EventKind::ActionStarted { .. }
                    | EventKind::AssertionStarted { .. }
                    | EventKind::IterationStarted { .. }
            );
            let skew = match (scheduled, event.offset_ms, event.planned_ms) {
                (true, Some(actual), Some(planned)) => Some(signed_diff(actual, planned)),
                _ => None,
            };
            if let Some(skew) = skew {
                fold.skews.push(skew);
            }
            match &event.kind {
                EventKind::ExecutionStarted { speed, dry_run } => {
                    fold.speed = Some(*speed);
                    fold.dry_run = Some(*dry_run);
                    fold.started_at = Some(event.at);
                    fold.iterations = fold.iterations.max(1);
                }
                EventKind::IterationStarted { iteration: n } => {
                    iteration = *n;
                    fold.iterations = fold.iterations.max(*n);
                }
                EventKind::PhaseStarted { name, .. } => {
                    if let Some(index) = event.phase {
                        let (start, end) = planned_phase(plan, index);
                        phase_at.insert((iteration, index), fold.phases.len());
                        fold.phases.push(PhaseReport {
                            iteration,
                            index,
                            name: name.clone(),
                            planned_start_ms: start,
                            planned_end_ms: end,
                            planned_duration_ms: end.saturating_sub(start),
                            started_ms: event.offset_ms,
                            finished_ms: None,
                            duration_ms: None,
                            outcome: "unfinished".to_owned(),
                            reason: None,
                        });
                    }
                }
                EventKind::PhaseFinished {
                    outcome, reason, ..
                } => {
                    if let Some(&at) = event.phase.and_then(|i| phase_at.get(&(iteration, i))) {
                        let phase = &mut fold.phases[at];
                        phase.finished_ms = event.offset_ms;
                        phase.duration_ms = match (phase.started_ms, event.offset_ms) {
                            (Some(start), Some(end)) => Some(end.saturating_sub(start)),
                            _ => None,
                        };
                        phase.outcome = phase_outcome(*outcome).to_owned();
                        phase.reason = reason.clone();
                    }
                }
                EventKind::ActionStarted {
                    service,
                    action,
                    parallel,
                    parameters,
                } => {
                    open_actions.push(fold.actions.len());
                    fold.actions.push(ActionReport {
                        iteration,
                        phase_index: event.phase,
                        phase: phase_name.clone().unwrap_or_else(|| {
                            if in_rollback { "rollback" } else { "-" }.to_owned()
                        }),
                        rollback: in_rollback && event.phase.is_none(),
                        parallel: *parallel,
                        service: service.clone(),
                        action: action.clone(),
                        parameters: parameters.clone(),
                        planned_ms: event.planned_ms,
                        started_ms: event.offset_ms,
                        finished_ms: None,
                        skew_ms: skew,
                        ok: None,
                        status: None,
                        latency_ms: None,
                        message: String::new(),
                    });
                }
                EventKind::ActionFinished {
                    service,
                    action,
                    parallel,
                    outcome,
                } => {
                    let found = open_actions.iter().rposition(|&i| {
                        let a = &fold.actions[i];
                        a.service == *service
                            && a.action == *action
                            && a.parallel == *parallel
                            && a.phase_index == event.phase
                            && a.iteration == iteration
                    });
                    let at = match found {
                        Some(position) => open_actions.remove(position),
                        None => {
                            // A finish without its start (a log cut short at the front):
                            // keep it anyway.
                            fold.actions.push(ActionReport {
                                iteration,
                                phase_index: event.phase,
                                phase: phase_name.clone().unwrap_or_else(|| "rollback".into()),
                                rollback: in_rollback && event.phase.is_none(),
                                parallel: *parallel,
                                service: service.clone(),
                                action: action.clone(),
                                parameters: Value::Null,
                                planned_ms: event.planned_ms,
                                started_ms: None,
                                finished_ms: None,
                                skew_ms: None,
                                ok: None,
                                status: None,
                                latency_ms: None,
                                message: String::new(),
                            });
                            fold.actions.len() - 1
                        }
                    };
                    let report = &mut fold.actions[at];
                    report.finished_ms = event.offset_ms;
                    report.ok = Some(outcome.ok);
                    report.status = outcome.status;
                    report.latency_ms = Some(outcome.latency_ms);
                    report.message = outcome.message.clone();
                }
                EventKind::AssertionStarted {
                    index,
                    kind,
                    expect,
                    deadline_ms,
                } => {
                    let phase = event.phase.unwrap_or_default();
                    let planned = plan
                        .phases
                        .get(phase)
                        .and_then(|p| p.assertions.get(*index));
                    let start = event
                        .planned_ms
                        .or_else(|| planned.map(|a| millis(a.start_ms)))
                        .unwrap_or_default();
                    open_assertions.insert((iteration, phase, *index), fold.assertions.len());
                    fold.assertions.push(AssertionReport {
                        iteration,
                        phase_index: phase,
                        phase: phase_name.clone().unwrap_or_default(),
                        index: *index,
                        path: format!("phases[{phase}].assertions[{index}]"),
                        assertion_type: kind.clone(),
                        expect: expect.clone(),
                        service: planned.and_then(|a| a.service.clone()),
                        outcome: AssertionOutcome::NotDecided,
                        passed: false,
                        message: String::new(),
                        evidence: Value::Null,
                        attempts: 0,
                        window_start_ms: start,
                        deadline_ms: *deadline_ms,
                        window_ms: deadline_ms.saturating_sub(start),
                        within_ms: planned.and_then(|a| a.within_ms).map(millis),
                        started_ms: event.offset_ms,
                        finished_ms: None,
                        first_check_ms: None,
                        last_check_ms: None,
                        time_to_hold_ms: None,
                        window_used_percent: None,
                    });
                }
                EventKind::AssertionFinished { index, result, .. } => {
                    let phase = event.phase.unwrap_or_default();
                    if let Some(at) = open_assertions.remove(&(iteration, phase, *index)) {
                        decide(&mut fold.assertions[at], result, event.offset_ms);
                    }
                }
                EventKind::RollbackStarted { .. } => in_rollback = true,
                EventKind::RollbackFinished { .. } => in_rollback = false,
                EventKind::ExecutionFinished { status, verdict } => {
                    fold.finished_at = Some(event.at);
                    fold.finished = Some((*status, verdict.clone()));
                }
                EventKind::WorkloadSlot { slot } => fold.workload_slots.push(slot.clone()),
                EventKind::WorkloadSummary { summary } => {
                    fold.workload_summaries
                        .push((iteration, (**summary).clone()));
                }
                EventKind::ExecutionQueued { .. }
                | EventKind::AssertionChecked { .. }
                | EventKind::ControlReceived { .. }
                | EventKind::RecoveryStarted { .. }
                | EventKind::Paused
                | EventKind::Resumed => {}
            }
            if matches!(event.kind, EventKind::WorkloadSlot { .. }) {
                // Charted in the workload section, not listed one by one.
                continue;
            }
            fold.timeline.push(TimelineEvent {
                seq: event.seq,
                at: rfc3339(event.at),
                iteration,
                offset_ms: event.offset_ms,
                planned_ms: event.planned_ms,
                skew_ms: skew,
                phase_index: event.phase,
                phase: phase_name,
                kind: event.kind.name().to_owned(),
                summary: summarize_event(&event.kind),
                details: payload(&event.kind),
            });
        }
        fold.add_unreached(plan);
        fold
    }

    /// Phases and assertions of the plan that no iteration reached.
    fn add_unreached(&mut self, plan: &Plan) {
        let last_iteration = self.iterations.max(1);
        for phase in &plan.phases {
            let reached = self.phases.iter().any(|p| p.index == phase.index);
            if reached {
                continue;
            }
            self.phases.push(PhaseReport {
                iteration: last_iteration,
                index: phase.index,
                name: phase.name.clone(),
                planned_start_ms: millis(phase.start_ms),
                planned_end_ms: millis(phase.end_ms),
                planned_duration_ms: millis(phase.duration_ms),
                started_ms: None,
                finished_ms: None,
                duration_ms: None,
                outcome: "not_run".to_owned(),
                reason: None,
            });
            for (index, assertion) in phase.assertions.iter().enumerate() {
                let start = millis(assertion.start_ms);
                let deadline = millis(assertion.deadline_ms);
                self.assertions.push(AssertionReport {
                    iteration: last_iteration,
                    phase_index: phase.index,
                    phase: phase.name.clone(),
                    index,
                    path: assertion.path.clone(),
                    assertion_type: assertion.assertion_type.clone(),
                    expect: assertion.expect.clone(),
                    service: assertion.service.clone(),
                    outcome: AssertionOutcome::NotRun,
                    passed: false,
                    message: "its phase did not run".to_owned(),
                    evidence: Value::Null,
                    attempts: 0,
                    window_start_ms: start,
                    deadline_ms: deadline,
                    window_ms: deadline.saturating_sub(start),
                    within_ms: assertion.within_ms.map(millis),
                    started_ms: None,
                    finished_ms: None,
                    first_check_ms: None,
                    last_check_ms: None,
                    time_to_hold_ms: None,
                    window_used_percent: None,
                });
            }
        }
        self.phases.sort_by_key(|p| (p.iteration, p.index));
        for assertion in &mut self.assertions {
            if assertion.outcome == AssertionOutcome::NotDecided && assertion.message.is_empty() {
                assertion.message = "not decided: its phase ended first".to_owned();
            }
        }
    }
}

fn decide(report: &mut AssertionReport, result: &AssertionResult, finished: Option<u64>) {
    report.outcome = if result.passed {
        AssertionOutcome::Passed
    } else {
        AssertionOutcome::Failed
    };
    report.passed = result.passed;
    report.message = result.message.clone();
    report.evidence = result.evidence.clone();
    report.attempts = result.attempts;
    report.finished_ms = finished;
    report.first_check_ms = result.first_check_ms;
    report.last_check_ms = result.last_check_ms;
    report.time_to_hold_ms = result.time_to_hold_ms;
    report.window_used_percent = match (result.time_to_hold_ms, report.window_ms) {
        (Some(hold), window) if window > 0 => Some(round2(hold as f64 * 100.0 / window as f64)),
        _ => None,
    };
}

fn execution_section(record: &ExecutionRecord, fold: &Fold) -> ExecutionSection {
    let verdict = fold
        .finished
        .as_ref()
        .map(|(_, verdict)| verdict)
        .or(record.verdict.as_ref());
    let status = fold.finished.as_ref().map_or(record.status, |(s, _)| *s);
    let started = record.started_at.or(fold.started_at);
    let finished = record.finished_at.or(fold.finished_at);
    let duration_ms = match (started, finished) {
        (Some(start), Some(end)) => u64::try_from((end - start).whole_milliseconds()).ok(),
        _ => None,
    };
    ExecutionSection {
        id: record.id.to_string(),
        status: status.as_str().to_owned(),
        passed: status == ExecutionStatus::Completed && verdict.is_some_and(|v| v.passed),
        verdict: verdict.map(|v| VerdictSection {
            passed: v.passed,
            summary: v.summary.clone(),
            criteria: v
                .criteria
                .iter()
                .map(|c| CriterionSection {
                    name: c.name.clone(),
                    passed: c.passed,
                    detail: c.detail.clone(),
                })
                .collect(),
        }),
        created_at: rfc3339(record.created_at),
        started_at: started.map(rfc3339),
        finished_at: finished.map(rfc3339),
        duration_ms,
        scenario_elapsed_ms: fold.max_offset,
        speed: fold.speed.unwrap_or(record.options.speed),
        dry_run: fold.dry_run.unwrap_or(record.options.dry_run),
        continue_on_failure: record.options.continue_on_failure,
        repeat: record.options.repeat,
        iterations: fold.iterations,
        started_by: record.started_by.clone(),
    }
}

fn validation_results(fold: &Fold) -> ValidationResults {
    let count = |o: AssertionOutcome| fold.assertions.iter().filter(|a| a.outcome == o).count();
    let passed = count(AssertionOutcome::Passed);
    let failed = count(AssertionOutcome::Failed);
    let mut unexpected: Vec<UnexpectedBehavior> = Vec::new();
    for action in fold.actions.iter().filter(|a| a.ok == Some(false)) {
        unexpected.push(UnexpectedBehavior {
            kind: if action.rollback {
                "rollback_action_failed"
            } else {
                "action_failed"
            }
            .to_owned(),
            phase: Some(action.phase.clone()),
            offset_ms: action.finished_ms.or(action.started_ms),
            subject: format!("{}.{}", action.service, action.action),
            message: action.message.clone(),
        });
    }
    for assertion in fold
        .assertions
        .iter()
        .filter(|a| a.outcome == AssertionOutcome::Failed)
    {
        unexpected.push(UnexpectedBehavior {
            kind: "assertion_failed".to_owned(),
            phase: Some(assertion.phase.clone()),
            offset_ms: assertion.finished_ms.or(assertion.last_check_ms),
            subject: format!("{}={}", assertion.assertion_type, assertion.expect),
            message: assertion.message.clone(),
        });
    }
    unexpected.sort_by_key(|u| u.offset_ms.unwrap_or(u64::MAX));
    ValidationResults {
        total: fold.assertions.len(),
        passed,
        failed,
        not_decided: fold.assertions.len() - passed - failed,
        pass_rate_percent: (passed + failed > 0)
            .then(|| round2(passed as f64 * 100.0 / (passed + failed) as f64)),
        assertions: Vec::new(),
        unexpected_behaviors: unexpected,
    }
}

// ───────────────────────────── system impact ─────────────────────────────

/// Whether an action takes chaos away rather than injecting it.
pub fn is_clearing_action(action: &str) -> bool {
    chaos_effect(action) == ChaosEffect::Clears
}

fn system_impact(input: &ReportInput, fold: &Fold) -> SystemImpact {
    let mut services: Vec<ServiceImpact> = Vec::new();
    for action in fold.actions.iter().filter(|a| {
        !a.rollback
            && a.phase_index.is_some()
            && a.ok == Some(true)
            && chaos_effect(&a.action) == ChaosEffect::Injects
    }) {
        let at = action.finished_ms.or(action.started_ms).unwrap_or_default();
        match services.iter_mut().find(|s| s.service == action.service) {
            Some(service) => {
                if !service.chaos_actions.contains(&action.action) {
                    service.chaos_actions.push(action.action.clone());
                }
                service.injected_ms = service.injected_ms.min(at);
            }
            None => services.push(ServiceImpact {
                service: action.service.clone(),
                chaos_actions: vec![action.action.clone()],
                injected_ms: at,
                cleared_ms: None,
                cleared_by: None,
                recovery_ms: None,
                recovered_by: None,
                recovery_window_ms: None,
            }),
        }
    }
    for service in &mut services {
        let clear = fold
            .actions
            .iter()
            .filter(|a| a.service == service.service && a.ok == Some(true))
            .filter(|a| a.rollback || is_clearing_action(&a.action))
            .filter_map(|a| a.finished_ms.map(|at| (at, a)))
            .filter(|(at, _)| *at >= service.injected_ms)
            .min_by_key(|(at, _)| *at);
        let Some((cleared, by)) = clear else { continue };
        service.cleared_ms = Some(cleared);
        service.cleared_by = Some(if by.rollback {
            format!("rollback: {}", by.action)
        } else {
            by.action.clone()
        });
        let recovered = fold
            .assertions
            .iter()
            .filter(|a| a.passed && RECOVERY_TYPES.contains(&a.assertion_type.as_str()))
            .filter(|a| a.service.as_ref().is_none_or(|s| *s == service.service))
            .filter_map(|a| a.last_check_ms.map(|held| (held, a)))
            .filter(|(held, _)| *held >= cleared)
            .min_by_key(|(held, _)| *held);
        if let Some((held, assertion)) = recovered {
            service.recovery_ms = Some(held - cleared);
            service.recovered_by = Some(format!(
                "{} ({})",
                assertion.assertion_type, assertion.phase
            ));
            service.recovery_window_ms = Some(assertion.window_ms);
        }
    }
    let clock = AuditClock::new(fold, input.execution.options.speed);
    let alerts = match &input.audit_events {
        Some(events) => alerts_from_audit(events, &clock),
        None => Vec::new(),
    };
    let alerts = if alerts.is_empty() {
        alerts_from_evidence(&fold.assertions, &clock)
    } else {
        alerts
    };
    SystemImpact {
        alerts_observed: input.audit_events.is_some() || !alerts.is_empty(),
        services_affected: services,
        alerts_generated: alerts,
        performance_impact: performance_impact(fold),
    }
}

/// Places wall-clock times on the execution's timeline.
struct AuditClock<'a> {
    anchors: &'a [(OffsetDateTime, u64)],
    speed: f64,
}

impl<'a> AuditClock<'a> {
    fn new(fold: &'a Fold, speed: f64) -> Self {
        let speed = fold.speed.unwrap_or(speed);
        Self {
            anchors: &fold.anchors,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    fn offset(&self, at: OffsetDateTime) -> Option<i64> {
        let after = self.anchors.partition_point(|(when, _)| *when <= at);
        let (anchor, cap) = if after == 0 {
            (self.anchors.first()?, None)
        } else {
            (&self.anchors[after - 1], self.anchors.get(after))
        };
        let real_ms = (at - anchor.0).as_seconds_f64() * 1000.0;
        let mut offset = anchor.1 as f64 + real_ms * self.speed;
        if let Some((_, next)) = cap {
            offset = offset.min(*next as f64);
        }
        Some(offset.round() as i64)
    }

    fn offset_text(&self, at: Option<&str>) -> Option<i64> {
        at.and_then(parse_time).and_then(|t| self.offset(t))
    }
}

fn alerts_from_audit(events: &[Value], clock: &AuditClock) -> Vec<AlertSummary> {
    let mut alerts: Vec<AlertSummary> = Vec::new();
    for event in events {
        let kind = event["kind"].as_str().unwrap_or_default();
        if kind != "alert_raised" && kind != "alert_resolved" {
            continue;
        }
        let alert = &event["details"];
        let Some(alert_type) = alert["type"].as_str() else {
            continue;
        };
        let subject = alert["subject"].as_str().map(str::to_owned);
        let id = alert["id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{alert_type}:{}", subject.as_deref().unwrap_or("")));
        let at = event["at"].as_str();
        let raised_at = alert["raised_at"]
            .as_str()
            .or(at.filter(|_| kind == "alert_raised"));
        let resolved_at = alert["resolved_at"]
            .as_str()
            .or(at.filter(|_| kind == "alert_resolved"));
        let entry = match alerts.iter_mut().position(|a| a.id == id) {
            Some(i) => &mut alerts[i],
            None => {
                alerts.push(AlertSummary {
                    id,
                    alert_type: alert_type.to_owned(),
                    subject,
                    severity: None,
                    raised_at: None,
                    resolved_at: None,
                    raised_offset_ms: None,
                    resolved_offset_ms: None,
                    active_ms: None,
                    source: "audit".to_owned(),
                });
                let last = alerts.len() - 1;
                &mut alerts[last]
            }
        };
        if let Some(severity) = alert["severity"].as_str() {
            entry.severity = Some(severity.to_owned());
        }
        if entry.raised_at.is_none() {
            entry.raised_at = raised_at.map(str::to_owned);
        }
        if resolved_at.is_some() {
            entry.resolved_at = resolved_at.map(str::to_owned);
        }
    }
    for alert in &mut alerts {
        finish_alert(alert, clock);
    }
    alerts
}

fn finish_alert(alert: &mut AlertSummary, clock: &AuditClock) {
    alert.raised_offset_ms = clock.offset_text(alert.raised_at.as_deref());
    alert.resolved_offset_ms = clock.offset_text(alert.resolved_at.as_deref());
    alert.active_ms = match (alert.raised_offset_ms, alert.resolved_offset_ms) {
        (Some(raised), Some(resolved)) => u64::try_from(resolved - raised).ok(),
        _ => None,
    };
}

/// Alert objects (`type` and `raised_at`) anywhere in assertion evidence.
fn alerts_from_evidence(assertions: &[AssertionReport], clock: &AuditClock) -> Vec<AlertSummary> {
    let mut alerts: Vec<AlertSummary> = Vec::new();
    for assertion in assertions {
        walk(&assertion.evidence, 0, &mut |object| {
            let (Some(alert_type), Some(raised_at)) = (
                object.get("type").and_then(Value::as_str),
                object.get("raised_at").and_then(Value::as_str),
            ) else {
                return;
            };
            let subject = object
                .get("subject")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let id = object
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{alert_type}:{}", subject.as_deref().unwrap_or("")));
            let resolved = object.get("resolved_at").and_then(Value::as_str);
            let severity = object.get("severity").and_then(Value::as_str);
            match alerts.iter_mut().find(|a| a.id == id) {
                Some(alert) => {
                    if resolved.is_some() {
                        alert.resolved_at = resolved.map(str::to_owned);
                    }
                    if severity.is_some() {
                        alert.severity = severity.map(str::to_owned);
                    }
                }
                None => alerts.push(AlertSummary {
                    id,
                    alert_type: alert_type.to_owned(),
                    subject,
                    severity: severity.map(str::to_owned),
                    raised_at: Some(raised_at.to_owned()),
                    resolved_at: resolved.map(str::to_owned),
                    raised_offset_ms: None,
                    resolved_offset_ms: None,
                    active_ms: None,
                    source: "assertion_evidence".to_owned(),
                }),
            }
        });
    }
    for alert in &mut alerts {
        finish_alert(alert, clock);
    }
    alerts.sort_by(|a, b| a.raised_at.cmp(&b.raised_at));
    alerts
}

/// Calls `visit` on every JSON object in `value`, a few levels deep.
fn walk(value: &Value, depth: usize, visit: &mut dyn FnMut(&serde_json::Map<String, Value>)) {
    if depth > 6 {
        return;
    }
    match value {
        Value::Object(object) => {
            visit(object);
            for child in object.values() {
                walk(child, depth + 1, visit);
            }
        }
        Value::Array(items) => {
            for child in items {
                walk(child, depth + 1, visit);
            }
        }
        _ => {}
    }
}

/// One measurement taken from evidence.
struct Sample {
    subject: String,
    metric: &'static str,
    higher_is_worse: bool,
    value: f64,
    baseline: Option<f64>,
    offset: Option<u64>,
    phase: String,
}

fn performance_impact(fold: &Fold) -> Vec<PerformanceImpact> {
    let mut samples: Vec<Sample> = Vec::new();
    for assertion in fold.assertions.iter().filter(|a| a.attempts > 0) {
        let offset = assertion.last_check_ms;
        let phase = &assertion.phase;
        walk(&assertion.evidence, 0, &mut |object| {
            if let (Some(name), true) = (
                object.get("name").and_then(Value::as_str),
                object.contains_key("p95_latency_ms")
                    && (object.contains_key("baseline") || object.contains_key("performance")),
            ) {
                let baseline = object.get("baseline");
                for (metric, higher_is_worse) in [("p95_latency_ms", true), ("success_rate", false)]
                {
                    if let Some(value) = object.get(metric).and_then(Value::as_f64) {
                        samples.push(Sample {
                            subject: format!("strategy {name}"),
                            metric,
                            higher_is_worse,
                            value,
                            baseline: baseline.and_then(|b| b.get(metric)).and_then(Value::as_f64),
                            offset,
                            phase: phase.clone(),
                        });
                    }
                }
            }
            if let Some(Value::Object(services)) = object.get("services") {
                for (service, health) in services {
                    if let Some(latency) = health.get("latency_ms").and_then(Value::as_f64) {
                        samples.push(Sample {
                            subject: format!("service {service}"),
                            metric: "health_check_latency_ms",
                            higher_is_worse: true,
                            value: latency,
                            baseline: None,
                            offset,
                            phase: phase.clone(),
                        });
                    }
                }
            }
        });
    }
    let first_injection = fold
        .actions
        .iter()
        .filter(|a| !a.rollback && a.phase_index.is_some() && !is_clearing_action(&a.action))
        .filter_map(|a| a.started_ms)
        .min();
    let mut groups: BTreeMap<(String, &'static str), Vec<Sample>> = BTreeMap::new();
    for sample in samples {
        groups
            .entry((sample.subject.clone(), sample.metric))
            .or_default()
            .push(sample);
    }
    let mut out = Vec::new();
    for ((subject, metric), mut group) in groups {
        group.sort_by_key(|s| s.offset.unwrap_or(u64::MAX));
        let higher_is_worse = group[0].higher_is_worse;
        let before: Vec<f64> = group
            .iter()
            .filter(|s| matches!((s.offset, first_injection), (Some(o), Some(i)) if o < i))
            .map(|s| s.value)
            .collect();
        let baseline = group
            .iter()
            .rev()
            .find_map(|s| s.baseline)
            .or_else(|| mean(&before));
        // The worst value under chaos: samples from the first injection on, when any.
        let after_chaos =
            |s: &&Sample| !matches!((s.offset, first_injection), (Some(o), Some(i)) if o < i);
        let candidates: Vec<&Sample> = match group.iter().filter(after_chaos).count() {
            0 => group.iter().collect(),
            _ => group.iter().filter(after_chaos).collect(),
        };
        let worst = candidates.iter().copied().fold(candidates[0], |worst, s| {
            let worse = if higher_is_worse {
                s.value > worst.value
            } else {
                s.value < worst.value
            };
            if worse {
                s
            } else {
                worst
            }
        });
        let change = baseline.map(|b| round2(worst.value - b));
        out.push(PerformanceImpact {
            subject,
            metric: metric.to_owned(),
            higher_is_worse,
            baseline: baseline.map(round2),
            worst: round2(worst.value),
            worst_offset_ms: worst.offset,
            worst_phase: Some(worst.phase.clone()),
            last: round2(group[group.len() - 1].value),
            change,
            change_percent: baseline
                .filter(|b| *b != 0.0)
                .map(|b| round2((worst.value - b) * 100.0 / b)),
            samples: group.len(),
        });
    }
    out
}

// ───────────────────────────── audit ─────────────────────────────

fn audit_section(input: &ReportInput, fold: &Fold) -> AuditSection {
    let clock = AuditClock::new(fold, input.execution.options.speed);
    let injections: Vec<usize> = fold
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            !a.rollback
                && a.phase_index.is_some()
                && a.ok == Some(true)
                && !is_clearing_action(&a.action)
        })
        .map(|(i, _)| i)
        .collect();
    let mut confirmed: Vec<bool> = vec![false; injections.len()];
    let mut entries = Vec::new();
    for event in input.audit_events.iter().flatten() {
        let text = |key: &str| event[key].as_str().unwrap_or_default().to_owned();
        let (service, kind) = (text("service"), text("kind"));
        let action = event["details"]["action"]
            .as_str()
            .map(|a| a.replace('-', "_"));
        let mut confirms = None;
        if kind == "chaos_injected" {
            let found = injections.iter().enumerate().find(|(slot, &i)| {
                !confirmed[*slot]
                    && fold.actions[i].service == service
                    && action
                        .as_deref()
                        .is_none_or(|a| a == fold.actions[i].action)
            });
            if let Some((slot, &i)) = found {
                confirmed[slot] = true;
                confirms = Some(i);
            }
        }
        entries.push(AuditEntry {
            id: text("id"),
            offset_ms: clock.offset_text(event["at"].as_str()),
            at: text("at"),
            service,
            kind,
            confirms_action: confirms,
            details: event["details"].clone(),
        });
    }
    let unconfirmed = injections
        .iter()
        .zip(&confirmed)
        .filter(|(_, ok)| !**ok)
        .map(|(&i, _)| {
            let a = &fold.actions[i];
            format!(
                "{}.{} @ {}",
                a.service,
                a.action,
                human_ms(a.started_ms.unwrap_or_default())
            )
        })
        .collect();
    AuditSection {
        correlation_id: input.execution.id.to_string(),
        available: input.audit_events.is_some(),
        events: entries,
        chaos_injected: injections.len(),
        chaos_confirmed: confirmed.iter().filter(|c| **c).count(),
        unconfirmed,
    }
}

// ───────────────────────────── helpers ─────────────────────────────

fn phase_name(plan: &Plan, index: usize, kind: &EventKind) -> String {
    match (plan.phases.get(index), kind) {
        (Some(phase), _) => phase.name.clone(),
        (None, EventKind::PhaseStarted { name, .. } | EventKind::PhaseFinished { name, .. }) => {
            name.clone()
        }
        (None, _) => format!("phase {index}"),
    }
}

fn planned_phase(plan: &Plan, index: usize) -> (u64, u64) {
    plan.phases
        .get(index)
        .map_or((0, 0), |p| (millis(p.start_ms), millis(p.end_ms)))
}

fn phase_outcome(outcome: PhaseOutcome) -> &'static str {
    match outcome {
        PhaseOutcome::Passed => "passed",
        PhaseOutcome::Failed => "failed",
        PhaseOutcome::Skipped => "skipped",
        PhaseOutcome::Aborted => "aborted",
    }
}

/// The event's fields without `kind`. An `assertion_finished` leaves out its
/// evidence, which `validation_results` holds: evidence is most of an execution's
/// data, and copying it twice doubled the report's size and build time.
fn payload(kind: &EventKind) -> Value {
    if let EventKind::AssertionFinished {
        index,
        kind,
        expect,
        result,
    } = kind
    {
        return serde_json::json!({
            "index": index,
            "type": kind,
            "expect": expect,
            "result": {
                "passed": result.passed,
                "message": result.message,
                "attempts": result.attempts,
                "first_check_ms": result.first_check_ms,
                "last_check_ms": result.last_check_ms,
                "time_to_hold_ms": result.time_to_hold_ms,
            },
        });
    }
    match serde_json::to_value(kind) {
        Ok(Value::Object(mut map)) => {
            map.remove("kind");
            Value::Object(map)
        }
        Ok(other) => other,
        Err(_) => Value::Null,
    }
}

fn outcome_text(outcome: &ActionOutcome) -> String {
    let status = outcome
        .status
        .map(|s| format!("HTTP {s}, "))
        .unwrap_or_default();
    if outcome.ok {
        format!("ok ({status}{:.1} ms)", outcome.latency_ms)
    } else {
        format!(
            "failed ({status}{:.1} ms): {}",
            outcome.latency_ms, outcome.message
        )
    }
}

/// One line for people about an event.
pub fn summarize_event(kind: &EventKind) -> String {
    match kind {
        EventKind::ExecutionQueued { scenario, .. } => format!("queued: {scenario}"),
        EventKind::ExecutionStarted { speed, dry_run } => format!(
            "started at speed {speed}×{}",
            if *dry_run { " (dry run)" } else { "" }
        ),
        EventKind::IterationStarted { iteration } => format!("iteration {iteration} started"),
        EventKind::PhaseStarted { name, duration_ms } => {
            format!("phase {name} started ({})", human_ms(*duration_ms))
        }
        EventKind::ActionStarted {
            service,
            action,
            parallel,
            ..
        } => format!(
            "{}{service}.{action} sent",
            if *parallel { "parallel " } else { "" }
        ),
        EventKind::ActionFinished {
            service,
            action,
            outcome,
            ..
        } => format!("{service}.{action} {}", outcome_text(outcome)),
        EventKind::AssertionStarted {
            kind,
            expect,
            deadline_ms,
            ..
        } => format!("assert {kind}={expect} until {}", human_ms(*deadline_ms)),
        EventKind::AssertionFinished {
            kind,
            expect,
            result,
            ..
        } => format!(
            "{kind}={expect} {} after {} check{}{}: {}",
            if result.passed { "passed" } else { "failed" },
            result.attempts,
            if result.attempts == 1 { "" } else { "s" },
            result
                .time_to_hold_ms
                .map(|t| format!(" ({})", human_ms(t)))
                .unwrap_or_default(),
            result.message
        ),
        EventKind::AssertionChecked {
            kind,
            attempts,
            message,
            ..
        } => format!("{kind} not yet (check {attempts}): {message}"),
        EventKind::PhaseFinished {
            name,
            outcome,
            reason,
        } => format!(
            "phase {name} {}{}",
            phase_outcome(*outcome),
            reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        EventKind::ControlReceived { command } => format!(
            "control: {}",
            serde_json::to_value(command)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        EventKind::Paused => "paused".to_owned(),
        EventKind::Resumed => "resumed".to_owned(),
        EventKind::RecoveryStarted { previous_owner } => format!(
            "recovery: its owner{} is gone; taken over here",
            previous_owner
                .as_ref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default()
        ),
        EventKind::RollbackStarted { reason, actions } => format!(
            "rollback started ({}): {actions} action{}",
            serde_json::to_value(reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            if *actions == 1 { "" } else { "s" }
        ),
        EventKind::RollbackFinished { ok } => if *ok {
            "rollback succeeded"
        } else {
            "rollback failed"
        }
        .to_owned(),
        EventKind::WorkloadSlot { slot } => format!(
            "workload {}–{}: {} requests, {:.1} % failed, p95 {:.1} ms",
            human_ms(slot.start_ms),
            human_ms(slot.end_ms),
            slot.figures.requests,
            slot.figures.failure_rate * 100.0,
            slot.figures.p95_ms
        ),
        EventKind::WorkloadSummary { summary } => format!(
            "workload: {} requests, {:.2} % failed, p95 {:.1} ms{}",
            summary.total.requests,
            summary.total.failure_rate * 100.0,
            summary.total.p95_ms,
            match summary.recovery.as_ref().and_then(|r| r.recovery_time_ms) {
                Some(ms) => format!(", recovered {} after the chaos was cleared", human_ms(ms)),
                None if summary.recovery.is_some() => ", no recovery detected".to_owned(),
                None => String::new(),
            }
        ),
        EventKind::ExecutionFinished { status, verdict } => {
            format!("finished {status}: {}", verdict.summary)
        }
    }
}

/// Nearest-rank statistics over `samples`.
pub fn distribution(mut samples: Vec<f64>) -> Distribution {
    samples.retain(|s| s.is_finite());
    if samples.is_empty() {
        return Distribution::default();
    }
    samples.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let n = samples.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        samples[rank.clamp(1, n) - 1]
    };
    Distribution {
        count: samples.len(),
        min: samples.first().copied(),
        p50: Some(rank(50.0)),
        p99: Some(rank(99.0)),
        max: samples.last().copied(),
        mean: mean(&samples).map(round2),
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn signed_diff(actual: u64, planned: u64) -> i64 {
    if actual >= planned {
        i64::try_from(actual - planned).unwrap_or(i64::MAX)
    } else {
        i64::try_from(planned - actual).map_or(i64::MIN, |d| -d)
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// RFC 3339 text of a time (empty if it cannot be printed, which a real time never is).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

fn compact_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// Milliseconds of scenario time for people: `350ms`, `1m50s`, `2h` (whole seconds
/// from a second up).
pub fn human_ms(ms: u64) -> String {
    let duration = if ms < 1000 {
        std::time::Duration::from_millis(ms)
    } else {
        std::time::Duration::from_secs(ms.saturating_add(500) / 1000)
    };
    app::scenario::duration::format_duration(duration)
}

/// Signed milliseconds for people: `-2s`, `+350ms`.
pub fn human_signed_ms(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "+" };
    format!("{sign}{}", human_ms(ms.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata;

    fn report() -> ExecutionReport {
        build(
            &testdata::input(),
            testdata::generated_at(),
            "coordinator-test",
        )
    }

    #[test]
    fn metadata_names_the_report_the_version_and_the_instance() {
        let r = report();
        assert_eq!(r.metadata.schema_version, "1");
        assert_eq!(
            r.metadata.report_id,
            format!("rpt-{}-20260102T030405000Z", testdata::EXECUTION_ID)
        );
        assert_eq!(r.metadata.generated_at, "2026-01-02T03:04:05Z");
        assert_eq!(r.metadata.coordinator_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(r.metadata.instance, "coordinator-test");
    }

    #[test]
    fn the_scenario_section_keeps_the_exact_definition_and_parameters() {
        let r = report();
        assert_eq!(r.scenario.name, "basic-market-disruption");
        assert_eq!(r.scenario.version.as_deref(), Some("1.0"));
        assert_eq!(r.scenario.category.as_deref(), Some("market"));
        assert_eq!(r.scenario.definition, testdata::DEFINITION);
        assert_eq!(
            r.scenario.parameters,
            Some(serde_json::json!({"delay_ms": 500}))
        );
        assert_eq!(r.scenario.planned_duration_ms, 1_800_000);
        assert_eq!(r.scenario.timeout_ms, Some(2_100_000));
        assert!(r.scenario.reporting.correlate_with_audit_logs);
    }

    #[test]
    fn the_execution_section_has_status_verdict_times_and_options() {
        let e = report().execution;
        assert_eq!(e.id, testdata::EXECUTION_ID);
        assert_eq!(e.status, "failed");
        assert!(!e.passed);
        let verdict = e.verdict.expect("a verdict");
        assert!(!verdict.passed);
        assert_eq!(verdict.criteria.len(), 2);
        assert_eq!(e.started_at.as_deref(), Some("2026-01-01T10:00:00Z"));
        assert_eq!(e.finished_at.as_deref(), Some("2026-01-01T10:00:03.001Z"));
        assert_eq!(e.duration_ms, Some(3_001));
        assert_eq!(e.scenario_elapsed_ms, 1_800_600);
        assert_eq!(e.speed, 600.0);
        assert!(e.continue_on_failure);
        assert_eq!((e.repeat, e.iterations), (1, 1));
        assert_eq!(e.started_by, "api");
    }

    #[test]
    fn validation_counts_and_each_assertion_are_exact() {
        let v = report().validation_results;
        assert_eq!((v.total, v.passed, v.failed, v.not_decided), (6, 5, 1, 0));
        assert_eq!(v.pass_rate_percent, Some(83.33));
        let risk = &v.assertions[1];
        assert_eq!(risk.path, "phases[1].assertions[0]");
        assert_eq!(
            (risk.phase.as_str(), risk.assertion_type.as_str()),
            ("chaos_injection", "risk_alert")
        );
        assert_eq!(risk.attempts, 12);
        assert_eq!(risk.time_to_hold_ms, Some(110_000));
        assert_eq!(
            (risk.window_start_ms, risk.deadline_ms, risk.window_ms),
            (300_000, 420_000, 120_000)
        );
        assert_eq!(risk.within_ms, Some(120_000));
        assert_eq!(risk.window_used_percent, Some(91.67));
        let failed = &v.assertions[3];
        assert_eq!(failed.outcome, AssertionOutcome::Failed);
        assert!(failed.evidence.to_string().contains("<script>"));
        let kinds: Vec<&str> = v
            .unexpected_behaviors
            .iter()
            .map(|u| u.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "assertion_failed",
                "action_failed",
                "rollback_action_failed"
            ]
        );
        assert_eq!(
            v.unexpected_behaviors[1].subject,
            "market-data-simulator.volatility_spike"
        );
        assert_eq!(v.unexpected_behaviors[1].offset_ms, Some(900_700));
    }

    #[test]
    fn every_event_is_on_the_timeline_with_planned_actual_and_skew() {
        let r = report();
        assert_eq!(r.timeline.len(), testdata::input().events.len());
        assert_eq!(r.metrics.event_count, r.timeline.len());
        let parallel = r
            .timeline
            .iter()
            .find(|t| t.kind == "action_started" && t.details["parallel"] == true)
            .expect("the parallel action");
        assert_eq!(
            (parallel.planned_ms, parallel.offset_ms, parallel.skew_ms),
            (Some(900_000), Some(900_600), Some(600))
        );
        assert_eq!(parallel.phase.as_deref(), Some("chaos_injection"));
        assert_eq!(
            parallel.summary,
            "parallel market-data-simulator.volatility_spike sent"
        );
        let finished = r
            .timeline
            .iter()
            .find(|t| t.kind == "assertion_finished")
            .expect("one");
        assert_eq!(finished.skew_ms, None, "finishing is not scheduled");
        assert!(finished.details.get("kind").is_none());
        assert_eq!(finished.details["result"]["attempts"], 1);
    }

    #[test]
    fn an_assertion_payload_is_the_stored_form_without_evidence() {
        for event in testdata::events() {
            if let EventKind::AssertionFinished { .. } = &event.kind {
                let mut stored = serde_json::to_value(&event.kind).unwrap();
                let object = stored.as_object_mut().unwrap();
                object.remove("kind");
                object["result"].as_object_mut().unwrap().remove("evidence");
                assert_eq!(payload(&event.kind), stored);
            }
        }
    }

    #[test]
    fn metrics_have_phase_durations_action_latencies_and_skew_percentiles() {
        let m = report().metrics;
        let durations: Vec<_> = m
            .phases
            .iter()
            .map(|p| (p.name.as_str(), p.duration_ms, p.outcome.as_str()))
            .collect();
        assert_eq!(
            durations,
            [
                ("baseline", Some(300_000), "passed"),
                ("chaos_injection", Some(1_199_998), "failed"),
                ("recovery", Some(299_990), "passed"),
            ]
        );
        assert_eq!(m.actions.len(), 5);
        assert_eq!(m.action_latency_ms.count, 5);
        assert_eq!(m.action_latency_ms.p50, Some(8.0));
        assert_eq!(m.action_latency_ms.p99, Some(1500.0));
        assert_eq!(m.action_latency_ms.max, Some(1500.0));
        assert_eq!(m.action_latency_ms.mean, Some(306.1));
        assert_eq!(m.timing_skew_ms.count, 12);
        assert_eq!(m.timing_skew_ms.min, Some(5.0));
        assert_eq!(m.timing_skew_ms.p50, Some(20.0));
        assert_eq!(m.timing_skew_ms.p99, Some(600.0));
        assert_eq!(m.timing_skew_ms.max, Some(600.0));
        assert_eq!(m.timing_skew_ms.mean, Some(90.83));
        assert_eq!(m.assertion_checks, 1 + 12 + 1 + 13 + 4 + 5);
        assert!(m.actions[3].rollback && m.actions[4].rollback);
        assert_eq!(m.actions[4].ok, Some(false));
    }

    #[test]
    fn recovery_runs_from_the_clear_to_the_first_recovery_assertion_that_held() {
        let impact = report().system_impact;
        assert_eq!(
            impact.services_affected.len(),
            1,
            "the failed injection is not an impact"
        );
        let exchange = &impact.services_affected[0];
        assert_eq!(exchange.service, "exchange-simulator");
        assert_eq!(exchange.chaos_actions, ["inject_latency"]);
        assert_eq!(exchange.injected_ms, 300_090);
        assert_eq!(exchange.cleared_ms, Some(1_500_050));
        assert_eq!(exchange.cleared_by.as_deref(), Some("clear_chaos"));
        assert_eq!(exchange.recovery_ms, Some(45_000));
        assert_eq!(
            exchange.recovered_by.as_deref(),
            Some("system_recovery (recovery)")
        );
        assert_eq!(exchange.recovery_window_ms, Some(180_000));
    }

    #[test]
    fn alerts_come_from_the_audit_trail_with_raise_and_resolve_offsets() {
        let impact = report().system_impact;
        assert!(impact.alerts_observed);
        assert_eq!(impact.alerts_generated.len(), 1);
        let alert = &impact.alerts_generated[0];
        assert_eq!(
            (alert.id.as_str(), alert.alert_type.as_str()),
            ("alert-000001", "execution_latency")
        );
        assert_eq!(alert.subject.as_deref(), Some("arbitrage"));
        assert_eq!(alert.severity.as_deref(), Some("high"));
        assert_eq!(alert.source, "audit");
        assert_eq!(alert.raised_offset_ms, Some(402_000));
        assert_eq!(alert.resolved_offset_ms, Some(1_555_000));
        assert_eq!(alert.active_ms, Some(1_153_000));
    }

    #[test]
    fn without_audit_events_alerts_are_read_from_assertion_evidence() {
        let mut input = testdata::input();
        input.audit_events = None;
        let impact = build(&input, testdata::generated_at(), "x").system_impact;
        assert!(impact.alerts_observed);
        let alert = &impact.alerts_generated[0];
        assert_eq!(alert.source, "assertion_evidence");
        assert_eq!(alert.raised_offset_ms, Some(402_000));
        assert_eq!(alert.resolved_at, None);
    }

    #[test]
    fn performance_impact_compares_the_worst_sample_with_its_baseline() {
        let impact = report().system_impact.performance_impact;
        let p95 = impact
            .iter()
            .find(|p| p.subject == "strategy arbitrage" && p.metric == "p95_latency_ms")
            .expect("p95 measured");
        assert_eq!(p95.baseline, Some(45.0));
        assert_eq!(p95.worst, 812.0);
        assert_eq!(p95.change, Some(767.0));
        assert_eq!(p95.change_percent, Some(1704.44));
        assert_eq!(p95.worst_phase.as_deref(), Some("chaos_injection"));
        assert_eq!(p95.last, 812.0);
        assert_eq!(p95.samples, 1);
        let health = impact
            .iter()
            .find(|p| p.subject == "service exchange-simulator")
            .expect("health latency measured");
        assert_eq!(
            (health.baseline, health.worst, health.samples),
            (Some(4.0), 9.0, 2)
        );
    }

    #[test]
    fn the_worst_value_is_taken_under_chaos_not_from_the_baseline() {
        let mut input = testdata::input();
        for event in &mut input.events {
            if let EventKind::AssertionFinished { kind, result, .. } = &mut event.kind {
                if kind == "system_health" {
                    result.evidence["services"]["exchange-simulator"]["latency_ms"] = 12.0.into();
                }
            }
        }
        let impact = build(&input, testdata::generated_at(), "x").system_impact;
        let health = impact
            .performance_impact
            .iter()
            .find(|p| p.subject == "service exchange-simulator")
            .expect("measured");
        assert_eq!(
            (health.baseline, health.worst, health.change),
            (Some(12.0), 9.0, Some(-3.0))
        );
        assert_eq!(health.worst_phase.as_deref(), Some("recovery"));
    }

    #[test]
    fn the_audit_section_aligns_events_and_counts_confirmed_injections() {
        let audit = report().audit.expect("correlate_with_audit_logs is set");
        assert!(audit.available);
        assert_eq!(audit.correlation_id, testdata::EXECUTION_ID);
        assert_eq!(audit.events.len(), 4);
        assert_eq!(audit.events[0].offset_ms, Some(300_050));
        assert_eq!(audit.events[0].confirms_action, Some(0));
        assert_eq!((audit.chaos_injected, audit.chaos_confirmed), (1, 1));
        assert!(audit.unconfirmed.is_empty());
    }

    #[test]
    fn without_the_flag_there_is_no_audit_section() {
        let mut input = testdata::input();
        input.plan.reporting.correlate_with_audit_logs = false;
        assert_eq!(build(&input, testdata::generated_at(), "x").audit, None);
    }

    #[test]
    fn an_unrun_phase_lists_its_assertions_as_not_run() {
        let mut input = testdata::input();
        // Cut the log after the baseline phase: the rest never ran.
        input
            .events
            .retain(|e| e.phase.is_none_or(|p| p == 0) && e.seq < 6);
        let r = build(&input, testdata::generated_at(), "x");
        let v = &r.validation_results;
        assert_eq!((v.total, v.passed, v.failed, v.not_decided), (6, 1, 0, 5));
        assert!(v.assertions[1..]
            .iter()
            .all(|a| a.outcome == AssertionOutcome::NotRun));
        assert_eq!(r.metrics.phases[2].outcome, "not_run");
    }

    #[test]
    fn a_report_survives_a_json_round_trip() {
        let r = report();
        let json = serde_json::to_string(&r).unwrap();
        let back: ExecutionReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn the_same_input_gives_the_same_report() {
        assert_eq!(report(), report());
    }

    #[test]
    fn summaries_count_pass_rate_and_mean_recovery() {
        let failed = report();
        let mut passed = report();
        passed.execution.passed = true;
        passed.execution.id = "other".into();
        passed.system_impact.services_affected[0].recovery_ms = Some(15_000);
        let summary = summarize(&[failed, passed]);
        assert_eq!(summary.test_run.total_executions, 2);
        assert_eq!(summary.test_run.scenarios_run, ["basic-market-disruption"]);
        assert_eq!(summary.test_run.total_duration_ms, 6_002);
        assert_eq!(
            (
                summary.results.passed_executions,
                summary.results.failed_executions
            ),
            (1, 1)
        );
        assert_eq!(summary.results.pass_rate_percent, 50.0);
        assert_eq!(summary.results.average_recovery_time_ms, Some(30_000.0));
        assert_eq!(summary.results.recovery_samples, 2);
        assert_eq!(summary.results.total_assertions, 12);
        assert_eq!(summary.executions[1].average_recovery_ms, Some(15_000.0));
        let empty = summarize(&[]);
        assert_eq!(empty.results.pass_rate_percent, 0.0);
        assert_eq!(empty.results.average_recovery_time_ms, None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let d = distribution((1..=100).map(f64::from).collect());
        assert_eq!((d.p50, d.p99, d.max), (Some(50.0), Some(99.0), Some(100.0)));
        let one = distribution(vec![7.0]);
        assert_eq!((one.p50, one.p99), (Some(7.0), Some(7.0)));
        assert_eq!(distribution(vec![]).count, 0);
    }

    #[test]
    fn human_durations_round_to_seconds_above_one_second() {
        assert_eq!(human_ms(110_347), "1m50s");
        assert_eq!(human_ms(350), "350ms");
        assert_eq!(human_signed_ms(-2_000), "-2s");
    }

    #[test]
    fn a_workload_gives_its_section_n1v1_figures_and_the_recovery_time() {
        use crate::engine::{
            figures::Figures,
            workload::{ChaosWindow, Recovery, ServiceRecovery, SlotFigures, WorkloadSummary},
        };
        let figures = |requests: u64, failures: u64| Figures {
            requests,
            failures,
            failure_rate: failures as f64 / requests as f64,
            p95_ms: 20.0,
            ..Figures::default()
        };
        let summary = WorkloadSummary {
            streams: vec![],
            slot_ms: 1000,
            total: figures(300, 100),
            phases: vec![],
            chaos: Some(ChaosWindow {
                injected_ms: 300_000,
                cleared_ms: 1_500_000,
            }),
            before: figures(100, 0),
            during: figures(100, 98),
            after: figures(100, 2),
            steady_state: Some(app::scenario::workload::SteadyState {
                p95_latency_ms: Some(150.0),
                p99_latency_ms: None,
                failure_rate: Some(0.005),
                hold_for: std::time::Duration::from_secs(5),
                resolution: None,
            }),
            recovery: Some(Recovery {
                detected: true,
                recovered_ms: Some(1_525_300),
                recovery_time_ms: Some(25_300),
                services: vec![ServiceRecovery {
                    service: "exchange-simulator".into(),
                    detected: true,
                    recovered_ms: Some(1_525_300),
                    recovery_time_ms: Some(25_300),
                }],
            }),
            truncated: false,
        };
        let mut input = testdata::input();
        let last = input.events.pop().expect("execution_finished");
        let mut extra = |kind: EventKind| {
            let mut event = last.clone();
            event.kind = kind;
            input.events.push(event);
        };
        extra(EventKind::WorkloadSlot {
            slot: SlotFigures {
                start_ms: 0,
                end_ms: 1000,
                figures: figures(10, 0),
            },
        });
        extra(EventKind::WorkloadSummary {
            summary: Box::new(summary),
        });
        input.events.push(last);
        for (seq, event) in input.events.iter_mut().enumerate() {
            event.seq = seq as u64;
        }
        let report = build(&input, testdata::generated_at(), "t");
        let workload = report.workload.as_ref().expect("workload section");
        assert_eq!(workload.series.len(), 1);
        assert_eq!(workload.n1v1.orders_during_chaos, 100);
        assert_eq!(workload.n1v1.failures_during_chaos, 98);
        assert_eq!(workload.n1v1.chaos_failure_rate, 98.0);
        assert_eq!(workload.n1v1.recovery_time_seconds, Some(25.3));
        assert!(workload.n1v1.recovery_detected);
        // The measured recovery replaces the assertion-based one in summaries.
        assert_eq!(report.recovery_times_ms(), vec![25_300.0]);
        assert_eq!(
            summarize(std::slice::from_ref(&report))
                .results
                .average_recovery_time_ms,
            Some(25_300.0)
        );
        // Slots are charted, not listed in the timeline.
        assert!(!report.timeline.iter().any(|e| e.kind == "workload_slot"));
        assert!(report.timeline.iter().any(|e| e.kind == "workload_summary"));
        let html = super::super::html::render(&report);
        assert!(html.contains("Workload and recovery"));
        assert!(html.contains("class=\"wl-p95\""));
        let recovery = format!(
            "recovered <strong>{}</strong> after the chaos",
            human_ms(25_300)
        );
        assert!(html.contains(&recovery), "{recovery} in the page");
        assert!(html.contains("p95 ≤ 150 ms, failure rate ≤ 0.5 % for 5s"));
    }
}
