//! Replicas on one PostgreSQL database (docs/scale-out.md). Each `serve`
//! listens on two channels ([`crate::store::EVENTS_CHANNEL`],
//! [`crate::store::CONTROL_CHANNEL`]):
//! - events another replica stored are read back from the store and handed to
//!   this replica's live viewers, so a WebSocket on any replica follows any
//!   execution (the follower's seq checks re-read the store on any gap);
//! - a control command sent through another replica, for an execution this
//!   one owns, is applied here as if it had been sent here;
//! - an execution joined the shared queue: this replica's claimer looks.
//!
//! Nothing but ids and seqs travels in a notification: the store stays the
//! one source of events, and a notification lost while the listener
//! reconnects costs a viewer only a re-read.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::{
    engine::{Engine, ExecutionId},
    store::{ControlRequest, PostgresUrl, Store, CONTROL_CHANNEL, EVENTS_CHANNEL, QUEUE_CHANNEL},
};

/// Events relayed per store read.
const PAGE: u32 = 1000;

/// Listens until `stopping` is cancelled, reconnecting after a lost connection.
pub fn spawn(url: PostgresUrl, store: Store, engine: Engine, stopping: CancellationToken) {
    tokio::spawn(async move {
        tokio::select! {
            () = listen(&url, &store, &engine) => {}
            () = stopping.cancelled() => {}
        }
    });
}

async fn listen(url: &PostgresUrl, store: &Store, engine: &Engine) {
    loop {
        let mut listener = match connect(url).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, database = %url, "cannot listen for other replicas; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        loop {
            // `try_recv` reports a lost connection as `None` (then reconnects
            // by itself on the next call): notifications sent meanwhile are
            // gone, which a viewer's next gap check makes up for.
            match listener.try_recv().await {
                Ok(Some(notification)) => match notification.channel() {
                    EVENTS_CHANNEL => relay_events(store, engine, notification.payload()).await,
                    CONTROL_CHANNEL => apply_control(engine, notification.payload()),
                    QUEUE_CHANNEL => engine.wake_queue(),
                    _ => {}
                },
                Ok(None) => tracing::warn!(
                    "lost the connection that listens for other replicas; reconnecting"
                ),
                Err(error) => {
                    tracing::warn!(%error, "listening for other replicas failed; reconnecting in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

async fn connect(url: &PostgresUrl) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url.secret()).await?;
    listener
        .listen_all([EVENTS_CHANNEL, CONTROL_CHANNEL, QUEUE_CHANNEL])
        .await?;
    Ok(listener)
}

/// `"<execution> <first> <last> <owner>"` → the events, to this replica's viewers.
async fn relay_events(store: &Store, engine: &Engine, payload: &str) {
    let Some((execution, first, last, owner)) = parse_events(payload) else {
        tracing::debug!(payload, "an events notification that does not parse");
        return;
    };
    // Its own events reached its viewers before they were stored; and with
    // no viewer there is nobody to read them for.
    if owner == engine.owner().id.to_string() || engine.subscribers() == 0 {
        return;
    }
    let mut after = first.checked_sub(1);
    while after.is_none_or(|a| a < last) {
        let page = match store.list_events(execution, after, PAGE).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(%error, %execution, "cannot read events another replica stored");
                return;
            }
        };
        let Some(seq) = page.last().map(|e| e.seq) else {
            return;
        };
        for event in page.into_iter().filter(|e| e.seq <= last) {
            engine.relay(event);
        }
        after = Some(seq);
    }
}

fn parse_events(payload: &str) -> Option<(ExecutionId, u64, u64, &str)> {
    let mut parts = payload.split(' ');
    let execution = parts.next()?.parse().ok()?;
    let first = parts.next()?.parse().ok()?;
    let last = parts.next()?.parse().ok()?;
    let owner = parts.next()?;
    Some((execution, first, last, owner))
}

/// A command for an execution this replica owns, sent through another one.
fn apply_control(engine: &Engine, payload: &str) {
    let request: ControlRequest = match serde_json::from_str(payload) {
        Ok(request) => request,
        Err(error) => {
            tracing::debug!(%error, payload, "a control notification that does not parse");
            return;
        }
    };
    if request.owner != engine.owner().id {
        return;
    }
    if let Err(error) = engine.control_by(request.execution_id, request.command, request.by) {
        tracing::info!(%error, execution = %request.execution_id, "a relayed control command found nothing to control");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_notification_names_execution_range_and_owner() {
        let id = ExecutionId(uuid::Uuid::new_v4());
        let payload = format!("{id} 3 9 0b0e-owner");
        assert_eq!(parse_events(&payload), Some((id, 3, 9, "0b0e-owner")));
        assert_eq!(parse_events("not-an-id 1 2 o"), None);
        assert_eq!(parse_events(&format!("{id} 1")), None);
    }
}
