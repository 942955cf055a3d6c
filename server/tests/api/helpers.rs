use std::path::PathBuf;

use server::{
    config::{Overrides, Settings},
    startup::Application,
};
use tokio::sync::oneshot;

/// A running application on a free port with a temporary database.
pub struct TestApp {
    pub base: String,
    pub engine: server::engine::Engine,
    /// The use cases the server calls (the same instance; teams_access reads it).
    #[allow(dead_code)]
    pub coordinator: std::sync::Arc<server::service::Coordinator>,
    pub config: server::config::Config,
    pub client: reqwest::Client,
    pub database: PathBuf,
    dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// Starts the app as `serve` would, but on port 0 and a fresh database.
/// `TEST_LOG=1` shows its logs.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default()).await
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    spawn_app_with_routes(settings, axum::Router::new()).await
}

/// [`spawn_app_with`] plus `extra` routes behind all of the router's layers.
pub async fn spawn_app_with_routes(
    mut settings: Settings,
    extra: axum::Router<server::state::AppState>,
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        server::telemetry::init("debug", std::io::stdout);
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    // A test may bring its own database (to restart on it); others get a fresh one.
    let database =
        if settings.test_coordinator.database == Settings::default().test_coordinator.database {
            fresh_database(dir.path()).await
        } else {
            settings.test_coordinator.database.clone()
        };
    settings.test_coordinator.instance = "test-coordinator-it".into();
    settings.test_coordinator.environment = "test".into();
    // Tests run from server/: the library and site are one level up.
    settings.scenarios.library_path = "../scenarios".into();
    settings.scenarios.templates_path = "../scenarios/templates".into();
    // A test may bring its own site (the bundle's serving); others get the dev build.
    if settings.test_coordinator.site_root == Settings::default().test_coordinator.site_root {
        settings.test_coordinator.site_root = "../target/site-dev".into();
    }
    // Tests that need the sandbox start one on free ports (spawn_app_with_sandbox).
    settings.sandbox.enabled = false;
    // Proxies (the default market-data-proxy among them) on free ports too.
    settings.proxy.admin = "127.0.0.1:0".into();
    for service in settings.services.values_mut() {
        if let Some(proxy) = service.proxy.as_mut() {
            proxy.listen = "127.0.0.1:0".into();
        }
    }
    settings.apply_overrides(&Overrides {
        port: Some(0),
        database: Some(database.clone()),
        ..Overrides::default()
    });
    let config = settings.validate().expect("valid test config");
    let app = Application::build_with_routes(config.clone(), extra)
        .await
        .expect("application builds");
    let engine = app.engine().clone();
    let coordinator = app.coordinator();
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        engine,
        coordinator,
        config,
        client: reqwest::Client::new(),
        database,
        dir,
        stop: Some(stop),
        task: Some(task),
    }
}

/// A fresh database for one app: an SQLite file in `dir`, or, when the store
/// is under test on PostgreSQL (`TEST_COORDINATOR_STORE_BACKEND=postgres`,
/// scripts/test.sh), a fresh database on the server of
/// `TEST_COORDINATOR_PG_ADMIN_URL`, named by its URL.
pub async fn fresh_database(dir: &std::path::Path) -> PathBuf {
    if std::env::var("TEST_COORDINATOR_STORE_BACKEND").as_deref() != Ok("postgres") {
        return dir.join("coordinator.db");
    }
    let admin = std::env::var("TEST_COORDINATOR_PG_ADMIN_URL")
        .expect("TEST_COORDINATOR_STORE_BACKEND=postgres needs TEST_COORDINATOR_PG_ADMIN_URL (scripts/pg-throwaway.sh run -- …)");
    match server::store::testing::scratch_database(&admin, "tc_it").await {
        server::store::Database::Postgres(url) => PathBuf::from(url.secret()),
        sqlite => panic!("not a PostgreSQL database: {sqlite}"),
    }
}

/// Opens the store of an app's `database` (a file or a URL) beside it.
#[allow(dead_code)]
pub async fn open_store(database: &std::path::Path) -> server::store::Store {
    let database = server::store::Database::from_setting(database).expect("a database");
    server::store::Store::connect(&database)
        .await
        .expect("the database opens")
}

impl TestApp {
    /// `/metrics` text without the `replica` label every series carries on
    /// PostgreSQL (checked present there), so that one expected line fits
    /// both backends.
    #[allow(dead_code)]
    pub fn without_replica_label(&self, metrics: &str) -> String {
        let label = format!("replica=\"{}\"", self.engine.owner().id);
        if matches!(self.config.database, server::store::Database::Postgres(_)) {
            assert!(metrics.contains(&label), "{label} missing from\n{metrics}");
        }
        metrics
            .replace(&format!("{{{label}}}"), "")
            .replace(&format!("{label},"), "")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request reaches the app")
    }

