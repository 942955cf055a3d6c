//! `test-coordinator orchestrate start|status|stop|validate|template|import|list`
//! (issue 19, seed 001): orchestrations from a terminal.
//!
//! `template` and `validate` work here with no server (`validate` checks
//! against this config's services and library; with `--server` it asks the
//! server, which also knows its uploaded scenarios). The others talk to a
//! running `serve`: a run is driven there, as a suite of its steps. Files are
//! read here and sent as text; the server never reads a path.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::{bail, Context as _};
use app::api::{
    orchestration::{
        OrchestrationCheck, OrchestrationChecked, OrchestrationImport, OrchestrationList,
        OrchestrationSaved, OrchestrationStart,
    },
    suite::{SuiteAccepted, SuiteDetail},
};
use app::orchestration::{template_yaml, validate_orchestration, Known};
use clap::{Args, Subcommand};

use super::{
    client::{print, segment},
    remote::{JsonArgs, Remote},
    Context,
};
use crate::prepare::format_diagnostic;

/// `orchestrate …`.
#[derive(Debug, Args)]
pub struct OrchestrateArgs {
    #[command(subcommand)]
    command: OrchestrateCommand,
}

#[derive(Debug, Subcommand)]
enum OrchestrateCommand {
    /// Run an orchestration file (or a stored one by id) on the server.
    Start(StartArgs),
    /// A run's steps and summary (default: the run under way, else the newest).
    Status(RunArgs),
    /// Stop a run: running steps stop with rollback (default: the run under way).
    Stop(RunArgs),
    /// Check a file; print diagnostics like a compiler; exit 1 on errors.
    Validate(ValidateArgs),
    /// Print (or write) a commented starting document.
    Template(TemplateArgs),
    /// Store a file on the server as its `name`'s next version.
    Import(FileArgs),
    /// The server's stored orchestrations.
    List(JsonArgs),
}

#[derive(Debug, Args)]
// `--version` is the orchestration's version here, not the program's.
#[command(disable_version_flag = true)]
struct StartArgs {
    /// The orchestration file (YAML or JSON).
    #[arg(long, value_name = "FILE", conflicts_with = "id")]
    file: Option<PathBuf>,
    /// A stored orchestration's id instead of a file.
    #[arg(long)]
    id: Option<String>,
    /// With --id: that version (default: the latest).
    #[arg(long, requires = "id")]
    version: Option<i64>,
    /// Time scale of every step, its delays and its time box.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Call nothing; record each step's planned timeline.
    #[arg(long)]
    dry_run: bool,
    /// Follow the run until it ends; exit 0 if it completed, 1 if not.
    #[arg(long)]
    wait: bool,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The run's id (as `start` prints it).
    run_id: Option<String>,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// The orchestration file (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// Print the diagnostics as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct TemplateArgs {
    /// Write it here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct FileArgs {
    /// The orchestration file (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// Print the server's JSON answer.
    #[arg(long)]
    json: bool,
}

