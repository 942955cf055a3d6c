//! An execution's state folded from its events (the JSON the WebSocket sends and
//! the store replays), and — in the browser — the WebSocket that feeds it.
//!
//! The fold is pure and runs on both sides: the server renders the history it has,
//! the browser applies the same events, then the live ones. Events are applied once
//! each, by `seq`, so a replay that overlaps what the page already has is harmless.

use std::collections::BTreeMap;

use serde_json::Value;

use super::timeline::{format_ms, AssertionView};

/// What the live view shows, from the events so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveState {
    /// The highest `seq` applied.
    pub last_seq: Option<u64>,
    /// Execution state word (`running`, `paused`, `completed`, …).
    pub status: String,
    /// Whether it has ended.
    pub finished: bool,
    /// Latest scenario offset seen, ms.
    pub elapsed_ms: u64,
    /// Index of the phase running (or last run).
    pub current_phase: Option<usize>,
    /// How each phase ended, by index (`passed`, `failed`, `skipped`, `aborted`).
    pub phase_outcomes: BTreeMap<usize, String>,
    /// Every action call, in order.
    pub actions: Vec<ActionRow>,
    /// Each assertion by (phase, index).
    pub assertions: BTreeMap<(usize, usize), AssertionRow>,
    /// The rollback's state word (`running`, `ok`, `failed`).
    pub rollback: Option<String>,
    /// The verdict, once ended.
    pub verdict: Option<Verdict>,
    /// The events log, one line each.
    pub log: Vec<LogLine>,
    /// The workload's slots so far (`workload_slot` events; not in the log).
    pub workload: Vec<crate::chart::ChartPoint>,
    /// The workload's chaos window and recovery, once its summary arrived.
    pub workload_end: Option<WorkloadEnd>,
}

/// What a run's `workload_summary` adds to the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadEnd {
    /// (injected, cleared), scenario ms.
    pub chaos: Option<(u64, u64)>,
    /// When the steady state held again, scenario ms.
    pub recovered_ms: Option<u64>,
    /// Recovery time, ms.
    pub recovery_time_ms: Option<u64>,
    /// Whether a recovery was looked for (chaos cleared and a steady state set).
    pub measured: bool,
}

/// One action call.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRow {
    /// Phase index.
    pub phase: Option<usize>,
    /// Service.
    pub service: String,
    /// Action.
    pub action: String,
    /// One of the phase's parallel actions.
    pub parallel: bool,
    /// Offset it started at.
    pub started_ms: Option<u64>,
    /// Result, once returned.
    pub outcome: Option<ActionOutcome>,
}

/// What an action call returned.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionOutcome {
    /// Accepted.
    pub ok: bool,
    /// HTTP status.
    pub status: Option<u64>,
    /// Round trip, ms.
    pub latency_ms: f64,
    /// One line.
    pub message: String,
}

/// One assertion's window.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionRow {
    /// Phase index.
    pub phase: usize,
    /// Index within the phase.
    pub index: usize,
    /// Type.
    pub kind: String,
    /// Expected word.
    pub expect: String,
    /// Deadline offset.
    pub deadline_ms: u64,
    /// Checks made so far that did not hold yet (`assertion_checked` events).
    pub checks: u64,
    /// What the latest of those checks saw.
    pub last_check: Option<String>,
    /// Decision, once made.
    pub result: Option<AssertionResult>,
}

/// An assertion's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionResult {
    /// Held.
    pub passed: bool,
    /// Why.
    pub message: String,
    /// What the last check saw, as JSON text.
    pub evidence: String,
    /// Checks made.
    pub attempts: u64,
    /// Scenario time until it held.
    pub time_to_hold_ms: Option<u64>,
}

/// The success criteria's judgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// All held.
    pub passed: bool,
    /// One line.
    pub summary: String,
    /// (name, passed, detail).
    pub criteria: Vec<(String, bool, String)>,
}

/// One line of the events log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Event number.
    pub seq: u64,
    /// Scenario offset.
    pub offset_ms: Option<u64>,
    /// Event kind.
    pub kind: String,
    /// What happened, for people.
    pub text: String,
    /// Whether it reports a failure.
    pub bad: bool,
}

