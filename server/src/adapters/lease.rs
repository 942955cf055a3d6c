//! Keeps alive the leases of the faults an execution injected through the
//! fault-injection proxies (docs/proxy.md): while it runs, every
//! `renew_every`, `POST {admin}/proxies/{name}/chaos/lease` with its
//! `X-Execution-Id`. When it ends, however it ends, renewal stops and its
//! proxied faults are cleared (a completed run has no rollback; the chaos it
//! left must not outlive it). When the coordinator dies or loses contact,
//! renewal stops too, and each proxy clears the faults by itself when their
//! leases run out.

use std::{
    collections::{hash_map::Entry, BTreeSet, HashMap},
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::Client;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::engine::ExecutionId;

/// The renewals of every running execution's proxied faults.
#[derive(Debug)]
pub struct Renewals {
    client: Client,
    every: Duration,
    /// Per execution: the chaos API URLs (`…/proxies/{name}/chaos`) whose
    /// `/lease` it renews and whose `/clear` it calls at the end, and the
    /// token that stops it.
    held: Mutex<HashMap<ExecutionId, (BTreeSet<String>, CancellationToken)>>,
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

    /// `execution` holds a fault on the proxied service whose chaos API is
    /// `chaos_url`.
    pub fn hold(self: &Arc<Self>, execution: ExecutionId, chaos_url: String) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.entry(execution) {
            Entry::Occupied(mut entry) => {
                entry.get_mut().0.insert(chaos_url);
            }
            Entry::Vacant(entry) => {
                let stop = CancellationToken::new();
                entry.insert((BTreeSet::from([chaos_url]), stop.clone()));
                tokio::spawn(self.clone().renew(execution, stop));
            }
        }
    }

    /// `execution` ended: its renewals stop and its proxied faults are
    /// cleared (in the background: a proxy that does not answer clears them
    /// anyway when their lease runs out).
    pub fn release(&self, execution: ExecutionId) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let Some((urls, stop)) = held.remove(&execution) else {
            return;
        };
        stop.cancel();
        let client = self.client.clone();
        let timeout = self.every;
        tokio::spawn(async move {
            for chaos_url in urls {
                let clear = format!("{chaos_url}/clear");
                let answer = client
                    .post(&clear)
                    .header("X-Execution-Id", execution.to_string())
                    .json(&json!({}))
                    .timeout(timeout)
                    .send()
                    .await;
                if let Err(error) = answer {
                    tracing::warn!(%execution, clear, %error, "cannot clear the execution's proxied faults; their lease will");
                }
            }
        });
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
            let urls: Vec<String> = {
                let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
                match held.get(&execution) {
                    Some((urls, _)) => urls.iter().cloned().collect(),
                    None => return,
                }
            };
            for chaos_url in urls {
                let url = format!("{chaos_url}/lease");
                let answer = self
                    .client
                    .post(&url)
                    .header("X-Execution-Id", execution.to_string())
                    .json(&json!({}))
                    .timeout(self.every)
                    .send()
                    .await;
                match answer {
                    Ok(reply) if reply.status().is_success() => {
                        let body: Value = reply.json().await.unwrap_or(Value::Null);
                        if body["renewed"].as_array().is_some_and(Vec::is_empty) {
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
