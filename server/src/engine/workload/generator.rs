//! The workload's tasks: one generator per stream, sending each request when the
//! rate says it is due (the open model of the parent module), and the slot closer
//! that records each slot once every request due in it has ended.

use std::{io, sync::Arc, time::Duration};

use futures::future::BoxFuture;
use tokio::{
    sync::{oneshot, watch, Semaphore},
    time::Instant,
};

use super::{timer::Timer, Shared, MIN_SLOT_WALL};
use crate::engine::{
    clock::to_real,
    figures::{Outcome, Sample},
    StreamSender,
};

/// Requests due within this of a wake-up leave with it, early or late.
const HALF_TICK: Duration = Duration::from_micros(500);

/// When to wake for a due time. The runtime's timer works in whole
/// milliseconds and rounds up twice (the deadline to its tick, then the
/// poller's timeout), so a sleep ends between 0 and 2 ms after its deadline:
/// sleeping until the due time itself sends about a millisecond late on
/// average. Each generator learns how late its sleeps end (a moving average)
/// and sleeps that much less, so its wake-ups centre on the due times; with
/// [`HALF_TICK`], a request then leaves within a millisecond of when it was
/// due unless the machine is saturated (docs/workload.md, "The generator's
/// cost"). A generator on a timerfd ([`Timer`]) learns its tens of
/// microseconds the same way. Virtual time never wakes late, so tests see
/// exact due times.
#[derive(Default)]
struct Alarm {
    late: Duration,
}

impl Alarm {
    fn deadline(&self, due: Instant) -> Instant {
        due.checked_sub(self.late).unwrap_or(due)
    }

    /// A sleep until `deadline` ended at `now`.
    fn woke(&mut self, deadline: Instant, now: Instant) {
        let late = now
            .saturating_duration_since(deadline)
            .min(Duration::from_millis(2));
        self.late = (self.late * 7 + late) / 8;
    }
}

/// One stream's generator: sends request `n` when it is due, until stopped;
/// on a timerfd when `fine` (real time, on a thread of its own).
pub(super) async fn generate(
    shared: Arc<Shared>,
    stream: usize,
    sender: Arc<dyn StreamSender>,
    cap: Arc<Semaphore>,
    started: Instant,
    mut stopped: watch::Receiver<bool>,
    fine: bool,
) {
    let timer = Timer::new(fine);
    let rate = shared.spec.streams[stream].rate;
    // A stream limited to some phases sends only inside them.
    let windows: Vec<(Duration, Duration)> = shared
        .plan
        .phases
        .iter()
        .filter(|phase| shared.spec.streams[stream].phases.contains(&phase.name))
        .map(|phase| (phase.start_ms, phase.end_ms))
        .collect();
    let speed = shared.speed;
    let index = stream as u16;
    let mut seq: u64 = 0;
    // One wake-up's work, reused: requests to send (with their permits), sent
    // counts per slot, and the requests dropped at the cap.
    let mut batch = Vec::new();
    let mut sent: Vec<(u64, u32)> = Vec::new();
    let mut dropped = Vec::new();
    let mut alarm = Alarm::default();
    let mut early = false;
    loop {
        let due = started + rate.due(seq, speed);
        // Woken too early for anything last time: this time for the due time
        // itself, rather than spin until it.
        let deadline = if early {
            due.checked_sub(HALF_TICK).unwrap_or(due)
        } else {
            alarm.deadline(due)
        };
        let asked = Instant::now();
        tokio::select! {
            () = timer.sleep_until(deadline) => {}
            _ = stopped.changed() => return,
        }
        if *stopped.borrow() {
            return;
        }
        let now = Instant::now();
        // Only a sleep that had to wait says how late the timer is.
        if !early && deadline > asked {
            alarm.woke(deadline, now);
        }
        // Everything due within half a tick of now.
        let horizon = now + HALF_TICK;
        early = due > horizon;
        let schedule = *shared.schedule.borrow();
        let mut latest = Duration::ZERO;
        loop {
            let due = started + rate.due(seq, speed);
            if due > horizon {
                break;
            }
            let offset = schedule.offset_at(due);
            let offset_us = u64::try_from(offset.as_micros()).unwrap_or(u64::MAX);
            seq += 1;
            if !windows.is_empty()
                && !windows
                    .iter()
                    .any(|(from, to)| (*from..*to).contains(&offset))
            {
                continue;
            }
            latest = offset;
            match cap.clone().try_acquire_owned() {
                Ok(permit) => {
                    let slot = shared.slot_of(offset);
                    match sent.last_mut() {
                        Some((last, count)) if *last == slot => *count += 1,
                        _ => sent.push((slot, 1)),
                    }
                    batch.push((seq - 1, due, offset_us, permit));
                }
                Err(_) => dropped.push(Sample {
                    offset_us,
                    latency_us: 0,
                    stream: index,
                    outcome: Outcome::Dropped,
                }),
            }
        }
        if batch.is_empty() && dropped.is_empty() {
            continue;
        }
        // Counted in their slots before any of them can end.
        shared.dispatched(&sent, &dropped, latest);
        sent.clear();
        dropped.clear();
        for (seq, due, offset_us, permit) in batch.drain(..) {
            let shared = shared.clone();
            let request = sender.send(seq);
            tokio::spawn(async move {
                // Latency counts from when it was due (open model), or from
                // when it left if that was earlier: never less than the
                // exchange itself.
                let now = Instant::now();
                let error = now.max(due) - now.min(due);
                let from = now.min(due);
                let outcome = request.await;
                let latency = from.elapsed();
                shared.ended(
                    Sample {
                        offset_us,
                        latency_us: u32::try_from(latency.as_micros()).unwrap_or(u32::MAX),
                        stream: index,
                        outcome,
                    },
                    error,
                );
                drop(permit);
            });
        }
    }
}