fn read(file: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

fn needs_server(server: Option<Remote>, verb: &str) -> anyhow::Result<Remote> {
    match server {
        Some(remote) => Ok(remote),
        None => bail!(
            "orchestrate {verb} needs --server URL (or TEST_COORDINATOR_URL): \
             orchestrations run on a running `test-coordinator serve`"
        ),
    }
}

/// One line per member, then the summary.
fn print_run(run: &SuiteDetail) {
    let name = run
        .orchestration
        .as_ref()
        .map_or("suite", |o| o.name.as_str());
    println!("{name} run {}: {}", run.id, run.status.as_str());
    for member in &run.members {
        let outcome = member
            .outcome
            .map(|o| format!(" ({})", o.as_str()))
            .unwrap_or_default();
        let passed = match member.passed {
            Some(true) => " passed",
            Some(false) => " did not pass",
            None => "",
        };
        println!(
            "  {}#{} {} [{}] {}{outcome}{passed}",
            member.step.as_deref().unwrap_or("member"),
            member.iteration.unwrap_or(1),
            member.scenario,
            member.execution_id,
            member.status,
        );
    }
    let r = &run.summary.results;
    println!(
        "  {} passed, {} failed, {} skipped, {} pending",
        r.passed_scenarios, r.failed_scenarios, r.skipped_scenarios, r.pending_scenarios
    );
}

/// Runs `orchestrate …`.
pub async fn run(
    context: Context,
    server: Option<Remote>,
    args: OrchestrateArgs,
) -> anyhow::Result<ExitCode> {
    match args.command {
        OrchestrateCommand::Template(args) => {
            match args.output {
                Some(file) => {
                    std::fs::write(&file, template_yaml())
                        .with_context(|| format!("cannot write {}", file.display()))?;
                    eprintln!("wrote {}", file.display());
                }
                None => print!("{}", template_yaml()),
            }
            Ok(ExitCode::SUCCESS)
        }
        OrchestrateCommand::Validate(args) => validate(context, server, args).await,
        OrchestrateCommand::Import(args) => {
            let remote = needs_server(server, "import")?;
            let request = OrchestrationImport {
                content: read(&args.file)?,
                format: None,
            };
            let saved: OrchestrationSaved =
                remote.post_json("/api/v1/orchestrations", &request).await?;
            print(args.json, &saved, || {
                let what = if saved.unchanged {
                    "unchanged"
                } else {
                    "stored"
                };
                println!(
                    "orchestration {} {what} as version {}",
                    saved.id, saved.version
                )
            })
        }
        OrchestrateCommand::List(args) => {
            let remote = needs_server(server, "list")?;
            let list: OrchestrationList = remote.get_json("/api/v1/orchestrations").await?;
            print(args.json, &list, || {
                for o in &list.orchestrations {
                    let last = o.last_run.as_ref().map_or("never run".to_owned(), |r| {
                        format!("last run {}", r.status.as_str())
                    });
                    println!("{} v{}: {} steps, {last}", o.id, o.version, o.steps.len());
                }
            })
        }
        OrchestrateCommand::Status(args) => {
            let remote = needs_server(server, "status")?;
            let run: SuiteDetail = remote
                .get_json(&status_path(args.run_id.as_deref()))
                .await?;
            print(args.json, &run, || print_run(&run))
        }
        OrchestrateCommand::Stop(args) => {
            let remote = needs_server(server, "stop")?;
            let path = match &args.run_id {
                Some(id) => format!("/api/chaos/orchestration/stop?run_id={}", segment(id)),
                None => "/api/chaos/orchestration/stop".to_owned(),
            };
            let run: SuiteDetail = remote.post_json(&path, &serde_json::Map::new()).await?;
            print(args.json, &run, || print_run(&run))
        }
        OrchestrateCommand::Start(args) => start(server, args).await,
    }
}

fn status_path(run_id: Option<&str>) -> String {
    match run_id {
        Some(id) => format!("/api/chaos/orchestration/status?run_id={}", segment(id)),
        None => "/api/chaos/orchestration/status".to_owned(),
    }
}

async fn validate(
    context: Context,
    server: Option<Remote>,
    args: ValidateArgs,
) -> anyhow::Result<ExitCode> {
    let text = read(&args.file)?;
    let checked = match server {
        Some(remote) => {
            remote
                .post_json::<_, OrchestrationChecked>(
                    "/api/v1/orchestrations/validate",
                    &OrchestrationCheck { content: text },
                )
                .await?
        }
        None => {
            let catalog = crate::catalog::offline(&context.config);
            let (mut library, mut templates) = (Default::default(), Default::default());
            for file in context.library.files() {
                let names: &mut std::collections::BTreeSet<String> = if file.kind == "Template" {
                    &mut templates
                } else {
                    &mut library
                };
                names.insert(file.name.clone());
            }
            let validation = validate_orchestration(
                &text,
                &Known {
                    catalog: &catalog,
                    library: &library,
                    uploaded: &Default::default(),
                    templates: &templates,
                },
            );
            OrchestrationChecked {
                valid: validation.orchestration.is_some(),
                diagnostics: validation.diagnostics,
                orchestration: validation.orchestration,
            }
        }
    };
    let origin = args.file.display().to_string();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&checked)?);
    } else {
        for diagnostic in &checked.diagnostics {
            eprintln!("{}", format_diagnostic(&origin, diagnostic));
        }
        match &checked.orchestration {
            Some(o) => println!(
                "{origin}: valid ({} steps × {} iterations, {} warnings)",
                o.steps.len(),
                o.iterations(),
                checked.diagnostics.len()
            ),
            None => eprintln!("{origin}: invalid ({} problems)", checked.diagnostics.len()),
        }
    }
    Ok(if checked.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn start(server: Option<Remote>, args: StartArgs) -> anyhow::Result<ExitCode> {
    let remote = needs_server(server, "start")?;
    let request = match (&args.file, &args.id) {
        (Some(file), None) => OrchestrationStart {
            content: Some(read(file)?),
            speed: args.speed,
            dry_run: args.dry_run,
            ..OrchestrationStart::default()
        },
        (None, Some(id)) => OrchestrationStart {
            id: Some(id.clone()),
            version: args.version,
            speed: args.speed,
            dry_run: args.dry_run,
            ..OrchestrationStart::default()
        },
        _ => bail!("give --file FILE or --id ID"),
    };
    let accepted: SuiteAccepted = remote
        .post_json("/api/chaos/orchestration/start", &request)
        .await?;
    print(args.json && !args.wait, &accepted, || {
        println!(
            "orchestration {} started as run {} ({} steps to run)",
            accepted
                .orchestration
                .as_ref()
                .map_or("", |o| o.name.as_str()),
            accepted.suite_id,
            accepted.members.len()
        )
    })?;
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    // Follow by polling: a line whenever a member's state changes.
    let mut seen: Vec<String> = Vec::new();
    let path = format!("/api/v1/suites/{}", segment(&accepted.suite_id));
    let run = loop {
        let run: SuiteDetail = remote.get_json(&path).await?;
        for (i, member) in run.members.iter().enumerate() {
            let state = format!("{}{:?}", member.status, member.outcome);
            if seen.get(i) != Some(&state) {
                if !args.json {
                    println!(
                        "{}#{}: {}",
                        member.step.as_deref().unwrap_or("member"),
                        member.iteration.unwrap_or(1),
                        member.status
                    );
                }
                if i < seen.len() {
                    seen[i] = state;
                } else {
                    seen.push(state);
                }
            }
        }
        if run.status.is_finished() {
            break run;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        print_run(&run);
    }
    Ok(if run.status == app::api::suite::SuiteStatus::Completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
