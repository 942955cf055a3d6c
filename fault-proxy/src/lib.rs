//! Test Coordinator's fault-injection proxy (issue 17, docs/proxy.md).
//!
//! A proxy stands between a service's callers and the service: callers
//! connect to its listen address, and it forwards every connection to the
//! upstream untouched until a fault is injected. Faults are chaos actions in
//! the chaos API's convention (named, with published parameter schemas) and
//! stack in the order they were injected.
//!
//! # Layout
//! - [`admin`]: a set of proxies and the chaos API that drives them.
//! - [`book`]: a proxy's active faults, in injection order.
//! - [`effects`]: what the faults did (metrics, and per-second rows for executions).
//! - [`faults`]: the faults, their schemas and the parsing of a request.
//! - [`http_faults`], [`http`]: the HTTP proxy's faults and the proxy.
//! - [`proxy`]: what every proxy has (name, address, faults, leases).
//! - [`tcp`]: the TCP proxy (listener, per-connection pumps, timers).
//!
//! The crate knows nothing of the engine or the store: whatever happens to
//! the coordinator, a proxy's behaviour depends only on its own state.

pub mod admin;
pub mod book;
pub mod effects;
pub mod faults;
pub mod http;
pub mod http_faults;
pub mod proxy;
pub mod tcp;

pub use admin::{LeasePolicy, Protocol, ProxySet, ProxySpec};
pub use book::{Book, Lease, MAX_FAULTS};
pub use effects::{EffectRow, EventType, ProxyMetrics};
pub use faults::{tcp_actions, Direction, Fault, FaultError, TcpFault};
pub use http::{ActiveHttpFault, HttpProxy};
pub use http_faults::http_actions;
pub use proxy::{InjectError, Proxy, StartError};
pub use tcp::{ActiveFault, TcpProxy};
