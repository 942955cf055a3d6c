//! The steady-state workload (DESIGN.md §7): the traffic a scenario drives for its
//! whole execution, the steady state it must return to after chaos, and the
//! `metric` assertions that judge both.
//!
//! ```yaml
//! spec:
//!   workload:
//!     streams:
//!       - name: orders
//!         service: exchange-simulator
//!         method: POST
//!         path: /api/v1/orders
//!         body: {account: "load-${stream}", client_order_id: "${execution_id}-${seq}"}
//!         rate: 50                        # requests per second, or {from: 10, to: 200, over: 1m}
//!         concurrency: 256                # in-flight cap; a request due above it is dropped
//!         timeout: 2s
//!         phases: [burst]                 # only during these phases (absent: throughout)
//!     steady_state:
//!       p95_latency_ms: 150
//!       failure_rate: 0.005
//!       for: 5s
//! ```
//!
//! Rates are real requests per wall-clock second (load is real even when the
//! scenario runs faster); everything else time-like — phases, windows, `for`, the
//! recovery time — is scenario time, like every other duration in a scenario.
//!
//! Body strings may hold `${seq}` (the request's number in its stream, from 0),
//! `${stream}` and `${execution_id}`; `{{ … }}` stays the template language's.
//!
//! This module is data and the `metric` expression language; the engine's
//! `workload` module drives the traffic and computes the figures.

use super::duration::{format_duration, parse_duration, serde_text, serde_text_option};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The scenario's traffic and its steady state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// One or more request streams, each on its own schedule.
    pub streams: Vec<Stream>,
    /// What "recovered" means; without it no recovery time is measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_state: Option<SteadyState>,
}

/// One stream of requests to one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stream {
    /// Unique within the workload; figures are reported under it.
    pub name: String,
    /// The catalog's name of the target service.
    pub service: String,
    /// HTTP method (`GET` when absent).
    #[serde(default = "default_method")]
    pub method: String,
    /// Path on the service, from `/`.
    pub path: String,
    /// Extra request headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// JSON body (with `${seq}`, `${stream}`, `${execution_id}` in its strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// How many requests per second.
    pub rate: Rate,
    /// At most this many requests in flight; one due above it is dropped and
    /// counted as a failure (never delayed: that would hide latency).
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// A request without an answer after this long is a failure.
    #[serde(with = "serde_text", default = "default_timeout")]
    pub timeout: Duration,
    /// Only during these phases (a burst); throughout when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<String>,
}

fn default_method() -> String {
    "GET".to_owned()
}

/// The in-flight cap when a stream sets none.
pub const DEFAULT_CONCURRENCY: u32 = 1024;

fn default_concurrency() -> u32 {
    DEFAULT_CONCURRENCY
}

/// The request timeout when a stream sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}

/// The highest rate one stream may ask for.
pub const MAX_RATE: f64 = 100_000.0;

/// A stream's request rate (per wall-clock second).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Rate {
    /// The same rate throughout.
    Constant(f64),
    /// From `from` to `to` linearly over `over` (scenario time), then `to`.
    Ramp {
        /// Rate at the start.
        from: f64,
        /// Rate from the end of the ramp on.
        to: f64,
        /// Length of the ramp (scenario time).
        #[serde(with = "serde_text")]
        over: Duration,
    },
}

impl Rate {
    /// The rate at `elapsed` wall-clock time, for a run at `speed`.
    pub fn at(&self, elapsed: Duration, speed: f64) -> f64 {
        match *self {
            Rate::Constant(rate) => rate,
            Rate::Ramp { from, to, over } => {
                let length = over.as_secs_f64() / speed;
                if length <= 0.0 || elapsed.as_secs_f64() >= length {
                    to
                } else {
                    from + (to - from) * elapsed.as_secs_f64() / length
                }
            }
        }
    }

