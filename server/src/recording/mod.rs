//! Recording chaos as it happens (issue 19). One recording at a time captures,
//! in one task per recording:
//! - the actions executions send (their `action_started` events; a dry run's
//!   are left out, since it calls nothing) and the effects proxies report
//!   (`chaos_effect`), read from the engine's live event stream;
//! - injections and clears made by hand ([`Recorder::capture`], called by the
//!   services use cases);
//! - health changes, from probing each recorded service's health endpoint
//!   every [`HEALTH_EVERY`].
//!
//! The task writes what it captured to the store in batches; the store keeps
//! at most the recording's `max_events` and counts the rest as dropped, as it
//! does events lost to a full queue or a lagging live stream. A recording that
//! a crash or a shutdown ended is `interrupted` at the next start-up.
//!
//! [`scenario`] turns a recording into the scenario a replay runs.

pub mod scenario;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::api::{
    recording::{RecordedEvent, RecordedEventType},
    Event, EventKind, ExecutionId,
};
use time::OffsetDateTime;
use tokio::{
    sync::{broadcast, mpsc},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;

use crate::{config::Config, store::Store};

/// How often a recording probes the health of its services.
pub const HEALTH_EVERY: Duration = Duration::from_secs(1);
/// How often captured events are written.
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// Hand-made events waiting to be written; past it they are dropped (and counted).
const QUEUE: usize = 1024;

/// The recorder: which recording captures now, if any.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    active: Arc<Mutex<Option<Active>>>,
}

#[derive(Debug)]
struct Active {
    id: String,
    hand: mpsc::Sender<RecordedEvent>,
    dropped: Arc<AtomicU32>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// What a recording task needs.
pub struct Capture {
    /// The recording's id (its row exists, `recording`).
    pub id: String,
    /// Only these services (empty: all).
    pub services: Vec<String>,
    /// The store to write to.
    pub store: Store,
    /// The services and their health endpoints.
    pub config: Arc<Config>,
    /// For health probes.
    pub client: reqwest::Client,
    /// The engine's live events.
    pub live: broadcast::Receiver<Event>,
}

impl Recorder {
    /// Starts capturing into `capture.id`; false if a recording already is.
    pub fn start(&self, capture: Capture) -> bool {
        let Ok(mut active) = self.active.lock() else {
            return false;
        };
        if active.is_some() {
            return false;
        }
        let (hand, queue) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicU32::new(0));
        let stop = CancellationToken::new();
        let id = capture.id.clone();
        let task = tokio::spawn(run(capture, queue, dropped.clone(), stop.clone()));
        *active = Some(Active {
            id,
            hand,
            dropped,
            stop,
            task,
        });
        true
    }

    /// Stops the recording `id` (any, when `None`) and waits until everything
    /// it captured is written; the id it stopped.
    pub async fn stop(&self, id: Option<&str>) -> Option<String> {
        let active = {
            let mut active = self.active.lock().ok()?;
            if id.is_some_and(|id| active.as_ref().is_some_and(|a| a.id != id)) {
                return None;
            }
            active.take()?
        };
        active.stop.cancel();
        let _ = active.task.await;
        Some(active.id)
    }

