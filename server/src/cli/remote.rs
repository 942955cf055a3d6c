//! Commands that talk to a running server (`--server URL` or
//! `TEST_COORDINATOR_URL`), or — where that makes sense — read the local
//! SQLite file and configuration instead: status, stop, logs, timeline,
//! metrics, services, health-check, clear-chaos.
//!
//! [`Remote`] reads every answer as the `app::api` type the server serialises
//! (`get_json`, `post_json`), and a refusal as [`app::api::ApiError`]: a renamed field
//! is a compile error or a named decoding error, never a blank or a zero.
//! Where a command also works without a server, its local branch builds the
//! same type, so both print through one path.

use std::{process::ExitCode, time::Duration};

use anyhow::{bail, Context as _};
use app::api::{
    rest::{
        ActiveExecutions, ClearChaosRequest, ClearChaosResult, ClearChaosResults,
        ExecutionTimeline, ServiceHealth, Services, SystemState, TimelineRow,
    },
    ExecutionDetail, ServiceInfo,
};
use clap::Args;
use serde::Serialize;

pub use super::client::{Refusal, Remote};
use super::Context;
use crate::{
    engine::event::{Event, EventKind},
    store::HistoryFilter,
};

/// One line for an event, as `logs` prints it: number, offset, kind, and
/// [`app::api::describe()`] (the words the report and the live view use).
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
    pub(super) json: bool,
}

/// An execution id given on the command line.
fn execution_id(text: &str) -> anyhow::Result<crate::engine::ExecutionId> {
    text.parse()
        .map_err(|_| anyhow::anyhow!("{text:?} is not an execution id"))
}

/// What `status` prints: one execution, or the active ones.
#[derive(Serialize)]
#[serde(untagged)]
enum StatusView {
    One(Box<ExecutionDetail>),
    Active(ActiveExecutions),
}

