//! `Application`: wiring from a validated [`Config`] to a bound, ready-to-run
//! server. Binding happens in [`Application::build`], so a test can ask for port
//! 0 and read the real port before the server runs.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use app::BUNDLE_NAME;
use axum::serve::ListenerExt;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::{
    adapters::{HttpLoad, HttpServices},
    assertions::Registry,
    config::Config,
    engine::{owner::OwnerSettings, Engine, EngineParts, EngineSettings},
    http,
    metrics::Metrics,
    service::Coordinator,
    state::AppState,
    store::Store,
};

/// A bound server with its state, not yet serving.
pub struct Application {
    listener: TcpListener,
    port: u16,
    router: axum::Router,
    store: Store,
    engine: Engine,
    coordinator: Arc<Coordinator>,
    metrics: Metrics,
    sandbox: Option<sandbox::Sandbox>,
    proxies: Option<Proxies>,
    /// [`AppState::stopping`].
    stopping: tokio_util::sync::CancellationToken,
}

/// The fault-injection proxies of the proxied services and their chaos API.
pub(crate) struct Proxies {
    set: Arc<fault_proxy::ProxySet>,
    stop: tokio_util::sync::CancellationToken,
    api: tokio::task::JoinHandle<()>,
}

impl Proxies {
    /// Starts the proxies of `config`'s proxied services and their chaos API,
    /// before the engine: the addresses they really got (port 0 in tests)
    /// are written back into `config`, which the engine and catalog read.
    pub(crate) async fn start(config: &mut Config) -> anyhow::Result<Option<Self>> {
        let specs: Vec<fault_proxy::ProxySpec> = config
            .services
            .values()
            .filter_map(|s| {
                s.proxy.as_ref().map(|p| fault_proxy::ProxySpec {
                    name: s.name.clone(),
                    listen: p.listen,
                    protocol: p.protocol,
                    upstream: p.upstream.clone(),
                })
            })
            .collect();
        if specs.is_empty() {
            return Ok(None);
        }
        let api = TcpListener::bind(config.proxy.admin)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on proxy.admin {} (the proxies' chaos API)",
                    config.proxy.admin
                )
            })?;
        let admin = api.local_addr().context("proxy.admin has no address")?;
        let lease = fault_proxy::LeasePolicy {
            engine_ttl: config.proxy.lease,
            manual_ttl: config.proxy.manual_lease,
        };
        let set = fault_proxy::ProxySet::start(specs, lease)
            .await
            .context("cannot start the fault-injection proxies")?
            .require_token(config.proxy.token.clone());
        let admin_url: reqwest::Url = format!("http://{admin}").parse()?;
        for service in config.services.values_mut() {
            if let Some(proxy) = service.proxy.as_mut() {
                proxy.listen = set.address(&service.name).unwrap_or(proxy.listen);
                proxy.admin = admin_url.clone();
                service.url = format!("http://{}", proxy.listen).parse()?;
                tracing::info!(service = %service.name, listen = %proxy.listen, upstream = %proxy.upstream, "proxy listening");
            }
        }
        config.proxy.admin = admin;
        tracing::info!(%admin, "the proxies' chaos API is listening");
        let set = Arc::new(set);
        let stop = tokio_util::sync::CancellationToken::new();
        let router = set.clone().router();
        let api = tokio::spawn({
            let stop = stop.clone();
            async move {
                let _ = axum::serve(api, router)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await;
            }
        });
        Ok(Some(Self { set, stop, api }))
    }

    /// Stops the chaos API, then the proxies.
    pub(crate) async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.api.await;
        if let Ok(set) = Arc::try_unwrap(self.set) {
            set.shutdown().await;
        }
    }
}

/// The engine over `config`'s services and `store`, as `serve` and `execute`
/// use it; `command` names the process in its lease (`serve`, `execute`, …).
pub fn build_engine(config: &Config, store: &Store, command: &str) -> Engine {
    let services =
        HttpServices::new(config.services.clone()).renewing_every(config.proxy.renew_every);
    let registry = Registry::new(
        services.client().clone(),
        config.services.clone(),
        config.prometheus.clone(),
        config.custom_assertions.clone(),
    );
    let settings = EngineSettings {
        max_concurrent: config.execution.max_concurrent,
        default_timeout: config.execution.default_timeout,
        poll_interval: config.execution.assertion_poll_interval,
        min_real_poll: std::time::Duration::from_millis(5),
        rollback_on_failure: config.execution.enable_rollback_on_failure && config.rollback.enabled,
        default_rollback_services: config
            .services
            .values()
            .filter(|s| s.chaos_api_path.is_some())
            .map(|s| s.name.clone())
            .collect(),
        notify_on_rollback: config.rollback.notify_on_rollback,
        rollback_timeout: config.rollback.timeout,
        owner: OwnerSettings {
            command: command.to_owned(),
            host: host_name(),
            lease: config.execution.owner_lease,
            heartbeat: config.execution.owner_heartbeat,
        },
        precise_timing: true,
        shared_queue: command == "serve" && store.backend() == crate::store::Backend::Postgres,
    };
    let load = HttpLoad::new(config.services.clone());
    Engine::start(EngineParts {
        journal: Arc::new(store.clone()),
        services: Arc::new(services),
        assertions: Arc::new(registry),
        load: Arc::new(load),
        settings,
    })
}

