//! The HTTP surface: the REST API, one file and one `router()` per resource
//! (`executions`, `scenarios`, `library`, `services`, `suites`, `reports`,
//! `system`, `team`, `ws`), composed here with the Leptos pages and server functions,
//! the browser bundle (`bundle`), static files, and the layers around them (metrics, tracing, security
//! headers, a caught panic as a 500, the cross-site request guard,
//! compression, limits).

pub mod bundle;
mod caller;
mod error;
mod executions;
pub mod guard;
mod headers;
mod library;
pub(crate) mod live;
mod openapi;
mod orchestrations;
mod query;
mod recordings;
mod reports;
mod scenarios;
mod schedules;
mod services;
mod suites;
mod system;
mod team;
mod ws;

pub use caller::{Caller, CLI_USER_AGENT};
pub use error::panic_message;

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use app::{shell, App};
use axum::{
    body::Body,
    extract::DefaultBodyLimit,
    extract::{MatchedPath, Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::Response,
    Router,
};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower_http::{
    catch_panic::CatchPanicLayer, compression::CompressionLayer, timeout::TimeoutLayer,
    trace::TraceLayer,
};

use utoipa_axum::router::OpenApiRouter;

use crate::{metrics::Metrics, state::AppState};

/// Largest request body accepted (a scenario is at most 1 MiB; leave room for JSON).
const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Longest a non-streaming request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The whole router for a server bound to `bound`, ready to serve. `extra`
/// routes get every layer too (tests add a panicking route this way; the
/// binary adds none).
pub fn router(state: AppState, bound: SocketAddr, extra: Router<AppState>) -> Router {
    let routes = generate_route_list(App);
    let pages: Vec<String> = routes.iter().map(|r| r.path().to_owned()).collect();
    let context = {
        let backend = state.backend.clone();
        move || {
            provide_context(backend.clone());
            // The nonce the security headers put in this response's CSP.
            let nonce = use_context::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<headers::CspNonce>().cloned());
            if let Some(nonce) = nonce {
                provide_context(leptos::nonce::Nonce::from_value(nonce.0));
            }
        }
    };
    let app_shell = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let (api, _) = api_router().split_for_parts();
    let policy = guard::Policy::new(bound, &state.config.allowed_hosts);
    let site_root = std::path::PathBuf::from(state.leptos_options.site_root.as_ref());
    Router::new()
        .merge(api.layer(middleware::from_fn(error::json_errors)))
        .merge(extra)
        .merge(bundle::router(&site_root, &state.leptos_options.site_pkg_dir))
        .leptos_routes_with_context(&state, routes, context.clone(), app_shell)
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(middleware::from_fn(error::server_fn_status))
        .layer(middleware::from_fn_with_state(
            crate::auth::gate::Gate::new(state.clone(), pages),
            crate::auth::gate::gate,
        ))
        .layer(CompressionLayer::new())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn_with_state(policy, guard::guard))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(middleware::from_fn(headers::security_headers))
        .layer(middleware::from_fn_with_state(state.metrics.clone(), track_request))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
            let matched_path = request
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str);
            tracing::info_span!("http_request", method = %request.method(), matched_path, uri = %request.uri())
        }))
        // Outermost: gRPC calls leave here for their own gate (docs/grpc.md).
        .layer(middleware::from_fn_with_state(
            crate::grpc::Grpc::new(state.clone()),
            crate::grpc::dispatch,
        ))
        .with_state(state)
}

/// Every JSON/WebSocket route with its OpenAPI description.
fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(base_document())
        .merge(system::router())
        .merge(executions::router())
        .merge(scenarios::router())
        .merge(library::router())
        .merge(services::router())
        .merge(suites::router())
        .merge(schedules::router())
        .merge(recordings::router())
        .merge(orchestrations::router())
        .merge(reports::router())
        .merge(team::router())
        .merge(ws::router())
}

fn base_document() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder};
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Test Coordinator API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Run multi-phase chaos scenarios, follow them live, and read their history. Every 4xx and 5xx answer is JSON: `{error: {kind, message, details?}}`; `details` is present only when there are some (e.g. `details.diagnostics` on a 422)."))
                .build(),
        )
        .build()
}

/// The OpenAPI document of every route the API router has.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = api_router().split_for_parts().1;
    openapi::finish(&mut document);
    document
}

/// Records each request in the RED metrics under its route pattern.
async fn track_request(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = crate::metrics::method_label(request.method().as_str());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    metrics.observe_request(
        method,
        &route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}
