//! What every proxy has, whatever it speaks: a name, the address its callers
//! connect to, its faults (with their leases expiring on their own) and the
//! task that serves it. [`crate::TcpProxy`] and [`crate::HttpProxy`] are this
//! type over their faults, each adding `start` and `inject`.

use std::{future::Future, net::SocketAddr, sync::Arc};

use serde_json::Value;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    book::{ActiveFault, Book, Faults, Lease, MAX_FAULTS},
    effects::{ProxyMetrics, Tally},
    faults::FaultError,
};

/// Why a proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address is taken or not ours.
    #[error("proxy {service}: cannot listen on {address}: {source}")]
    Bind {
        /// The proxied service.
        service: String,
        /// The address asked for.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Why an injection was refused.
#[derive(Debug, thiserror::Error)]
pub enum InjectError {
    /// The action or its parameters.
    #[error(transparent)]
    Fault(#[from] FaultError),
    /// [`MAX_FAULTS`] are already active.
    #[error("{MAX_FAULTS} faults are already active on this proxy; clear one first")]
    TooMany,
}

/// A running proxy with faults of type `F`.
pub struct Proxy<F> {
    name: String,
    address: SocketAddr,
    book: Arc<Book<F>>,
    tally: Arc<Tally>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl<F: Clone + Send + Sync + 'static> Proxy<F> {
    /// Binds `listen`, then runs `serve` (the listener, its real address, the
    /// fault list as it changes, the tally of effects, the stop token) and the
    /// lease expiry. `actions` are the faults it offers, counted in `metrics`.
    pub(crate) async fn launch<S, Fut>(
        name: String,
        listen: SocketAddr,
        actions: &[&'static str],
        metrics: &ProxyMetrics,
        serve: S,
    ) -> Result<Self, StartError>
    where
        S: FnOnce(TcpListener, SocketAddr, Faults<F>, Arc<Tally>, CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let bind_error = |source| StartError::Bind {
            service: name.clone(),
            address: listen,
            source,
        };
        let listener = TcpListener::bind(listen).await.map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        let stop = CancellationToken::new();
        let book = Arc::new(Book::new());
        tokio::spawn({
            let (book, stop) = (book.clone(), stop.clone());
            async move { book.expire_until(stop).await }
        });
        let tally = Arc::new(Tally::new(&name, actions, metrics));
        let task = tokio::spawn(serve(
            listener,
            address,
            book.watch(),
            tally.clone(),
            stop.clone(),
        ));
        Ok(Self {
            name,
            address,
            book,
            tally,
            stop,
            task,
        })
    }

    /// Adds a parsed fault after the active ones.
    pub(crate) fn add(
        &self,
        action: &str,
        parameters: Value,
        fault: F,
        lease: Lease,
    ) -> Result<ActiveFault<F>, InjectError> {
        self.book
            .add(action, parameters, fault, lease)
            .ok_or(InjectError::TooMany)
    }

    /// The proxied service's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where its callers connect (the real port when port 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its faults: list, clear, renew.
    pub fn book(&self) -> &Book<F> {
        &self.book
    }

    /// What its faults did: counters, and the effects waiting for their
    /// executions.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// Stops listening and closes every connection.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}
