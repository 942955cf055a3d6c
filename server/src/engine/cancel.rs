//! Cancellation of a phase's steps: when a stop, a skip, a shutdown, the
//! timeout or a failure ends a phase, every action call and assertion check in
//! flight gives up at once and records why. Built on tokio-util's
//! `CancellationToken`, plus the reason.

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

/// Tells the steps of one phase to give up; cheap to clone.
#[derive(Clone, Default)]
pub(super) struct Cancel {
    token: CancellationToken,
    reason: Arc<OnceLock<String>>,
}

impl Cancel {
    /// Cancels every step holding a clone; the first reason given is kept.
    pub(super) fn cancel(&self, reason: &str) {
        let _ = self.reason.set(reason.to_owned());
        self.token.cancel();
    }

    /// Completes once cancelled, with the reason.
    pub(super) async fn cancelled(&self) -> String {
        self.token.cancelled().await;
        self.reason.get().cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_first_reason() {
        let cancel = Cancel::default();
        let step = cancel.clone();
        cancel.cancel("stopped by a user");
        cancel.cancel("the phase failed");
        assert_eq!(step.cancelled().await, "stopped by a user");
    }
}
