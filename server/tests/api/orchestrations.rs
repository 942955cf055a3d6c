//! Orchestrations (issue 19, seed 001): documents of steps imported,
//! versioned and run as suites, with delays, time boxes, failure rules,
//! parallel steps, loops and the run's controls, through the REST API of a
//! real coordinator at speed 60 (a scenario minute is a second).

use std::time::Duration;

use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::helpers::{spawn_app, spawn_app_with_sandbox, TestApp};

/// A scenario that only waits `duration` (it calls nothing: no sandbox needed).
fn waits(name: &str, duration: &str) -> Value {
    json!({
        "apiVersion": "chaos.trading/v1",
        "kind": "Scenario",
        "metadata": {"name": name},
        "spec": {"phases": [{"name": "wait", "duration": duration}]}
    })
}

/// Expects a depeg that never comes: fails once its minute is up.
fn fails(name: &str) -> Value {
    json!({
        "apiVersion": "chaos.trading/v1",
        "kind": "Scenario",
        "metadata": {"name": name},
        "spec": {"phases": [{"name": "look", "duration": "2m", "assertions": [
            {"type": "price_divergence", "expect": "usdt_depegged", "within": "1m",
             "parameters": {"symbol": "USDT-USD", "min_deviation": 0.3}}
        ]}]}
    })
}

fn step(name: &str, scenario: Value) -> Value {
    json!({"name": name, "scenario": {"inline": scenario}})
}

fn at(text: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(text.as_str().expect("a time"), &Rfc3339).expect("RFC 3339")
}

impl TestApp {
    /// Starts a document as a run at speed 60; returns the accepted run.
    async fn run_orchestration(&self, document: Value) -> Value {
        let response = self
            .post(
                "/api/chaos/orchestration/start",
                json!({"orchestration": document, "speed": 60}),
            )
            .await;
        let status = response.status().as_u16();
        let accepted: Value = response.json().await.unwrap();
        assert_eq!(status, 202, "{accepted}");
        accepted
    }

