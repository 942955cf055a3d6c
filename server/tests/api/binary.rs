use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

fn coordinator() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_test-coordinator"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "TEST_COORDINATOR_PORT",
        "MAX_CONCURRENT_EXECUTIONS",
        "DEFAULT_SCENARIO_TIMEOUT",
    ] {
        command.env_remove(var);
    }
    // The default proxy and its chaos API on free ports, so tests run side by side.
    command
        .env("TEST_COORDINATOR_PROXY_ADMIN", "127.0.0.1:0")
        .env("MARKET_DATA_PROXY_LISTEN", "127.0.0.1:0");
    command
}

#[test]
fn a_bad_environment_value_stops_start_up_naming_it() {
    let output = coordinator()
        .args(["serve", "--port", "0"])
        .env("DEFAULT_SCENARIO_TIMEOUT", "two hours")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("execution.default_timeout"), "{stderr}");
    assert!(stderr.contains("two hours"), "{stderr}");
}

#[test]
fn a_missing_config_file_is_named() {
    let output = coordinator()
        .args(["--config", "/nonexistent/config.yaml", "serve"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/config.yaml"), "{stderr}");
}

#[test]
fn sigterm_stops_the_server_gracefully_with_json_logs() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let child = coordinator()
        .args([
            "serve",
            "--no-sandbox",
            "--port",
            &port.to_string(),
            "--database",
        ])
        .arg(dir.path().join("c.db"))
        .env("TEST_COORDINATOR_LOG_LEVEL", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "exit status {:?}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect();
    let messages: Vec<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("SIGTERM")),
        "{messages:?}"
    );
    assert!(messages.contains(&"stopped"), "{messages:?}");
    assert!(lines
        .iter()
        .all(|l| l["level"].is_string() && l["timestamp"].is_string()));
}

#[test]
fn absurd_speeds_on_the_command_line_exit_2_naming_the_bounds_without_a_panic() {
    for speed in ["1e-300", "1e308", "0", "-1"] {
        let output = coordinator()
            .args([
                "execute",
                "--file",
                "../scenarios/basic-market-disruption.yaml",
                "--dry-run",
                &format!("--speed={speed}"),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{speed}: {stderr}");
        assert!(
            stderr.contains("between 0.001 and 1000000"),
            "{speed}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{speed}: {stderr}");
    }
}

#[test]
fn a_file_that_is_not_utf8_is_placed_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.yaml");
    std::fs::write(
        &file,
        b"apiVersion: chaos.trading/v1\nmetadata:\n  name: caf\xe9\n",
    )
    .unwrap();
    let output = coordinator()
        .args(["validate", "--file"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("not UTF-8").count(),
        1,
        "said once: {stderr}"
    );
    assert!(
        stderr.contains("latin1.yaml:3:12: error[syntax]"),
        "{stderr}"
    );
}

#[test]
fn started_outside_the_clone_the_cli_has_the_whole_library_and_dry_runs_from_it() {
    let elsewhere = tempfile::tempdir().unwrap();
    let database = elsewhere.path().join("coordinator.db");
    let run = |args: &[&str]| {
        let output = coordinator()
            .current_dir(elsewhere.path())
            .args(args)
            .env("TEST_COORDINATOR_DATABASE", &database)
            .env("SANDBOX_ENABLED", "false")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["list", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = listed["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
        .unwrap()
        .chain(
            std::fs::read_dir(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../scenarios/templates"
            ))
            .unwrap(),
        )
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    assert_eq!(names.len(), shipped, "{names:?}");
    assert!(names.contains(&"stablecoin-depeg-scenario"), "{names:?}");
    assert!(names.contains(&"exchange-disruption"), "{names:?}");

    let (code, out, err) = run(&[
        "execute",
        "--scenario",
        "stablecoin-depeg-scenario",
        "--dry-run",
    ]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("completed: dry run"), "{out}");
}

#[tokio::test]
async fn a_server_started_outside_the_clone_lists_the_whole_library() {
    let elsewhere = tempfile::tempdir().unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut child = coordinator()
        .current_dir(elsewhere.path())
        .args([
            "serve",
            "--no-sandbox",
            "--port",
            &port.to_string(),
            "--database",
        ])
        .arg(elsewhere.path().join("c.db"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = async {
        reqwest::get(format!(
            "http://127.0.0.1:{port}/api/v1/scenarios/available"
        ))
        .await?
        .json::<serde_json::Value>()
        .await
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let body = body.unwrap();
    let names: Vec<&str> = body["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.len() >= 17, "{names:?}");
    assert!(names.contains(&"stablecoin-depeg-scenario"), "{names:?}");
    assert!(names.contains(&"market-shock"), "{names:?}");
}
