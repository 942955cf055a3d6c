//! `test-coordinator execute --scenarios a,b,c [--mode random] [--parallel]`:
//! several scenarios as one suite, here (in this process, recording into the
//! shared SQLite file) or on a server (`--server URL`). Either way it is the
//! same use case ([`Coordinator::start_suite`]): this only prints its progress
//! and summary. Exit code 0 when every member passed, 1 when one did not (or
//! the suite was interrupted), 2 when the suite was refused.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

use anyhow::Context as _;
use app::api::{
    suite::{SuiteAccepted, SuiteDetail, SuiteEntry, SuiteMode, SuiteRequest, SuiteSource},
    ApiError,
};
use clap::{Args, ValueEnum};
use serde::Deserialize;
use serde_json::json;

use super::{
    remote::{Refusal, Remote},
    Context,
};
use crate::{
    engine::{Channel, Engine, StartedBy},
    prepare::format_diagnostic,
    service::Coordinator,
    startup::{build_engine, shutdown_signal},
    store::Store,
};

/// The suite flags of `execute`.
#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Run several scenarios as one suite: library names or scenario files,
    /// comma-separated.
    #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
    pub scenarios: Option<Vec<String>>,
    /// The suite's order: as given (sequential, the default), or shuffled
    /// with a seed (random; the seed is printed).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Run the suite's scenarios side by side (at most
    /// `max_concurrent_scenarios` at a time).
    #[arg(long)]
    pub parallel: bool,
    /// The seed of `--mode random`: the same seed runs the same order.
    #[arg(long)]
    pub seed: Option<u64>,
}

impl SuiteArgs {
    /// A suite flag given without `--scenarios`, which would otherwise be ignored.
    pub fn stray_flag(&self) -> Option<&'static str> {
        if self.scenarios.is_some() {
            return None;
        }
        if self.mode.is_some() {
            Some("--mode")
        } else if self.parallel {
            Some("--parallel")
        } else if self.seed.is_some() {
            Some("--seed")
        } else {
            None
        }
    }
}

/// `--mode`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// In the order given.
    Sequential,
    /// Shuffled with a seed.
    Random,
}

/// What `execute`'s other flags mean for a suite.
pub struct Common {
    pub speed: f64,
    pub duration: Option<String>,
    pub dry_run: bool,
    pub continue_on_failure: bool,
    pub repeat: u32,
    pub json: bool,
    pub junit: Option<PathBuf>,
}

/// Where the suite runs.
enum Runner {
    Here {
        coordinator: Coordinator,
        engine: Engine,
        store: Store,
    },
    Server(Remote),
}

impl Runner {
    /// The suite accepted, or the API error that refused it.
    async fn start(
        &self,
        request: SuiteRequest,
    ) -> anyhow::Result<Result<SuiteAccepted, ApiError>> {
        match self {
            Self::Here { coordinator, .. } => Ok(coordinator
                .start_suite(
                    request,
                    StartedBy::new(Channel::Cli, crate::auth::local_principal().actor()),
                )
                .await),
            Self::Server(remote) => {
                let path = "/api/v1/suites";
                let post = remote
                    .client
                    .post(format!("{}{path}", remote.base))
                    .json(&request);
                match remote.call(path, post).await? {
                    Ok(accepted) => Ok(Ok(accepted)),
                    Err(Refusal {
                        error: Some(error), ..
                    }) => Ok(Err(error)),
                    Err(Refusal { status, .. }) => {
                        anyhow::bail!("the server refused the suite ({status})")
                    }
                }
            }
        }
    }

    async fn detail(&self, id: &str) -> anyhow::Result<SuiteDetail> {
        match self {
            Self::Here { coordinator, .. } => coordinator
                .suite_detail(id)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message)),
            Self::Server(remote) => remote.get_json(&format!("/api/v1/suites/{id}")).await,
        }
    }
}

/// A member of `--scenarios`: a file's text when it names a file, else a library name.
pub(super) fn entry(name: &str) -> anyhow::Result<SuiteEntry> {
    let path = Path::new(name);
    if path.is_file() {
        let yaml = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        return Ok(SuiteEntry::Source(SuiteSource {
            yaml: Some(yaml),
            ..SuiteSource::default()
        }));
    }
    Ok(SuiteEntry::Name(name.to_owned()))
}

