use std::path::PathBuf;

use server::{
    config::{Overrides, Settings},
    startup::Application,
};
use tokio::sync::oneshot;

/// A running application on a free port with a temporary database.
pub struct TestApp {
    pub base: String,
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

pub async fn spawn_app_with(mut settings: Settings) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        server::telemetry::init("debug", std::io::stdout);
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = dir.path().join("coordinator.db");
    settings.test_coordinator.instance = "test-coordinator-it".into();
    settings.test_coordinator.environment = "test".into();
    // Tests run from server/: the library and site are one level up.
    settings.scenarios.library_path = "../scenarios".into();
    settings.scenarios.templates_path = "../scenarios/templates".into();
    settings.test_coordinator.site_root = "../target/site-dev".into();
    settings.apply_overrides(&Overrides {
        port: Some(0),
        database: Some(database.clone()),
        ..Overrides::default()
    });
    let config = settings.validate().expect("valid test config");
    let app = Application::build(config)
        .await
        .expect("application builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        client: reqwest::Client::new(),
        database,
        dir,
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestApp {
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
