//! Suites: several scenarios as one, through the API and the CLI (here and
//! against a server), with N1V1's chaos summary.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with_sandbox, start_sandbox, TestApp, SCENARIO_RUNS};

/// Latency on the exchange, cleared; recovery is then measured. Passes.
const RECOVERS: &str = r#"
apiVersion: chaos.trading/v1
kind: Scenario
metadata: {name: suite-latency-blip}
spec:
  phases:
    - name: chaos
      duration: 1m
      actions:
        - {service: exchange-simulator, action: inject_latency, parameters: {delay_ms: 200, operations: [place_order]}}
    - name: recovery
      duration: 1m
      actions:
        - {service: exchange-simulator, action: clear_chaos}
      assertions:
        - {type: system_recovery, expect: normal_operations, within: 1m}
  rollback:
    on_failure: true
    actions:
      - {service: exchange-simulator, action: clear_all_chaos}
"#;

/// Expects a depeg that never comes. Fails after a minute of scenario time.
const FAILS: &str = r#"
apiVersion: chaos.trading/v1
kind: Scenario
metadata: {name: suite-wrong-expectation}
spec:
  phases:
    - name: look
      duration: 2m
      assertions:
        - {type: price_divergence, expect: usdt_depegged, within: 1m, parameters: {symbol: USDT-USD, min_deviation: 0.3}}
"#;

/// Only waits: calls nothing, so it needs no sandbox.
fn waits(name: &str, duration: &str) -> String {
    format!(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {{name: {name}}}\nspec:\n  phases:\n    - {{name: wait, duration: {duration}}}\n"
    )
}

