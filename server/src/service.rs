//! The use cases the UI (through server functions), the REST API and the CLI all
//! call. Handlers stay thin: they translate HTTP to a call here and back.

use std::{path::Path, sync::Arc};

use app::{
    api::{ApiError, ExecutionSummary, LibraryEntry, Overview, ServiceInfo},
    ssr::{Backend, BackendFuture},
};
use serde::Deserialize;

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

    /// Reads the library and template folders. Files that do not parse are still
    /// listed (by file name), so a broken file is visible rather than hidden.
    pub async fn library(&self) -> Result<Vec<LibraryEntry>, ApiError> {
        let library = self.config.scenarios.library_path.clone();
        let templates = self.config.scenarios.templates_path.clone();
        tokio::task::spawn_blocking(move || {
            let mut entries = read_library_folder(&library, &library);
            if !templates.starts_with(&library) {
                entries.extend(read_library_folder(&templates, &templates));
            }
            entries.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
            entries
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "library scan panicked");
            ApiError::internal()
        })
    }
}

/// Only the header of a scenario file: enough to list it.
#[derive(Deserialize)]
struct FileHeader {
    kind: Option<String>,
    metadata: Option<HeaderMetadata>,
}

#[derive(Deserialize)]
struct HeaderMetadata {
    name: Option<String>,
    description: Option<String>,
    category: Option<String>,
}

/// Every `*.yaml` under `folder` (one level of subfolders, for `templates/`).
fn read_library_folder(folder: &Path, root: &Path) -> Vec<LibraryEntry> {
    let Ok(dir) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    for item in dir.flatten() {
        let path = item.path();
        if path.is_dir() && folder == root {
            entries.extend(read_library_folder(&path, root));
            continue;
        }
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            continue;
        }
        let file = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let stem = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| {
                n.trim_end_matches(".yaml")
                    .trim_end_matches(".yml")
                    .trim_end_matches(".template")
            })
            .unwrap_or_default()
            .to_owned();
        let header: Option<FileHeader> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_yaml::from_str(&text).ok());
        let (kind, metadata) = match header {
            Some(h) => (h.kind, h.metadata),
            None => (None, None),
        };
        let metadata = metadata.unwrap_or(HeaderMetadata {
            name: None,
            description: None,
            category: None,
        });
        entries.push(LibraryEntry {
            name: metadata.name.unwrap_or(stem),
            kind: kind.unwrap_or_else(|| "Scenario".to_owned()),
            file,
            description: metadata.description,
            category: metadata.category,
        });
    }
    entries
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
