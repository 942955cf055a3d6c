//! The seed's `config` block (MockForge's ChaosConfig) → fault-proxy faults.
//!
//! A step written `scenario: {config: {...}}` injects faults on one service
//! through its fault-injection proxy (docs/proxy.md) for the step's
//! `duration_seconds`. The seed's keys map onto the proxy's actions:
//!
//! | seed key | proxy action | parameters |
//! |---|---|---|
//! | `service` (required) | — | the catalog service whose actions include the ones below |
//! | `enabled` (default `true`) | — | `false`: nothing is injected, the step is a quiet period |
//! | `latency: {fixed_delay_ms, jitter_ms, probability, path}` | `latency` | `latency`, `jitter`, `toxicity`, `path` |
//! | `rate_limit: {requests_per_second, burst_size, path}` | `rate_limit` | `requests_per_second`, `burst`, `path` |
//! | `fault_injection: {http_errors, http_error_probability (default 1), path}` | one `error` per code | `status`, `toxicity` (see [`split_error_probability`]), `path` |
//! | `traffic_shaping: {bandwidth_limit_bps}` | `bandwidth` (TCP proxies only) | `rate` = ⌈bps / 1000⌉ KB/s |
//!
//! The faults come in the order their blocks are written. The seed's own bounds
//! are checked here (required keys, [`MAX_FIXED_DELAY_MS`], [`MAX_HTTP_ERRORS`],
//! [`MIN_BANDWIDTH_BPS`], probabilities from 0 to 1, error codes from 400 to
//! 599, `requests_per_second` above 0, `burst_size` at least 1); whether the service has the actions, and accepts the values, is checked
//! against the catalog by
//! [`validate_orchestration`](super::validate_orchestration), which names the seed's
//! keys in its messages.

use super::model::{Fault, StepScenario};
use super::reader::{key_path, Reader, Shape};
use super::structure::{placeholder, SourceSite};
use crate::scenario::diagnostic::{DiagnosticKind, Position};
use crate::scenario::document::{item_path, Entry, Node, NodeValue};
use serde_json::{Map, Value};

/// The longest `latency.fixed_delay_ms` (and `jitter_ms`): 10 minutes, the proxy's limit.
pub const MAX_FIXED_DELAY_MS: i64 = 600_000;
/// The most codes in `fault_injection.http_errors`.
pub const MAX_HTTP_ERRORS: usize = 10;
/// The smallest `traffic_shaping.bandwidth_limit_bps`: 1 KB/s, the proxy's unit.
pub const MIN_BANDWIDTH_BPS: i64 = 1000;

const CONFIG: &[&str] = &[
    "service",
    "enabled",
    "latency",
    "rate_limit",
    "fault_injection",
    "traffic_shaping",
];
const LATENCY: &[&str] = &["fixed_delay_ms", "jitter_ms", "probability", "path"];
const RATE_LIMIT: &[&str] = &["requests_per_second", "burst_size", "path"];
const FAULT_INJECTION: &[&str] = &["http_errors", "http_error_probability", "path"];
const TRAFFIC_SHAPING: &[&str] = &["bandwidth_limit_bps"];

/// The `toxicity` of each of `count` error faults so that together they answer
/// `probability` of the requests, each code an equal share `probability / count`.
///
/// The proxy tries its faults in order and the first error whose roll succeeds
/// answers the request, so a later fault only sees the requests the earlier
/// ones let through. Code `i` (from 0) sees `1 - i·p/n` of them; to catch `p/n`
/// of *all* requests it needs toxicity `(p/n) / (1 - i·p/n)`. With `p = 0.5` and
/// two codes: 0.25, then 0.25 / 0.75 = 1/3.
pub fn split_error_probability(probability: f64, count: usize) -> Vec<f64> {
    #[allow(clippy::cast_precision_loss)] // at most MAX_HTTP_ERRORS
    let share = probability / count.max(1) as f64;
    (0..count)
        .map(|index| {
            #[allow(clippy::cast_precision_loss)]
            let left = 1.0 - index as f64 * share;
            if left <= 0.0 {
                1.0
            } else {
                // Rounding may push the last share a hair above 1.
                (share / left).clamp(0.0, 1.0)
            }
        })
        .collect()
}

