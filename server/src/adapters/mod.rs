//! Service adapters: how an action in a scenario becomes a call on a configured
//! service. The engine sees them only as a [`crate::engine::ServiceCaller`].
//!
//! - [`chaos_api`]: the chaos-API convention of DESIGN.md §3 and `http` actions,
//!   over one pooled reqwest client.
//! - [`load`]: workload streams (DESIGN.md §7), a [`crate::engine::LoadSender`].
//! - [`reply`]: what was wrong with a reply, in words.
//! - [`lease`]: renewing the leases of faults injected through the
//!   fault-injection proxies while their execution runs.
//! - [`process`]: `process` services the coordinator starts, stops, kills and
//!   restarts itself.

pub mod chaos_api;
pub mod lease;
pub mod load;
pub mod process;
pub mod reply;

#[cfg(feature = "test-hooks")]
pub use chaos_api::TEST_PANIC_PATH;
pub use chaos_api::{is_clear as is_clear_action, HttpServices};
pub use load::HttpLoad;
