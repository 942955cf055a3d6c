//! The chaos-API convention over HTTP: action `inject_latency` on a service is
//! `POST {url}{chaos_api_path}/inject-latency` with the parameters as the JSON
//! body; `clear_chaos`/`clear_all_chaos` are `POST …/clear`. Action `http` calls
//! a method and path on a configured service — never an arbitrary URL. Every
//! request carries `X-Execution-Id` and `X-Chaos-Time-Scale`.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use futures::future::BoxFuture;
use reqwest::{Client, Method};
use serde_json::{json, Value};

use crate::{
    config::ServiceConfig,
    engine::{event::ActionOutcome, ActionCall, ServiceCaller},
};

/// With the `test-hooks` feature (tests only), an `http` action on this path
/// panics in the adapter: the tests of the execution guard use it.
#[cfg(feature = "test-hooks")]
pub const TEST_PANIC_PATH: &str = "/__test-hooks/panic";

/// Largest response body kept as evidence.
const MAX_BODY: usize = 16 * 1024;

/// Calls actions on the configured services.
#[derive(Debug, Clone)]
pub struct HttpServices {
    client: Client,
    services: Arc<BTreeMap<String, ServiceConfig>>,
    supervisor: Arc<super::process::Supervisor>,
    renewals: Arc<super::lease::Renewals>,
}

impl HttpServices {
    /// Adapters for `services`, sharing one connection pool.
    pub fn new(services: BTreeMap<String, ServiceConfig>) -> Self {
        let client = Client::builder()
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Self {
            renewals: Arc::new(super::lease::Renewals::new(
                client.clone(),
                std::time::Duration::from_secs(5),
            )),
            client,
            services: Arc::new(services),
            supervisor: Arc::default(),
        }
    }

    /// Renews proxied faults' leases every `every` (`proxy.renew_every`).
    pub fn renewing_every(mut self, every: std::time::Duration) -> Self {
        self.renewals = Arc::new(super::lease::Renewals::new(self.client.clone(), every));
        self
    }

    /// The lease renewals (how many executions hold proxied faults).
    pub fn renewals(&self) -> &super::lease::Renewals {
        &self.renewals
    }

    /// The shared client (assertions use the same pool).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A configured service.
    pub fn service(&self, name: &str) -> Option<&ServiceConfig> {
        self.services.get(name)
    }

    /// Every configured service.
    pub fn services(&self) -> impl Iterator<Item = &ServiceConfig> {
        self.services.values()
    }

    async fn perform(&self, call: &ActionCall) -> ActionOutcome {
        #[cfg(feature = "test-hooks")]
        if call.action == "http"
            && call.parameters.get("path").and_then(Value::as_str) == Some(TEST_PANIC_PATH)
        {
            panic!("test hook: the adapter panics on {TEST_PANIC_PATH}");
        }
        let Some(service) = self.services.get(&call.service) else {
            return failure(format!("service {:?} is not configured", call.service));
        };
        if service.process.is_some() && call.action != "http" {
            return self
                .supervisor
                .act(&self.client, service, &call.action)
                .await;
        }
        let request = match build_request(service, call) {
            Ok(request) => request,
            Err(message) => return failure(message),
        };
        // `http` goes to the service (through its proxy's front door, if
        // it has one); chaos goes to its chaos API.
        let base = if call.action == "http" {
            &service.url
        } else {
            service.chaos_base()
        };
        let url = format!("{}{}", base.as_str().trim_end_matches('/'), request.path);
        let mut builder = self.client.request(request.method, &url);
        if call.action != "http" {
            builder = service.chaos_auth(builder);
        }
        let mut builder = builder
            .timeout(service.timeout)
            .header("X-Execution-Id", call.execution_id.to_string())
            .header("X-Chaos-Time-Scale", call.speed.to_string());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let started = Instant::now();
        let response = builder.send().await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                let (bytes, unread) = match response.bytes().await {
                    Ok(bytes) => (bytes, None),
                    Err(error) => (
                        Default::default(),
                        Some(super::reply::describe_transport_error(&error)),
                    ),
                };
                let mut body = decode_body(&bytes);
                let ok = unread.is_none()
                    && match request.expect_status {
                        Some(expected) => status == expected,
                        None => (200..300).contains(&status),
                    };
                if ok && service.proxy.is_some() && call.action != "http" {
                    if is_clear(&call.action) {
                        // A proxy's clear brings what the faults did since
                        // the last renewal: events, not part of the answer.
                        let effects = body
                            .as_object_mut()
                            .and_then(|b| b.remove("effects"))
                            .and_then(|e| serde_json::from_value(e).ok())
                            .unwrap_or_default();
                        super::lease::report_effects(&call.service, effects, &call.effects);
                    } else if let Some(chaos) = &service.chaos_api_path {
                        // The fault lives as long as its lease: keep it
                        // renewed while the execution runs.
                        self.renewals.hold(
                            call.execution_id,
                            super::lease::ChaosApi {
                                url: format!("{}{chaos}", base.as_str().trim_end_matches('/')),
                                token: service.proxy.as_ref().and_then(|p| p.token.clone()),
                            },
                            &call.service,
                            &call.effects,
                        );
                    }
                }
                let message = if let Some(unread) = unread {
                    format!(
                        "{} {} answered {status}, but {unread}",
                        call.service, call.action
                    )
                } else if ok {
                    format!("{} {} answered {status}", call.service, call.action)
                } else {
                    let detail = body
                        .pointer("/error/message")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    format!(
                        "{} {} answered {status}{}",
                        call.service,
                        call.action,
                        detail.map(|d| format!(": {d}")).unwrap_or_default()
                    )
                };
                ActionOutcome {
                    ok,
                    status: Some(status),
                    latency_ms,
                    message,
                    response: body,
                }
            }
            Err(error) => {
                let what = if error.is_timeout() {
                    format!(
                        "timed out after {}",
                        app::scenario::duration::format_duration(service.timeout)
                    )
                } else {
                    super::reply::describe_transport_error(&error)
                };
                ActionOutcome {
                    ok: false,
                    status: None,
                    latency_ms,
                    message: format!("{} {}: {what} ({url})", call.service, call.action),
                    response: Value::Null,
                }
            }
        }
    }
}

