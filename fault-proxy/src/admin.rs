//! A set of proxies and the chaos API that drives them, in the convention
//! every chaos target follows (the sandbox's): per proxied service,
//! `GET …/chaos/capabilities`, `GET …/chaos/status`, `POST …/chaos/{action}`
//! with the parameters as the JSON body, and `POST …/chaos/clear`; plus
//! `POST …/chaos/lease`, which renews an execution's faults. The prefix is
//! `/proxies/{name}/chaos`. The API listens on its own address, never on a
//! data port: `refuse` closes those, and the system under test must not reach
//! the chaos API through the link it breaks.
//!
//! Leases: a fault injected for an execution (`X-Execution-Id`) lives
//! `engine_ttl` unless renewed; one injected by hand lives `ttl` from its body,
//! or `manual_ttl`. Errors are `{error: {kind, message, details?}}`.

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::{
    book::{ActiveFault, Lease},
    effects::ProxyMetrics,
    faults::FaultError,
    http::HttpProxy,
    http_faults::http_actions,
    proxy::{InjectError, StartError},
    tcp::TcpProxy,
    tcp_actions,
};

/// The header naming the execution a request acts for.
pub const EXECUTION_ID: &str = "x-execution-id";
/// Shortest and longest lease a request may ask for.
const TTL_BOUNDS: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(24 * 3600));

/// What a proxy speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Bytes: Toxiproxy's toxics.
    Tcp,
    /// HTTP/1.1 requests: per-request faults.
    Http,
}

/// One proxy to start.
#[derive(Debug, Clone)]
pub struct ProxySpec {
    /// The proxied service's name.
    pub name: String,
    /// Where its callers connect.
    pub listen: SocketAddr,
    /// What it speaks.
    pub protocol: Protocol,
    /// The service (`host:port`).
    pub upstream: String,
}

/// How long faults live unless renewed.
#[derive(Debug, Clone, Copy)]
pub struct LeasePolicy {
    /// A fault injected for an execution.
    pub engine_ttl: Duration,
    /// A fault injected by hand without a `ttl`.
    pub manual_ttl: Duration,
}

impl Default for LeasePolicy {
    fn default() -> Self {
        Self {
            engine_ttl: Duration::from_secs(30),
            manual_ttl: Duration::from_secs(600),
        }
    }
}

enum Running {
    Tcp(TcpProxy),
    Http(HttpProxy),
}

/// `$body` with `$p` bound to the proxy, whichever kind it is (the two are
/// one `Proxy<F>` over different faults).
macro_rules! each {
    ($running:expr, $p:ident => $body:expr) => {
        match $running {
            Running::Tcp($p) => $body,
            Running::Http($p) => $body,
        }
    };
}

/// Running proxies, by service name.
pub struct ProxySet {
    proxies: BTreeMap<String, (ProxySpec, Running)>,
    lease: LeasePolicy,
    metrics: ProxyMetrics,
    token: Option<String>,
}

impl ProxySet {
    /// Starts every proxy of `specs`; if one cannot listen, stops the others
    /// and says which and why.
    pub async fn start(specs: Vec<ProxySpec>, lease: LeasePolicy) -> Result<Self, StartError> {
        let mut set = Self {
            proxies: BTreeMap::new(),
            lease,
            metrics: ProxyMetrics::default(),
            token: None,
        };
        for spec in specs {
            let started = match spec.protocol {
                Protocol::Tcp => {
                    TcpProxy::start_measured(&spec.name, spec.listen, &spec.upstream, &set.metrics)
                        .await
                        .map(Running::Tcp)
                }
                Protocol::Http => {
                    HttpProxy::start_measured(&spec.name, spec.listen, &spec.upstream, &set.metrics)
                        .await
                        .map(Running::Http)
                }
            };
            match started {
                Ok(proxy) => {
                    let mut spec = spec;
                    spec.listen = each!(&proxy, p => p.address());
                    set.proxies.insert(spec.name.clone(), (spec, proxy));
                }
                Err(error) => {
                    set.shutdown().await;
                    return Err(error);
                }
            }
        }
        Ok(set)
    }

    /// Where `name`'s callers connect (the real port when 0 was asked for).
    pub fn address(&self, name: &str) -> Option<SocketAddr> {
        self.proxies.get(name).map(|(spec, _)| spec.listen)
    }

