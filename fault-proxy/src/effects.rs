//! What the faults did to the traffic (docs/proxy.md, "Effects").
//!
//! Every request (HTTP) or connection (TCP) a fault touched is counted in the
//! proxies' metrics, `test_coordinator_proxy_requests_total{service,fault}`
//! (`fault="none"` for the untouched ones), and each delay it added is
//! observed in `test_coordinator_proxy_added_latency_seconds{service}`.
//!
//! When the fault belongs to an execution, the effect is also tallied for it,
//! per second and per kind of effect (seed 004's chaos event types), until
//! the execution collects them with its lease renewal or its clear. So an
//! execution's event log grows by at most a few rows a second whatever the
//! traffic, never by one row per request.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};
use serde::{Deserialize, Serialize};

/// Most rows waiting for their executions on one proxy; beyond it, the
/// endpoint of a new row is folded into [`OTHER_ENDPOINT`], then new rows are
/// dropped (and counted).
pub const MAX_ROWS: usize = 4096;
/// Most distinct endpoints per execution, second and kind of effect.
pub const MAX_ENDPOINTS: usize = 32;
/// The endpoint of effects beyond [`MAX_ENDPOINTS`].
pub const OTHER_ENDPOINT: &str = "(other)";
/// Rows older than this are dropped when the tally is full: their execution
/// is gone (its faults' leases ran out long ago).
const STALE_AFTER: u64 = 15 * 60;

/// What one fault did to one request or connection, as an execution's event
/// records it: seed 004's `ChaosEventType`, aggregated over one second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum EventType {
    /// Requests (or connections) were delayed.
    LatencyInjection {
        /// Mean added delay, in ms.
        delay_ms: u64,
        /// Longest added delay, in ms.
        max_delay_ms: u64,
        /// `GET /orders` (HTTP); none for a TCP connection.
        endpoint: Option<String>,
    },
    /// Requests failed on purpose (`error_503`, `abort`, `corrupt_body`,
    /// `reset_peer`, `timeout`, `limit_data`, `blackhole`, …).
    FaultInjection {
        /// What was done.
        fault_type: String,
        /// `GET /orders` (HTTP); none for a TCP connection.
        endpoint: Option<String>,
    },
    /// Requests were answered 429 by a `rate_limit`.
    RateLimitExceeded {
        /// The client's address.
        client_ip: Option<String>,
        /// `GET /orders`.
        endpoint: Option<String>,
    },
    /// Bytes were held back by `bandwidth` or `slicer`.
    TrafficShaping {
        /// `bandwidth` or `slicer`.
        action: String,
        /// Bytes shaped.
        bytes: u64,
    },
}

/// The effects of one kind in one second, for one execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectRow {
    /// The second (Unix time) they happened in.
    pub second: u64,
    /// How many requests or connections (chunks, for traffic shaping).
    pub count: u64,
    /// What was done.
    pub event_type: EventType,
}

/// One effect, before aggregation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Effect {
    /// A delay was added.
    Latency {
        /// Where.
        endpoint: Option<String>,
    },
    /// A failure was made.
    Fault {
        /// What.
        fault_type: String,
        /// Where.
        endpoint: Option<String>,
    },
    /// A 429 was answered.
    RateLimited {
        /// To whom.
        client_ip: Option<String>,
        /// Where.
        endpoint: Option<String>,
    },
    /// Bytes were shaped.
    Shaping {
        /// By which action.
        action: &'static str,
    },
}

impl Effect {
    fn endpoint_mut(&mut self) -> Option<&mut Option<String>> {
        match self {
            Self::Latency { endpoint }
            | Self::Fault { endpoint, .. }
            | Self::RateLimited { endpoint, .. } => Some(endpoint),
            Self::Shaping { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Sums {
    count: u64,
    delay_ms_total: u64,
    delay_ms_max: u64,
    bytes: u64,
}

/// Labels of `test_coordinator_proxy_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FaultLabels {
    /// The proxied service.
    pub service: String,
    /// The action that touched the request, or `none`.
    pub fault: String,
}

/// Labels of `test_coordinator_proxy_added_latency_seconds`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ServiceLabels {
    /// The proxied service.
    pub service: String,
}

type LatencyFamily = Family<ServiceLabels, Histogram, fn() -> Histogram>;

/// The metrics of a set of proxies.
#[derive(Clone)]
pub struct ProxyMetrics {
    requests: Family<FaultLabels, Counter>,
    added_latency: LatencyFamily,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

impl Default for ProxyMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            added_latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
        }
    }
}

