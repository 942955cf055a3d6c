//! `WebSocket /ws/scenario-execution`: `?execution_id=ID&since=SEQ` replays the
//! stored events after `since`, then follows live, each exactly once and in
//! order; without `execution_id` it follows every execution live. Messages are
//! the events as JSON. A slow client never blocks the engine: it is re-fed from
//! the store.

use std::{collections::BTreeMap, sync::Arc};

use app::api::{ApiError, ErrorKind};
use axum::{
    extract::{
        ws::{Message, WebSocket, WebSocketUpgrade},
        Query, State,
    },
    response::Response,
};
use tokio::sync::mpsc;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{HttpError, Result},
    live,
};
use crate::{engine::ExecutionId, service::Coordinator, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upgrade))
}

#[utoipa::path(get, path = "/ws/scenario-execution", tag = "executions",
    params(("execution_id" = Option<String>, Query, description = "replay and follow one execution; without it, every execution live"), ("since" = Option<u64>, Query, description = "replay events after this seq")),
    responses((status = 101, description = "WebSocket: each message is one event as JSON"), (status = 400, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
async fn upgrade(
    State(c): State<Arc<Coordinator>>,
    Query(q): Query<BTreeMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    let invalid = |m: String| HttpError(ApiError::new(ErrorKind::InvalidRequest, m));
    let execution = match q.get("execution_id") {
        Some(id) => {
            c.execution_status(id).await?;
            Some(
                id.parse::<ExecutionId>()
                    .map_err(|_| invalid(format!("{id:?} is not an execution id")))?,
            )
        }
        None => None,
    };
    let since = match q.get("since") {
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| invalid(format!("since must be a sequence number, not {v:?}")))?,
        ),
        None => None,
    };
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
