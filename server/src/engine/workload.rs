//! Drives a scenario's workload (DESIGN.md §7) for one iteration of an execution.
//!
//! **Open model.** Each stream has a generator task that computes when request
//! `n` is due from the rate's integral ([`Rate::due`](app::scenario::workload::Rate::due)) and sends it then, whether
//! or not earlier requests have answered; latency is measured from when a request
//! was *due*, not from when it left, so a slow target (or a late generator) shows
//! in the latencies instead of quietly lowering the request rate — no coordinated
//! omission. A request due while the stream's `concurrency` requests are all in
//! flight is not delayed but dropped, and counted as a failure.
//!
//! **Time.** Requests are sent at real (wall-clock) rates; each sample is placed
//! on the scenario's timeline at the offset it was due, so phases, windows,
//! slots and the recovery time are scenario time like every other duration.
//! The traffic goes on while the execution is paused (the system under test does
//! not pause); those samples land at the paused offset.
//!
//! **Figures.** Samples are cut into slots (`steady_state.resolution`, 1 s by
//! default, at least 50 ms of wall-clock time, at most 3,000 per run); each slot is
//! recorded as a `workload_slot` event once every request due in it has ended, and
//! at the end a `workload_summary` holds the figures per phase and per stream,
//! before / during / after chaos, and the recovery time per target service.
//! `metric` assertions are judged here from the same samples.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

pub use app::api::figures::{
    ChaosWindow, PhaseFigures, Recovery, ServiceRecovery, SlotFigures, StreamInfo, WorkloadSummary,
};
use app::scenario::{
    plan::{Plan, PlannedAssertion},
    workload::{Metric, MetricCheck, SteadyState, Workload as Spec},
};
use futures::FutureExt;
use serde_json::{json, Value};
use tokio::{
    sync::{oneshot, watch, Semaphore},
    task::JoinSet,
    time::Instant,
};

mod generator;
mod timer;

use generator::{close_slots, generate, on_own_thread};

use super::{
    clock::{millis, to_real, to_scenario, Schedule},
    event::{EventDraft, EventKind},
    figures::{measure, recovered_at, slot_checks, Figures, Sample, SendTimingHistogram},
    recorder::ExecutionRecorder,
    CheckOutcome, ExecutionId, LoadSender,
};

/// Beyond this many requests in one run, samples are no longer kept (the slots
/// already recorded stay exact; the summary covers the first ones).
const MAX_SAMPLES: usize = 8_000_000;
/// At most this many slots per run: longer runs get wider slots.
const MAX_SLOTS: u128 = 3_000;
/// The shortest slot in wall-clock time, whatever the speed.
const MIN_SLOT_WALL: Duration = Duration::from_millis(50);
/// How long after its end a slot stays open for generators that woke late
/// (real time; the closer runs every half slot, so this rarely delays it).
const SLOT_GRACE: Duration = Duration::from_millis(10);
/// Fewer requests than this cannot judge a `metric` assertion (unless it sets
/// `min_requests`).
const DEFAULT_MIN_REQUESTS: u64 = 10;

/// A running workload. Dropping it without [`Workload::finish`] aborts its tasks
/// (generators on a thread of their own return when `stop` is dropped).
pub(super) struct Workload {
    shared: Arc<Shared>,
    tasks: JoinSet<()>,
    /// Answers when the generators have returned, if they run on a thread of
    /// their own ([`LoadSender::own_thread`]) rather than among `tasks`.
    own_thread: Option<oneshot::Receiver<()>>,
    stop: watch::Sender<bool>,
    /// Each stream's in-flight permits: all of them back means nothing in flight.
    caps: Vec<(Arc<Semaphore>, u32)>,
}