impl ProxyMetrics {
    /// Registers the families in `registry`: the coordinator's (embedded
    /// proxies) or the proxy process's own (`GET /metrics` of its chaos API).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "test_coordinator_proxy_requests",
            "Requests (HTTP) or connections (TCP) through the fault-injection proxies, by service and by the fault that touched them (`none`: untouched)",
            self.requests.clone(),
        );
        registry.register(
            "test_coordinator_proxy_added_latency_seconds",
            "Delay the fault-injection proxies added to a request or connection, by service",
            self.added_latency.clone(),
        );
    }
}

/// One proxy's effects: its counters, and the rows waiting for their
/// executions.
pub struct Tally {
    untouched: Counter,
    touched: BTreeMap<&'static str, Counter>,
    added_latency: Histogram,
    rows: Mutex<HashMap<(String, u64, Effect), Sums>>,
    dropped: Counter,
}

impl Tally {
    /// The tally of the proxy `service`, whose faults are `actions`.
    pub fn new(service: &str, actions: &[&'static str], metrics: &ProxyMetrics) -> Self {
        let counter = |fault: &str| {
            metrics
                .requests
                .get_or_create(&FaultLabels {
                    service: service.to_owned(),
                    fault: fault.to_owned(),
                })
                .clone()
        };
        Self {
            untouched: counter("none"),
            touched: actions.iter().map(|a| (*a, counter(a))).collect(),
            added_latency: metrics
                .added_latency
                .get_or_create(&ServiceLabels {
                    service: service.to_owned(),
                })
                .clone(),
            rows: Mutex::default(),
            dropped: Counter::default(),
        }
    }

    /// A request or connection no fault touched.
    pub fn untouched(&self) {
        self.untouched.inc();
    }

    /// The fault `action` (held by `owner`, if anyone) did `effect` to one
    /// request or connection, adding `delay`.
    pub fn hit(&self, action: &str, owner: Option<&str>, effect: Effect, delay: Option<Duration>) {
        if let Some(counter) = self.touched.get(action) {
            counter.inc();
        }
        if let Some(delay) = delay {
            self.added_latency.observe(delay.as_secs_f64());
        }
        if let Some(owner) = owner {
            let delay_ms = delay.map_or(0, |d| d.as_millis() as u64);
            self.add(owner, effect, |sums| {
                sums.count += 1;
                sums.delay_ms_total += delay_ms;
                sums.delay_ms_max = sums.delay_ms_max.max(delay_ms);
            });
        }
    }

    /// `action` (held by `owner`) shaped `bytes` of one chunk.
    pub fn shaped(&self, action: &'static str, owner: Option<&str>, bytes: u64) {
        if let Some(owner) = owner {
            self.add(owner, Effect::Shaping { action }, |sums| {
                sums.count += 1;
                sums.bytes += bytes;
            });
        }
    }

    fn add(&self, owner: &str, mut effect: Effect, update: impl FnOnce(&mut Sums)) {
        let second = unix_second();
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        if rows.len() >= MAX_ROWS {
            rows.retain(|(_, at, _), _| at + STALE_AFTER >= second);
        }
        let key = (owner.to_owned(), second, effect.clone());
        if !rows.contains_key(&key) {
            let same_kind =
                |e: &Effect| std::mem::discriminant(e) == std::mem::discriminant(&effect);
            let endpoints = rows
                .keys()
                .filter(|(o, at, e)| o == owner && *at == second && same_kind(e))
                .count();
            if endpoints >= MAX_ENDPOINTS || rows.len() >= MAX_ROWS {
                if let Some(endpoint) = effect.endpoint_mut() {
                    *endpoint = Some(OTHER_ENDPOINT.to_owned());
                }
            }
        }
        let key = (owner.to_owned(), second, effect);
        if rows.len() >= MAX_ROWS && !rows.contains_key(&key) {
            self.dropped.inc();
            return;
        }
        update(rows.entry(key).or_default());
    }

    /// Takes the rows of `owner`, oldest first.
    pub fn take(&self, owner: &str) -> Vec<EffectRow> {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let mine: Vec<(String, u64, Effect)> = rows
            .keys()
            .filter(|(o, _, _)| o == owner)
            .cloned()
            .collect();
        let mut taken: Vec<EffectRow> = mine
            .into_iter()
            .filter_map(|key| rows.remove_entry(&key))
            .map(|((_, second, effect), sums)| row(second, effect, &sums))
            .collect();
        taken.sort_by_key(|row| row.second);
        taken
    }

    /// Requests or connections so far: `none` (untouched) and per action.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        std::iter::once(("none".to_owned(), self.untouched.get()))
            .chain(self.touched.iter().map(|(a, c)| ((*a).to_owned(), c.get())))
            .collect()
    }

