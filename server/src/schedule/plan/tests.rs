//! Each kind, each policy and a 3-hour downtime, on virtual time: the clock is
//! the `now` each tick is given, so days pass in microseconds.

use app::api::schedule::{
    Blackout, ConcurrencyPolicy, MissedPolicy, SchedulePolicies, ScheduleTiming,
};
use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::schedule::timing::Compiled;

fn at(text: &str) -> Timestamp {
    text.parse().expect("a test instant")
}

const CREATED: &str = "2026-12-01T10:00:00Z";

fn compiled(timing: &ScheduleTiming, policies: &SchedulePolicies) -> Compiled {
    Compiled::from_parts(timing, policies, at(CREATED), true).expect("valid")
}

fn every(seconds: u64) -> ScheduleTiming {
    ScheduleTiming::Periodic {
        interval_seconds: seconds,
        max_executions: None,
    }
}

/// A virtual coordinator: ticks at each due time (plus `late`) from
/// creation until `until`, as the runner would, and collects what ran.
struct Sim {
    compiled: Compiled,
    policies: SchedulePolicies,
    state: Option<State>,
    fired: Vec<Timestamp>,
    skipped: Vec<Skip>,
    ended: Option<String>,
}

impl Sim {
    fn new(timing: ScheduleTiming, policies: SchedulePolicies) -> Self {
        let compiled = compiled(&timing, &policies);
        let (next, ended) = ending(&compiled, compiled.timing.next_after(at(CREATED)), 0);
        Self {
            state: next.map(|next_due| State {
                next_due,
                execution_count: 0,
                running: None,
            }),
            compiled,
            policies,
            fired: Vec::new(),
            skipped: Vec::new(),
            ended,
        }
    }

    /// One tick at `now` (only if something is due).
    fn tick_at(&mut self, now: Timestamp) {
        let Some(state) = self.state.clone().filter(|s| s.next_due <= now) else {
            return;
        };
        let out = tick(&self.compiled, &self.policies, &state, now);
        self.skipped.extend(out.skipped);
        let fired = out.fire.is_some();
        if let Some(fire) = out.fire {
            self.fired.push(fire.due);
        }
        self.ended = out.ended;
        self.state = out.next_due.map(|next_due| State {
            next_due,
            execution_count: state.execution_count + u32::from(fired),
            running: state.running.clone(),
        });
    }

    /// Ticks on time at every due time until `until`.
    fn run_until(&mut self, until: Timestamp) {
        while let Some(due) = self
            .state
            .as_ref()
            .map(|s| s.next_due)
            .filter(|d| *d <= until)
        {
            self.tick_at(due + SignedDuration::from_millis(3));
        }
    }
}

#[test]
fn once_runs_at_its_time_then_finishes() {
    let mut sim = Sim::new(
        ScheduleTiming::Once {
            at: "2026-12-01T12:00:00Z".into(),
        },
        SchedulePolicies::default(),
    );
    sim.tick_at(at("2026-12-01T11:59:59Z"));
    assert!(sim.fired.is_empty(), "not before its time");
    sim.run_until(at("2026-12-02T00:00:00Z"));
    assert_eq!(sim.fired, vec![at("2026-12-01T12:00:00Z")]);
    assert_eq!(sim.ended.as_deref(), Some("finished"));
    assert!(sim.state.is_none());
}

#[test]
fn delayed_runs_once_after_its_delay() {
    let mut sim = Sim::new(
        ScheduleTiming::Delayed { delay_seconds: 30 },
        SchedulePolicies::default(),
    );
    sim.run_until(at("2026-12-01T11:00:00Z"));
    assert_eq!(sim.fired, vec![at("2026-12-01T10:00:30Z")]);
    assert_eq!(sim.ended.as_deref(), Some("finished"));
}