    /// Polls a run until it has ended.
    async fn wait_run(&self, id: &str) -> Value {
        for _ in 0..900 {
            let (status, detail) = self.json(&format!("/api/v1/suites/{id}")).await;
            assert_eq!(status, 200, "{detail}");
            if !matches!(detail["status"].as_str(), Some("running" | "paused")) {
                return detail;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("run {id} did not finish");
    }

    /// Polls a run until `check` holds of it.
    async fn wait_until(&self, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..300 {
            let (_, detail) = self.json(&format!("/api/v1/suites/{id}")).await;
            if check(&detail) {
                return detail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("run {id}: {what} never happened");
    }

    /// A member's execution as the history shows it.
    async fn member_execution(&self, member: &Value) -> Value {
        let id = member["execution_id"].as_str().unwrap();
        let (status, execution) = self.json(&format!("/api/v1/scenarios/{id}/status")).await;
        assert_eq!(status, 200, "every member is in the history: {execution}");
        execution
    }
}

#[tokio::test]
async fn a_delay_a_time_box_and_a_failure_carried_over_run_in_order() {
    let app = spawn_app().await;
    let accepted = app
        .run_orchestration(json!({
            "name": "three-steps",
            "steps": [
                // 60 scenario seconds = 1 s before it starts.
                {"name": "delayed", "scenario": {"inline": waits("o-delayed", "30s")}, "delay_before_seconds": 60},
                // Ten minutes long; stopped after one.
                {"name": "boxed", "scenario": {"inline": waits("o-boxed", "10m")}, "duration_seconds": 60},
                {"name": "failing", "scenario": {"inline": fails("o-failing")}, "continue_on_failure": true}
            ]
        }))
        .await;
    assert_eq!(accepted["orchestration"]["name"], "three-steps");
    assert_eq!(accepted["orchestration"]["id"], Value::Null, "run inline");
    let id = accepted["suite_id"].as_str().unwrap();
    let run = app.wait_run(id).await;
    let members = run["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "{run}");
    let steps: Vec<_> = members
        .iter()
        .map(|m| m["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["delayed", "boxed", "failing"]);

    // The delay: nothing started until a second (60 s at speed 60) had passed.
    let created = at(&run["created_at"]);
    let first = app.member_execution(&members[0]).await;
    let waited = at(&first["started_at"]) - created;
    assert!(
        waited >= time::Duration::milliseconds(950),
        "delay_before_seconds: 60 at speed 60 waits a second, not {waited}"
    );
    assert_eq!(members[0]["status"], "completed");
    assert_eq!(members[0]["passed"], true);

    // The time box: stopped (with rollback) after 60 of its 600 seconds, and
    // it passes, nothing having failed by then.
    assert_eq!(members[1]["status"], "stopped", "{run}");
    assert_eq!(members[1]["outcome"], "time_boxed");
    assert_eq!(members[1]["passed"], true);
    let boxed = app.member_execution(&members[1]).await;
    let ran = at(&boxed["finished_at"]) - at(&boxed["started_at"]);
    assert!(
        ran < time::Duration::seconds(5),
        "stopped near its 1 s box, not after its 10 s: {ran}"
    );
    // It started after the first one ended.
    assert!(at(&boxed["started_at"]) >= at(&first["finished_at"]));

    // The failure is carried over: the run went on to the end, and failed.
    assert_eq!(members[2]["status"], "failed");
    assert_eq!(members[2]["passed"], false);
    assert_eq!(run["status"], "failed");
    let results = &run["summary"]["results"];
    assert_eq!(results["passed_scenarios"], 2);
    assert_eq!(results["failed_scenarios"], 1);
}

#[tokio::test]
async fn a_failed_step_without_continue_on_failure_stops_the_run() {
    let app = spawn_app().await;
    let accepted = app
        .run_orchestration(json!({
            "name": "stops-early",
            "steps": [
                {"name": "failing", "scenario": {"inline": fails("o-stop-failing")}},
                step("never-1", waits("o-never-1", "10s")),
                step("never-2", waits("o-never-2", "10s"))
            ]
        }))
        .await;
    let run = app.wait_run(accepted["suite_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "failed", "{run}");
    let statuses: Vec<_> = run["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["failed", "not_run", "not_run"]);
    assert_eq!(
        run["summary"]["results"]["failed_scenarios"], 3,
        "not run is not passed"
    );
}

#[tokio::test]
async fn parallel_steps_run_together_and_a_loop_runs_them_twice() {
    let app = spawn_app().await;
    let accepted = app
        .run_orchestration(json!({
            "name": "side-by-side",
            "parallel": true,
            "loop_orchestration": true,
            "max_iterations": 2,
            "steps": [
                step("a", waits("o-par-a", "60s")),
                {"name": "b", "scenario": {"inline": waits("o-par-b", "30s")}, "delay_before_seconds": 15},
                step("c", waits("o-par-c", "60s"))
            ]
        }))
        .await;
    assert_eq!(accepted["members"].as_array().unwrap().len(), 6);
    let run = app.wait_run(accepted["suite_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["summary"]["results"]["passed_scenarios"], 6);
    assert_eq!(run["summary"]["test_run"]["total_scenarios"], 6);

    let mut executions = Vec::new();
    for member in run["members"].as_array().unwrap() {
        executions.push((
            member["iteration"].as_u64().unwrap(),
            app.member_execution(member).await,
        ));
    }
    let iteration = |n: u64| {
        executions
            .iter()
            .filter(move |(i, _)| *i == n)
            .map(|(_, e)| e)
    };
    assert_eq!(iteration(1).count(), 3);
    // Side by side: every step of an iteration started before any ended.
    let last_start = iteration(1).map(|e| at(&e["started_at"])).max().unwrap();
    let first_end = iteration(1).map(|e| at(&e["finished_at"])).min().unwrap();
    assert!(last_start < first_end, "the steps of an iteration overlap");
    // The loop: the second iteration starts once the first has ended.
    let first_done = iteration(1).map(|e| at(&e["finished_at"])).max().unwrap();
    let second_start = iteration(2).map(|e| at(&e["started_at"])).min().unwrap();
    assert!(
        second_start >= first_done,
        "iteration 2 waits for iteration 1"
    );
}

#[tokio::test]
async fn pause_resume_skip_and_stop_act_on_the_whole_run() {
    let app = spawn_app().await;
    let accepted = app
        .run_orchestration(json!({
            "name": "controlled",
            "steps": [
                step("first", waits("o-ctl-1", "10m")),
                step("second", waits("o-ctl-2", "10m")),
                step("third", waits("o-ctl-3", "10m"))
            ]
        }))
        .await;
    let id = accepted["suite_id"].as_str().unwrap().to_owned();
    app.wait_until(&id, "the first step runs", |r| {
        r["members"][0]["status"] == "running"
    })
    .await;

    let paused = app
        .post(&format!("/api/v1/suites/{id}/pause"), json!({}))
        .await;
    assert_eq!(paused.status(), 200);
    let paused: Value = paused.json().await.unwrap();
    assert_eq!(paused["status"], "paused");
    app.wait_until(&id, "the running step pauses", |r| {
        r["members"][0]["status"] == "paused"
    })
    .await;
    let again = app
        .post(&format!("/api/v1/suites/{id}/pause"), json!({}))
        .await;
    assert_eq!(again.status(), 409, "already paused");

    let resumed = app
        .post(&format!("/api/v1/suites/{id}/resume"), json!({}))
        .await;
    assert_eq!(resumed.status(), 200);
    app.wait_until(&id, "the step resumes", |r| {
        r["status"] == "running" && r["members"][0]["status"] == "running"
    })
    .await;

    // Skip the current step: it is stopped, and the next one starts.
    let skipped = app
        .post(&format!("/api/v1/suites/{id}/skip"), json!({}))
        .await;
    assert_eq!(skipped.status(), 200);
    app.wait_until(&id, "the second step runs", |r| {
        r["members"][1]["status"] == "running"
    })
    .await;
    // Skip a later step by name before it starts.
    let named = app
        .post(&format!("/api/v1/suites/{id}/skip?step=third"), json!({}))
        .await;
    assert_eq!(named.status(), 200);
    let unknown = app
        .post(&format!("/api/v1/suites/{id}/skip?step=fourth"), json!({}))
        .await;
    assert_eq!(unknown.status(), 400, "no such step");

    // The seed's stop: the run under way.
    let stopped = app.post("/api/chaos/orchestration/stop", json!({})).await;
    assert_eq!(stopped.status(), 200);
    let run = app.wait_run(&id).await;
    assert_eq!(run["status"], "stopped", "{run}");
    let members = run["members"].as_array().unwrap();
    assert_eq!(members[0]["status"], "stopped");
    assert_eq!(members[0]["outcome"], "skipped");
    assert_eq!(members[1]["status"], "stopped");
    assert_eq!(members[1]["outcome"], Value::Null, "stopped with the run");
    assert_eq!(members[2]["status"], "skipped");
    assert_eq!(run["summary"]["results"]["skipped_scenarios"], 2);
    let after = app
        .post(&format!("/api/v1/suites/{id}/resume"), json!({}))
        .await;
    assert_eq!(after.status(), 409, "it has ended");
    let (status, seen) = app.json("/api/chaos/orchestration/status").await;
    assert_eq!(status, 200);
    assert_eq!(seen["id"], id.as_str(), "the newest run");
}

#[tokio::test]
async fn imports_are_versioned_validated_at_line_and_column_and_run_by_id() {
    let app = spawn_app().await;
    let document = |delay: u32| {
        format!(
            "name: nightly\ndescription: two waits\nsteps:\n  - name: one\n    scenario: {{inline: {}}}\n    delay_before_seconds: {delay}\n",
            waits("o-nightly", "30s")
        )
    };
    let first = app
        .post(
            "/api/chaos/orchestration/import",
            json!({"content": document(0), "format": "yaml"}),
        )
        .await;
    assert_eq!(first.status(), 201);
    let saved: Value = first.json().await.unwrap();
    assert_eq!(
        (saved["id"].as_str(), saved["version"].as_i64()),
        (Some("nightly"), Some(1))
    );
    let same = app
        .post("/api/v1/orchestrations", json!({"content": document(0)}))
        .await;
    assert_eq!(same.status(), 200);
    assert_eq!(same.json::<Value>().await.unwrap()["unchanged"], true);
    let second = app
        .post("/api/v1/orchestrations", json!({"content": document(5)}))
        .await;
    assert_eq!(second.json::<Value>().await.unwrap()["version"], 2);

    // A typo and an unknown scenario: refused, each at its line and column.
    let broken = "name: broken\nsteps:\n  - name: one\n    scenario: no-such-scenario\n    delay_before_second: 5\n";
    let refused = app
        .post("/api/v1/orchestrations", json!({"content": broken}))
        .await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    let diagnostics = body["error"]["details"]["diagnostics"].as_array().unwrap();
    let line_of = |path: &str| {
        diagnostics
            .iter()
            .find(|d| d["path"].as_str().unwrap_or("").starts_with(path))
            .map(|d| d["line"].clone())
            .unwrap_or_else(|| panic!("no diagnostic at {path}: {body}"))
    };
    assert_eq!(line_of("steps[0].scenario"), 4);
    assert_eq!(line_of("steps[0].delay_before_second"), 5);
    let (_, checked) = app.json("/api/v1/orchestrations/nightly").await;
    assert_eq!(checked["latest_version"], 2);
    assert_eq!(checked["versions"].as_array().unwrap().len(), 2);

    // Run by id at version 1; its runs are listed with it.
    let response = app
        .post(
            "/api/v1/orchestrations/run",
            json!({"id": "nightly", "version": 1, "speed": 60}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(
        accepted["orchestration"],
        json!({"id": "nightly", "version": 1, "name": "nightly"})
    );
    let run = app.wait_run(accepted["suite_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "completed", "{run}");
    let (_, detail) = app.json("/api/v1/orchestrations/nightly").await;
    assert_eq!(detail["runs"][0]["id"], run["id"]);
    let (_, list) = app.json("/api/v1/orchestrations").await;
    assert_eq!(list["orchestrations"][0]["last_run"]["id"], run["id"]);
    let export = app
        .get("/api/v1/orchestrations/nightly/export?format=json")
        .await;
    assert_eq!(export.status(), 200);
    let exported: Value = export.json().await.unwrap();
    assert_eq!(exported["steps"][0]["delay_before_seconds"], 5);

    let removed = app
        .client
        .delete(format!("{}/api/v1/orchestrations/nightly", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let (gone, _) = app.json("/api/v1/orchestrations/nightly").await;
    assert_eq!(gone, 404);
}

#[tokio::test]
async fn the_seed_example_with_proxy_faults_runs_against_the_sandbox() {
    let _turn = crate::helpers::SCENARIO_RUNS.lock().await;
    let (app, _sandbox) = spawn_app_with_sandbox().await;
    let content = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/orchestrations/comprehensive-chaos.yaml"
    ))
    .unwrap();
    let response = app
        .post(
            "/api/chaos/orchestration/start",
            json!({"content": content, "speed": 60}),
        )
        .await;
    let status = response.status().as_u16();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(status, 202, "{accepted}");
    let run = app.wait_run(accepted["suite_id"].as_str().unwrap()).await;
    let members = run["members"].as_array().unwrap();
    // The two fault steps inject through the proxy and end by themselves.
    for member in &members[..2] {
        assert_eq!(member["status"], "completed", "{run}");
        let id = member["execution_id"].as_str().unwrap();
        let (_, logs) = app.json(&format!("/api/v1/scenarios/{id}/logs")).await;
        let logs = logs.to_string();
        assert!(
            logs.contains("action_started") && logs.contains("market-data-proxy"),
            "{logs}"
        );
    }
    // The 6-hour library scenario is time-boxed to its 60 seconds.
    assert_eq!(members[2]["step"], "chaos");
    assert_eq!(members[2]["outcome"], "time_boxed", "{run}");
    // Every fault was cleared when its step ended.
    let (_, state) = app.json("/api/v1/system/state").await;
    let proxy = state["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "market-data-proxy")
        .unwrap_or_else(|| panic!("{state}"));
    assert_eq!(proxy["active_chaos"], json!([]), "{proxy}");
}
