//! The report's schema: the serialisable types of one execution's report
//! ([`ExecutionReport`]) and the units they are written in.
//!
//! # Version [`SCHEMA_VERSION`]
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
//!                     repeat, iterations, started_by, channel, stopped_by
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
//! Definitions of the figures are in [`mod@super::build`].

use app::scenario::model::Reporting;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// The version of the schema below; bumped only for an incompatible change.
pub const SCHEMA_VERSION: &str = "1";

/// The report of one execution. See the module docs for the schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Who started it: the actor (`alice`, `alice (token ci)`, `local:ana`,
    /// `schedule:<id>`); the channel for executions stored before teams.
    pub started_by: String,
    /// How it was started: `cli`, `ui`, `api` or `schedule`.
    #[serde(default)]
    pub channel: String,
    /// Who stopped it (the actor; `ui`, `api` or `cli` in executions stored
    /// before teams; `a user` when unrecorded), when it ended `stopped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
}

/// The verdict over the success criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerdictSection {
    /// Whether every criterion held.
    pub passed: bool,
    /// One line for people.
    pub summary: String,
    /// Each criterion.
    pub criteria: Vec<CriterionSection>,
}

/// One success criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionSection {
    /// Its name.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// Why.
    pub detail: String,
}

/// What the chaos did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SystemImpact {
    /// Each service chaos was injected into.
    pub services_affected: Vec<ServiceImpact>,
    /// Whether any alert data was available (audit events or alert evidence).
    pub alerts_observed: bool,
    /// Alerts raised during the execution.
    pub alerts_generated: Vec<AlertSummary>,
    /// Figures measured by assertions, against their baseline.
    pub performance_impact: Vec<PerformanceImpact>,
    /// What the fault-injection proxies' faults did to the traffic, per
    /// service and kind (docs/proxy.md, "Effects"); empty without proxies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chaos_effects: Vec<ChaosEffectTotal>,
}

/// The `chaos_effect` events of one service and kind, added up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChaosEffectTotal {
    /// The proxied service.
    pub service: String,
    /// Seed 004's type: `LatencyInjection`, `FaultInjection`,
    /// `RateLimitExceeded`, `TrafficShaping`.
    pub effect: String,
    /// Requests or connections touched (chunks, for traffic shaping).
    pub touched: u64,
    /// Seconds in which it happened.
    pub seconds: u64,
    /// Longest delay added, for latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_delay_ms: Option<u64>,
    /// Bytes shaped, for traffic shaping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The last one, in words: `+300 ms (max 310) on GET /prices`.
    pub last: String,
}

/// One affected service and its recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkloadSection {
    /// Each run's summary (one per iteration), with the recovery time.
    pub runs: Vec<WorkloadRun>,
    /// The last run's figures in N1V1's report terms.
    pub n1v1: N1v1Metrics,
    /// Every slot in order (latency and failure rate over time).
    pub series: Vec<crate::engine::workload::SlotFigures>,
}

/// One iteration's workload summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkloadRun {
    /// Loop (1-based).
    pub iteration: u32,
    /// What it measured.
    #[serde(flatten)]
    pub summary: crate::engine::workload::WorkloadSummary,
}

/// The N1V1 report's `metrics` and recovery fields, from the workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    pub(super) fn of(summary: &crate::engine::workload::WorkloadSummary) -> Self {
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Recommendation {
    /// How much it matters.
    pub severity: Severity,
    /// Which rule made it (`near_window_limit`).
    pub rule: String,
    /// What to do, for people.
    pub message: String,
}

// ───────────────────────────── units ─────────────────────────────

/// Whole milliseconds of a duration (saturating).
pub(crate) fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// RFC 3339 text of a time (empty if it cannot be printed, which a real time never is).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A figure rounded to two decimals, as the schema writes percentages and means.
pub(crate) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
