//! The CLI's verbs against a running server, as a CI pipeline would use them.

use serde_json::Value;

use crate::helpers::spawn_app_with_sandbox;

async fn cli(server: &str, args: &[&str]) -> (i32, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_test-coordinator"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        .env("TEST_COORDINATOR_URL", server)
        .output()
        .await
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn every_verb_works_against_a_server_and_exit_codes_gate_ci() {
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let server = app.base.clone();

    let (code, out, err) = cli(
        &server,
        &[
            "execute",
            "--scenario",
            "basic-market-disruption",
            "--speed",
            "600",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("execution_finished"), "{out}");
    let id = out
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .to_owned();

    let (code, out, _) = cli(&server, &["status", "--execution-id", &id, "--json"]).await;
    assert_eq!(code, 0);
    let detail: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(detail["status"], "completed");

    let (code, out, _) = cli(&server, &["logs", "--execution-id", &id]).await;
    assert_eq!(code, 0);
    assert!(
        out.lines().count() > 10 && out.contains("assertion_finished"),
        "{out}"
    );
    let (code, out, _) = cli(&server, &["timeline", "--execution-id", &id]).await;
    assert_eq!(code, 0);
    assert!(out.contains("phase_started"), "{out}");
    let (code, out, _) = cli(&server, &["metrics", "--execution-id", &id]).await;
    assert_eq!(code, 0);
    let metrics: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(metrics["assertions"]["passed"], 5);
    let (code, out, _) = cli(&server, &["services", "--json"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        7
    );
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let (code, _, err) = cli(
        &server,
        &[
            "report",
            "--execution-id",
            &id,
            "--format",
            "html",
            "--output",
            html.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("basic-market-disruption"));
    let (code, xml, _) = cli(
        &server,
        &["report", "--execution-id", &id, "--format", "junit"],
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(xml.matches("<testcase").count(), 5, "{xml}");
    let (code, csv, _) = cli(
        &server,
        &[
            "report",
            "--execution-id",
            &id,
            "--format",
            "csv",
            "--table",
            "assertions",
        ],
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(
        csv.lines().count(),
        6,
        "a header and one row per assertion: {csv}"
    );
    let (code, summary, _) = cli(&server, &["report", "--summary"]).await;
    assert_eq!(code, 0);
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["results"]["passed_executions"], 1, "{summary}");
    let junit = dir.path().join("junit.xml");
    let (code, _, err) = cli(
        &server,
        &[
            "execute",
            "--scenario",
            "basic-market-disruption",
            "--speed",
            "600",
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<testsuite"));

    let (code, out, _) = cli(&server, &["health-check"]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = cli(&server, &["clear-chaos", "--all"]).await;
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = cli(&server, &["stop", "--execution-id", &id]).await;
    assert_eq!(code, 2, "stopping a finished execution is refused");
    assert!(err.contains("409"), "{err}");

    // A scenario that fails exits 1; one that does not validate exits 2.
    let failing = dir.path().join("failing.yaml");
    std::fs::write(
        &failing,
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: failing}\nspec:\n  phases:\n    - name: p\n      duration: 2m\n      assertions:\n        - {type: price_divergence, expect: usdt_depegged, within: 1m, parameters: {symbol: USDT-USD, min_deviation: 0.3}}\n",
    )
    .unwrap();
    let (code, out, err) = cli(
        &server,
        &[
            "execute",
            "--file",
            failing.to_str().unwrap(),
            "--speed",
            "600",
        ],
    )
    .await;
    assert_eq!(code, 1, "{out}\n{err}");
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: broken}\nspec:\n  phases: []\n  bogus: 1\n").unwrap();
    let (code, _, err) = cli(&server, &["execute", "--file", broken.to_str().unwrap()]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bogus"), "{err}");

    // `status --json | jq -r '.executions[0].id'` during a run.
    let (_, out, _) = cli(&server, &["status", "--json"]).await;
    assert!(serde_json::from_str::<Value>(&out).unwrap()["executions"].is_array());
    app.stop().await;
    sandbox.shutdown().await;
}