impl ServiceCaller for HttpServices {
    fn call<'a>(&'a self, call: &'a ActionCall) -> BoxFuture<'a, ActionOutcome> {
        Box::pin(self.perform(call))
    }

    fn execution_ended(&self, id: crate::engine::ExecutionId) {
        self.renewals.release(id);
    }

    fn settle(&self, id: crate::engine::ExecutionId) -> BoxFuture<'_, ()> {
        Box::pin(self.renewals.settle(id))
    }
}

/// Whether `action` is every chaos API's clear (`POST …/clear`).
pub fn is_clear(action: &str) -> bool {
    matches!(action, "clear_chaos" | "clear_all_chaos")
}

/// One HTTP request an action turns into.
#[derive(Debug, PartialEq)]
struct Request {
    method: Method,
    path: String,
    body: Option<Value>,
    headers: Vec<(String, String)>,
    expect_status: Option<u16>,
}

fn failure(message: String) -> ActionOutcome {
    ActionOutcome {
        ok: false,
        status: None,
        latency_ms: 0.0,
        message,
        response: Value::Null,
    }
}

/// The request for `call` on `service`, or why there is none.
fn build_request(service: &ServiceConfig, call: &ActionCall) -> Result<Request, String> {
    if call.action == "http" {
        return http_request(&call.parameters);
    }
    let Some(chaos) = service.chaos_api_path.as_deref() else {
        return Err(format!(
            "{} has no chaos API (no chaos_api_path in its config); use action `http` for it",
            service.name
        ));
    };
    let chaos = chaos.trim_end_matches('/');
    let (path, body) = match call.action.as_str() {
        action if is_clear(action) => (format!("{chaos}/clear"), json!({})),
        action => {
            let body = if call.parameters.is_null() {
                json!({})
            } else {
                call.parameters.clone()
            };
            (format!("{chaos}/{}", action.replace('_', "-")), body)
        }
    };
    Ok(Request {
        method: Method::POST,
        path,
        body: Some(body),
        headers: Vec::new(),
        expect_status: None,
    })
}

/// `action: http` with `{method, path, body, headers, expect_status}`.
fn http_request(parameters: &Value) -> Result<Request, String> {
    let path = parameters
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| p.starts_with('/'))
        .ok_or("action http needs a `path` starting with '/'")?;
    let method = parameters
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET");
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("action http: {method:?} is not an HTTP method"))?;
    let headers = parameters
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let expect_status = parameters
        .get("expect_status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok());
    Ok(Request {
        method,
        path: path.to_owned(),
        body: parameters.get("body").cloned(),
        headers,
        expect_status,
    })
}

