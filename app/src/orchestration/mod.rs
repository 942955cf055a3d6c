//! Orchestrations (seed 001): scenarios chained as steps, one after another or
//! side by side, once or in a loop. A step runs a library scenario, an uploaded
//! one, a template, a scenario written inline, or faults on one service (the
//! seed's `config` block, adapted to the fault proxy).
//!
//! The same code checks an orchestration in the browser and on the server, so
//! nothing here may depend on a server-only crate. Text is read by the
//! scenario parser ([`parse_node`](crate::scenario::parse::parse_node)) and
//! problems are [`Diagnostic`](crate::scenario::diagnostic::Diagnostic)s with
//! paths (`steps[2].scenario.config.latency.fixed_delay_ms`) and positions,
//! all reported at once: [`parse_orchestration`] checks the structure,
//! [`validate_orchestration`] the structure and then the names, services and
//! inline scenarios against what the server [`Known`]s.
//!
//! # Layout
//! - [`model`]: [`Orchestration`], [`Step`], [`StepScenario`], [`Fault`] and
//!   the bounds.
//! - `structure`: text → model, every shape problem and bound
//!   ([`parse_orchestration`], [`name_problem`]); `reader` holds the typed
//!   reading it is built of.
//! - [`faults`]: the seed's `config` block → proxy faults, and how error
//!   probabilities split ([`split_error_probability`]).
//! - `validate`: the semantic check ([`validate_orchestration`]).
//! - `render`: a `config` step as a scenario ([`Step::faults_scenario`]).
//! - `starter`: the commented starter document ([`template_yaml`]).

pub mod faults;
pub mod model;
mod reader;
mod render;
mod starter;
mod structure;
mod validate;

#[cfg(test)]
mod fixtures;

pub use faults::{split_error_probability, MAX_FIXED_DELAY_MS, MAX_HTTP_ERRORS, MIN_BANDWIDTH_BPS};
pub use model::{
    Fault, Orchestration, Step, StepScenario, MAX_DELAY_BEFORE_SECONDS, MAX_DESCRIPTION_CHARS,
    MAX_ITERATIONS, MAX_MEMBERS, MAX_NAME_CHARS, MAX_STEPS, MAX_STEP_DURATION_SECONDS,
    MAX_STEP_NAME_CHARS, MAX_TAGS, MAX_TAG_CHARS,
};
pub use render::{scenario_name, MAX_SCENARIO_NAME_CHARS};
pub use starter::template_yaml;
pub use structure::{name_problem, parse_orchestration};
pub use validate::{validate_orchestration, Known, OrchestrationValidation};
