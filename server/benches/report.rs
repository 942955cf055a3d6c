//! Report benchmark (prints figures; asserts nothing). Run:
//! `cargo bench -p server --bench report`
//!
//! Builds a synthetic execution of 10,000 events — 50 phases, each with 50 actions
//! and 49 assertions whose evidence is a realistic strategies list — then times,
//! over several runs, the median of: building the report from the events, and
//! rendering it as HTML (the goal is ≤ 100 ms for both together; the seed promises
//! < 10 s), plus JSON, CSV and JUnit for comparison.

use std::time::{Duration, Instant};

use app::{
    api::ExecutionStatus,
    scenario::{
        model::{Metadata, Parameters, Reporting},
        plan::{Plan, PlannedAction, PlannedAssertion, PlannedPhase, PlannedRollback},
    },
};
use serde_json::{json, Value};
use server::{
    engine::{
        event::{ActionOutcome, AssertionResult, Event, EventKind, PhaseOutcome, Verdict},
        ExecutionId, RunOptions,
    },
    report::{self, ReportInput},
    store::{RecordedExecution, StoredExecution},
};
use time::OffsetDateTime;

const PHASES: usize = 50;
const ACTIONS: usize = 50;
const ASSERTIONS: usize = 49;
const PHASE_MS: u64 = 600_000;
const RUNS: usize = 15;

fn evidence(i: usize) -> Value {
    let strategy = |name: &str| {
        json!({
            "name": name, "state": "running", "p95_latency_ms": 40.0 + (i % 50) as f64,
            "success_rate": 0.99, "orders_total": 1000 + i, "adapted": i.is_multiple_of(2),
            "baseline": {"p95_latency_ms": 42.0, "success_rate": 0.99},
            "performance": {"normalized": true, "degraded": false, "latency_ratio": 1.1}
        })
    };
    json!({"strategies": [strategy("arbitrage"), strategy("market_making"), strategy("momentum")]})
}

