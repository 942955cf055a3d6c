//! Bodies of the REST answers (`/api/v1/…`, `/health`, `/debug/…`) that the
//! UI does not share: each handler answers one of these (or a type of the
//! parent module), so the OpenAPI document names every field and a renamed
//! field no longer compiles silently. Field names are the wire format: the
//! JSON clients see is unchanged from the untyped answers these replace.

use serde::{Deserialize, Serialize};

use super::{suite::SuiteSummary, ui::ScenarioVersionText, ExecutionSummary, ServiceInfo};
use crate::scenario::{diagnostic::Diagnostic, plan::Plan};

/// `GET /api/v1/scenarios/active`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActiveExecutions {
    /// Executions queued, running or paused.
    pub executions: Vec<ExecutionSummary>,
}

/// `GET /api/v1/executions`: one page of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExecutionPage {
    /// The executions of this page, newest first.
    pub executions: Vec<ExecutionSummary>,
    /// How many match the filter in all.
    pub total: u64,
    /// The page size applied (1 to 500).
    pub limit: u32,
    /// How many were skipped.
    pub offset: u32,
}

/// `GET /api/v1/scenarios/{id}/logs`: an execution's stored events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExecutionEvents {
    /// The execution.
    pub execution_id: String,
    /// Its events after `since`, in `seq` order.
    pub events: Vec<super::event::Event>,
}

/// `GET /debug/execution-timeline`: planned against actual time of each event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExecutionTimeline {
    /// The execution.
    pub execution_id: String,
    /// One row per event, in order.
    pub timeline: Vec<TimelineRow>,
}

/// One event of [`ExecutionTimeline`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineRow {
    /// Its sequence number.
    pub seq: u64,
    /// When it was recorded (RFC 3339).
    pub at: String,
    /// Its kind (`phase_started`, …).
    pub kind: String,
    /// The phase it belongs to.
    pub phase: Option<usize>,
    /// Actual offset from the start, ms (scenario time).
    pub offset_ms: Option<u64>,
    /// Planned offset, ms.
    pub planned_ms: Option<u64>,
    /// Actual minus planned, ms.
    pub skew_ms: Option<i64>,
}

/// Where a scenario listed by `GET /api/v1/scenarios/available` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ScenarioSource {
    /// A file of the library (built in, or a configured folder).
    Library,
    /// Uploaded over the API or saved from the editor.
    Custom,
}

impl ScenarioSource {
    /// `library` or `custom`, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Library => "library",
            Self::Custom => "custom",
        }
    }
}

/// `GET /api/v1/scenarios/available`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AvailableScenarios {
    /// Library files first, then uploaded scenarios.
    pub scenarios: Vec<AvailableScenario>,
}

/// One scenario or template one can run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AvailableScenario {
    /// `metadata.name` (the id).
    pub name: String,
    /// `Scenario` or `Template`.
    pub kind: String,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.tags` (uploaded scenarios have none listed).
    pub tags: Vec<String>,
    /// Library file or uploaded.
    pub source: ScenarioSource,
    /// An uploaded scenario's latest version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// `GET /api/v1/templates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Templates {
    /// The library's templates.
    pub templates: Vec<TemplateEntry>,
}

/// One template of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateEntry {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.tags`.
    pub tags: Vec<String>,
}

/// `GET /api/v1/scenarios/{id}/definition`: a scenario's text and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScenarioDefinition {
    /// `metadata.name` (the id).
    pub name: String,
    /// `Scenario` or `Template` (library), `scenario` or `template` (uploaded).
    pub kind: String,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.tags` (library files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Library file or uploaded.
    pub source: ScenarioSource,
    /// The version shown (uploaded scenarios only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// When that version was saved (uploaded scenarios only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The text as written.
    pub definition: String,
}

/// `POST /api/v1/scenarios/upload` (`201`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UploadedScenario {
    /// Its id (`metadata.name`).
    pub scenario_id: String,
    /// The version this upload created (from 1).
    pub version: i64,
    /// `scenario` or `template`.
    pub kind: String,
    /// What the validator warned about (errors would have refused it).
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub warnings: Vec<Diagnostic>,
}

/// `GET /api/v1/scenarios/{id}/versions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScenarioVersions {
    /// The uploaded scenario.
    pub scenario_id: String,
    /// Every version, oldest first.
    pub versions: Vec<ScenarioVersionText>,
}

/// `POST /api/v1/templates/{id}/render`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RenderRequest {
    /// The template's parameters by name (none: its defaults).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub parameters: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The answer of `POST /api/v1/templates/{id}/render`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RenderedTemplate {
    /// The template's name.
    pub template: String,
    /// It rendered and the result validates.
    pub valid: bool,
    /// The rendered scenario as YAML, when it rendered.
    pub rendered: Option<String>,
    /// Every error and warning.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub diagnostics: Vec<Diagnostic>,
    /// The plan, when valid.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub plan: Option<Plan>,
}

