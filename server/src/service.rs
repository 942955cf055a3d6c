//! The use cases the UI (through server functions), the REST API and the CLI all
//! call. Handlers stay thin: they translate HTTP to a call here and back.

use std::sync::Arc;

use app::{
    api::{ApiError, ExecutionSummary, LibraryEntry, Overview, ServiceInfo},
    ssr::{Backend, BackendFuture},
};

use crate::{
    config::Config,
    store::{Store, StoreError},
};

/// The coordinator's use cases over its config and store.
#[derive(Debug, Clone)]
pub struct Coordinator {
    config: Arc<Config>,
    store: Store,
}

impl Coordinator {
    /// Use cases over `config` and `store`.
    pub fn new(config: Arc<Config>, store: Store) -> Self {
        Self { config, store }
    }

    /// The configured services, by name.
    pub fn services(&self) -> Vec<ServiceInfo> {
        self.config.services.values().map(|s| s.info()).collect()
    }

    /// The library's scenarios and templates. Files that do not parse are still
    /// listed (by file name), so a broken file is visible rather than hidden.
    pub async fn library(&self) -> Result<Vec<LibraryEntry>, ApiError> {
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || {
            let root = config.scenarios.library_path.clone();
            crate::library::scan(&config)
                .into_iter()
                .map(|file| LibraryEntry {
                    file: file.path.strip_prefix(&root).unwrap_or(&file.path).display().to_string(),
                    name: file.name,
                    kind: file.kind,
                    description: file.description,
                    category: file.category,
                })
                .collect()
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "library scan panicked");
            ApiError::internal()
        })
    }
}

fn store_error(error: StoreError) -> ApiError {
    tracing::error!(error.cause_chain = ?error, "store failed");
    ApiError::internal()
}

impl Backend for Coordinator {
    fn overview(&self) -> BackendFuture<'_, Overview> {
        Box::pin(async move {
            let counts = self
                .store
                .count_executions_by_status()
                .await
                .map_err(store_error)?;
            let recent = self.store.list_executions(5).await.map_err(store_error)?;
            let library = self.library().await?;
            Ok(Overview {
                executions_by_status: counts
                    .into_iter()
                    .map(|(status, n)| (status.as_str().to_owned(), n))
                    .collect(),
                recent_executions: recent,
                service_count: self.config.services.len(),
                library_count: library.len(),
            })
        })
    }

    fn list_services(&self) -> BackendFuture<'_, Vec<ServiceInfo>> {
        Box::pin(async move { Ok(self.services()) })
    }

    fn list_executions(&self, limit: u32) -> BackendFuture<'_, Vec<ExecutionSummary>> {
        Box::pin(async move {
            self.store
                .list_executions(limit.clamp(1, 500))
                .await
                .map_err(store_error)
        })
    }

    fn list_library(&self) -> BackendFuture<'_, Vec<LibraryEntry>> {
        Box::pin(self.library())
    }
}