    /// The chaos API over these proxies.
    /// Every route but `/health` asks for `Authorization: Bearer {token}`
    /// (401 otherwise), so the chaos API may listen off loopback.
    pub fn require_token(mut self, token: Option<String>) -> Self {
        self.token = token;
        self
    }

    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/health", get(health))
            .route("/metrics", get(metrics))
            .route("/proxies/{name}/chaos/capabilities", get(capabilities))
            .route("/proxies/{name}/chaos/status", get(status))
            .route("/proxies/{name}/chaos/clear", post(clear))
            .route("/proxies/{name}/chaos/lease", post(renew))
            .route("/proxies/{name}/chaos/{action}", post(inject))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                require_token,
            ))
            .with_state(self)
    }

    /// Stops every proxy.
    /// The proxies' metrics, to register in the coordinator's registry when
    /// they run inside `serve`.
    pub fn metrics(&self) -> &ProxyMetrics {
        &self.metrics
    }

    pub async fn shutdown(self) {
        for (_, (_, proxy)) in self.proxies {
            each!(proxy, p => p.shutdown().await);
        }
    }

    fn proxy(&self, name: &str) -> Result<&(ProxySpec, Running), ApiError> {
        self.proxies.get(name).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no proxied service `{name}`"),
            )
        })
    }
}

/// An error answer.
struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    details: Option<Value>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            details: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"kind": self.kind, "message": self.message});
        if let Some(details) = self.details {
            error["details"] = details;
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

impl From<InjectError> for ApiError {
    fn from(error: InjectError) -> Self {
        let message = error.to_string();
        match error {
            InjectError::Fault(FaultError::Unsupported { action, supported }) => Self {
                details: Some(json!({"action": action, "supported": supported})),
                ..Self::new(StatusCode::NOT_FOUND, "unsupported_action", message)
            },
            InjectError::Fault(FaultError::Invalid(problems)) => Self {
                details: Some(json!({ "problems": problems })),
                ..Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_parameter",
                    message,
                )
            },
            InjectError::TooMany => Self::new(StatusCode::CONFLICT, "conflict", message),
        }
    }
}

fn execution_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(EXECUTION_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
}

fn view<F>(fault: &ActiveFault<F>, now: Instant) -> Value {
    json!({
        "id": fault.id,
        "action": fault.action,
        "parameters": fault.parameters,
        "owner": fault.owner,
        "remaining_ms": fault.remaining(now).map(|d| d.as_millis() as u64),
    })
}

async fn health(State(set): State<Arc<ProxySet>>) -> Json<Value> {
    let proxies: Vec<Value> = set
        .proxies
        .values()
        .map(|(spec, _)| {
            json!({"name": spec.name, "listen": spec.listen, "protocol": spec.protocol, "upstream": spec.upstream})
        })
        .collect();
    Json(json!({"status": "healthy", "version": env!("CARGO_PKG_VERSION"), "proxies": proxies}))
}

