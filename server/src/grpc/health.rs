//! `grpc.health.v1.Health` (seed 003): SERVING while the database answers,
//! as `GET /health` decides it, for the whole server (`""`) and each of its
//! two services; any other name is NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch).

use std::{pin::Pin, time::Duration};

use futures::Stream;
use tonic::{Request, Response, Status};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_server, HealthCheckRequest, HealthCheckResponse,
};

use tokio_util::sync::CancellationToken;

use super::SERVICE_NAMES;
use crate::store::Store;

/// How often a Watch looks at the database again.
const WATCH_EVERY: Duration = Duration::from_secs(5);

pub struct Health {
    pub store: Store,
    /// Ends every Watch when the server stops ([`crate::state::AppState::stopping`]).
    pub stopping: CancellationToken,
}

/// Whether `name` is served here: the server as a whole or one of its services.
fn known(name: &str) -> bool {
    name.is_empty() || SERVICE_NAMES.contains(&name)
}

/// The serving status of the whole server, from the database check.
async fn serving(store: &Store) -> ServingStatus {
    match store.ping().await {
        Ok(()) => ServingStatus::Serving,
        Err(error) => {
            tracing::warn!(error.cause_chain = ?error, "gRPC health check: database does not answer");
            ServingStatus::NotServing
        }
    }
}

fn answer(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse {
        status: status as i32,
    }
}

type Watching = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl health_server::Health for Health {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let name = request.into_inner().service;
        if !known(&name) {
            return Err(Status::not_found(format!("no service {name:?} here")));
        }
        Ok(Response::new(answer(serving(&self.store).await)))
    }

    type WatchStream = Watching;

    /// The status now, then each change, checked every [`WATCH_EVERY`], until
    /// the client goes away or the server stops.
    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let name = request.into_inner().service;
        let store = self.store.clone();
        let stopping = self.stopping.clone();
        let stream = futures::stream::unfold(None, move |last: Option<ServingStatus>| {
            let store = store.clone();
            let stopping = stopping.clone();
            let known = known(&name);
            async move {
                loop {
                    if stopping.is_cancelled() {
                        return None;
                    }
                    let now = if known {
                        serving(&store).await
                    } else {
                        ServingStatus::ServiceUnknown
                    };
                    if last != Some(now) {
                        return Some((Ok(answer(now)), Some(now)));
                    }
                    tokio::select! {
                        () = tokio::time::sleep(WATCH_EVERY) => {}
                        () = stopping.cancelled() => return None,
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
