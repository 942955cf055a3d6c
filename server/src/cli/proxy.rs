//! `test-coordinator proxy`: the fault-injection proxies of the configured
//! services and their chaos API alone, until SIGINT/SIGTERM, next to the
//! services they front (docs/proxy.md). `serve` then drives them with
//! `proxy.embedded: false`. Faults whose lease runs out, because the
//! coordinator died or lost contact, are cleared here by themselves.

use std::{path::Path, process::ExitCode};

use anyhow::Context;

use crate::{
    config::{self, Overrides},
    startup::{shutdown_signal, Proxies},
    telemetry,
};

pub fn run(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<ExitCode> {
    let mut config = config::load(config_file, overrides).context("invalid configuration")?;
    telemetry::init(&config.log_level, std::io::stdout);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let stop = shutdown_signal();
        let proxies = Proxies::start(&mut config).await?.context(
            "no service has a proxy: add `proxy: {listen: IP:PORT}` to a service (docs/proxy.md)",
        )?;
        stop.await;
        proxies.shutdown().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
