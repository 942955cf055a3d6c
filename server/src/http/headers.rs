//! Security headers on every response, pages and API alike (docs/api.md, Security):
//! a Content-Security-Policy whose script nonce is fresh per request, framing
//! refused, no MIME sniffing, no referrer.
//!
//! The nonce is made here and put in the request's extensions as [`CspNonce`];
//! the Leptos context (`http::router`) hands the same value to Leptos, which
//! writes it on the hydration script. A handler that sets its own policy keeps it
//! (the HTML report, [`REPORT_POLICY`]).

use std::sync::Arc;

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

/// This request's script nonce (128 random bits as hex).
#[derive(Clone, Debug)]
pub struct CspNonce(pub Arc<str>);

impl CspNonce {
    fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string().into())
    }
}

/// The policy of the HTML report, which the report page shows in an `<iframe>`:
/// no script at all, its inline `<style>`, framed by this site's pages only.
pub const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// The policy of every other response. Scripts: this site's files, the inline
/// hydration script carrying the nonce, and WebAssembly compilation; no `eval`,
/// no inline handlers. Styles: this site's stylesheet only.
fn page_policy(nonce: &CspNonce) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        nonce.0
    )
}

/// Axum middleware: adds the headers (keeping a policy a handler set).
pub async fn security_headers(mut request: Request, next: Next) -> Response {
    let nonce = CspNonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    if !headers.contains_key(header::X_FRAME_OPTIONS) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}
