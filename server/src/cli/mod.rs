//! The command line: global flags, subcommands, and their exit codes.

mod client;
mod execute;
mod list;
mod orchestrate;
mod proxy;
mod record;
mod recover;
pub mod remote;
mod render;
mod sandbox;
mod schedule;
mod serve;
mod suite;
mod team;
mod validate;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};

use crate::config::Overrides;

/// Test Coordinator: multi-phase chaos scenarios against real services.
#[derive(Debug, Parser)]
#[command(name = "test-coordinator", version, about, propagate_version = true)]
pub struct Cli {
    /// Config file (default: ./config.yaml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log filter: error, warn, info, debug, trace, or a tracing directive.
    #[arg(long, global = true, value_name = "LEVEL")]
    log_level: Option<String>,
    /// A running coordinator to talk to (e.g. http://127.0.0.1:8084); without it,
    /// commands run here against the configured services and database.
    #[arg(long, global = true, env = "TEST_COORDINATOR_URL", value_name = "URL")]
    server: Option<String>,
    /// The API token sent as `Authorization: Bearer …` to `--server` (docs/auth.md).
    #[arg(
        long,
        global = true,
        env = "TEST_COORDINATOR_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the web app and API (http://127.0.0.1:8084 by default) and the sandbox.
    Serve(serve::ServeArgs),
    /// Run only the sandbox trading ecosystem (ports 18080-18085 by default) and the configured proxies (market-data-proxy on 18092).
    Sandbox(sandbox::SandboxArgs),
    /// Run only the fault-injection proxies of the configured services and their chaos API (docs/proxy.md).
    Proxy,
    /// Run a scenario (or a suite: --scenarios a,b,c) against the configured services; exit 1 if it fails.
    Execute(execute::ExecuteArgs),
    /// Check a scenario file; print diagnostics like a compiler; exit 1 on errors.
    Validate(validate::ValidateArgs),
    /// List the library's scenarios and templates.
    List(list::ListArgs),
    /// Render a template with parameters into a scenario.
    RenderTemplate(render::RenderArgs),
    /// Show active executions, or one execution.
    Status(remote::StatusArgs),
    /// Stop a running execution (rollback runs).
    Stop(remote::IdArgs),
    /// Print an execution's events (--follow until it ends).
    Logs(remote::LogsArgs),
    /// Planned vs actual time of every step of an execution.
    Timeline(remote::IdArgs),
    /// Figures of an execution: latencies, skew, assertions.
    Metrics(remote::IdArgs),
    /// List the configured services.
    Services(remote::JsonArgs),
    /// Check every service's health; exit 1 if any is unhealthy.
    HealthCheck(remote::JsonArgs),
    /// Clear chaos on one service or all.
    ClearChaos(remote::ClearArgs),
    /// Roll back executions whose process is gone (e.g. a killed `execute`) and mark them interrupted.
    Recover(recover::RecoverArgs),
    /// An execution's report (json, html, csv, junit), or a summary of several.
    Report(remote::ReportArgs),
    /// Schedules on a running server (--server): add, list, show, enable, disable, trigger, remove.
    Schedule(schedule::ScheduleArgs),
    /// Record chaos on a running server (--server): start, stop, status, export, list, remove.
    Record(record::RecordArgs),
    /// Replay a recording (a file or a stored id) as an execution on a running server.
    Replay(record::ReplayArgs),
    /// Orchestrations (seed 001): template, validate, and on a running server start, status, stop, import, list.
    Orchestrate(orchestrate::OrchestrateArgs),
    /// Manage accounts in the configured database (no server needed): add, list, remove.
    Users(team::UsersArgs),
    /// Manage API tokens in the configured database (no server needed): create, list, revoke.
    Tokens(team::TokensArgs),
}

impl Command {
    /// The database a command that opens it here was given (`--database`).
    fn database(&self) -> Option<PathBuf> {
        match self {
            Self::Users(args) => args.database.clone(),
            Self::Tokens(args) => args.database.clone(),
            _ => None,
        }
    }
}

