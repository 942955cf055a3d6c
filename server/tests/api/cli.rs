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

/// `test-coordinator ARGS` with no server configured.
async fn cli_without_server(args: &[&str]) -> (i32, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_test-coordinator"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(args)
        .env_remove("TEST_COORDINATOR_URL")
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
async fn schedule_verbs_add_list_show_enable_disable_trigger_remove() {
    use app::api::schedule::{
        FiringResult, ScheduleDetail, ScheduleList, ScheduleTriggered, ScheduleView,
    };

    let app = crate::helpers::spawn_app().await;
    let server = app.base.clone();

    // Schedules fire only inside `serve`: without a server the verbs say so.
    let (code, _, err) = cli_without_server(&["schedule", "list"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--server"), "{err}");

    let (code, out, err) = cli(&server, &["schedule", "list"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no schedules"), "{out}");

    // From flags, printed as the server's JSON.
    let (code, out, err) = cli(
        &server,
        &[
            "schedule",
            "add",
            "--name",
            "hourly dry run",
            "--scenario",
            "basic-market-disruption",
            "--every",
            "3600",
            "--max-executions",
            "5",
            "--speed",
            "100000",
            "--dry-run",
            "--concurrency",
            "allow",
            "--missed",
            "run_once",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let hourly: ScheduleView = serde_json::from_str(&out).unwrap();
    assert_eq!(hourly.name, "hourly dry run");
    assert!(hourly.policies.enabled);
    assert!(hourly.options.dry_run);
    assert!(hourly.next_execution.is_some(), "{hourly:?}");
    assert_eq!(
        hourly.schedule,
        app::api::schedule::ScheduleTiming::Periodic {
            interval_seconds: 3600,
            max_executions: Some(5)
        }
    );

    // From a request file (YAML), printed for people.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nightly.yaml");
    std::fs::write(
        &file,
        "name: nightly\nscenario: basic-market-disruption\nschedule: {type: cron, expression: '0 2 * * MON-FRI', time_zone: Europe/Berlin}\noptions: {speed: 3600, dry_run: true}\npolicies: {enabled: false}\n",
    )
    .unwrap();
    let (code, out, err) = cli(
        &server,
        &["schedule", "add", "--file", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.starts_with("schedule ") && out.contains(" added: nightly"),
        "{out}"
    );
    let nightly_id = out.split_whitespace().nth(1).unwrap().to_owned();

    // A bad cron is refused by the server, naming the field; nothing is stored.
    let (code, out, err) = cli(
        &server,
        &[
            "schedule",
            "add",
            "--scenario",
            "basic-market-disruption",
            "--cron",
            "61 * * * *",
        ],
    )
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("schedule.expression"), "{err}");
    assert!(err.contains("400"), "{err}");
    // A missing timing is refused here, before anything is sent.
    let (code, _, err) = cli(
        &server,
        &["schedule", "add", "--scenario", "basic-market-disruption"],
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--every"), "{err}");

    // list: a table, and the server's JSON.
    let (code, out, err) = cli(&server, &["schedule", "list"]).await;
    assert_eq!(code, 0, "{err}");
    let header = out.lines().next().unwrap_or_default();
    for column in ["ID", "NAME", "NEXT RUN (UTC)", "LAST RESULT", "ENABLED"] {
        assert!(header.contains(column), "{out}");
    }
    let row = |id: &str| {
        out.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row for {id}: {out}"))
            .to_owned()
    };
    assert!(row(&hourly.id).contains("hourly dry run") && row(&hourly.id).ends_with("yes"));
    assert!(row(&hourly.id).contains(" UTC"), "{out}");
    assert!(row(&nightly_id).ends_with("no"), "{out}");
    let (code, out, _) = cli(&server, &["schedule", "list", "--json"]).await;
    assert_eq!(code, 0);
    let list: ScheduleList = serde_json::from_str(&out).unwrap();
    assert_eq!(list.schedules.len(), 2, "the refused one was not stored");

    // show: the detail, its upcoming runs and (no) firings.
    let (code, out, err) = cli(&server, &["schedule", "show", &nightly_id]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("schedule {nightly_id}")), "{out}");
    assert!(out.contains("Europe/Berlin"), "{out}");
    assert!(out.contains("upcoming"), "{out}");
    assert!(out.contains("firings: none yet"), "{out}");

    // enable / disable.
    let (code, out, err) = cli(&server, &["schedule", "enable", &nightly_id, "--json"]).await;
    assert_eq!(code, 0, "{err}");
    let view: ScheduleView = serde_json::from_str(&out).unwrap();
    assert!(view.policies.enabled);
    let (code, out, _) = cli(&server, &["schedule", "disable", &nightly_id]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("disabled") && out.contains("enabled     no"),
        "{out}"
    );

    // trigger: an execution started by the schedule, in its firings.
    let (code, out, err) = cli(&server, &["schedule", "trigger", &hourly.id, "--json"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    let started: ScheduleTriggered = serde_json::from_str(&out).unwrap();
    assert_eq!(started.schedule_id, hourly.id);
    let execution = started.execution_id.expect("a scenario's execution");
    let (code, out, _) = cli(&server, &["status", "--execution-id", &execution, "--json"]).await;
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = cli(&server, &["schedule", "show", &hourly.id, "--json"]).await;
    assert_eq!(code, 0);
    let detail: ScheduleDetail = serde_json::from_str(&out).unwrap();
    let firing = detail
        .firings
        .iter()
        .find(|f| f.execution_id.as_deref() == Some(execution.as_str()))
        .unwrap_or_else(|| panic!("no firing for the trigger: {detail:#?}"));
    assert_eq!(firing.result, FiringResult::Submitted);
    assert_eq!(firing.reason.as_deref(), Some("trigger"));
    let (code, out, _) = cli(&server, &["schedule", "show", &hourly.id]).await;
    assert_eq!(code, 0);
    assert!(out.contains(&execution) && out.contains("trigger"), "{out}");

    // remove; then show is refused with the server's 404.
    let (code, out, err) = cli(&server, &["schedule", "remove", &nightly_id]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed"), "{out}");
    let (code, _, err) = cli(&server, &["schedule", "show", &nightly_id]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("404"), "{err}");
    let (code, _, err) = cli(&server, &["schedule", "remove", &nightly_id, "--json"]).await;
    assert_eq!(code, 2, "removing twice is refused: {err}");
    let (code, out, _) = cli(&server, &["schedule", "remove", &hourly.id, "--json"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        serde_json::json!({"id": hourly.id, "removed": true})
    );
    app.stop().await;
}

#[tokio::test]
async fn record_and_replay_verbs_capture_export_and_replay_a_game_day() {
    use app::api::recording::{RecordingDocument, RecordingList, RecordingView, ReplayView};

    let (app, sandbox) = spawn_app_with_sandbox().await;
    let server = app.base.clone();
    let (code, _, err) = cli_without_server(&["record", "status"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--server"), "{err}");

    let (code, out, err) = cli(
        &server,
        &[
            "record",
            "start",
            "--name",
            "cli game day",
            "--services",
            "exchange-simulator",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let started: RecordingView = serde_json::from_str(&out).unwrap();
    // A second start is the server's 409: its message, exit 2.
    let (code, _, err) = cli(&server, &["record", "start"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("already capturing"), "{err}");

    let http = reqwest::Client::new();
    let sent = http
        .post(format!("{server}/api/v1/services/exchange-simulator/chaos"))
        .json(&serde_json::json!({"action": "inject_latency", "parameters": {"delay_ms": 50}}))
        .send()
        .await
        .unwrap();
    assert!(sent.status().is_success());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (code, _, err) = cli(&server, &["clear-chaos", "--service", "exchange-simulator"]).await;
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(&server, &["record", "stop"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 events"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("game-day.yaml");
    let (code, _, err) = cli(
        &server,
        &[
            "record",
            "export",
            "--format",
            "yaml",
            "-o",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let document: RecordingDocument =
        serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(document.scenario.name, "cli game day");
    assert_eq!(document.events.len(), 2);

    // The file, replayed with no waits until it ends: exit 0 when it completed.
    let (code, out, err) = cli(
        &server,
        &[
            "replay",
            file.to_str().unwrap(),
            "--speed",
            "fast",
            "--wait",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let tail = &out[out.find("{\n").unwrap()..];
    let replay: ReplayView = serde_json::from_str(tail).unwrap();
    assert_eq!((replay.current_event, replay.total_events), (2, 2));
    // A stored one by id, looped.
    let (code, out, err) = cli(
        &server,
        &[
            "replay",
            &started.id,
            "--speed",
            "100",
            "--loop",
            "--max-iterations",
            "2",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let looped: ReplayView = serde_json::from_str(&out).unwrap();
    assert_eq!(looped.iterations, 2);
    let (code, _, err) = cli(&server, &["replay", &started.id, "--speed", "warp"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("--speed"), "{err}");

    let (code, out, err) = cli(&server, &["record", "list", "--json"]).await;
    assert_eq!(code, 0, "{err}");
    let list: RecordingList = serde_json::from_str(&out).unwrap();
    // The recording and the file the replay imported.
    assert_eq!(list.recordings.len(), 2);
    let (code, _, err) = cli(&server, &["record", "remove", &started.id]).await;
    assert_eq!(code, 0, "{err}");
    app.stop().await;
    sandbox.shutdown().await;
}
