//! The CLI's client of the REST API: [`Remote`] sends a request and reads the
//! answer as the `app::api` type the server serialises, and a 4xx/5xx answer as
//! a [`Refusal`] carrying the body's [`ApiError`]. Typed on both ends, a renamed
//! field fails to compile or fails to decode with the path named, instead of
//! printing blanks and zeros.

use std::time::Duration;

use anyhow::Context as _;
use app::{
    api::{rest::ExecutionEvents, ApiError},
    scenario::diagnostic::Diagnostic,
};
use reqwest::StatusCode;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::engine::event::{Event, EventKind};

/// A thin client of the REST API.
pub struct Remote {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
}

impl Remote {
    /// A client of the server at `base`, with no API token.
    pub fn new(base: &str) -> Self {
        Self::with_token(base, None)
    }

    /// A client of the server at `base` that sends `token` (`--token`,
    /// `TEST_COORDINATOR_TOKEN`) as `Authorization: Bearer …` on every request.
    pub fn with_token(base: &str, token: Option<&str>) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) {
            match reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    headers.insert(reqwest::header::AUTHORIZATION, value);
                }
                Err(_) => eprintln!(
                    "warning: the API token has characters a header cannot carry; sending none"
                ),
            }
        }
        Self {
            base: base.trim_end_matches('/').to_owned(),
            // Announced so the server records a stop sent from here as the CLI's.
            client: reqwest::Client::builder()
                .user_agent(crate::http::CLI_USER_AGENT)
                .default_headers(headers)
                .build()
                .unwrap_or_default(),
        }
    }

    /// Sends `request` to `path`: the answer as a `T`, or the server's refusal.
    /// An answer that is not a `T` is an error naming `path`: a renamed field
    /// fails here instead of printing as zeros.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<Result<T, Refusal>> {
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        let status = response.status();
        if !status.is_success() {
            let refusal = Refusal::read(response).await;
            // Not signed in, or not allowed: the server's message (e.g. "token
            // revoked") is the whole story, whatever the command does with
            // other refusals; the CLI exits with code 2.
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                return Err(anyhow::Error::new(refusal));
            }
            return Ok(Err(refusal));
        }
        let body = response
            .bytes()
            .await
            .with_context(|| format!("the server's answer to {path} broke off"))?;
        serde_json::from_slice(&body)
            .map(Ok)
            .with_context(|| format!("the server's answer to {path} is not one this CLI reads"))
    }

    /// GET `path` as a `T`; a refusal is an error (its message and diagnostics).
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let request = self.client.get(format!("{}{path}", self.base));
        Ok(self.call(path, request).await??)
    }

    /// POST `body` to `path`, the answer as a `T`; a refusal is an error.
    pub async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        let request = self.client.post(format!("{}{path}", self.base)).json(body);
        Ok(self.call(path, request).await??)
    }

    /// DELETE `path`; a refusal is an error (its message). The answer's body,
    /// if any, is not read (`204 No Content`).
    pub async fn delete(&self, path: &str) -> anyhow::Result<()> {
        let response = self
            .client
            .delete(format!("{}{path}", self.base))
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        if !response.status().is_success() {
            return Err(anyhow::Error::new(Refusal::read(response).await));
        }
        Ok(())
    }

    /// Prints `id`'s events after `since` as they come, until it ends; returns its final state.
    pub async fn follow(&self, id: &str, print: impl Fn(&Event)) -> anyhow::Result<String> {
        let mut since: Option<u64> = None;
        loop {
            let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
            for event in self
                .events(&format!("/api/v1/scenarios/{id}/logs{query}"))
                .await?
            {
                since = Some(event.seq);
                print(&event);
                if let EventKind::ExecutionFinished { status, .. } = event.kind {
                    return Ok(status.as_str().to_owned());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The events of a page of `…/logs`, typed.
    pub async fn events(&self, path: &str) -> anyhow::Result<Vec<Event>> {
        Ok(self.get_json::<ExecutionEvents>(path).await?.events)
    }
}

/// A 4xx/5xx answer: its status and the [`ApiError`] of its body (none when
/// the body is not the API's error shape, e.g. a proxy's page).
#[derive(Debug)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body's error.
    pub error: Option<ApiError>,
}

/// The body of every 4xx/5xx answer: `{"error": ApiError}`.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ApiError,
}

/// The `details` of a refusal that lists a scenario's diagnostics (422).
#[derive(Deserialize)]
struct DiagnosticDetails {
    diagnostics: Vec<Diagnostic>,
}

impl Refusal {
    /// Reads a 4xx/5xx `response`.
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let error = response
            .json::<ErrorEnvelope>()
            .await
            .ok()
            .map(|body| body.error);
        Self { status, error }
    }

    /// The error's message, or `fallback` when the body had none.
    pub fn message<'a>(&'a self, fallback: &'a str) -> &'a str {
        self.error.as_ref().map_or(fallback, |e| e.message.as_str())
    }
}

impl std::fmt::Display for Refusal {
    /// `message (status)`, then one `line:column: kind: message` line per diagnostic.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message("no message"), self.status)?;
        let diagnostics = self
            .error
            .as_ref()
            .and_then(|e| serde_json::from_value::<DiagnosticDetails>(e.details.clone()).ok())
            .map(|d| d.diagnostics)
            .unwrap_or_default();
        let place = |n: Option<u32>| n.map_or("-".to_owned(), |n| n.to_string());
        for d in diagnostics {
            write!(
                f,
                "\n  {}:{}: {}: {}",
                place(d.line),
                place(d.column),
                d.kind,
                d.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

/// Prints `value` as JSON, or runs `human`.
pub fn print<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce(),
) -> anyhow::Result<std::process::ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        human();
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `id` escaped: whatever is typed stays one path segment.
pub fn segment(id: &str) -> String {
    let mut escaped = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}
