//! Teams (issue 16, docs/auth.md): the role table against a real server in
//! `users` mode on 127.0.0.1:0 with a temporary database; the teams API and
//! its errors; CSRF; proxy mode; sign-in limits; the local-mode refusal; the
//! CLI with a token, and its offline `users` and `tokens`; the audit log.

/// The teams REST API and its refusals.
#[path = "teams/api.rs"]
mod api;
/// The CLI with a token, and its offline `users` and `tokens`.
#[path = "teams/cli.rs"]
mod cli;
/// gRPC with tokens in metadata, the roles of REST, and the audit log.
#[path = "teams/grpc.rs"]
mod grpc;
#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
/// The table-driven test's fixtures and sample requests.
#[path = "teams/samples.rs"]
mod samples;

use app::api::auth::{
    AuditEntry, AuditOutcome, AuditQuery, NewToken, NewUser, Principal, Role, Via,
};
use helpers::{spawn_app_with, TestApp};
use reqwest::{Method, StatusCode};
use samples::{client, Fixtures};
use serde_json::{json, Value};
use server::{
    auth::rules::{self, Access},
    config::{Overrides, Settings},
    startup::Application,
};

fn settings(mode: &str) -> Settings {
    let mut settings = Settings::default();
    settings.auth.mode = Some(mode.to_owned());
    settings
}

/// Makes user `name` with `role` and a token of theirs; the token's secret.
async fn user_with_token(app: &TestApp, name: &str, role: Role) -> String {
    app.coordinator
        .add_user(NewUser {
            name: name.into(),
            role,
            password: format!("{name}-password-long"),
        })
        .await
        .expect("user created");
    token_for(app, name, role, "t").await.0
}

/// A token named `token` of `user` (whose role is `role`): its secret and id.
async fn token_for(app: &TestApp, user: &str, role: Role, token: &str) -> (String, String) {
    let created = app
        .coordinator
        .create_token(
            &session_of(user, role),
            NewToken {
                name: token.into(),
                role: None,
                user: None,
                expires_in: None,
            },
        )
        .await
        .expect("token created");
    (created.token, created.info.id)
}

/// `name` with `role`, signed in with a session.
fn session_of(name: &str, role: Role) -> Principal {
    Principal::new(name, role, Via::Session)
}

/// The audit log's rows of `action`, newest first.
async fn audit_of(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    let query = AuditQuery {
        action: Some(action.into()),
        ..AuditQuery::default()
    };
    app.coordinator.audit_page(query).await.unwrap().entries
}

/// Every row of the audit log.
async fn whole_audit_log(app: &TestApp) -> Vec<AuditEntry> {
    let mut rows = Vec::new();
    let mut before = None;
    loop {
        let query = AuditQuery {
            before,
            limit: Some(500),
            ..AuditQuery::default()
        };
        let page = app.coordinator.audit_page(query).await.unwrap();
        rows.extend(page.entries);
        match page.next_before {
            Some(next) => before = Some(next),
            None => return rows,
        }
    }
}

/// Every (method, path) of the served OpenAPI document.
async fn openapi_routes(base: &str) -> Vec<(Method, String)> {
    let document: Value = client()
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if let Ok(method) = method.to_uppercase().parse::<Method>() {
                if ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method.as_str()) {
                    routes.push((method, path.clone()));
                }
            }
        }
    }
    routes
}

/// Every registered server function's endpoint name.
fn server_fn_endpoints() -> Vec<String> {
    // Linking `app` registers them; the server function paths are `/api/<endpoint>`.
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect()
}

/// The refusal a caller of `role` must get from a route needing `access`;
/// `None` when they are let through.
fn refusal(access: Access, role: Option<Role>) -> Option<u16> {
    match (access.role(), role) {
        (None, _) => None,
        (Some(_), None) => Some(401),
        (Some(needed), Some(role)) if role < needed => Some(403),
        _ => None,
    }
}

