//! `test-coordinator execute`: runs a scenario in this process against the
//! configured services, recording into the same SQLite file the server uses
//! (WAL), so the run shows in the history. Exit code 0 on success, 1 when the
//! scenario fails, 2 on invalid input. `--scenarios a,b,c` runs a suite
//! instead (`cli/suite.rs`).

use std::{io::IsTerminal, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use anyhow::Context as _;
use app::{
    api::{
        ErrorKind, ExecuteOptions, ExecuteRequest, ExecuteResponse, ExecutionStatus, OnOwnerLoss,
    },
    scenario::duration::{format_duration, parse_duration},
};
use clap::Args;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::{parameters, Context};
use crate::{
    engine::{
        event::{Event, EventKind},
        Channel, ExecutionId, StartedBy,
    },
    prepare::{format_diagnostic, Source},
    service::{admit, prepare_source, Coordinator},
    startup::{build_engine, shutdown_signal},
};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["scenario", "file", "template", "scenarios"])))]
pub struct ExecuteArgs {
    /// A library scenario by name.
    #[arg(long)]
    scenario: Option<String>,
    /// A scenario file.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// A library template by name (or a template file), with --params.
    #[arg(long)]
    template: Option<String>,
    /// Template parameters: a YAML/JSON file, or `k=v,k=v`.
    #[arg(long, alias = "parameters", value_name = "FILE|k=v,…")]
    params: Option<String>,
    /// Time scale: 3600 runs an hour of scenario in a second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Run the whole scenario in this much wall time (sets --speed).
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
    /// Print the plan and record a simulated timeline; call nothing.
    #[arg(long)]
    dry_run: bool,
    /// Keep going after a failed phase.
    #[arg(long)]
    continue_on_failure: bool,
    /// Run the phases this many times.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// When the coordinator running it is lost, the one that takes it over
    /// rolls its chaos back, then ends it (rollback) or runs it on from the
    /// phase it was in (resume). See docs/scale-out.md.
    #[arg(long, value_name = "rollback|resume", default_value = "rollback")]
    on_owner_loss: OnOwnerLoss,
    /// Print a JSON summary at the end instead of progress.
    #[arg(long)]
    json: bool,
    /// Also write the JUnit XML report here when the run ends (for CI systems).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    suite: super::suite::SuiteArgs,
}

impl ExecuteArgs {
    /// What the other flags mean for a suite.
    fn suite_common(&self) -> super::suite::Common {
        super::suite::Common {
            speed: self.speed,
            duration: self.duration.clone(),
            dry_run: self.dry_run,
            continue_on_failure: self.continue_on_failure,
            repeat: self.repeat,
            json: self.json,
            junit: self.junit.clone(),
        }
    }
}

