//! The request gate: runs after routing, before every handler, page and server
//! function. It resolves who is asking and puts [`RequestFacts`] in the
//! request's extensions, where handlers (`http::Caller`), server functions
//! (`app::ssr::principal`) and pages (the shell's `tc-me` meta) read it.
//!
//! In order, for each request:
//! 1. the client's address and whether it came over https (`X-Forwarded-For`
//!    and `X-Forwarded-Proto` are believed from `auth.proxy.trusted` only);
//! 2. the rule of its route in [`super::rules`] (none: refused, fail closed);
//! 3. sign-in attempts are limited per address and per attempted name (429);
//! 4. the principal, by mode: `local` is always the local OS user; `users`
//!    takes an `Authorization: Bearer` token, else the `tc_session` cookie;
//!    `proxy` takes a token, else a trusted proxy's identity headers. A bad
//!    token is a 401 with the reason, never an anonymous request;
//! 5. CSRF: a state change authenticated by the session cookie carries
//!    `x-csrf-token` equal to the session's token; an anonymous sign-in carries
//!    the `tc_csrf` cookie's value (double submit);
//! 6. the role: anonymous → 401 (an anonymous page → 303 to `/sign-in`), too
//!    low → 403;
//! 7. every request whose rule has an audit action, accepted or refused, is
//!    appended to the audit log.

use std::{
    collections::HashSet,
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
};