    /// Rows dropped because the tally was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.get()
    }
}

fn row(second: u64, effect: Effect, sums: &Sums) -> EffectRow {
    let event_type = match effect {
        Effect::Latency { endpoint } => EventType::LatencyInjection {
            delay_ms: sums.delay_ms_total / sums.count.max(1),
            max_delay_ms: sums.delay_ms_max,
            endpoint,
        },
        Effect::Fault {
            fault_type,
            endpoint,
        } => EventType::FaultInjection {
            fault_type,
            endpoint,
        },
        Effect::RateLimited {
            client_ip,
            endpoint,
        } => EventType::RateLimitExceeded {
            client_ip,
            endpoint,
        },
        Effect::Shaping { action } => EventType::TrafficShaping {
            action: action.to_owned(),
            bytes: sums.bytes,
        },
    };
    EffectRow {
        second,
        count: sums.count,
        event_type,
    }
}

fn unix_second() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally() -> Tally {
        Tally::new(
            "orders-api",
            &["latency", "error"],
            &ProxyMetrics::default(),
        )
    }

    fn latency(endpoint: &str) -> Effect {
        Effect::Latency {
            endpoint: Some(endpoint.to_owned()),
        }
    }

    #[test]
    fn a_thousand_delayed_requests_in_a_second_are_one_row_with_their_mean_and_max() {
        let tally = tally();
        for i in 0..1000u64 {
            let delay = Duration::from_millis(100 + i % 3);
            tally.hit(
                "latency",
                Some("run-1"),
                latency("GET /orders"),
                Some(delay),
            );
        }
        tally.untouched();
        let rows = tally.take("run-1");
        // Two rows at most: the loop may straddle a second.
        assert!(rows.len() <= 2, "{rows:?}");
        assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), 1000);
        let EventType::LatencyInjection {
            delay_ms,
            max_delay_ms,
            endpoint,
        } = &rows[0].event_type
        else {
            panic!("{rows:?}")
        };
        assert!((100..=102).contains(delay_ms), "{delay_ms}");
        assert_eq!(*max_delay_ms, 102);
        assert_eq!(endpoint.as_deref(), Some("GET /orders"));
        // Taken once: the next renewal gets only what happened since.
        assert!(tally.take("run-1").is_empty());
        assert_eq!(tally.counts()["latency"], 1000);
        assert_eq!(tally.counts()["none"], 1);
    }

    #[test]
    fn each_execution_takes_only_its_own_effects_and_a_manual_fault_tallies_none() {
        let tally = tally();
        tally.hit("latency", Some("run-1"), latency("GET /a"), None);
        tally.hit("latency", Some("run-2"), latency("GET /a"), None);
        tally.hit(
            "error",
            None,
            Effect::Fault {
                fault_type: "error_503".into(),
                endpoint: None,
            },
            None,
        );
        assert_eq!(tally.take("run-2").len(), 1);
        assert_eq!(tally.take("run-1").len(), 1);
        assert_eq!(
            tally.counts()["error"],
            1,
            "a manual fault is still counted"
        );
        assert!(tally.rows.lock().unwrap().is_empty());
    }

    #[test]
    fn endpoints_beyond_the_bound_are_folded_into_one() {
        let tally = tally();
        for i in 0..(MAX_ENDPOINTS + 50) {
            tally.hit(
                "latency",
                Some("run-1"),
                latency(&format!("GET /item/{i}")),
                None,
            );
        }
        let rows = tally.take("run-1");
        assert!(rows.len() <= 2 * (MAX_ENDPOINTS + 1), "{}", rows.len());
        assert!(rows.iter().any(|r| matches!(&r.event_type, EventType::LatencyInjection { endpoint: Some(e), .. } if e == OTHER_ENDPOINT)));
        assert_eq!(
            rows.iter().map(|r| r.count).sum::<u64>(),
            (MAX_ENDPOINTS + 50) as u64
        );
    }

    #[test]
    fn rows_are_seed_004_chaos_events_on_the_wire() {
        let row = EffectRow {
            second: 1_764_600_000,
            count: 3,
            event_type: EventType::RateLimitExceeded {
                client_ip: Some("127.0.0.1".into()),
                endpoint: Some("GET /api/users".into()),
            },
        };
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["event_type"]["type"], "RateLimitExceeded");
        assert_eq!(json["event_type"]["client_ip"], "127.0.0.1");
        assert_eq!(serde_json::from_value::<EffectRow>(json).unwrap(), row);
    }
}
