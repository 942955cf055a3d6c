//! One module per route of the UI.

mod audit;
mod compare;
mod dashboard;
mod editor;
mod editor_run;
mod execution;
mod executions;
mod not_found;
mod recording_detail;
mod recordings;
mod report;
mod scenario;
mod scenario_export;
mod scenarios;
mod schedules;
mod services;
mod sign_in;
mod template_actions;
mod tokens;
mod users;

pub use audit::Audit;
pub use compare::ComparePage;
pub use dashboard::Dashboard;
pub use editor::{EditScenario, NewScenario};
pub use execution::ExecutionPage;
pub use executions::{ExecutionTable, Executions};
pub use not_found::NotFound;
pub use recordings::Recordings;
pub use report::ReportPage;
pub use scenario::ScenarioPage;
pub use scenarios::Scenarios;
pub use schedules::Schedules;
pub use services::Services;
pub use sign_in::SignIn;
pub use tokens::Tokens;
pub use users::Users;
