//! Keeps alive the leases of the faults an execution injected through the
//! fault-injection proxies (docs/proxy.md): while it runs, every
//! `renew_every`, `POST {admin}/proxies/{name}/chaos/lease` with its
//! `X-Execution-Id`. When it ends, however it ends, renewal stops and its
//! proxied faults are cleared (a completed run has no rollback; the chaos it
//! left must not outlive it). When the coordinator dies or loses contact,
//! renewal stops too, and each proxy clears the faults by itself when their
//! leases run out.
//!
//! Each renewal and clear answers with what the execution's faults did since
//! the last one (per second, per kind: docs/proxy.md, "Effects"); they are
//! recorded as the execution's `chaos_effect` events.

use std::{
    collections::{hash_map::Entry, BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::Client;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use app::api::{
    event::EventKind,
    proxy::{ProxyClearing, ProxyEffectRow, ProxyRenewal},
};

use crate::engine::{EffectSink, ExecutionId};

/// The renewals of every running execution's proxied faults.
#[derive(Debug)]
pub struct Renewals {
    client: Client,
    every: Duration,
    held: Mutex<HashMap<ExecutionId, Held>>,
}

/// A proxied service's chaos API: its URL (`…/proxies/{name}/chaos`) and
/// the proxies' bearer token, if they ask for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaosApi {
    /// The URL, without a trailing `/`.
    pub url: String,
    /// `proxy.token`.
    pub token: Option<String>,
}

impl ChaosApi {
    fn post(&self, client: &Client, path: &str, execution: ExecutionId) -> reqwest::RequestBuilder {
        let request = client
            .post(format!("{}/{path}", self.url))
            .header("X-Execution-Id", execution.to_string())
            .json(&json!({}));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }
}

/// What one execution holds.
#[derive(Debug)]
struct Held {
    /// Per proxied service: the chaos API whose `/lease` it renews and whose
    /// `/clear` it calls at the end.
    urls: BTreeMap<String, ChaosApi>,
    /// Stops its renewals.
    stop: CancellationToken,
    /// Where its faults' effects go.
    effects: EffectSink,
}

/// Records the `effects` a proxy answered for `service` as events.
pub fn report_effects(service: &str, effects: Vec<ProxyEffectRow>, sink: &EffectSink) {
    for row in effects {
        sink.emit(EventKind::ChaosEffect {
            service: service.to_owned(),
            second: row.second,
            count: row.count,
            effect: row.event_type,
        });
    }
}

impl Renewals {
    /// Renewals sent with `client` every `every`.
    pub fn new(client: Client, every: Duration) -> Self {
        Self {
            client,
            every,
            held: Mutex::default(),
        }
    }

    /// `execution` holds a fault on the proxied `service` whose chaos API is
    /// `chaos_url`; what its faults do goes to `effects`.
    pub fn hold(
        self: &Arc<Self>,
        execution: ExecutionId,
        chaos_url: ChaosApi,
        service: &str,
        effects: &EffectSink,
    ) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.entry(execution) {
            Entry::Occupied(mut entry) => {
                entry.get_mut().urls.insert(service.to_owned(), chaos_url);
            }
            Entry::Vacant(entry) => {
                let stop = CancellationToken::new();
                entry.insert(Held {
                    urls: BTreeMap::from([(service.to_owned(), chaos_url)]),
                    stop: stop.clone(),
                    effects: effects.clone(),
                });
                tokio::spawn(self.clone().renew(execution, stop));
            }
        }
    }

    /// `execution` is ending: its renewals stop, its proxied faults are
    /// cleared and their last effects recorded, then its sink closes. A
    /// proxy that does not answer clears them anyway when their lease runs
    /// out.
    pub async fn settle(&self, execution: ExecutionId) {
        let Some(held) = self.stop(execution) else {
            return;
        };
        for (service, chaos_url) in &held.urls {
            if let Some(clearing) = self.clear(execution, chaos_url).await {
                report_effects(service, clearing.effects, &held.effects);
            }
        }
        held.effects.close();
    }

    /// `execution` ended (settled already, or cut short): its renewals stop
    /// and its proxied faults are cleared, in the background.
    pub fn release(self: &Arc<Self>, execution: ExecutionId) {
        let Some(held) = self.stop(execution) else {
            return;
        };
        held.effects.close();
        let this = self.clone();
        tokio::spawn(async move {
            for chaos_url in held.urls.values() {
                this.clear(execution, chaos_url).await;
            }
        });
    }

    /// Stops `execution`'s renewals and hands over what it held, if anything.
    fn stop(&self, execution: ExecutionId) -> Option<Held> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&execution)?;
        held.stop.cancel();
        Some(held)
    }

    /// `POST {chaos_url}/clear` for `execution`: its answer, if any.
    async fn clear(&self, execution: ExecutionId, chaos_url: &ChaosApi) -> Option<ProxyClearing> {
        let clear = format!("{}/clear", chaos_url.url);
        let answer = chaos_url
            .post(&self.client, "clear", execution)
            .timeout(self.every)
            .send()
            .await;
        match answer {
            Ok(reply) if reply.status().is_success() => match reply.json().await {
                Ok(clearing) => Some(clearing),
                Err(error) => {
                    tracing::warn!(%execution, clear, %error, "the proxy's clear answer is not in the expected shape");
                    None
                }
            },
            Ok(reply) => {
                tracing::warn!(%execution, clear, status = %reply.status(), "the proxy refused to clear the execution's faults; their lease will");
                None
            }
            Err(error) => {
                tracing::warn!(%execution, clear, %error, "cannot clear the execution's proxied faults; their lease will");
                None
            }
        }
    }

    /// How many executions hold proxied faults.
    pub fn holding(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    async fn renew(self: Arc<Self>, execution: ExecutionId, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.every) => {}
                () = stop.cancelled() => return,
            }
            let (urls, effects) = {
                let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
                match held.get(&execution) {
                    Some(held) => (held.urls.clone(), held.effects.clone()),
                    None => return,
                }
            };
            for (service, chaos_url) in urls {
                let url = format!("{}/lease", chaos_url.url);
                let answer = chaos_url
                    .post(&self.client, "lease", execution)
                    .timeout(self.every)
                    .send()
                    .await;
                match answer {
                    Ok(reply) if reply.status().is_success() => {
                        let Ok(renewal) = reply.json::<ProxyRenewal>().await else {
                            tracing::warn!(%execution, url, "the proxy's renewal answer is not in the expected shape");
                            continue;
                        };
                        report_effects(&service, renewal.effects, &effects);
                        if renewal.renewed.is_empty() {
                            tracing::warn!(%execution, url, "the proxy holds none of this execution's faults any more (their lease ran out or they were cleared)");
                        }
                    }
                    Ok(reply) => {
                        tracing::warn!(%execution, url, status = %reply.status(), "lease renewal refused");
                    }
                    Err(error) => {
                        tracing::warn!(%execution, url, %error, "lease renewal failed; the proxy clears the faults if this goes on");
                    }
                }
            }
        }
    }
}
