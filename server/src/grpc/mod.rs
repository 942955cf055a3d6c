//! The gRPC API (docs/grpc.md): seed 000's `ScenarioExecutionService` and
//! `ScenarioManagementService` (plus `WatchExecution`), `grpc.health.v1.Health`
//! and server reflection, on the HTTP port.
//!
//! One more adapter over the same [`Coordinator`](crate::service::Coordinator):
//! each RPC is its REST twin's use case, with its twin's role rule
//! ([`rules::GRPC_TWINS`]), audit action and error kinds (mapped to codes by
//! [`convert::status`]).
//!
//! [`dispatch`] sends HTTP/2 requests of content type `application/grpc` here,
//! before every HTTP layer; [`Grpc::serve`] is then this API's own gate:
//! 1. the method's rule (a path no method has: UNIMPLEMENTED);
//! 2. the caller from the `authorization` metadata, and the role (UNAUTHENTICATED,
//!    PERMISSION_DENIED);
//! 3. the client's deadline (`grpc-timeout`), over a unary call and over a
//!    stream's whole life; a unary call without one gets the REST timeout;
//! 4. when the call ends, however it ends (its final code, a deadline, the
//!    client going away): its RED metrics and, for state changes, the audit log.

pub mod convert;
mod execution;
mod health;
mod management;

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use app::{
    api::{
        auth::{Principal, Role},
        ApiError, ErrorKind,
    },
    ssr::RequestFacts,
};
use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, Version},
    middleware::Next,
    response::Response,
};
use http_body::Frame;
use tokio::time::Sleep;
use tonic::{Code, Status};
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;

use crate::{
    auth::{gate, rules},
    service::auth::{is_bootstrap, AuditRecord},
    state::AppState,
};

/// The generated messages, servers and clients of `proto/test_coordinator/v1`.
pub mod proto {
    #![allow(missing_docs, clippy::doc_lazy_continuation)]
    tonic::include_proto!("test_coordinator.v1");
}

/// `google.rpc.Status`: the envelope of an error's details.
pub mod rpc {
    #![allow(missing_docs)]
    tonic::include_proto!("google.rpc");
}

/// The encoded descriptors of every file in `proto/` and their imports (for
/// reflection, and for the test that every method has a rule).
pub const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));

/// The services of this API, as health checks name them.
pub const SERVICE_NAMES: [&str; 2] = [
    "test_coordinator.v1.ScenarioExecutionService",
    "test_coordinator.v1.ScenarioManagementService",
];

/// Largest message accepted: a scenario is at most 1 MiB, as over REST.
const MAX_MESSAGE: usize = 2 * 1024 * 1024;
/// Longest a unary call may take when the client sets no deadline (REST's timeout).
const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);
/// Longest deadline believed; a longer one (or none, for a stream) is no limit.
const MAX_DEADLINE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The gRPC services behind their gate.
#[derive(Clone)]
pub struct Grpc {
    routes: axum::Router,
    state: AppState,
}

