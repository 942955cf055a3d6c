//! Starting the embedded sandbox ecosystem on the addresses the configuration
//! gives its six services, so the coordinator and the sandbox agree by
//! construction.

use std::net::{IpAddr, Ipv4Addr};

use anyhow::Context;

use crate::config::{Config, SANDBOX_SERVICES};

/// The sandbox's settings from the coordinator's config: each service's port
/// from its configured URL when that URL is on this machine, else its default.
pub fn sandbox_config(config: &Config) -> sandbox::SandboxConfig {
    let port = |name: &str, default: u16| {
        let service = config.services.get(name);
        match service.and_then(|s| s.proxy.as_ref()) {
            // Behind a proxy, the sandbox service listens at the upstream.
            Some(proxy) => proxy
                .upstream
                .rsplit_once(':')
                .and_then(|(_, port)| port.parse().ok()),
            None => service
                .filter(|s| matches!(s.url.host_str(), Some("127.0.0.1" | "localhost")))
                .and_then(|s| s.url.port()),
        }
        .unwrap_or(default)
    };
    let defaults: std::collections::HashMap<&str, u16> = SANDBOX_SERVICES.into_iter().collect();
    sandbox::SandboxConfig {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        ports: sandbox::Ports {
            exchange_simulator: port("exchange-simulator", defaults["exchange-simulator"]),
            custodian_simulator: port("custodian-simulator", defaults["custodian-simulator"]),
            market_data_simulator: port("market-data-simulator", defaults["market-data-simulator"]),
            trading_engine: port("trading-engine", defaults["trading-engine"]),
            risk_monitor: port("risk-monitor", defaults["risk-monitor"]),
            audit_correlator: port("audit-correlator", defaults["audit-correlator"]),
        },
        seed: config.sandbox.seed,
        time_scale: config.sandbox.time_scale,
        instance: format!("{}-sandbox", config.instance),
        environment: config.environment.clone(),
    }
}

/// Starts the sandbox and logs where each service listens.
pub async fn start(config: &Config) -> anyhow::Result<sandbox::Sandbox> {
    let running = sandbox::start(sandbox_config(config)).await.context(
        "cannot start the sandbox ecosystem (run with --no-sandbox to serve without it)",
    )?;
    for (name, address) in running.services() {
        tracing::info!(service = name, %address, "sandbox service listening");
    }
    Ok(running)
}