/// JSON when the body is JSON, else the text (truncated).
pub fn decode_body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_BODY)]);
        Value::String(text.into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ExecutionId;

    fn service(chaos: Option<&str>) -> ServiceConfig {
        ServiceConfig {
            name: "exchange-simulator".into(),
            url: "http://127.0.0.1:1".parse().unwrap(),
            chaos_api_path: chaos.map(str::to_owned),
            health_endpoint: "/health".into(),
            timeout: std::time::Duration::from_secs(1),
            process: None,
            actions: Vec::new(),
            proxy: None,
        }
    }

    fn call(action: &str, parameters: Value) -> ActionCall {
        ActionCall {
            execution_id: ExecutionId::new(),
            speed: 60.0,
            service: "exchange-simulator".into(),
            action: action.into(),
            parameters,
            effects: crate::engine::EffectSink::default(),
        }
    }

    #[test]
    fn chaos_actions_post_to_their_hyphenated_path() {
        let request = build_request(
            &service(Some("/chaos")),
            &call("inject_latency", json!({"delay_ms": 500})),
        )
        .unwrap();
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/chaos/inject-latency");
        assert_eq!(request.body, Some(json!({"delay_ms": 500})));
    }

    #[test]
    fn both_clear_actions_post_to_clear() {
        for action in ["clear_chaos", "clear_all_chaos"] {
            let request =
                build_request(&service(Some("/chaos/")), &call(action, Value::Null)).unwrap();
            assert_eq!(request.path, "/chaos/clear");
        }
    }

    #[test]
    fn http_actions_take_method_path_body_and_expected_status() {
        let request = build_request(
            &service(None),
            &call("http", json!({"method": "put", "path": "/api/v1/x", "body": {"a": 1}, "expect_status": 204, "headers": {"X-A": "b"}})),
        )
        .unwrap();
        assert_eq!(request.method, Method::PUT);
        assert_eq!(request.path, "/api/v1/x");
        assert_eq!(request.expect_status, Some(204));
        assert_eq!(request.headers, [("X-A".to_owned(), "b".to_owned())]);
        assert!(build_request(
            &service(None),
            &call("http", json!({"path": "http://evil"}))
        )
        .is_err());
    }

    #[test]
    fn a_service_without_chaos_api_refuses_chaos_actions() {
        let error = build_request(&service(None), &call("inject_latency", json!({}))).unwrap_err();
        assert!(error.contains("no chaos API"), "{error}");
    }

    #[tokio::test]
    async fn an_unreachable_service_is_an_unsuccessful_outcome_not_an_error() {
        let mut services = BTreeMap::new();
        services.insert("exchange-simulator".to_owned(), service(Some("/chaos")));
        let outcome = HttpServices::new(services)
            .call(&call("clear_chaos", Value::Null))
            .await;
        assert!(!outcome.ok);
        assert!(
            outcome.message.contains("cannot connect"),
            "{}",
            outcome.message
        );
    }

    #[tokio::test]
    async fn a_garbage_reply_says_what_was_wrong_not_request_failed() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            let _ = socket
                .write_all(b"\x00\x01 not an HTTP reply\r\n\r\n")
                .await;
        });
        let mut target = service(Some("/chaos"));
        target.url = format!("http://{address}").parse().unwrap();
        let mut services = BTreeMap::new();
        services.insert("exchange-simulator".to_owned(), target);
        let outcome = HttpServices::new(services)
            .call(&call("inject_latency", json!({"delay_ms": 1})))
            .await;
        server.await.unwrap();
        assert!(!outcome.ok);
        assert!(
            outcome.message.contains("no valid HTTP reply: "),
            "{}",
            outcome.message
        );
        assert!(
            !outcome.message.contains("request failed"),
            "{}",
            outcome.message
        );
    }

    /// A proxied service: an injection holds a lease to renew, an `http`
    /// call through the front door or a clear does not.
    #[tokio::test]
    async fn only_a_proxied_injection_holds_a_lease() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(|| async { "{}" });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let mut target = service(Some("/proxies/exchange-simulator/chaos"));
        target.url = format!("http://{address}").parse().unwrap();
        target.proxy = Some(crate::config::ProxiedService {
            listen: address,
            protocol: fault_proxy::Protocol::Http,
            upstream: "127.0.0.1:1".into(),
            admin: target.url.clone(),
            token: None,
        });
        let mut services = BTreeMap::new();
        services.insert("exchange-simulator".to_owned(), target);
        let adapters = HttpServices::new(services);
        let http = call("http", json!({"path": "/health"}));
        assert!(adapters.call(&http).await.ok);
        assert!(adapters.call(&call("clear_chaos", Value::Null)).await.ok);
        assert_eq!(adapters.renewals().holding(), 0, "nothing injected");
        let inject = call("latency", json!({"latency": 5}));
        assert!(adapters.call(&inject).await.ok);
        assert_eq!(adapters.renewals().holding(), 1);
        adapters.execution_ended(inject.execution_id);
        assert_eq!(adapters.renewals().holding(), 0, "released at the end");
    }
}
