//! `test-coordinator sandbox`: the sandbox ecosystem and the configured proxies, until SIGINT/SIGTERM.

use std::{net::IpAddr, path::Path, process::ExitCode};

use anyhow::Context;
use clap::Args;

use crate::{
    config::{self, Overrides},
    startup::shutdown_signal,
    telemetry,
};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address the six services listen on (e.g. 0.0.0.0 in a container).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Seed of the simulation: the same seed gives the same run.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Default time scale until a chaos request sends X-Chaos-Time-Scale.
    #[arg(long)]
    pub time_scale: Option<f64>,
}

pub fn run(
    config_file: Option<&Path>,
    overrides: &Overrides,
    args: &SandboxArgs,
) -> anyhow::Result<ExitCode> {
    let mut config = config::load(config_file, overrides).context("invalid configuration")?;
    telemetry::init(&config.log_level, std::io::stdout);
    let mut settings = crate::sandbox::sandbox_config(&config);
    settings.host = args.host;
    if let Some(seed) = args.seed {
        settings.seed = seed;
    }
    if let Some(scale) = args.time_scale {
        anyhow::ensure!(
            scale.is_finite() && scale >= 1.0,
            "--time-scale must be a number of at least 1, not {scale}"
        );
        settings.time_scale = scale;
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let running = sandbox::start(settings)
            .await
            .context("cannot start the sandbox")?;
        for (name, address) in running.services() {
            tracing::info!(service = name, %address, "sandbox service listening");
        }
        // The configured proxies too (by default market-data-proxy), as
        // `serve` runs them: what scenarios act on is all there.
        let proxies = if config.proxy.embedded {
            crate::startup::Proxies::start(&mut config).await?
        } else {
            None
        };
        shutdown_signal().await;
        if let Some(proxies) = proxies {
            proxies.shutdown().await;
        }
        running.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