impl TestApp {
    /// Polls a suite until it has ended.
    pub async fn wait_suite(&self, id: &str) -> Value {
        for _ in 0..600 {
            let (status, detail) = self.json(&format!("/api/v1/suites/{id}")).await;
            assert_eq!(status, 200, "{detail}");
            if detail["status"] != "running" {
                return detail;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("suite {id} did not finish");
    }

    async fn start_suite(&self, body: Value) -> Value {
        let response = self.post("/api/v1/suites", body).await;
        let status = response.status().as_u16();
        let accepted: Value = response.json().await.unwrap();
        assert_eq!(status, 202, "{accepted}");
        accepted
    }
}

fn order(members: &Value) -> Vec<String> {
    members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["scenario"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_sequential_suite_runs_its_members_as_executions_one_after_another_and_sums_them_up() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let accepted = app
        .start_suite(json!({
            "scenarios": [{"yaml": RECOVERS}, {"yaml": FAILS}, {"yaml": RECOVERS.replace("suite-latency-blip", "suite-latency-blip-2")}],
            "mode": "sequential",
            "speed": 600,
        }))
        .await;
    assert_eq!(accepted["status"], "running");
    assert_eq!(accepted["seed"], Value::Null, "no seed in sequential mode");
    assert_eq!(
        order(&accepted["members"]),
        [
            "suite-latency-blip",
            "suite-wrong-expectation",
            "suite-latency-blip-2"
        ]
    );
    let id = accepted["suite_id"].as_str().unwrap();
    let detail = app.wait_suite(id).await;
    assert_eq!(detail["status"], "failed", "{detail}");

    let results = &detail["summary"]["results"];
    assert_eq!(results["passed_scenarios"], 2, "{detail}");
    assert_eq!(results["failed_scenarios"], 1);
    assert_eq!(results["pending_scenarios"], 0);
    assert_eq!(results["pass_rate_percent"], 66.67);
    assert_eq!(results["recovery_samples"], 2, "{detail}");
    let recovery = results["average_recovery_time_seconds"].as_f64().unwrap();
    let members = detail["members"].as_array().unwrap();
    let own: Vec<f64> = members
        .iter()
        .filter_map(|m| m["recovery_time_seconds"].as_f64())
        .collect();
    assert!(
        (recovery - (own[0] + own[1]) / 2.0).abs() < 0.001,
        "{recovery} is the mean of {own:?}"
    );
    let run = &detail["summary"]["test_run"];
    assert_eq!(run["mode"], "sequential");
    assert_eq!(run["parallel"], false);
    assert_eq!(run["speed"], 600.0);
    assert_eq!(run["total_scenarios"], 3);
    assert_eq!(run["scenarios_run"], json!(order(&accepted["members"])));
    assert!(run["duration_seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(run["timestamp"], detail["finished_at"]);
    assert_eq!(
        members
            .iter()
            .map(|m| m["passed"].clone())
            .collect::<Vec<_>>(),
        [json!(true), json!(false), json!(true)]
    );

    // Every member is an ordinary execution in the history, and knows its suite.
    let (_, history) = app.json("/api/v1/executions").await;
    assert_eq!(history["total"], 3, "{history}");
    let mut times = Vec::new();
    for member in members {
        let execution = member["execution_id"].as_str().unwrap();
        let (status, found) = app
            .json(&format!("/api/v1/scenarios/{execution}/status"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(found["suite_id"], id);
        assert_eq!(found["status"], member["status"]);
        times.push((
            found["started_at"].as_str().unwrap().to_owned(),
            found["finished_at"].as_str().unwrap().to_owned(),
        ));
    }
    for pair in times.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "one after another: {times:?}");
    }
    let (status, list) = app.json("/api/v1/suites").await;
    assert_eq!(status, 200);
    assert_eq!(list["suites"][0]["id"], id);
    assert_eq!(list["suites"][0]["status"], "failed");
    app.stop().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_random_suite_is_shuffled_by_its_seed_and_the_same_seed_gives_the_same_order() {
    let app = spawn_app().await;
    let names = ["s-a", "s-b", "s-c", "s-d", "s-e", "s-f"];
    let scenarios: Vec<Value> = names
        .iter()
        .map(|n| json!({"yaml": waits(n, "1m")}))
        .collect();
    let body = |seed: Option<u64>| {
        let mut body = json!({"scenarios": scenarios, "mode": "random", "dry_run": true});
        if let Some(seed) = seed {
            body["seed"] = json!(seed);
        }
        body
    };
    let first = app.start_suite(body(Some(42))).await;
    let again = app.start_suite(body(Some(42))).await;
    assert_eq!(first["seed"], 42);
    assert_eq!(order(&first["members"]), order(&again["members"]));
    assert_ne!(
        order(&first["members"]),
        names,
        "seed 42 shuffles these six"
    );
    let mut sorted = order(&first["members"]);
    sorted.sort();
    assert_eq!(sorted, names, "each member once");

    // Without a seed one is chosen, returned, stored and reproducible.
    let chosen = app.start_suite(body(None)).await;
    let seed = chosen["seed"].as_u64().expect("a seed is chosen");
    let replay = app.start_suite(body(Some(seed))).await;
    assert_eq!(order(&chosen["members"]), order(&replay["members"]));
    let detail = app.wait_suite(chosen["suite_id"].as_str().unwrap()).await;
    assert_eq!(detail["status"], "completed", "{detail}");
    assert_eq!(detail["summary"]["test_run"]["seed"], seed);
    assert_eq!(detail["summary"]["test_run"]["mode"], "random");
    assert_eq!(
        detail["summary"]["test_run"]["scenarios_run"],
        json!(order(&chosen["members"])),
        "scenarios_run is the order they ran in"
    );
    assert_eq!(detail["summary"]["results"]["pass_rate_percent"], 100.0);
    assert_eq!(
        detail["summary"]["results"]["average_recovery_time_seconds"],
        Value::Null,
        "nothing recovered from anything"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_parallel_suite_runs_its_members_side_by_side() {
    let app = spawn_app().await;
    // Three members of 10 minutes at speed 600: about a second each.
    let accepted = app
        .start_suite(json!({
            "scenarios": [{"yaml": waits("p-a", "10m")}, {"yaml": waits("p-b", "10m")}, {"yaml": waits("p-c", "10m")}],
            "parallel": true,
            "speed": 600,
        }))
        .await;
    assert_eq!(accepted["parallel"], true);
    let detail = app.wait_suite(accepted["suite_id"].as_str().unwrap()).await;
    assert_eq!(detail["status"], "completed", "{detail}");
    let mut spans = Vec::new();
    for member in detail["members"].as_array().unwrap() {
        let (_, found) = app
            .json(&format!(
                "/api/v1/scenarios/{}/status",
                member["execution_id"].as_str().unwrap()
            ))
            .await;
        spans.push((
            found["started_at"].as_str().unwrap().to_owned(),
            found["finished_at"].as_str().unwrap().to_owned(),
        ));
    }
    let last_start = spans.iter().map(|s| s.0.clone()).max().unwrap();
    let first_end = spans.iter().map(|s| s.1.clone()).min().unwrap();
    assert!(
        last_start < first_end,
        "all three ran at the same time: {spans:?}"
    );
    assert_eq!(detail["summary"]["test_run"]["parallel"], true);
    assert!(
        detail["summary"]["test_run"]["duration_seconds"]
            .as_f64()
            .unwrap()
            < 2.5,
        "side by side, not 3 s one after another: {detail}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_suite_with_a_bad_member_is_refused_whole_and_runs_nothing() {
    let app = spawn_app().await;
    let refused = |status: u16, body: &Value, kind: &str| {
        assert_eq!(body["error"]["kind"], kind, "{status} {body}");
    };

    let response = app
        .post(
            "/api/v1/suites",
            json!({"scenarios": ["basic-market-disruption", "no-such-scenario"]}),
        )
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 404, "{body}");
    refused(status, &body, "not_found");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("scenarios[1]") && message.contains("no-such-scenario"),
        "{message}"
    );
    assert_eq!(body["error"]["details"]["members"][0]["index"], 1);
    assert_eq!(
        body["error"]["details"]["members"][0]["scenario"],
        "no-such-scenario"
    );

    let broken = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  phases:\n    - name: p\n      duration: 1m\n      actions:\n        - {service: nowhere, action: x}\n";
    let response = app
        .post(
            "/api/v1/suites",
            json!({"scenarios": [{"yaml": broken}, "no-such-scenario"]}),
        )
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 422, "mixed problems are a validation error: {body}");
    let members = body["error"]["details"]["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "every problem at once: {body}");
    assert!(members[0]["details"]["diagnostics"]
        .as_array()
        .is_some_and(|d| !d.is_empty()));

    for (request, why) in [
        (json!({"scenarios": []}), "empty"),
        (json!({}), "no scenarios"),
        (
            json!({"scenarios": ["basic-market-disruption"], "mode": "zigzag"}),
            "unknown mode",
        ),
        (
            json!({"scenarios": ["basic-market-disruption"], "seed": 3}),
            "seed without random",
        ),
        (
            json!({"scenarios": ["basic-market-disruption"], "speed": 0}),
            "speed 0",
        ),
        (
            json!({"scenarios": [{"scenario": "a", "yaml": "b"}]}),
            "two sources",
        ),
        (json!({"scenarios": [42]}), "not a name"),
    ] {
        let response = app.post("/api/v1/suites", request).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{why}: {body}");
        refused(status, &body, "invalid_request");
    }
    let (status, body) = app
        .json("/api/v1/suites/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(status, 404);
    refused(status, &body, "not_found");
    let (status, _) = app.json("/api/v1/suites/not-an-id").await;
    assert_eq!(status, 404);
    let (status, _) = app.json("/api/v1/suites?limit=lots").await;
    assert_eq!(status, 400);

    let (_, history) = app.json("/api/v1/executions").await;
    assert_eq!(history["total"], 0, "nothing ran: {history}");
    let (_, suites) = app.json("/api/v1/suites").await;
    assert_eq!(suites["suites"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn a_suite_cut_short_by_a_shutdown_ends_interrupted_and_its_rest_never_runs() {
    let app = spawn_app().await;
    let accepted = app
        .start_suite(json!({
            "scenarios": [{"yaml": waits("long-a", "1h")}, {"yaml": waits("long-b", "1h")}],
        }))
        .await;
    let id = accepted["suite_id"].as_str().unwrap().to_owned();
    let first = accepted["members"][0]["execution_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Wait for the first member to be submitted, then stop the coordinator.
    for _ in 0..100 {
        let (status, _) = app.json(&format!("/api/v1/scenarios/{first}/status")).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, detail) = app.json(&format!("/api/v1/suites/{id}")).await;
    assert_eq!(detail["members"][1]["status"], "pending", "{detail}");
    let database = app.database.clone();
    let dir = app.stop().await;

    let mut settings = server::config::Settings::default();
    settings.test_coordinator.database = database;
    let app = crate::helpers::spawn_app_with(settings).await;
    let (_, detail) = app.json(&format!("/api/v1/suites/{id}")).await;
    assert_eq!(detail["status"], "interrupted", "{detail}");
    assert_eq!(detail["members"][0]["status"], "interrupted");
    assert_eq!(detail["members"][1]["status"], "not_run");
    assert_eq!(detail["summary"]["results"]["failed_scenarios"], 2);
    let (_, history) = app.json("/api/v1/executions").await;
    assert_eq!(history["total"], 1, "the second member never ran");
    app.stop().await;
    drop(dir);
}

// ───────────────────────────── CLI ─────────────────────────────

/// Runs the binary from the repository root with `env`.
async fn cli(args: &[&str], env: &[(String, String)]) -> (i32, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_test-coordinator"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        // Only what the test gives: no server, nor a database, from the caller's environment.
        .env_remove("TEST_COORDINATOR_URL")
        .env_remove("TEST_COORDINATOR_DATABASE")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn the_cli_runs_a_suite_here_prints_its_seed_and_progress_and_exits_by_its_outcome() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (sandbox, settings) = start_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = sandbox
        .services()
        .into_iter()
        .map(|(name, address)| {
            (
                format!("{}_URL", name.to_uppercase().replace('-', "_")),
                format!("http://{address}"),
            )
        })
        .collect();
    env.extend(crate::helpers::proxy_env(&settings));
    env.push((
        "MARKET_DATA_PROXY_URL".into(),
        settings.services["market-data-proxy"].url.clone(),
    ));
    let database = dir.path().join("local.db");
    env.push((
        "TEST_COORDINATOR_DATABASE".into(),
        database.display().to_string(),
    ));
    let recovers = write(dir.path(), "recovers.yaml", RECOVERS);
    let fails = write(dir.path(), "fails.yaml", FAILS);

    let (code, out, err) = cli(
        &[
            "execute",
            "--scenarios",
            &format!("{recovers},{fails}"),
            "--mode",
            "random",
            "--seed",
            "7",
            "--speed",
            "600",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 1, "one member fails: {out}\n{err}");
    assert!(out.contains("seed 7") && out.contains("--seed 7"), "{out}");
    assert!(out.contains("[1/2]") && out.contains("[2/2]"), "{out}");
    assert!(
        out.contains("suite-wrong-expectation: failed — FAILED"),
        "{out}"
    );
    assert!(out.contains("1 of 2 passed (50 %)"), "{out}");

    let junit = dir.path().join("suite.xml");
    let (code, out, err) = cli(
        &[
            "execute",
            "--scenarios",
            &format!("{recovers},basic-market-disruption"),
            "--speed",
            "600",
            "--json",
            "--junit",
            junit.to_str().unwrap(),
        ],
        &env,
    )
    .await;
    assert_eq!(code, 0, "both pass: {out}\n{err}");
    let summary: Value = serde_json::from_str(&out).expect("--json prints one document");
    assert_eq!(summary["status"], "completed");
    assert_eq!(summary["results"]["pass_rate_percent"], 100.0);
    assert_eq!(summary["test_run"]["mode"], "sequential");
    assert_eq!(
        summary["test_run"]["scenarios_run"],
        json!(["suite-latency-blip", "basic-market-disruption"])
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("suite-latency-blip.recovery")
            && xml.contains("basic-market-disruption.chaos_injection"),
        "{xml}"
    );
    assert_eq!(xml.matches("<testsuites").count(), 1, "{xml}");

    let (code, _, err) = cli(
        &[
            "execute",
            "--scenarios",
            "basic-market-disruption,no-such-one",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no-such-one") && err.contains("nothing was run"),
        "{err}"
    );
    let (code, _, err) = cli(
        &[
            "execute",
            "--scenario",
            "basic-market-disruption",
            "--seed",
            "3",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 2, "--seed needs --scenarios: {err}");
    assert!(err.contains("--seed only applies to a suite"), "{err}");

    // The runs are in the shared history.
    let store = server::store::Store::open(&database).await.unwrap();
    assert_eq!(store.list_suites(10, None).await.unwrap().len(), 2);
    assert_eq!(store.list_executions(10).await.unwrap().len(), 4);
    store.close().await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_cli_runs_a_suite_on_a_server_and_exits_by_its_outcome() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let recovers = write(dir.path(), "recovers.yaml", RECOVERS);
    let fails = write(dir.path(), "fails.yaml", FAILS);
    let server = [("TEST_COORDINATOR_URL".to_owned(), app.base.clone())];

    let (code, out, err) = cli(
        &[
            "execute",
            "--scenarios",
            &format!("{recovers},{recovers}"),
            "--parallel",
            "--speed",
            "600",
        ],
        &server,
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("in parallel"), "{out}");
    assert!(out.contains("2 of 2 passed (100 %)"), "{out}");

    let (code, out, err) = cli(
        &[
            "execute",
            "--scenarios",
            &format!("{fails},{recovers}"),
            "--mode",
            "random",
            "--speed",
            "600",
            "--json",
        ],
        &server,
    )
    .await;
    assert_eq!(code, 1, "{out}\n{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    let seed = summary["test_run"]["seed"].as_u64().expect("a seed");
    assert!(
        err.contains(&format!("--seed {seed}")),
        "the seed is printed: {err}"
    );
    assert_eq!(summary["results"]["failed_scenarios"], 1);

    let (code, _, err) = cli(&["execute", "--scenarios", "nope-a,nope-b"], &server).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope-a") && err.contains("nope-b"), "{err}");

    let (_, list) = app.json("/api/v1/suites").await;
    assert_eq!(list["suites"].as_array().unwrap().len(), 2);
    app.stop().await;
    sandbox.shutdown().await;
}
