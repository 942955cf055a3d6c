//! The pure fold from what the store recorded about one execution
//! ([`ReportInput`]) to its report ([`ExecutionReport`]): one pass over the events
//! (`Fold`), then the sections. The system-impact and audit sections are in
//! [`super::impact`] and [`super::audit`]; recommendations are a later step
//! ([`super::generate`]).
//!
//! # Definitions
//! - **Timing skew** = actual − planned offset of the steps the scheduler starts at
//!   a planned time (`phase_started`, `action_started`, `assertion_started`,
//!   `iteration_started`): [`crate::stats::skew_ms`]. Other events carry a planned
//!   reference (a deadline, a phase end) but no skew: finishing early is not lateness.
//! - **Percentiles** are nearest-rank over the samples (p99 of 12 samples is the
//!   12th): [`crate::stats::percentile`].
//! - **Services affected** are the services a phase action injected chaos into
//!   successfully. Clearing actions (`clear*`, `restore_liquidity`,
//!   `resume_normal_settlement`, `restart`, `price_recovery`) and rollback actions
//!   are not injections.
//! - **Recovery time** of a service = from the first clearing action (phase or
//!   rollback) that succeeded on it after its first injection, to the first check at
//!   which an assertion whose catalog role is recovery
//!   ([`app::scenario::catalog::assertion_role`]: `system_recovery`,
//!   `performance_recovery`, `price_recovery`, `alert_resolution`,
//!   `system_stabilization`, `service_health`, a `metric` on `recovery_time`) on that
//!   service or on no particular service held; null when there is no such clear or
//!   no such assertion held.
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

use std::collections::HashMap;

use app::api::ExecutionStatus;
use app::scenario::plan::Plan;
use serde_json::Value;
use time::OffsetDateTime;

use super::{
    audit::audit_section,
    describe::{phase_outcome, summarize_event},
    impact::system_impact,
    schema::*,
};
use crate::engine::event::{AssertionResult, EventKind, Verdict};
use crate::stats::percentile;
use crate::store::{RecordedExecution, StoredExecution};

/// Everything a report is computed from: what the store recorded, and the audit
/// trail when the caller fetched it.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// The execution's row, plan and events, as stored.
    pub record: RecordedExecution,
    /// The audit correlator's events for this execution's id
    /// (`GET /api/v1/events?correlation_id=…` → `events`), when fetched.
    pub audit_events: Option<Vec<Value>>,
}

impl From<RecordedExecution> for ReportInput {
    fn from(record: RecordedExecution) -> Self {
        Self {
            record,
            audit_events: None,
        }
    }
}