/// `auth.mode: local` makes every request the local OS user, as admin: on an
/// address others can reach, the server refuses to start and says how to
/// turn sign-in on (docs/auth.md).
fn refuse_local_mode_off_loopback(config: &Config) -> anyhow::Result<()> {
    if config.auth.mode != app::api::auth::AuthMode::Local || config.listen.ip().is_loopback() {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to start: auth.mode is local (no sign-in; every request acts as the local OS user, as admin) \
         but the server listens on {}, which is not a loopback address. To share the server, turn sign-in on: \
         set TEST_COORDINATOR_AUTH_MODE=users (or `auth: {{mode: users}}` in the config file), then create the \
         first admin with `test-coordinator users add NAME --role admin` (on this machine, against the same \
         database; no server needed), or use the bootstrap token the server \
         prints at its first start in users mode. Or listen on 127.0.0.1 to keep local mode (docs/auth.md).",
        config.listen
    )
}

/// In `users` mode with no admin yet: prints a new bootstrap token, once, to
/// stderr (never to the log), with what to do with it.
async fn announce_bootstrap_token(
    coordinator: &Coordinator,
    local: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let token = coordinator
        .ensure_bootstrap_token()
        .await
        .map_err(|error| anyhow::anyhow!("cannot make the bootstrap token: {}", error.message))?;
    if let Some(token) = token {
        eprintln!(
            "\nNo admin account exists yet. Bootstrap token (admin; shown this once; it stops working \
             when the first admin is created):\n\n    {token}\n\nCreate the first admin with it:\n\n    \
             curl -X POST http://{local}/api/v1/users -H 'Authorization: Bearer {token}' \
             -H 'Content-Type: application/json' -d '{{\"name\":\"admin\",\"role\":\"admin\",\"password\":\"<12+ characters>\"}}'\n\n\
             or, on this machine, from the command line (it prints a generated password once):\n\n    \
             test-coordinator users add NAME --role admin --database {}\n",
            coordinator.config.database
        );
    }
    Ok(())
}

