//! Commands that talk to a running server (`--server URL` or
//! `TEST_COORDINATOR_URL`), or — where that makes sense — read the local
//! SQLite file and configuration instead: status, stop, logs, timeline,
//! metrics, services, health-check, clear-chaos.

use std::{process::ExitCode, time::Duration};

use anyhow::{bail, Context as _};
use clap::Args;
use serde_json::{json, Value};

use super::Context;
use crate::{
    engine::event::{Event, EventKind},
    store::HistoryFilter,
};

/// A thin client of the REST API.
pub struct Remote {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
}

impl Remote {
    /// A client of the server at `base`.
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let message = body["error"]["message"].as_str().unwrap_or("no message");
        let mut text = format!("{} ({status})", message);
        if let Some(diagnostics) = body["error"]["details"]["diagnostics"].as_array() {
            for d in diagnostics {
                text.push_str(&format!(
                    "\n  {}:{}: {}: {}",
                    d["line"].as_u64().map_or("-".into(), |l| l.to_string()),
                    d["column"].as_u64().map_or("-".into(), |c| c.to_string()),
                    d["kind"].as_str().unwrap_or(""),
                    d["message"].as_str().unwrap_or("")
                ));
            }
        }
        bail!("{text}")
    }

    /// GET `path` as JSON.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    /// POST `body` to `path`.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    /// Prints `id`'s events after `since` as they come, until it ends; returns its final state.
    pub async fn follow(&self, id: &str, print: impl Fn(&Event)) -> anyhow::Result<String> {
        let mut since: Option<u64> = None;
        loop {
            let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
            for event in self
                .events(&format!("/api/v1/scenarios/{id}/logs{query}"))
                .await?
            {
                since = Some(event.seq);
                print(&event);
                if let EventKind::ExecutionFinished { status, .. } = event.kind {
                    return Ok(status.as_str().to_owned());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The events of a page of `…/logs`, typed.
    pub async fn events(&self, path: &str) -> anyhow::Result<Vec<Event>> {
        let mut page = self.get(path).await?;
        serde_json::from_value(page["events"].take())
            .with_context(|| format!("the server sent events this CLI cannot read ({path})"))
    }
}

/// One line for an event, as `logs` prints it: number, offset, kind, and
/// [`app::api::describe`] (the words the report and the live view use).
pub fn describe(event: &Event) -> String {
    let offset = event
        .offset_ms
        .map(|ms| app::scenario::duration::format_duration(Duration::from_millis(ms)))
        .unwrap_or_default();
    format!(
        "{:>5} {offset:>12}  {:<20} {}",
        event.seq,
        event.kind.name(),
        app::api::describe(&event.kind)
    )
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The execution.
    #[arg(long)]
    execution_id: String,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One execution (default: every active one).
    #[arg(long)]
    execution_id: Option<String>,
    /// Print JSON (`.executions[0].id` is the newest active execution).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The execution.
    #[arg(long)]
    execution_id: String,
    /// Keep printing new events until it ends.
    #[arg(long)]
    follow: bool,
    /// Print JSON lines.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ClearArgs {
    /// One service.
    #[arg(long, conflicts_with = "all")]
    service: Option<String>,
    /// Every chaos-API service.
    #[arg(long)]
    all: bool,
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// An execution id given on the command line.
fn execution_id(text: &str) -> anyhow::Result<crate::engine::ExecutionId> {
    text.parse()
        .map_err(|_| anyhow::anyhow!("{text:?} is not an execution id"))
}

pub async fn status(
    context: Context,
    server: Option<Remote>,
    args: StatusArgs,
) -> anyhow::Result<ExitCode> {
    let value = match (&server, &args.execution_id) {
        (Some(remote), Some(id)) => {
            remote
                .get(&format!("/api/v1/scenarios/{id}/status"))
                .await?
        }
        (Some(remote), None) => remote.get("/api/v1/scenarios/active").await?,
        (None, Some(id)) => {
            let store = context
                .open_store_with(super::recover::Orphans::Recover)
                .await?;
            let record = store
                .fetch_execution(id)
                .await?
                .with_context(|| format!("no execution {id}"))?;
            json!({ "id": record.summary.id, "scenario_name": record.summary.scenario_name, "status": record.summary.status, "created_at": record.summary.created_at, "finished_at": record.summary.finished_at, "verdict": record.verdict })
        }
        (None, None) => {
            let store = context
                .open_store_with(super::recover::Orphans::Recover)
                .await?;
            let filter = HistoryFilter {
                statuses: vec![
                    app::api::ExecutionStatus::Queued,
                    app::api::ExecutionStatus::Running,
                    app::api::ExecutionStatus::Paused,
                ],
                limit: 100,
                ..HistoryFilter::default()
            };
            json!({ "executions": store.search_executions(&filter).await?.0 })
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if let Some(list) = value["executions"].as_array() {
        if list.is_empty() {
            println!("no active executions");
        }
        for e in list {
            println!(
                "{}  {:<10} {}  (since {})",
                e["id"].as_str().unwrap_or(""),
                e["status"].as_str().unwrap_or(""),
                e["scenario_name"].as_str().unwrap_or(""),
                e["created_at"].as_str().unwrap_or("")
            );
        }
    } else {
        println!(
            "{}  {}  {}",
            value["id"].as_str().unwrap_or(""),
            value["status"].as_str().unwrap_or(""),
            value["scenario_name"].as_str().unwrap_or("")
        );
        if let Some(p) = value.get("progress") {
            println!(
                "  phase {} ({} done), assertions {} passed / {} failed",
                p["phase_name"].as_str().unwrap_or("-"),
                p["phases_done"],
                p["assertions_passed"],
                p["assertions_failed"]
            );
        }
        if let Some(summary) = value["verdict"]["summary"].as_str() {
            println!("  {summary}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn stop(server: Option<Remote>, args: IdArgs) -> anyhow::Result<ExitCode> {
    let Some(remote) = server else {
        bail!("stop needs --server URL (or TEST_COORDINATOR_URL): the execution runs in the server; a local `execute` stops with Ctrl-C");
    };
    let detail = remote
        .post(
            &format!("/api/v1/scenarios/{}/stop", args.execution_id),
            json!({}),
        )
        .await?;
    println!(
        "{}: {}",
        args.execution_id,
        detail["status"].as_str().unwrap_or("?")
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn logs(
    context: Context,
    server: Option<Remote>,
    args: LogsArgs,
) -> anyhow::Result<ExitCode> {
    let print = |event: &Event| {
        if args.json {
            match serde_json::to_string(event) {
                Ok(line) => println!("{line}"),
                Err(error) => eprintln!("error: event {}: {error}", event.seq),
            }
        } else {
            println!("{}", describe(event));
        }
    };
    match server {
        Some(remote) if args.follow => {
            remote.follow(&args.execution_id, print).await?;
        }
        Some(remote) => {
            remote
                .events(&format!("/api/v1/scenarios/{}/logs", args.execution_id))
                .await?
                .iter()
                .for_each(print);
        }
        None => {
            let store = context.open_store().await?;
            let id = execution_id(&args.execution_id)?;
            let mut since = None;
            loop {
                for event in store.list_events(id, since, 10_000).await? {
                    since = Some(event.seq);
                    print(&event);
                    if matches!(event.kind, EventKind::ExecutionFinished { .. }) {
                        return Ok(ExitCode::SUCCESS);
                    }
                }
                if !args.follow {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn timeline(
    context: Context,
    server: Option<Remote>,
    args: IdArgs,
) -> anyhow::Result<ExitCode> {
    let rows = match server {
        Some(remote) => remote
            .get(&format!(
                "/debug/execution-timeline?execution_id={}",
                args.execution_id
            ))
            .await?["timeline"]
            .clone(),
        None => {
            let store = context.open_store().await?;
            let id = execution_id(&args.execution_id)?;
            let events = store.list_events(id, None, 100_000).await?;
            json!(events.iter().map(|e| json!({"seq": e.seq, "kind": e.kind.name(), "phase": e.phase, "offset_ms": e.offset_ms, "planned_ms": e.planned_ms, "skew_ms": crate::stats::skew_ms(e)})).collect::<Vec<_>>())
        }
    };
    println!(
        "{:>5}  {:>12}  {:>12}  {:>9}  EVENT",
        "SEQ", "PLANNED", "ACTUAL", "SKEW ms"
    );
    for row in rows.as_array().into_iter().flatten() {
        let fmt = |v: &Value| {
            v.as_u64()
                .map(|ms| app::scenario::duration::format_duration(Duration::from_millis(ms)))
                .unwrap_or_else(|| "-".into())
        };
        let skew = row["skew_ms"]
            .as_i64()
            .map(|skew| skew.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{:>5}  {:>12}  {:>12}  {skew:>9}  {}",
            row["seq"],
            fmt(&row["planned_ms"]),
            fmt(&row["offset_ms"]),
            row["kind"].as_str().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn metrics(
    context: Context,
    server: Option<Remote>,
    args: IdArgs,
) -> anyhow::Result<ExitCode> {
    let events: Vec<Event> = match server {
        Some(remote) => {
            remote
                .events(&format!("/api/v1/scenarios/{}/logs", args.execution_id))
                .await?
        }
        None => {
            let store = context.open_store().await?;
            let id = execution_id(&args.execution_id)?;
            store.list_events(id, None, 100_000).await?
        }
    };
    let progress = crate::service::fold_progress(&events);
    let mut latencies: Vec<f64> = events
        .iter()
        .filter_map(|e| match &e.kind {
            crate::engine::event::EventKind::ActionFinished { outcome, .. } => {
                Some(outcome.latency_ms)
            }
            _ => None,
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    let mut skews: Vec<i64> = events.iter().filter_map(crate::stats::skew_ms).collect();
    skews.sort_unstable();
    let pick = crate::stats::percentile::<f64>;
    let out = json!({
        "execution_id": args.execution_id,
        "events": progress.events,
        "phases_done": progress.phases_done,
        "assertions": {"passed": progress.assertions_passed, "failed": progress.assertions_failed},
        "actions_failed": progress.actions_failed,
        "action_latency_ms": {"p50": pick(&latencies, 50.0), "p95": pick(&latencies, 95.0), "max": latencies.last()},
        "schedule_skew_ms": {"p50": crate::stats::percentile(&skews, 50.0), "max": skews.last()},
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

pub async fn services(
    context: Context,
    server: Option<Remote>,
    args: JsonArgs,
) -> anyhow::Result<ExitCode> {
    let list = match server {
        Some(remote) => remote.get("/api/v1/services").await?["services"].clone(),
        None => json!(context
            .config
            .services
            .values()
            .map(|s| s.info())
            .collect::<Vec<_>>()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    for s in list.as_array().into_iter().flatten() {
        println!(
            "{:<24} {:<32} chaos {}",
            s["name"].as_str().unwrap_or(""),
            s["url"].as_str().unwrap_or(""),
            s["chaos_api_path"].as_str().unwrap_or("-")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn health_check(
    context: Context,
    server: Option<Remote>,
    args: JsonArgs,
) -> anyhow::Result<ExitCode> {
    let services = match server {
        Some(remote) => remote.get("/api/v1/system/state").await?["services"].clone(),
        None => {
            let mut list = Vec::new();
            for s in context.config.services.values() {
                let url = format!(
                    "{}{}",
                    s.url.as_str().trim_end_matches('/'),
                    s.health_endpoint
                );
                let answer = context
                    .client
                    .get(&url)
                    .timeout(s.timeout.min(Duration::from_secs(5)))
                    .send()
                    .await;
                let status = answer.as_ref().ok().map(|r| r.status().as_u16());
                list.push(json!({"name": s.name, "url": url, "healthy": status.is_some_and(|c| (200..300).contains(&c)), "status": status}));
            }
            json!(list)
        }
    };
    let all = services
        .as_array()
        .map(|l| l.iter().all(|s| s["healthy"] == true))
        .unwrap_or(false);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"healthy": all, "services": services}))?
        );
    } else {
        for s in services.as_array().into_iter().flatten() {
            println!(
                "{:<8} {}",
                if s["healthy"] == true {
                    "healthy"
                } else {
                    "DOWN"
                },
                s["name"].as_str().unwrap_or("")
            );
        }
    }
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub async fn clear_chaos(
    context: Context,
    server: Option<Remote>,
    args: ClearArgs,
) -> anyhow::Result<ExitCode> {
    if args.service.is_none() && !args.all {
        bail!("give --service NAME or --all");
    }
    let results = match server {
        Some(remote) => remote
            .post(
                "/api/v1/services/clear-chaos",
                json!({"service": args.service, "all": args.all}),
            )
            .await?["results"]
            .clone(),
        None => {
            // Executions whose process is gone are rolled back and ended first;
            // clearing chaos must work even when the database cannot be opened.
            match context
                .open_store_with(super::recover::Orphans::Recover)
                .await
            {
                Ok(store) => store.close().await,
                Err(error) => eprintln!("warning: {error:#}"),
            }
            let mut out = Vec::new();
            for s in context
                .config
                .services
                .values()
                .filter(|s| args.service.as_deref().is_none_or(|n| n == s.name))
            {
                let Some(path) = &s.chaos_api_path else {
                    continue;
                };
                let url = format!("{}{path}/clear", s.url.as_str().trim_end_matches('/'));
                let ok = context
                    .client
                    .post(&url)
                    .json(&json!({}))
                    .timeout(s.timeout)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                out.push(json!({"service": s.name, "cleared": ok}));
            }
            if out.is_empty() {
                bail!("no chaos-API service matches");
            }
            json!(out)
        }
    };
    let mut all_ok = true;
    for r in results.as_array().into_iter().flatten() {
        let ok = r["cleared"] == true;
        all_ok &= ok;
        println!(
            "{:<8} {}",
            if ok { "cleared" } else { "FAILED" },
            r["service"].as_str().unwrap_or("")
        );
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The execution (not with --summary).
    #[arg(long, required_unless_present = "summary")]
    execution_id: Option<String>,
    /// json, html, csv or junit.
    #[arg(long, default_value = "json")]
    format: String,
    /// For csv: events or assertions.
    #[arg(long)]
    table: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    /// The summary across the last finished executions (N1V1's chaos_summary.json).
    #[arg(long, conflicts_with = "execution_id")]
    summary: bool,
    /// With --summary: only this scenario.
    #[arg(long)]
    scenario: Option<String>,
    /// With --summary: how many executions.
    #[arg(long, default_value_t = 20)]
    last: u32,
}

/// The report of one execution, rendered, from a server or the local store.
pub async fn report_text(
    context: &Context,
    server: Option<&Remote>,
    id: &str,
    format: crate::report::format::Format,
) -> anyhow::Result<String> {
    use crate::report::format::Format;
    if let Some(remote) = server {
        let (name, table) = match format {
            Format::Json => ("json", ""),
            Format::Html => ("html", ""),
            Format::CsvEvents => ("csv", "&table=events"),
            Format::CsvAssertions => ("csv", "&table=assertions"),
            Format::Junit => ("junit", ""),
        };
        let response = remote
            .client
            .get(format!(
                "{}/api/v1/scenarios/{id}/report?format={name}{table}",
                remote.base
            ))
            .send()
            .await
            .with_context(|| format!("cannot reach the server at {}", remote.base))?;
        if !response.status().is_success() {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            bail!(
                "{}",
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("the server refused")
            );
        }
        return Ok(response.text().await?);
    }
    let store = context.open_store().await?;
    let execution = execution_id(id)?;
    let record = store
        .fetch_recorded_execution(execution)
        .await?
        .with_context(|| format!("no execution {id}"))?;
    let report = crate::report::generate(
        &record.into(),
        time::OffsetDateTime::now_utc(),
        &context.config.instance,
    );
    crate::report::format::render(&report, format).map_err(|e| anyhow::anyhow!("{}", e.message))
}

pub async fn report(
    context: Context,
    server: Option<Remote>,
    args: ReportArgs,
) -> anyhow::Result<ExitCode> {
    let text = if args.summary {
        match &server {
            Some(remote) => {
                let scenario = args
                    .scenario
                    .as_ref()
                    .map(|s| format!("&scenario={s}"))
                    .unwrap_or_default();
                serde_json::to_string_pretty(
                    &remote
                        .get(&format!(
                            "/api/v1/reports/summary?limit={}{scenario}",
                            args.last
                        ))
                        .await?,
                )?
            }
            None => {
                let store = context.open_store().await?;
                let filter = HistoryFilter {
                    scenario: args.scenario.clone(),
                    limit: args.last,
                    ..HistoryFilter::default()
                };
                let mut reports = Vec::new();
                for execution in store
                    .search_executions(&filter)
                    .await?
                    .0
                    .into_iter()
                    .filter(|e| e.finished_at.is_some())
                {
                    let id = execution
                        .id
                        .parse()
                        .map_err(|_| anyhow::anyhow!("bad id in the store"))?;
                    if let Some(record) = store.fetch_recorded_execution(id).await? {
                        reports.push(crate::report::generate(
                            &record.into(),
                            time::OffsetDateTime::now_utc(),
                            &context.config.instance,
                        ));
                    }
                }
                crate::report::json::render_summary(&crate::report::summarize(&reports))?
            }
        }
    } else {
        let format =
            crate::report::format::Format::parse(Some(&args.format), args.table.as_deref())
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        report_text(
            &context,
            server.as_ref(),
            args.execution_id.as_deref().unwrap_or_default(),
            format,
        )
        .await?
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