    /// When (wall-clock time from the start) request number `n` (from 0) is due,
    /// for a run at `speed`: the inverse of the rate's integral, so a schedule
    /// never drifts however long it runs.
    pub fn due(&self, n: u64, speed: f64) -> Duration {
        let n = n as f64;
        let seconds = match *self {
            Rate::Constant(rate) => n / rate,
            Rate::Ramp { from, to, over } => {
                let length = over.as_secs_f64() / speed.max(f64::MIN_POSITIVE);
                let ramp_count = (from + to) / 2.0 * length;
                if n >= ramp_count || length <= 0.0 {
                    length.max(0.0) + (n - ramp_count.max(0.0)) / to
                } else if (to - from).abs() < f64::EPSILON {
                    n / from
                } else {
                    // n = from·t + (to − from)·t² / (2·length), solved for t ≥ 0.
                    let slope = (to - from) / length;
                    (-from + (from * from + 2.0 * slope * n).max(0.0).sqrt()) / slope
                }
            }
        };
        Duration::from_secs_f64(seconds.max(0.0))
    }

    /// The highest rate it reaches.
    pub fn peak(&self) -> f64 {
        match *self {
            Rate::Constant(rate) => rate,
            Rate::Ramp { from, to, .. } => from.max(to),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Constant(rate) => write!(f, "{rate}/s"),
            Rate::Ramp { from, to, over } => {
                write!(f, "{from}/s → {to}/s over {}", format_duration(*over))
            }
        }
    }
}

/// What the steady state is: thresholds that must all hold for `for`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SteadyState {
    /// p95 latency at most this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_latency_ms: Option<f64>,
    /// p99 latency at most this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_latency_ms: Option<f64>,
    /// Failed requests at most this fraction (0.005 = 0.5 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_rate: Option<f64>,
    /// How long (scenario time) the thresholds must hold without a break.
    #[serde(rename = "for", with = "serde_text", default = "default_hold")]
    pub hold_for: Duration,
    /// The length of the slots the thresholds are judged on (scenario time;
    /// 1 s when absent, and never shorter than 50 ms of wall-clock time).
    #[serde(
        default,
        with = "serde_text_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub resolution: Option<Duration>,
}

/// `steady_state.for` when absent.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(5);

fn default_hold() -> Duration {
    DEFAULT_HOLD
}

impl SteadyState {
    /// Whether one slot's figures are within the thresholds.
    pub fn holds(&self, p95_ms: f64, p99_ms: f64, failure_rate: f64) -> bool {
        self.p95_latency_ms.is_none_or(|bound| p95_ms <= bound)
            && self.p99_latency_ms.is_none_or(|bound| p99_ms <= bound)
            && self.failure_rate.is_none_or(|bound| failure_rate <= bound)
    }

    /// The thresholds in one line (`p95 ≤ 150 ms, failure rate ≤ 0.5 % for 5s`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(bound) = self.p95_latency_ms {
            parts.push(format!("p95 ≤ {bound} ms"));
        }
        if let Some(bound) = self.p99_latency_ms {
            parts.push(format!("p99 ≤ {bound} ms"));
        }
        if let Some(bound) = self.failure_rate {
            parts.push(format!("failure rate ≤ {} %", bound * 100.0));
        }
        format!(
            "{} for {}",
            parts.join(", "),
            format_duration(self.hold_for)
        )
    }
}

/// A figure a `metric` assertion can judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Median latency, ms.
    P50LatencyMs,
    /// 95th percentile latency, ms.
    P95LatencyMs,
    /// 99th percentile latency, ms.
    P99LatencyMs,
    /// Highest latency, ms.
    MaxLatencyMs,
    /// Mean latency, ms.
    MeanLatencyMs,
    /// Failed requests over all requests (0..1).
    FailureRate,
    /// Succeeded requests over all requests (0..1).
    SuccessRate,
    /// Completed requests per wall-clock second.
    Throughput,
    /// How many requests completed.
    Requests,
    /// How many requests failed.
    Failures,
    /// Seconds (scenario time) from chaos cleared until the steady state held.
    RecoveryTime,
}

impl Metric {
    /// Every metric, in the order the docs list them.
    pub const ALL: [Metric; 11] = [
        Metric::P50LatencyMs,
        Metric::P95LatencyMs,
        Metric::P99LatencyMs,
        Metric::MaxLatencyMs,
        Metric::MeanLatencyMs,
        Metric::FailureRate,
        Metric::SuccessRate,
        Metric::Throughput,
        Metric::Requests,
        Metric::Failures,
        Metric::RecoveryTime,
    ];