use app::{
    api::{
        auth::{cookie, AuthMode, Principal, Role, Via, CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE},
        ApiError, ErrorKind,
    },
    ssr::RequestFacts,
};
use axum::{
    body::Body,
    extract::{ConnectInfo, FromRequestParts, MatchedPath, RawPathParams, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::Value;

use super::rules::{self, Rule};
use crate::{
    config::auth::ProxyConfig,
    service::auth::{is_bootstrap, AuditRecord},
    state::AppState,
};

/// Largest body the gate reads to find an audit target (the
/// router's own body limit).
const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Longest name or token the gate looks at; longer ones are refused or cut.
const MAX_SECRET: usize = 512;
/// Longest audit target recorded.
const MAX_TARGET: usize = 200;

/// The client's address as the socket saw it ("unknown" for in-process tests
/// that serve without connection info).
pub fn peer(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
}

/// The gate's state: the app, the pages' route patterns, and the sign-in
/// limiters (per address, per attempted name).
#[derive(Clone)]
pub struct Gate {
    state: AppState,
    pages: Arc<HashSet<String>>,
    by_address: Arc<DefaultKeyedRateLimiter<String>>,
    by_name: Arc<DefaultKeyedRateLimiter<String>>,
}

impl Gate {
    /// The gate of a router whose Leptos pages have route patterns `pages`.
    pub fn new(state: AppState, pages: impl IntoIterator<Item = String>) -> Self {
        let per_minute =
            NonZeroU32::new(state.config.auth.sign_in_per_minute).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute);
        Self {
            state,
            pages: Arc::new(pages.into_iter().collect()),
            by_address: Arc::new(RateLimiter::keyed(quota)),
            by_name: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    /// The rule of a routed request, and the server function's endpoint.
    fn rule(&self, method: &Method, matched: Option<&str>) -> Option<(Rule, Kind)> {
        let Some(pattern) = matched else {
            // The fallback: static files under the site root, and 404s.
            return Some((rules::static_rule(), Kind::Static));
        };
        let lookup = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        if let Some(rule) = rules::rest_rule(lookup, pattern, self.state.config.auth.open_metrics) {
            return Some((rule, Kind::Rest));
        }
        // Another method of a route that has rules: nothing runs, axum answers 405.
        let open_metrics = self.state.config.auth.open_metrics;
        if [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ]
        .iter()
        .any(|other| rules::rest_rule(other, pattern, open_metrics).is_some())
        {
            return Some((rules::static_rule(), Kind::Rest));
        }
        if let Some(endpoint) = pattern.strip_prefix("/api/").filter(|e| !e.contains('/')) {
            return rules::server_fn_rule(endpoint)
                .map(|rule| (rule, Kind::ServerFn(endpoint.to_owned())));
        }
        if (lookup == Method::GET) && self.pages.contains(pattern) {
            return Some((rules::page_rule(pattern), Kind::Page));
        }
        None
    }

    /// Whether one more sign-in attempt from `address` for `name` is allowed;
    /// the seconds to wait when not.
    fn sign_in_allowed(&self, address: &str, name: Option<&str>) -> Result<(), u64> {
        let now = self.by_address.clock().now();
        let wait = |outcome: Result<(), governor::NotUntil<_>>| {
            outcome.map_err(|not_until| not_until.wait_time_from(now).as_secs().max(1))
        };
        wait(self.by_address.check_key(&address.to_owned()))?;
        if let Some(name) = name {
            let key: String = name.trim().to_lowercase().chars().take(64).collect();
            wait(self.by_name.check_key(&key))?;
        }
        // Forget keys whose quota has refilled, so the maps stay small.
        if self.by_address.len() > 10_000 {
            self.by_address.retain_recent();
        }
        if self.by_name.len() > 10_000 {
            self.by_name.retain_recent();
        }
        Ok(())
    }
}

/// What kind of thing a request asks for.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Rest,
    ServerFn(String),
    Page,
    Static,
}

/// Why the gate refused, as `/metrics` counts it.
#[derive(Debug, Clone, Copy)]
enum Reason {
    Unauthenticated,
    Forbidden,
    Csrf,
    RateLimited,
}

impl Reason {
    fn label(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::Csrf => "csrf",
            Self::RateLimited => "rate_limited",
        }
    }
}

/// What an audited request is about, read before it runs.
#[derive(Debug, Default)]
struct Subject {
    action: Option<String>,
    target: Option<String>,
    /// The name a sign-in attempt is for.
    attempted: Option<String>,
}

/// Who the gate found, before the rule is applied.
enum Found {
    Nobody,
    Someone {
        principal: Principal,
        /// The session's CSRF token, when a session cookie authenticated.
        csrf: Option<String>,
    },
}

/// The middleware (see the module docs).
pub async fn gate(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let config = &gate.state.config.auth;
    let peer_ip = peer(&request).map(|a| a.ip());
    let trusted = peer_ip.is_some_and(|ip| config.proxy.trusts(ip));
    let address = client_address(request.headers(), peer_ip, trusted, &config.proxy);
    let came_over_https = trusted && forwarded_https(request.headers());
    let secure = super::cookies::secure(config.secure_cookies, came_over_https);

    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let method = request.method().clone();
    let Some((rule, kind)) = gate.rule(&method, matched.as_deref()) else {
        tracing::error!(%method, route = ?matched, path = %request.uri().path(), "no access rule for this route: refused (add one to auth::rules)");
        gate.state
            .metrics
            .observe_refusal(Reason::Forbidden.label());
        return refusal(
            &kind_of_path(request.uri().path()),
            ApiError::new(
                ErrorKind::Forbidden,
                "this route has no access rule; refused",
            ),
        );
    };

    // What an audited request is about (server functions: their small JSON body).
    let (request, subject) = match read_subject(request, &rule, &kind).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let audit = |status: u16, actor: String| {
        let state = gate.state.clone();
        let action = subject.action.clone();
        let target = subject.target.clone();
        let address = address.clone();
        async move {
            let Some(action) = action else { return };
            let record = AuditRecord {
                actor,
                address,
                action,
                target,
                status,
            };
            if let Err(error) = state.coordinator.record_audit(record).await {
                tracing::error!(message = %error.message, "cannot append to the audit log");
            }
        }
    };
    let is_sign_in = kind == Kind::ServerFn(rules::SIGN_IN_ENDPOINT.to_owned());
    let refuse = |reason: Reason, error: ApiError, actor: String| {
        let kind = kind.clone();
        let metrics = gate.state.metrics.clone();
        let audit = audit(error.status_code(), actor);
        async move {
            metrics.observe_refusal(reason.label());
            tracing::info!(reason = reason.label(), message = %error.message, "request refused by the access gate");
            audit.await;
            refusal(&kind, error)
        }
    };
    let anonymous_actor = || {
        subject
            .attempted
            .clone()
            .filter(|_| is_sign_in)
            .unwrap_or_else(|| "anonymous".to_owned())
    };

    // Sign-in attempts, per address and per name.
    if is_sign_in {
        if let Err(seconds) = gate.sign_in_allowed(&address, subject.attempted.as_deref()) {
            let mut response = refuse(
                Reason::RateLimited,
                ApiError::new(
                    ErrorKind::TooManyRequests,
                    format!("too many sign-in attempts; try again in {seconds} s"),
                ),
                anonymous_actor(),
            )
            .await;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return response;
        }
    }

    // Who is asking.
    let found = match resolve(&gate.state, config.mode, request.headers(), trusted).await {
        Ok(found) => found,
        Err((reason, error)) => return refuse(reason, error, anonymous_actor()).await,
    };

    // CSRF.
    let changes_state = rule.action.is_some() && method != Method::GET && method != Method::HEAD;
    let presented = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let pre_sign_in = cookie(request.headers(), CSRF_COOKIE).filter(|t| !t.is_empty());
    if changes_state {
        let expected = match &found {
            Found::Someone {
                csrf: Some(csrf), ..
            } => Some(csrf.clone()),
            Found::Someone { .. } => None,
            Found::Nobody if is_sign_in && config.mode != AuthMode::Local => {
                // Double submit: no cookie is as wrong as a wrong header.
                Some(pre_sign_in.clone().unwrap_or_default())
            }
            Found::Nobody => None,
        };
        if let Some(expected) = expected {
            let ok = !expected.is_empty()
                && presented
                    .as_deref()
                    .is_some_and(|p| same_secret(p, &expected));
            if !ok {
                let actor = match &found {
                    Found::Someone { principal, .. } => principal.actor(),
                    Found::Nobody => anonymous_actor(),
                };
                return refuse(
                    Reason::Csrf,
                    ApiError::new(ErrorKind::Forbidden, "missing or wrong CSRF token"),
                    actor,
                )
                .await;
            }
        }
    }

    // The role.
    let (principal, session_csrf) = match found {
        Found::Someone { principal, csrf } => (Some(principal), csrf),
        Found::Nobody => (None, None),
    };
    let mut minted = None;
    if let Some(needed) = rule.access.role() {
        match &principal {
            None => {
                if kind == Kind::Page && config.mode != AuthMode::Local {
                    let (_, cookie) = mint_csrf(pre_sign_in.as_deref(), secure);
                    gate.state
                        .metrics
                        .observe_refusal(Reason::Unauthenticated.label());
                    return sign_in_redirect(request.uri(), cookie);
                }
                return refuse(
                    Reason::Unauthenticated,
                    ApiError::new(
                        ErrorKind::Unauthorized,
                        "sign in first: this needs a session or an API token (Authorization: Bearer …)",
                    ),
                    anonymous_actor(),
                )
                .await;
            }
            // It exists to create the first admin (docs/auth.md), nothing else.
            Some(p) if is_bootstrap(p) && subject.action.as_deref() != Some("add-user") => {
                return refuse(
                    Reason::Forbidden,
                    ApiError::new(
                        ErrorKind::InsufficientRole,
                        "the bootstrap token only creates the first admin (POST /api/v1/users); use that admin's session or tokens for the rest",
                    ),
                    p.actor(),
                )
                .await;
            }
            Some(p) if !p.can(needed) => {
                return refuse(
                    Reason::Forbidden,
                    ApiError::new(
                        ErrorKind::InsufficientRole,
                        format!("this needs the {needed} role; {} has {}", p.actor(), p.role),
                    ),
                    p.actor(),
                )
                .await;
            }
            Some(_) => {}
        }
    } else if principal.is_none() && kind == Kind::Page && config.mode != AuthMode::Local {
        minted = Some(mint_csrf(pre_sign_in.as_deref(), secure));
    }

    let csrf = session_csrf
        .or_else(|| minted.as_ref().map(|(token, _)| token.clone()))
        .or(pre_sign_in)
        .filter(|_| config.mode != AuthMode::Local);
    let actor = if is_sign_in {
        anonymous_actor()
    } else {
        principal
            .as_ref()
            .map(Principal::actor)
            .unwrap_or_else(|| "anonymous".to_owned())
    };
    let facts = RequestFacts {
        me: gate.state.coordinator.me(principal, csrf),
        address: address.clone(),
        secure: came_over_https,
    };
    let mut request = request;
    request.extensions_mut().insert(facts);
    let mut response = next.run(request).await;
    if let Some((_, Some(cookie))) = minted {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    audit(response.status().as_u16(), actor).await;
    response
}

/// Who a gRPC call comes from (docs/grpc.md), and the client's address: as
/// for REST, from the `authorization` metadata (or a trusted proxy's identity
/// headers), but never from a session cookie: gRPC has no browser, so no
/// cross-site request to guard against. `Ok(None)`: nobody signed in.
pub(crate) async fn grpc_caller(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> (String, Result<Option<Principal>, ApiError>) {
    let config = &state.config.auth;
    let peer_ip = peer.map(|a| a.ip());
    let trusted = peer_ip.is_some_and(|ip| config.proxy.trusts(ip));
    let address = client_address(headers, peer_ip, trusted, &config.proxy);
    let mut headers = headers.clone();
    headers.remove(header::COOKIE);
    let found = match resolve(state, config.mode, &headers, trusted).await {
        Ok(Found::Someone { principal, .. }) => Ok(Some(principal)),
        Ok(Found::Nobody) => Ok(None),
        Err((reason, error)) => {
            state.metrics.observe_refusal(reason.label());
            Err(error)
        }
    };
    (address, found)
}

/// Finds the principal of a request (see the module docs). An error is a
/// refusal: a bad token (401), a proxy user with no role (403).
async fn resolve(
    state: &AppState,
    mode: AuthMode,
    headers: &HeaderMap,
    trusted: bool,
) -> Result<Found, (Reason, ApiError)> {
    if mode == AuthMode::Local {
        return Ok(Found::Someone {
            principal: super::local_principal(),
            csrf: None,
        });
    }
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = bearer(value).ok_or_else(|| {
            (
                Reason::Unauthenticated,
                ApiError::new(
                    ErrorKind::Unauthorized,
                    "expected an Authorization header of the form: Bearer <token>",
                ),
            )
        })?;
        let principal = state
            .coordinator
            .principal_for_token(token)
            .await
            .map_err(|error| (reason_of(&error), error))?;
        return Ok(Found::Someone {
            principal,
            csrf: None,
        });
    }
    match mode {
        AuthMode::Users => {
            let Some(secret) = cookie(headers, SESSION_COOKIE).filter(|s| !s.is_empty()) else {
                return Ok(Found::Nobody);
            };
            if secret.len() > MAX_SECRET {
                return Ok(Found::Nobody);
            }
            // An unknown or expired session is nobody signed in: the page
            // sends them to sign in again.
            match state.coordinator.principal_for_session(&secret).await {
                Ok((principal, csrf)) => Ok(Found::Someone {
                    principal,
                    csrf: Some(csrf),
                }),
                Err(error) if error.kind == ErrorKind::Unauthorized => Ok(Found::Nobody),
                Err(error) => Err((Reason::Unauthenticated, error)),
            }
        }
        AuthMode::Proxy if trusted => proxy_principal(&state.config.auth.proxy, headers)
            .map(|found| found.unwrap_or(Found::Nobody))
            .map_err(|error| (Reason::Forbidden, error)),
        _ => Ok(Found::Nobody),
    }
}

fn reason_of(error: &ApiError) -> Reason {
    match error.kind {
        ErrorKind::Unauthorized => Reason::Unauthenticated,
        _ => Reason::Forbidden,
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= MAX_SECRET)
        .then_some(token)
}

/// The principal a trusted proxy's headers name: none without a user
/// header (nor e-mail); a 403 when the user's groups give no role and
/// `auth.proxy.default_role` is `none`.
fn proxy_principal(proxy: &ProxyConfig, headers: &HeaderMap) -> Result<Option<Found>, ApiError> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let Some(name) = text(&proxy.user_header).or_else(|| text(&proxy.email_header)) else {
        return Ok(None);
    };
    if name.len() > 256 || name.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorKind::Unauthorized,
            "the proxy's user header is not a name",
        ));
    }
    let role: Option<Role> = text(&proxy.groups_header)
        .into_iter()
        .flat_map(|groups| groups.split(','))
        .filter_map(|group| proxy.groups.get(group.trim()).copied())
        .max()
        .or(proxy.default_role);
    let Some(role) = role else {
        return Err(ApiError::new(
            ErrorKind::InsufficientRole,
            format!("{name} is in no group that has a role here (auth.proxy.groups), and auth.proxy.default_role is none"),
        ));
    };
    Ok(Some(Found::Someone {
        principal: Principal::new(name, role, Via::Proxy),
        csrf: None,
    }))
}

