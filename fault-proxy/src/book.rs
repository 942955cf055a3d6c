//! A proxy's active faults: injected in order, listed, cleared one by one or
//! all at once, and watched by every connection (a `watch` channel of
//! snapshots, so a connection reads the current list without a lock).

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

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
    /// What it does.
    #[serde(skip)]
    pub fault: F,
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
    pub fn add(&self, action: &str, parameters: Value, fault: F) -> Option<ActiveFault<F>> {
        let active = ActiveFault {
            id: format!("fault-{:06}", self.next_id.fetch_add(1, Ordering::Relaxed)),
            action: action.replace('-', "_"),
            parameters,
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
        let mut cleared = Vec::new();
        self.faults.send_if_modified(|list| {
            let (gone, kept): (Vec<_>, Vec<_>) = list
                .iter()
                .cloned()
                .partition(|f| id.is_none_or(|id| f.id == id));
            cleared = gone.into_iter().map(|f| f.id).collect();
            if cleared.is_empty() {
                return false;
            }
            *list = Arc::new(kept);
            true
        });
        cleared
    }

    /// The active faults, in the order they act.
    pub fn active(&self) -> Vec<ActiveFault<F>> {
        Vec::clone(&self.faults.borrow())
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
        let first = book.add("latency", Value::Null, 1).unwrap();
        let second = book.add("reset-peer", Value::Null, 2).unwrap();
        assert_eq!(second.action, "reset_peer");
        assert_eq!(
            book.active().iter().map(|f| f.fault).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(book.clear(Some(&first.id)), vec![first.id.clone()]);
        assert!(book.clear(Some(&first.id)).is_empty());
        for n in 0..MAX_FAULTS - 1 {
            assert!(book.add("latency", Value::Null, n as u32).is_some());
        }
        assert!(book.add("latency", Value::Null, 99).is_none(), "full");
        assert_eq!(book.clear(None).len(), MAX_FAULTS);
        assert!(book.active().is_empty());
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