    /// Its name in expressions.
    pub fn name(self) -> &'static str {
        match self {
            Metric::P50LatencyMs => "p50_latency_ms",
            Metric::P95LatencyMs => "p95_latency_ms",
            Metric::P99LatencyMs => "p99_latency_ms",
            Metric::MaxLatencyMs => "max_latency_ms",
            Metric::MeanLatencyMs => "mean_latency_ms",
            Metric::FailureRate => "failure_rate",
            Metric::SuccessRate => "success_rate",
            Metric::Throughput => "throughput",
            Metric::Requests => "requests",
            Metric::Failures => "failures",
            Metric::RecoveryTime => "recovery_time",
        }
    }

    fn unit(self) -> Unit {
        match self {
            Metric::P50LatencyMs
            | Metric::P95LatencyMs
            | Metric::P99LatencyMs
            | Metric::MaxLatencyMs
            | Metric::MeanLatencyMs => Unit::Milliseconds,
            Metric::FailureRate | Metric::SuccessRate => Unit::Fraction,
            Metric::RecoveryTime => Unit::Seconds,
            Metric::Throughput | Metric::Requests | Metric::Failures => Unit::Count,
        }
    }

    /// A value of this metric as people read it (`150 ms`, `0.5 %`, `30s`).
    pub fn format(self, value: f64) -> String {
        match self.unit() {
            Unit::Milliseconds => format!("{} ms", round(value, 2)),
            Unit::Fraction => format!("{} %", round(value * 100.0, 3)),
            Unit::Seconds => format!("{} s", round(value, 3)),
            Unit::Count if self == Metric::Throughput => format!("{}/s", round(value, 1)),
            Unit::Count => format!("{value}"),
        }
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Milliseconds,
    Fraction,
    Seconds,
    Count,
}

/// A comparison in a `metric` expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    /// `<`
    #[serde(rename = "<")]
    Less,
    /// `<=`
    #[serde(rename = "<=")]
    AtMost,
    /// `>`
    #[serde(rename = ">")]
    Greater,
    /// `>=`
    #[serde(rename = ">=")]
    AtLeast,
    /// `==`
    #[serde(rename = "==")]
    Equal,
    /// `!=`
    #[serde(rename = "!=")]
    NotEqual,
}

impl Comparison {
    const ALL: [(&'static str, Comparison); 6] = [
        ("<=", Comparison::AtMost),
        (">=", Comparison::AtLeast),
        ("==", Comparison::Equal),
        ("!=", Comparison::NotEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ];

    fn symbol(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map(|(symbol, _)| *symbol)
            .unwrap_or("?")
    }

    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Less => left < right,
            Comparison::AtMost => left <= right,
            Comparison::Greater => left > right,
            Comparison::AtLeast => left >= right,
            Comparison::Equal => (left - right).abs() < 1e-9,
            Comparison::NotEqual => (left - right).abs() >= 1e-9,
        }
    }
}

/// What a `metric` assertion expects: `p95_latency_ms <= 150`,
/// `failure_rate between 0.9 and 1.0`, `recovery_time <= 30s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricCheck {
    /// The figure judged.
    pub metric: Metric,
    /// The bound it must meet.
    pub bound: Bound,
}

/// The bound of a [`MetricCheck`], in the metric's own unit (ms, a fraction, s, a count).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// `op value`.
    Compare(Comparison, f64),
    /// `between low and high`, both included.
    Between(f64, f64),
}

impl MetricCheck {
    /// Whether `value` meets the bound.
    pub fn holds(&self, value: f64) -> bool {
        match self.bound {
            Bound::Compare(op, bound) => op.holds(value, bound),
            Bound::Between(low, high) => (low..=high).contains(&value),
        }
    }