    /// Captures an injection or a clear made by hand (the task filters by service).
    pub fn capture(&self, event_type: RecordedEventType, sent: OffsetDateTime) {
        let Ok(active) = self.active.lock() else {
            return;
        };
        let Some(active) = active.as_ref() else {
            return;
        };
        let event = RecordedEvent {
            timestamp: sent,
            event_type,
            metadata: BTreeMap::from([("source".to_owned(), "hand".to_owned())]),
        };
        if active.hand.try_send(event).is_err() {
            active.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The recording task: captures until stopped, then writes the rest.
async fn run(
    mut capture: Capture,
    mut hand: mpsc::Receiver<RecordedEvent>,
    dropped: Arc<AtomicU32>,
    stop: CancellationToken,
) {
    let wanted: HashSet<String> = capture.services.iter().cloned().collect();
    let keep =
        |event: &RecordedEvent| wanted.is_empty() || wanted.contains(event.event_type.service());
    let mut dry_runs: HashSet<ExecutionId> = HashSet::new();
    let mut health: HashMap<String, bool> = HashMap::new();
    let mut pending: Vec<RecordedEvent> = Vec::new();
    let mut live_open = true;
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    let mut probe = tokio::time::interval(HEALTH_EVERY);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => break,
            Some(event) = hand.recv() => {
                if keep(&event) {
                    pending.push(event);
                }
            }
            live = capture.live.recv(), if live_open => match live {
                Ok(event) => {
                    if let Some(event) = from_execution(&event, &mut dry_runs) {
                        if keep(&event) {
                            pending.push(event);
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(lost)) => {
                    let lost = u32::try_from(lost).unwrap_or(u32::MAX);
                    dropped.fetch_add(lost, Ordering::Relaxed);
                }
                Err(broadcast::error::RecvError::Closed) => live_open = false,
            },
            _ = probe.tick() => {
                for event in probe_health(&capture, &wanted, &mut health).await {
                    pending.push(event);
                }
            }
            _ = flush.tick() => write(&capture, &mut pending, &dropped).await,
        }
    }
    while let Ok(event) = hand.try_recv() {
        if keep(&event) {
            pending.push(event);
        }
    }
    while let Ok(event) = capture.live.try_recv() {
        if let Some(event) = from_execution(&event, &mut dry_runs) {
            if keep(&event) {
                pending.push(event);
            }
        }
    }
    write(&capture, &mut pending, &dropped).await;
}

/// Writes what is pending; a store failure is logged and the events counted
/// as dropped, so the recording says it is incomplete.
async fn write(capture: &Capture, pending: &mut Vec<RecordedEvent>, dropped: &AtomicU32) {
    let lost = dropped.swap(0, Ordering::Relaxed);
    if pending.is_empty() && lost == 0 {
        return;
    }
    pending.sort_by_key(|e| e.timestamp);
    let events = std::mem::take(pending);
    if let Err(error) = capture
        .store
        .append_recording_events(&capture.id, &events, lost)
        .await
    {
        tracing::error!(recording = %capture.id, error = %error, "cannot write recorded events");
        let lost = u32::try_from(events.len()).unwrap_or(u32::MAX);
        dropped.fetch_add(lost, Ordering::Relaxed);
    }
}

/// The recorded event an execution's event makes, if it makes one.
fn from_execution(event: &Event, dry_runs: &mut HashSet<ExecutionId>) -> Option<RecordedEvent> {
    let event_type = match &event.kind {
        EventKind::ExecutionStarted { dry_run: true, .. } => {
            dry_runs.insert(event.execution_id);
            return None;
        }
        EventKind::ExecutionFinished { .. } => {
            dry_runs.remove(&event.execution_id);
            return None;
        }
        _ if dry_runs.contains(&event.execution_id) => return None,
        EventKind::ActionStarted {
            service,
            action,
            parameters,
            ..
        } => {
            if crate::adapters::is_clear_action(action) {
                RecordedEventType::ChaosCleared {
                    service: service.clone(),
                }
            } else {
                RecordedEventType::ChaosInjected {
                    service: service.clone(),
                    action: action.clone(),
                    parameters: parameters.as_object().cloned().unwrap_or_default(),
                }
            }
        }
        EventKind::ChaosEffect {
            service,
            count,
            effect,
            ..
        } => RecordedEventType::ChaosEffect {
            service: service.clone(),
            count: *count,
            effect: effect.clone(),
        },
        _ => return None,
    };
    Some(RecordedEvent {
        timestamp: event.at,
        event_type,
        metadata: BTreeMap::from([
            ("source".to_owned(), "execution".to_owned()),
            ("execution_id".to_owned(), event.execution_id.to_string()),
        ]),
    })
}

/// Probes every recorded service's health endpoint at once; the changes
/// since the last probe (the first probe only sets the baseline).
async fn probe_health(
    capture: &Capture,
    wanted: &HashSet<String>,
    last: &mut HashMap<String, bool>,
) -> Vec<RecordedEvent> {
    let probes = capture
        .config
        .services
        .values()
        .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
        .map(|service| async move {
            let url = format!(
                "{}{}",
                service.url.as_str().trim_end_matches('/'),
                service.health_endpoint
            );
            let status = capture
                .client
                .get(url)
                .timeout(HEALTH_EVERY.min(service.timeout))
                .send()
                .await
                .ok()
                .map(|r| r.status());
            (service.name.clone(), status)
        });
    let now = OffsetDateTime::now_utc();
    let mut changes = Vec::new();
    for (service, status) in futures::future::join_all(probes).await {
        let healthy = status.is_some_and(|s| s.is_success());
        let before = last.insert(service.clone(), healthy);
        if before.is_some_and(|before| before != healthy) {
            changes.push(RecordedEvent {
                timestamp: now,
                event_type: RecordedEventType::ServiceHealthChanged {
                    service,
                    healthy,
                    status: status.map(|s| s.as_u16()),
                },
                metadata: BTreeMap::from([("source".to_owned(), "probe".to_owned())]),
            });
        }
    }
    changes
}
