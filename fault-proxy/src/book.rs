//! A proxy's active faults: injected in order, listed, cleared one by one or
//! all at once, and watched by every connection (a `watch` channel of
//! snapshots, so a connection reads the current list without a lock).
//!
//! A fault may carry a lease (the dead man's switch): it is cleared by the
//! proxy itself when the lease runs out unless its owner renews it first. So
//! chaos never outlives a coordinator that died or lost contact.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::{sync::watch, time::Instant};

/// Most faults active on one proxy at once.
pub const MAX_FAULTS: usize = 16;

/// An injected fault as the chaos API's status lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ActiveFault<F> {
    /// Its id, for clearing it alone (`fault-000001`).
    pub id: String,
    /// The action (`latency`).
    pub action: String,
    /// The parameters it was injected with.
    pub parameters: Value,
    /// Who holds it (an execution id); none when injected by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// When the proxy clears it by itself unless renewed; none: never.
    #[serde(skip)]
    pub deadline: Option<Instant>,
    /// What it does.
    #[serde(skip)]
    pub fault: F,
}

impl<F> ActiveFault<F> {
    /// How long until its lease runs out, from `now`.
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(now))
    }
}

/// The lease a fault is injected with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lease {
    /// How long it lives unless renewed; none: until cleared.
    pub ttl: Option<Duration>,
    /// Who holds it (an execution id), to renew or clear its faults together.
    pub owner: Option<String>,
}

/// The snapshots connections read.
pub type Faults<F> = watch::Receiver<Arc<Vec<ActiveFault<F>>>>;

/// The active faults of one proxy.
pub struct Book<F> {
    faults: watch::Sender<Arc<Vec<ActiveFault<F>>>>,
    next_id: AtomicU64,
}

impl<F: Clone> Book<F> {
    /// An empty book.
    pub fn new() -> Self {
        Self {
            faults: watch::Sender::new(Arc::new(Vec::new())),
            next_id: AtomicU64::new(1),
        }
    }

    /// A receiver of the list as it changes.
    pub fn watch(&self) -> Faults<F> {
        self.faults.subscribe()
    }

    /// Adds `fault` after the others; `None` when [`MAX_FAULTS`] are active.
    pub fn add(
        &self,
        action: &str,
        parameters: Value,
        fault: F,
        lease: Lease,
    ) -> Option<ActiveFault<F>> {
        let active = ActiveFault {
            id: format!("fault-{:06}", self.next_id.fetch_add(1, Ordering::Relaxed)),
            action: action.replace('-', "_"),
            parameters,
            owner: lease.owner,
            deadline: lease.ttl.map(|ttl| Instant::now() + ttl),
            fault,
        };
        let added = self.faults.send_if_modified(|list| {
            if list.len() >= MAX_FAULTS {
                return false;
            }
            let mut next = Vec::clone(list);
            next.push(active.clone());
            *list = Arc::new(next);
            true
        });
        added.then_some(active)
    }

    /// Clears the fault `id`, or every fault; returns the ids cleared.
    pub fn clear(&self, id: Option<&str>) -> Vec<String> {
        self.remove(|f| id.is_none_or(|id| f.id == id))
    }

    /// The active faults, in the order they act.
    pub fn active(&self) -> Vec<ActiveFault<F>> {
        Vec::clone(&self.faults.borrow())
    }

    /// Extends the leases of `owner`'s faults to `ttl` from now; returns the
    /// ids renewed (none: they expired or were cleared, and the owner should
    /// know its chaos is gone).
    pub fn renew(&self, owner: &str, ttl: Duration) -> Vec<String> {
        let deadline = Instant::now() + ttl;
        let mut renewed = Vec::new();
        self.faults.send_if_modified(|list| {
            let mut next = Vec::clone(list);
            for fault in next
                .iter_mut()
                .filter(|f| f.owner.as_deref() == Some(owner) && f.deadline.is_some())
            {
                fault.deadline = Some(deadline);
                renewed.push(fault.id.clone());
            }
            if renewed.is_empty() {
                return false;
            }
            *list = Arc::new(next);
            true
        });
        renewed
    }

    /// Clears every fault of `owner`; returns the ids cleared.
    pub fn clear_owned(&self, owner: &str) -> Vec<String> {
        self.remove(|f| f.owner.as_deref() == Some(owner))
    }

    /// Clears the faults whose lease has run out by `now`.
    pub fn expire(&self, now: Instant) -> Vec<String> {
        self.remove(|f| f.deadline.is_some_and(|d| d <= now))
    }

    fn remove(&self, gone: impl Fn(&ActiveFault<F>) -> bool) -> Vec<String> {
        let mut removed = Vec::new();
        self.faults.send_if_modified(|list| {
            let (out, kept): (Vec<_>, Vec<_>) = list.iter().cloned().partition(&gone);
            removed = out.into_iter().map(|f| f.id).collect();
            if removed.is_empty() {
                return false;
            }
            *list = Arc::new(kept);
            true
        });
        removed
    }