impl Grpc {
    /// The services over `state`'s coordinator.
    pub fn new(state: AppState) -> Self {
        use proto::{
            scenario_execution_service_server::ScenarioExecutionServiceServer,
            scenario_management_service_server::ScenarioManagementServiceServer,
        };
        let coordinator = state.coordinator.clone();
        let execution = ScenarioExecutionServiceServer::new(execution::Execution {
            coordinator: coordinator.clone(),
            stopping: state.stopping.clone(),
        })
        .max_decoding_message_size(MAX_MESSAGE);
        let management =
            ScenarioManagementServiceServer::new(management::Management { coordinator })
                .max_decoding_message_size(MAX_MESSAGE);
        let health = tonic_health::pb::health_server::HealthServer::new(health::Health {
            store: state.store.clone(),
            stopping: state.stopping.clone(),
        });
        let mut routes = tonic::service::Routes::new(execution)
            .add_service(management)
            .add_service(health);
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(DESCRIPTORS)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        match (reflection().build_v1(), reflection().build_v1alpha()) {
            (Ok(v1), Ok(v1alpha)) => routes = routes.add_service(v1).add_service(v1alpha),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "gRPC reflection is off: the descriptors do not load");
            }
        }
        let routes = routes
            .prepare()
            .into_axum_router()
            .layer(CatchPanicLayer::custom(panic_status));
        Self { routes, state }
    }

    /// Answers one gRPC call (see the module docs).
    async fn serve(&self, mut request: Request) -> Response {
        let started = Instant::now();
        let path = request.uri().path().to_owned();
        let open_metrics = self.state.config.auth.open_metrics;
        let rule = rules::grpc_rule(&path, open_metrics);
        let (service, method) = match (&rule, path.trim_start_matches('/').split_once('/')) {
            (Some(_), Some((service, method))) => (service.to_owned(), method.to_owned()),
            _ => ("unmatched".to_owned(), "unmatched".to_owned()),
        };
        let deadline = deadline(request.headers());
        let (address, found) =
            gate::grpc_caller(&self.state, request.headers(), gate::peer(&request)).await;
        let mut end = End {
            state: self.state.clone(),
            service,
            method,
            started,
            audit: None,
        };
        let Some(rule) = rule else {
            return end.refuse(Status::unimplemented(format!("no method {path} here")));
        };
        let principal = match found {
            Ok(principal) => principal,
            Err(error) => {
                end.audit = rule
                    .action
                    .map(|action| Audit::new(action, "anonymous", &address));
                return end.refuse(convert::status(error));
            }
        };
        if let Some(action) = rule.action {
            let actor = principal
                .as_ref()
                .map(Principal::actor)
                .unwrap_or_else(|| "anonymous".to_owned());
            end.audit = Some(Audit::new(action, &actor, &address));
        }
        if let Some(needed) = rule.access.role() {
            if let Err(error) = allowed(principal.as_ref(), needed) {
                let reason = if error.kind == ErrorKind::Unauthorized {
                    "unauthenticated"
                } else {
                    "forbidden"
                };
                self.state.metrics.observe_refusal(reason);
                return end.refuse(convert::status(error));
            }
        }
        if let Some(audit) = &end.audit {
            request.extensions_mut().insert(audit.target.clone());
        }
        request.extensions_mut().insert(RequestFacts {
            me: self.state.coordinator.me(principal, None),
            address,
            secure: false,
        });
        let limit = deadline.unwrap_or(DEFAULT_DEADLINE);
        let response = match tokio::time::timeout(limit, self.routes.clone().oneshot(request)).await
        {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(_) => return end.refuse(Status::deadline_exceeded("the call's deadline passed")),
        };
        // An error before any message is "trailers only": the status is in the headers.
        if let Some(status) = Status::from_header_map(response.headers()) {
            if status.code() != Code::Ok {
                end.finish(status.code());
                return response;
            }
        }
        let (parts, body) = response.into_parts();
        let body = Observed {
            inner: body,
            end: Some(end),
            deadline: deadline.map(|d| Box::pin(tokio::time::sleep_until((started + d).into()))),
        };
        Response::from_parts(parts, Body::new(body))
    }
}

/// Sends gRPC calls (HTTP/2 and `application/grpc`) to [`Grpc`], anything else
/// on to the HTTP router. Plain-text HTTP/2 is only spoken with prior knowledge,
/// which no browser does, so a web page can never reach this API (DNS
/// rebinding, cross-site requests): the HTTP guard's checks stay with HTTP.
pub async fn dispatch(State(grpc): State<Grpc>, request: Request, next: Next) -> Response {
    let is_grpc = request.version() == Version::HTTP_2
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/grpc"));
    if is_grpc {
        grpc.serve(request).await
    } else {
        next.run(request).await
    }
}

/// Whether `principal` may call a method that needs `needed`, with REST's messages.
fn allowed(principal: Option<&Principal>, needed: Role) -> Result<(), ApiError> {
    match principal {
        None => Err(ApiError::new(
            ErrorKind::Unauthorized,
            "sign in first: this needs an API token (metadata authorization: Bearer …)",
        )),
        Some(p) if is_bootstrap(p) => Err(ApiError::new(
            ErrorKind::InsufficientRole,
            "the bootstrap token only creates the first admin (POST /api/v1/users); use that admin's tokens for the rest",
        )),
        Some(p) if !p.can(needed) => Err(ApiError::new(
            ErrorKind::InsufficientRole,
            format!("this needs the {needed} role; {} has {}", p.actor(), p.role),
        )),
        Some(_) => Ok(()),
    }
}

/// The principal the gate let through, for a method that records who asked.
fn principal<T>(request: &tonic::Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<RequestFacts>()
        .and_then(|facts| facts.me.principal.clone())
        .ok_or_else(|| {
            tracing::error!("a gRPC method needs a caller but the gate set none");
            Status::internal("internal error")
        })
}

/// What an audited call is about, as its method learns it (an execution id,
/// a scenario's name); shared by the gate and the method through the
/// request's extensions.
#[derive(Clone, Default)]
struct Target(Arc<Mutex<Option<String>>>);

/// Tells the audit log what an audited call is about.
fn note_target<T>(request: &tonic::Request<T>, target: &str) {
    if let Some(Target(slot)) = request.extensions().get::<Target>() {
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        *slot = Some(target.chars().take(200).collect());
    }
}

/// The audit record of a state-changing call, written when it ends.
struct Audit {
    action: &'static str,
    actor: String,
    address: String,
    target: Target,
}

impl Audit {
    fn new(action: &'static str, actor: &str, address: &str) -> Self {
        Self {
            action,
            actor: actor.to_owned(),
            address: address.to_owned(),
            target: Target::default(),
        }
    }
}

/// What is recorded when a call ends.
struct End {
    state: AppState,
    service: String,
    method: String,
    started: Instant,
    audit: Option<Audit>,
}

