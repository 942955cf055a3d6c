//! `ScenarioExecutionService`: each RPC is one [`Coordinator`] call, as its
//! REST twin makes it (proto/test_coordinator/v1/execution.proto).

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use app::api::{ApiError, ErrorKind, ExecuteRequest};
use futures::Stream;
use tokio::{sync::mpsc, task::JoinHandle};
use tonic::{Request, Response, Status};

use super::{convert, note_target, principal, proto as pb};
use crate::{
    engine::{event::ControlCommand, Channel, ExecutionId, StartedBy},
    http::live,
    service::Coordinator,
};

/// Events buffered per watcher before the follower waits for the client.
const WATCH_BUFFER: usize = 256;

pub struct Execution {
    pub coordinator: Arc<Coordinator>,
    /// Ends every watch when the server stops ([`crate::state::AppState::stopping`]):
    /// one of an execution another process runs would not end by itself.
    pub stopping: tokio_util::sync::CancellationToken,
}

#[tonic::async_trait]
impl pb::scenario_execution_service_server::ScenarioExecutionService for Execution {
    async fn execute_scenario(
        &self,
        request: Request<pb::ExecuteScenarioRequest>,
    ) -> Result<Response<pb::ExecutionResponse>, Status> {
        let caller = principal(&request)?;
        use pb::execute_scenario_request::Source;
        if let Some(Source::Scenario(name) | Source::ScenarioId(name) | Source::Template(name)) =
            &request.get_ref().source
        {
            note_target(&request, name);
        }
        let message = request.into_inner();
        let mut rest = ExecuteRequest {
            parameters: message.parameters.as_ref().map(convert::object),
            options: convert::options_in(message.options),
            ..ExecuteRequest::default()
        };
        match message.source {
            Some(Source::Scenario(name)) => rest.scenario = Some(name),
            Some(Source::ScenarioId(id)) => rest.scenario_id = Some(id),
            Some(Source::Yaml(text)) => rest.yaml = Some(text),
            Some(Source::Template(name)) => rest.template = Some(name),
            None => {}
        }
        let accepted = self
            .coordinator
            .start_execution(rest, StartedBy::new(Channel::Api, caller.actor()))
            .await
            .map_err(convert::status)?;
        Ok(Response::new(pb::ExecutionResponse {
            execution_id: accepted.execution_id,
            status: convert::state(accepted.status) as i32,
            scenario: accepted.scenario,
            warnings: convert::diagnostics(accepted.warnings),
        }))
    }

    async fn get_execution_status(
        &self,
        request: Request<pb::ExecutionStatusRequest>,
    ) -> Result<Response<pb::ExecutionStatus>, Status> {
        let id = request.into_inner().execution_id;
        let detail = self
            .coordinator
            .execution_detail(&id)
            .await
            .map_err(convert::status)?;
        Ok(Response::new(convert::execution(detail)))
    }

    async fn stop_execution(
        &self,
        request: Request<pb::StopExecutionRequest>,
    ) -> Result<Response<pb::StopExecutionResponse>, Status> {
        let caller = principal(&request)?;
        note_target(&request, &request.get_ref().execution_id);
        let id = request.into_inner().execution_id;
        let detail = self
            .coordinator
            .control_execution(&id, ControlCommand::Stop, caller.actor())
            .await
            .map_err(convert::status)?;
        Ok(Response::new(pb::StopExecutionResponse {
            execution: Some(convert::execution(detail)),
        }))
    }

    async fn list_active_executions(
        &self,
        _request: Request<pb::ListExecutionsRequest>,
    ) -> Result<Response<pb::ListExecutionsResponse>, Status> {
        let active = self
            .coordinator
            .active_executions()
            .await
            .map_err(convert::status)?;
        Ok(Response::new(pb::ListExecutionsResponse {
            executions: active.into_iter().map(convert::summary).collect(),
        }))
    }

    type WatchExecutionStream = Watch;

    async fn watch_execution(
        &self,
        request: Request<pb::WatchRequest>,
    ) -> Result<Response<Self::WatchExecutionStream>, Status> {
        let pb::WatchRequest {
            execution_id,
            since_seq,
        } = request.into_inner();
        let id: ExecutionId = execution_id.parse().map_err(|_| {
            convert::status(ApiError::new(
                ErrorKind::InvalidRequest,
                format!("{execution_id:?} is not an execution id"),
            ))
        })?;
        // Unknown: NOT_FOUND before the stream starts, as the WebSocket's 404.
        self.coordinator
            .execution_status(&execution_id)
            .await
            .map_err(convert::status)?;
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        let follow = live::follow(self.coordinator.clone(), id, since_seq, tx);
        let stopping = self.stopping.clone();
        let follower = tokio::spawn(async move {
            tokio::select! {
                () = follow => {}
                () = stopping.cancelled() => {}
            }
        });
        Ok(Response::new(Watch { rx, follower }))
    }
}

/// The events of one `WatchExecution`: what [`live::follow`] replays and
/// follows (each once, in order), as messages. Dropping it (the client
/// cancelled, its deadline passed, the connection closed) stops the follower,
/// which frees its subscription at once, even while no event comes.
pub struct Watch {
    rx: mpsc::Receiver<crate::engine::event::Event>,
    follower: JoinHandle<()>,
}

impl Stream for Watch {
    type Item = Result<pb::ExecutionEvent, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx
            .poll_recv(cx)
            .map(|event| event.map(|e| Ok(convert::event(e))))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.follower.abort();
    }
}