fn str_of(event: &Value, key: &str) -> String {
    event
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl LiveState {
    /// A state starting from the execution's stored status, with `events` applied.
    pub fn new(status: &str, events: &[Value]) -> Self {
        let mut state = Self {
            status: status.to_owned(),
            ..Self::default()
        };
        for event in events {
            state.apply(event);
        }
        state
    }

    /// Applies one event (ignored if its `seq` was applied already).
    pub fn apply(&mut self, event: &Value) {
        let Some(seq) = event.get("seq").and_then(Value::as_u64) else {
            return;
        };
        if self.last_seq.is_some_and(|last| seq <= last) {
            return;
        }
        self.last_seq = Some(seq);
        let offset = event.get("offset_ms").and_then(Value::as_u64);
        if let Some(offset) = offset {
            self.elapsed_ms = self.elapsed_ms.max(offset);
        }
        let phase = event
            .get("phase")
            .and_then(Value::as_u64)
            .map(|p| p as usize);
        let kind = str_of(event, "kind");
        if kind == "workload_slot" {
            let number = |key: &str| event.get(key).and_then(Value::as_f64).unwrap_or(0.0);
            let whole = |key: &str| event.get(key).and_then(Value::as_u64).unwrap_or(0);
            self.workload.push(crate::chart::ChartPoint {
                start_ms: whole("start_ms"),
                end_ms: whole("end_ms"),
                requests: whole("requests"),
                p50_ms: number("p50_ms"),
                p95_ms: number("p95_ms"),
                p99_ms: number("p99_ms"),
                failure_rate: number("failure_rate"),
            });
            // Charted, not logged: there can be thousands.
            return;
        }
        let service_action = || format!("{}.{}", str_of(event, "service"), str_of(event, "action"));
        let mut bad = false;
        let text = match kind.as_str() {
            "execution_queued" => "queued".to_owned(),
            "execution_started" => {
                self.status = "running".to_owned();
                let dry = event
                    .get("dry_run")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                format!(
                    "started at speed ×{}{}",
                    event.get("speed").and_then(Value::as_f64).unwrap_or(1.0),
                    if dry { ", dry run" } else { "" }
                )
            }
            "iteration_started" => format!(
                "iteration {}",
                event.get("iteration").and_then(Value::as_u64).unwrap_or(1)
            ),
            "phase_started" => {
                self.current_phase = phase;
                if let Some(p) = phase {
                    self.phase_outcomes.remove(&p);
                }
                format!(
                    "phase {} started ({})",
                    str_of(event, "name"),
                    format_ms(
                        event
                            .get("duration_ms")
                            .and_then(Value::as_u64)
                            .unwrap_or(0)
                    )
                )
            }
            "action_started" => {
                self.actions.push(ActionRow {
                    phase,
                    service: str_of(event, "service"),
                    action: str_of(event, "action"),
                    parallel: event
                        .get("parallel")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    started_ms: offset,
                    outcome: None,
                });
                format!("{} sent", service_action())
            }
            "action_finished" => {
                let o = event.get("outcome").cloned().unwrap_or(Value::Null);
                let outcome = ActionOutcome {
                    ok: o.get("ok").and_then(Value::as_bool).unwrap_or(false),
                    status: o.get("status").and_then(Value::as_u64),
                    latency_ms: o.get("latency_ms").and_then(Value::as_f64).unwrap_or(0.0),
                    message: str_of(&o, "message"),
                };
                bad = !outcome.ok;
                let parallel = event
                    .get("parallel")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let (service, action) = (str_of(event, "service"), str_of(event, "action"));
                let text = format!(
                    "{} {} in {:.1} ms{}",
                    service_action(),
                    if outcome.ok { "ok" } else { "FAILED" },
                    outcome.latency_ms,
                    if outcome.message.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", outcome.message)
                    }
                );
                match self.actions.iter_mut().rev().find(|a| {
                    a.outcome.is_none()
                        && a.phase == phase
                        && a.parallel == parallel
                        && a.service == service
                        && a.action == action
                }) {
                    Some(row) => row.outcome = Some(outcome),
                    None => self.actions.push(ActionRow {
                        phase,
                        service,
                        action,
                        parallel,
                        started_ms: offset,
                        outcome: Some(outcome),
                    }),
                }
                text
            }
            "assertion_started" | "assertion_finished" | "assertion_checked" => {
                let index = event.get("index").and_then(Value::as_u64).unwrap_or(0) as usize;
                let key = (phase.unwrap_or(0), index);
                let row = self.assertions.entry(key).or_insert_with(|| AssertionRow {
                    phase: key.0,
                    index,
                    kind: str_of(event, "type"),
                    expect: str_of(event, "expect"),
                    deadline_ms: 0,
                    checks: 0,
                    last_check: None,
                    result: None,
                });
                if kind == "assertion_checked" {
                    row.checks = event
                        .get("attempts")
                        .and_then(Value::as_u64)
                        .unwrap_or(row.checks + 1);
                    let message = str_of(event, "message");
                    let text = format!(
                        "assertion {} → {} not yet (check {}){}",
                        row.kind,
                        row.expect,
                        row.checks,
                        if message.is_empty() {
                            String::new()
                        } else {
                            format!(": {message}")
                        }
                    );
                    row.last_check = Some(message);
                    text
                } else if kind == "assertion_started" {
                    row.deadline_ms = event
                        .get("deadline_ms")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                    row.checks = 0;
                    row.last_check = None;
                    row.result = None;
                    format!(
                        "assertion {} → {} polling until {}",
                        row.kind,
                        row.expect,
                        format_ms(row.deadline_ms)
                    )
                } else {
                    let r = event.get("result").cloned().unwrap_or(Value::Null);
                    let result = AssertionResult {
                        passed: r.get("passed").and_then(Value::as_bool).unwrap_or(false),
                        message: str_of(&r, "message"),
                        evidence: r
                            .get("evidence")
                            .map(|e| serde_json::to_string_pretty(e).unwrap_or_default())
                            .unwrap_or_default(),
                        attempts: r.get("attempts").and_then(Value::as_u64).unwrap_or(0),
                        time_to_hold_ms: r.get("time_to_hold_ms").and_then(Value::as_u64),
                    };
                    bad = !result.passed;
                    let text = format!(
                        "assertion {} → {} {} after {} check(s){}",
                        row.kind,
                        row.expect,
                        if result.passed { "passed" } else { "FAILED" },
                        result.attempts,
                        if result.message.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", result.message)
                        }
                    );
                    row.result = Some(result);
                    text
                }
            }
            "phase_finished" => {
                let outcome = str_of(event, "outcome");
                bad = outcome == "failed";
                if let Some(p) = phase {
                    self.phase_outcomes.insert(p, outcome.clone());
                }
                let reason = str_of(event, "reason");
                format!(
                    "phase {} {outcome}{}",
                    str_of(event, "name"),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                )
            }
            "control_received" => {
                format!("{} requested", str_of(event, "command").replace('_', " "))
            }
            "paused" => {
                self.status = "paused".to_owned();
                "paused".to_owned()
            }
            "resumed" => {
                self.status = "running".to_owned();
                "resumed".to_owned()
            }
            "recovery_started" => {
                // Its process is gone; another coordinator rolls it back and
                // ends it `interrupted`. Shown as such until it ends.
                self.status = "recovering".to_owned();
                let owner = str_of(event, "previous_owner");
                format!(
                    "recovery: its coordinator{} is gone; rolling back its chaos here",
                    if owner.is_empty() {
                        String::new()
                    } else {
                        format!(" ({owner})")
                    }
                )
            }
            "rollback_started" => {
                self.rollback = Some("running".to_owned());
                format!(
                    "rollback started ({}), {} action(s)",
                    str_of(event, "reason"),
                    event.get("actions").and_then(Value::as_u64).unwrap_or(0)
                )
            }
            "rollback_finished" => {
                let ok = event.get("ok").and_then(Value::as_bool).unwrap_or(false);
                bad = !ok;
                self.rollback = Some(if ok { "ok" } else { "failed" }.to_owned());
                format!("rollback {}", if ok { "succeeded" } else { "FAILED" })
            }
            "execution_finished" => {
                self.status = str_of(event, "status");
                self.finished = true;
                let v = event.get("verdict").cloned().unwrap_or(Value::Null);
                let verdict = Verdict {
                    passed: v.get("passed").and_then(Value::as_bool).unwrap_or(false),
                    summary: str_of(&v, "summary"),
                    criteria: v
                        .get("criteria")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|c| {
                            (
                                str_of(c, "name"),
                                c.get("passed").and_then(Value::as_bool).unwrap_or(false),
                                str_of(c, "detail"),
                            )
                        })
                        .collect(),
                };
                bad = !verdict.passed;
                let text = format!(
                    "finished: {}{}",
                    self.status,
                    if verdict.summary.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", verdict.summary)
                    }
                );
                self.verdict = Some(verdict);
                text
            }
            "workload_summary" => {
                let summary = event.get("summary").cloned().unwrap_or(Value::Null);
                let total = &summary["total"];
                let recovery = &summary["recovery"];
                let end = WorkloadEnd {
                    chaos: summary["chaos"]["injected_ms"]
                        .as_u64()
                        .zip(summary["chaos"]["cleared_ms"].as_u64()),
                    recovered_ms: recovery["recovered_ms"].as_u64(),
                    recovery_time_ms: recovery["recovery_time_ms"].as_u64(),
                    measured: !recovery.is_null(),
                };
                let text = format!(
                    "workload: {} requests, {:.2} % failed, p95 {:.1} ms{}",
                    total["requests"].as_u64().unwrap_or(0),
                    total["failure_rate"].as_f64().unwrap_or(0.0) * 100.0,
                    total["p95_ms"].as_f64().unwrap_or(0.0),
                    match (end.measured, end.recovery_time_ms) {
                        (true, Some(ms)) =>
                            format!("; recovered {} after the chaos was cleared", format_ms(ms)),
                        (true, None) => "; no recovery detected".to_owned(),
                        _ => String::new(),
                    }
                );
                bad = end.measured && end.recovery_time_ms.is_none();
                self.workload_end = Some(end);
                text
            }
            other => other.replace('_', " "),
        };
        self.log.push(LogLine {
            seq,
            offset_ms: offset,
            kind,
            text,
            bad,
        });
    }

    /// `ok`, `failed` or `running` for the `ordinal`-th call of `service.action`
    /// in `phase` (sequential or parallel); `None` if not reached.
    pub fn action_result(
        &self,
        phase: usize,
        parallel: bool,
        service: &str,
        action: &str,
        ordinal: usize,
    ) -> Option<&'static str> {
        let row = self
            .actions
            .iter()
            .filter(|a| {
                a.phase == Some(phase)
                    && a.parallel == parallel
                    && a.service == service
                    && a.action == action
            })
            .nth(ordinal)?;
        Some(match &row.outcome {
            None => "running",
            Some(o) if o.ok => "ok",
            Some(_) => "failed",
        })
    }

    /// The state of assertion `index` of `phase`.
    pub fn assertion_state(&self, phase: usize, index: usize) -> AssertionView {
        AssertionView::of(self.assertions.get(&(phase, index)))
    }
}

