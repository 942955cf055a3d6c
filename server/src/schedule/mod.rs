//! Schedules (issue 18, docs/schedules.md): chaos on a calendar.
//!
//! - `timing`: a schedule's timing and blackouts compiled, checked and described
//!   (cron calendars by `croner`, time zones by `jiff`);
//! - `plan`: the pure decision of one tick (missed, blackout, concurrency, cap, end);
//! - `runner`: the task that sleeps until the earliest due time and fires.
//!
//! The use cases (create, trigger, fire) are in `service::schedules`; the
//! rows in `store::schedules`.

pub mod plan;
pub mod runner;
pub mod timing;

pub use runner::Scheduler;
