//! The store as the engine sees it: the one trait through which the engine
//! writes executions, events, leases and claims. `store::Store` implements it;
//! engine tests use a fake on virtual time.

use app::api::ExecutionStatus;
use futures::future::BoxFuture;

use super::{
    event::Event,
    owner::{Orphan, Owner, OwnerId},
    ExecutionId, NewExecution, Queued, Unfinished,
};

/// The store, as the engine sees it. The journal keeps the time of leases: an
/// owner whose `lease_until` has passed by the journal's clock is gone.
pub trait Journal: Send + Sync + 'static {
    /// Stores a new execution owned by `owner` (state `queued` comes with its
    /// first event), registering `owner` with a fresh lease if needed.
    fn insert_execution<'a>(
        &'a self,
        execution: &'a NewExecution,
        owner: &'a Owner,
    ) -> BoxFuture<'a, Result<(), String>>;
    /// Appends events (already numbered) and, when it changed, the new state,
    /// but only of executions `owner` owns. Returns the executions whose
    /// events were refused because another owner took them over.
    fn append<'a>(
        &'a self,
        owner: OwnerId,
        events: &'a [(Event, Option<ExecutionStatus>)],
    ) -> BoxFuture<'a, Result<Vec<ExecutionId>, String>>;
    /// Extends `owner`'s lease to `owner.lease` from now (registering it if needed).
    fn renew_lease<'a>(&'a self, owner: &'a Owner) -> BoxFuture<'a, Result<(), String>>;
    /// Ends `owner`'s lease now: what it still owns is anyone's to recover.
    fn release(&self, owner: OwnerId) -> BoxFuture<'_, Result<(), String>>;
    /// Of `ids`, those `owner` no longer owns.
    fn disowned<'a>(
        &'a self,
        owner: OwnerId,
        ids: &'a [ExecutionId],
    ) -> BoxFuture<'a, Result<Vec<ExecutionId>, String>>;
    /// Hands `ids` back: `owner` no longer owns them and nobody does, so any
    /// engine recovers them (rolls their chaos back again and ends them). For
    /// runs an owner stopped itself while it could not reach the journal.
    fn give_up<'a>(
        &'a self,
        owner: OwnerId,
        ids: &'a [ExecutionId],
    ) -> BoxFuture<'a, Result<(), String>>;
    /// Moves `id`, submitted by `owner` and still queued, to the shared queue
    /// of replicas (docs/scale-out.md, "Queue"). `false` when it was not
    /// `owner`'s queued execution any more.
    fn enqueue(&self, id: ExecutionId, owner: OwnerId) -> BoxFuture<'_, Result<bool, String>>;
    /// Takes the oldest execution of the shared queue (or `only` that one)
    /// for `owner`. `None` when there is none.
    fn claim_queued<'a>(
        &'a self,
        owner: &'a Owner,
        only: Option<ExecutionId>,
    ) -> BoxFuture<'a, Result<Option<Queued>, String>>;
    /// How many executions wait in the shared queue.
    fn queue_len(&self) -> BoxFuture<'_, Result<usize, String>>;
    /// Executions left `queued`, `running` or `paused` whose owner is gone.
    fn orphaned(&self) -> BoxFuture<'_, Result<Vec<Orphan>, String>>;
    /// Takes `id` over for `owner`, atomically: only if it is unfinished, its
    /// owner is still `previous`, and `previous` is gone. `None` when another
    /// process was first; else the execution as it is now.
    fn claim<'a>(
        &'a self,
        id: ExecutionId,
        previous: Option<OwnerId>,
        owner: &'a Owner,
    ) -> BoxFuture<'a, Result<Option<Unfinished>, String>>;
}
