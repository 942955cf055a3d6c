//! The command line: global flags, subcommands, and their exit codes.

mod serve;

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the web app and API (http://127.0.0.1:8084 by default).
    Serve(serve::ServeArgs),
}

/// Runs the parsed command line; errors become exit code 2 with their chain printed.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => {
            let overrides = Overrides {
                host: args.host.clone(),
                port: args.port,
                database: args.database.clone(),
                log_level: cli.log_level.clone(),
            };
            serve::run(cli.config.as_deref(), &overrides)
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
