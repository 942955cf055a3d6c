//! Execution reports (DESIGN.md §9): one model, four formats.
//!
//! A report is a pure fold of what the store holds about one execution — its row,
//! its [`Plan`](app::scenario::plan::Plan), its events and, optionally, the audit
//! trail's events for its correlation id — so a report made from history equals the
//! one made at the end of the run (only `metadata` differs). Nothing here does I/O:
//! the store reads ([`crate::store::Store::fetch_report_input`]), the caller fetches
//! audit events if it wants them, and the formats are string renderers.
//!
//! ```text
//! ReportInput ─build→ ExecutionReport ─→ json | html | csv (events, assertions) | junit
//! [ExecutionReport] ─summarize→ Summary   (the N1V1 chaos_summary.json)
//! Suite + [ExecutionReport] ─summarize_suite→ ChaosSummary   (one suite's)
//! ```
//!
//! # Layout
//! - [`model`]: the report's schema, [`build`] and [`summarize`].
//! - `recommend`: the rules that turn results into recommendations.
//! - [`json`]: pretty JSON of the schema.
//! - [`html`]: one self-contained HTML5 page (inline CSS and SVG, no script).
//! - [`csv`]: RFC 4180 tables, one row per event and one per assertion.
//! - [`junit`]: JUnit XML, one test suite per phase, one test case per assertion.
//! - [`recovery`]: an execution's recovery time (the one definition).
//! - [`suite`]: a suite's summary from its members' reports.
//!
//! This module depends on the engine's event types and the scenario plan only; it
//! must not depend on sqlx, axum or leptos. Its output types use plain strings,
//! numbers and JSON values, so they can move to `app` unchanged for the UI.

pub mod csv;
pub mod fetch;
pub mod html;
pub mod json;
pub mod junit;
pub mod model;
mod recommend;
pub mod recovery;
pub mod suite;
#[cfg(test)]
pub(crate) mod testdata;

pub use model::{build, summarize, ExecutionRecord, ExecutionReport, ReportInput, Summary};