/// `GET /api/v1/services`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Services {
    /// The configured services, by name.
    pub services: Vec<ServiceInfo>,
}

/// `GET /api/v1/system/state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SystemState {
    /// Every configured service, probed now.
    pub services: Vec<ServiceHealth>,
    /// Executions queued, running or paused.
    pub executions: Vec<ExecutionSummary>,
}

/// One service as [`SystemState`] found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceHealth {
    /// Its name.
    pub name: String,
    /// Its base URL.
    pub url: String,
    /// Its health endpoint answered 2xx.
    pub healthy: bool,
    /// The health endpoint's status code, when it answered.
    pub status: Option<u16>,
    /// The chaos API's `active` field, when it has a chaos API that answered
    /// (`null` otherwise): whatever that API reports.
    pub active_chaos: serde_json::Value,
}

/// `POST /api/v1/services/clear-chaos`: `{service: name}` or `{all: true}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ClearChaosRequest {
    /// One service.
    pub service: Option<String>,
    /// Every service with a chaos API.
    pub all: bool,
}

/// `POST /api/v1/services/{name}/chaos`: a fault injected by hand
/// (docs/proxy.md, "By hand"). On a proxied service it lives `ttl`, then the
/// proxy clears it by itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InjectChaosRequest {
    /// The action (`latency`, `error`, …): one the service offers
    /// (`GET /api/v1/catalog`).
    pub action: String,
    /// Its parameters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub parameters: serde_json::Map<String, serde_json::Value>,
    /// How long it lives on a proxied service (`90s`, `10m`; 1 s to 24 h;
    /// default `proxy.manual_lease`, 10 minutes). Only proxied services take one.
    #[serde(default)]
    pub ttl: Option<String>,
}

/// The answer of `POST /api/v1/services/{name}/chaos`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InjectedChaos {
    /// The service.
    pub service: String,
    /// The action injected.
    pub action: String,
    /// What the service's chaos API answered (for a proxy: the fault, with
    /// its id and remaining lease).
    pub response: serde_json::Value,
}

/// The answer of `POST /api/v1/services/clear-chaos`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClearChaosResults {
    /// One per service asked.
    pub results: Vec<ClearChaosResult>,
}

/// What clearing chaos on one service did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClearChaosResult {
    /// The service.
    pub service: String,
    /// Its chaos API answered 2xx.
    pub cleared: bool,
    /// Its chaos API's answer (`{error}` when it could not be reached,
    /// `null` when it was not JSON).
    pub response: serde_json::Value,
}

/// `GET /api/v1/metrics/scenario-performance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScenarioPerformance {
    /// One entry per scenario that has run.
    pub scenarios: Vec<ScenarioFigures>,
}

/// How one scenario's executions went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScenarioFigures {
    /// The scenario's name.
    pub scenario: String,
    /// Executions of it.
    pub runs: u64,
    /// Those that completed.
    pub completed: u64,
    /// completed / runs (0 without runs).
    pub success_rate: f64,
    /// Wall-clock durations of its executions.
    pub duration_seconds: DurationFigures,
    /// Mean time to recover, when measured.
    pub mean_recovery_seconds: Option<f64>,
    /// How many recoveries that mean is over.
    pub recovery_samples: u64,
}

/// Percentiles of durations, seconds (`null` without executions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DurationFigures {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Longest.
    pub max: Option<f64>,
}

/// `GET /api/v1/suites`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SuiteList {
    /// The most recent suites, newest first.
    pub suites: Vec<SuiteSummary>,
}

/// `GET /health` (seed 003's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Health {
    /// `healthy`, or `unhealthy` (with 503) when the database does not answer.
    pub status: String,
    /// Always `test-coordinator`.
    pub service: String,
    /// The instance's name (`COORDINATOR_INSTANCE`).
    pub instance: String,
    /// The coordinator's version.
    pub version: String,
    /// The configured environment name.
    pub environment: String,
    /// Now (RFC 3339).
    pub timestamp: String,
    /// Each dependency's state.
    pub checks: HealthChecks,
    /// This replica: which one answered, on which database, running how much.
    pub replica: Replica,
}

/// The replica that answered [`Health`] (docs/scale-out.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Replica {
    /// Its owner id: fresh at every start, the `owner` of what it runs.
    pub id: String,
    /// `sqlite` or `postgres`.
    pub database_backend: String,
    /// Executions this replica owns now (queued, running or paused here).
    pub owned_executions: u32,
}

/// The dependencies [`Health`] checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthChecks {
    /// `ok` or `unavailable`.
    pub database: String,
}