/// What the commands that need no server share.
pub struct Context {
    /// The validated configuration.
    pub config: crate::config::Config,
    /// One HTTP client for everything the command calls.
    pub client: reqwest::Client,
    /// The library, read once.
    pub library: crate::library::Library,
}

impl Context {
    fn load(config_file: Option<&std::path::Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let config =
            crate::config::load(config_file, overrides).context("invalid configuration")?;
        // Commands print for people; logs go to standard error, warnings only by default.
        let level = overrides
            .log_level
            .clone()
            .unwrap_or_else(|| "warn".to_owned());
        crate::telemetry::init(&level, std::io::stderr);
        config.warn_retired();
        Ok(Self {
            library: crate::library::Library::load(&config),
            config,
            client: reqwest::Client::new(),
        })
    }

    /// The configured SQLite store, for commands that run here (without
    /// `--server`); executions whose owner is gone are named on standard error.
    async fn open_store(&self) -> anyhow::Result<crate::store::Store> {
        self.open_store_with(recover::Orphans::Warn).await
    }

    /// The configured SQLite store, after doing `orphans` says about
    /// executions whose owner is gone.
    async fn open_store_with(
        &self,
        orphans: recover::Orphans,
    ) -> anyhow::Result<crate::store::Store> {
        use anyhow::Context as _;
        let database = &self.config.database;
        let store = crate::store::Store::connect(database)
            .await
            .with_context(|| format!("cannot open {database} (or give --server URL)"))?;
        recover::notice(self, &store, orphans)
            .await
            .context("cannot recover executions whose process is gone")?;
        Ok(store)
    }
}

/// Parameters from `--params`: a YAML/JSON file when the text names one, else
/// `k=v,k=v`. Invalid parameters are printed and give `None` (exit code 2).
fn parameters(
    text: Option<&str>,
) -> anyhow::Result<Option<app::scenario::template::ParameterValues>> {
    use app::scenario::template::{parse_params_document, parse_params_kv};
    let Some(text) = text else {
        return Ok(Some(Default::default()));
    };
    let path = std::path::Path::new(text);
    let (origin, parsed) = if path.is_file() {
        let body = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {text}: {e}"))?;
        (text.to_owned(), parse_params_document(&body))
    } else {
        ("--params".to_owned(), parse_params_kv(text))
    };
    match parsed {
        Ok(values) => Ok(Some(values)),
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                eprintln!("{}", crate::prepare::format_diagnostic(&origin, diagnostic));
            }
            Ok(None)
        }
    }
}

/// The CLI's own files: the only place where a path becomes a scenario source.
/// A `template` ending in `.yaml`/`.yml` is a file; any other is a library name.
fn file_source(
    path: &std::path::Path,
    parameters: Option<app::scenario::template::ParameterValues>,
) -> anyhow::Result<crate::prepare::Source> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|error| {
        // Say where, like any other syntax error, rather than "invalid data".
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
        let byte = error.as_bytes()[valid.len()];
        anyhow::anyhow!(
            "{}:{line}:{column}: error[syntax]: the file is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8",
            path.display()
        )
    })?;
    Ok(crate::prepare::Source::Local {
        origin: path.display().to_string(),
        text,
        parameters,
    })
}

/// A template given on the command line: a file when it ends in `.yaml`/`.yml`,
/// else a library template's name.
fn template_source(
    template: String,
    parameters: app::scenario::template::ParameterValues,
) -> anyhow::Result<crate::prepare::Source> {
    if template.ends_with(".yaml") || template.ends_with(".yml") {
        file_source(std::path::Path::new(&template), Some(parameters))
    } else {
        Ok(crate::prepare::Source::Template {
            template,
            parameters,
        })
    }
}

fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    use anyhow::Context as _;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    Ok(runtime.block_on(future))
}