fn input() -> ReportInput {
    let id = ExecutionId::new();
    let start = OffsetDateTime::now_utc();
    let speed = 600.0;
    let mut phases = Vec::new();
    let mut events = Vec::new();
    let mut push = |offset: u64, planned: Option<u64>, phase: Option<usize>, kind: EventKind| {
        events.push(Event {
            execution_id: id,
            seq: events.len() as u64,
            at: start + time::Duration::microseconds((offset as f64 / speed * 1000.0) as i64),
            offset_ms: Some(offset),
            planned_ms: planned,
            phase,
            kind,
        });
    };
    push(
        0,
        None,
        None,
        EventKind::ExecutionStarted {
            speed,
            dry_run: false,
        },
    );
    for p in 0..PHASES {
        let begin = p as u64 * PHASE_MS;
        let end = begin + PHASE_MS;
        let mut phase = PlannedPhase {
            index: p,
            name: format!("phase_{p}"),
            description: None,
            start_ms: Duration::from_millis(begin),
            end_ms: Duration::from_millis(end),
            duration_ms: Duration::from_millis(PHASE_MS),
            actions: vec![],
            parallel_actions: vec![],
            assertions: vec![],
        };
        push(
            begin + 2,
            Some(begin),
            Some(p),
            EventKind::PhaseStarted {
                name: phase.name.clone(),
                duration_ms: PHASE_MS,
            },
        );
        for a in 0..ACTIONS {
            let at = begin + a as u64 * 10_000;
            let service = [
                "exchange-simulator",
                "custodian-simulator",
                "market-data-simulator",
            ][a % 3];
            let action = if a == ACTIONS - 1 {
                "clear_chaos"
            } else {
                "inject_latency"
            };
            phase.parallel_actions.push(PlannedAction {
                path: format!("phases[{p}].parallel_actions[{a}]"),
                at_ms: Duration::from_millis(at),
                delay_ms: Some(Duration::from_millis(at - begin)),
                service: service.into(),
                action: action.into(),
                parameters: Parameters::new(),
            });
            push(
                at + 3,
                Some(at),
                Some(p),
                EventKind::ActionStarted {
                    service: service.into(),
                    action: action.into(),
                    parallel: true,
                    parameters: json!({"delay_ms": 500}),
                },
            );
            push(
                at + 9,
                Some(at),
                Some(p),
                EventKind::ActionFinished {
                    service: service.into(),
                    action: action.into(),
                    parallel: true,
                    outcome: ActionOutcome {
                        ok: !a.is_multiple_of(17),
                        status: Some(200),
                        latency_ms: 1.0 + (a % 7) as f64,
                        message: "active".into(),
                        response: json!({"status": "active"}),
                    },
                },
            );
        }
        for s in 0..ASSERTIONS {
            let kind = ["risk_alert", "system_recovery", "trading_adaptation"][s % 3];
            let deadline = begin + 120_000;
            phase.assertions.push(PlannedAssertion {
                path: format!("phases[{p}].assertions[{s}]"),
                assertion_type: kind.into(),
                expect: "ok".into(),
                service: None,
                parameters: Parameters::new(),
                start_ms: Duration::from_millis(begin),
                deadline_ms: Duration::from_millis(deadline),
                within_ms: Some(Duration::from_millis(120_000)),
                clamped: false,
            });
            push(
                begin + 5,
                Some(begin),
                Some(p),
                EventKind::AssertionStarted {
                    index: s,
                    kind: kind.into(),
                    expect: "ok".into(),
                    deadline_ms: deadline,
                },
            );
            let held = begin + 5 + (s as u64 * 2_000);
            let passed = !s.is_multiple_of(13);
            push(
                held + 1,
                Some(deadline),
                Some(p),
                EventKind::AssertionFinished {
                    index: s,
                    kind: kind.into(),
                    expect: "ok".into(),
                    result: AssertionResult {
                        passed,
                        message: if passed {
                            "held".into()
                        } else {
                            "not met within its window: <b>no</b>".into()
                        },
                        evidence: evidence(s),
                        attempts: 1 + s as u32,
                        first_check_ms: Some(begin + 5),
                        last_check_ms: Some(held),
                        time_to_hold_ms: passed.then_some(held - begin),
                    },
                },
            );
        }
        push(
            end,
            Some(end),
            Some(p),
            EventKind::PhaseFinished {
                name: phase.name.clone(),
                outcome: PhaseOutcome::Passed,
                reason: None,
            },
        );
        phases.push(phase);
    }
    push(
        PHASES as u64 * PHASE_MS + 1,
        None,
        None,
        EventKind::ExecutionFinished {
            status: ExecutionStatus::Completed,
            verdict: Verdict {
                passed: true,
                criteria: vec![],
                summary: "synthetic".into(),
            },
        },
    );
    let total = PHASES as u64 * PHASE_MS;
    let record = RecordedExecution {
        execution: StoredExecution {
            id,
            scenario_name: "synthetic".into(),
            definition: "kind: Scenario\n".repeat(200),
            parameters: None,
            options: RunOptions {
                speed,
                ..RunOptions::default()
            },
            status: ExecutionStatus::Completed,
            verdict: None,
            started_by: "local:bench".into(),
            channel: "api".into(),
            created_at: start,
            started_at: Some(start),
            finished_at: Some(start + time::Duration::milliseconds((total as f64 / speed) as i64)),
        },
        plan: Plan {
            metadata: Metadata {
                name: "synthetic".into(),
                ..Metadata::default()
            },
            total_ms: Duration::from_millis(total),
            timeout_ms: None,
            phases,
            rollback: PlannedRollback::default(),
            success_criteria: vec![],
            reporting: Reporting {
                generate_timeline: true,
                include_performance_impact: true,
                correlate_with_audit_logs: true,
            },
            workload: None,
        },
        events,
    };
    ReportInput {
        record,
        audit_events: Some(vec![]),
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// CPU time this thread has used: unlike wall time, it does not grow while other
/// processes hold the (shared, two-core) machine.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Median wall time and median thread CPU time of `RUNS` calls; the last result.
fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut wall = Vec::with_capacity(RUNS);
    let mut cpu = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let (started, started_cpu) = (Instant::now(), thread_cpu());
        let value = f();
        wall.push(started.elapsed());
        cpu.push(thread_cpu().saturating_sub(started_cpu));
        // Dropping the previous result is outside the measurement of the next.
        last = Some(value);
    }
    (median(wall), median(cpu), last.expect("RUNS > 0"))
}

fn main() {
    let input = input();
    println!(
        "report bench: {} events, {} runs each; median wall time (median CPU time of this thread)",
        input.record.events.len(),
        RUNS
    );
    let now = OffsetDateTime::now_utc();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let kib = |s: &str| s.len() / 1024;
    let line = |name: &str, wall: Duration, cpu: Duration, note: String| {
        println!(
            "  {name:<22}{:>8.2} ms  ({:>7.2} ms CPU){note}",
            ms(wall),
            ms(cpu)
        );
    };
    let (wall, cpu, report) = time(|| report::generate(&input, now, "bench"));
    line("build report", wall, cpu, String::new());
    let (wall, cpu, page) = time(|| report::html::render(&report));
    line("render html", wall, cpu, format!("  {} KiB", kib(&page)));
    let (wall, cpu, _) = time(|| report::html::render(&report::generate(&input, now, "bench")));
    line(
        "build + html",
        wall,
        cpu,
        "  goal <= 100 ms; the seed promises < 10 s".to_owned(),
    );
    let (wall, cpu, text) = time(|| report::json::render(&report).expect("serialises"));
    line("render json", wall, cpu, format!("  {} KiB", kib(&text)));
    let (wall, cpu, table) =
        time(|| report::csv::events(&report) + &report::csv::assertions(&report));
    line(
        "render csv (2 tables)",
        wall,
        cpu,
        format!("  {} KiB", kib(&table)),
    );
    let (wall, cpu, xml) = time(|| report::junit::render(&report));
    line("render junit", wall, cpu, format!("  {} KiB", kib(&xml)));
}
