//! The HTTP face of the sandbox: one router per service with `/health`,
//! the chaos API (`/chaos/capabilities`, `/chaos/status`, `/chaos/clear`,
//! `POST /chaos/{action}`) and the service's observation API (`observe`).
//!
//! Handlers lock the world briefly (never across an `.await`), then wait
//! out simulated latency in real time (sim latency ÷ scale, capped) or hang
//! for a partition, watching the shutdown signal so that shutdown is never
//! held up by a hanging request.

mod error;
mod observe;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::watch;

pub use error::ApiError;

use crate::catalog;
use crate::chaos;
use crate::clock::wall_now;
use crate::service::Service;
use crate::world::{ChaosError, Gate, World};

/// Longest real wait for simulated latency.
const MAX_REAL_WAIT: Duration = Duration::from_secs(2);
/// Longest real hang of a partitioned request (clients time out well before).
const MAX_HANG: Duration = Duration::from_secs(300);
/// Header carrying the correlation id.
pub const EXECUTION_ID: &str = "x-execution-id";
/// Header carrying the time scale.
pub const TIME_SCALE: &str = "x-chaos-time-scale";

/// State shared by all services and the ticker.
#[derive(Debug)]
pub struct Shared {
    /// The simulation.
    pub world: Mutex<World>,
    /// Instance name reported by `/health`.
    pub instance: String,
    /// Environment reported by `/health`.
    pub environment: String,
    /// Flips to true on shutdown.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// Locks the world; a poisoned lock (a panic while held) is recovered,
    /// since every step leaves the world consistent between statements that
    /// matter more than a dead sandbox would.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The state of one service's router.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Which service this router serves.
    pub service: Service,
    /// The shared state.
    pub shared: Arc<Shared>,
}

impl Ctx {
    /// Applies the availability gate for `op`, waiting out injected latency
    /// or hanging on a partition; `Err` is the response to send instead.
    pub async fn pass(&self, op: &str, account: Option<&str>) -> Result<(), ApiError> {
        let (gate, scale) = {
            let mut w = self.shared.world();
            (w.gate(self.service, op, account), w.clock.scale())
        };
        match gate {
            Gate::Pass { delay_ms } => {
                self.wait_sim(delay_ms, scale).await;
                Ok(())
            }
            Gate::Down => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                format!("{} is down", self.service),
            )),
            Gate::RateLimited => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "rate limit exceeded",
            )),
            Gate::DatabaseError => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "database unavailable",
            )),
            Gate::Partitioned => Err(self.hang().await),
        }
    }

    /// Waits `sim_ms` of sim time in real time (capped), or until shutdown.
    pub async fn wait_sim(&self, sim_ms: f64, scale: f64) {
        if sim_ms <= 0.0 {
            return;
        }
        let real =
            Duration::from_secs_f64((sim_ms / 1000.0 / scale.max(1.0)).max(0.0)).min(MAX_REAL_WAIT);
        let mut shutdown = self.shared.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(real) => {}
            _ = shutdown.wait_for(|s| *s) => {}
        }
    }

    /// Hangs while the service is partitioned (bounded, and cut short by shutdown).
    pub async fn hang(&self) -> ApiError {
        let mut shutdown = self.shared.shutdown.clone();
        let started = tokio::time::Instant::now();
        while started.elapsed() < MAX_HANG && self.shared.world().is_partitioned(self.service) {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = shutdown.wait_for(|s| *s) => break,
            }
        }
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            format!("{} did not answer (network partition)", self.service),
        )
    }
}

/// The router of `service`.
pub fn router(service: Service, shared: Arc<Shared>) -> Router {
    let ctx = Ctx { service, shared };
    Router::new()
        .route("/health", get(health))
        .route("/chaos/capabilities", get(capabilities))
        .route("/chaos/status", get(status))
        .route("/chaos/clear", post(clear))
        .route("/chaos/{action}", post(inject))
        .merge(observe::router(service))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(ctx.clone(), time_scale))
        .with_state(ctx)
}

/// Applies `X-Chaos-Time-Scale` (latest wins) before any handler runs.
async fn time_scale(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    if let Some(scale) = request
        .headers()
        .get(TIME_SCALE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        let mut w = ctx.shared.world();
        if w.clock.scale() != scale && w.clock.set_scale(scale) {
            tracing::debug!(service = %ctx.service, scale, "time scale changed");
        }
    }
    next.run(request).await
}

fn execution_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(EXECUTION_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn health(State(ctx): State<Ctx>) -> Response {
    if ctx.shared.world().is_partitioned(ctx.service) {
        return ctx.hang().await.into_response();
    }
    let w = ctx.shared.world();
    let down = w.is_down(ctx.service);
    let body = json!({
        "status": if down { "down" } else { "healthy" },
        "service": ctx.service.name(),
        "instance": ctx.shared.instance,
        "version": env!("CARGO_PKG_VERSION"),
        "environment": ctx.shared.environment,
        "timestamp": wall_now(),
        "sim_time_s": w.clock.now(),
        "time_scale": w.clock.scale(),
        "sim_dropped_s": w.dropped_sim_s(),
        "active_chaos": w.chaos.of(ctx.service).count(),
    });
    let code = if down {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(body)).into_response()
}

async fn capabilities(State(ctx): State<Ctx>) -> Json<Value> {
    let actions: Vec<Value> = catalog::actions(ctx.service)
        .iter()
        .map(|a| a.to_json())
        .collect();
    Json(json!({"service": ctx.service.name(), "actions": actions}))
}

async fn status(State(ctx): State<Ctx>) -> Json<Value> {
    let w = ctx.shared.world();
    let (now, scale) = (w.clock.now(), w.clock.scale());
    let active: Vec<_> = w
        .chaos
        .of(ctx.service)
        .map(|e| chaos::view(e, now, scale))
        .collect();
    Json(json!({
        "service": ctx.service.name(),
        "active": active,
        "healthy": !w.is_down(ctx.service),
        "sim_time_s": now,
        "time_scale": scale,
    }))
}

async fn clear(State(ctx): State<Ctx>, headers: HeaderMap) -> Json<Value> {
    let cleared = ctx
        .shared
        .world()
        .clear(ctx.service, execution_id(&headers));
    Json(json!({"service": ctx.service.name(), "cleared": cleared}))
}

async fn inject(
    State(ctx): State<Ctx>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let action = action.replace('-', "_");
    let execution_id = execution_id(&headers);
    if action == "clear_chaos" || action == "clear_all_chaos" {
        let cleared = ctx.shared.world().clear(ctx.service, execution_id);
        return Ok(Json(
            json!({"service": ctx.service.name(), "cleared": cleared}),
        ));
    }
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                format!("the body is not valid JSON: {e}"),
            )
        })?
    };
    let result = ctx
        .shared
        .world()
        .inject(ctx.service, &action, &body, execution_id.clone());
    match result {
        Ok(v) => {
            tracing::info!(service = %ctx.service, action, execution_id, "chaos applied");
            Ok(Json(v))
        }
        Err(e) => Err(chaos_error(e)),
    }
}

fn chaos_error(e: ChaosError) -> ApiError {
    match e {
        ChaosError::UnknownAction { service, action } => {
            let known: Vec<&str> = catalog::actions(service).iter().map(|a| a.name).collect();
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unsupported_action",
                format!("`{service}` has no chaos action `{action}`"),
            )
            .with_details(json!({"action": action, "supported": known}))
        }
        ChaosError::InvalidBody(m) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", m)
        }
        ChaosError::InvalidParameters(problems) => {
            let message = problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_parameter",
                message,
            )
            .with_details(json!({"problems": problems}))
        }
    }
}