/// Runs the parsed command line; errors become exit code 2 with their chain printed.
pub fn run(cli: Cli) -> ExitCode {
    let token = cli.token.clone();
    let connect = move |server: &str| remote::Remote::with_token(server, token.as_deref());
    let result = match cli.command {
        Command::Serve(args) => {
            let overrides = Overrides {
                host: args.host.clone(),
                port: args.port,
                database: args.database.clone(),
                log_level: cli.log_level.clone(),
                no_sandbox: args.no_sandbox,
            };
            serve::run(cli.config.as_deref(), &overrides)
        }
        Command::Sandbox(args) => {
            let overrides = Overrides {
                log_level: cli.log_level.clone(),
                ..Overrides::default()
            };
            sandbox::run(cli.config.as_deref(), &overrides, &args)
        }
        Command::Proxy => {
            let overrides = Overrides {
                log_level: cli.log_level.clone(),
                ..Overrides::default()
            };
            proxy::run(cli.config.as_deref(), &overrides)
        }
        command => {
            let overrides = Overrides {
                log_level: cli.log_level.clone(),
                database: command.database(),
                ..Overrides::default()
            };
            match Context::load(cli.config.as_deref(), &overrides) {
                Err(error) => Err(error),
                Ok(context) => match command {
                    Command::Execute(args) => match cli.server.as_deref() {
                        Some(server) => {
                            block_on(execute::run_remote(context, connect(server), args))
                                .and_then(|r| r)
                        }
                        None => block_on(execute::run(context, args)).and_then(|r| r),
                    },
                    Command::Status(args) => block_on(remote::status(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::Stop(args) => {
                        block_on(remote::stop(cli.server.as_deref().map(&connect), args))
                            .and_then(|r| r)
                    }
                    Command::Logs(args) => block_on(remote::logs(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::Timeline(args) => block_on(remote::timeline(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::Metrics(args) => block_on(remote::metrics(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::Services(args) => block_on(remote::services(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::HealthCheck(args) => block_on(remote::health_check(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::Report(args) => block_on(remote::report(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::ClearChaos(args) => block_on(remote::clear_chaos(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::Schedule(args) => {
                        block_on(schedule::run(cli.server.as_deref().map(&connect), args))
                            .and_then(|r| r)
                    }
                    Command::Record(args) => {
                        block_on(record::record(cli.server.as_deref().map(&connect), args))
                            .and_then(|r| r)
                    }
                    Command::Replay(args) => {
                        block_on(record::replay(cli.server.as_deref().map(&connect), args))
                            .and_then(|r| r)
                    }
                    Command::Orchestrate(args) => block_on(orchestrate::run(
                        context,
                        cli.server.as_deref().map(&connect),
                        args,
                    ))
                    .and_then(|r| r),
                    Command::Recover(args) => match cli.server {
                        Some(_) => Err(anyhow::anyhow!(
                            "recover works on the local database; a server recovers its own at once"
                        )),
                        None => block_on(recover::run(context, args)).and_then(|r| r),
                    },
                    Command::Users(_) | Command::Tokens(_) if cli.server.is_some() => {
                        Err(anyhow::anyhow!(
                            "users and tokens work on the configured database here (--database FILE), \
                             with no server; for a server, leave out --server and TEST_COORDINATOR_URL \
                             and name its database, or use its API (/api/v1/users, /api/v1/tokens)"
                        ))
                    }
                    Command::Users(args) => block_on(team::users(context, args)).and_then(|r| r),
                    Command::Tokens(args) => block_on(team::tokens(context, args)).and_then(|r| r),
                    Command::Validate(args) => {
                        block_on(validate::run(context, args)).and_then(|r| r)
                    }
                    Command::List(args) => list::run(&context, &args),
                    Command::RenderTemplate(args) => {
                        block_on(render::run(context, args)).and_then(|r| r)
                    }
                    Command::Serve(_) | Command::Sandbox(_) | Command::Proxy => {
                        unreachable!("handled above")
                    }
                },
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
