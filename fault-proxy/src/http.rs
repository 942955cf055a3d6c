//! The HTTP proxy (`protocol: http`): HTTP/1.1 in front of an `http://`
//! upstream. Each request walks the active faults in injection order: a
//! latency waits, a rate limit takes a token or answers 429, an error answers
//! instead of the upstream, an abort drops the connection, and a body
//! corruption marks the answer. Then the request goes upstream through a
//! pooled client. An upstream that refuses is a 502, one that does not answer
//! in time a 504: never a hang. TLS, WebSocket and HTTP/2 traffic go through
//! `protocol: tcp`.

use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::{TokioExecutor, TokioIo},
};
use rand::Rng as _;
use serde_json::{json, Value};
use tokio::{net::TcpListener, time::Instant};
use tokio_util::sync::CancellationToken;

use crate::{
    book::{Faults, Lease},
    effects::{Effect, ProxyMetrics, Tally},
    http_faults::{http_actions, parse_http, HttpFault, HttpFaultKind},
    proxy::{InjectError, Proxy, StartError},
};

/// An injected HTTP fault.
pub type ActiveHttpFault = crate::book::ActiveFault<HttpFault>;

/// The bodies the proxy answers with.
type Body = BoxBody<Bytes, hyper::Error>;

/// Longest wait for the upstream to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for the upstream's response head.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers that belong to one hop and are not forwarded.
const HOP_BY_HOP: [header::HeaderName; 6] = [
    header::CONNECTION,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
];

/// A running HTTP proxy.
pub type HttpProxy = Proxy<HttpFault>;

impl Proxy<HttpFault> {
    /// Listens on `listen` and forwards every request to `upstream`
    /// (`host:port`).
    pub async fn start(
        name: impl Into<String>,
        listen: SocketAddr,
        upstream: impl Into<String>,
    ) -> Result<Self, StartError> {
        Self::start_measured(name, listen, upstream, &ProxyMetrics::default()).await
    }

    /// [`Self::start`], counting its traffic in `metrics`.
    pub async fn start_measured(
        name: impl Into<String>,
        listen: SocketAddr,
        upstream: impl Into<String>,
        metrics: &ProxyMetrics,
    ) -> Result<Self, StartError> {
        let upstream = upstream.into();
        let actions: Vec<&'static str> = http_actions().iter().map(|a| a.name).collect();
        Self::launch(
            name.into(),
            listen,
            &actions,
            metrics,
            move |listener, _, faults, tally, stop| {
                let mut connector = HttpConnector::new();
                connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
                connector.set_nodelay(true);
                let forwarder = Arc::new(Forwarder {
                    upstream,
                    client: Client::builder(TokioExecutor::new()).build(connector),
                    faults,
                    tally,
                });
                accept_loop(listener, forwarder, stop)
            },
        )
        .await
    }

    /// Injects `action` with `parameters`, after the faults already active;
    /// `lease` says how long it lives unless renewed, and for whom.
    pub fn inject(
        &self,
        action: &str,
        parameters: Value,
        lease: Lease,
    ) -> Result<ActiveHttpFault, InjectError> {
        let fault = parse_http(action, &parameters)?;
        self.add(action, parameters, fault, lease)
    }
}

struct Forwarder {
    upstream: String,
    client: Client<HttpConnector, Incoming>,
    faults: Faults<HttpFault>,
    tally: Arc<Tally>,
}

/// The connection is dropped without an answer (`abort`).
#[derive(Debug)]
struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("aborted by a fault")
    }
}

impl std::error::Error for Aborted {}

async fn accept_loop(listener: TcpListener, forwarder: Arc<Forwarder>, stop: CancellationToken) {
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop.cancelled() => return,
        };
        let _ = stream.set_nodelay(true);
        let (forwarder, stop) = (forwarder.clone(), stop.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let forwarder = forwarder.clone();
                async move { forwarder.handle(request, peer).await }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                () = stop.cancelled() => {}
            }
        });
    }
}

