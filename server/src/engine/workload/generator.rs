//! The workload's tasks: one generator per stream, sending each request when the
//! rate says it is due (the open model of the parent module), and the slot closer
//! that records each slot once every request due in it has ended.

use std::{sync::Arc, time::Duration};

use tokio::{
    sync::{watch, Semaphore},
    time::Instant,
};

use super::{Shared, MIN_SLOT_WALL};
use crate::engine::{
    clock::to_real,
    figures::{Outcome, Sample},
    StreamSender,
};

/// One stream's generator: sends request `n` when it is due, until stopped.
pub(super) async fn generate(
    shared: Arc<Shared>,
    stream: usize,
    sender: Arc<dyn StreamSender>,
    cap: Arc<Semaphore>,
    started: Instant,
    mut stopped: watch::Receiver<bool>,
) {
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
    loop {
        let due = started + rate.due(seq, speed);
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            _ = stopped.changed() => return,
        }
        if *stopped.borrow() {
            return;
        }
        // Send everything due by now (the timer wakes at most ~1 ms late).
        let now = Instant::now();
        let schedule = *shared.schedule.borrow();
        loop {
            let due = started + rate.due(seq, speed);
            if due > now {
                break;
            }
            let offset = schedule.offset_at(due);
            let offset_us = u64::try_from(offset.as_micros()).unwrap_or(u64::MAX);
            if !windows.is_empty()
                && !windows
                    .iter()
                    .any(|(from, to)| (*from..*to).contains(&offset))
            {
                seq += 1;
                continue;
            }
            match cap.clone().try_acquire_owned() {
                Ok(permit) => {
                    shared.sent(offset);
                    let shared = shared.clone();
                    let request = sender.send(seq);
                    tokio::spawn(async move {
                        let outcome = request.await;
                        let latency = due.elapsed();
                        shared.ended(
                            Sample {
                                offset_us,
                                latency_us: u32::try_from(latency.as_micros()).unwrap_or(u32::MAX),
                                stream: index,
                                outcome,
                            },
                            true,
                        );
                        drop(permit);
                    });
                }
                Err(_) => shared.ended(
                    Sample {
                        offset_us,
                        latency_us: 0,
                        stream: index,
                        outcome: Outcome::Dropped,
                    },
                    false,
                ),
            }
            seq += 1;
        }
    }
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
