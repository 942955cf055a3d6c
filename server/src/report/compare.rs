//! Two reports compared ([`compare`]): a pure fold of two built
//! [`ExecutionReport`]s into the [`ExecutionComparison`] the API answers and
//! the compare page shows.
//!
//! Lines are matched, not positioned: criteria by name; assertions by
//! iteration, phase name, index and type; action calls by iteration, phase
//! name, `service.action` and ordinal (the n-th call of that action in that
//! phase). Lines of `a` come first in `a`'s order, then those only `b` has.

use std::collections::HashMap;

use app::api::compare::{
    ActionDiff, ActionSide, AssertionDiff, AssertionSide, Change, ComparedRun, CriterionDiff,
    Direction, ExecutionComparison, FigureDiff, MarkKind, NamedDiff, RunMark, RunPhase, Unit,
};
use app::api::figures::Figures;

use super::{
    recovery::recovery_time_seconds,
    schema::{ActionReport, AssertionOutcome, AssertionReport},
    ExecutionReport,
};

/// `b` against the baseline `a`.
pub fn compare(a: &ExecutionReport, b: &ExecutionReport) -> ExecutionComparison {
    let criteria = criteria(a, b);
    let assertions = assertions(a, b);
    let actions = actions(a, b);
    let workload = workload(a, b);
    let jitter = scenario_noise_ms(a, b, 0);
    let recovery_ms = FigureDiff::with_noise(
        recovery_time_seconds(a).map(|s| (s * 1000.0).round()),
        recovery_time_seconds(b).map(|s| (s * 1000.0).round()),
        Direction::LowerIsBetter,
        Unit::Ms,
        jitter,
    );
    let verdict = verdict_change(a.execution.passed, b.execution.passed);
    let changes = std::iter::once(verdict)
        .chain(criteria.iter().map(|c| c.change))
        .chain(assertions.iter().map(|c| c.change))
        .chain(actions.iter().map(|c| c.change))
        .chain(workload.iter().map(|c| c.figure.change))
        .chain(std::iter::once(recovery_ms.change));
    let (mut better, mut worse) = (0, 0);
    for change in changes {
        match change {
            Change::Better => better += 1,
            Change::Worse => worse += 1,
            _ => {}
        }
    }
    let a_run = run(a);
    let b_run = run(b);
    let axis_ms = [&a_run, &b_run]
        .iter()
        .flat_map(|r| {
            let phase_ends = r.phases.iter().filter_map(|p| p.finished_ms);
            let marks = r.marks.iter().map(|m| m.offset_ms);
            phase_ends
                .chain(marks)
                .chain(std::iter::once(r.scenario_elapsed_ms))
        })
        .max()
        .unwrap_or(0)
        .max(1);
    ExecutionComparison {
        same_scenario: a.scenario.name == b.scenario.name,
        a: a_run,
        b: b_run,
        verdict,
        axis_ms,
        criteria,
        assertions,
        actions,
        workload,
        recovery_ms,
        better,
        worse,
    }
}

/// How far apart two scenario times may be and still count as the same: a
/// second, 1 % of the assertion's `window_ms`, or 20 real ms at the faster
/// run's speed, whichever is largest (checks poll, and the time scale
/// multiplies a real scheduling jitter).
fn scenario_noise_ms(a: &ExecutionReport, b: &ExecutionReport, window_ms: u64) -> f64 {
    let speed = a.execution.speed.max(b.execution.speed);
    1000f64.max(window_ms as f64 / 100.0).max(20.0 * speed)
}

fn verdict_change(a: bool, b: bool) -> Change {
    match (a, b) {
        (false, true) => Change::Better,
        (true, false) => Change::Worse,
        _ => Change::Same,
    }
}

/// One execution's header and timeline.
fn run(report: &ExecutionReport) -> ComparedRun {
    let execution = &report.execution;
    let phases = report
        .metrics
        .phases
        .iter()
        .map(|p| RunPhase {
            iteration: p.iteration,
            index: p.index,
            name: p.name.clone(),
            started_ms: p.started_ms,
            finished_ms: p.finished_ms,
            outcome: p.outcome.clone(),
        })
        .collect();
    let mut marks: Vec<RunMark> = report
        .metrics
        .actions
        .iter()
        .filter_map(|action| {
            Some(RunMark {
                offset_ms: action.started_ms?,
                kind: MarkKind::Action,
                label: format!("{}.{}", action.service, action.action),
                ok: action.ok.unwrap_or(false),
            })
        })
        .collect();
    marks.extend(
        report
            .validation_results
            .assertions
            .iter()
            .filter_map(|assertion| {
                let decided = matches!(
                    assertion.outcome,
                    AssertionOutcome::Passed | AssertionOutcome::Failed
                );
                Some(RunMark {
                    offset_ms: decided.then_some(assertion.finished_ms?)?,
                    kind: MarkKind::Assertion,
                    label: format!("{} ({})", assertion.assertion_type, assertion.phase),
                    ok: assertion.passed,
                })
            }),
    );
    if let Some(recovered_ms) = recovered_at(report) {
        marks.push(RunMark {
            offset_ms: recovered_ms,
            kind: MarkKind::Recovery,
            label: "recovered".into(),
            ok: true,
        });
    }
    marks.sort_by_key(|m| m.offset_ms);
    ComparedRun {
        id: execution.id.clone(),
        scenario_name: report.scenario.name.clone(),
        status: execution.status.clone(),
        passed: execution.passed,
        verdict_summary: execution.verdict.as_ref().map(|v| v.summary.clone()),
        created_at: execution.created_at.clone(),
        duration_ms: execution.duration_ms,
        scenario_elapsed_ms: execution.scenario_elapsed_ms,
        speed: execution.speed,
        dry_run: execution.dry_run,
        phases,
        marks,
    }
}

