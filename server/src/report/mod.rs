//! Execution reports (DESIGN.md §9): a pipeline of pure steps over what the store
//! recorded about one execution.
//!
//! A report is a pure fold of the store's `RecordedExecution` (see [`ReportInput`])
//! — the execution's row, its [`Plan`](app::scenario::plan::Plan) and its events —
//! plus, optionally, the audit trail's events for its correlation id, so a report
//! made from history equals the one made at the end of the run (only `metadata`
//! differs). Nothing here does I/O: the reads and the audit fetch are the use cases
//! of `service::reports`, and the formats are string renderers.
//!
//! ```text
//! store::RecordedExecution (+ audit events) = ReportInput
//!   ─build→ ExecutionReport ─recommend→ ExecutionReport   (together: generate)
//!   ─→ json | html | csv (events, assertions) | junit        (format::render)
//! [ExecutionReport] ─summarize→ Summary   (the N1V1 chaos_summary.json)
//! Suite + [ExecutionReport] ─summarize_suite→ ChaosSummary   (one suite's)
//! ```
//!
//! # Layout
//! - [`schema`]: the report's serialisable types and their units.
//! - [`mod@build`]: [`ReportInput`] → [`ExecutionReport`]: one pass over the events,
//!   then the execution, validation, timeline and metrics sections.
//! - [`impact`]: the system-impact section (services affected, recovery, alerts,
//!   performance).
//! - [`audit`]: the audit section and the clock that places audit times.
//! - [`describe`]: the report's plain-language text (one line per event, durations).
//! - `recommend`: the rules over a built report that give recommendations.
//! - [`summary`]: the summary over several reports.
//! - [`compare`]: two reports compared, line by line (the compare page).
//! - [`recovery`]: an execution's recovery time (the one definition).
//! - [`suite`]: a suite's summary from its members' reports.
//! - [`mod@format`]: the formats and [`format::render`]; [`json`], [`html`] (one
//!   self-contained page), [`csv`] (RFC 4180) and [`junit`] render them.
//!
//! This module depends on the engine's event types, the scenario plan and the
//! store's plain record types only; it must not depend on the database driver,
//! axum or leptos, nor call the store or the service. Its output types use plain strings, numbers and
//! JSON values, so they can move to `app` unchanged for the UI.

pub mod audit;
pub mod build;
pub mod compare;
pub mod csv;
pub mod describe;
pub mod format;
pub mod html;
pub mod impact;
pub mod json;
pub mod junit;
mod recommend;
pub mod recovery;
pub mod schema;
pub mod suite;
pub mod summary;
#[cfg(test)]
pub(crate) mod testdata;

pub use build::{build, ReportInput};
pub use schema::ExecutionReport;
pub use summary::{summarize, Summary};

use time::OffsetDateTime;

/// The whole pipeline: [`build()`] the report of one execution, then add the
/// recommendations over the built report. Pure: the same input, time and instance
/// give the same report.
pub fn generate(
    input: &ReportInput,
    generated_at: OffsetDateTime,
    instance: &str,
) -> ExecutionReport {
    let mut report = build(input, generated_at, instance);
    report.recommendations = recommend::recommend(&report, &input.record.plan);
    report
}
