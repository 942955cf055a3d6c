//! The CLI: `execute --server … --token T`, a revoked token's exit code 2,
//! `users` and `tokens` on the configured database with no server, and the
//! bootstrap token `serve` prints in users mode.

use app::api::auth::{AuditOutcome, Role};
use serde_json::{json, Value};

use crate::{
    api::Api, audit_of, helpers::spawn_app_with, samples, session_of, settings, token_for,
    user_with_token, whole_audit_log,
};

/// Runs the CLI with `args` (and `stdin` on its standard input), from
/// `server/`, with none of the caller's coordinator settings in its
/// environment. Awaited, not blocking: a server under test answers on the
/// test's runtime.
async fn cli(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_test-coordinator"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for var in [
        "TEST_COORDINATOR_URL",
        "TEST_COORDINATOR_TOKEN",
        "TEST_COORDINATOR_DATABASE",
        "TEST_COORDINATOR_AUTH_MODE",
    ] {
        command.env_remove(var);
    }
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the CLI answers within a minute")
        .unwrap()
}

fn text(output: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_runs_a_scenario_with_its_token_and_a_revoked_one_exits_2_saying_so() {
    let app = spawn_app_with(settings("users")).await;
    user_with_token(&app, "otto", Role::Operator).await;
    let (token, id) = token_for(&app, "otto", Role::Operator, "ci").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tiny.yaml");
    std::fs::write(&file, samples::scenario("tiny")).unwrap();
    let file = file.to_str().unwrap();
    let execute = |token: &str| {
        let args = [
            "execute",
            "--file",
            file,
            "--speed",
            "1000",
            "--server",
            app.base.as_str(),
            "--token",
            token,
        ]
        .map(str::to_owned);
        async move { cli(&args.iter().map(String::as_str).collect::<Vec<_>>(), None).await }
    };

    let output = execute(&token).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("execution_finished"), "{stdout}");
    let executed = audit_of(&app, "execute").await;
    assert_eq!(executed.len(), 1);
    assert_eq!(
        (
            executed[0].actor.as_str(),
            executed[0].status,
            executed[0].outcome
        ),
        ("otto (token ci)", 202, AuditOutcome::Accepted)
    );

    app.coordinator
        .revoke_token(&session_of("otto", Role::Operator), &id)
        .await
        .unwrap();
    let output = execute(&token).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("token revoked"), "{stderr}");
    let output = cli(&["status", "--server", &app.base, "--token", &token], None).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("token revoked"));
    // Without a token: the server's 401 message, exit 2.
    let output = cli(&["status", "--server", &app.base], None).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("sign in first"));
    let executed = audit_of(&app, "execute").await;
    assert_eq!(
        (executed[0].actor.as_str(), executed[0].status),
        ("anonymous", 401),
        "the refused run is in the log too"
    );
    app.stop().await;
}