pub async fn run(context: Context, args: ExecuteArgs) -> anyhow::Result<ExitCode> {
    if let Some(flag) = args.suite.stray_flag() {
        eprintln!("error: {flag} only applies to a suite (--scenarios a,b,c)");
        return Ok(ExitCode::from(2));
    }
    if args.suite.scenarios.is_some() {
        let common = args.suite_common();
        return super::suite::run(context, None, &args.suite, common).await;
    }
    let source = if let Some(name) = args.scenario.clone() {
        Source::Library(name)
    } else if let Some(file) = args.file.clone() {
        match super::file_source(&file, None) {
            Ok(source) => source,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        let Some(values) = parameters(args.params.as_deref())? else {
            return Ok(ExitCode::from(2));
        };
        match super::template_source(args.template.clone().unwrap_or_default(), values) {
            Ok(source) => source,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        }
    };
    // The same steps as REST (`service::executions`): prepare, admit, start.
    let prepared =
        match prepare_source(&context.config, &context.library, &context.client, source).await {
            Ok(prepared) => prepared,
            Err(error) => {
                eprintln!("error: {}", error.message);
                return Ok(ExitCode::from(2));
            }
        };
    for diagnostic in &prepared.diagnostics {
        eprintln!("{}", format_diagnostic(&prepared.origin, diagnostic));
    }
    let mut speed = args.speed;
    if let (Some(text), Some(plan)) = (&args.duration, &prepared.plan) {
        let wall = parse_duration(text).map_err(|e| anyhow::anyhow!("--duration: {e}"))?;
        anyhow::ensure!(!wall.is_zero(), "--duration must be longer than 0s");
        speed = plan.total_ms.as_secs_f64() / wall.as_secs_f64();
    }
    let options = ExecuteOptions {
        speed,
        dry_run: args.dry_run,
        continue_on_failure: args.continue_on_failure,
        repeat: args.repeat,
        on_owner_loss: args.on_owner_loss,
    };
    let plan = match admit(&prepared, &options) {
        Ok(plan) => plan,
        Err(error) if error.kind == ErrorKind::Validation => {
            eprintln!("{}: invalid; nothing was run", prepared.origin);
            return Ok(ExitCode::from(2));
        }
        Err(error) => {
            // `options.speed …` names the flag the CLI took it from.
            eprintln!("error: {}", error.message.replacen("options.", "--", 1));
            return Ok(ExitCode::from(2));
        }
    };
    if args.dry_run && !args.json {
        println!(
            "Plan of {} (dry run: nothing is called)",
            plan.metadata.name
        );
        print!("{}", plan.timeline_text());
    }

    let store = context
        .open_store_with(super::recover::Orphans::Leave)
        .await?;
    let engine = build_engine(&context.config, &store, "execute");
    // A run some other process left behind (killed with its chaos in place)
    // is rolled back alongside this one.
    engine.watch_orphans();
    let coordinator = Coordinator::new(
        Arc::new(context.config.clone()),
        store.clone(),
        engine.clone(),
    );
    // Subscribed before the run starts: none of its events is missed.
    let mut events = engine.subscribe();
    let total = plan.total_ms;
    let name = plan.metadata.name.clone();
    let accepted = coordinator
        .start_prepared(
            &prepared,
            plan,
            &options,
            StartedBy::new(Channel::Cli, crate::auth::local_principal().actor()),
        )
        .await
        .map_err(|error| anyhow::anyhow!("{}", error.message))?;
    let id: ExecutionId = accepted
        .execution_id
        .parse()
        .map_err(|_| anyhow::anyhow!("the engine gave an invalid execution id"))?;
    if !args.json {
        println!(
            "execution {id}: {name} ({} at speed {speed})",
            format_duration(total)
        );
    }
    let mut progress = Progress {
        terminal: std::io::stdout().is_terminal() && !args.json,
        quiet: args.json,
        ..Progress::default()
    };
    let interrupt = shutdown_signal();
    tokio::pin!(interrupt);
    // The signal future completes once; polling it again would panic.
    let mut interrupted = false;
    let (status, summary) = loop {
        tokio::select! {
            received = events.recv() => match received {
                Ok(event) if event.execution_id == id => {
                    progress.show(&event, total);
                    if let EventKind::ExecutionFinished { status, verdict } = event.kind {
                        break (status, verdict);
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => anyhow::bail!("the engine stopped without finishing the execution"),
            },
            () = &mut interrupt, if !interrupted => {
                interrupted = true;
                eprintln!("interrupted: stopping the execution and rolling back");
                engine.shutdown().await;
            }
        }
    };
    engine.wait_idle().await;
    engine.shutdown().await;
    store.close().await;
    progress.finish();
    if let Some(path) = &args.junit {
        write_junit(&context, None, &id.to_string(), path).await?;
    }
    if args.json {
        let out = json!({
            "execution_id": id.to_string(),
            "scenario": name,
            "status": status,
            "verdict": summary,
            "assertions": {"passed": progress.passed, "failed": progress.failed},
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{status}: {}", summary.summary);
        for criterion in &summary.criteria {
            println!(
                "  [{}] {} — {}",
                if criterion.passed { "ok" } else { "FAILED" },
                criterion.name,
                criterion.detail
            );
        }
    }
    Ok(if status == ExecutionStatus::Completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `execute --server URL`: submits to a running coordinator and follows the run
/// until it ends; the exit code is the same as a local run's.
pub async fn run_remote(
    context: Context,
    remote: super::remote::Remote,
    args: ExecuteArgs,
) -> anyhow::Result<ExitCode> {
    if let Some(flag) = args.suite.stray_flag() {
        eprintln!("error: {flag} only applies to a suite (--scenarios a,b,c)");
        return Ok(ExitCode::from(2));
    }
    if args.suite.scenarios.is_some() {
        let common = args.suite_common();
        return super::suite::run(context, Some(remote), &args.suite, common).await;
    }
    let mut request = ExecuteRequest::default();
    if let Some(name) = &args.scenario {
        request.scenario = Some(name.clone());
    } else if let Some(file) = &args.file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        request.yaml = Some(text);
    } else if let Some(template) = &args.template {
        let Some(values) = parameters(args.params.as_deref())? else {
            return Ok(ExitCode::from(2));
        };
        if template.ends_with(".yaml") || template.ends_with(".yml") {
            // A local template file is rendered here: the server never reads a
            // path it is sent; it gets the rendered scenario as text.
            let text = std::fs::read_to_string(template)
                .with_context(|| format!("cannot read {template}"))?;
            match crate::prepare::render_text(&text, values) {
                Ok(yaml) => request.yaml = Some(yaml),
                Err(diagnostics) => {
                    for diagnostic in &diagnostics {
                        eprintln!("{}", format_diagnostic(template, diagnostic));
                    }
                    return Ok(ExitCode::from(2));
                }
            };
        } else {
            request.template = Some(template.clone());
            request.parameters = match serde_json::to_value(values)? {
                serde_json::Value::Object(map) => Some(map),
                _ => None,
            };
        }
    }
    if args.duration.is_some() {
        anyhow::bail!("--duration is not supported with --server; give --speed");
    }
    // The server checks the options (the same check as a local run).
    request.options = ExecuteOptions {
        speed: args.speed,
        dry_run: args.dry_run,
        continue_on_failure: args.continue_on_failure,
        repeat: args.repeat,
        on_owner_loss: args.on_owner_loss,
    };
    let accepted: ExecuteResponse = match remote
        .post_json("/api/v1/scenarios/execute", &request)
        .await
    {
        Ok(accepted) => accepted,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let id = accepted.execution_id;
    if !args.json {
        println!(
            "execution {id}: {} (queued on the server)",
            accepted.scenario
        );
    }
    let quiet = args.json;
    let status = remote
        .follow(&id, |event| {
            let kind = event.kind.name();
            if !quiet
                && (kind.ends_with("finished")
                    || kind == "phase_started"
                    || kind == "workload_summary")
            {
                println!("{}", super::remote::describe(event));
            }
        })
        .await?;
    if let Some(path) = &args.junit {
        write_junit(&context, Some(&remote), &id, path).await?;
    }
    if args.json {
        let detail: app::api::ExecutionDetail = remote
            .get_json(&format!("/api/v1/scenarios/{id}/status"))
            .await?;
        println!("{}", serde_json::to_string_pretty(&detail)?);
    }
    Ok(if status == "completed" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn write_junit(
    context: &Context,
    remote: Option<&super::remote::Remote>,
    id: &str,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let xml = super::remote::report_text(context, remote, id, crate::report::format::Format::Junit)
        .await?;
    std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("JUnit report: {}", path.display());
    Ok(())
}

/// What the terminal shows while it runs.
#[derive(Default)]
struct Progress {
    terminal: bool,
    quiet: bool,
    phase: String,
    passed: u32,
    failed: u32,
}

impl Progress {
    fn show(&mut self, event: &Event, total: Duration) {
        match &event.kind {
            EventKind::PhaseStarted { name, .. } => self.phase = name.clone(),
            EventKind::AssertionFinished { result, .. } if result.passed => self.passed += 1,
            EventKind::AssertionFinished { .. } => self.failed += 1,
            _ => {}
        }
        if self.quiet {
            return;
        }
        let elapsed = Duration::from_millis(event.offset_ms.unwrap_or(0));
        let line = describe(event);
        if self.terminal {
            // One status line, rewritten; notable events scroll above it.
            if let Some(line) = line {
                println!("\r\x1b[2K{:>9}  {line}", format_duration(elapsed));
            }
            print!(
                "\r\x1b[2K{} / {}  phase {}  assertions {} passed, {} failed",
                format_duration(elapsed),
                format_duration(total),
                self.phase,
                self.passed,
                self.failed
            );
            let _ = std::io::Write::flush(&mut std::io::stdout());
        } else if let Some(line) = line {
            println!("{:>9}  {line}", format_duration(elapsed));
        }
    }

    fn finish(&self) {
        if self.terminal {
            println!();
        }
    }
}

/// The line a notable event prints while it runs: [`app::api::describe()`], the
/// words `logs`, the report and the live view use.
fn describe(event: &Event) -> Option<String> {
    let notable = matches!(
        event.kind,
        EventKind::PhaseStarted { .. }
            | EventKind::ActionFinished { .. }
            | EventKind::AssertionFinished { .. }
            | EventKind::PhaseFinished { .. }
            | EventKind::RollbackStarted { .. }
            | EventKind::RollbackFinished { .. }
            | EventKind::Paused
            | EventKind::Resumed
            | EventKind::RecoveryStarted { .. }
            | EventKind::ResumedOnNewOwner { .. }
            | EventKind::WorkloadSummary { .. }
    );
    notable.then(|| app::api::describe(&event.kind))
}