/// Runs a suite, here or on `remote`, and prints it.
pub async fn run(
    context: Context,
    remote: Option<Remote>,
    args: &SuiteArgs,
    common: Common,
) -> anyhow::Result<ExitCode> {
    let names: Vec<String> = args
        .scenarios
        .iter()
        .flatten()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        eprintln!("error: --scenarios names no scenario");
        return Ok(ExitCode::from(2));
    }
    if common.duration.is_some() {
        eprintln!("error: --duration is not supported with --scenarios; give --speed");
        return Ok(ExitCode::from(2));
    }
    if common.repeat != 1 {
        eprintln!("error: --repeat is not supported with --scenarios");
        return Ok(ExitCode::from(2));
    }
    let request = SuiteRequest {
        scenarios: names
            .iter()
            .map(|n| entry(n))
            .collect::<anyhow::Result<_>>()?,
        mode: match args.mode {
            None | Some(ModeArg::Sequential) => SuiteMode::Sequential,
            Some(ModeArg::Random) => SuiteMode::Random,
        },
        parallel: args.parallel,
        seed: args.seed,
        speed: common.speed,
        dry_run: common.dry_run,
        continue_on_failure: common.continue_on_failure,
    };
    let runner = match remote {
        Some(remote) => Runner::Server(remote),
        None => {
            let store = context.open_store().await?;
            let engine = build_engine(&context.config, &store, "execute");
            let coordinator = Coordinator::new(
                Arc::new(context.config.clone()),
                store.clone(),
                engine.clone(),
            );
            Runner::Here {
                coordinator,
                engine,
                store,
            }
        }
    };
    let accepted = match runner.start(request).await {
        Ok(Ok(accepted)) => accepted,
        Ok(Err(error)) => {
            print_refusal(&names, &error);
            close(&runner).await;
            return Ok(ExitCode::from(2));
        }
        Err(error) => {
            close(&runner).await;
            return Err(error);
        }
    };
    let order = match accepted.seed {
        Some(seed) => format!("random order (seed {seed}; rerun it with --seed {seed})"),
        None => "in the order given".to_owned(),
    };
    let headline = format!(
        "suite {}: {} scenarios, {order}, {}, speed {}",
        accepted.suite_id,
        accepted.members.len(),
        if accepted.parallel {
            "in parallel"
        } else {
            "one after another"
        },
        common.speed
    );
    if common.json {
        // Standard output stays one JSON document; the seed is still printed.
        eprintln!("{headline}");
    } else {
        println!("{headline}");
    }
    let detail = follow(&runner, &accepted, common.json).await;
    close(&runner).await;
    let detail = detail?;
    if let Some(path) = &common.junit {
        let server = match &runner {
            Runner::Server(remote) => Some(remote),
            Runner::Here { .. } => None,
        };
        write_junit(&context, server, &detail, path).await?;
    }
    if common.json {
        let out = json!({
            "suite_id": detail.id,
            "status": detail.status,
            "test_run": detail.summary.test_run,
            "results": detail.summary.results,
            "members": detail.members,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_summary(&detail);
    }
    Ok(
        if detail.status == app::api::suite::SuiteStatus::Completed {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

/// Polls the suite until it ends, printing a line when a member starts or ends.
async fn follow(
    runner: &Runner,
    accepted: &SuiteAccepted,
    quiet: bool,
) -> anyhow::Result<SuiteDetail> {
    let total = accepted.members.len();
    let mut shown: HashMap<String, String> = HashMap::new();
    let interrupt = shutdown_signal();
    tokio::pin!(interrupt);
    let mut interrupted = false;
    loop {
        let detail = runner.detail(&accepted.suite_id).await?;
        for member in &detail.members {
            let before = shown.get(&member.execution_id).cloned();
            if before.as_deref() == Some(member.status.as_str()) {
                continue;
            }
            shown.insert(member.execution_id.clone(), member.status.clone());
            if quiet || member.status == "pending" {
                continue;
            }
            let place = format!("[{}/{total}]", member.position + 1);
            match member.passed {
                None if member.status == "not_run" => {
                    println!("{place} {}: not run", member.scenario)
                }
                None if before.is_none() || before.as_deref() == Some("pending") => println!(
                    "{place} {}: started (execution {})",
                    member.scenario, member.execution_id
                ),
                None => {}
                Some(passed) => println!(
                    "{place} {}: {} — {}{}{}",
                    member.scenario,
                    member.status,
                    if passed { "passed" } else { "FAILED" },
                    member
                        .duration_seconds
                        .map(|s| format!(" in {s:.1}s"))
                        .unwrap_or_default(),
                    member
                        .recovery_time_seconds
                        .map(|s| format!(", recovery {s:.1}s"))
                        .unwrap_or_default()
                ),
            }
        }
        if detail.status.is_finished() {
            return Ok(detail);
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
            () = &mut interrupt, if !interrupted => {
                interrupted = true;
                match runner {
                    Runner::Here { coordinator, engine, .. } => {
                        eprintln!("interrupted: stopping the suite and rolling back");
                        coordinator.suites.shutdown().await;
                        engine.shutdown().await;
                    }
                    Runner::Server(_) => {
                        eprintln!("interrupted: the suite goes on on the server ({})", accepted.suite_id);
                        anyhow::bail!("interrupted while following suite {}", accepted.suite_id);
                    }
                }
            }
        }
    }
}

/// Lets a local run finish writing, then closes the database.
async fn close(runner: &Runner) {
    if let Runner::Here {
        coordinator,
        engine,
        store,
    } = runner
    {
        coordinator.suites.wait_idle().await;
        engine.wait_idle().await;
        // Ends the lease: nothing is left running.
        engine.shutdown().await;
        store.close().await;
    }
}

/// The `details` of a refused suite: what was wrong with which members.
#[derive(Deserialize)]
struct MemberProblems {
    members: Vec<MemberProblem>,
}

/// One refused member.
#[derive(Deserialize)]
struct MemberProblem {
    /// Its position in `--scenarios`.
    index: usize,
    /// Its error's details (`null` when none); only a validation error's
    /// have diagnostics.
    #[serde(default)]
    details: Option<MemberDiagnostics>,
}

/// A member's diagnostics (none when its error was not a validation error).
#[derive(Deserialize)]
struct MemberDiagnostics {
    #[serde(default)]
    diagnostics: Vec<app::scenario::diagnostic::Diagnostic>,
}

fn print_refusal(names: &[String], error: &ApiError) {
    eprintln!("error: {}", error.message);
    let members = serde_json::from_value::<MemberProblems>(error.details.clone())
        .map(|p| p.members)
        .unwrap_or_default();
    for member in &members {
        let origin = names.get(member.index).map_or("<member>", String::as_str);
        let diagnostics = member.details.iter().flat_map(|d| &d.diagnostics);
        for diagnostic in diagnostics {
            eprintln!("{}", format_diagnostic(origin, diagnostic));
        }
    }
    eprintln!("nothing was run");
}

fn print_summary(detail: &SuiteDetail) {
    let results = &detail.summary.results;
    println!(
        "suite {}: {} — {} of {} passed ({} %), {}; {:.1}s",
        detail.id,
        detail.status.as_str(),
        results.passed_scenarios,
        detail.summary.test_run.total_scenarios,
        results.pass_rate_percent,
        results
            .average_recovery_time_seconds
            .map(|s| format!("average recovery {s:.1}s"))
            .unwrap_or_else(|| "no recovery time measured".to_owned()),
        detail.summary.test_run.duration_seconds
    );
    for member in &detail.members {
        println!(
            "  [{}] {} ({}) {}",
            match member.passed {
                Some(true) => "ok",
                Some(false) => "FAILED",
                None => "-",
            },
            member.scenario,
            member.status,
            member.execution_id
        );
    }
}

/// One JUnit document for the suite: each member's phases as test suites
/// (named `scenario.phase`), and a skipped case for a member that never ran.
async fn write_junit(
    context: &Context,
    remote: Option<&Remote>,
    detail: &SuiteDetail,
    path: &Path,
) -> anyhow::Result<()> {
    let mut body = String::new();
    for member in &detail.members {
        if member.passed.is_none() {
            body.push_str(&format!(
                "  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\">\n    <testcase name=\"{0}\" classname=\"{0}\"><skipped message=\"not run\"/></testcase>\n  </testsuite>\n",
                xml_attr(&member.scenario)
            ));
            continue;
        }
        let xml = super::remote::report_text(
            context,
            remote,
            &member.execution_id,
            crate::report::format::Format::Junit,
        )
        .await?;
        // Keep the member's <testsuite> elements; drop its prolog and root.
        for line in xml.lines() {
            let trimmed = line.trim_start();
            if !(trimmed.starts_with("<?xml")
                || trimmed.starts_with("<testsuites")
                || trimmed.starts_with("</testsuites"))
            {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    let results = &detail.summary.results;
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" time=\"{}\" timestamp=\"{}\">\n{body}</testsuites>\n",
        xml_attr(&format!(
            "chaos suite {} ({} of {} passed)",
            detail.id,
            results.passed_scenarios,
            detail.summary.test_run.total_scenarios
        )),
        detail.summary.test_run.duration_seconds,
        xml_attr(&detail.created_at),
    );
    std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("JUnit report: {}", path.display());
    Ok(())
}

fn xml_attr(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