    /// Stops the server gracefully and waits for it; returns the temporary
    /// folder so the caller may look at the database afterwards.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task joins")
                .expect("server stops cleanly");
        }
        self.dir
    }
}

/// Whole-scenario runs against a sandbox take their turn: run side by side on a
/// 2-core machine they starve each other's sandbox clocks at high speeds.
pub static SCENARIO_RUNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A sandbox on free ports with a fixed seed; its services' URLs for the config.
pub async fn start_sandbox() -> (sandbox::Sandbox, Settings) {
    let running = sandbox::start(sandbox::SandboxConfig {
        ports: sandbox::Ports {
            exchange_simulator: 0,
            custodian_simulator: 0,
            market_data_simulator: 0,
            trading_engine: 0,
            risk_monitor: 0,
            audit_correlator: 0,
        },
        seed: 7,
        ..sandbox::SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let mut settings = Settings::default();
    for (name, address) in running.services() {
        settings
            .services
            .get_mut(name)
            .expect("every sandbox service is configured by default")
            .url = format!("http://{address}");
    }
    // The default proxy fronts this sandbox's market data, and runs beside
    // it as `test-coordinator sandbox` runs it: a process the test starts
    // (`execute`) finds it through `proxy_env`. It lives as long as the
    // test's runtime.
    let market = settings.services["market-data-simulator"].url.clone();
    let upstream = market
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let set = fault_proxy::ProxySet::start(
        vec![fault_proxy::ProxySpec {
            name: "market-data-proxy".into(),
            listen: any,
            protocol: fault_proxy::Protocol::Http,
            upstream,
        }],
        fault_proxy::LeasePolicy::default(),
    )
    .await
    .expect("the default proxy starts");
    let listen = set.address("market-data-proxy").expect("its address");
    let admin = tokio::net::TcpListener::bind(any)
        .await
        .expect("a free port");
    settings.proxy.admin = admin.local_addr().expect("an address").to_string();
    tokio::spawn(async move {
        let _ = axum::serve(admin, std::sync::Arc::new(set).router()).await;
    });
    let proxied = settings
        .services
        .get_mut("market-data-proxy")
        .expect("the default proxied service");
    proxied.url = market;
    if let Some(proxy) = proxied.proxy.as_mut() {
        proxy.listen = listen.to_string();
    }
    (running, settings)
}

/// The environment that points a `test-coordinator` process at `settings`'
/// proxies: where each proxied service listens, and their chaos API.
pub fn proxy_env(settings: &Settings) -> Vec<(String, String)> {
    let listening = settings.services.iter().filter_map(|(name, service)| {
        let proxy = service.proxy.as_ref()?;
        Some((
            format!("{}_LISTEN", name.to_ascii_uppercase().replace('-', "_")),
            proxy.listen.clone(),
        ))
    });
    listening
        .chain([(
            "TEST_COORDINATOR_PROXY_ADMIN".to_owned(),
            settings.proxy.admin.clone(),
        )])
        .collect()
}

/// The app wired to a sandbox of its own.
pub async fn spawn_app_with_sandbox() -> (TestApp, sandbox::Sandbox) {
    let (sandbox, settings) = start_sandbox().await;
    (spawn_app_with(settings).await, sandbox)
}

impl TestApp {
    /// Prepares `source`, runs it at `speed` and waits for it to end.
    pub async fn run(
        &self,
        source: server::prepare::Source,
        speed: f64,
    ) -> (app::api::ExecutionStatus, Vec<server::engine::event::Event>) {
        use server::engine::{
            event::EventKind, Channel, ExecutionId, NewExecution, RunOptions, StartedBy,
        };
        let prepared = server::prepare::prepare(
            &self.config,
            &server::library::Library::load(&self.config),
            &self.client,
            source,
            server::prepare::PrepareOptions::default(),
        )
        .await
        .expect("scenario found");
        let plan = prepared
            .plan
            .clone()
            .unwrap_or_else(|| panic!("invalid scenario: {:#?}", prepared.diagnostics));
        let mut events = self.engine.subscribe();
        let id = ExecutionId::new();
        self.engine
            .submit(NewExecution {
                id,
                plan: std::sync::Arc::new(plan),
                definition: prepared.text.clone(),
                parameters: None,
                scenario_id: prepared.scenario_id.clone(),
                options: RunOptions {
                    speed,
                    ..RunOptions::default()
                },
                started_by: StartedBy::new(Channel::Api, "local:test"),
            })
            .await
            .expect("submitted");
        let mut seen = Vec::new();
        loop {
            let event = events.recv().await.expect("event stream stays open");
            if event.execution_id != id {
                continue;
            }
            let done = matches!(event.kind, EventKind::ExecutionFinished { .. });
            let status = match &event.kind {
                EventKind::ExecutionFinished { status, .. } => Some(*status),
                _ => None,
            };
            seen.push(event);
            if done {
                return (status.expect("finished has a status"), seen);
            }
        }
    }
}