/// The WebSocket that follows an execution (browser only), reconnecting with
/// backoff when it drops before the execution ends.
#[cfg(feature = "hydrate")]
pub mod socket {
    use std::cell::{Cell, RefCell};
    use std::rc::{Rc, Weak};
    use std::time::Duration;

    use leptos::prelude::*;
    use leptos::wasm_bindgen::{closure::Closure, JsCast};
    use leptos::web_sys::{CloseEvent, MessageEvent, WebSocket};

    use super::LiveState;

    /// How the live connection is doing.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Link {
        /// Opening.
        Connecting,
        /// Receiving events.
        Live,
        /// Closed after the execution ended.
        Done,
        /// Dropped while the execution was still going; trying again (attempt n).
        Reconnecting(u32),
    }

    /// The first retry waits this long; each next one twice as long, up to
    /// [`MAX_DELAY_MS`].
    const FIRST_DELAY_MS: u64 = 500;
    const MAX_DELAY_MS: u64 = 10_000;

    /// One open socket and the callbacks it calls (kept alive as long as it is).
    struct Connection {
        socket: WebSocket,
        _on_message: Closure<dyn Fn(MessageEvent)>,
        _on_open: Closure<dyn Fn()>,
        _on_close: Closure<dyn Fn(CloseEvent)>,
    }

    impl Connection {
        fn close(&self) {
            self.socket.set_onclose(None);
            self.socket.set_onmessage(None);
            self.socket.set_onopen(None);
            let _ = self.socket.close();
        }
    }

    struct Follower {
        id: String,
        state: RwSignal<LiveState>,
        link: RwSignal<Link>,
        on_event: Box<dyn Fn()>,
        /// Failed attempts in a row (0 once a socket opens).
        attempt: Cell<u32>,
        /// The page went away: connect no more.
        stopped: Cell<bool>,
        connection: RefCell<Option<Connection>>,
        retry: RefCell<Option<TimeoutHandle>>,
    }

    /// Opens `/ws/scenario-execution` for `id` after the events `state` has, and
    /// applies each message to `state`; `on_event` runs after each one. When the
    /// socket drops before the execution has ended it reconnects, asking only for
    /// the events after the last one applied (and [`LiveState::apply`] ignores any
    /// it has already). Everything closes when the owner is cleaned up.
    pub fn follow(
        id: &str,
        state: RwSignal<LiveState>,
        link: RwSignal<Link>,
        on_event: impl Fn() + 'static,
    ) {
        let follower = Rc::new(Follower {
            id: id.to_owned(),
            state,
            link,
            on_event: Box::new(on_event),
            attempt: Cell::new(0),
            stopped: Cell::new(false),
            connection: RefCell::new(None),
            retry: RefCell::new(None),
        });
        connect(&follower);
        let held = StoredValue::new_local(follower);
        on_cleanup(move || {
            let _ = held.try_with_value(|f| {
                f.stopped.set(true);
                if let Some(handle) = f.retry.borrow_mut().take() {
                    handle.clear();
                }
                if let Some(connection) = f.connection.borrow_mut().take() {
                    connection.close();
                }
            });
        });
    }

    fn connect(follower: &Rc<Follower>) {
        if follower.stopped.get() {
            return;
        }
        // The previous socket has closed; drop it (never from inside its own callback).
        if let Some(old) = follower.connection.borrow_mut().take() {
            old.close();
        }
        let location = window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().unwrap_or_default();
        let since = follower
            .state
            .with_untracked(|s| s.last_seq)
            .map(|seq| format!("&since={seq}"))
            .unwrap_or_default();
        let url = format!(
            "{scheme}://{host}/ws/scenario-execution?execution_id={}{since}",
            follower.id
        );
        let Ok(socket) = WebSocket::new(&url) else {
            retry_later(follower);
            return;
        };
        let weak = Rc::downgrade(follower);
        let on_message = Closure::<dyn Fn(MessageEvent)>::new({
            let weak = weak.clone();
            move |message: MessageEvent| {
                let Some(f) = weak.upgrade() else { return };
                let Some(text) = message.data().as_string() else {
                    return;
                };
                let Ok(event) = serde_json::from_str::<serde_json::Value>(&text) else {
                    return;
                };
                f.link.set(Link::Live);
                f.state.update(|s| s.apply(&event));
                (f.on_event)();
            }
        });
        let on_open = Closure::<dyn Fn()>::new({
            let weak = weak.clone();
            move || {
                if let Some(f) = weak.upgrade() {
                    f.attempt.set(0);
                    f.link.set(Link::Live);
                }
            }
        });
        let on_close = Closure::<dyn Fn(CloseEvent)>::new(move |_: CloseEvent| {
            let Some(f) = weak.upgrade() else { return };
            if f.state.with_untracked(|s| s.finished) {
                f.link.set(Link::Done);
            } else {
                retry_later(&f);
            }
        });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *follower.connection.borrow_mut() = Some(Connection {
            socket,
            _on_message: on_message,
            _on_open: on_open,
            _on_close: on_close,
        });
    }

    /// Schedules the next attempt, waiting longer after each failure in a row.
    fn retry_later(follower: &Rc<Follower>) {
        if follower.stopped.get() {
            return;
        }
        let attempt = follower.attempt.get() + 1;
        follower.attempt.set(attempt);
        follower.link.set(Link::Reconnecting(attempt));
        let delay = FIRST_DELAY_MS
            .saturating_mul(1 << (attempt - 1).min(10))
            .min(MAX_DELAY_MS);
        let weak: Weak<Follower> = Rc::downgrade(follower);
        if let Ok(handle) = set_timeout_with_handle(
            move || {
                if let Some(f) = weak.upgrade() {
                    f.retry.borrow_mut().take();
                    connect(&f);
                }
            },
            Duration::from_millis(delay),
        ) {
            *follower.retry.borrow_mut() = Some(handle);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn events() -> Vec<Value> {
        vec![
            json!({"seq": 1, "kind": "execution_started", "speed": 60.0, "dry_run": false}),
            json!({"seq": 2, "kind": "phase_started", "phase": 0, "name": "p", "duration_ms": 60000}),
            json!({"seq": 3, "kind": "assertion_started", "phase": 0, "index": 0, "type": "system_health", "expect": "all_services_healthy", "deadline_ms": 30000}),
            json!({"seq": 4, "kind": "assertion_checked", "phase": 0, "index": 0, "type": "system_health", "attempts": 1, "message": "risk-monitor down"}),
            json!({"seq": 5, "kind": "assertion_checked", "phase": 0, "index": 0, "type": "system_health", "attempts": 2, "message": "risk-monitor down"}),
        ]
    }

    #[test]
    fn each_check_that_did_not_hold_counts_as_polling_n() {
        let state = LiveState::new("running", &events());
        let row = &state.assertions[&(0, 0)];
        assert_eq!(row.checks, 2);
        assert_eq!(row.last_check.as_deref(), Some("risk-monitor down"));
        assert_eq!(state.assertion_state(0, 0), AssertionView::Polling(2));
        assert_eq!(AssertionView::Polling(2).describe().1, "polling 2");
        assert!(state.log.last().unwrap().text.contains("not yet (check 2)"));
    }

    #[test]
    fn an_execution_taken_over_after_a_crash_shows_as_recovering() {
        let mut all = events();
        all.push(json!({"seq": 6, "kind": "recovery_started", "previous_owner": "execute (pid 7 on ci)"}));
        let state = LiveState::new("running", &all);
        assert_eq!(state.status, "recovering");
        assert!(state
            .log
            .last()
            .unwrap()
            .text
            .contains("execute (pid 7 on ci)"));
    }

    #[test]
    fn a_replay_after_a_reconnect_applies_each_event_once() {
        let all = events();
        let mut state = LiveState::new("running", &all[..4]);
        // The server replays from `since`, which may overlap what the page has.
        for event in &all[2..] {
            state.apply(event);
        }
        let seqs: Vec<u64> = state.log.iter().map(|l| l.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        assert_eq!(state.assertions[&(0, 0)].checks, 2);
    }

    #[test]
    fn workload_slots_are_charted_not_logged_and_the_summary_gives_the_recovery() {
        let state = LiveState::new(
            "running",
            &[
                json!({"seq": 1, "kind": "workload_slot", "phase": 0, "offset_ms": 1000, "start_ms": 0, "end_ms": 1000, "requests": 50, "failures": 0, "failure_rate": 0.0, "throughput": 50.0, "p50_ms": 4.0, "p95_ms": 9.5, "p99_ms": 12.0, "max_ms": 14.0}),
                json!({"seq": 2, "kind": "workload_slot", "phase": 1, "offset_ms": 2000, "start_ms": 1000, "end_ms": 2000, "requests": 50, "failures": 50, "failure_rate": 1.0, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0}),
                json!({"seq": 3, "kind": "workload_summary", "offset_ms": 9000, "summary": {"total": {"requests": 450, "failure_rate": 0.11, "p95_ms": 10.0}, "chaos": {"injected_ms": 1000, "cleared_ms": 2000}, "recovery": {"detected": true, "recovered_ms": 4500, "recovery_time_ms": 2500, "services": []}}}),
            ],
        );
        assert_eq!(state.workload.len(), 2);
        assert_eq!(state.workload[1].failure_rate, 1.0);
        assert_eq!(state.workload[0].p95_ms, 9.5);
        assert_eq!(state.log.len(), 1, "only the summary is logged");
        assert!(
            state.log[0].text.contains("recovered 2.5s"),
            "{}",
            state.log[0].text
        );
        let end = state.workload_end.expect("summary");
        assert_eq!(end.chaos, Some((1000, 2000)));
        assert_eq!(end.recovered_ms, Some(4500));
    }
}
