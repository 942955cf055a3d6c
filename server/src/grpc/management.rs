//! `ScenarioManagementService`: each RPC is one [`Coordinator`] call, as its
//! REST twin makes it (proto/test_coordinator/v1/management.proto).

use std::sync::Arc;

use app::api::ValidateRequest;
use tonic::{Request, Response, Status};

use super::{convert, proto as pb};
use crate::service::Coordinator;

pub struct Management {
    pub coordinator: Arc<Coordinator>,
}

#[tonic::async_trait]
impl pb::scenario_management_service_server::ScenarioManagementService for Management {
    async fn list_scenarios(
        &self,
        request: Request<pb::ListScenariosRequest>,
    ) -> Result<Response<pb::ListScenariosResponse>, Status> {
        let filter = request.into_inner();
        let available = self
            .coordinator
            .available_scenarios(
                filter.category.as_deref(),
                filter.tag.as_deref(),
                filter.text.as_deref(),
            )
            .await
            .map_err(convert::status)?;
        Ok(Response::new(pb::ListScenariosResponse {
            scenarios: available
                .scenarios
                .into_iter()
                .map(convert::scenario_entry)
                .collect(),
        }))
    }

    async fn validate_scenario(
        &self,
        request: Request<pb::ValidateScenarioRequest>,
    ) -> Result<Response<pb::ValidationResponse>, Status> {
        let message = request.into_inner();
        let answer = self
            .coordinator
            .validate_scenario(ValidateRequest {
                yaml: message.yaml,
                strict: message.strict,
                parameters: message.parameters.as_ref().map(convert::object),
            })
            .await
            .map_err(convert::status)?;
        Ok(Response::new(pb::ValidationResponse {
            valid: answer.valid,
            phases: answer
                .plan
                .as_ref()
                .map(convert::phases)
                .unwrap_or_default(),
            total_ms: answer
                .plan
                .as_ref()
                .map_or(0, |plan| plan.total_ms.as_millis() as u64),
            diagnostics: convert::diagnostics(answer.diagnostics),
        }))
    }

    async fn create_scenario(
        &self,
        request: Request<pb::CreateScenarioRequest>,
    ) -> Result<Response<pb::CreateScenarioResponse>, Status> {
        let (_, extensions, message) = request.into_parts();
        let saved = self
            .coordinator
            .upload_scenario(&message.yaml, message.override_library)
            .await
            .map_err(convert::status)?;
        if let Some(super::Target(slot)) = extensions.get::<super::Target>() {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(saved.scenario_id.clone());
        }
        Ok(Response::new(pb::CreateScenarioResponse {
            scenario_id: saved.scenario_id,
            version: saved.version,
            kind: saved.kind,
            warnings: convert::diagnostics(saved.warnings),
        }))
    }

    async fn get_scenario_results(
        &self,
        request: Request<pb::ResultsRequest>,
    ) -> Result<Response<pb::ScenarioResults>, Status> {
        let id = request.into_inner().execution_id;
        let report = self
            .coordinator
            .execution_report(&id)
            .await
            .map_err(convert::status)?;
        Ok(Response::new(convert::results(report)))
    }
}
