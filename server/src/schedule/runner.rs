//! The scheduler task: sleeps until the earliest due time of an enabled
//! schedule (or until a schedule changes), decides what is due, and sleeps
//! again. One per `serve`; it starts when serving starts and stops first at
//! shutdown, so nothing is submitted to an engine that is stopping.

use std::{sync::Arc, time::Duration};

use futures::FutureExt;
use jiff::Timestamp;
use tokio::{sync::Notify, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{metrics::Metrics, service::Coordinator};

/// The longest sleep between two looks at the store: a schedule written by
/// another process (a second coordinator on the same database) is seen this late.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// The pause after the store failed, before trying again.
const RETRY: Duration = Duration::from_secs(1);

/// The scheduler's handle: wake it when a schedule changes; start and stop it.
#[derive(Debug, Clone, Default)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    wake: Notify,
    stop: CancellationToken,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Scheduler {
    /// Looks at the schedules again now (one was added, enabled or removed).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Starts the task over `coordinator`'s schedules (once).
    pub fn start(&self, coordinator: Arc<Coordinator>, metrics: Metrics) {
        let Ok(mut task) = self.inner.task.lock() else {
            return;
        };
        if task.is_some() {
            return;
        }
        let inner = self.inner.clone();
        *task = Some(tokio::spawn(async move {
            run(&coordinator, &metrics, &inner).await;
        }));
    }

    /// Stops the task and waits for the firing in progress to end.
    pub async fn shutdown(&self) {
        self.inner.stop.cancel();
        let task = self.inner.task.lock().ok().and_then(|mut task| task.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

async fn run(coordinator: &Coordinator, metrics: &Metrics, inner: &Inner) {
    tracing::info!("scheduler started");
    loop {
        if inner.stop.is_cancelled() {
            break;
        }
        // A panic in one tick (a bug) must not end the scheduler: it is
        // logged, and the next tick tries again.
        let fired = std::panic::AssertUnwindSafe(coordinator.fire_due(metrics))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                Err(app::api::ApiError::new(
                    app::api::ErrorKind::Internal,
                    "a scheduler tick panicked",
                ))
            });
        let wait = match fired {
            // A full batch: more may be due already.
            Ok(count) if count >= crate::service::DUE_PER_TICK as usize => Duration::ZERO,
            Ok(_) => match coordinator.store.earliest_due().await {
                Ok(Some(due)) => {
                    let ahead = due - Timestamp::now().as_millisecond();
                    Duration::from_millis(u64::try_from(ahead).unwrap_or(0)).min(MAX_SLEEP)
                }
                Ok(None) => MAX_SLEEP,
                Err(error) => {
                    tracing::error!(%error, "the scheduler cannot read the store");
                    RETRY
                }
            },
            Err(error) => {
                tracing::error!(error = %error.message, "the scheduler cannot read the store");
                RETRY
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = inner.wake.notified() => {}
            () = inner.stop.cancelled() => break,
        }
    }
    tracing::info!("scheduler stopped");
}