/// When the system had recovered (scenario ms), by the rule of
/// [`recovery_time_seconds`]: the workload's, else the slowest affected service's.
fn recovered_at(report: &ExecutionReport) -> Option<u64> {
    if let Some(run) = report.workload.as_ref().and_then(|w| w.runs.last()) {
        if let Some(recovery) = &run.summary.recovery {
            return recovery.recovered_ms;
        }
    }
    report
        .system_impact
        .services_affected
        .iter()
        .filter_map(|s| Some(s.cleared_ms? + s.recovery_ms?))
        .max()
}

/// The keys of `a` in order, then those only `b` has, each with its item in
/// either side.
fn matched<'r, T, K: Eq + std::hash::Hash + Clone>(
    a: &'r [T],
    b: &'r [T],
    key: impl Fn(&T, usize) -> K,
    ordinal_of: impl Fn(&T) -> Option<String>,
) -> Vec<(K, Option<&'r T>, Option<&'r T>)> {
    // Each item's key takes the ordinal of its group (1-based, in order).
    let keyed = |items: &'r [T]| -> Vec<(K, &'r T)> {
        let mut seen: HashMap<Option<String>, usize> = HashMap::new();
        items
            .iter()
            .map(|item| {
                let n = seen.entry(ordinal_of(item)).or_insert(0);
                *n += 1;
                (key(item, *n), item)
            })
            .collect()
    };
    let a_keyed = keyed(a);
    let b_keyed = keyed(b);
    let b_index: HashMap<&K, &T> = b_keyed.iter().map(|(k, item)| (k, *item)).collect();
    let a_index: HashMap<&K, &T> = a_keyed.iter().map(|(k, item)| (k, *item)).collect();
    let mut out: Vec<(K, Option<&T>, Option<&T>)> = a_keyed
        .iter()
        .map(|(k, item)| (k.clone(), Some(*item), b_index.get(k).copied()))
        .collect();
    out.extend(
        b_keyed
            .iter()
            .filter(|(k, _)| !a_index.contains_key(k))
            .map(|(k, item)| (k.clone(), None, Some(*item))),
    );
    out
}

fn criteria(a: &ExecutionReport, b: &ExecutionReport) -> Vec<CriterionDiff> {
    let list = |r: &ExecutionReport| {
        r.execution
            .verdict
            .as_ref()
            .map(|v| v.criteria.clone())
            .unwrap_or_default()
    };
    let (a_list, b_list) = (list(a), list(b));
    matched(&a_list, &b_list, |c, _| c.name.clone(), |_| None)
        .into_iter()
        .map(|(name, a, b)| CriterionDiff {
            change: match (a, b) {
                (Some(a), Some(b)) => verdict_change(a.passed, b.passed),
                (Some(_), None) => Change::OnlyA,
                _ => Change::OnlyB,
            },
            name,
            a: a.map(|c| c.passed),
            b: b.map(|c| c.passed),
            a_detail: a.map(|c| c.detail.clone()),
            b_detail: b.map(|c| c.detail.clone()),
        })
        .collect()
}

/// Passed beats not decided (or not run) beats failed.
fn outcome_rank(outcome: AssertionOutcome) -> u8 {
    match outcome {
        AssertionOutcome::Passed => 2,
        AssertionOutcome::NotDecided | AssertionOutcome::NotRun => 1,
        AssertionOutcome::Failed => 0,
    }
}