    /// Parses an `expect` text. The error says what is wrong and how to write it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let name_len = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let name = &text[..name_len];
        let metric = Metric::ALL
            .into_iter()
            .find(|metric| metric.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                match super::diagnostic::closest(name, names.iter().copied()) {
                    Some(close) if !name.is_empty() => {
                        format!("unknown metric `{name}`: did you mean `{close}`?")
                    }
                    _ => format!(
                        "`{text}` does not start with a metric; the metrics are {}",
                        names.join(", ")
                    ),
                }
            })?;
        let rest = text[name_len..].trim_start();
        if let Some(range) = rest.strip_prefix("between") {
            let (low, high) = range
                .split_once(" and ")
                .ok_or_else(|| format!("write `{} between LOW and HIGH`", metric.name()))?;
            let (low, high) = (value(metric, low)?, value(metric, high)?);
            if low > high {
                return Err(format!(
                    "the range is empty: {} is above {}",
                    metric.format(low),
                    metric.format(high)
                ));
            }
            return Ok(Self {
                metric,
                bound: Bound::Between(low, high),
            });
        }
        let (symbol, op) = Comparison::ALL
            .into_iter()
            .find(|(symbol, _)| rest.starts_with(symbol))
            .ok_or_else(|| {
                format!(
                    "after `{}` write a comparison (<, <=, >, >=, ==, !=) and a value, or `between LOW and HIGH`",
                    metric.name()
                )
            })?;
        let bound = value(metric, &rest[symbol.len()..])?;
        Ok(Self {
            metric,
            bound: Bound::Compare(op, bound),
        })
    }
}

/// Reads a bound in `metric`'s unit: `150`, `150ms` or `0.2s` for latencies,
/// `0.005` or `0.5%` for rates, `30`, `30s` or `1m` for the recovery time.
fn value(metric: Metric, text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("`{}` needs a value to compare with", metric.name()));
    }
    let invalid = || {
        let example = match metric.unit() {
            Unit::Milliseconds => "150 or 150ms",
            Unit::Fraction => "0.005 or 0.5%",
            Unit::Seconds => "30s or 1m",
            Unit::Count => "100",
        };
        format!(
            "`{text}` is not a value for `{}`: write e.g. {example}",
            metric.name()
        )
    };
    if let Ok(number) = text.parse::<f64>() {
        if number.is_finite() {
            return Ok(number);
        }
        return Err(invalid());
    }
    match metric.unit() {
        Unit::Fraction => text
            .strip_suffix('%')
            .and_then(|percent| percent.trim().parse::<f64>().ok())
            .map(|percent| percent / 100.0)
            .ok_or_else(invalid),
        Unit::Milliseconds => parse_duration(text)
            .map(|duration| duration.as_secs_f64() * 1000.0)
            .map_err(|_| invalid()),
        Unit::Seconds => parse_duration(text)
            .map(|duration| duration.as_secs_f64())
            .map_err(|_| invalid()),
        Unit::Count => Err(invalid()),
    }
}

impl fmt::Display for MetricCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bound {
            Bound::Compare(op, value) => write!(
                f,
                "{} {} {}",
                self.metric.name(),
                op.symbol(),
                self.metric.format(value)
            ),
            Bound::Between(low, high) => write!(
                f,
                "{} between {} and {}",
                self.metric.name(),
                self.metric.format(low),
                self.metric.format(high)
            ),
        }
    }
}