#[tokio::test]
async fn users_and_tokens_are_managed_offline_and_such_a_token_works_on_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("coordinator.db");
    let db = database.to_str().unwrap().to_owned();
    let offline = |args: &[&str]| {
        let mut all = args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        all.extend(["--database".to_owned(), db.clone()]);
        all
    };
    let run = |args: Vec<String>, stdin: Option<&'static str>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli(&args, stdin).await
    };

    // Accounts: one with a password from standard input, one with a generated one.
    let output = run(
        offline(&[
            "users",
            "add",
            "alice",
            "--role",
            "operator",
            "--password-stdin",
        ]),
        Some("alice-password-long\n"),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert_eq!(text(&output).0.trim(), "added alice (operator)");
    let output = run(offline(&["users", "add", "root", "--role", "admin"]), None).await;
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let (generated, notice) = text(&output);
    assert!(notice.contains("shown this once"), "{notice}");
    assert_eq!(
        generated.trim().len(),
        64,
        "a generated password alone on stdout: {generated:?}"
    );
    let output = run(offline(&["users", "list", "--json"]), None).await;
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let users: Vec<(&str, &str)> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["role"].as_str().unwrap()))
        .collect();
    assert_eq!(users, [("alice", "operator"), ("root", "admin")]);
    let output = run(offline(&["users", "list"]), None).await;
    let table = text(&output).0;
    assert!(
        table.starts_with("NAME") && table.contains("alice  operator"),
        "{table}"
    );

    // A token, its secret alone on stdout.
    let output = run(
        offline(&[
            "tokens",
            "create",
            "ci",
            "--user",
            "alice",
            "--role",
            "viewer",
            "--expires",
            "30d",
        ]),
        None,
    )
    .await;
    let (secret, notice) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{notice}");
    let secret = secret.trim().to_owned();
    assert!(
        secret.starts_with("tct_") && secret.len() == 68,
        "{secret:?}"
    );
    assert!(
        notice.contains("role viewer") && notice.contains("until 20"),
        "{notice}"
    );

    // The secret works on a users-mode server over the same database.
    let mut settings = settings("users");
    settings.test_coordinator.database = database.clone();
    let app = spawn_app_with(settings).await;
    let me = |token: String| {
        let app = &app;
        async move { Api(app, Some(&token)).get("/api/v1/me").await }
    };
    let (status, answer) = me(secret.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["principal"],
        json!({"name": "alice", "role": "viewer", "via": "token", "token": "ci"})
    );

    // Revoked here while the server runs: the server refuses it at once.
    let output = run(
        offline(&["tokens", "list", "--user", "alice", "--json"]),
        None,
    )
    .await;
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = listed["tokens"][0]["id"].as_str().unwrap().to_owned();
    assert!(listed["tokens"][0]["last_used_at"].is_string(), "{listed}");
    let output = run(offline(&["tokens", "revoke", &id]), None).await;
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let (status, answer) = me(secret.clone()).await;
    assert_eq!(status, 401);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{answer}"
    );
    let output = run(offline(&["users", "remove", "alice"]), None).await;
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));

    // A client's mistake: a clear message and exit code 2.
    let mistakes: [(&[&str], &str); 7] = [
        (
            &[
                "users",
                "add",
                "root",
                "--role",
                "viewer",
                "--password-stdin",
            ],
            "already exists",
        ),
        (
            &["users", "add", "bob", "--role", "boss"],
            "expected viewer, operator or admin",
        ),
        (&["users", "remove", "alice"], "no user alice"),
        (&["users", "remove", "root"], "last admin"),
        (
            &["tokens", "create", "ci", "--user", "ghost"],
            "no user ghost",
        ),
        (
            &[
                "tokens",
                "create",
                "ci",
                "--user",
                "root",
                "--expires",
                "soon",
            ],
            "expected a duration",
        ),
        (&["tokens", "revoke", "no-such-id"], "no token no-such-id"),
    ];
    for (args, message) in mistakes {
        let output = run(offline(args), Some("root-password-long\n")).await;
        let stderr = text(&output).1;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let output = run(
        offline(&["users", "list", "--server", app.base.as_str()]),
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).1.contains("--database"),
        "{:?}",
        text(&output)
    );

    // Every change, and every refused one, is in the audit log as the local OS user.
    let rows = whole_audit_log(&app).await;
    let local = server::auth::local_principal().actor();
    let changes: Vec<(&str, Option<&str>, u16)> = rows
        .iter()
        .rev()
        .filter(|r| r.actor == local)
        .map(|r| (r.action.as_str(), r.target.as_deref(), r.status))
        .collect();
    assert_eq!(
        changes,
        [
            ("add-user", Some("alice"), 201),
            ("add-user", Some("root"), 201),
            ("create-token", Some("ci"), 201),
            ("revoke-token", Some(id.as_str()), 204),
            ("remove-user", Some("alice"), 204),
            ("add-user", Some("root"), 409),
            ("remove-user", Some("alice"), 404),
            ("remove-user", Some("root"), 409),
            ("create-token", Some("ci"), 404),
            ("create-token", Some("ci"), 400),
            ("revoke-token", Some("no-such-id"), 404),
        ]
    );
    assert!(rows
        .iter()
        .filter(|r| r.actor == local)
        .all(|r| r.address == "cli"));
    app.stop().await;
}

#[test]
fn users_mode_prints_a_bootstrap_token_once_at_first_start() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_test-coordinator"))
        .args(["serve", "--port", "0", "--no-sandbox", "--database"])
        .arg(dir.path().join("c.db"))
        .env("TEST_COORDINATOR_AUTH_MODE", "users")
        .env("TEST_COORDINATOR_PROXY_ADMIN", "127.0.0.1:0")
        .env("MARKET_DATA_PROXY_LISTEN", "127.0.0.1:0")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, read) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !seen
        .iter()
        .any(|l: &String| l.contains("test-coordinator users add"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match read.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = seen.join("\n");
    assert_eq!(text.matches("Bootstrap token").count(), 1, "{text}");
    assert!(text.contains("Authorization: Bearer "), "{text}");
    let token = seen
        .iter()
        .skip_while(|l| !l.contains("Bootstrap token"))
        .map(|l| l.trim())
        .find(|l| !l.is_empty() && !l.contains("Bootstrap token"))
        .unwrap_or_default();
    assert!(token.len() >= 32 && !token.contains(' '), "{token:?}");
}