/// Runs `generators` on a thread of their own, on a single-threaded runtime,
/// with every request they send (docs/workload.md, "The generator's cost"):
/// a request's task, its connection's task and its timer then wake one
/// another without waking another thread, where the engine's multi-threaded
/// runtime parked and unparked a worker (a futex) for most requests. The
/// receiver answers once every generator has returned; the thread then waits
/// for every permit of `caps` (each request ends by its timeout) before its
/// runtime, and the idle connections with it, are dropped.
pub(super) fn on_own_thread(
    generators: Vec<BoxFuture<'static, ()>>,
    caps: Vec<(Arc<Semaphore>, u32)>,
) -> io::Result<oneshot::Receiver<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The runtime goes to the thread once it exists: a runtime dropped here,
    // in the engine's async context, would panic, so a failed spawn keeps it
    // and shuts it down in the background instead.
    let (hand, take) = std::sync::mpsc::sync_channel::<tokio::runtime::Runtime>(1);
    let (returned, on_return) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("workload".into())
        .spawn(move || {
            let Ok(runtime) = take.recv() else {
                return;
            };
            runtime.block_on(async move {
                let handles: Vec<_> = generators.into_iter().map(tokio::spawn).collect();
                for handle in handles {
                    // A generator that panicked has stopped sending; the run
                    // goes on with the others.
                    let _ = handle.await;
                }
                let _ = returned.send(());
                for (cap, permits) in caps {
                    let _ = cap.acquire_many(permits).await;
                }
            });
        });
    if let Err(error) = spawned {
        runtime.shutdown_background();
        return Err(error);
    }
    if let Err(std::sync::mpsc::SendError(runtime)) = hand.send(runtime) {
        runtime.shutdown_background();
        return Err(io::Error::other("the workload thread ended at once"));
    }
    Ok(on_return)
}

/// Records slots as they end, until stopped.
pub(super) async fn close_slots(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let every = to_real(shared.slot, shared.speed).max(MIN_SLOT_WALL) / 2;
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stopped.changed() => return,
        }
        shared.close_ready(shared.now(), false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_learns_how_late_its_sleeps_end_and_wakes_that_much_earlier() {
        let mut alarm = Alarm::default();
        let due = Instant::now() + Duration::from_secs(1);
        assert_eq!(alarm.deadline(due), due, "nothing learnt yet");
        for _ in 0..64 {
            let deadline = alarm.deadline(due);
            alarm.woke(deadline, deadline + Duration::from_micros(1200));
        }
        let early = due - alarm.deadline(due);
        assert!(
            (Duration::from_micros(1150)..=Duration::from_micros(1200)).contains(&early),
            "{early:?}"
        );
        // A wake-up seconds late (a stalled machine) counts as 2 ms at most.
        let mut alarm = Alarm::default();
        alarm.woke(due, due + Duration::from_secs(5));
        assert_eq!(due - alarm.deadline(due), Duration::from_millis(2) / 8);
    }
}