pub async fn status(
    context: Context,
    server: Option<Remote>,
    args: StatusArgs,
) -> anyhow::Result<ExitCode> {
    let view = match (&server, &args.execution_id) {
        (Some(remote), Some(id)) => StatusView::One(Box::new(
            remote
                .get_json(&format!("/api/v1/scenarios/{id}/status"))
                .await?,
        )),
        (Some(remote), None) => {
            StatusView::Active(remote.get_json("/api/v1/scenarios/active").await?)
        }
        (None, Some(id)) => {
            let store = context
                .open_store_with(super::recover::Orphans::Recover)
                .await?;
            let detail = crate::service::execution_detail(&store, id).await;
            store.close().await;
            StatusView::One(Box::new(
                detail.map_err(|e| anyhow::anyhow!("{}", e.message))?,
            ))
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
            StatusView::Active(ActiveExecutions {
                executions: store.search_executions(&filter).await?.0,
            })
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    match view {
        StatusView::Active(active) => {
            if active.executions.is_empty() {
                println!("no active executions");
            }
            for e in &active.executions {
                println!(
                    "{}  {:<10} {}  (since {})",
                    e.id, e.status, e.scenario_name, e.created_at
                );
            }
        }
        StatusView::One(detail) => {
            println!(
                "{}  {}  {}",
                detail.id,
                detail.status.as_str(),
                detail.scenario_name
            );
            let p = &detail.progress;
            println!(
                "  phase {} ({} done), assertions {} passed / {} failed",
                p.phase_name.as_deref().unwrap_or("-"),
                p.phases_done,
                p.assertions_passed,
                p.assertions_failed
            );
            if let Some(verdict) = &detail.verdict {
                println!("  {}", verdict.summary);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn stop(server: Option<Remote>, args: IdArgs) -> anyhow::Result<ExitCode> {
    let Some(remote) = server else {
        bail!("stop needs --server URL (or TEST_COORDINATOR_URL): the execution runs in the server; a local `execute` stops with Ctrl-C");
    };
    let detail: ExecutionDetail = remote
        .post_json(
            &format!("/api/v1/scenarios/{}/stop", args.execution_id),
            &serde_json::Map::new(),
        )
        .await?;
    match &detail.stopped_by {
        Some(by) => println!("{}: {} by {by}", args.execution_id, detail.status.as_str()),
        None => println!("{}: {}", args.execution_id, detail.status.as_str()),
    }
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
    let rows: Vec<TimelineRow> = match server {
        Some(remote) => {
            remote
                .get_json::<ExecutionTimeline>(&format!(
                    "/debug/execution-timeline?execution_id={}",
                    args.execution_id
                ))
                .await?
                .timeline
        }
        None => {
            let store = context.open_store().await?;
            let id = execution_id(&args.execution_id)?;
            let events = store.list_events(id, None, 100_000).await?;
            events
                .iter()
                .map(crate::service::timeline_row)
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow::anyhow!("{}", e.message))?
        }
    };
    println!(
        "{:>5}  {:>12}  {:>12}  {:>9}  EVENT",
        "SEQ", "PLANNED", "ACTUAL", "SKEW ms"
    );
    let fmt = |ms: Option<u64>| {
        ms.map(|ms| app::scenario::duration::format_duration(Duration::from_millis(ms)))
            .unwrap_or_else(|| "-".into())
    };
    for row in &rows {
        let skew = row
            .skew_ms
            .map(|skew| skew.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{:>5}  {:>12}  {:>12}  {skew:>9}  {}",
            row.seq,
            fmt(row.planned_ms),
            fmt(row.offset_ms),
            row.kind
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What `metrics` prints (JSON): figures folded from an execution's events.
#[derive(Serialize)]
struct MetricsOut {
    execution_id: String,
    events: u64,
    phases_done: usize,
    assertions: Tally,
    actions_failed: usize,
    action_latency_ms: LatencyFigures,
    schedule_skew_ms: SkewFigures,
}

/// Assertions that held and failed.
#[derive(Serialize)]
struct Tally {
    passed: usize,
    failed: usize,
}

/// Percentiles of action latency, ms.
#[derive(Serialize)]
struct LatencyFigures {
    p50: Option<f64>,
    p95: Option<f64>,
    max: Option<f64>,
}

/// Percentiles of schedule skew, ms.
#[derive(Serialize)]
struct SkewFigures {
    p50: Option<i64>,
    max: Option<i64>,
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
    let out = MetricsOut {
        execution_id: args.execution_id,
        events: progress.events,
        phases_done: progress.phases_done,
        assertions: Tally {
            passed: progress.assertions_passed,
            failed: progress.assertions_failed,
        },
        actions_failed: progress.actions_failed,
        action_latency_ms: LatencyFigures {
            p50: pick(&latencies, 50.0),
            p95: pick(&latencies, 95.0),
            max: latencies.last().copied(),
        },
        schedule_skew_ms: SkewFigures {
            p50: crate::stats::percentile(&skews, 50.0),
            max: skews.last().copied(),
        },
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

pub async fn services(
    context: Context,
    server: Option<Remote>,
    args: JsonArgs,
) -> anyhow::Result<ExitCode> {
    let list: Vec<ServiceInfo> = match server {
        Some(remote) => {
            remote
                .get_json::<Services>("/api/v1/services")
                .await?
                .services
        }
        None => context.config.services.values().map(|s| s.info()).collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    for s in &list {
        println!(
            "{:<24} {:<32} chaos {}",
            s.name,
            s.url,
            s.chaos_api_path.as_deref().unwrap_or("-")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What `health-check --json` prints.
#[derive(Serialize)]
struct HealthOut<'a> {
    /// Every service answered 2xx.
    healthy: bool,
    services: &'a [ServiceHealth],
}

pub async fn health_check(
    context: Context,
    server: Option<Remote>,
    args: JsonArgs,
) -> anyhow::Result<ExitCode> {
    let services: Vec<ServiceHealth> = match server {
        Some(remote) => {
            remote
                .get_json::<SystemState>("/api/v1/system/state")
                .await?
                .services
        }
        None => {
            let mut list = Vec::new();
            for s in context.config.services.values() {
                let base = s.url.as_str().trim_end_matches('/').to_owned();
                let answer = context
                    .client
                    .get(format!("{base}{}", s.health_endpoint))
                    .timeout(s.timeout.min(Duration::from_secs(5)))
                    .send()
                    .await;
                let status = answer.as_ref().ok().map(|r| r.status().as_u16());
                list.push(ServiceHealth {
                    name: s.name.clone(),
                    url: base,
                    healthy: status.is_some_and(|c| (200..300).contains(&c)),
                    status,
                    // Only the server reads chaos APIs' state.
                    active_chaos: serde_json::Value::Null,
                });
            }
            list
        }
    };
    let all = services.iter().all(|s| s.healthy);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&HealthOut {
                healthy: all,
                services: &services
            })?
        );
    } else {
        for s in &services {
            println!(
                "{:<8} {}",
                if s.healthy { "healthy" } else { "DOWN" },
                s.name
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
    let results: Vec<ClearChaosResult> = match server {
        Some(remote) => {
            let request = ClearChaosRequest {
                service: args.service.clone(),
                all: args.all,
            };
            remote
                .post_json::<_, ClearChaosResults>("/api/v1/services/clear-chaos", &request)
                .await?
                .results
        }
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
                    .json(&serde_json::Map::new())
                    .timeout(s.timeout)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                out.push(ClearChaosResult {
                    service: s.name.clone(),
                    cleared: ok,
                    // Only printed as cleared or FAILED.
                    response: serde_json::Value::Null,
                });
            }
            if out.is_empty() {
                bail!("no chaos-API service matches");
            }
            out
        }
    };
    let mut all_ok = true;
    for r in &results {
        all_ok &= r.cleared;
        println!(
            "{:<8} {}",
            if r.cleared { "cleared" } else { "FAILED" },
            r.service
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
            bail!(
                "{}",
                Refusal::read(response).await.message("the server refused")
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
                let summary: crate::report::Summary = remote
                    .get_json(&format!(
                        "/api/v1/reports/summary?limit={}{scenario}",
                        args.last
                    ))
                    .await?;
                crate::report::json::render_summary(&summary)?
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