#[test]
fn periodic_stops_at_max_executions() {
    let mut sim = Sim::new(
        ScheduleTiming::Periodic {
            interval_seconds: 60,
            max_executions: Some(3),
        },
        SchedulePolicies::default(),
    );
    sim.run_until(at("2026-12-01T11:00:00Z"));
    assert_eq!(
        sim.fired,
        vec![
            at("2026-12-01T10:01:00Z"),
            at("2026-12-01T10:02:00Z"),
            at("2026-12-01T10:03:00Z")
        ]
    );
    assert_eq!(sim.ended.as_deref(), Some("max_executions reached (3)"));
    // The policy's cap and the timing's cap: the smaller one holds.
    let mut sim = Sim::new(
        ScheduleTiming::Periodic {
            interval_seconds: 60,
            max_executions: Some(5),
        },
        SchedulePolicies {
            max_executions: Some(2),
            ..SchedulePolicies::default()
        },
    );
    sim.run_until(at("2026-12-01T11:00:00Z"));
    assert_eq!(sim.fired.len(), 2);
}

#[test]
fn cron_runs_every_due_second_and_ends_at_expires_at() {
    let mut sim = Sim::new(
        ScheduleTiming::Cron {
            expression: "*/1 * * * * *".into(),
            time_zone: "UTC".into(),
        },
        SchedulePolicies {
            expires_at: Some("2026-12-01T10:00:10Z".into()),
            ..SchedulePolicies::default()
        },
    );
    sim.run_until(at("2026-12-01T10:01:00Z"));
    assert_eq!(sim.fired.len(), 10, "10:00:01 to 10:00:10");
    assert_eq!(sim.ended.as_deref(), Some("expired"));
}

#[test]
fn a_cron_at_0230_on_the_spring_forward_day_runs_once() {
    let mut sim = Sim::new(
        ScheduleTiming::Cron {
            expression: "30 2 * * *".into(),
            time_zone: "Europe/Berlin".into(),
        },
        SchedulePolicies::default(),
    );
    sim.run_until(at("2027-03-31T00:00:00Z"));
    // 2027's spring forward in Berlin is Sun 28 Mar.
    let on_the_day: Vec<_> = sim
        .fired
        .iter()
        .filter(|due| {
            due.to_zoned(jiff::tz::TimeZone::get("Europe/Berlin").expect("zone"))
                .date()
                == jiff::civil::date(2027, 3, 28)
        })
        .collect();
    assert_eq!(
        on_the_day,
        vec![&at("2027-03-28T01:00:00Z")],
        "once, at 03:00 CEST"
    );
    assert!(sim.skipped.is_empty());
}

#[test]
fn blackout_windows_skip_what_falls_in_them() {
    let policies = SchedulePolicies {
        blackout: vec![Blackout {
            from: Some("2026-12-01T10:02:00Z".into()),
            until: Some("2026-12-01T10:04:00Z".into()),
            ..Blackout::default()
        }],
        ..SchedulePolicies::default()
    };
    let mut sim = Sim::new(every(60), policies);
    sim.run_until(at("2026-12-01T10:05:00Z"));
    assert_eq!(
        sim.fired,
        vec![
            at("2026-12-01T10:01:00Z"),
            at("2026-12-01T10:04:00Z"),
            at("2026-12-01T10:05:00Z")
        ]
    );
    let reasons: Vec<_> = sim
        .skipped
        .iter()
        .map(|s| (s.due, s.reason.starts_with("blackout")))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (at("2026-12-01T10:02:00Z"), true),
            (at("2026-12-01T10:03:00Z"), true)
        ]
    );
}

fn one_tick_with_a_run_going(concurrency: ConcurrencyPolicy) -> Tick {
    let policies = SchedulePolicies {
        concurrency,
        ..SchedulePolicies::default()
    };
    let compiled = compiled(&every(60), &policies);
    let state = State {
        next_due: at("2026-12-01T10:01:00Z"),
        execution_count: 1,
        running: Some("previous-run".into()),
    };
    tick(&compiled, &policies, &state, at("2026-12-01T10:01:00.002Z"))
}

#[test]
fn concurrency_forbid_skips_while_the_previous_run_goes() {
    let out = one_tick_with_a_run_going(ConcurrencyPolicy::Forbid);
    assert_eq!(out.fire, None);
    assert_eq!(out.skipped.len(), 1);
    assert!(
        out.skipped[0].reason.contains("previous-run"),
        "{}",
        out.skipped[0].reason
    );
    assert_eq!(out.next_due, Some(at("2026-12-01T10:02:00Z")));
}

