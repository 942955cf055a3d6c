//! [`Verdict`]: the judgement of an execution's success criteria, as its
//! `execution_finished` event, its status (`ExecutionDetail.verdict`) and its
//! report carry it. The engine (in `server`) judges; everyone else reads.

use serde::{Deserialize, Serialize};

/// The final judgement over the success criteria.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// Whether every criterion held.
    pub passed: bool,
    /// Each criterion with its result and why.
    pub criteria: Vec<CriterionResult>,
    /// One line for people.
    pub summary: String,
}

/// One success criterion's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CriterionResult {
    /// Criterion name (`all_phases_completed`).
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// Why.
    pub detail: String,
}
