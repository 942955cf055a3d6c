//! The request guard: refuses, before any handler runs, what a hostile web page
//! could make a browser on the operator's machine send. There is no sign-in yet,
//! so the browser is the attack path (issue 13, finding 4):
//!
//! - **Host (DNS rebinding):** when the server listens on a loopback address, a
//!   request must name a loopback host (`localhost`, `*.localhost`, `127.0.0.0/8`,
//!   `[::1]`). A rebound name such as `attacker.example` resolving to 127.0.0.1 is
//!   refused, whatever its method.
//! - **Origin:** a request that carries an `Origin` must come from this server's
//!   own origin (the `Origin`'s host and port equal the `Host`). Browsers send
//!   `Origin` on every cross-origin `fetch`, `EventSource`, WebSocket and on every
//!   non-GET request, so this covers the WebSocket, SSE and every state change.
//! - **State changes** (any method but GET, HEAD and OPTIONS): `Sec-Fetch-Site`, when
//!   present, must be `same-origin` (or `none`: typed by the user), and the body must
//!   not be CORS-"simple" (`application/x-www-form-urlencoded`, `multipart/form-data`,
//!   `text/plain`): those are what a form or a `no-cors` fetch on another site can
//!   send without asking. The API and the server functions take JSON.
//!
//! Requests with neither `Origin` nor `Sec-Fetch-Site` (the CLI, curl, scripts)
//! pass the origin rules: no browser is involved. Refusals are 403 in the API's
//! error shape.

use app::api::{ApiError, ErrorKind};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::error::HttpError;

/// What the guard knows about the server it protects.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The server listens on a loopback address only: `Host` must be a loopback
    /// name or IP (or an allowed host).
    pub loopback_only: bool,
    /// DNS names the server also answers for (`test_coordinator.allowed_hosts`),
    /// lowercase, without ports: a reverse proxy's public name, a team server's.
    pub allowed_hosts: std::sync::Arc<[String]>,
}

impl Policy {
    /// The policy for a server bound to `address` that also answers for
    /// `allowed_hosts`.
    pub fn new(address: std::net::SocketAddr, allowed_hosts: &[String]) -> Self {
        Self {
            loopback_only: address.ip().is_loopback(),
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a request naming `host` is answered. DNS rebinding needs a DNS
    /// name that resolves to this server, so names are answered only when they
    /// are loopback names or listed; an IP literal cannot be rebound and is
    /// answered on a server listening beyond loopback.
    fn answers_for(&self, host: &str) -> bool {
        if is_loopback_host(host) {
            return true;
        }
        let lower = host.to_ascii_lowercase();
        let (name, port) = split_host(&lower);
        if port.is_some_and(|p| p.parse::<u16>().is_err()) {
            return false;
        }
        let name = name.strip_suffix('.').unwrap_or(name);
        if self.allowed_hosts.iter().any(|allowed| allowed == name) {
            return true;
        }
        let literal = name
            .strip_prefix('[')
            .and_then(|v6| v6.strip_suffix(']'))
            .unwrap_or(name);
        !self.loopback_only && literal.parse::<std::net::IpAddr>().is_ok()
    }
}

/// Axum middleware: answers 403 for a refused request, else runs it.
pub async fn guard(State(policy): State<Policy>, request: Request, next: Next) -> Response {
    match check(&policy, request.method(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(method = %request.method(), uri = %request.uri(), reason = %refusal.0.message, "request refused by the guard");
            refusal.into_response()
        }
    }
}

/// The guard's decision for a request's method and headers.
pub fn check(policy: &Policy, method: &Method, headers: &HeaderMap) -> Result<(), HttpError> {
    let host = header_str(headers, header::HOST);
    if let Some(host) = host {
        if !policy.answers_for(host) {
            let message = if policy.loopback_only {
                format!("this server listens on loopback only and does not answer for host {host:?} (use localhost or 127.0.0.1, or list the name in test_coordinator.allowed_hosts)")
            } else {
                format!("this server does not answer for host {host:?}: a DNS name must be listed in test_coordinator.allowed_hosts (TEST_COORDINATOR_ALLOWED_HOSTS), or use the server's IP address")
            };
            return Err(refused(message, json!({ "rule": "host", "host": host })));
        }
    }
    if let Some(origin) = header_str(headers, header::ORIGIN) {
        if !host.is_some_and(|host| same_authority(origin, host)) {
            return Err(refused(
                format!("requests from another site are refused (origin {origin:?})"),
                json!({ "rule": "origin", "origin": origin }),
            ));
        }
    }
    if changes_state(method) {
        if let Some(site) = header_str(headers, "sec-fetch-site") {
            if !matches!(site, "same-origin" | "none") {
                return Err(refused(
                    format!("state-changing requests from another site are refused (Sec-Fetch-Site: {site})"),
                    json!({ "rule": "sec-fetch-site", "sec_fetch_site": site }),
                ));
            }
        }
        if let Some(content_type) = header_str(headers, header::CONTENT_TYPE) {
            if is_cors_simple(content_type) {
                return Err(refused(
                    format!("a state-changing request must send JSON (application/json), not {content_type:?}: any web page can send form and text bodies"),
                    json!({ "rule": "content-type", "content_type": content_type }),
                ));
            }
        }
    }
    Ok(())
}

fn refused(message: String, details: serde_json::Value) -> HttpError {
    HttpError(ApiError {
        kind: ErrorKind::Forbidden,
        message,
        details,
    })
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    // A header that is not visible ASCII cannot match anything we allow.
    headers
        .get(name)
        .map(|value| value.to_str().unwrap_or("\u{fffd}"))
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The three content types a page may send cross-origin without a preflight.
fn is_cors_simple(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain"
    )
}

/// `origin` (`scheme://host[:port]`) names the same host and port as `host`.
fn same_authority(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false; // "null" (sandboxed frames, file:) or garbage
    };
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return false,
    };
    let normalise = |authority: &str| {
        let authority = authority.to_ascii_lowercase();
        let (name, port) = split_host(&authority);
        format!("{name}:{}", port.unwrap_or(default_port))
    };
    normalise(authority) == normalise(host)
}

