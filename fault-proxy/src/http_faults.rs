//! The faults an HTTP proxy injects (`protocol: http`): `latency`, `error`,
//! `abort`, `rate_limit` and `corrupt_body`. Each can be limited to a method,
//! a path pattern (`*` matches any run) and a probability (`toxicity`). The
//! seed's MockForge settings map onto them one to one (docs/proxy.md).

use std::{
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use sandbox::schema::{ActionSpec, ParamSpec, ParamType, Problem};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::{book::glob, faults::FaultError};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// Longest path pattern.
const MAX_PATH: usize = 256;
/// Longest injected error body.
pub const MAX_ERROR_BODY: usize = 64 * 1024;
/// Longest content type.
const MAX_CONTENT_TYPE: usize = 128;

/// What an HTTP fault does.
#[derive(Debug, Clone)]
pub enum HttpFaultKind {
    /// The request waits `latency` ± `jitter` before it is forwarded.
    Latency {
        /// The added delay.
        latency: Duration,
        /// The most it varies either way.
        jitter: Duration,
    },
    /// The proxy answers itself; the upstream is not called.
    Error {
        /// The status.
        status: u16,
        /// The body.
        body: String,
        /// Its content type.
        content_type: String,
    },
    /// The connection is dropped without an answer.
    Abort,
    /// Beyond `burst` requests, at most `per_second` a second pass; the
    /// others get 429 with `Retry-After`.
    RateLimit {
        /// The sustained rate.
        per_second: f64,
        /// Its token bucket, shared by every request the fault sees.
        bucket: Arc<Mutex<Bucket>>,
    },
    /// A share `rate` of the answer's body bytes get one bit flipped.
    CorruptBody {
        /// The share of bytes, 0 to 1.
        rate: f64,
    },
}

/// An HTTP fault with the requests it applies to.
#[derive(Debug, Clone)]
pub struct HttpFault {
    /// What it does.
    pub kind: HttpFaultKind,
    /// Only requests of this method (none: any).
    pub method: Option<String>,
    /// Only paths matching this pattern (none: any).
    pub path: Option<String>,
    /// The share of matching requests it acts on, 0 to 1.
    pub toxicity: f64,
}

impl HttpFault {
    /// Whether it applies to a request of `method` on `path` (before the
    /// toxicity roll).
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self.path.as_deref().is_none_or(|p| glob(p, path))
    }
}

/// A token bucket.
#[derive(Debug)]
pub struct Bucket {
    tokens: f64,
    capacity: f64,
    per_second: f64,
    at: Instant,
}

impl Bucket {
    fn new(per_second: f64, capacity: f64) -> Self {
        Self {
            tokens: capacity,
            capacity,
            per_second,
            at: Instant::now(),
        }
    }

    /// Takes a token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }
}

fn filters() -> Vec<ParamSpec> {
    vec![
        ParamSpec::new(
            "method",
            ParamType::Enum(METHODS),
            "only requests of this method (default: any)",
        ),
        ParamSpec::new(
            "path",
            ParamType::String,
            "only paths matching this pattern, `*` for any run (default: any)",
        ),
        ParamSpec::new(
            "toxicity",
            ParamType::Float,
            "the share of matching requests it acts on, 0 to 1",
        )
        .range(0.0, 1.0)
        .default(json!(1.0)),
    ]
}

fn with_filters(mut params: Vec<ParamSpec>) -> Vec<ParamSpec> {
    params.extend(filters());
    params
}

/// The faults an HTTP proxy offers, as `GET …/chaos/capabilities` publishes
/// them.
pub fn http_actions() -> &'static [ActionSpec] {
    static ACTIONS: OnceLock<Vec<ActionSpec>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        vec![
            ActionSpec::new(
                "latency",
                "delay matching requests by `latency` ms, ± up to `jitter` ms",
                with_filters(vec![
                    ParamSpec::new("latency", ParamType::Int, "the added delay in ms")
                        .required()
                        .range(0.0, 600_000.0),
                    ParamSpec::new(
                        "jitter",
                        ParamType::Int,
                        "the most the delay varies either way, in ms",
                    )
                    .range(0.0, 600_000.0)
                    .default(json!(0)),
                ]),
            ),
            ActionSpec::new(
                "error",
                "answer matching requests with `status` and `body` instead of calling the service",
                with_filters(vec![
                    ParamSpec::new("status", ParamType::Int, "the status code")
                        .range(400.0, 599.0)
                        .default(json!(503)),
                    ParamSpec::new("body", ParamType::String, "the body (at most 64 KiB)"),
                    ParamSpec::new("content_type", ParamType::String, "the body's content type")
                        .default(json!("application/json")),
                ]),
            ),
            ActionSpec::new(
                "abort",
                "drop the connection of matching requests without an answer",
                filters(),
            ),
            ActionSpec::new(
                "rate_limit",
                "answer 429 with Retry-After beyond `requests_per_second` (after a `burst`)",
                with_filters(vec![
                    ParamSpec::new(
                        "requests_per_second",
                        ParamType::Float,
                        "the sustained rate",
                    )
                    .required()
                    .range(0.01, 1_000_000.0),
                    ParamSpec::new(
                        "burst",
                        ParamType::Int,
                        "requests allowed at once (default: the rate, rounded up)",
                    )
                    .range(1.0, 1_000_000.0),
                ]),
            ),
            ActionSpec::new(
                "corrupt_body",
                "flip one bit in a share `rate` of the answer's body bytes (its length is kept)",
                with_filters(vec![ParamSpec::new(
                    "rate",
                    ParamType::Float,
                    "the share of body bytes corrupted, 0 to 1",
                )
                .range(0.0, 1.0)
                .default(json!(0.01))]),
            ),
        ]
    })
}