impl End {
    /// Records the call as ended with `code`: metrics, then the audit log.
    fn finish(self, code: Code) {
        self.state.metrics.observe_grpc(
            &self.service,
            &self.method,
            code,
            self.started.elapsed().as_secs_f64(),
        );
        let Some(audit) = self.audit else { return };
        let target = audit
            .target
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let record = AuditRecord {
            actor: audit.actor,
            address: audit.address,
            action: audit.action.to_owned(),
            target,
            status: convert::http_status_of(code),
        };
        let coordinator = self.state.coordinator.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = coordinator.record_audit(record).await {
                    tracing::error!(message = %error.message, "cannot append to the audit log");
                }
            });
        }
    }

    /// Answers `status` without calling the method.
    fn refuse(self, status: Status) -> Response {
        tracing::info!(code = ?status.code(), message = status.message(), "gRPC call refused");
        self.finish(status.code());
        status.into_http()
    }
}

/// A call's response body, watched to its end: the final code from its
/// trailers, the client's deadline over a stream, and an early drop (the
/// client went away) recorded as CANCELLED.
struct Observed {
    inner: Body,
    end: Option<End>,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Observed {
    fn end(&mut self, code: Code) {
        if let Some(end) = self.end.take() {
            end.finish(code);
        }
    }
}

impl http_body::Body for Observed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if this.end.is_none() {
            return Poll::Ready(None);
        }
        if let Some(deadline) = this.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                this.deadline = None;
                let status = Status::deadline_exceeded("the call's deadline passed");
                this.end(status.code());
                let mut trailers = HeaderMap::new();
                // Only fails for a message that is not a header value; this one is.
                let _ = status.add_header(&mut trailers);
                return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
            }
        }
        let frame = Pin::new(&mut this.inner).poll_frame(cx);
        match &frame {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let code = Status::from_header_map(trailers).map_or(Code::Ok, |s| s.code());
                    this.end(code);
                }
            }
            Poll::Ready(Some(Err(_))) => this.end(Code::Internal),
            Poll::Ready(None) => this.end(Code::Ok),
            Poll::Pending => {}
        }
        frame
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        self.end(Code::Cancelled);
    }
}

/// The client's deadline from `grpc-timeout` (`100m`, `5S`, `1H`): up to eight
/// digits and a unit; anything else is no deadline, as gRPC says.
fn deadline(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get("grpc-timeout")?.to_str().ok()?;
    if text.len() < 2 || text.len() > 9 {
        return None;
    }
    let (digits, unit) = text.split_at(text.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    let duration = match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    };
    Some(duration.min(MAX_DEADLINE))
}

/// A method that panicked: INTERNAL, the panic's message to the log only.
/// The process keeps serving, as for REST.
fn panic_status(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(
        panic = crate::http::panic_message(panic.as_ref()),
        "a gRPC method panicked"
    );
    Status::internal("internal error").into_http()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fail closed: a method added to `proto/` without a rule would be
    /// unreachable (UNIMPLEMENTED); this names it instead.
    #[test]
    fn every_method_served_has_an_access_rule() {
        use prost::Message;
        let files = prost_types::FileDescriptorSet::decode(DESCRIPTORS)
            .expect("the descriptors decode")
            .file
            .into_iter()
            .chain(
                prost_types::FileDescriptorSet::decode(tonic_health::pb::FILE_DESCRIPTOR_SET)
                    .expect("health's descriptors decode")
                    .file,
            );
        let mut methods = 0;
        for file in files {
            for service in &file.service {
                let name = format!("{}.{}", file.package(), service.name());
                for method in &service.method {
                    let path = format!("/{name}/{}", method.name());
                    assert!(
                        rules::grpc_rule(&path, false).is_some(),
                        "{path} has no rule in auth::rules::GRPC_TWINS"
                    );
                    methods += 1;
                }
            }
        }
        assert_eq!(methods, 11, "9 methods of ours and health's 2");
        for name in SERVICE_NAMES {
            assert!(rules::GRPC_TWINS
                .iter()
                .any(|(path, _, _)| path.starts_with(&format!("/{name}/"))));
        }
    }

    #[test]
    fn grpc_timeouts_are_read_as_the_specification_writes_them() {
        let of = |text: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("grpc-timeout", text.parse().expect("a header value"));
            deadline(&headers)
        };
        assert_eq!(of("100m"), Some(Duration::from_millis(100)));
        assert_eq!(of("5S"), Some(Duration::from_secs(5)));
        assert_eq!(of("2M"), Some(Duration::from_secs(120)));
        assert_eq!(of("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(of("7u"), Some(Duration::from_micros(7)));
        assert_eq!(of("99999999H"), Some(MAX_DEADLINE));
        for bad in ["", "5", "S", "5s", "123456789S", "-1S", "1.5S"] {
            assert_eq!(of(bad), None, "{bad:?}");
        }
    }
}