/// THE table-driven test: every route of the OpenAPI document and every
/// server function has a rule and a sample request (`teams/samples.rs`);
/// anonymous, viewer, operator and admin callers get exactly 401 or 403 as
/// the rule says, or exactly the sample's 2xx (101 for the WebSocket); and
/// the audit log holds one row for each state change sent.
#[tokio::test]
async fn every_route_and_server_function_answers_each_role_as_the_table_says() {
    let mut settings = settings("users");
    // Room for the executions the samples start side by side.
    settings.execution.max_concurrent_scenarios = 40;
    let app = spawn_app_with(settings).await;
    let viewer = user_with_token(&app, "vera", Role::Viewer).await;
    let operator = user_with_token(&app, "otto", Role::Operator).await;
    let admin = user_with_token(&app, "ada", Role::Admin).await;
    let (signer, password) = samples::SIGNER;
    app.coordinator
        .add_user(NewUser {
            name: signer.into(),
            role: Role::Viewer,
            password: password.into(),
        })
        .await
        .unwrap();
    let fixtures = Fixtures::new(&app, &admin).await;

    let routes = openapi_routes(&app.base).await;
    assert!(routes.len() > 20, "the document lists the API: {routes:?}");
    let missing: Vec<_> = routes
        .iter()
        .filter(|(m, p)| rules::rest_rule(m, p, true).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a rule in auth::rules: {missing:?}"
    );
    let endpoints = server_fn_endpoints();
    assert!(
        endpoints.len() > 20,
        "server functions registered: {endpoints:?}"
    );
    let missing: Vec<_> = endpoints
        .iter()
        .filter(|e| rules::server_fn_rule(e).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "server functions without a rule: {missing:?}"
    );
    // The audit page suggests exactly the actions the rules record.
    let recorded: std::collections::BTreeSet<&str> = routes
        .iter()
        .filter_map(|(m, p)| rules::rest_rule(m, p, true).unwrap().action)
        .chain(
            endpoints
                .iter()
                .filter_map(|e| rules::server_fn_rule(e).unwrap().action),
        )
        .chain(["stop", "pause", "resume", "skip_phase"].map(rules::control_action))
        .collect();
    assert_eq!(
        recorded,
        app::api::auth::AUDIT_ACTIONS.into_iter().collect(),
        "app::api::auth::AUDIT_ACTIONS lists what auth::rules records"
    );

    let callers: [(Option<Role>, Option<&str>); 4] = [
        (None, None),
        (Some(Role::Viewer), Some(viewer.as_str())),
        (Some(Role::Operator), Some(operator.as_str())),
        (Some(Role::Admin), Some(admin.as_str())),
    ];
    let mut unsampled = Vec::new();
    for (method, pattern) in &routes {
        let rule = rules::rest_rule(method, pattern, true).unwrap();
        for (role, token) in callers {
            let what = format!("{method} {pattern} as {role:?}");
            if let Some(status) = refusal(rule.access, role) {
                // Refused before anything runs: no fixture needed.
                let path = pattern
                    .replace("{id}", "no-such-id")
                    .replace("{name}", "nobody");
                let (got, text) = fixtures
                    .call(method.clone(), pattern, &path, token, None)
                    .await;
                assert_eq!(got, status, "{what}: {text}");
                let body: Value = serde_json::from_str(&text).unwrap_or_default();
                assert!(
                    body["error"]["message"].is_string(),
                    "{what}: error shape {text}"
                );
                continue;
            }
            let Some(sample) = fixtures
                .rest_sample(method, pattern, token.unwrap_or(&admin))
                .await
            else {
                unsampled.push(format!("{method} {pattern}"));
                break;
            };
            let (got, text) = fixtures
                .call(
                    method.clone(),
                    pattern,
                    &sample.path,
                    token,
                    sample.body.as_ref(),
                )
                .await;
            assert_eq!(got, sample.status, "{what} ({}): {text}", sample.path);
        }
    }

    for endpoint in &endpoints {
        let rule = rules::server_fn_rule(endpoint).unwrap();
        for (role, token) in callers {
            let what = format!("server fn {endpoint} as {role:?}");
            if let Some(status) = refusal(rule.access, role) {
                let (got, text) = fixtures.call_fn(endpoint, token, &json!({})).await;
                assert_eq!(got, status, "{what}: {text}");
                let body: Value = serde_json::from_str(&text).unwrap_or_default();
                assert!(body["message"].is_string(), "{what}: error shape {text}");
                continue;
            }
            let Some(body) = fixtures
                .server_fn_sample(endpoint, token.unwrap_or(&admin))
                .await
            else {
                unsampled.push(format!("server fn {endpoint}"));
                break;
            };
            let (got, text) = fixtures.call_fn(endpoint, token, &body).await;
            assert_eq!(got, 200, "{what} ({body}): {text}");
        }
    }
    assert!(
        unsampled.is_empty(),
        "no sample request in teams/samples.rs for: {unsampled:?}"
    );

    // One audit row for each state change sent, accepted or refused.
    let rows = whole_audit_log(&app).await;
    assert_eq!(rows.len(), fixtures.audited(), "audit rows: {rows:#?}");
    assert!(rows
        .iter()
        .any(|r| r.actor == "anonymous" && r.status == 401));
    assert!(rows
        .iter()
        .any(|r| r.actor == "vera (token t)" && r.status == 403));
    assert!(rows
        .iter()
        .any(|r| r.actor == "otto (token t)" && r.action == "execute" && r.status == 202));

    // Pages: a viewer's; an anonymous visitor is sent to sign in, with a CSRF cookie.
    let http = client();
    let response = http
        .get(format!("{}/executions", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in?next=/executions");
    assert!(response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("tc_csrf="));
    let response = http
        .get(format!("{}/sign-in", app.base))
        .send()
        .await
        .unwrap();
    // Open to anyone.
    assert!(
        ![401, 403, 303].contains(&response.status().as_u16()),
        "{}",
        response.status()
    );
    let response = http
        .get(format!("{}/executions", app.base))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Refusals are counted.
    let metrics = http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let metrics = app.without_replica_label(&metrics);
    for reason in ["unauthenticated", "forbidden"] {
        let series = format!("test_coordinator_http_requests_refused_total{{reason=\"{reason}\"}}");
        assert!(metrics.contains(&series), "{series} in {metrics}");
    }
    app.stop().await;
}

/// Signs `name` in through the server function with the double submit: the
/// session cookie and the session's CSRF token.
async fn sign_in(base: &str, name: &str, password: &str) -> (String, String) {
    let response = client()
        .post(format!("{base}/api/sign-in"))
        .header("cookie", "tc_csrf=pre")
        .header("x-csrf-token", "pre")
        .json(&json!({"request": {"name": name, "password": password}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let session = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("tc_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("session cookie");
    let me: Value = response.json().await.unwrap();
    (session, me["csrf"].as_str().expect("csrf").to_owned())
}

#[tokio::test]
async fn a_session_changes_state_only_with_its_csrf_token_and_sign_in_needs_the_double_submit() {
    let app = spawn_app_with(settings("users")).await;
    user_with_token(&app, "otto", Role::Operator).await;
    let http = client();
    // Sign-in without the double submit, or with a header that is not the cookie's.
    for (cookie, header) in [(None, None), (Some("a"), Some("b")), (None, Some("b"))] {
        let mut request = http
            .post(format!("{}/api/sign-in", app.base))
            .json(&json!({"request": {"name": "otto", "password": "otto-password-long"}}));
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("tc_csrf={cookie}"));
        }
        if let Some(header) = header {
            request = request.header("x-csrf-token", header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["message"], "missing or wrong CSRF token");
    }
    let (session, csrf) = sign_in(&app.base, "otto", "otto-password-long").await;
    let clear = |header: Option<&str>| {
        let mut request = http
            .post(format!("{}/api/clear-chaos", app.base))
            .header("cookie", format!("tc_session={session}"))
            .json(&json!({"service": null}));
        if let Some(header) = header {
            request = request.header("x-csrf-token", header.to_owned());
        }
        request.send()
    };
    assert_eq!(clear(None).await.unwrap().status(), 403);
    assert_eq!(clear(Some("wrong")).await.unwrap().status(), 403);
    assert_eq!(clear(Some(&csrf)).await.unwrap().status(), 200);
    // A read needs no token; the same session over REST.
    let response = http
        .get(format!("{}/api/v1/services", app.base))
        .header("cookie", format!("tc_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // The audit log: the refused and the accepted state changes.
    let cleared = audit_of(&app, "clear-chaos").await;
    let outcomes: Vec<_> = cleared
        .iter()
        .map(|e| (e.actor.as_str(), e.status, e.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("otto", 200, AuditOutcome::Accepted),
            ("otto", 403, AuditOutcome::Refused),
            ("otto", 403, AuditOutcome::Refused)
        ]
    );
    let sign_ins = audit_of(&app, "sign-in").await;
    assert_eq!(sign_ins.len(), 4, "three refused, one accepted");
    assert_eq!(sign_ins[0].outcome, AuditOutcome::Accepted);
    assert!(sign_ins[1..]
        .iter()
        .all(|e| e.outcome == AuditOutcome::Refused && e.actor == "otto"));
    app.stop().await;
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_minute() {
    let mut settings = settings("users");
    settings.auth.sign_in_per_minute = 3;
    let app = spawn_app_with(settings).await;
    let http = client();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = http
            .post(format!("{}/api/sign-in", app.base))
            .header("cookie", "tc_csrf=x")
            .header("x-csrf-token", "x")
            .json(&json!({"request": {"name": "mallory", "password": "guessing-again"}}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&wait));
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    app.stop().await;
}

#[tokio::test]
async fn proxy_headers_count_from_trusted_proxies_only() {
    let mut trusted = settings("proxy");
    trusted.auth.proxy.trusted = vec!["127.0.0.1".into()];
    trusted.auth.proxy.groups = [("ops".to_owned(), "operator".to_owned())].into();
    trusted.auth.proxy.default_role = "none".into();
    let app = spawn_app_with(trusted).await;
    let http = client();
    let me: Value = http
        .post(format!("{}/api/me", app.base))
        .header("x-forwarded-user", "alice")
        .header("x-forwarded-groups", "staff, ops")
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["principal"]["name"], "alice");
    assert_eq!(me["principal"]["role"], "operator");
    assert_eq!(me["principal"]["via"], "proxy");
    let response = http
        .post(format!("{}/api/v1/services/clear-chaos", app.base))
        .header("x-forwarded-user", "alice")
        .header("x-forwarded-groups", "ops")
        .json(&json!({"all": true}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    // In no group, and no default role: refused.
    let response = http
        .get(format!("{}/api/v1/services", app.base))
        .header("x-forwarded-user", "bob")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    app.stop().await;

    let mut untrusted = settings("proxy");
    untrusted.auth.proxy.trusted = vec!["10.0.0.0/8".into()];
    untrusted.auth.proxy.groups = [("ops".to_owned(), "operator".to_owned())].into();
    let app = spawn_app_with(untrusted).await;
    let response = http
        .get(format!("{}/api/v1/services", app.base))
        .header("x-forwarded-user", "alice")
        .header("x-forwarded-groups", "ops")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    app.stop().await;
}

#[tokio::test]
async fn local_mode_refuses_an_address_others_can_reach() {
    let mut settings = settings("local");
    let dir = tempfile::tempdir().unwrap();
    settings.sandbox.enabled = false;
    settings.apply_overrides(&Overrides {
        host: Some("0.0.0.0".into()),
        port: Some(0),
        database: Some(dir.path().join("c.db")),
        ..Overrides::default()
    });
    let config = settings.validate().expect("valid config");
    let error = Application::build(config).await.err().expect("refused");
    let message = format!("{error:#}");
    assert!(
        message.contains("TEST_COORDINATOR_AUTH_MODE=users"),
        "{message}"
    );
    assert!(
        message.contains("test-coordinator users add NAME --role admin"),
        "{message}"
    );
    assert!(message.contains("bootstrap token"), "{message}");
}

/// Who started and who stopped: a token's owner starts a run over REST (the
/// CLI's user agent makes the channel `cli`), the same user stops it from a
/// signed-in browser session; the history, the status and the report name
/// them, and the audit log has both.
#[tokio::test]
async fn executions_name_who_started_and_who_stopped_them() {
    let server = spawn_app_with(settings("users")).await;
    let token = user_with_token(&server, "otto", Role::Operator).await;
    let http = client();
    let started: Value = http
        .post(format!("{}/api/v1/scenarios/execute", server.base))
        .bearer_auth(&token)
        .header("user-agent", server::http::CLI_USER_AGENT)
        .json(&json!({"yaml": "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: wait-a-while}\nspec:\n  phases:\n    - {name: wait, duration: 10m}\n"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["execution_id"]
        .as_str()
        .unwrap_or_else(|| panic!("not started: {started}"))
        .to_owned();

    let (session, csrf) = sign_in(&server.base, "otto", "otto-password-long").await;
    let response = http
        .post(format!("{}/api/control", server.base))
        .header("cookie", format!("tc_session={session}"))
        .header("x-csrf-token", csrf)
        .json(&json!({"id": id, "command": "stop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let status = |path: String| {
        let http = http.clone();
        let token = token.clone();
        async move {
            http.get(path)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let mut detail = Value::Null;
    for _ in 0..100 {
        detail = status(format!("{}/api/v1/scenarios/{id}/status", server.base)).await;
        if detail["status"] == "stopped" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(detail["status"], "stopped", "{detail}");
    assert_eq!(detail["started_by"], "otto (token t)");
    assert_eq!(detail["channel"], "cli");
    assert_eq!(detail["stopped_by"], "otto");
    let history = status(format!("{}/api/v1/executions", server.base)).await;
    let row = &history["executions"][0];
    assert_eq!(
        (&row["started_by"], &row["stopped_by"]),
        (&json!("otto (token t)"), &json!("otto"))
    );
    let report = status(format!("{}/api/v1/scenarios/{id}/report", server.base)).await;
    assert_eq!(report["execution"]["started_by"], "otto (token t)");
    assert_eq!(report["execution"]["stopped_by"], "otto");

    let audit = whole_audit_log(&server).await;
    let rows: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "execute" || e.action == "stop-execution")
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.outcome))
        .collect();
    assert_eq!(
        rows,
        [
            ("otto", "stop-execution", AuditOutcome::Accepted),
            ("otto (token t)", "execute", AuditOutcome::Accepted),
        ]
    );
    server.stop().await;
}