/// Builds the report of one execution from stored data only. Pure: the same input,
/// time and instance give the same report.
pub fn build(input: &ReportInput, generated_at: OffsetDateTime, instance: &str) -> ExecutionReport {
    let plan = &input.record.plan;
    let record = &input.record.execution;
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
            event_count: input.record.events.len(),
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

/// What one pass over the events gathers.
#[derive(Default)]
pub(super) struct Fold {
    pub(super) timeline: Vec<TimelineEvent>,
    pub(super) phases: Vec<PhaseReport>,
    pub(super) actions: Vec<ActionReport>,
    pub(super) assertions: Vec<AssertionReport>,
    pub(super) skews: Vec<i64>,
    pub(super) iterations: u32,
    pub(super) speed: Option<f64>,
    pub(super) dry_run: Option<bool>,
    pub(super) started_at: Option<OffsetDateTime>,
    pub(super) finished_at: Option<OffsetDateTime>,
    pub(super) finished: Option<(ExecutionStatus, Verdict)>,
    pub(super) max_offset: u64,
    /// (wall time, offset) of every event with an offset, in order: the audit clock.
    pub(super) anchors: Vec<(OffsetDateTime, u64)>,
    /// The workload's slots, in order (all iterations).
    pub(super) workload_slots: Vec<crate::engine::workload::SlotFigures>,
    /// Each iteration's workload summary.
    pub(super) workload_summaries: Vec<(u32, crate::engine::workload::WorkloadSummary)>,
    /// Who sent the first stop (`a user` when its event does not say).
    pub(super) stopped_by: Option<String>,
    /// The proxies' effects added up, per (service, type), in first-seen order.
    pub(super) effects: Vec<super::schema::ChaosEffectTotal>,
}

impl Fold {
    fn add_effect(&mut self, service: &str, count: u64, effect: &app::api::event::ChaosEffect) {
        use app::api::event::ChaosEffect as E;
        let at = match self
            .effects
            .iter()
            .position(|t| t.service == service && t.effect == effect.type_name())
        {
            Some(at) => at,
            None => {
                self.effects.push(super::schema::ChaosEffectTotal {
                    service: service.to_owned(),
                    effect: effect.type_name().to_owned(),
                    touched: 0,
                    seconds: 0,
                    max_delay_ms: None,
                    bytes: None,
                    last: String::new(),
                });
                self.effects.len() - 1
            }
        };
        let total = &mut self.effects[at];
        total.touched += count;
        total.seconds += 1;
        total.last = effect.describe();
        match effect {
            E::LatencyInjection { max_delay_ms, .. } => {
                total.max_delay_ms = Some(total.max_delay_ms.unwrap_or(0).max(*max_delay_ms));
            }
            E::TrafficShaping { bytes, .. } => {
                total.bytes = Some(total.bytes.unwrap_or(0) + bytes);
            }
            E::FaultInjection { .. } | E::RateLimitExceeded { .. } => {}
        }
    }

    pub(super) fn run(input: &ReportInput) -> Self {
        let plan = &input.record.plan;
        let mut fold = Self {
            iterations: 0,
            ..Self::default()
        };
        let mut iteration = 1u32;
        let mut in_rollback = false;
        let mut phase_at: HashMap<(u32, usize), usize> = HashMap::new();
        let mut open_actions: Vec<usize> = Vec::new();
        let mut open_assertions: HashMap<(u32, usize, usize), usize> = HashMap::new();
        fold.timeline.reserve(input.record.events.len());
        for event in &input.record.events {
            if let Some(offset) = event.offset_ms {
                fold.max_offset = fold.max_offset.max(offset);
                fold.anchors.push((event.at, offset));
            }
            let phase_name = event
                .phase
                .map(|index| phase_name(plan, index, &event.kind));
            let skew = crate::stats::skew_ms(event);
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
                // Its phase runs again on a new owner: the rows of the run
                // that was cut short stay, not decided.
                EventKind::ResumedOnNewOwner { iteration: n, .. } => iteration = *n,
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
                EventKind::ControlReceived {
                    command: crate::engine::event::ControlCommand::Stop,
                    by,
                } => {
                    if fold.stopped_by.is_none() {
                        fold.stopped_by = Some(by.clone().unwrap_or_else(|| "a user".to_owned()));
                    }
                }
                EventKind::ChaosEffect {
                    service,
                    count,
                    effect,
                    ..
                } => fold.add_effect(service, *count, effect),
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

fn execution_section(record: &StoredExecution, fold: &Fold) -> ExecutionSection {
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
        channel: record.channel.clone(),
        stopped_by: fold
            .stopped_by
            .clone()
            .filter(|_| status == ExecutionStatus::Stopped),
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

/// Statistics over `samples`; the percentiles are [`crate::stats::percentile`]'s
/// (nearest rank).
pub fn distribution(mut samples: Vec<f64>) -> Distribution {
    samples.retain(|s| s.is_finite());
    if samples.is_empty() {
        return Distribution::default();
    }
    samples.sort_by(f64::total_cmp);
    Distribution {
        count: samples.len(),
        min: samples.first().copied(),
        p50: percentile(&samples, 50.0),
        p99: percentile(&samples, 99.0),
        max: samples.last().copied(),
        mean: mean(&samples).map(round2),
    }
}

pub(super) fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
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

#[cfg(test)]
mod tests;
