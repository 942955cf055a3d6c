//! Workload traffic over HTTP (DESIGN.md §7): each stream's URL, method,
//! headers and body are resolved once; a request then costs one body fill and
//! one send on the shared connection pool. Every request carries
//! `X-Execution-Id` and `X-Chaos-Time-Scale`, like actions and checks.

use std::{collections::BTreeMap, sync::Arc};

use app::scenario::workload::{fill_body, Stream};
use futures::future::BoxFuture;
use reqwest::{
    header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE},
    Client, Method,
};
use serde_json::Value;

use crate::{
    config::ServiceConfig,
    engine::{figures::Outcome, ExecutionId, LoadSender, StreamSender},
};

/// Prepares workload streams against the configured services.
#[derive(Debug, Clone)]
pub struct HttpLoad {
    client: Client,
    services: Arc<BTreeMap<String, ServiceConfig>>,
}

impl HttpLoad {
    /// Streams to `services`, sending on `client`'s pool.
    pub fn new(client: Client, services: BTreeMap<String, ServiceConfig>) -> Self {
        Self {
            client,
            services: Arc::new(services),
        }
    }
}

impl LoadSender for HttpLoad {
    fn prepare(
        &self,
        stream: &Stream,
        execution_id: ExecutionId,
        speed: f64,
    ) -> Result<Arc<dyn StreamSender>, String> {
        let service = self
            .services
            .get(&stream.service)
            .ok_or_else(|| format!("service {:?} is not configured", stream.service))?;
        let method = Method::from_bytes(stream.method.as_bytes())
            .map_err(|_| format!("{:?} is not an HTTP method", stream.method))?;
        let url = format!(
            "{}{}",
            service.url.as_str().trim_end_matches('/'),
            stream.path
        );
        let url = reqwest::Url::parse(&url).map_err(|e| format!("{url}: {e}"))?;
        let mut headers = HeaderMap::new();
        let header = |name: &str, value: &str| -> Result<(HeaderName, HeaderValue), String> {
            Ok((
                HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| format!("{name:?} is not a header name"))?,
                HeaderValue::from_str(value)
                    .map_err(|_| format!("{value:?} is not a valid value for header {name}"))?,
            ))
        };
        for (name, value) in [
            ("X-Execution-Id", execution_id.to_string()),
            ("X-Chaos-Time-Scale", speed.to_string()),
        ] {
            let (name, value) = header(name, &value)?;
            headers.insert(name, value);
        }
        for (name, value) in &stream.headers {
            let (name, value) = header(name, value)?;
            headers.insert(name, value);
        }
        if stream.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        // A body without placeholders is serialised once.
        let body = match &stream.body {
            None => Body::None,
            Some(body) if body.to_string().contains("${") => Body::Template(body.clone()),
            Some(body) => Body::Fixed(body.to_string()),
        };
        Ok(Arc::new(HttpStream {
            client: self.client.clone(),
            method,
            url,
            headers,
            body,
            timeout: stream.timeout,
            stream: stream.name.clone(),
            execution_id: execution_id.to_string(),
        }))
    }
}

enum Body {
    None,
    Fixed(String),
    Template(Value),
}

struct HttpStream {
    client: Client,
    method: Method,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Body,
    timeout: std::time::Duration,
    stream: String,
    execution_id: String,
}

impl StreamSender for HttpStream {
    fn send(&self, seq: u64) -> BoxFuture<'static, Outcome> {
        let mut request = self
            .client
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone())
            .timeout(self.timeout);
        request = match &self.body {
            Body::None => request,
            Body::Fixed(bytes) => request.body(bytes.clone()),
            Body::Template(body) => {
                request.body(fill_body(body, seq, &self.stream, &self.execution_id).to_string())
            }
        };
        Box::pin(async move {
            match request.send().await {
                // The body is read so the connection goes back to the pool.
                Ok(response) => {
                    let outcome = Outcome::of_status(response.status().as_u16());
                    match response.bytes().await {
                        Ok(_) => outcome,
                        Err(error) if error.is_timeout() => Outcome::Timeout,
                        Err(_) => Outcome::Transport,
                    }
                }
                Err(error) if error.is_timeout() => Outcome::Timeout,
                Err(_) => Outcome::Transport,
            }
        })
    }
}
