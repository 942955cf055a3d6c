//! `WebSocket /ws/scenario-execution`: `?execution_id=ID&since=SEQ` replays the
//! stored events after `since`, then follows live, each exactly once and in
//! order; without `execution_id` it follows every execution live. Messages are
//! the events as JSON. A slow client never blocks the engine: it is re-fed from
//! the store.

use std::sync::Arc;

use app::api::{ApiError, ErrorKind};
use axum::{
    extract::{
        ws::{Message, WebSocket, WebSocketUpgrade},
        Query, State,
    },
    response::Response,
};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ErrorBody, HttpError, Result},
    live,
};
use crate::{engine::ExecutionId, service::Coordinator, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upgrade))
}

/// Which events the WebSocket sends.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WsQuery {
    /// Replay and follow one execution; without it, every execution live.
    execution_id: Option<String>,
    /// Replay events after this seq.
    since: Option<u64>,
}

#[utoipa::path(get, path = "/ws/scenario-execution", tag = "executions", params(WsQuery),
    responses((status = 101, description = "WebSocket: each message is one event as JSON"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn upgrade(
    State(c): State<Arc<Coordinator>>,
    Query(q): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    let execution = match &q.execution_id {
        Some(id) => {
            c.execution_status(id).await?;
            Some(id.parse::<ExecutionId>().map_err(|_| {
                HttpError(ApiError::new(
                    ErrorKind::InvalidRequest,
                    format!("{id:?} is not an execution id"),
                ))
            })?)
        }
        None => None,
    };
    let since = q.since;
    Ok(ws.on_upgrade(move |socket| serve(socket, c, execution, since)))
}

async fn serve(
    mut socket: WebSocket,
    coordinator: Arc<Coordinator>,
    execution: Option<ExecutionId>,
    since: Option<u64>,
) {
    let (tx, mut rx) = mpsc::channel(256);
    let feeder = match execution {
        Some(id) => tokio::spawn(live::follow(coordinator, id, since, tx)),
        None => tokio::spawn(live::follow_all(coordinator, tx)),
    };
    loop {
        tokio::select! {
            event = rx.recv() => {
                let Some(event) = event else { break };
                let Ok(text) = serde_json::to_string(&event) else { continue };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    feeder.abort();
    let _ = socket.send(Message::Close(None)).await;
}