/// The HTTP fault `action` with `body`'s parameters.
pub fn parse_http(action: &str, body: &Value) -> Result<HttpFault, FaultError> {
    let action = action.replace('-', "_");
    let Some(spec) = http_actions().iter().find(|a| a.name == action) else {
        return Err(FaultError::Unsupported {
            action,
            supported: http_actions().iter().map(|a| a.name).collect(),
        });
    };
    let params = spec.validate(body).map_err(FaultError::Invalid)?;
    let mut problems = Vec::new();
    let path = params.text("path").map(str::to_owned);
    if let Some(path) = &path {
        if !path.starts_with('/') && !path.starts_with('*') || path.len() > MAX_PATH {
            problems.push(Problem::new(
                "path",
                format!(
                    "a path pattern starts with `/` or `*` and has at most {MAX_PATH} characters"
                ),
            ));
        }
    }
    let ms = |name: &str| Duration::from_millis(params.number(name).unwrap_or(0.0) as u64);
    let kind = match spec.name {
        "latency" => HttpFaultKind::Latency {
            latency: ms("latency"),
            jitter: ms("jitter"),
        },
        "error" => {
            let status = params.number("status").unwrap_or(503.0) as u16;
            let body = params.text("body").map(str::to_owned).unwrap_or_else(|| {
                json!({"error": {"kind": "injected_fault", "message": format!("fault injected by the proxy: {status}")}})
                    .to_string()
            });
            let content_type = params
                .text("content_type")
                .unwrap_or("application/json")
                .to_owned();
            if body.len() > MAX_ERROR_BODY {
                problems.push(Problem::new(
                    "body",
                    format!("at most {MAX_ERROR_BODY} bytes"),
                ));
            }
            if content_type.len() > MAX_CONTENT_TYPE
                || http::HeaderValue::from_str(&content_type).is_err()
            {
                problems.push(Problem::new(
                    "content_type",
                    format!("a header value of at most {MAX_CONTENT_TYPE} characters"),
                ));
            }
            HttpFaultKind::Error {
                status,
                body,
                content_type,
            }
        }
        "abort" => HttpFaultKind::Abort,
        "rate_limit" => {
            let per_second = params.number("requests_per_second").unwrap_or(1.0);
            let burst = params.number("burst").unwrap_or(per_second.ceil()).max(1.0);
            HttpFaultKind::RateLimit {
                per_second,
                bucket: Arc::new(Mutex::new(Bucket::new(per_second, burst))),
            }
        }
        _ => HttpFaultKind::CorruptBody {
            rate: params.number("rate").unwrap_or(0.01),
        },
    };
    if !problems.is_empty() {
        return Err(FaultError::Invalid(problems));
    }
    Ok(HttpFault {
        kind,
        method: params.text("method").map(str::to_owned),
        path,
        toxicity: params.number("toxicity").unwrap_or(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_become_faults_limited_to_their_method_and_path() {
        let fault = parse_http(
            "error",
            &json!({"status": 500, "method": "POST", "path": "/orders*"}),
        )
        .unwrap();
        assert!(matches!(
            fault.kind,
            HttpFaultKind::Error { status: 500, .. }
        ));
        assert!(fault.matches("POST", "/orders/7"));
        assert!(!fault.matches("GET", "/orders/7"));
        assert!(!fault.matches("POST", "/health"));
        assert!(parse_http("abort", &json!({})).unwrap().matches("GET", "/"));
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        for (action, body, parameter) in [
            ("latency", json!({"latency": -1}), "latency"),
            ("error", json!({"status": 200}), "status"),
            (
                "error",
                json!({"body": "x".repeat(MAX_ERROR_BODY + 1)}),
                "body",
            ),
            ("error", json!({"content_type": "a\nb"}), "content_type"),
            ("abort", json!({"toxicity": 2}), "toxicity"),
            ("abort", json!({"path": "orders"}), "path"),
            ("abort", json!({"method": "BREW"}), "method"),
            ("rate_limit", json!({}), "requests_per_second"),
        ] {
            match parse_http(action, &body) {
                Err(FaultError::Invalid(problems)) => assert!(
                    problems.iter().any(|p| p.parameter == parameter),
                    "{action}: {problems:?}"
                ),
                other => panic!("{action}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_http("latency_spike", &json!({})),
            Err(FaultError::Unsupported { .. })
        ));
    }

    #[test]
    fn the_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(10.0, 3.0);
        bucket.at = start;
        for _ in 0..3 {
            assert!(bucket.take(start).is_ok());
        }
        let wait = bucket.take(start).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        assert!(bucket.take(start + Duration::from_millis(100)).is_ok());
        assert!(bucket.take(start + Duration::from_millis(100)).is_err());
    }
}
