//! `AppState`: what every handler and server function can reach. Every field is a
//! cheap handle.

use std::sync::Arc;

use app::ssr::Backend;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{config::Config, engine::Engine, metrics::Metrics, service::Coordinator, store::Store};

/// Router state, cloned per request.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Site settings for Leptos rendering and static files.
    pub leptos_options: LeptosOptions,
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
    /// The execution engine.
    pub engine: Engine,
    /// The Prometheus registry.
    pub metrics: Metrics,
    /// The OpenAPI document, served at `/api/openapi.json`.
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    /// The use cases, for REST handlers.
    pub coordinator: Arc<Coordinator>,
    /// The same use cases, as server functions see them.
    pub backend: Arc<dyn Backend>,
    /// Cancelled once the server is stopping and its executions have ended:
    /// streams that would otherwise never end (a gRPC health `Watch`) end
    /// then, so that the graceful shutdown does not wait on them.
    pub stopping: tokio_util::sync::CancellationToken,
}