    /// Clears faults as their leases run out, until `stop`.
    pub async fn expire_until(&self, stop: tokio_util::sync::CancellationToken) {
        let mut faults = self.watch();
        loop {
            let next = faults
                .borrow_and_update()
                .iter()
                .filter_map(|f| f.deadline)
                .min();
            tokio::select! {
                () = async {
                    match next {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => {
                    let expired = self.expire(Instant::now());
                    if !expired.is_empty() {
                        tracing::info!(?expired, "faults cleared: their lease ran out");
                    }
                }
                changed = faults.changed() => if changed.is_err() { return },
                () = stop.cancelled() => return,
            }
        }
    }
}

impl<F: Clone> Default for Book<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// `*` matches any run of characters; everything else matches itself (the
/// path patterns of HTTP faults, and of the `http` assertion's checks).
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_kept_in_order_bounded_and_cleared_by_id_or_all() {
        let book = Book::<u32>::new();
        let first = book
            .add("latency", Value::Null, 1, Lease::default())
            .unwrap();
        let second = book
            .add("reset-peer", Value::Null, 2, Lease::default())
            .unwrap();
        assert_eq!(second.action, "reset_peer");
        assert_eq!(
            book.active().iter().map(|f| f.fault).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(book.clear(Some(&first.id)), vec![first.id.clone()]);
        assert!(book.clear(Some(&first.id)).is_empty());
        for n in 0..MAX_FAULTS - 1 {
            assert!(book
                .add("latency", Value::Null, n as u32, Lease::default())
                .is_some());
        }
        assert!(
            book.add("latency", Value::Null, 99, Lease::default())
                .is_none(),
            "full"
        );
        assert_eq!(book.clear(None).len(), MAX_FAULTS);
        assert!(book.active().is_empty());
    }

    fn leased(owner: &str, seconds: u64) -> Lease {
        Lease {
            ttl: Some(Duration::from_secs(seconds)),
            owner: Some(owner.into()),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lease_not_renewed_clears_its_fault_by_itself() {
        let book = Arc::new(Book::<u32>::new());
        let stop = tokio_util::sync::CancellationToken::new();
        let expiring = tokio::spawn({
            let (book, stop) = (book.clone(), stop.clone());
            async move { book.expire_until(stop).await }
        });
        let held = book
            .add("latency", Value::Null, 1, leased("run-1", 30))
            .unwrap();
        let by_hand = book
            .add("latency", Value::Null, 2, leased("", 600))
            .unwrap();
        let forever = book
            .add("latency", Value::Null, 3, Lease::default())
            .unwrap();
        assert_eq!(
            held.remaining(Instant::now()),
            Some(Duration::from_secs(30))
        );

        // Renewed every 5 s, it lives on.
        for _ in 0..12 {
            tokio::time::sleep(Duration::from_secs(5)).await;
            assert_eq!(
                book.renew("run-1", Duration::from_secs(30)),
                vec![held.id.clone()]
            );
        }
        assert_eq!(book.active().len(), 3);
        // Its owner stops renewing: gone 30 s later, the others stay.
        tokio::time::sleep(Duration::from_secs(29)).await;
        assert_eq!(book.active().len(), 3);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let left: Vec<_> = book.active().into_iter().map(|f| f.id).collect();
        assert_eq!(left, [by_hand.id.clone(), forever.id.clone()]);
        assert!(
            book.renew("run-1", Duration::from_secs(30)).is_empty(),
            "nothing to renew"
        );
        // The hand-made one runs out at its own time.
        tokio::time::sleep(Duration::from_secs(600)).await;
        let left: Vec<_> = book.active().into_iter().map(|f| f.id).collect();
        assert_eq!(left, [forever.id]);
        stop.cancel();
        expiring.await.unwrap();
    }

    #[test]
    fn an_owner_clears_its_faults_together() {
        let book = Book::<u32>::new();
        book.add("latency", Value::Null, 1, leased("run-1", 30))
            .unwrap();
        book.add("latency", Value::Null, 2, leased("run-2", 30))
            .unwrap();
        book.add("latency", Value::Null, 3, leased("run-1", 30))
            .unwrap();
        assert_eq!(book.clear_owned("run-1").len(), 2);
        assert_eq!(book.active()[0].fault, 2);
    }

    #[test]
    fn glob_matches_runs() {
        assert!(glob("/api/*", "/api/v1/orders"));
        assert!(glob("*/orders", "/api/v1/orders"));
        assert!(glob("/api/*/orders*", "/api/v1/orders?x"));
        assert!(!glob("/api/*", "/health"));
        assert!(glob("/health", "/health"));
        assert!(!glob("ab*ba", "aba"));
    }
}