fn assertions(a_report: &ExecutionReport, b_report: &ExecutionReport) -> Vec<AssertionDiff> {
    let (a, b) = (a_report, b_report);
    let side = |r: &AssertionReport| AssertionSide {
        outcome: r.outcome.as_str().to_owned(),
        time_to_hold_ms: r.time_to_hold_ms,
        window_ms: r.window_ms,
        message: r.message.clone(),
    };
    matched(
        &a.validation_results.assertions,
        &b.validation_results.assertions,
        |r, _| {
            (
                r.iteration,
                r.phase.clone(),
                r.index,
                r.assertion_type.clone(),
            )
        },
        |_| None,
    )
    .into_iter()
    .map(|((iteration, phase, index, assertion_type), a, b)| {
        let window = a.or(b).map_or(0, |r| r.window_ms);
        let time_to_hold = FigureDiff::with_noise(
            a.and_then(|r| r.time_to_hold_ms).map(|ms| ms as f64),
            b.and_then(|r| r.time_to_hold_ms).map(|ms| ms as f64),
            Direction::LowerIsBetter,
            Unit::Ms,
            scenario_noise_ms(a_report, b_report, window),
        );
        let change = match (a, b) {
            (Some(a), Some(b)) => match outcome_rank(b.outcome).cmp(&outcome_rank(a.outcome)) {
                std::cmp::Ordering::Greater => Change::Better,
                std::cmp::Ordering::Less => Change::Worse,
                std::cmp::Ordering::Equal if a.outcome == b.outcome => time_to_hold.change,
                std::cmp::Ordering::Equal => Change::Changed,
            },
            (Some(_), None) => Change::OnlyA,
            _ => Change::OnlyB,
        };
        AssertionDiff {
            iteration,
            phase,
            index,
            assertion_type,
            service: a.or(b).and_then(|r| r.service.clone()),
            a: a.map(side),
            b: b.map(side),
            time_to_hold,
            change,
        }
    })
    .collect()
}

fn actions(a: &ExecutionReport, b: &ExecutionReport) -> Vec<ActionDiff> {
    let side = |r: &ActionReport| ActionSide {
        ok: r.ok,
        started_ms: r.started_ms,
        message: r.message.clone(),
    };
    let group = |r: &ActionReport| {
        Some(format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            r.iteration, r.phase, r.service, r.action
        ))
    };
    matched(
        &a.metrics.actions,
        &b.metrics.actions,
        |r, ordinal| {
            (
                r.iteration,
                r.phase.clone(),
                r.service.clone(),
                r.action.clone(),
                ordinal,
            )
        },
        group,
    )
    .into_iter()
    .map(|((iteration, phase, service, action, ordinal), a, b)| {
        let latency = FigureDiff::new(
            a.and_then(|r| r.latency_ms),
            b.and_then(|r| r.latency_ms),
            Direction::LowerIsBetter,
            Unit::Ms,
        );
        let change = match (a, b) {
            (Some(a), Some(b)) => match (a.ok, b.ok) {
                (Some(true), Some(false)) => Change::Worse,
                (Some(false), Some(true)) => Change::Better,
                // Called in one, never answered (or a dry run) in the other.
                (Some(_), None) | (None, Some(_)) => Change::Changed,
                _ => latency.change,
            },
            (Some(_), None) => Change::OnlyA,
            _ => Change::OnlyB,
        };
        ActionDiff {
            iteration,
            phase,
            service,
            action,
            ordinal,
            a: a.map(side),
            b: b.map(side),
            latency,
            change,
        }
    })
    .collect()
}

/// The last iteration's workload figures before, during and after the chaos.
fn workload(a: &ExecutionReport, b: &ExecutionReport) -> Vec<NamedDiff> {
    let last = |r: &ExecutionReport| {
        r.workload
            .as_ref()
            .and_then(|w| w.runs.last())
            .map(|run| run.summary.clone())
    };
    let (a, b) = (last(a), last(b));
    if a.is_none() && b.is_none() {
        return Vec::new();
    }
    type Pick = fn(&Figures) -> f64;
    let figures: [(&str, Pick, Direction, Unit); 5] = [
        (
            "requests",
            |f| f.requests as f64,
            Direction::Neutral,
            Unit::Count,
        ),
        (
            "failure rate",
            |f| f.failure_rate * 100.0,
            Direction::LowerIsBetter,
            Unit::Percent,
        ),
        (
            "p95 latency",
            |f| f.p95_ms,
            Direction::LowerIsBetter,
            Unit::Ms,
        ),
        (
            "p99 latency",
            |f| f.p99_ms,
            Direction::LowerIsBetter,
            Unit::Ms,
        ),
        (
            "throughput",
            |f| f.throughput,
            Direction::HigherIsBetter,
            Unit::PerSecond,
        ),
    ];
    let mut out = Vec::new();
    for window in ["before", "during", "after"] {
        let pick_window = |s: &app::api::figures::WorkloadSummary| match window {
            "before" => s.before.clone(),
            "during" => s.during.clone(),
            _ => s.after.clone(),
        };
        let (fa, fb) = (a.as_ref().map(pick_window), b.as_ref().map(pick_window));
        for (name, pick, direction, unit) in figures {
            // A window without requests has no latency to compare.
            let value = |f: &Option<Figures>| {
                f.as_ref()
                    .filter(|f| f.requests > 0 || name == "requests")
                    .map(pick)
            };
            out.push(NamedDiff {
                window: window.to_owned(),
                name: name.to_owned(),
                figure: FigureDiff::new(value(&fa), value(&fb), direction, unit),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