#[test]
fn concurrency_allow_starts_beside_it() {
    let out = one_tick_with_a_run_going(ConcurrencyPolicy::Allow);
    assert_eq!(
        out.fire,
        Some(Fire {
            due: at("2026-12-01T10:01:00Z"),
            replace: None,
            late: false,
        })
    );
    assert!(out.skipped.is_empty());
}

#[test]
fn concurrency_replace_stops_it_first() {
    let out = one_tick_with_a_run_going(ConcurrencyPolicy::Replace);
    assert_eq!(
        out.fire,
        Some(Fire {
            due: at("2026-12-01T10:01:00Z"),
            replace: Some("previous-run".into()),
            late: false,
        })
    );
}

/// A schedule every minute, and the coordinator down from 10:00:30 to 13:00:30.
fn after_three_hours_down(missed: MissedPolicy, deadline: Option<u64>) -> Sim {
    let policies = SchedulePolicies {
        missed,
        starting_deadline_seconds: deadline,
        ..SchedulePolicies::default()
    };
    let mut sim = Sim::new(every(60), policies);
    sim.tick_at(at("2026-12-01T13:00:30Z"));
    sim
}

#[test]
fn missed_skip_records_the_downtime_and_waits_for_the_next() {
    let sim = after_three_hours_down(MissedPolicy::Skip, None);
    assert!(sim.fired.is_empty());
    assert_eq!(sim.skipped.len(), 1, "one record for the whole downtime");
    let skip = &sim.skipped[0];
    assert_eq!(skip.due, at("2026-12-01T10:01:00Z"));
    assert!(
        skip.reason.starts_with("missed 180 firings"),
        "{}",
        skip.reason
    );
    assert_eq!(
        sim.state.map(|s| s.next_due),
        Some(at("2026-12-01T13:01:00Z"))
    );
}

#[test]
fn missed_run_once_runs_the_latest_once() {
    let sim = after_three_hours_down(MissedPolicy::RunOnce, None);
    assert_eq!(sim.fired, vec![at("2026-12-01T13:00:00Z")]);
    assert_eq!(sim.skipped.len(), 1);
    assert!(
        sim.skipped[0].reason.starts_with("missed 179 firings"),
        "{}",
        sim.skipped[0].reason
    );
    assert_eq!(
        sim.state.map(|s| s.next_due),
        Some(at("2026-12-01T13:01:00Z"))
    );
}

#[test]
fn missed_run_once_respects_the_starting_deadline() {
    // The latest missed one is 30 s old: a 10 s deadline has passed.
    let sim = after_three_hours_down(MissedPolicy::RunOnce, Some(10));
    assert!(sim.fired.is_empty());
    assert!(sim.skipped[0].reason.contains("starting_deadline_seconds"));
    // A 60 s deadline has not.
    let sim = after_three_hours_down(MissedPolicy::RunOnce, Some(60));
    assert_eq!(sim.fired.len(), 1);
}

#[test]
fn a_due_time_on_time_after_a_downtime_runs_and_the_rest_are_missed() {
    // Back up exactly at a due time: it runs as usual, whatever `missed` says.
    let mut sim = Sim::new(every(60), SchedulePolicies::default());
    sim.tick_at(at("2026-12-01T13:00:01Z"));
    assert_eq!(sim.fired, vec![at("2026-12-01T13:00:00Z")]);
    assert!(sim.skipped[0].reason.starts_with("missed 179 firings"));
}

#[test]
fn a_tick_before_the_due_time_changes_nothing() {
    let policies = SchedulePolicies::default();
    let compiled = compiled(&every(60), &policies);
    let state = State {
        next_due: at("2026-12-01T10:01:00Z"),
        execution_count: 0,
        running: None,
    };
    let out = tick(&compiled, &policies, &state, at("2026-12-01T10:00:59Z"));
    assert_eq!(
        out,
        Tick {
            next_due: Some(state.next_due),
            ..Tick::default()
        }
    );
}
