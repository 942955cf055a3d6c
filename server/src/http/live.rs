//! Replay-then-follow of an execution's events, shared by the WebSocket and the
//! Server-Sent-Events logs endpoint: subscribe first, replay what the store has
//! after `since`, then forward live events, skipping any `seq` already sent. A
//! viewer that falls behind the broadcast is re-fed from the store, so it sees
//! every event exactly once, in order, and never slows the engine.

use std::sync::Arc;

use tokio::sync::{broadcast::error::RecvError, mpsc};

use crate::{
    engine::{
        event::{Event, EventKind},
        ExecutionId,
    },
    service::Coordinator,
};

/// Events sent per store read while replaying.
const PAGE: u32 = 1000;

/// Streams `id`'s events after `since` into `out` until the execution ends or
/// the receiver goes away.
pub async fn follow(
    coordinator: Arc<Coordinator>,
    id: ExecutionId,
    since: Option<u64>,
    out: mpsc::Sender<Event>,
) {
    let mut live = coordinator.subscribe();
    let mut last = since;
    let key = id.to_string();
    // Replay (and re-feed after lagging) from the store.
    loop {
        let Ok(page) = coordinator.execution_events(&key, last, PAGE).await else {
            return;
        };
        let full = page.len() as u32 == PAGE;
        for event in page {
            last = Some(event.seq);
            let done = matches!(event.kind, EventKind::ExecutionFinished { .. });
            if out.send(event).await.is_err() || done {
                return;
            }
        }
        if full {
            continue;
        }
        // Everything stored was sent; an execution that has ended will send no more.
        match coordinator.execution_status(&key).await {
            Ok(status) if status.is_finished() => return,
            Ok(_) => {}
            Err(_) => return,
        }
        // Follow live.
        loop {
            match live.recv().await {
                Ok(event) if event.execution_id == id => {
                    if last.is_some_and(|l| event.seq <= l) {
                        continue;
                    }
                    if last.map_or(event.seq != 0, |l| event.seq != l + 1) {
                        // A gap: an event was stored before we subscribed; re-read.
                        break;
                    }
                    last = Some(event.seq);
                    let done = matches!(event.kind, EventKind::ExecutionFinished { .. });
                    if out.send(event).await.is_err() || done {
                        return;
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => break,
                Err(RecvError::Closed) => return,
            }
        }
    }
}

/// Every live event of every execution (no replay), until the receiver goes away.
pub async fn follow_all(coordinator: Arc<Coordinator>, out: mpsc::Sender<Event>) {
    let mut live = coordinator.subscribe();
    loop {
        match live.recv().await {
            Ok(event) => {
                if out.send(event).await.is_err() {
                    return;
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "a live viewer of all executions fell behind");
            }
            Err(RecvError::Closed) => return,
        }
    }
}
