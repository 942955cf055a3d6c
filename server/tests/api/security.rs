//! Issue 13, findings 3 and 4 and the HTTP panic guard: security headers on every
//! response, stored text escaped in the pages, requests from another site (and a
//! rebound `Host`) refused before any handler runs, a panicking handler answered
//! with a 500 while the server keeps serving.

use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, HOST, ORIGIN};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Error as WsError};

use crate::helpers::{spawn_app, spawn_app_with_routes, TestApp};

/// A page on another origin of the same machine: same-site, not same-origin.
const OTHER_ORIGIN: &str = "http://127.0.0.1:1";

/// A scenario whose free text tries to break out of every element it is shown in.
fn hostile_yaml(name: &str) -> String {
    format!(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: {name}\n  description: \"</textarea><img src=x onerror=window.pwned=1><script>window.pwned=2</script></title>\"\n  category: custom\nspec:\n  phases:\n    - name: look\n      duration: 1m\n      assertions:\n        - {{type: system_health, expect: all_services_healthy}}\n"
    )
}

async fn forbidden(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["kind"], "forbidden", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(body["error"]["details"]["rule"].is_string(), "{body}");
    body
}

impl TestApp {
    fn post_to(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.base))
    }

    async fn executions_count(&self) -> usize {
        let body: Value = self.get("/api/v1/executions").await.json().await.unwrap();
        body["executions"].as_array().map_or(0, Vec::len)
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_pages_a_script_nonce() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/health",
        "/api/v1/executions",
        "/api/v1/nowhere",
        "/nowhere",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} in {csp}");
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
            "{path}: {csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }

    // The hydration script carries this response's nonce, and only this one.
    let page = app.get("/").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    // The WASM starts compiling from a classic script after Leptos's preload
    // link (so it takes the preload's request) and before the stylesheet; a
    // deferred module script ahead of Leptos's hands it to the loader; both
    // carry this response's nonce and name the loader and WASM that the page
    // preloads, and the split loader is preloaded too (app::EarlyCompile,
    // docs/build.md).
    let script_at = |start: &str| {
        let at = html
            .find(start)
            .unwrap_or_else(|| panic!("{start} in {html}"));
        let script = &html[at..];
        (
            at,
            &script[..script.find("</script>").expect("the script's end")],
        )
    };
    let (compile_at, compile) = script_at(&format!("<script nonce=\"{nonce}\">"));
    let (init_at, init) = script_at(&format!(
        "<script type=\"module\" nonce=\"{nonce}\">import init"
    ));
    let hydration = html
        .find("mod.hydrate()")
        .expect("Leptos's hydration script");
    let stylesheet = html.find("rel=\"stylesheet\"").expect("the stylesheet");
    let href = |rel: &str, ending: &str| {
        let at = html
            .match_indices(rel)
            .map(|(at, _)| at)
            .find(|at| {
                html[at + rel.len()..]
                    .split('"')
                    .next()
                    .is_some_and(|href| href.ends_with(ending))
            })
            .unwrap_or_else(|| panic!("a {rel} link to {ending} in {html}"));
        (
            at,
            html[at + rel.len()..].split('"').next().unwrap_or_default(),
        )
    };
    let (preload_at, wasm) = href("rel=\"preload\" href=\"", "_bg.wasm");
    let (_, loader) = href(
        "rel=\"modulepreload\" href=\"",
        &format!("{}.js", app::BUNDLE_NAME),
    );
    href("rel=\"modulepreload\" href=\"", app::SPLIT_LOADER);
    assert!(
        init_at < hydration && preload_at < compile_at && compile_at < stylesheet,
        "{html}"
    );
    assert!(
        compile.contains(&format!("compileStreaming(fetch(\"{wasm}\"))")),
        "{compile}"
    );
    assert!(init.contains(&format!("from \"{loader}\"")), "{init}");
    let again = app.get("/").await;
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(nonce),
        "a fresh nonce per response"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_html_report_forbids_scripts_and_may_be_framed_by_the_report_page_only() {
    let app = spawn_app().await;
    let accepted: Value = app
        .post_to("/api/v1/scenarios/execute")
        .json(&json!({"yaml": hostile_yaml("report-check"), "options": {"dry_run": true}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = accepted["execution_id"]
        .as_str()
        .expect("accepted")
        .to_owned();
    let report = app
        .get(&format!("/api/v1/scenarios/{id}/report?format=html"))
        .await;
    assert_eq!(report.status(), 200);
    let csp = report.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert!(
        !csp.contains("script-src"),
        "nothing in the report runs: {csp}"
    );
    assert_eq!(report.headers()["x-frame-options"], "SAMEORIGIN");
    let html = report.text().await.unwrap();
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    app.stop().await;
}

#[tokio::test]
async fn stored_and_inline_markup_is_text_on_the_editor_scenario_and_execution_pages() {
    let app = spawn_app().await;
    let uploaded = app
        .post_to("/api/v1/scenarios/upload")
        .json(&json!({"yaml": hostile_yaml("hostile-text")}))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    for page in [
        "/scenarios/hostile-text/edit",
        "/scenarios/hostile-text",
        "/scenarios",
    ] {
        let response = app.get(page).await;
        assert_eq!(response.status(), 200, "{page}");
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("<img src=x"),
            "{page} has the payload as markup:\n{html}"
        );
        assert!(!html.contains("<script>window.pwned"), "{page}");
        assert!(!html.contains("</textarea><img"), "{page}");
    }
    let editor = app
        .get("/scenarios/hostile-text/edit")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        editor.contains("&lt;/textarea>&lt;img src=x onerror=window.pwned=1>"),
        "the editor shows the text as text"
    );

    // An inline scenario's name reaches the execution page's <title>.
    let name = "t</title><script>window.pwned=3</script>";
    let yaml = hostile_yaml("x").replace("name: x", &format!("name: \"{name}\""));
    let response = app
        .post_to("/api/v1/scenarios/execute")
        .json(&json!({"yaml": yaml, "options": {"dry_run": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    let id = accepted["execution_id"].as_str().unwrap();
    let html = app
        .get(&format!("/executions/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>window.pwned"), "{html}");
    assert!(
        html.contains("t&lt;/title>&lt;script>window.pwned=3&lt;/script>"),
        "{html}"
    );
    app.stop().await;
}

#[tokio::test]
async fn requests_from_another_site_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let execute =
        json!({"scenario": "basic-market-disruption", "options": {"dry_run": true}}).to_string();
    let refusals = [
        // fetch() from another origin, JSON body.
        app.post_to("/api/v1/scenarios/execute")
            .header(ORIGIN, OTHER_ORIGIN)
            .header(CONTENT_TYPE, "application/json")
            .body(execute.clone()),
        // A no-cors fetch with JSON as text/plain, no Origin (an old browser).
        app.post_to("/api/v1/scenarios/execute")
            .header(CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(execute.clone()),
        app.post_to("/api/v1/services/clear-chaos")
            .header(CONTENT_TYPE, "text/plain")
            .body(r#"{"all": true}"#),
        // Modern Chromium on a same-site page: Sec-Fetch-Site says so.
        app.post_to("/api/v1/services/clear-chaos")
            .header("sec-fetch-site", "same-site")
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"all": true}"#),
        app.post_to("/api/v1/scenarios/upload")
            .header(ORIGIN, "null")
            .header(CONTENT_TYPE, "application/json")
            .body(json!({"yaml": hostile_yaml("planted")}).to_string()),
        // A form posted to a server function.
        app.post_to("/api/execute")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("request[scenario]=basic-market-disruption"),
        app.post_to("/api/clear-chaos")
            .header(ORIGIN, OTHER_ORIGIN)
            .header(CONTENT_TYPE, "application/json")
            .body("{}"),
        app.post_to("/api/save-scenario")
            .header(CONTENT_TYPE, "multipart/form-data; boundary=x")
            .body("--x--"),
    ];
    for request in refusals {
        forbidden(request.send().await.unwrap()).await;
    }
    assert_eq!(app.executions_count().await, 0, "no execution was started");
    let (_, found) = app.json("/api/v1/scenarios/available?q=planted").await;
    assert_eq!(found["scenarios"], json!([]), "nothing was stored");
    let sse = app
        .client
        .get(format!("{}/api/v1/scenarios/x/logs?follow=true", app.base))
        .header(ORIGIN, OTHER_ORIGIN)
        .send()
        .await
        .unwrap();
    forbidden(sse).await;
    app.stop().await;
}

#[tokio::test]
async fn the_ui_s_own_requests_and_cli_requests_without_origin_still_work() {
    let app = spawn_app().await;
    let execute = json!({"scenario": "basic-market-disruption", "options": {"dry_run": true}});
    // The hydrated UI: same origin, JSON.
    let from_page = app
        .post_to("/api/v1/scenarios/execute")
        .header(ORIGIN, &app.base)
        .header("sec-fetch-site", "same-origin")
        .json(&execute)
        .send()
        .await
        .unwrap();
    assert_eq!(from_page.status(), 202);
    let server_fn = app
        .post_to("/api/services")
        .header(ORIGIN, &app.base)
        .header("sec-fetch-site", "same-origin")
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(server_fn.status(), 200);
    // The CLI and curl: no Origin, no Sec-Fetch-Site; bodiless POSTs too.
    let from_cli = app
        .post_to("/api/v1/scenarios/execute")
        .json(&execute)
        .send()
        .await
        .unwrap();
    assert_eq!(from_cli.status(), 202);
    let id = from_cli.json::<Value>().await.unwrap()["execution_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stop = app
        .post_to(&format!("/api/v1/scenarios/{id}/stop"))
        .send()
        .await
        .unwrap();
    assert_ne!(stop.status(), 403);
    assert_eq!(app.executions_count().await, 2);
    app.stop().await;
}

#[tokio::test]
async fn a_rebound_host_name_is_refused_on_a_loopback_server() {
    let app = spawn_app().await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let rebound = app
        .client
        .get(format!("{}/api/v1/executions", app.base))
        .header(HOST, format!("attacker.example:{port}"))
        .send()
        .await
        .unwrap();
    let body = forbidden(rebound).await;
    assert_eq!(body["error"]["details"]["rule"], "host");
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let ok = app
            .client
            .get(format!("{}/health", app.base))
            .header(HOST, host)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_websocket_from_another_origin_is_refused_and_from_its_own_page_accepted() {
    let app = spawn_app().await;
    let url = format!(
        "{}/ws/scenario-execution",
        app.base.replace("http://", "ws://")
    );
    let mut request = url.clone().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", OTHER_ORIGIN.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!(
            "a cross-origin WebSocket was not refused: {:?}",
            other.map(|_| ())
        ),
    }
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", app.base.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the page's own WebSocket connects");
    socket.close(None).await.unwrap();
    while socket.next().await.is_some() {}
    app.stop().await;
}

#[tokio::test]
async fn a_panicking_handler_answers_500_in_the_error_shape_and_the_server_keeps_serving() {
    let panicking = axum::Router::new().route(
        "/test/panic",
        axum::routing::get(|| async {
            if true {
                panic!("a deliberate panic in a test-only route");
            }
            ""
        }),
    );
    let app = spawn_app_with_routes(server::config::Settings::default(), panicking).await;
    for _ in 0..3 {
        let response = app.get("/test/panic").await;
        assert_eq!(response.status(), 500);
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["kind"], "internal");
        assert!(
            !body.to_string().contains("deliberate"),
            "the panic message stays in the log"
        );
    }
    assert_eq!(app.get("/health").await.status(), 200);
    app.stop().await;
}
