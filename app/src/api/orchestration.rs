//! Orchestrations (issue 19, seed 001): documents of steps, imported and
//! versioned, and run as suites. The document itself is
//! [`crate::orchestration::Orchestration`]; these are the requests and
//! answers around it. A run's state is a [`SuiteDetail`](super::suite::SuiteDetail)
//! with `orchestration` set, and it is controlled like any suite.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{
    recording::ExportFormat,
    suite::{SuiteAccepted, SuiteSummary},
};
use crate::orchestration::{Known, Orchestration};
use crate::scenario::catalog::Catalog;
use crate::scenario::diagnostic::Diagnostic;

/// The longest orchestration document accepted: 1 MiB, as for scenarios.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// `POST /api/chaos/orchestration/import` (seed 004) and
/// `POST /api/v1/orchestrations`: a document to validate and store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct OrchestrationImport {
    /// The document's text, YAML or JSON.
    pub content: String,
    /// What `content` is written in (default: read as YAML, which JSON also is).
    pub format: Option<ExportFormat>,
}

/// `201`/`200` to an import: where the document went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrchestrationSaved {
    /// Its id (its `name`).
    pub id: String,
    /// The version that holds the text.
    pub version: i64,
    /// Whether this import made it (or brought it back from the archive).
    pub created: bool,
    /// Whether the text equalled the latest version's, so nothing was added.
    pub unchanged: bool,
    /// Warnings the validator found (errors refuse the import).
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub warnings: Vec<Diagnostic>,
}

/// `POST /api/v1/orchestrations/validate`: a document to check, stored nowhere.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct OrchestrationCheck {
    /// The document's text, YAML or JSON.
    pub content: String,
}

/// The answer to a check: every problem at its line and column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrchestrationChecked {
    /// No errors (warnings allowed).
    pub valid: bool,
    /// Every problem found.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub diagnostics: Vec<Diagnostic>,
    /// The document as read, when valid.
    pub orchestration: Option<Orchestration>,
}

/// One row of `GET /api/v1/orchestrations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrchestrationSummary {
    /// Id (its `name`).
    pub id: String,
    /// `description`.
    pub description: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// Its steps' names, in order.
    pub steps: Vec<String>,
    /// Whether steps start together.
    pub parallel: bool,
    /// Runs of the steps per run (1 unless it loops).
    pub iterations: u32,
    /// The latest version.
    pub version: i64,
    /// When the latest version was imported (RFC 3339).
    pub updated_at: String,
    /// Its latest run, if any.
    pub last_run: Option<SuiteSummary>,
}

/// `GET /api/v1/orchestrations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrchestrationList {
    /// Every orchestration, by id.
    pub orchestrations: Vec<OrchestrationSummary>,
}

/// One version in an orchestration's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrchestrationVersion {
    /// Version number, from 1.
    pub version: i64,
    /// When it was imported (RFC 3339).
    pub created_at: String,
    /// Who imported it.
    pub created_by: String,
}

/// `GET /api/v1/orchestrations/{id}`: one version with its history and runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrchestrationDetail {
    /// Id (its `name`).
    pub id: String,
    /// The version shown.
    pub version: i64,
    /// The latest version.
    pub latest_version: i64,
    /// The text as imported.
    pub content: String,
    /// The document as read.
    pub orchestration: Orchestration,
    /// When it was first imported (RFC 3339).
    pub created_at: String,
    /// Who first imported it.
    pub created_by: String,
    /// Every version, oldest first.
    pub versions: Vec<OrchestrationVersion>,
    /// Its most recent runs, newest first.
    pub runs: Vec<SuiteSummary>,
}

/// `POST /api/chaos/orchestration/start` (seed 004) and
/// `POST /api/v1/orchestrations/run`: exactly one of a stored orchestration
/// (`id`, optionally `version`), a document as text (`content`) or as an
/// object (`orchestration`, the seed's body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct OrchestrationStart {
    /// A stored orchestration.
    pub id: Option<String>,
    /// With `id`: that version (default: the latest).
    pub version: Option<i64>,
    /// A document as YAML or JSON text, run without being stored.
    pub content: Option<String>,
    /// A document as a JSON object, run without being stored.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub orchestration: Option<serde_json::Value>,
    /// Time scale of every step, its delays and its time box (default 1).
    pub speed: f64,
    /// Call nothing; record each step's planned timeline.
    pub dry_run: bool,
}

impl Default for OrchestrationStart {
    fn default() -> Self {
        Self {
            id: None,
            version: None,
            content: None,
            orchestration: None,
            speed: 1.0,
            dry_run: false,
        }
    }
}

/// `202` to a start: the run (a suite) and the orchestration it runs.
pub type OrchestrationStarted = SuiteAccepted;

/// What the browser's orchestration editor checks a document against, fetched
/// once when it opens: the catalog and every name a step may use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrchestrationNames {
    /// Services, their actions and assertion types.
    pub catalog: Catalog,
    /// The library scenarios' names.
    pub library: BTreeSet<String>,
    /// The uploaded scenarios' ids.
    pub uploaded: BTreeSet<String>,
    /// The templates' names.
    pub templates: BTreeSet<String>,
}

impl OrchestrationNames {
    /// These names as the validator takes them.
    pub fn known(&self) -> Known<'_> {
        Known {
            catalog: &self.catalog,
            library: &self.library,
            uploaded: &self.uploaded,
            templates: &self.templates,
        }
    }
}