/// The client's address: the socket's, or, from a trusted proxy, the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
fn client_address(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    trusted: bool,
    proxy: &ProxyConfig,
) -> String {
    let Some(peer) = peer else {
        return "unknown".to_owned();
    };
    if trusted {
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        if let Some(client) = hops
            .iter()
            .rev()
            .find(|ip| !proxy.trusts(**ip))
            .or(hops.first())
        {
            return client.to_string();
        }
    }
    peer.to_string()
}

/// Whether a trusted proxy says the request came over https.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// Equal secrets, compared in constant time.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The pre-sign-in CSRF token: the cookie's, or a new one with the
/// `Set-Cookie` value that sets it.
fn mint_csrf(existing: Option<&str>, secure: bool) -> (String, Option<String>) {
    match existing {
        Some(token) => (token.to_owned(), None),
        None => {
            let token = super::secret::new_secret("");
            let cookie = super::cookies::csrf(&token, secure);
            (token, Some(cookie))
        }
    }
}

/// `303 See Other` to the sign-in page, coming back to `uri` after.
fn sign_in_redirect(uri: &axum::http::Uri, cookie: Option<String>) -> Response {
    let next = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    let location = format!("/sign-in?next={}", percent_encode(next));
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `text` with every byte but unreserved ones and `/` percent-encoded.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The kind of an unrouted path, for the shape of a refusal.
fn kind_of_path(path: &str) -> Kind {
    match path.strip_prefix("/api/") {
        Some(rest) if !rest.contains('/') => Kind::ServerFn(rest.to_owned()),
        _ => Kind::Rest,
    }
}

/// A refusal in the product's error shape: `{"error": ApiError}` for REST,
/// the bare `ApiError` for a server function (what its client decodes), with
/// `WWW-Authenticate: Bearer` on a 401.
fn refusal(kind: &Kind, error: ApiError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match kind {
        Kind::ServerFn(_) => (
            status,
            Json(serde_json::to_value(&error).unwrap_or_default()),
        )
            .into_response(),
        _ => (status, Json(serde_json::json!({ "error": error }))).into_response(),
    };
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Reads what an audited request is about: a REST route's path parameters,
/// or a server function's JSON body (restored for its handler).
async fn read_subject(
    request: Request,
    rule: &Rule,
    kind: &Kind,
) -> Result<(Request, Subject), Response> {
    let Some(action) = rule.action else {
        return Ok((request, Subject::default()));
    };
    let mut subject = Subject {
        action: Some(action.to_owned()),
        ..Subject::default()
    };
    match kind {
        Kind::ServerFn(endpoint) => {
            let (request, json) = read_json(request, kind).await?;
            if let Some(json) = json {
                subject.target = target_of(&json);
                if endpoint == rules::CONTROL_ENDPOINT {
                    if let Some(command) = json.get("command").and_then(Value::as_str) {
                        subject.action = Some(rules::control_action(command).to_owned());
                    }
                }
                if endpoint == rules::SIGN_IN_ENDPOINT {
                    subject.attempted = json
                        .pointer("/request/name")
                        .and_then(Value::as_str)
                        .map(|name| name.chars().take(64).collect());
                }
            }
            Ok((request, subject))
        }
        _ => {
            let (mut parts, body) = request.into_parts();
            if let Ok(params) = RawPathParams::from_request_parts(&mut parts, &()).await {
                let values: Vec<&str> = params.iter().map(|(_, value)| value).collect();
                if !values.is_empty() {
                    subject.target = Some(cut(&values.join("/")));
                }
            }
            let request = Request::from_parts(parts, body);
            let is_json = request
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if subject.target.is_some() || !is_json {
                return Ok((request, subject));
            }
            // A POST that names its subject in the body (a user, a token, a
            // scenario to run).
            let (request, json) = read_json(request, kind).await?;
            subject.target = json.as_ref().and_then(target_of);
            Ok((request, subject))
        }
    }
}

/// The request's body as JSON (`None` when it is not JSON), and the request
/// with its body restored for the handler.
async fn read_json(request: Request, kind: &Kind) -> Result<(Request, Option<Value>), Response> {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return Err(refusal(
            kind,
            ApiError::new(
                ErrorKind::TooLarge,
                format!("the request body is larger than {BODY_LIMIT} bytes, or broke off"),
            ),
        ));
    };
    let json = serde_json::from_slice::<Value>(&bytes).ok();
    Ok((Request::from_parts(parts, Body::from(bytes)), json))
}

/// The target named by a request's JSON body: a server function's arguments
/// or a REST body.
fn target_of(json: &Value) -> Option<String> {
    let text = |pointer: &str| json.pointer(pointer).and_then(Value::as_str);
    let found = if let Some(id) = text("/id") {
        id.to_owned()
    } else if let Some(name) = text("/name") {
        match text("/new_name") {
            Some(new_name) => format!("{name} -> {new_name}"),
            None => name.to_owned(),
        }
    } else if let Some(service) = text("/service") {
        service.to_owned()
    } else if let Some(name) = text("/request/name")
        .or_else(|| text("/scenario"))
        .or_else(|| text("/scenario_id"))
        .or_else(|| text("/template"))
        .or_else(|| text("/request/scenario"))
        .or_else(|| text("/request/scenario_id"))
        .or_else(|| text("/request/template"))
        .or_else(|| text("/user/name"))
    {
        name.to_owned()
    } else if let Some(yaml) = text("/yaml") {
        // A saved scenario: its `name:` line.
        yaml.lines()
            .find_map(|line| line.strip_prefix("name:"))
            .map(|name| name.trim().trim_matches(['"', '\'']).to_owned())
            .filter(|name| !name.is_empty())?
    } else {
        return None;
    };
    Some(cut(&found))
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_TARGET).collect()
}

#[cfg(test)]
mod tests;
