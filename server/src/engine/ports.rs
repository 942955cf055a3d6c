//! The engine's ports to the world outside it: the traits through which it
//! calls services ([`ServiceCaller`]), checks assertions
//! ([`AssertionChecker`]) and sends workload traffic ([`LoadSender`]), and
//! what crosses them. Adapters implement them; engine tests use fakes.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::future::BoxFuture;
use serde_json::Value;

use super::{event::ActionOutcome, event::EventKind, figures, lock, ExecutionId};

/// A call of one action on one service.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionCall {
    /// Execution it belongs to (sent as `X-Execution-Id`).
    pub execution_id: ExecutionId,
    /// Time scale (sent as `X-Chaos-Time-Scale`).
    pub speed: f64,
    /// Service name.
    pub service: String,
    /// Action name.
    pub action: String,
    /// Parameters (the JSON body for chaos-API services).
    pub parameters: Value,
    /// Where the service reports what the injected faults do while the
    /// execution runs (the proxies' effects).
    pub effects: EffectSink,
}

type EmitEffect = Box<dyn Fn(EventKind) + Send + Sync>;

/// Where a service reports, while its execution runs, what its faults did to
/// the traffic (the fault-injection proxies' effects, docs/proxy.md): each
/// report is a `chaos_effect` event of the execution. Closed when the
/// execution settles, so nothing is recorded after it ended. The default is
/// closed (it drops what it is given).
#[derive(Clone, Default)]
pub struct EffectSink(Arc<Mutex<Option<EmitEffect>>>);

impl EffectSink {
    /// A sink that hands each event to `emit` until closed.
    pub fn new(emit: impl Fn(EventKind) + Send + Sync + 'static) -> Self {
        Self(Arc::new(Mutex::new(Some(Box::new(emit)))))
    }

    /// Records `kind`, unless closed.
    pub fn emit(&self, kind: EventKind) {
        if let Some(emit) = lock(&self.0).as_ref() {
            emit(kind);
        }
    }

    /// Drops everything given from now on.
    pub fn close(&self) {
        *lock(&self.0) = None;
    }
}

impl std::fmt::Debug for EffectSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EffectSink")
    }
}

impl PartialEq for EffectSink {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Calls actions on services. Failures come back as an unsuccessful
/// [`ActionOutcome`], never as a panic or an error that skips rollback.
pub trait ServiceCaller: Send + Sync + 'static {
    /// Performs one action.
    fn call<'a>(&'a self, call: &'a ActionCall) -> BoxFuture<'a, ActionOutcome>;

    /// Execution `id` ended (or another process took it over): anything kept
    /// for it (the leases of its proxied faults) can go.
    fn execution_ended(&self, _id: ExecutionId) {}

    /// Execution `id` is about to record its end: the faults it still holds
    /// on proxies are cleared and what they did since the last report is
    /// reported, so both land before its last event.
    fn settle(&self, _id: ExecutionId) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// One check of one assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct AssertionCall {
    /// Execution it belongs to.
    pub execution_id: ExecutionId,
    /// Time scale.
    pub speed: f64,
    /// Assertion type.
    pub kind: String,
    /// Expected outcome word.
    pub expect: String,
    /// Service named by the assertion, if any.
    pub service: Option<String>,
    /// Its parameters.
    pub parameters: Value,
    /// Timeline offset of the assertion window's start (baselines are taken before it).
    pub window_start: Duration,
    /// 1 for the first check.
    pub attempt: u32,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Whether the expectation holds now.
    pub passed: bool,
    /// Why, in one line.
    pub message: String,
    /// What was observed.
    pub evidence: Value,
}

/// Checks assertions; the registry of assertion types implements it.
pub trait AssertionChecker: Send + Sync + 'static {
    /// Checks once.
    fn check<'a>(&'a self, call: &'a AssertionCall) -> BoxFuture<'a, CheckOutcome>;
    /// `id` has ended: forget whatever was kept between its checks (an
    /// assertion that never held would otherwise be kept for the process's life).
    fn execution_ended(&self, _id: ExecutionId) {}
}

/// One stream of workload requests, ready to send (DESIGN.md §7).
pub trait StreamSender: Send + Sync + 'static {
    /// Sends request number `seq` of the stream; how it ended. Never panics:
    /// every failure is an [`figures::Outcome`].
    fn send(&self, seq: u64) -> BoxFuture<'static, figures::Outcome>;
}

/// Prepares workload streams: the HTTP adapter resolves the service's URL once,
/// so each request costs only its own send.
pub trait LoadSender: Send + Sync + 'static {
    /// A sender for `stream` of execution `execution_id` at `speed`; `Err` with a
    /// message when the stream's service is not configured.
    fn prepare(
        &self,
        stream: &app::scenario::workload::Stream,
        execution_id: ExecutionId,
        speed: f64,
    ) -> Result<Arc<dyn StreamSender>, String>;

    /// Whether a workload's generators and requests run on a thread of their
    /// own, on a single-threaded runtime (docs/workload.md, "The generator's
    /// cost"): a sender of real network traffic wants it, since a request then
    /// never wakes another thread. A sender on the engine's virtual time (the
    /// tests' fakes) must not: another runtime has another clock.
    fn own_thread(&self) -> bool {
        false
    }
}