/// One fault made from a seed block, with where its values were written.
#[derive(Debug, Clone)]
pub(super) struct FaultSite {
    /// The fault as far as it could be made.
    pub fault: Fault,
    /// The seed's block (`latency`, `fault_injection`…).
    pub block: &'static str,
    /// The block's path.
    pub path: String,
    /// Where the block's key is written.
    pub key_position: Position,
    /// Where each parameter came from.
    pub parameters: Vec<ParameterSite>,
    /// Whether every value of the block was read: the catalog checks a
    /// parameter only then (a broken value is already reported).
    pub settled: bool,
}

/// Where a fault's parameter came from.
#[derive(Debug, Clone)]
pub(super) struct ParameterSite {
    /// The proxy's name for it.
    pub parameter: &'static str,
    /// The seed's key that set it (`fixed_delay_ms`, `http_errors[1]`).
    pub seed_key: String,
    /// The seed value's path.
    pub path: String,
    /// Where the seed value is (the block's key for a default).
    pub position: Position,
    /// Whether the value was computed from the seed's rather than copied.
    pub derived: bool,
}

impl FaultSite {
    fn new(block: &'static str, action: &str, path: &str, entry: &Entry) -> Self {
        Self {
            fault: Fault {
                action: action.to_owned(),
                parameters: Map::new(),
            },
            block,
            path: path.to_owned(),
            key_position: entry.key_position,
            parameters: Vec::new(),
            settled: true,
        }
    }

    fn set(&mut self, parameter: &'static str, seed: &Seed<'_>, value: Value, derived: bool) {
        self.fault.parameters.insert(parameter.to_owned(), value);
        self.parameters.push(ParameterSite {
            parameter,
            seed_key: seed.key.to_owned(),
            path: seed.path.clone(),
            position: seed.position,
            derived,
        });
    }

    /// The site of `parameter`, when the fault has it.
    pub(super) fn parameter(&self, parameter: &str) -> Option<&ParameterSite> {
        self.parameters
            .iter()
            .find(|site| site.parameter == parameter)
    }
}

/// A seed value being read: its key, path and position.
struct Seed<'n> {
    key: String,
    path: String,
    node: &'n Node,
    position: Position,
}

impl Seed<'_> {
    fn in_block<'n>(block: &'n Node, block_path: &str, key: &str) -> Option<Seed<'n>> {
        let node = block.get(key)?;
        Some(Seed {
            key: key.to_owned(),
            path: key_path(block_path, key),
            node,
            position: node.position,
        })
    }
}