/// What the generators, the slot closer and the assertions share.
struct Shared {
    plan: Arc<Plan>,
    spec: Spec,
    speed: f64,
    /// Width of a slot, scenario time.
    slot: Duration,
    schedule: watch::Receiver<Schedule>,
    recorder: ExecutionRecorder,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    samples: Vec<Sample>,
    truncated: bool,
    /// Per open slot: requests due in it still in flight, and the samples of
    /// those that ended.
    open: BTreeMap<u64, OpenSlot>,
    /// The next slot to record.
    next_slot: u64,
    /// Chaos injected and cleared, in order.
    marks: Vec<Mark>,
    /// How far from their due times sent requests left.
    send_timing: SendTimingHistogram,
    /// The latest due offset of a request sent or dropped. A request may leave
    /// up to half a millisecond before it is due, so the run's end is never
    /// taken before this.
    latest: Duration,
}

#[derive(Default)]
struct OpenSlot {
    in_flight: u32,
    samples: Vec<Sample>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Mark {
    offset: Duration,
    cleared: bool,
}

impl State {
    /// Keeps `sample` for the summary, up to [`MAX_SAMPLES`].
    fn keep(&mut self, sample: Sample) {
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(sample);
        } else {
            self.truncated = true;
        }
    }
}

impl Workload {
    /// Starts every stream of `plan`'s workload now. `Err` names a stream whose
    /// service is not configured (nothing is sent then).
    pub(super) fn start(
        plan: Arc<Plan>,
        execution_id: ExecutionId,
        speed: f64,
        schedule: watch::Receiver<Schedule>,
        recorder: ExecutionRecorder,
        load: &dyn LoadSender,
    ) -> Result<Self, String> {
        let spec = plan.workload.clone().unwrap_or_default();
        let senders = spec
            .streams
            .iter()
            .map(|stream| {
                load.prepare(stream, execution_id, speed)
                    .map_err(|why| format!("workload stream `{}`: {why}", stream.name))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let resolution = spec
            .steady_state
            .as_ref()
            .and_then(|steady| steady.resolution)
            .unwrap_or(Duration::from_secs(1));
        let shortest = to_scenario(MIN_SLOT_WALL, speed);
        let longest_run = plan.total_ms.max(plan.timeout_ms.unwrap_or_default());
        let for_count = Duration::from_micros(
            u64::try_from(longest_run.as_micros() / MAX_SLOTS).unwrap_or(u64::MAX),
        );
        let slot = resolution.max(shortest).max(for_count);
        let shared = Arc::new(Shared {
            plan,
            spec,
            speed,
            slot,
            schedule,
            recorder,
            state: Mutex::new(State::default()),
        });
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut caps = Vec::new();
        let mut generators = Vec::new();
        let started = Instant::now();
        let own_thread = load.own_thread();
        for (index, sender) in senders.into_iter().enumerate() {
            let concurrency = shared.spec.streams[index].concurrency.max(1);
            let cap = Arc::new(Semaphore::new(concurrency as usize));
            caps.push((cap.clone(), concurrency));
            generators.push(
                generate(
                    shared.clone(),
                    index,
                    sender,
                    cap,
                    started,
                    stopped.clone(),
                    own_thread,
                )
                .boxed(),
            );
        }
        let own_thread = if own_thread {
            Some(
                on_own_thread(generators, caps.clone())
                    .map_err(|e| format!("workload: no thread for its generators: {e}"))?,
            )
        } else {
            for generator in generators {
                tasks.spawn(generator);
            }
            None
        };
        tasks.spawn(close_slots(shared.clone(), stopped));
        Ok(Self {
            shared,
            tasks,
            own_thread,
            stop,
            caps,
        })
    }

    /// A handle for assertions and action marks.
    pub(super) fn handle(&self) -> WorkloadHandle {
        WorkloadHandle {
            shared: self.shared.clone(),
        }
    }

    /// Stops sending new requests (at once; those in flight go on).
    pub(super) async fn stop_sending(&mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
        if let Some(returned) = self.own_thread.take() {
            let _ = returned.await;
        }
    }

    /// Stops sending, waits for the requests in flight (each ends by its
    /// timeout), records the last slots and the summary, and returns the summary.
    pub(super) async fn finish(mut self, phase: Option<usize>) -> WorkloadSummary {
        self.stop_sending().await;
        for (cap, permits) in &self.caps {
            // Every permit back: nothing in flight any more.
            let _ = cap.acquire_many(*permits).await;
        }
        // Not before the last request's due time: it may have left early.
        let end = self.shared.now().max(self.shared.lock().latest);
        self.shared.close_ready(end, true);
        let summary = self.shared.summary(end);
        self.shared.recorder.emit(EventDraft {
            offset_ms: Some(millis(end)),
            planned_ms: None,
            phase,
            kind: EventKind::WorkloadSummary {
                summary: Box::new(summary.clone()),
            },
        });
        summary
    }
}

/// What the runner keeps while the workload runs.
#[derive(Clone)]
pub(super) struct WorkloadHandle {
    shared: Arc<Shared>,
}

impl WorkloadHandle {
    /// Notes an action of a phase that injects or clears chaos
    /// ([`chaos_effect`](app::scenario::catalog::chaos_effect)).
    pub(super) fn action(&self, action: &str, offset: Duration) {
        use app::scenario::catalog::{chaos_effect, ChaosEffect};
        let cleared = match chaos_effect(action) {
            ChaosEffect::Injects => false,
            ChaosEffect::Clears => true,
            ChaosEffect::Neutral => return,
        };
        self.shared.lock().marks.push(Mark { offset, cleared });
    }

    /// Judges a `metric` assertion of phase `phase` now.
    pub(super) fn check(&self, assertion: &PlannedAssertion, phase: usize) -> CheckOutcome {
        let now = self.shared.now();
        let Some(phase) = self.shared.plan.phases.get(phase) else {
            return failed(format!("no phase {phase}"), Value::Null);
        };
        let check = match MetricCheck::parse(&assertion.expect) {
            Ok(check) => check,
            Err(why) => return failed(why, Value::Null),
        };
        let streams = match self.shared.streams_for(assertion) {
            Ok(streams) => streams,
            Err(why) => return failed(why, Value::Null),
        };
        let state = self.shared.lock();
        if check.metric == Metric::RecoveryTime {
            return self.shared.check_recovery(&state, &check, &streams, now);
        }
        let window = assertion
            .parameters
            .get("window")
            .and_then(Value::as_str)
            .and_then(|text| app::scenario::duration::parse_duration(text).ok());
        let from = match window {
            Some(window) => now.saturating_sub(window),
            None => phase.start_ms,
        };
        let scope = match window {
            Some(window) => format!(
                "the last {}",
                app::scenario::duration::format_duration(window)
            ),
            None => format!("phase `{}` so far", phase.name),
        };
        let samples = state
            .samples
            .iter()
            .filter(|s| streams.contains(&s.stream) && within(s, from, now));
        let wall = to_real(now.saturating_sub(from), self.shared.speed);
        let figures = measure(samples, wall);
        let min_requests = assertion
            .parameters
            .get("min_requests")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_MIN_REQUESTS);
        let evidence = json!({
            "expect": check.to_string(),
            "scope": scope,
            "figures": figures,
        });
        if figures.requests < min_requests {
            let message = format!(
                "{} request(s) in {scope}, fewer than the {min_requests} needed to judge",
                figures.requests
            );
            return failed(message, evidence);
        }
        let value = metric_value(check.metric, &figures);
        let message = format!(
            "{} = {} over {} request(s) in {scope} (expected {check})",
            check.metric.name(),
            check.metric.format(value),
            figures.requests
        );
        CheckOutcome {
            passed: check.holds(value),
            message,
            evidence,
        }
    }
}

fn failed(message: String, evidence: Value) -> CheckOutcome {
    CheckOutcome {
        passed: false,
        message,
        evidence,
    }
}

fn within(sample: &Sample, from: Duration, until: Duration) -> bool {
    let offset = Duration::from_micros(sample.offset_us);
    offset >= from && offset <= until
}

fn metric_value(metric: Metric, figures: &Figures) -> f64 {
    match metric {
        Metric::P50LatencyMs => figures.p50_ms,
        Metric::P95LatencyMs => figures.p95_ms,
        Metric::P99LatencyMs => figures.p99_ms,
        Metric::MaxLatencyMs => figures.max_ms,
        Metric::MeanLatencyMs => figures.mean_ms,
        Metric::FailureRate => figures.failure_rate,
        Metric::SuccessRate => 1.0 - figures.failure_rate,
        Metric::Throughput => figures.throughput,
        Metric::Requests => figures.requests as f64,
        Metric::Failures => figures.failures as f64,
        // Judged by `check_recovery`.
        Metric::RecoveryTime => f64::NAN,
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the samples consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Duration {
        self.schedule.borrow().offset()
    }

    fn slot_of(&self, offset: Duration) -> u64 {
        u64::try_from(offset.as_micros() / self.slot.as_micros().max(1)).unwrap_or(u64::MAX)
    }

    /// Stream indices an assertion judges: its `stream`, or the streams to its
    /// `service`, or all.
    fn streams_for(&self, assertion: &PlannedAssertion) -> Result<BTreeSet<u16>, String> {
        let stream = assertion.parameters.get("stream").and_then(Value::as_str);
        let chosen: BTreeSet<u16> = self
            .spec
            .streams
            .iter()
            .enumerate()
            .filter(|(_, s)| stream.is_none_or(|name| s.name == name))
            .filter(|(_, s)| {
                assertion
                    .service
                    .as_ref()
                    .is_none_or(|svc| &s.service == svc)
            })
            .map(|(index, _)| index as u16)
            .collect();
        if chosen.is_empty() {
            return Err(match (stream, &assertion.service) {
                (Some(name), _) => format!("the workload has no stream `{name}`"),
                (None, Some(service)) => format!("no workload stream targets `{service}`"),
                (None, None) => "the scenario has no workload".to_owned(),
            });
        }
        Ok(chosen)
    }

    fn chaos_window(&self, marks: &[Mark], now: Duration) -> Option<ChaosWindow> {
        let first = marks.iter().find(|mark| !mark.cleared)?;
        let last = marks.iter().rev().find(|mark| !mark.cleared)?;
        let cleared = marks
            .iter()
            .find(|mark| mark.cleared && mark.offset >= last.offset)
            .map(|mark| mark.offset)
            .or_else(|| {
                self.plan
                    .phases
                    .iter()
                    .find(|phase| phase.start_ms <= last.offset && last.offset < phase.end_ms)
                    .map(|phase| phase.end_ms)
                    .filter(|end| *end <= now)
            })?;
        Some(ChaosWindow {
            injected_ms: millis(first.offset),
            cleared_ms: millis(cleared),
        })
    }

    fn recovery_of(
        &self,
        state: &State,
        streams: &BTreeSet<u16>,
        cleared: Duration,
        now: Duration,
        steady: &SteadyState,
    ) -> Option<Duration> {
        let samples: Vec<&Sample> = state
            .samples
            .iter()
            .filter(|s| streams.contains(&s.stream))
            .collect();
        let slots = slot_checks(&samples, cleared, now, self.slot);
        recovered_at(&slots, cleared, steady)
    }

    fn check_recovery(
        &self,
        state: &State,
        check: &MetricCheck,
        streams: &BTreeSet<u16>,
        now: Duration,
    ) -> CheckOutcome {
        let Some(steady) = &self.spec.steady_state else {
            return failed(
                "recovery_time needs spec.workload.steady_state".to_owned(),
                Value::Null,
            );
        };
        let Some(window) = self.chaos_window(&state.marks, now) else {
            return failed(
                "no chaos has been cleared yet: recovery is measured from the clear".to_owned(),
                Value::Null,
            );
        };
        let cleared = Duration::from_millis(window.cleared_ms);
        let evidence = json!({
            "expect": check.to_string(),
            "steady_state": steady.describe(),
            "chaos": window,
        });
        match self.recovery_of(state, streams, cleared, now, steady) {
            Some(at) => {
                let seconds = at.saturating_sub(cleared).as_secs_f64();
                CheckOutcome {
                    passed: check.holds(seconds),
                    message: format!(
                        "recovered {} after the chaos was cleared: steady state ({}) from +{} (expected {check})",
                        Metric::RecoveryTime.format(seconds),
                        steady.describe(),
                        app::scenario::duration::format_duration(Duration::from_millis(millis(at))),
                    ),
                    evidence,
                }
            }
            None => failed(
                format!(
                    "not recovered yet: the steady state ({}) has not held since the chaos was cleared {} ago",
                    steady.describe(),
                    Metric::RecoveryTime.format(now.saturating_sub(cleared).as_secs_f64())
                ),
                evidence,
            ),
        }
    }

    /// What one wake-up of a generator did, under one lock: requests sent
    /// (their slots wait for them; `(slot, count)`) and requests dropped at the
    /// concurrency cap, the latest due at `latest`. Called before any of the
    /// sent ones can end.
    fn dispatched(&self, sent: &[(u64, u32)], dropped: &[Sample], latest: Duration) {
        let mut state = self.lock();
        state.latest = state.latest.max(latest);
        for &(slot, count) in sent {
            state.open.entry(slot).or_default().in_flight += count;
        }
        for sample in dropped {
            let slot = self.slot_of(Duration::from_micros(sample.offset_us));
            state.open.entry(slot).or_default().samples.push(*sample);
            state.keep(*sample);
        }
    }

    /// A sent request ended; it left `error` away from its due time.
    fn ended(&self, sample: Sample, error: Duration) {
        let slot = self.slot_of(Duration::from_micros(sample.offset_us));
        let mut state = self.lock();
        state.send_timing.record(error);
        let open = state.open.entry(slot).or_default();
        open.in_flight = open.in_flight.saturating_sub(1);
        open.samples.push(sample);
        state.keep(sample);
    }

    /// Records every slot that has ended and has nothing in flight, in order
    /// (`all`: every slot up to `now`, at the end). While generators run, a
    /// slot waits [`SLOT_GRACE`] of real time past its end, so a generator that
    /// woke late for a request due just before it has counted that request in.
    fn close_ready(&self, now: Duration, all: bool) {
        let current = if all {
            self.slot_of(now)
        } else {
            self.slot_of(now.saturating_sub(to_scenario(SLOT_GRACE, self.speed)))
        };
        let mut ready = Vec::new();
        {
            let mut state = self.lock();
            loop {
                let slot = state.next_slot;
                // At the end, the current slot too, unless it has not begun.
                let begun = self
                    .slot
                    .saturating_mul(u32::try_from(slot).unwrap_or(u32::MAX))
                    < now;
                let ended = slot < current || (all && slot <= current && begun);
                let idle = state.open.get(&slot).is_none_or(|open| open.in_flight == 0);
                if !(ended && idle) {
                    break;
                }
                let samples = state.open.remove(&slot).map(|open| open.samples);
                ready.push((slot, samples.unwrap_or_default()));
                state.next_slot += 1;
            }
        }
        let wall = to_real(self.slot, self.speed);
        for (slot, samples) in ready {
            let start = self
                .slot
                .saturating_mul(u32::try_from(slot).unwrap_or(u32::MAX));
            let end = (start + self.slot).min(now.max(start));
            let figures = measure(&samples, wall);
            let phase = self
                .plan
                .phases
                .iter()
                .position(|phase| phase.start_ms <= start && start < phase.end_ms);
            self.recorder.emit(EventDraft {
                offset_ms: Some(millis(end)),
                planned_ms: None,
                phase,
                kind: EventKind::WorkloadSlot {
                    slot: SlotFigures {
                        start_ms: millis(start),
                        end_ms: millis(end),
                        figures,
                    },
                },
            });
        }
    }

    fn summary(&self, end: Duration) -> WorkloadSummary {
        let state = self.lock();
        let speed = self.speed;
        let wall = |from: Duration, until: Duration| to_real(until.saturating_sub(from), speed);
        let figures = |from: Duration, until: Duration, stream: Option<u16>| {
            measure(
                state.samples.iter().filter(|s| {
                    stream.is_none_or(|i| s.stream == i)
                        && Duration::from_micros(s.offset_us) >= from
                        && Duration::from_micros(s.offset_us) < until
                }),
                wall(from, until),
            )
        };
        let all_time = end + Duration::from_micros(1);
        let phases = self
            .plan
            .phases
            .iter()
            .filter(|phase| phase.start_ms <= end)
            .map(|phase| {
                let until = if phase.index + 1 == self.plan.phases.len() {
                    all_time
                } else {
                    phase.end_ms.min(all_time)
                };
                let streams = if self.spec.streams.len() > 1 {
                    self.spec
                        .streams
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            (
                                s.name.clone(),
                                figures(phase.start_ms, until, Some(i as u16)),
                            )
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                PhaseFigures {
                    index: phase.index,
                    name: phase.name.clone(),
                    figures: figures(phase.start_ms, until, None),
                    streams,
                }
            })
            .collect();
        let chaos = self.chaos_window(&state.marks, end);
        let (injected, cleared) = match chaos {
            Some(window) => (
                Duration::from_millis(window.injected_ms),
                Duration::from_millis(window.cleared_ms),
            ),
            None => (all_time, all_time),
        };
        let recovery = match (&self.spec.steady_state, chaos) {
            (Some(steady), Some(_)) => {
                let all: BTreeSet<u16> = (0..self.spec.streams.len() as u16).collect();
                let recovered = self.recovery_of(&state, &all, cleared, end, steady);
                let mut services: Vec<&str> = self
                    .spec
                    .streams
                    .iter()
                    .map(|s| s.service.as_str())
                    .collect();
                services.dedup();
                let services = services
                    .into_iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .map(|service| {
                        let streams: BTreeSet<u16> = self
                            .spec
                            .streams
                            .iter()
                            .enumerate()
                            .filter(|(_, s)| s.service == service)
                            .map(|(i, _)| i as u16)
                            .collect();
                        let at = self.recovery_of(&state, &streams, cleared, end, steady);
                        ServiceRecovery {
                            service: service.to_owned(),
                            detected: at.is_some(),
                            recovered_ms: at.map(millis),
                            recovery_time_ms: at.map(|at| millis(at.saturating_sub(cleared))),
                        }
                    })
                    .collect();
                Some(Recovery {
                    detected: recovered.is_some(),
                    recovered_ms: recovered.map(millis),
                    recovery_time_ms: recovered.map(|at| millis(at.saturating_sub(cleared))),
                    services,
                })
            }
            _ => None,
        };
        WorkloadSummary {
            streams: self
                .spec
                .streams
                .iter()
                .map(|s| StreamInfo {
                    name: s.name.clone(),
                    service: s.service.clone(),
                    request: format!("{} {}", s.method, s.path),
                    rate: s.rate.to_string(),
                })
                .collect(),
            slot_ms: millis(self.slot),
            total: figures(Duration::ZERO, all_time, None),
            phases,
            chaos,
            before: figures(Duration::ZERO, injected, None),
            during: figures(injected, cleared, None),
            after: figures(cleared, all_time, None),
            steady_state: self.spec.steady_state.clone(),
            recovery,
            truncated: state.truncated,
            send_timing: state.send_timing.figures(),
        }
    }
}
