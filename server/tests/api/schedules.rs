//! Schedules (issue 18) across a `kill -9`: the real `serve` binary fires a
//! periodic 2-s schedule and a 1-s cron schedule, is killed with SIGKILL,
//! stays down long enough for firings to be missed (more than 5 s late), and
//! is started again on the same SQLite file. No due time is decided twice,
//! every submitted firing's execution is in the history exactly once, the
//! `missed` policy decides what fell in the downtime, and both keep firing.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use app::api::{
    rest::ExecutionPage,
    schedule::{Firing, FiringResult, ScheduleDetail, ScheduleView},
    ExecutionSummary,
};
use serde_json::{json, Value};
use tokio::time::Instant;

/// A `test-coordinator serve` child on a free port; killed (SIGKILL) and
/// reaped when dropped, so a failing test leaves no process behind.
struct Serve {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Serve {
    /// Starts `serve` on `database` and waits until `/health` answers.
    async fn start(database: &Path, log: PathBuf) -> Self {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let binary = std::env::var("TEST_COORDINATOR_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_test-coordinator").to_owned());
        let mut command = Command::new(binary);
        // From the clone, so the library (scenarios/) is found as configured.
        command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        for var in [
            "TEST_COORDINATOR_URL",
            "TEST_COORDINATOR_PORT",
            "TEST_COORDINATOR_HOST",
            "TEST_COORDINATOR_AUTH_MODE",
            "MAX_CONCURRENT_EXECUTIONS",
            "DEFAULT_SCENARIO_TIMEOUT",
        ] {
            command.env_remove(var);
        }
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let err = out.try_clone().unwrap();
        command
            .args(["serve", "--no-sandbox", "--port", &port.to_string()])
            .arg("--database")
            .arg(database)
            // The default proxy and its chaos API on free ports, so tests run side by side.
            .env("TEST_COORDINATOR_PROXY_ADMIN", "127.0.0.1:0")
            .env("MARKET_DATA_PROXY_LISTEN", "127.0.0.1:0")
            .env("TEST_COORDINATOR_LOG_LEVEL", "info")
            // A run the kill left behind is recovered a second after the restart.
            .env("OWNER_LEASE", "1s")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let mut serve = Self {
            child: command.spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = serve.child.try_wait().unwrap() {
                panic!("serve exited with {status}:\n{}", serve.log_tail());
            }
            let healthy = client
                .get(format!("{}/health", serve.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                return serve;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not answer /health within 60 s:\n{}",
                serve.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: no shutdown, no goodbye.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The last lines of its log, for a failure's message.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A REST client of one `serve`, reading the typed `app::api` bodies.
struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    fn new(serve: &Serve) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: serve.base.clone(),
        }
    }

    async fn create(&self, request: Value) -> ScheduleView {
        let response = self
            .client
            .post(format!("{}/api/v1/schedules", self.base))
            .json(&request)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status.as_u16(), 201, "{body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    async fn detail(&self, id: &str) -> ScheduleDetail {
        let response = self
            .client
            .get(format!("{}/api/v1/schedules/{id}", self.base))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.unwrap()
    }

    /// The whole history, page by page.
    async fn executions(&self) -> Vec<ExecutionSummary> {
        let mut all = Vec::new();
        loop {
            let page: ExecutionPage = self
                .client
                .get(format!(
                    "{}/api/v1/executions?limit=500&offset={}",
                    self.base,
                    all.len()
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let empty = page.executions.is_empty();
            all.extend(page.executions);
            if empty || all.len() as u64 >= page.total {
                return all;
            }
        }
    }
}

/// A schedule request running the 30-minute library scenario as a dry run at
/// ×100,000 (about 18 ms); `allow`, so a run the kill left "running" until
/// its recovery does not skip the first firing after the restart.
fn request(name: &str, schedule: Value, missed: &str) -> Value {
    json!({
        "name": name,
        "scenario": "basic-market-disruption",
        "schedule": schedule,
        "options": {"speed": 100000.0, "dry_run": true},
        "policies": {"missed": missed, "concurrency": "allow"},
    })
}

fn started_by(id: &str) -> String {
    format!("schedule:{id}")
}

fn timestamp(text: &str) -> jiff::Timestamp {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
}

/// Waits, at most `limit`, until `done` holds for what `read` returns.
async fn wait_for<T, F, Fut>(
    what: &str,
    limit: Duration,
    mut read: F,
    done: impl Fn(&T) -> bool,
) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
    T: std::fmt::Debug,
{
    let deadline = Instant::now() + limit;
    loop {
        let value = read().await;
        if done(&value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within {limit:?}: {value:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Executions by schedule id (`started_by: schedule:<id>`, channel `schedule`).
fn by_schedule<'a>(executions: &'a [ExecutionSummary], id: &str) -> Vec<&'a ExecutionSummary> {
    executions
        .iter()
        .filter(|e| e.started_by == started_by(id))
        .inspect(|e| assert_eq!(e.channel, "schedule", "{e:?}"))
        .collect()
}

/// Every due time decided once, and every submitted firing's execution in the
/// history exactly once, started by this schedule.
fn assert_exactly_once(detail: &ScheduleDetail, executions: &[ExecutionSummary]) {
    let id = &detail.schedule.id;
    let mut due = HashSet::new();
    for firing in &detail.firings {
        assert!(
            due.insert(firing.due_at.clone()),
            "schedule {id}: due time {} decided twice: {:#?}",
            firing.due_at,
            detail.firings
        );
    }
    let mut count: HashMap<&str, usize> = HashMap::new();
    for execution in executions {
        *count.entry(execution.id.as_str()).or_default() += 1;
    }
    let mut started = HashSet::new();
    for firing in detail
        .firings
        .iter()
        .filter(|f| f.result == FiringResult::Submitted)
    {
        let execution = firing
            .execution_id
            .as_deref()
            .unwrap_or_else(|| panic!("a submitted firing with no execution: {firing:?}"));
        assert!(
            started.insert(execution),
            "execution {execution} claimed by two firings"
        );
        assert_eq!(
            count.get(execution).copied(),
            Some(1),
            "schedule {id}: firing {firing:?} should have one execution in the history"
        );
        let summary = executions
            .iter()
            .find(|e| e.id == execution)
            .expect("counted above");
        assert_eq!(summary.started_by, started_by(id));
        assert_eq!(summary.channel, "schedule");
    }
}

#[tokio::test]
async fn schedules_fire_survive_kill_9_and_the_missed_policy_decides_the_downtime() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("schedules.db");
    let log = dir.path().join("serve.log");

    // 1. Serve, two schedules, their executions in the history.
    let serve = Serve::start(&database, log.clone()).await;
    let api = Api::new(&serve);
    let periodic = api
        .create(request(
            "every 2 s",
            json!({"type": "periodic", "interval_seconds": 2}),
            "skip",
        ))
        .await;
    let cron = api
        .create(request(
            "every second",
            json!({"type": "cron", "expression": "*/1 * * * * *"}),
            "run_once",
        ))
        .await;
    assert_eq!(periodic.execution_count, 0);
    assert!(periodic.next_execution.is_some() && cron.next_execution.is_some());
    let before = wait_for(
        "both schedules' executions in the history",
        Duration::from_secs(30),
        || api.executions(),
        |all| by_schedule(all, &periodic.id).len() >= 2 && by_schedule(all, &cron.id).len() >= 3,
    )
    .await;
    for schedule in [&periodic, &cron] {
        let executions = by_schedule(&before, &schedule.id);
        assert!(executions
            .iter()
            .all(|e| e.scenario_name == "basic-market-disruption"));
    }

    // Two once-a-minute schedules due a few seconds from now, i.e. while the
    // server is down, and more than 5 s before it is back: `missed` decides
    // their one due time alone (a 1-s or 2-s schedule's latest due time is on
    // time again right after the restart, whatever its policy).
    let now = jiff::Timestamp::now();
    let due = jiff::Timestamp::from_second(now.as_second() + 4).unwrap();
    let second = due.as_second().rem_euclid(60);
    let minutely = |name: &str, missed: &str| {
        request(
            name,
            json!({"type": "cron", "expression": format!("{second} * * * * *")}),
            missed,
        )
    };
    let minutely_skip = api.create(minutely("minutely, skip", "skip")).await;
    let minutely_run_once = api.create(minutely("minutely, run_once", "run_once")).await;
    assert_eq!(
        minutely_skip.next_execution.as_deref().map(timestamp),
        Some(due),
        "{minutely_skip:?}"
    );

    // 2. kill -9, with the minutely due time still ahead.
    let last_before_kill = jiff::Timestamp::now();
    serve.kill();
    let killed = jiff::Timestamp::now();
    assert!(
        killed < due - jiff::SignedDuration::from_millis(500),
        "the machine was too slow to kill the server before {due}"
    );

    // 3. Down until the minutely due time is 6.5 s late (and every 1-s and
    // 2-s due time of the first seconds is missed), then back on the same file.
    let back_at = due + jiff::SignedDuration::from_millis(6_500);
    let wait = back_at.duration_since(jiff::Timestamp::now());
    tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()).await;
    let restarted = jiff::Timestamp::now();
    let serve = Serve::start(&database, log).await;
    let api = Api::new(&serve);

    // 4. Both keep firing: two submitted firings due after the restart each.
    let fired_after = |detail: &ScheduleDetail| {
        detail
            .firings
            .iter()
            .filter(|f| f.result == FiringResult::Submitted && timestamp(&f.due_at) > restarted)
            .count()
    };
    for schedule in [&periodic, &cron] {
        wait_for(
            "firings after the restart",
            Duration::from_secs(30),
            || api.detail(&schedule.id),
            |detail| fired_after(detail) >= 2,
        )
        .await;
    }
    // The minutely ones were decided at the first tick after the restart.
    for schedule in [&minutely_skip, &minutely_run_once] {
        wait_for(
            "the minutely due time decided",
            Duration::from_secs(30),
            || api.detail(&schedule.id),
            |detail| detail.firings.iter().any(|f| timestamp(&f.due_at) == due),
        )
        .await;
    }

    // 5. Exactly once, for every schedule.
    let executions = api.executions().await;
    let mut details = HashMap::new();
    for schedule in [&periodic, &cron, &minutely_skip, &minutely_run_once] {
        let detail = api.detail(&schedule.id).await;
        assert_exactly_once(&detail, &executions);
        assert!(
            detail
                .firings
                .iter()
                .filter(|f| timestamp(&f.due_at) < killed)
                .all(|f| f.result != FiringResult::Claimed),
            "a firing claimed before the kill is settled at the restart: {:#?}",
            detail.firings
        );
        if std::env::var_os("TEST_LOG").is_some() {
            eprintln!("{}: {:#?}", detail.schedule.name, detail.firings);
        }
        details.insert(schedule.id.clone(), detail);
    }
    let history_ids: HashSet<&str> = executions.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        history_ids.len(),
        executions.len(),
        "an execution is listed twice in the history"
    );
    for schedule in [&periodic, &cron] {
        // Every execution the schedule started is one of its firings.
        let detail = &details[&schedule.id];
        let fired: HashSet<&str> = detail
            .firings
            .iter()
            .filter_map(|f| f.execution_id.as_deref())
            .collect();
        for execution in by_schedule(&executions, &schedule.id) {
            assert!(
                fired.contains(execution.id.as_str()),
                "execution {} of schedule {} is no firing of it: {:#?}",
                execution.id,
                schedule.id,
                detail.firings
            );
        }
    }

    // 6. The downtime. A 1-s or 2-s schedule's missed due times make one
    // skipped row (reason `missed …`); the first tick after the restart runs
    // the latest due time, on time, once; then it fires as before.
    for (schedule, policy) in [(&periodic, "skip"), (&cron, "run_once")] {
        let mut firings: Vec<&Firing> = details[&schedule.id].firings.iter().collect();
        firings.sort_by_key(|f| timestamp(&f.due_at));
        let missed = firings
            .iter()
            .rposition(|f| {
                f.result == FiringResult::Skipped
                    && f.reason.as_deref().is_some_and(|r| r.starts_with("missed"))
                    && timestamp(&f.due_at) < restarted
            })
            .unwrap_or_else(|| {
                panic!("{policy}: no skipped `missed` row for the downtime: {firings:#?}")
            });
        assert!(
            timestamp(&firings[missed].due_at)
                > last_before_kill - jiff::SignedDuration::from_secs(3),
            "{policy}: the missed row is not the downtime's: {firings:#?}"
        );
        let ran = firings
            .get(missed + 1)
            .unwrap_or_else(|| panic!("{policy}: nothing after the missed row: {firings:#?}"));
        assert_eq!(
            ran.result,
            FiringResult::Submitted,
            "{policy}: one run for the downtime: {firings:#?}"
        );
        assert!(
            ran.lateness_ms <= 5_000,
            "{policy}: the run after the restart is the latest due time, on time: {ran:?}"
        );
        let downtime = firings[missed..]
            .iter()
            .filter(|f| timestamp(&f.due_at) < restarted)
            .count();
        assert!(
            downtime <= 2,
            "{policy}: the downtime is one skipped row and at most one run: {firings:#?}"
        );
    }

    // Minutely, `skip`: its one due time, 6.5 s late, is skipped as missed.
    let firing = details[&minutely_skip.id]
        .firings
        .iter()
        .find(|f| timestamp(&f.due_at) == due)
        .expect("decided above");
    assert_eq!(firing.result, FiringResult::Skipped, "{firing:?}");
    let reason = firing.reason.as_deref().unwrap_or_default();
    assert!(reason.starts_with("missed"), "{reason}");
    assert!(reason.contains("skip"), "{reason}");
    assert!(firing.execution_id.is_none(), "{firing:?}");
    // Minutely, `run_once`: the same due time is run once, late.
    let firing = details[&minutely_run_once.id]
        .firings
        .iter()
        .find(|f| timestamp(&f.due_at) == due)
        .expect("decided above");
    assert_eq!(firing.result, FiringResult::Submitted, "{firing:?}");
    assert!(firing.lateness_ms > 5_000, "{firing:?}");
    assert_eq!(
        details[&minutely_run_once.id]
            .firings
            .iter()
            .filter(|f| f.result == FiringResult::Submitted)
            .count(),
        1,
        "run_once ran the missed due time once"
    );
    assert_eq!(details[&minutely_skip.id].schedule.execution_count, 0);
    drop(serve);
}