/// The proxies' metrics in the Prometheus text format (a standalone
/// `test-coordinator proxy`; inside `serve` they are in its `/metrics`).
async fn metrics(State(set): State<Arc<ProxySet>>) -> Response {
    let mut registry = prometheus_client::registry::Registry::default();
    set.metrics.register(&mut registry);
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn capabilities(
    State(set): State<Arc<ProxySet>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (spec, _) = set.proxy(&name)?;
    let actions = match spec.protocol {
        Protocol::Tcp => tcp_actions(),
        Protocol::Http => http_actions(),
    };
    // `clear_chaos` is every chaos API's (POST …/clear): not listed, as the
    // sandbox does not list it.
    let actions: Vec<Value> = actions.iter().map(|a| a.to_json()).collect();
    Ok(Json(
        json!({"service": name, "protocol": spec.protocol, "actions": actions}),
    ))
}

async fn status(
    State(set): State<Arc<ProxySet>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (spec, proxy) = set.proxy(&name)?;
    let now = Instant::now();
    let active: Vec<Value> =
        each!(proxy, p => p.book().active().iter().map(|f| view(f, now)).collect());
    Ok(Json(json!({
        "service": name,
        "protocol": spec.protocol,
        "listen": spec.listen,
        "upstream": spec.upstream,
        "active": active,
        "requests": each!(proxy, p => p.tally().counts()),
        "healthy": true,
    })))
}

/// `{}` clears the faults of `X-Execution-Id`, or every fault without it;
/// `{"id": …}` clears that one.
async fn clear(
    State(set): State<Arc<ProxySet>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (_, proxy) = set.proxy(&name)?;
    let body = parse_body(&body)?;
    let id = body.get("id").and_then(Value::as_str);
    let owner = execution_id(&headers);
    let cleared = each!(proxy, p => match (id, owner.as_deref()) {
        (Some(id), _) => p.book().clear(Some(id)),
        (None, Some(owner)) => p.book().clear_owned(owner),
        (None, None) => p.book().clear(None),
    });
    // An execution's clear also collects what its faults did since its last
    // renewal.
    let effects = owner.map_or_else(Vec::new, |o| each!(proxy, p => p.tally().take(&o)));
    Ok(Json(
        json!({"service": name, "cleared": cleared.len(), "ids": cleared, "effects": effects}),
    ))
}

/// Renews the leases of `X-Execution-Id`'s faults (`ttl` from the body, or
/// the engine's).
async fn renew(
    State(set): State<Arc<ProxySet>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let (_, proxy) = set.proxy(&name)?;
    let Some(owner) = execution_id(&headers) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "a renewal names its execution in X-Execution-Id",
        ));
    };
    let mut body = parse_body(&body)?;
    let ttl = take_ttl(&mut body)?.unwrap_or(set.lease.engine_ttl);
    let renewed = each!(proxy, p => p.book().renew(&owner, ttl));
    let effects = each!(proxy, p => p.tally().take(&owner));
    Ok(Json(
        json!({"service": name, "renewed": renewed, "ttl_ms": ttl.as_millis() as u64, "effects": effects}),
    ))
}

async fn inject(
    State(set): State<Arc<ProxySet>>,
    Path((name, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    if matches!(
        action.as_str(),
        "clear-chaos" | "clear_chaos" | "clear-all-chaos" | "clear_all_chaos"
    ) {
        return clear(State(set), Path(name), headers, body).await;
    }
    let (_, proxy) = set.proxy(&name)?;
    let mut body = parse_body(&body)?;
    let owner = execution_id(&headers);
    let ttl = take_ttl(&mut body)?.unwrap_or(if owner.is_some() {
        set.lease.engine_ttl
    } else {
        set.lease.manual_ttl
    });
    let lease = Lease {
        ttl: Some(ttl),
        owner,
    };
    let now = Instant::now();
    let active = each!(proxy, p => view(&p.inject(&action, body, lease)?, now));
    tracing::info!(proxy = %name, action, "fault injected");
    Ok(Json(
        json!({"service": name, "status": "active", "fault": active}),
    ))
}

/// Lets a request through when no token is set, when it is `/health`, or
/// when it carries the token.
async fn require_token(
    State(set): State<Arc<ProxySet>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(token) = &set.token else {
        return next.run(request).await;
    };
    if request.uri().path() == "/health" {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if same(given.as_bytes(), token.as_bytes()) {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the proxies' chaos API asks for its token: Authorization: Bearer <proxy.token>",
        )
        .into_response()
    }
}

/// Compares in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The body as a JSON object (empty: `{}`).
fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            "the body must be a JSON object of parameters",
        )),
        Err(error) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("the body is not valid JSON: {error}"),
        )),
    }
}

/// Takes `ttl` (seconds, or text like `90s`, `10m`) out of the parameters.
fn take_ttl(body: &mut Value) -> Result<Option<Duration>, ApiError> {
    let Some(raw) = body.as_object_mut().and_then(|m| m.remove("ttl")) else {
        return Ok(None);
    };
    let seconds = match &raw {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => sandbox::schema::parse_duration(text).ok(),
        _ => None,
    };
    let bad = || {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            format!(
                "ttl must be a duration from {} s to {} h (seconds or text like `90s`, `10m`), not {raw}",
                TTL_BOUNDS.0.as_secs(),
                TTL_BOUNDS.1.as_secs() / 3600
            ),
        )
    };
    let seconds = seconds.filter(|s| s.is_finite()).ok_or_else(bad)?;
    let ttl = Duration::try_from_secs_f64(seconds).map_err(|_| bad())?;
    if ttl < TTL_BOUNDS.0 || ttl > TTL_BOUNDS.1 {
        return Err(bad());
    }
    Ok(Some(ttl))
}