impl Application {
    /// Opens (and migrates) the database, binds the listener and builds the router.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_routes(config, axum::Router::new()).await
    }

    /// [`Application::build`] with `extra` routes behind every layer of the
    /// router (tests add a deliberately panicking route; the binary never does).
    pub async fn build_with_routes(
        mut config: Config,
        extra: axum::Router<AppState>,
    ) -> anyhow::Result<Self> {
        refuse_local_mode_off_loopback(&config)?;
        let store = Store::connect(&config.database)
            .await
            .with_context(|| format!("cannot start with database {}", config.database))?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {} (is another coordinator running? set TEST_COORDINATOR_PORT or --port)", config.listen))?;
        let local = listener
            .local_addr()
            .context("listener has no local address")?;
        let sandbox = if config.sandbox.enabled {
            Some(crate::sandbox::start(&config).await?)
        } else {
            None
        };
        // With `proxy.embedded: false`, a `test-coordinator proxy` runs them.
        let proxies = if config.proxy.embedded {
            Proxies::start(&mut config).await?
        } else {
            None
        };
        let engine = build_engine(&config, &store, "serve");
        // In the background, each in its own task: serving never waits for a
        // rollback, and a live run of another process (a CLI `execute` on the
        // same database) is left alone while its owner renews its lease.
        // Those that asked for `on_owner_loss: resume` go on here.
        engine.watch_and_resume_orphans();
        let suites = store
            .mark_unfinished_suites_interrupted()
            .await
            .context("cannot end suites a previous run left unfinished")?;
        if suites > 0 {
            tracing::warn!(
                suites,
                "suites left unfinished by a previous run are interrupted"
            );
        }
        let lost = store
            .settle_interrupted_firings()
            .await
            .context("cannot settle the scheduled firings a previous run left claimed")?;
        if lost > 0 {
            tracing::warn!(
                lost,
                "scheduled firings claimed by a previous run were never submitted; recorded as failed"
            );
        }
        let recordings = store
            .end_interrupted_recordings()
            .await
            .context("cannot end the recordings a previous run left capturing")?;
        if recordings > 0 {
            tracing::warn!(
                recordings,
                "a recording a previous run left capturing is interrupted at its last event"
            );
        }
        let leptos_options = LeptosOptions::builder()
            .output_name(BUNDLE_NAME)
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir(http::bundle::pkg_dir(&config.site_root))
            .site_addr(local)
            .build();
        let replica = (store.backend() == crate::store::Backend::Postgres)
            .then(|| engine.owner().id.to_string());
        let metrics = Metrics::with_proxies(proxies.as_ref().map(|p| p.set.metrics()), replica);
        spawn_metrics_feed(&engine, metrics.clone());
        spawn_retention(store.clone(), config.reporting.retention_days);
        let config = Arc::new(config);
        let coordinator = Arc::new(Coordinator::new(
            config.clone(),
            store.clone(),
            engine.clone(),
        ));
        let state = AppState {
            leptos_options,
            config,
            engine: engine.clone(),
            store: store.clone(),
            metrics,
            openapi: Arc::new(http::openapi()),
            backend: coordinator.clone(),
            coordinator: coordinator.clone(),
            stopping: tokio_util::sync::CancellationToken::new(),
        };
        let stopping = state.stopping.clone();
        let metrics = state.metrics.clone();
        if let crate::store::Database::Postgres(url) = &coordinator.config.database {
            crate::cluster::spawn(url.clone(), store.clone(), engine.clone(), stopping.clone());
            engine.serve_shared_queue();
        }
        if let Some(port) = std::env::var_os("TEST_COORDINATOR_GRPC_PORT") {
            tracing::warn!(
                ?port,
                "TEST_COORDINATOR_GRPC_PORT is ignored: gRPC is served on the HTTP port, {local} (docs/grpc.md)"
            );
        }
        if coordinator.config.auth.mode == app::api::auth::AuthMode::Users {
            announce_bootstrap_token(&coordinator, local).await?;
        }
        Ok(Self {
            listener,
            port: local.port(),
            router: http::router(state, local, extra),
            store,
            engine,
            coordinator,
            metrics,
            sandbox,
            proxies,
            stopping,
        })
    }

    /// The use cases this application serves (tests make users and tokens with it).
    pub fn coordinator(&self) -> Arc<Coordinator> {
        self.coordinator.clone()
    }

    /// The port actually bound (useful when the config asked for 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The engine, for tests and the CLI.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Serves until `shutdown` completes; then running executions roll back and
    /// end `interrupted`, in-flight requests finish, the sandbox stops and the
    /// database is closed.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(
            port = self.port,
            "serving on http://{}",
            self.listener.local_addr()?
        );
        let engine = self.engine.clone();
        let suites = self.coordinator.suites.clone();
        let schedules = self.coordinator.schedules.clone();
        let coordinator = self.coordinator.clone();
        let stopping = self.stopping.clone();
        schedules.start(self.coordinator.clone(), self.metrics.clone());
        // Without TCP_NODELAY an HTTP/2 answer (headers, data, trailers: several
        // small writes) waits on the client's delayed ACK: 44 ms per gRPC call
        // instead of 0.6 ms (`cargo bench --bench grpc`, docs/grpc.md).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY on a connection");
            }
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            // The scheduler and suites first, so that nothing submits an
            // execution the engine would then wait for.
            schedules.shutdown().await;
            suites.shutdown().await;
            engine.shutdown().await;
            // After the rollbacks, so that their clears are in it; what it
            // captured is written, and it ends `interrupted`.
            coordinator.interrupt_recording().await;
            // Last: the streams that never end by themselves.
            stopping.cancel();
        })
        .await
        .context("server failed")?;
        // After the engine's shutdown: its rollbacks cleared the proxied
        // faults through the proxies' chaos API.
        if let Some(proxies) = self.proxies {
            proxies.shutdown().await;
        }
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// This machine's name, for people reading who owns an execution.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// How often `serve` deletes what `reporting.retention_days` no longer keeps.
const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// `reporting.retention_days` (`REPORT_RETENTION_DAYS`): at start and then every
/// hour, deletes executions (with their events, and so their reports) that
/// finished more than that many days ago. `0` keeps everything.
fn spawn_retention(store: Store, days: u32) {
    if days == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut every = tokio::time::interval(RETENTION_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match store.delete_finished_before(days).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(
                    deleted,
                    days,
                    "old executions deleted (reporting.retention_days)"
                ),
                Err(error) => tracing::warn!(%error, "cannot delete old executions"),
            }
        }
    });
}

/// Feeds every recorded event into the engine metrics; ends with the engine.
fn spawn_metrics_feed(engine: &Engine, metrics: Metrics) {
    // Its own runs only: on replicas, each counts what it ran.
    let mut events = engine.subscribe_local();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => metrics.observe_event(&event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "metrics missed events under load");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when it
/// is *called*, not when the future is first polled: `serve` calls it before
/// binding, so a SIGTERM that arrives while the server starts (its port already
/// open) stops it gracefully instead of killing the process. Must be called
/// inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        async fn received(signal: std::io::Result<Signal>, name: &'static str) {
            match signal {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot listen for {name}");
                    std::future::pending::<()>().await;
                }
            }
        }
        let interrupt = received(signal(SignalKind::interrupt()), "SIGINT");
        let terminate = received(signal(SignalKind::terminate()), "SIGTERM");
        async move {
            tokio::select! {
                () = interrupt => tracing::info!("SIGINT received, shutting down"),
                () = terminate => tracing::info!("SIGTERM received, shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("Ctrl-C received, shutting down");
    }
}
