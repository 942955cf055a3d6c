//! `test-coordinator serve`.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use clap::Args;

use crate::{
    config::{self, Overrides},
    startup::{shutdown_signal, Application},
    telemetry,
};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides TEST_COORDINATOR_HOST).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on (overrides TEST_COORDINATOR_PORT).
    #[arg(long)]
    pub port: Option<u16>,
    /// SQLite file, created if missing (overrides TEST_COORDINATOR_DATABASE).
    #[arg(long, value_name = "FILE")]
    pub database: Option<PathBuf>,
    /// Do not start the embedded sandbox ecosystem (overrides SANDBOX_ENABLED).
    #[arg(long)]
    pub no_sandbox: bool,
}

pub fn run(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<ExitCode> {
    let config = config::load(config_file, overrides).context("invalid configuration")?;
    telemetry::init(&config.log_level, std::io::stdout);
    config.warn_retired();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Listening for signals before the port opens (see `shutdown_signal`).
        let stop = shutdown_signal();
        let app = Application::build(config).await?;
        app.run_until_stopped(stop).await
    })?;
    Ok(ExitCode::SUCCESS)
}