impl Forwarder {
    async fn handle(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<Response<Body>, Aborted> {
        let faults = self.faults.borrow().clone();
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let endpoint = || Some(format!("{method} {path}"));
        let mut corrupt = None;
        let mut touched = false;
        for active in faults.iter() {
            let fault = &active.fault;
            if !fault.matches(&method, &path) || !roll(fault.toxicity) {
                continue;
            }
            let (action, owner) = (active.action.as_str(), active.owner.as_deref());
            let failed = |fault_type: String| Effect::Fault {
                fault_type,
                endpoint: endpoint(),
            };
            match &fault.kind {
                HttpFaultKind::Latency { latency, jitter } => {
                    let delay = crate::tcp::jittered(*latency, *jitter);
                    let effect = Effect::Latency {
                        endpoint: endpoint(),
                    };
                    self.tally.hit(action, owner, effect, Some(delay));
                    touched = true;
                    tokio::time::sleep(delay).await;
                }
                HttpFaultKind::Error {
                    status,
                    body,
                    content_type,
                } => {
                    self.tally
                        .hit(action, owner, failed(format!("error_{status}")), None);
                    let mut response = Response::new(full(body.clone()));
                    *response.status_mut() =
                        StatusCode::from_u16(*status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                    if let Ok(value) = HeaderValue::from_str(content_type) {
                        response.headers_mut().insert(header::CONTENT_TYPE, value);
                    }
                    return Ok(response);
                }
                HttpFaultKind::Abort => {
                    self.tally.hit(action, owner, failed("abort".into()), None);
                    return Err(Aborted);
                }
                HttpFaultKind::RateLimit { per_second, bucket } => {
                    let taken = bucket
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take(Instant::now());
                    if let Err(wait) = taken {
                        let effect = Effect::RateLimited {
                            client_ip: Some(peer.ip().to_string()),
                            endpoint: endpoint(),
                        };
                        self.tally.hit(action, owner, effect, None);
                        let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
                        let mut response = json_response(
                            StatusCode::TOO_MANY_REQUESTS,
                            json!({"error": {"kind": "rate_limited", "message": format!("over {per_second} requests a second (a fault injected by the proxy)")}}),
                        );
                        response
                            .headers_mut()
                            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                        return Ok(response);
                    }
                }
                HttpFaultKind::CorruptBody { rate } => {
                    self.tally
                        .hit(action, owner, failed("corrupt_body".into()), None);
                    touched = true;
                    corrupt = Some(*rate);
                }
            }
        }
        if !touched {
            self.tally.untouched();
        }
        let response = self.forward(request).await;
        Ok(match corrupt {
            Some(rate) => {
                let (parts, body) = response.into_parts();
                // A bit flipped in a share of the bytes: the length is kept.
                let body = body.map_frame(move |frame| {
                    frame.map_data(|data| {
                        let mut bytes = data.to_vec();
                        let mut rng = rand::rng();
                        for byte in &mut bytes {
                            if rng.random::<f64>() < rate {
                                *byte ^= 1 << rng.random_range(0..8);
                            }
                        }
                        Bytes::from(bytes)
                    })
                });
                Response::from_parts(parts, body.boxed())
            }
            None => response,
        })
    }

    /// The upstream's answer, or a 502/504 saying why there is none.
    async fn forward(&self, request: Request<Incoming>) -> Response<Body> {
        let (mut parts, body) = request.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        parts.uri = match Uri::builder()
            .scheme("http")
            .authority(self.upstream.as_str())
            .path_and_query(path)
            .build()
        {
            Ok(uri) => uri,
            Err(error) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    json!({"error": {"kind": "invalid_request", "message": error.to_string()}}),
                )
            }
        };
        for name in &HOP_BY_HOP {
            parts.headers.remove(name);
        }
        if let Ok(host) = HeaderValue::from_str(&self.upstream) {
            parts.headers.insert(header::HOST, host);
        }
        let sent = self.client.request(Request::from_parts(parts, body));
        match tokio::time::timeout(RESPONSE_TIMEOUT, sent).await {
            Ok(Ok(response)) => {
                let (mut parts, body) = response.into_parts();
                for name in &HOP_BY_HOP {
                    parts.headers.remove(name);
                }
                Response::from_parts(parts, body.boxed())
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, upstream = %self.upstream, "upstream unavailable");
                json_response(
                    StatusCode::BAD_GATEWAY,
                    json!({"error": {"kind": "upstream_unavailable", "message": format!("the upstream {} did not answer: {error}", self.upstream)}}),
                )
            }
            Err(_) => json_response(
                StatusCode::GATEWAY_TIMEOUT,
                json!({"error": {"kind": "upstream_timeout", "message": format!("the upstream {} sent no answer within {} s", self.upstream, RESPONSE_TIMEOUT.as_secs())}}),
            ),
        }
    }
}

fn roll(toxicity: f64) -> bool {
    toxicity >= 1.0 || (toxicity > 0.0 && rand::rng().random::<f64>() < toxicity)
}

fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

fn json_response(status: StatusCode, body: Value) -> Response<Body> {
    let mut response = Response::new(full(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