/// Replaces `${seq}`, `${stream}` and `${execution_id}` in every string of `body`.
pub fn fill_body(body: &Value, seq: u64, stream: &str, execution_id: &str) -> Value {
    match body {
        Value::String(text) if text.contains("${") => Value::String(
            text.replace("${seq}", &seq.to_string())
                .replace("${stream}", stream)
                .replace("${execution_id}", execution_id),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| fill_body(item, seq, stream, execution_id))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| (key.clone(), fill_body(item, seq, stream, execution_id)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_expressions_parse_in_their_units() {
        let check = MetricCheck::parse("p95_latency_ms <= 150").unwrap();
        assert_eq!(check.metric, Metric::P95LatencyMs);
        assert_eq!(check.bound, Bound::Compare(Comparison::AtMost, 150.0));
        assert!(check.holds(150.0) && !check.holds(150.5));

        let check = MetricCheck::parse("p99_latency_ms<0.2s").unwrap();
        assert_eq!(check.bound, Bound::Compare(Comparison::Less, 200.0));

        let check = MetricCheck::parse("failure_rate between 0.9 and 1.0").unwrap();
        assert_eq!(check.bound, Bound::Between(0.9, 1.0));
        assert!(check.holds(0.9) && check.holds(1.0) && !check.holds(0.89));

        let check = MetricCheck::parse("failure_rate <= 0.5%").unwrap();
        assert_eq!(check.bound, Bound::Compare(Comparison::AtMost, 0.005));

        let check = MetricCheck::parse("recovery_time <= 1m30s").unwrap();
        assert_eq!(check.bound, Bound::Compare(Comparison::AtMost, 90.0));
        assert_eq!(check.to_string(), "recovery_time <= 90 s");

        let check = MetricCheck::parse("throughput >= 100").unwrap();
        assert!(check.holds(100.0) && !check.holds(99.9));
        assert_eq!(check.to_string(), "throughput >= 100/s");
    }

    #[test]
    fn bad_metric_expressions_say_how_to_write_them() {
        let error = MetricCheck::parse("p95_latncy_ms <= 150").unwrap_err();
        assert!(error.contains("did you mean `p95_latency_ms`"), "{error}");
        let error = MetricCheck::parse("failure_rate about 0.5").unwrap_err();
        assert!(error.contains("comparison"), "{error}");
        let error = MetricCheck::parse("throughput >= lots").unwrap_err();
        assert!(error.contains("write e.g. 100"), "{error}");
        let error = MetricCheck::parse("failure_rate between 0.9 and 0.1").unwrap_err();
        assert!(error.contains("empty"), "{error}");
        let error = MetricCheck::parse("throughput >=").unwrap_err();
        assert!(error.contains("needs a value"), "{error}");
        assert!(MetricCheck::parse("").is_err());
    }

    #[test]
    fn a_constant_rate_schedules_evenly() {
        let rate = Rate::Constant(100.0);
        assert_eq!(rate.due(0, 1.0), Duration::ZERO);
        assert_eq!(rate.due(250, 1.0), Duration::from_millis(2500));
        // Wall-clock rate: the scenario's speed does not change it.
        assert_eq!(rate.due(250, 60.0), Duration::from_millis(2500));
    }

    #[test]
    fn a_ramp_integrates_its_rate() {
        // 0 → 100/s over 10 s: 500 requests during the ramp, then 100/s.
        let rate = Rate::Ramp {
            from: 0.0,
            to: 100.0,
            over: Duration::from_secs(10),
        };
        let at = |n| rate.due(n, 1.0).as_secs_f64();
        assert!((at(500) - 10.0).abs() < 1e-9);
        assert!((at(125) - 5.0).abs() < 1e-9, "{}", at(125));
        assert!((at(600) - 11.0).abs() < 1e-9);
        // At speed 10 the ramp lasts 1 s of wall-clock time.
        assert!((rate.due(50, 10.0).as_secs_f64() - 1.0).abs() < 1e-9);
        assert_eq!(rate.at(Duration::from_secs(5), 1.0), 50.0);
        // A flat "ramp" is a constant rate.
        let flat = Rate::Ramp {
            from: 20.0,
            to: 20.0,
            over: Duration::from_secs(10),
        };
        assert!((flat.due(100, 1.0).as_secs_f64() - 5.0).abs() < 1e-9);
    }

    #[test]
    fn bodies_get_their_request_numbers() {
        let body =
            serde_json::json!({"id": "${execution_id}-${seq}", "n": 3, "tags": ["${stream}"]});
        let filled = fill_body(&body, 7, "orders", "e1");
        assert_eq!(
            filled,
            serde_json::json!({"id": "e1-7", "n": 3, "tags": ["orders"]})
        );
    }

    #[test]
    fn steady_state_judges_every_threshold_it_sets() {
        let state = SteadyState {
            p95_latency_ms: Some(150.0),
            p99_latency_ms: None,
            failure_rate: Some(0.005),
            hold_for: DEFAULT_HOLD,
            resolution: None,
        };
        assert!(state.holds(149.0, 10_000.0, 0.0));
        assert!(!state.holds(151.0, 0.0, 0.0));
        assert!(!state.holds(10.0, 0.0, 0.01));
        assert_eq!(
            state.describe(),
            "p95 ≤ 150 ms, failure rate ≤ 0.5 % for 5s"
        );
    }
}