/// `host[:port]` split; an IPv6 host keeps its brackets.
fn split_host(authority: &str) -> (&str, Option<&str>) {
    let (name, rest) = match authority.strip_prefix('[') {
        Some(v6) => match v6.find(']') {
            Some(end) => (&authority[..end + 2], &v6[end + 1..]),
            None => (authority, ""),
        },
        None => match authority.rfind(':') {
            Some(colon) => (&authority[..colon], &authority[colon..]),
            None => (authority, ""),
        },
    };
    (name, rest.strip_prefix(':').filter(|p| !p.is_empty()))
}

/// `localhost`, `*.localhost` (browsers resolve these to loopback themselves),
/// or a loopback IP literal; with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let (name, port) = split_host(&host);
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return false;
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    let literal = name
        .strip_prefix('[')
        .and_then(|v6| v6.strip_suffix(']'))
        .unwrap_or(name);
    literal
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(bound: &str, allowed: &[&str]) -> Policy {
        let allowed: Vec<String> = allowed.iter().map(|h| (*h).to_owned()).collect();
        Policy::new(bound.parse().unwrap(), &allowed)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn kind_and_rule(result: Result<(), HttpError>) -> (u16, String) {
        let error = result.unwrap_err().0;
        (
            error.status_code(),
            error.details["rule"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn a_cli_request_without_origin_headers_passes() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("content-type", "application/json"),
        ]);
        assert!(check(&policy("127.0.0.1:8084", &[]), &Method::POST, &h).is_ok());
        let bodiless = headers(&[("host", "localhost:8080")]);
        assert!(check(&policy("127.0.0.1:8084", &[]), &Method::POST, &bodiless).is_ok());
    }

    #[test]
    fn the_own_origin_passes_and_another_is_refused() {
        let own = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
            ("content-type", "application/json"),
        ]);
        assert!(check(&policy("127.0.0.1:8084", &[]), &Method::POST, &own).is_ok());
        for origin in [
            "http://127.0.0.1:9999",
            "http://evil.example",
            "null",
            "https://127.0.0.1:8080x",
        ] {
            let h = headers(&[("host", "127.0.0.1:8080"), ("origin", origin)]);
            assert_eq!(
                kind_and_rule(check(&policy("127.0.0.1:8084", &[]), &Method::POST, &h)),
                (403, "origin".into()),
                "{origin}"
            );
            assert_eq!(
                kind_and_rule(check(&policy("127.0.0.1:8084", &[]), &Method::GET, &h)),
                (403, "origin".into()),
                "GET (WebSocket, SSE) from {origin}"
            );
        }
    }

    #[test]
    fn default_ports_and_case_do_not_matter_for_the_origin() {
        let h = headers(&[
            ("host", "Coordinator.example"),
            ("origin", "https://coordinator.example:443"),
        ]);
        // (a DNS name is answered once listed: the Host rule, tested below)
        assert!(check(
            &policy("0.0.0.0:8084", &["coordinator.example"]),
            &Method::POST,
            &h
        )
        .is_ok());
        let h = headers(&[("host", "[::1]:8080"), ("origin", "http://[::1]:8080")]);
        assert!(check(&policy("127.0.0.1:8084", &[]), &Method::POST, &h).is_ok());
    }

    #[test]
    fn a_same_site_or_cross_site_fetch_may_not_change_state_but_may_navigate() {
        for site in ["same-site", "cross-site"] {
            let h = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", site)]);
            assert_eq!(
                kind_and_rule(check(&policy("127.0.0.1:8084", &[]), &Method::POST, &h)),
                (403, "sec-fetch-site".into())
            );
            assert!(
                check(&policy("127.0.0.1:8084", &[]), &Method::GET, &h).is_ok(),
                "a link from another site still opens the page"
            );
        }
    }

    #[test]
    fn simple_content_types_cannot_change_state() {
        for content_type in [
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "Multipart/Form-Data; boundary=x",
        ] {
            let h = headers(&[("host", "127.0.0.1:8080"), ("content-type", content_type)]);
            assert_eq!(
                kind_and_rule(check(&policy("127.0.0.1:8084", &[]), &Method::POST, &h)),
                (403, "content-type".into())
            );
            assert!(check(&policy("127.0.0.1:8084", &[]), &Method::GET, &h).is_ok());
        }
    }

    #[test]
    fn in_loopback_mode_only_loopback_hosts_are_answered() {
        for host in [
            "localhost:8080",
            "LOCALHOST",
            "app.localhost:1",
            "127.0.0.1",
            "127.1.2.3:8080",
            "[::1]:8080",
            "localhost.:8080",
        ] {
            assert!(
                check(
                    &policy("127.0.0.1:8084", &[]),
                    &Method::GET,
                    &headers(&[("host", host)])
                )
                .is_ok(),
                "{host}"
            );
        }
        for host in [
            "attacker.example:8080",
            "localhost.attacker.example",
            "10.0.0.1:8080",
            "[::2]:8080",
            "localhost:http",
            "127.0.0.1.nip.io",
        ] {
            assert_eq!(
                kind_and_rule(check(
                    &policy("127.0.0.1:8084", &[]),
                    &Method::GET,
                    &headers(&[("host", host)])
                )),
                (403, "host".into()),
                "{host}"
            );
        }
    }

    #[test]
    fn beyond_loopback_names_must_be_listed_and_ip_literals_are_answered() {
        let any = policy("0.0.0.0:8084", &["chaos.example.com", "Team-Server."]);
        for host in [
            "10.0.0.1:8080",
            "[::2]:8080",
            "192.168.1.4",
            "localhost:8084",
            "chaos.example.com:443",
            "CHAOS.example.com.",
            "team-server",
        ] {
            assert!(
                check(&any, &Method::GET, &headers(&[("host", host)])).is_ok(),
                "{host}"
            );
        }
        // A rebound name is refused on a server listening on every interface too
        // (the Docker image): the attack that a loopback-only rule missed.
        for host in [
            "attacker.example:8084",
            "127.0.0.1.nip.io",
            "chaos.example.com.evil",
        ] {
            assert_eq!(
                kind_and_rule(check(&any, &Method::POST, &headers(&[("host", host)]))),
                (403, "host".into()),
                "{host}"
            );
        }
        // A listed name is answered on a loopback server (a TLS proxy in front).
        let proxied = policy("127.0.0.1:8084", &["chaos.example.com"]);
        assert!(check(
            &proxied,
            &Method::GET,
            &headers(&[("host", "chaos.example.com")])
        )
        .is_ok());
        assert!(check(&proxied, &Method::GET, &headers(&[("host", "10.0.0.1")])).is_err());
    }
}
