//! Test Coordinator's fault-injection proxy (issue 17, docs/proxy.md).
//!
//! A proxy stands between a service's callers and the service: callers
//! connect to its listen address, and it forwards every connection to the
//! upstream untouched until a fault is injected. Faults are chaos actions in
//! the chaos API's convention (named, with published parameter schemas) and
//! stack in the order they were injected.
//!
//! # Layout
//! - [`faults`]: the faults, their schemas and the parsing of a request.
//! - [`tcp`]: the TCP proxy (listener, per-connection pumps, timers).
//!
//! The crate knows nothing of the engine or the store: whatever happens to
//! the coordinator, a proxy's behaviour depends only on its own state.

pub mod faults;
pub mod tcp;

pub use faults::{tcp_actions, Direction, Fault, FaultError, TcpFault};
pub use tcp::{ActiveFault, InjectError, StartError, TcpProxy};
