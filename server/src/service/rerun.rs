//! "Run again": a new execution of the text an earlier one ran, with its options.

use app::api::{ApiError, ExecuteOptions, ExecuteRequest, ExecuteResponse};

use super::{no_execution, Coordinator};
use crate::{engine::StartedBy, store::StoreError};

impl Coordinator {
    /// Starts a new execution of the scenario text execution `id` ran (what it
    /// ran, even if the scenario has a newer version since; a template's
    /// rendering included) with the same options. Validated and admitted like
    /// any other start.
    pub async fn rerun_execution(
        &self,
        id: &str,
        started_by: StartedBy,
    ) -> Result<ExecuteResponse, ApiError> {
        let record = self
            .store
            .fetch_execution(id)
            .await?
            .ok_or_else(|| no_execution(id))?;
        let options: ExecuteOptions = serde_json::from_value(record.options).map_err(|error| {
            ApiError::from(StoreError::Corrupt(format!(
                "execution {id}: stored options: {error}"
            )))
        })?;
        self.start_execution(
            ExecuteRequest {
                yaml: Some(record.definition),
                options,
                ..ExecuteRequest::default()
            },
            started_by,
        )
        .await
    }
}