impl Reader {
    /// A step's `config` block: the faults it makes on its service.
    pub(super) fn config<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
    ) -> (StepScenario, Option<SourceSite<'n>>) {
        let shape = Shape {
            what: "a `config` block",
            keys: CONFIG,
            required: &["service"],
        };
        let Some(entries) = self.mapping(node, path, &shape) else {
            return (placeholder(), None);
        };
        let enabled = self.flag(node.get("enabled"), &key_path(path, "enabled"), true);
        let mut sites = Vec::new();
        let mut blocks = 0;
        for entry in entries {
            let block_path = key_path(path, &entry.key);
            let made = match entry.key.as_str() {
                "latency" => vec![self.latency(entry, &block_path)],
                "rate_limit" => vec![self.rate_limit(entry, &block_path)],
                "fault_injection" => self.fault_injection(entry, &block_path),
                "traffic_shaping" => vec![self.traffic_shaping(entry, &block_path)],
                _ => continue,
            };
            blocks += 1;
            sites.extend(made);
        }
        if enabled && blocks == 0 {
            self.structure(path, node.position, "this `config` injects no fault")
                .hint = Some(
                "add `latency`, `rate_limit`, `fault_injection` or `traffic_shaping`, or write `enabled: false` for a quiet period"
                    .to_owned(),
            );
        }
        let Some(service_node) = node.get("service") else {
            return (placeholder(), None);
        };
        let service_path = key_path(path, "service");
        let Some(service) = self.word(service_node, &service_path) else {
            return (placeholder(), None);
        };
        let scenario = StepScenario::Faults {
            service: service.clone(),
            enabled,
            faults: sites.iter().map(|site| site.fault.clone()).collect(),
        };
        let site = SourceSite::Faults {
            service,
            path: service_path,
            position: service_node.position,
            faults: sites,
        };
        (scenario, Some(site))
    }

    /// Starts the fault of a block: reports its unknown and missing keys; the
    /// site is unsettled when the block is not a mapping or misses a key.
    fn block(
        &mut self,
        entry: &Entry,
        path: &str,
        shape: &Shape,
        action: &str,
    ) -> (FaultSite, bool) {
        let mut site = FaultSite::new(shape.what, action, path, entry);
        let readable = self.mapping(&entry.value, path, shape).is_some();
        let complete = shape
            .required
            .iter()
            .all(|key| entry.value.get(key).is_some());
        site.settled = readable && complete;
        (site, readable)
    }

    /// An integer seed value in `min..=max`, set as `parameter`.
    fn seed_integer(
        &mut self,
        site: &mut FaultSite,
        seed: Option<Seed<'_>>,
        parameter: &'static str,
        range: std::ops::RangeInclusive<i64>,
    ) {
        let Some(seed) = seed else { return };
        let kind = DiagnosticKind::InvalidParameter;
        match self.integer(seed.node, &seed.path, kind, range) {
            Some(value) => site.set(parameter, &seed, value.into(), false),
            None => site.settled = false,
        }
    }

    /// A probability, from 0 to 1.
    fn seed_fraction(&mut self, site: &mut FaultSite, seed: &Seed<'_>) -> Option<f64> {
        let Some(value) = self.number(seed.node, &seed.path) else {
            site.settled = false;
            return None;
        };
        if !(0.0..=1.0).contains(&value) {
            let message = format!("`{}` is {value}; a probability is from 0 to 1", seed.key);
            let kind = DiagnosticKind::InvalidParameter;
            self.error(kind, &seed.path, seed.position, message).hint =
                Some("0.25 means a quarter of the requests".to_owned());
            site.settled = false;
            return None;
        }
        Some(value)
    }

    /// The optional `path` filter, copied as it is.
    fn seed_path(&mut self, site: &mut FaultSite, block: &Node, block_path: &str) {
        let Some(seed) = Seed::in_block(block, block_path, "path") else {
            return;
        };
        match self.word(seed.node, &seed.path) {
            Some(pattern) => site.set("path", &seed, pattern.into(), false),
            None => site.settled = false,
        }
    }

    fn latency(&mut self, entry: &Entry, path: &str) -> FaultSite {
        let shape = Shape {
            what: "latency",
            keys: LATENCY,
            required: &["fixed_delay_ms"],
        };
        let (mut site, readable) = self.block(entry, path, &shape, "latency");
        if !readable {
            return site;
        }
        let block = &entry.value;
        let delays = 0..=MAX_FIXED_DELAY_MS;
        let seed = Seed::in_block(block, path, "fixed_delay_ms");
        self.seed_integer(&mut site, seed, "latency", delays.clone());
        let seed = Seed::in_block(block, path, "jitter_ms");
        self.seed_integer(&mut site, seed, "jitter", delays);
        if let Some(seed) = Seed::in_block(block, path, "probability") {
            if let Some(value) = self.seed_fraction(&mut site, &seed) {
                site.set("toxicity", &seed, value.into(), false);
            }
        }
        self.seed_path(&mut site, block, path);
        site
    }

    fn rate_limit(&mut self, entry: &Entry, path: &str) -> FaultSite {
        let shape = Shape {
            what: "rate_limit",
            keys: RATE_LIMIT,
            required: &["requests_per_second"],
        };
        let (mut site, readable) = self.block(entry, path, &shape, "rate_limit");
        if !readable {
            return site;
        }
        let block = &entry.value;
        if let Some(seed) = Seed::in_block(block, path, "requests_per_second") {
            match self.number(seed.node, &seed.path) {
                Some(rate) if rate > 0.0 => {
                    site.set("requests_per_second", &seed, rate.into(), false);
                }
                Some(rate) => {
                    let message = format!("`requests_per_second` is {rate}; it must be above 0");
                    self.error(
                        DiagnosticKind::InvalidParameter,
                        &seed.path,
                        seed.position,
                        message,
                    )
                    .hint =
                        Some("for no requests at all, inject `fault_injection` instead".to_owned());
                    site.settled = false;
                }
                None => site.settled = false,
            }
        }
        let seed = Seed::in_block(block, path, "burst_size");
        self.seed_integer(&mut site, seed, "burst", 1..=i64::MAX);
        self.seed_path(&mut site, block, path);
        site
    }

    fn fault_injection(&mut self, entry: &Entry, path: &str) -> Vec<FaultSite> {
        let shape = Shape {
            what: "fault_injection",
            keys: FAULT_INJECTION,
            required: &["http_errors"],
        };
        let (mut template, readable) = self.block(entry, path, &shape, "error");
        if !readable {
            return vec![template];
        }
        let block = &entry.value;
        let given = Seed::in_block(block, path, "http_error_probability");
        let probability = match &given {
            Some(seed) => self.seed_fraction(&mut template, seed),
            None => Some(1.0),
        };
        // Without a probability every request gets an error; a diagnostic
        // about the toxicities then points at the block.
        let probability_seed = given.unwrap_or_else(|| Seed {
            key: "http_error_probability".to_owned(),
            path: key_path(path, "http_error_probability"),
            node: block,
            position: entry.key_position,
        });
        self.seed_path(&mut template, block, path);
        let Some(codes) = self.http_errors(block, path, &mut template) else {
            return vec![template];
        };
        let toxicities = split_error_probability(probability.unwrap_or(1.0), codes.len());
        codes
            .into_iter()
            .zip(toxicities)
            .map(|(code, toxicity)| {
                let mut site = template.clone();
                if let Some((status, seed)) = code {
                    site.set("status", &seed, status.into(), false);
                } else {
                    site.settled = false;
                }
                if probability.is_some() {
                    site.set("toxicity", &probability_seed, toxicity.into(), true);
                }
                site
            })
            .collect()
    }

    /// The codes of `http_errors`, each read or `None`; `None` when the list is
    /// not one, is empty or is too long.
    #[allow(clippy::type_complexity)] // one code per item, kept with where it was written
    fn http_errors<'n>(
        &mut self,
        block: &'n Node,
        path: &str,
        template: &mut FaultSite,
    ) -> Option<Vec<Option<(i64, Seed<'n>)>>> {
        let list = Seed::in_block(block, path, "http_errors")?;
        let NodeValue::Sequence(items) = &list.node.value else {
            self.wrong_type(list.node, &list.path, "a list of HTTP status codes");
            template.settled = false;
            return None;
        };
        let count = items.len();
        if count == 0 || count > MAX_HTTP_ERRORS {
            let message =
                format!("`http_errors` has {count} codes; it takes 1 to {MAX_HTTP_ERRORS}");
            self.error(
                DiagnosticKind::InvalidParameter,
                &list.path,
                list.position,
                message,
            )
            .hint = Some("write e.g. `http_errors: [500, 503]`".to_owned());
            template.settled = false;
            return None;
        }
        let codes = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let seed = Seed {
                    key: item_path("http_errors", index),
                    path: item_path(&list.path, index),
                    node: item,
                    position: item.position,
                };
                let kind = DiagnosticKind::InvalidParameter;
                let status = self.integer(item, &seed.path, kind, 400..=599)?;
                Some((status, seed))
            })
            .collect();
        Some(codes)
    }

    fn traffic_shaping(&mut self, entry: &Entry, path: &str) -> FaultSite {
        let shape = Shape {
            what: "traffic_shaping",
            keys: TRAFFIC_SHAPING,
            required: &["bandwidth_limit_bps"],
        };
        let (mut site, readable) = self.block(entry, path, &shape, "bandwidth");
        if !readable {
            return site;
        }
        let Some(seed) = Seed::in_block(&entry.value, path, "bandwidth_limit_bps") else {
            return site;
        };
        let kind = DiagnosticKind::InvalidParameter;
        match self.integer(seed.node, &seed.path, kind, MIN_BANDWIDTH_BPS..=i64::MAX) {
            Some(bps) => {
                // The proxy counts KB/s (1 KB = 1,000 bytes); never round down to less.
                let rate = bps.unsigned_abs().div_ceil(1000);
                site.set("rate", &seed, rate.into(), true);
            }
            None => site.settled = false,
        }
        site
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_codes_at_half_split_into_a_quarter_then_a_third() {
        let toxicities = split_error_probability(0.5, 2);
        assert_eq!(toxicities.len(), 2);
        assert!((toxicities[0] - 0.25).abs() < 1e-12);
        assert!((toxicities[1] - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn each_code_catches_an_equal_share_of_all_requests() {
        for (probability, count) in [(1.0, 1), (1.0, 3), (0.3, 4), (0.9, 10), (0.0, 2)] {
            let toxicities = split_error_probability(probability, count);
            let mut left = 1.0;
            for toxicity in toxicities {
                assert!((0.0..=1.0).contains(&toxicity));
                let caught = left * toxicity;
                assert!((caught - probability / count as f64).abs() < 1e-9);
                left -= caught;
            }
        }
    }
}
