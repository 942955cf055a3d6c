//! `Application`: wiring from a validated [`Config`] to a bound, ready-to-run
//! server. Binding happens in [`Application::build`], so a test can ask for port
//! 0 and read the real port before the server runs.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use app::BUNDLE_NAME;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::{
    config::Config, http, metrics::Metrics, service::Coordinator, state::AppState, store::Store,
};

/// A bound server with its state, not yet serving.
pub struct Application {
    listener: TcpListener,
    port: u16,
    router: axum::Router,
    store: Store,
}

impl Application {
    /// Opens (and migrates) the database, binds the listener and builds the router.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = Store::open(&config.database)
            .await
            .with_context(|| format!("cannot start with database {}", config.database.display()))?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {} (is another coordinator running? set TEST_COORDINATOR_PORT or --port)", config.listen))?;
        let local = listener
            .local_addr()
            .context("listener has no local address")?;
        let leptos_options = LeptosOptions::builder()
            .output_name(BUNDLE_NAME)
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(local)
            .build();
        let config = Arc::new(config);
        let backend = Arc::new(Coordinator::new(config.clone(), store.clone()));
        let state = AppState {
            leptos_options,
            config,
            store: store.clone(),
            metrics: Metrics::new(),
            backend,
        };
        Ok(Self {
            listener,
            port: local.port(),
            router: http::router(state),
            store,
        })
    }

    /// The port actually bound (useful when the config asked for 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish
    /// and closes the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(
            port = self.port,
            "serving on http://{}",
            self.listener.local_addr()?
        );
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server failed")?;
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
