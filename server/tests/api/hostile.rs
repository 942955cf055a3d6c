//! Hostile inputs found by outside testers (issue 13): each test failed on the
//! code they attacked and guards its fix.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

fn error_kind(body: &Value) -> &str {
    body["error"]["kind"].as_str().unwrap_or("")
}

/// A file outside the library that a caller might try to read through a
/// template or scenario name.
fn secret_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("secrets.yaml");
    std::fs::write(&path, "password: hunter2-do-not-leak\n").expect("write the secret");
    path
}

#[tokio::test]
async fn a_template_path_over_the_network_reads_no_file_and_answers_404() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    let absolute = secret.display().to_string();
    let encoded: String = absolute
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    for name in [
        encoded.as_str(),
        "..%2F..%2Fscenarios%2Fstablecoin-depeg.yaml",
        "secrets.yaml",
        "missing.yml",
    ] {
        let response = app
            .post(
                &format!("/api/v1/templates/{name}/render"),
                json!({"parameters": {}}),
            )
            .await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(!body.contains("hunter2"), "{name}: the file leaked: {body}");
        assert_eq!(status, 404, "{name}: {body}");
    }
    let response = app
        .post(
            "/api/v1/scenarios/execute",
            json!({"template": absolute, "parameters": {}, "options": {"dry_run": true}}),
        )
        .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_kind(&body), "not_found", "{body}");
    assert!(!body.to_string().contains("hunter2"));
    // Nothing was stored either.
    let (_, history) = app.json("/api/v1/executions").await;
    assert!(!history.to_string().contains("hunter2"), "{history}");
    app.stop().await;
}

#[tokio::test]
async fn a_scenario_name_that_looks_like_a_path_is_only_a_library_name() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path());
    for scenario in [
        secret.display().to_string(),
        "../scenarios/market-crash.yaml".into(),
    ] {
        let response = app
            .post(
                "/api/v1/scenarios/execute",
                json!({"scenario": scenario, "options": {"dry_run": true}}),
            )
            .await;
        assert_eq!(response.status(), 404, "{scenario}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("hunter2"));
    }
    app.stop().await;
}

fn scenario_lasting(length: &str) -> String {
    format!(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {{name: long-{n}}}\nspec:\n  duration: {length}\n  timeout: {length}\n  phases:\n    - {{name: wait, duration: {length}}}\n",
        n = length.len()
    )
}

#[tokio::test]
async fn absurd_durations_are_refused_and_the_longest_allowed_one_renders_its_page() {
    let app = spawn_app().await;
    // The tester's crash: this validated, and its page allocated 33 GB for ticks.
    let response = app
        .post(
            "/api/v1/scenarios/execute",
            json!({"yaml": scenario_lasting("99999999999h"), "options": {"dry_run": true}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let diagnostics = body["error"]["details"]["diagnostics"].to_string();
    assert!(
        diagnostics.contains("longer than the limit of 30d"),
        "{body}"
    );

    // The longest scenario the language allows dry-runs, and its pages and
    // report stay small.
    let response = app
        .post(
            "/api/v1/scenarios/execute",
            json!({"yaml": scenario_lasting("30d"), "options": {"dry_run": true, "speed": 1000000}}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let id = response.json::<Value>().await.unwrap()["execution_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/executions/{id}"),
        format!("/api/v1/scenarios/{id}/report?format=html"),
        format!("/api/v1/scenarios/{id}/status"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body = response.bytes().await.unwrap();
        assert!(body.len() < 2_000_000, "{path}: {} bytes", body.len());
    }
    // The process is still serving.
    assert_eq!(app.get("/health").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn speeds_outside_the_bounds_are_a_400_naming_the_bounds() {
    let app = spawn_app().await;
    let yaml = scenario_lasting("1m");
    for speed in [
        json!(1e-300),
        json!(0),
        json!(-5),
        json!(1e308),
        json!(0.0001),
    ] {
        let response = app
            .post(
                "/api/v1/scenarios/execute",
                json!({"yaml": yaml, "options": {"speed": speed}}),
            )
            .await;
        assert_eq!(response.status(), 400, "speed {speed}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_kind(&body), "invalid_request");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("between 0.001 and 1000000"), "{message}");
    }
    let response = app
        .post(
            "/api/v1/suites",
            json!({"scenarios": [{"scenario": "market-crash"}], "speed": 1e-300, "dry_run": true}),
        )
        .await;
    assert_eq!(response.status(), 400);
    // Nothing was queued.
    let (_, active) = app.json("/api/v1/scenarios/active").await;
    assert_eq!(
        active["executions"].as_array().map(Vec::len),
        Some(0),
        "{active}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_template_that_amplifies_its_input_is_refused_with_422() {
    let app = spawn_app().await;
    let big = "x".repeat(100_000);
    let uses = "{{ .Variables.big }}".repeat(1_000);
    let yaml = format!(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: amplified\n  description: \"{uses}\"\nspec:\n  variables:\n    big: \"{big}\"\n  phases:\n    - {{name: wait, duration: 1m}}\n"
    );
    let response = app
        .post(
            "/api/v1/scenarios/execute",
            json!({"yaml": yaml, "options": {"dry_run": true}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(body.len() < 100_000, "{} bytes", body.len());
    assert!(body.contains("more than 1048576 bytes"), "{body}");
    let response = app
        .post(
            "/api/v1/scenarios/validate",
            json!({"yaml": yaml, "parameters": {}}),
        )
        .await;
    assert!(response.status().is_success() || response.status() == 422);
    let body = response.text().await.unwrap();
    assert!(body.len() < 100_000, "{} bytes", body.len());
    assert!(body.contains("more than 1048576 bytes"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn an_inline_template_without_parameters_says_why_it_cannot_run() {
    let app = spawn_app().await;
    let template =
        std::fs::read_to_string("../scenarios/templates/exchange-disruption.template.yaml")
            .expect("the library template");
    let response = app
        .post("/api/v1/scenarios/execute", json!({"yaml": template}))
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let diagnostics = body["error"]["details"]["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics.iter().any(|d| d["message"]
            .as_str()
            .unwrap_or("")
            .contains("this is a template")),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_run_of_too_many_steps_is_refused_before_it_floods_the_store() {
    let app = spawn_app().await;
    // 20 one-line actions repeated 10,000 times: 210,000 steps, millions of events.
    let actions = "        - {service: exchange-simulator, action: clear_chaos}\n".repeat(20);
    let yaml = format!(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {{name: flood}}\nspec:\n  phases:\n    - name: a\n      duration: 1m\n      actions:\n{actions}"
    );
    let response = app
        .post(
            "/api/v1/scenarios/execute",
            json!({"yaml": yaml, "options": {"dry_run": true, "repeat": 10000}}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit is 100000"),
        "{body}"
    );
    let (_, active) = app.json("/api/v1/scenarios/active").await;
    assert_eq!(active["executions"].as_array().map(Vec::len), Some(0));
    app.stop().await;
}
