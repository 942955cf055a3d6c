//! The sandbox trading ecosystem (DESIGN.md §6): exchange, custodian, market
//! data, trading engine, risk monitor and audit correlator as six real HTTP
//! services over one deterministic, seeded simulation.
//!
//! [`start`] binds the six listeners, then runs the simulation ticker and
//! the servers until [`Sandbox::shutdown`]. Sim time advances at the time
//! scale × real time (`X-Chaos-Time-Scale` on any request sets the scale);
//! all durations, latencies and rates are in sim time. docs/sandbox.md is
//! the contract: every endpoint, action and field.
//!
//! # Layout
//!
//! - [`service`]: the six service names.
//! - [`clock`]: the simulation clock (sim time, scale, wall-clock stamps).
//! - [`rng`]: the seeded random streams.
//! - [`window`]: bounded sample windows, percentiles and rates.
//! - [`schema`]: parameter schemas and request validation.
//! - [`catalog`]: the chaos actions of each service with their schemas.
//! - [`chaos`]: active chaos entries and their typed effects.
//! - [`market_data`]: prices, the random walk and market chaos.
//! - [`exchange`]: books, orders, fills and order statistics.
//! - [`trading`]: strategies, their figures, adaptation and baselines.
//! - [`custodian`]: balances and the settlement queue.
//! - [`risk`]: alert rules and the alert book.
//! - [`audit`]: the audit trail with correlation ids.
//! - [`world`]: everything together, stepped by the ticker; the availability gate.
//! - [`http`]: the routers (health, chaos API, observation APIs).

pub mod audit;
pub mod catalog;
pub mod chaos;
pub mod clock;
pub mod custodian;
pub mod exchange;
pub mod http;
pub mod market_data;
pub mod risk;
pub mod rng;
pub mod schema;
pub mod service;
pub mod trading;
pub mod window;
pub mod world;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use service::Service;
pub use world::World;

/// Real time between two simulation ticks.
const TICK: Duration = Duration::from_millis(10);
/// Longest real gap one tick accounts for (after a stall, sim time skips less).
const MAX_TICK_GAP: Duration = Duration::from_millis(500);

/// The listening port of each service (0 = any free port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// exchange-simulator (default 18080).
    pub exchange_simulator: u16,
    /// custodian-simulator (default 18081).
    pub custodian_simulator: u16,
    /// market-data-simulator (default 18082).
    pub market_data_simulator: u16,
    /// trading-engine (default 18083).
    pub trading_engine: u16,
    /// risk-monitor (default 18084).
    pub risk_monitor: u16,
    /// audit-correlator (default 18085).
    pub audit_correlator: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            exchange_simulator: 18080,
            custodian_simulator: 18081,
            market_data_simulator: 18082,
            trading_engine: 18083,
            risk_monitor: 18084,
            audit_correlator: 18085,
        }
    }
}

impl Ports {
    /// Every port 0: each service binds any free port (tests).
    pub fn any() -> Self {
        Ports {
            exchange_simulator: 0,
            custodian_simulator: 0,
            market_data_simulator: 0,
            trading_engine: 0,
            risk_monitor: 0,
            audit_correlator: 0,
        }
    }

    /// The port configured for `service`.
    pub fn of(&self, service: Service) -> u16 {
        match service {
            Service::ExchangeSimulator => self.exchange_simulator,
            Service::CustodianSimulator => self.custodian_simulator,
            Service::MarketDataSimulator => self.market_data_simulator,
            Service::TradingEngine => self.trading_engine,
            Service::RiskMonitor => self.risk_monitor,
            Service::AuditCorrelator => self.audit_correlator,
        }
    }
}

/// How to run the sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address every listener binds.
    pub host: IpAddr,
    /// Port of each service.
    pub ports: Ports,
    /// Seed of every random stream: the same seed gives the same run.
    pub seed: u64,
    /// Initial time scale (sim seconds per real second, ≥ 1).
    pub time_scale: f64,
    /// Instance name reported by `/health`.
    pub instance: String,
    /// Environment reported by `/health`.
    pub environment: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: Ports::default(),
            seed: 42,
            time_scale: 1.0,
            instance: "sandbox".into(),
            environment: "development".into(),
        }
    }
}

/// Why the sandbox could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A listener could not bind its address.
    #[error("{service} could not listen on {addr}: {source}")]
    Bind {
        /// The service.
        service: &'static str,
        /// The address tried.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The time scale is not a number in `[1, 1e6]`.
    #[error("invalid time scale {0}: use a number from 1 to 1000000")]
    InvalidTimeScale(f64),
}

/// A running sandbox; drop it only after [`Sandbox::shutdown`] (dropping
/// also signals shutdown, but does not wait for the tasks).
#[derive(Debug)]
pub struct Sandbox {
    services: Vec<(&'static str, SocketAddr)>,
    shared: Arc<http::Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Sandbox {
    /// Each service's name and bound address, in the order of [`Service::ALL`].
    pub fn services(&self) -> Vec<(&'static str, SocketAddr)> {
        self.services.clone()
    }

    /// The bound address of `service`.
    pub fn addr(&self, service: Service) -> SocketAddr {
        let i = Service::ALL.iter().position(|s| *s == service).unwrap_or(0);
        self.services[i].1
    }

    /// Current sim time in seconds since start.
    pub fn sim_time(&self) -> f64 {
        self.shared.world().clock.now()
    }

    /// Runs `f` on the world under its lock (tests and embedding).
    pub fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.shared.world())
    }

    /// Stops the ticker and the servers gracefully and waits for them.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in std::mem::take(&mut self.tasks) {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "sandbox task ended abnormally");
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Binds the six listeners, then spawns the simulation ticker and the servers.
pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
    if !(config.time_scale.is_finite() && (1.0..=clock::MAX_SCALE).contains(&config.time_scale)) {
        return Err(SandboxError::InvalidTimeScale(config.time_scale));
    }
    let mut listeners = Vec::new();
    for service in Service::ALL {
        let addr = SocketAddr::new(config.host, config.ports.of(service));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind {
                service: service.name(),
                addr,
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| SandboxError::Bind {
            service: service.name(),
            addr,
            source,
        })?;
        listeners.push((service, bound, listener));
    }

    let (tx, rx) = watch::channel(false);
    let shared = Arc::new(http::Shared {
        world: Mutex::new(World::new(config.seed, config.time_scale)),
        instance: config.instance.clone(),
        environment: config.environment.clone(),
        shutdown: rx,
    });

    let mut tasks = vec![tokio::spawn(run_ticker(shared.clone()))];
    let mut services = Vec::new();
    for (service, addr, listener) in listeners {
        services.push((service.name(), addr));
        let app = http::router(service, shared.clone());
        let mut stop = shared.shutdown.clone();
        tasks.push(tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(service = %service, error = %e, "sandbox service stopped with an error");
            }
        }));
        tracing::info!(service = %service, %addr, "sandbox service listening");
    }
    Ok(Sandbox {
        services,
        shared,
        shutdown: tx,
        tasks,
    })
}

/// Advances the world every `TICK` by scale × the real time elapsed.
async fn run_ticker(shared: Arc<http::Shared>) {
    let mut shutdown = shared.shutdown.clone();
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.wait_for(|s| *s) => break,
        }
        let now = tokio::time::Instant::now();
        let real = now.duration_since(last).min(MAX_TICK_GAP);
        last = now;
        let mut world = shared.world();
        let sim_dt = real.as_secs_f64() * world.clock.scale();
        world.advance(sim_dt);
    }
}
