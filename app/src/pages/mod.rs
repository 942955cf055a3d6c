//! One module per route of the UI.

mod dashboard;
mod executions;
mod not_found;
mod scenarios;
mod services;

pub use dashboard::Dashboard;
pub use executions::Executions;
pub use not_found::NotFound;
pub use scenarios::Scenarios;
pub use services::Services;
