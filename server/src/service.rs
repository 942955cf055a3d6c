//! The use cases the UI (through server functions), the REST API and the CLI all
//! call. Handlers stay thin: they translate HTTP to a call here and back.

mod reports;

use std::sync::Arc;

use app::{
    api::{
        ui::{
            ActiveExecution, ClearedChaos, HistoryPage, HistoryQuery, LibraryCard, LiveExecution,
            SavedScenario, ScenarioVersionText, ScenarioView, ServiceState,
        },
        ApiError, ExecutionSummary, LibraryEntry, Overview, ServiceInfo,
    },
    ssr::{Backend, BackendFuture},
};

use app::api::{
    ErrorKind, ExecuteOptions, ExecuteRequest, ExecuteResponse, ExecutionDetail, ExecutionStatus,
    Progress, ValidateRequest, ValidateResponse,
};
use app::scenario::plan::Plan;
use serde_json::{json, Value};

use crate::{
    config::Config,
    engine::{
        event::{ControlCommand, Event, EventKind},
        Engine, EngineError, ExecutionId, NewExecution, RunOptions, StartedBy,
    },
    prepare::{prepare, PrepareError, PrepareOptions, Prepared, Source},
    store::{HistoryFilter, Store, StoreError},
};

/// The coordinator's use cases over its config, store and engine.
#[derive(Clone)]
pub struct Coordinator {
    pub(crate) config: Arc<Config>,
    pub(crate) store: Store,
    pub(crate) engine: Engine,
    pub(crate) client: reqwest::Client,
    /// The tasks that run suites member by member.
    pub(crate) suites: crate::suite::SuiteDrivers,
}

/// Largest scenario text accepted.
pub const MAX_SCENARIO_BYTES: usize = 1024 * 1024;
/// Executions that may wait for a slot; beyond that, new ones are refused (503).
pub const MAX_QUEUED: usize = 100;

impl Coordinator {
    /// Use cases over `config`, `store` and `engine`.
    pub fn new(config: Arc<Config>, store: Store, engine: Engine) -> Self {
        Self {
            config,
            store,
            engine,
            client: reqwest::Client::new(),
            suites: crate::suite::SuiteDrivers::default(),
        }
    }

    /// Validates and queues an execution.
    pub async fn start_execution(
        &self,
        request: ExecuteRequest,
        started_by: StartedBy,
    ) -> Result<ExecuteResponse, ApiError> {
        let options = request.options.clone();
        let (prepared, plan) = self.prepare_execution(request).await?;
        self.check_capacity(1)?;
        let id = ExecutionId::new();
        let scenario = plan.metadata.name.clone();
        self.submit_prepared(id, &prepared, plan, &options, started_by)
            .await?;
        Ok(ExecuteResponse {
            execution_id: id.to_string(),
            status: ExecutionStatus::Queued,
            scenario,
            warnings: prepared.diagnostics,
        })
    }

    /// Checks a request's source and options and validates its scenario: what
    /// [`Coordinator::start_execution`] (and a suite, per member) submits.
    pub(crate) async fn prepare_execution(
        &self,
        request: ExecuteRequest,
    ) -> Result<(Prepared, Plan), ApiError> {
        let sources = [
            request.scenario.is_some(),
            request.scenario_id.is_some(),
            request.yaml.is_some(),
            request.template.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(ApiError::new(
                ErrorKind::InvalidRequest,
                "give exactly one of `scenario` (library name), `scenario_id`, `yaml` or `template`",
            ));
        }
        let options = request.options.clone();
        options.check().map_err(|message| {
            ApiError::new(ErrorKind::InvalidRequest, format!("options.{message}"))
        })?;
        let source = if let Some(name) = request.scenario {
            Source::Library(name)
        } else if let Some(id) = request.scenario_id {
            let stored = self
                .store
                .fetch_scenario(&id, None)
                .await
                .map_err(store_error)?
                .ok_or_else(|| {
                    ApiError::new(ErrorKind::NotFound, format!("no uploaded scenario {id:?}"))
                })?;
            Source::Text(stored.definition)
        } else if let Some(yaml) = request.yaml {
            if yaml.len() > MAX_SCENARIO_BYTES {
                return Err(ApiError::new(
                    ErrorKind::TooLarge,
                    "the scenario is larger than 1 MiB",
                ));
            }
            Source::Text(yaml)
        } else {
            let mut values = app::scenario::template::ParameterValues::new();
            for (name, value) in request.parameters.unwrap_or_default() {
                values = values.with(name, value);
            }
            Source::Template {
                template: request.template.unwrap_or_default(),
                parameters: values,
            }
        };
        let prepared = prepare(
            &self.config,
            &self.client,
            source,
            PrepareOptions {
                strict: self.config.validation.strict_mode,
            },
        )
        .await
        .map_err(prepare_error)?;
        let Some(plan) = prepared.plan.clone() else {
            let mut diagnostics = prepared.diagnostics.clone();
            if !prepared.has_errors() {
                // Only a template checked as written ends with no plan and no error.
                diagnostics.push(app::scenario::diagnostic::Diagnostic::error(
                    app::scenario::diagnostic::DiagnosticKind::Template,
                    "kind",
                    "this is a template: it runs once rendered with its parameters (give `template` and `parameters`, or render it first)",
                ));
            }
            let mut error = ApiError::new(
                ErrorKind::Validation,
                format!("{} does not validate", prepared.origin),
            );
            error.details = json!({ "diagnostics": diagnostics });
            return Err(error);
        };
        app::api::check_run_size(&plan, options.repeat)
            .map_err(|message| ApiError::new(ErrorKind::InvalidRequest, message))?;
        Ok((prepared, plan))
    }

    /// A bounded queue: when `needed` more executions would not fit, say so
    /// rather than pile up work.
    pub(crate) fn check_capacity(&self, needed: usize) -> Result<(), ApiError> {
        let active = self.engine.active().len();
        if active + needed > self.config.execution.max_concurrent + MAX_QUEUED {
            return Err(ApiError::new(
                ErrorKind::Unavailable,
                format!(
                    "{active} executions are running or queued; try again when some have finished"
                ),
            ));
        }
        Ok(())
    }

    /// Hands a prepared scenario to the engine as execution `id`.
    pub(crate) async fn submit_prepared(
        &self,
        id: ExecutionId,
        prepared: &Prepared,
        plan: Plan,
        options: &ExecuteOptions,
        started_by: StartedBy,
    ) -> Result<(), ApiError> {
        self.engine
            .submit(NewExecution {
                id,
                plan: Arc::new(plan),
                definition: prepared.rendered.clone().unwrap_or(prepared.text.clone()),
                parameters: prepared.parameters.clone(),
                scenario_id: prepared.scenario_id.clone(),
                options: RunOptions {
                    speed: options.speed,
                    dry_run: options.dry_run,
                    continue_on_failure: options.continue_on_failure,
                    repeat: options.repeat,
                },
                started_by,
            })
            .await
            .map_err(engine_error)?;
        Ok(())
    }

    /// One execution with its progress.
    pub async fn execution_detail(&self, id: &str) -> Result<ExecutionDetail, ApiError> {
        let record = self
            .store
            .fetch_execution(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| not_found(id))?;
        let execution_id: ExecutionId = id.parse().map_err(|_| not_found(id))?;
        let events = self
            .store
            .list_events(execution_id, None, 1_000_000)
            .await
            .map_err(store_error)?;
        let status =
            ExecutionStatus::parse(&record.summary.status).unwrap_or(ExecutionStatus::Interrupted);
        let mut progress = fold_progress(&events);
        progress.total_ms = record
            .plan
            .get("total_ms")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        Ok(ExecutionDetail {
            id: record.summary.id,
            scenario_name: record.summary.scenario_name,
            status,
            started_by: record.summary.started_by,
            created_at: record.summary.created_at,
            started_at: record.started_at,
            finished_at: record.summary.finished_at,
            options: serde_json::from_value(record.options).unwrap_or_default(),
            verdict: record
                .verdict
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| store_error(StoreError::Corrupt(format!("verdict: {e}"))))?,
            plan: record.plan,
            progress,
            suite_id: self
                .store
                .fetch_suite_of_execution(id)
                .await
                .map_err(store_error)?,
        })
    }

    /// Executions queued, running or paused.
    pub async fn active_executions(&self) -> Result<Vec<ExecutionSummary>, ApiError> {
        let filter = HistoryFilter {
            statuses: vec![
                ExecutionStatus::Queued,
                ExecutionStatus::Running,
                ExecutionStatus::Paused,
            ],
            limit: 500,
            ..HistoryFilter::default()
        };
        Ok(self
            .store
            .search_executions(&filter)
            .await
            .map_err(store_error)?
            .0)
    }

    /// The history, filtered and paged, with the total count.
    pub async fn history(
        &self,
        filter: HistoryFilter,
    ) -> Result<(Vec<ExecutionSummary>, u64), ApiError> {
        self.store
            .search_executions(&filter)
            .await
            .map_err(store_error)
    }

    /// Sends pause/resume/skip/stop to an execution: 404 if unknown, 409 if it
    /// has ended (or the command does not fit its state).
    pub async fn control_execution(
        &self,
        id: &str,
        command: ControlCommand,
    ) -> Result<ExecutionDetail, ApiError> {
        let execution_id: ExecutionId = id.parse().map_err(|_| not_found(id))?;
        let status = self
            .store
            .execution_status(execution_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| not_found(id))?;
        let fits = match command {
            _ if status.is_finished() => false,
            ControlCommand::Pause => status == ExecutionStatus::Running,
            ControlCommand::Resume => status == ExecutionStatus::Paused,
            ControlCommand::SkipPhase => {
                matches!(status, ExecutionStatus::Running | ExecutionStatus::Paused)
            }
            ControlCommand::Stop => true,
        };
        if !fits {
            let mut error = ApiError::new(
                ErrorKind::Conflict,
                format!(
                    "cannot {} execution {id}: it is {status}",
                    serde_json::to_value(command)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ),
            );
            error.details = json!({ "status": status });
            return Err(error);
        }
        // Answer with the state the command led to: wait (briefly) for its event.
        let mut events = self.engine.subscribe();
        self.engine
            .control(execution_id, command)
            .map_err(|e| match e {
                EngineError::NotRunning(_) => ApiError::new(
                    ErrorKind::Conflict,
                    format!("execution {id} is not running in this coordinator"),
                ),
                other => engine_error(other),
            })?;
        let took_effect = |kind: &EventKind| match command {
            ControlCommand::Pause => matches!(kind, EventKind::Paused),
            ControlCommand::Resume => matches!(kind, EventKind::Resumed),
            ControlCommand::SkipPhase => matches!(
                kind,
                EventKind::ControlReceived {
                    command: ControlCommand::SkipPhase
                }
            ),
            ControlCommand::Stop => matches!(kind, EventKind::ExecutionFinished { .. }),
        };
        let wait = async {
            loop {
                match events.recv().await {
                    Ok(event) if event.execution_id == execution_id && took_effect(&event.kind) => {
                        break
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        };
        // A stop cancels calls in flight at once, but its rollback may wait on a
        // slow service (within rollback.timeout): answer after 2 s at most, with the
        // stop recorded and the run still rolling back. The others take milliseconds.
        let bound = match command {
            ControlCommand::Stop => std::time::Duration::from_secs(2),
            _ => std::time::Duration::from_secs(10),
        };
        let _ = tokio::time::timeout(bound, wait).await;
        self.execution_detail(id).await
    }

    /// Stored events of an execution after `since`.
    pub async fn execution_events(
        &self,
        id: &str,
        since: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Event>, ApiError> {
        let execution_id: ExecutionId = id.parse().map_err(|_| not_found(id))?;
        if self
            .store
            .execution_status(execution_id)
            .await
            .map_err(store_error)?
            .is_none()
        {
            return Err(not_found(id));
        }
        self.store
            .list_events(execution_id, since, limit.clamp(1, 100_000))
            .await
            .map_err(store_error)
    }

    /// The state of an execution.
    pub async fn execution_status(&self, id: &str) -> Result<ExecutionStatus, ApiError> {
        let execution_id: ExecutionId = id.parse().map_err(|_| not_found(id))?;
        self.store
            .execution_status(execution_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| not_found(id))
    }

    /// The live event stream (subscribe before replaying, then drop duplicates by `seq`).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.engine.subscribe()
    }

    /// Validates scenario text.
    pub async fn validate_scenario(
        &self,
        request: ValidateRequest,
    ) -> Result<ValidateResponse, ApiError> {
        if request.yaml.len() > MAX_SCENARIO_BYTES {
            return Err(ApiError::new(
                ErrorKind::TooLarge,
                "the scenario is larger than 1 MiB",
            ));
        }
        let values = request.parameters.map(|parameters| {
            parameters.into_iter().fold(
                app::scenario::template::ParameterValues::new(),
                |values, (name, value)| values.with(name, value),
            )
        });
        let (catalog, mut diagnostics) = if request.strict {
            crate::catalog::live(&self.config, &self.client).await
        } else {
            (crate::catalog::offline(&self.config), Vec::new())
        };
        let (plan, _, mut found) = crate::prepare::check(
            &request.yaml,
            values,
            &catalog,
            PrepareOptions {
                strict: request.strict,
            },
        );
        diagnostics.append(&mut found);
        let valid = !diagnostics
            .iter()
            .any(|d| d.severity == app::scenario::diagnostic::Severity::Error);
        Ok(ValidateResponse {
            valid,
            diagnostics,
            plan: plan.filter(|_| valid),
        })
    }

    /// The catalog the validator uses (for the browser editor).
    pub fn catalog(&self) -> app::scenario::catalog::Catalog {
        crate::catalog::offline(&self.config)
    }

    /// Saves an uploaded scenario or template as a new version (validated first:
    /// errors refuse it with 422, warnings are returned). Its `metadata.name` must
    /// be an id ([`crate::scenario_id`]), and not a case variant of another (409).
    /// Replacing a library scenario in listings takes `override_library` (else 409).
    pub async fn upload_scenario(
        &self,
        yaml: &str,
        override_library: bool,
    ) -> Result<Value, ApiError> {
        if yaml.len() > MAX_SCENARIO_BYTES {
            return Err(ApiError::new(
                ErrorKind::TooLarge,
                "the scenario is larger than 1 MiB",
            ));
        }
        let validation = self
            .validate_scenario(ValidateRequest {
                yaml: yaml.to_owned(),
                strict: false,
                parameters: None,
            })
            .await?;
        let document = app::scenario::parse::parse_scenario(yaml).ok();
        let metadata = document
            .as_ref()
            .and_then(|d| app::scenario::structure::read_metadata(d).ok());
        let (Some(document), Some(metadata), true) =
            (document.as_ref(), metadata, validation.valid)
        else {
            let mut error = ApiError::new(
                ErrorKind::Validation,
                "the scenario does not validate; nothing was saved",
            );
            error.details = json!({ "diagnostics": validation.diagnostics });
            return Err(error);
        };
        let id = metadata.name.clone();
        crate::scenario_id::check_upload_name(&self.store, &self.config, &id, override_library)
            .await?;
        let kind = if document.is_template() {
            "template"
        } else {
            "scenario"
        };
        let version = self
            .store
            .insert_scenario_version(&crate::store::NewVersion {
                id: &id,
                kind,
                category: metadata.category.as_deref(),
                description: metadata.description.as_deref(),
                definition: yaml,
            })
            .await
            .map_err(store_error)?;
        Ok(
            json!({ "scenario_id": id, "version": version, "kind": kind, "warnings": validation.diagnostics }),
        )
    }

    /// Every version of an uploaded scenario.
    pub async fn scenario_versions(&self, id: &str) -> Result<Value, ApiError> {
        let versions = self
            .store
            .list_scenario_versions(id)
            .await
            .map_err(store_error)?;
        if versions.is_empty() {
            return Err(ApiError::new(
                ErrorKind::NotFound,
                format!("no uploaded scenario {id:?}"),
            ));
        }
        Ok(json!({ "scenario_id": id, "versions": versions }))
    }

    /// Archives an uploaded scenario (its versions and executions are kept).
    pub async fn archive_scenario(&self, id: &str) -> Result<(), ApiError> {
        if self.store.archive_scenario(id).await.map_err(store_error)? {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorKind::NotFound,
                format!("no uploaded scenario {id:?} (library scenarios cannot be archived)"),
            ))
        }
    }

    /// The uploaded scenarios, latest versions.
    pub async fn uploaded_scenarios(&self) -> Result<Vec<crate::store::StoredScenario>, ApiError> {
        self.store.list_scenarios().await.map_err(store_error)
    }

    /// Renders a template with parameters; diagnostics when it does not render.
    pub async fn render_template(
        &self,
        name: &str,
        parameters: serde_json::Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let mut values = app::scenario::template::ParameterValues::new();
        for (key, value) in parameters {
            values = values.with(key, value);
        }
        let prepared = prepare(
            &self.config,
            &self.client,
            Source::Template {
                template: name.to_owned(),
                parameters: values,
            },
            PrepareOptions::default(),
        )
        .await
        .map_err(prepare_error)?;
        let valid = !prepared.has_errors();
        Ok(
            json!({ "template": name, "valid": valid, "rendered": prepared.rendered, "diagnostics": prepared.diagnostics, "plan": prepared.plan }),
        )
    }

    /// A scenario's text by id: an uploaded scenario's latest (or given) version,
    /// else the library file of that name.
    pub async fn scenario_definition_version(
        &self,
        name: &str,
        version: Option<i64>,
    ) -> Result<Value, ApiError> {
        if let Some(stored) = self
            .store
            .fetch_scenario(name, version)
            .await
            .map_err(store_error)?
        {
            return Ok(
                json!({ "name": stored.id, "kind": stored.kind, "category": stored.category, "description": stored.description, "source": "custom", "version": stored.version, "updated_at": stored.updated_at, "definition": stored.definition }),
            );
        }
        if version.is_some() {
            return Err(ApiError::new(
                ErrorKind::NotFound,
                format!("no uploaded scenario {name:?} with that version"),
            ));
        }
        self.scenario_definition(name).await
    }

    /// A library scenario's text by name.
    pub async fn scenario_definition(&self, name: &str) -> Result<Value, ApiError> {
        let file = crate::library::find(&self.config, name, "Scenario")
            .or_else(|| crate::library::find(&self.config, name, "Template"))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::NotFound,
                    format!("no scenario or template named {name:?}"),
                )
            })?;
        let text = file.text().map_err(|error| {
            tracing::error!(%error, file = %file.location(), "cannot read a library file");
            ApiError::internal()
        })?;
        Ok(
            json!({ "name": file.name, "kind": file.kind, "category": file.category, "description": file.description, "tags": file.tags, "source": "library", "definition": text }),
        )
    }

    /// Health and active chaos of every service, and the executions running.
    pub async fn system_state(&self) -> Result<Value, ApiError> {
        // Every service at once: one slow service costs its own timeout, not
        // the sum of everyone's (up to 36 s when they were probed in turn).
        let probes = self.config.services.values().map(|service| async move {
            let base = service.url.as_str().trim_end_matches('/').to_owned();
            let timeout = service.timeout.min(std::time::Duration::from_secs(3));
            let health = self
                .client
                .get(format!("{base}{}", service.health_endpoint))
                .timeout(timeout)
                .send();
            let chaos = async {
                let path = service.chaos_api_path.as_ref()?;
                let reply = self
                    .client
                    .get(format!("{base}{path}/status"))
                    .timeout(timeout)
                    .send()
                    .await
                    .ok()?;
                reply.json::<Value>().await.ok()?.get("active").cloned()
            };
            let (health, chaos) = futures::join!(health, chaos);
            let (healthy, status) = match &health {
                Ok(r) => (r.status().is_success(), Some(r.status().as_u16())),
                Err(_) => (false, None),
            };
            json!({ "name": service.name, "url": base, "healthy": healthy, "status": status, "active_chaos": chaos.unwrap_or(Value::Null) })
        });
        let services = futures::future::join_all(probes).await;
        let active = self.active_executions().await?;
        Ok(json!({ "services": services, "executions": active }))
    }

    /// Per scenario: runs, success rate, duration percentiles, mean recovery time.
    pub async fn scenario_performance(&self) -> Result<Value, ApiError> {
        let rows = self
            .store
            .scenario_performance()
            .await
            .map_err(store_error)?;
        let recovery: std::collections::HashMap<String, (f64, u64)> = self
            .store
            .mean_recovery_ms()
            .await
            .map_err(store_error)?
            .into_iter()
            .map(|(name, mean, n)| (name, (mean, n)))
            .collect();
        let list: Vec<Value> = rows
            .into_iter()
            .map(|(name, runs, completed, mut durations)| {
                durations.sort_by(f64::total_cmp);
                let pct = |p: f64| crate::stats::percentile(&durations, p);
                json!({
                    "scenario": name,
                    "runs": runs,
                    "completed": completed,
                    "success_rate": if runs == 0 { 0.0 } else { completed as f64 / runs as f64 },
                    "duration_seconds": { "p50": pct(50.0), "p95": pct(95.0), "max": durations.last() },
                    "mean_recovery_seconds": recovery.get(&name).map(|(mean, _)| mean / 1000.0),
                    "recovery_samples": recovery.get(&name).map_or(0, |(_, n)| *n),
                })
            })
            .collect();
        Ok(json!({ "scenarios": list }))
    }

    /// Clears chaos on one service or all chaos-API services.
    pub async fn clear_chaos(&self, service: Option<&str>) -> Result<Value, ApiError> {
        let targets: Vec<&crate::config::ServiceConfig> = match service {
            Some(name) => vec![self.config.services.get(name).ok_or_else(|| {
                ApiError::new(ErrorKind::NotFound, format!("no service named {name:?}"))
            })?],
            None => self
                .config
                .services
                .values()
                .filter(|s| s.chaos_api_path.is_some())
                .collect(),
        };
        let mut results = Vec::new();
        for target in targets {
            let Some(path) = &target.chaos_api_path else {
                return Err(ApiError::new(
                    ErrorKind::InvalidRequest,
                    format!("{} has no chaos API", target.name),
                ));
            };
            let url = format!("{}{path}/clear", target.url.as_str().trim_end_matches('/'));
            let outcome = self
                .client
                .post(&url)
                .json(&json!({}))
                .timeout(target.timeout)
                .send()
                .await;
            let (ok, detail) = match outcome {
                Ok(r) => (
                    r.status().is_success(),
                    r.json::<Value>().await.unwrap_or(Value::Null),
                ),
                Err(e) => (false, json!({ "error": e.to_string() })),
            };
            results.push(json!({ "service": target.name, "cleared": ok, "response": detail }));
        }
        Ok(json!({ "results": results }))
    }

    /// The configured services, by name.
    pub fn services(&self) -> Vec<ServiceInfo> {
        self.config.services.values().map(|s| s.info()).collect()
    }

    /// The library's scenarios and templates. Files that do not parse are still
    /// listed (by file name), so a broken file is visible rather than hidden.
    pub async fn library(&self) -> Result<Vec<LibraryEntry>, ApiError> {
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || {
            crate::library::scan(&config)
                .into_iter()
                .map(|file| LibraryEntry {
                    file: file.file,
                    name: file.name,
                    kind: file.kind,
                    description: file.description,
                    category: file.category,
                })
                .collect()
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "library scan panicked");
            ApiError::internal()
        })
    }
}

/// Use cases of the web UI's pages (each page renders from one call).
impl Coordinator {
    /// Library and uploaded scenarios and templates as cards: each scenario's plan
    /// outline (length, phases, services) and the state of its latest execution.
    pub async fn scenario_cards(&self) -> Result<Vec<LibraryCard>, ApiError> {
        let config = self.config.clone();
        let catalog = self.catalog();
        let mut cards = tokio::task::spawn_blocking(move || {
            crate::library::scan(&config)
                .into_iter()
                .map(|file| {
                    let text = file.text().unwrap_or_default();
                    card(
                        &text,
                        &catalog,
                        file.name,
                        file.kind.to_lowercase(),
                        "library",
                        file.category,
                        file.description,
                        file.tags,
                    )
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "library scan panicked");
            ApiError::internal()
        })?;
        let catalog = self.catalog();
        for stored in self.uploaded_scenarios().await? {
            cards.retain(|c| c.name != stored.id);
            cards.push(card(
                &stored.definition,
                &catalog,
                stored.id,
                stored.kind,
                "custom",
                stored.category,
                stored.description,
                Vec::new(),
            ));
        }
        cards.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)));
        for card in &mut cards {
            let latest = self
                .history(HistoryFilter {
                    scenario: Some(card.name.clone()),
                    limit: 1,
                    ..HistoryFilter::default()
                })
                .await?;
            card.last_status = latest.0.into_iter().next().map(|e| e.status);
        }
        Ok(cards)
    }

    /// A scenario's text, validation, plan and recent executions.
    pub async fn scenario_view(&self, name: &str) -> Result<ScenarioView, ApiError> {
        let definition = self.scenario_definition_version(name, None).await?;
        let text = |key: &str| {
            definition
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let yaml = text("definition").unwrap_or_default();
        let validation = self
            .validate_scenario(ValidateRequest {
                yaml: yaml.clone(),
                strict: false,
                parameters: None,
            })
            .await?;
        let recent = self
            .history(HistoryFilter {
                scenario: Some(name.to_owned()),
                limit: 10,
                ..HistoryFilter::default()
            })
            .await?
            .0;
        Ok(ScenarioView {
            name: text("name").unwrap_or_else(|| name.to_owned()),
            kind: text("kind").unwrap_or_default(),
            source: text("source").unwrap_or_default(),
            category: text("category"),
            description: text("description"),
            tags: definition
                .get("tags")
                .and_then(|t| serde_json::from_value(t.clone()).ok())
                .unwrap_or_default(),
            version: definition.get("version").and_then(Value::as_i64),
            definition: yaml,
            plan: validation.plan,
            diagnostics: validation.diagnostics,
            recent,
        })
    }

    /// An execution with every event recorded so far.
    pub async fn live_execution(&self, id: &str) -> Result<LiveExecution, ApiError> {
        let detail = self.execution_detail(id).await?;
        let events = self.execution_events(id, None, 100_000).await?;
        Ok(LiveExecution { detail, events })
    }

    /// Health and active chaos of every service, typed for the UI.
    pub async fn service_states(&self) -> Result<Vec<ServiceState>, ApiError> {
        let state = self.system_state().await?;
        let services = state
            .get("services")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(services
            .into_iter()
            .map(|s| {
                let name = s
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                ServiceState {
                    has_chaos_api: self
                        .config
                        .services
                        .get(&name)
                        .is_some_and(|c| c.chaos_api_path.is_some()),
                    url: s
                        .get("url")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    healthy: s.get("healthy").and_then(Value::as_bool).unwrap_or(false),
                    status: s
                        .get("status")
                        .and_then(Value::as_u64)
                        .and_then(|n| u16::try_from(n).ok()),
                    active_chaos: s.get("active_chaos").cloned().unwrap_or(Value::Null),
                    name,
                }
            })
            .collect())
    }
}

/// A library card from a scenario's text: its plan's outline when it validates.
#[allow(clippy::too_many_arguments)]
fn card(
    text: &str,
    catalog: &app::scenario::catalog::Catalog,
    name: String,
    kind: String,
    source: &str,
    category: Option<String>,
    description: Option<String>,
    tags: Vec<String>,
) -> LibraryCard {
    let plan = app::scenario::validate::validate_text(text, catalog, &Default::default()).plan;
    let mut services: Vec<String> = plan
        .iter()
        .flat_map(|p| &p.phases)
        .flat_map(|phase| {
            let actions = phase
                .actions
                .iter()
                .chain(&phase.parallel_actions)
                .map(|a| a.service.clone());
            let assertions = phase.assertions.iter().filter_map(|a| a.service.clone());
            actions.chain(assertions).collect::<Vec<_>>()
        })
        .collect();
    services.sort();
    services.dedup();
    LibraryCard {
        name,
        kind,
        source: source.to_owned(),
        category,
        description,
        tags,
        duration_ms: plan.as_ref().map(|p| p.total_ms.as_millis() as u64),
        phases: plan.as_ref().map_or(0, |p| p.phases.len()),
        services,
        last_status: None,
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no execution {id}"))
}

fn prepare_error(error: PrepareError) -> ApiError {
    match error {
        PrepareError::NotFound { .. } => ApiError::new(ErrorKind::NotFound, error.to_string()),
    }
}

fn engine_error(error: EngineError) -> ApiError {
    match error {
        EngineError::ShuttingDown => {
            ApiError::new(ErrorKind::Unavailable, "the coordinator is shutting down")
        }
        other => {
            tracing::error!(error.cause_chain = ?other, "engine failed");
            ApiError::internal()
        }
    }
}

/// Where an execution is, from its events.
pub fn fold_progress(events: &[Event]) -> Progress {
    let mut progress = Progress {
        events: events.len() as u64,
        ..Progress::default()
    };
    for event in events {
        if let Some(offset) = event.offset_ms {
            progress.elapsed_ms = progress.elapsed_ms.max(offset);
        }
        match &event.kind {
            EventKind::PhaseStarted { name, .. } => {
                progress.phase = event.phase;
                progress.phase_name = Some(name.clone());
            }
            EventKind::PhaseFinished { .. } => progress.phases_done += 1,
            EventKind::AssertionFinished { result, .. } if result.passed => {
                progress.assertions_passed += 1
            }
            EventKind::AssertionFinished { .. } => progress.assertions_failed += 1,
            EventKind::ActionFinished { outcome, .. } if !outcome.ok => {
                progress.actions_failed += 1
            }
            _ => {}
        }
    }
    progress
}

fn store_error(error: StoreError) -> ApiError {
    tracing::error!(error.cause_chain = ?error, "store failed");
    ApiError::internal()
}

impl Backend for Coordinator {
    fn overview(&self) -> BackendFuture<'_, Overview> {
        Box::pin(async move {
            let counts = self
                .store
                .count_executions_by_status()
                .await
                .map_err(store_error)?;
            let recent = self.store.list_executions(5).await.map_err(store_error)?;
            let library = self.library().await?;
            Ok(Overview {
                executions_by_status: counts
                    .into_iter()
                    .map(|(status, n)| (status.as_str().to_owned(), n))
                    .collect(),
                recent_executions: recent,
                service_count: self.config.services.len(),
                library_count: library.len(),
            })
        })
    }

    fn list_services(&self) -> BackendFuture<'_, Vec<ServiceInfo>> {
        Box::pin(async move { Ok(self.services()) })
    }

    fn list_executions(&self, limit: u32) -> BackendFuture<'_, Vec<ExecutionSummary>> {
        Box::pin(async move {
            self.store
                .list_executions(limit.clamp(1, 500))
                .await
                .map_err(store_error)
        })
    }

    fn list_library(&self) -> BackendFuture<'_, Vec<LibraryEntry>> {
        Box::pin(self.library())
    }

    fn list_scenario_cards(&self) -> BackendFuture<'_, Vec<LibraryCard>> {
        Box::pin(self.scenario_cards())
    }

    fn scenario_view(&self, name: String) -> BackendFuture<'_, ScenarioView> {
        Box::pin(async move { Coordinator::scenario_view(self, &name).await })
    }

    fn start_execution(&self, request: ExecuteRequest) -> BackendFuture<'_, ExecuteResponse> {
        Box::pin(Coordinator::start_execution(self, request, StartedBy::Ui))
    }

    fn live_execution(&self, id: String) -> BackendFuture<'_, LiveExecution> {
        Box::pin(async move { Coordinator::live_execution(self, &id).await })
    }

    fn control_execution(&self, id: String, command: String) -> BackendFuture<'_, ExecutionDetail> {
        Box::pin(async move {
            let command: ControlCommand = serde_json::from_value(Value::String(command.clone()))
                .map_err(|_| {
                    ApiError::new(
                        ErrorKind::InvalidRequest,
                        format!(
                            "unknown command {command:?}: use pause, resume, skip_phase or stop"
                        ),
                    )
                })?;
            Coordinator::control_execution(self, &id, command).await
        })
    }

    fn catalog(&self) -> BackendFuture<'_, app::scenario::catalog::Catalog> {
        Box::pin(async move { Ok(Coordinator::catalog(self)) })
    }

    fn save_scenario(
        &self,
        yaml: String,
        opened_from: Option<String>,
    ) -> BackendFuture<'_, SavedScenario> {
        Box::pin(async move {
            // Saving the editor of a library scenario under that same name is the
            // explicit choice to replace it; any other library name is refused.
            let name = app::scenario::parse::parse_scenario(&yaml)
                .ok()
                .and_then(|d| app::scenario::structure::read_metadata(&d).ok())
                .map(|m| m.name);
            let override_library = opened_from.is_some() && name == opened_from;
            let saved = self.upload_scenario(&yaml, override_library).await?;
            Ok(SavedScenario {
                scenario_id: saved["scenario_id"].as_str().unwrap_or_default().to_owned(),
                version: saved["version"].as_i64().unwrap_or_default(),
            })
        })
    }

    fn history_page(&self, query: HistoryQuery) -> BackendFuture<'_, HistoryPage> {
        Box::pin(async move {
            let statuses = match query.status.as_deref().filter(|s| !s.is_empty()) {
                Some(text) => vec![ExecutionStatus::parse(text).ok_or_else(|| {
                    ApiError::new(ErrorKind::InvalidRequest, format!("unknown state {text:?}"))
                })?],
                None => Vec::new(),
            };
            let day = |text: Option<String>, what: &str| -> Result<Option<time::Date>, ApiError> {
                let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                    return Ok(None);
                };
                let format = time::macros::format_description!("[year]-[month]-[day]");
                time::Date::parse(text.trim(), &format)
                    .map(Some)
                    .map_err(|_| {
                        ApiError::new(
                            ErrorKind::InvalidRequest,
                            format!("{what} must be a day such as 2026-11-25, not {text:?}"),
                        )
                    })
            };
            let from = day(query.from, "from")?;
            // `to` is inclusive: the history ends where the next day starts.
            let to = day(query.to, "to")?.map(|d| d.next_day().unwrap_or(d));
            let filter = HistoryFilter {
                scenario_contains: query.scenario.filter(|s| !s.trim().is_empty()),
                statuses,
                since: from.map(|d| d.to_string()),
                until: to.map(|d| d.to_string()),
                limit: query.limit.clamp(1, 500),
                offset: query.offset,
                ..HistoryFilter::default()
            };
            let (rows, total) = self.history(filter).await?;
            Ok(HistoryPage { rows, total })
        })
    }

    fn active_executions(&self) -> BackendFuture<'_, Vec<ExecutionSummary>> {
        Box::pin(Coordinator::active_executions(self))
    }

    fn service_states(&self) -> BackendFuture<'_, Vec<ServiceState>> {
        Box::pin(Coordinator::service_states(self))
    }

    fn clear_chaos(&self, service: Option<String>) -> BackendFuture<'_, Vec<ClearedChaos>> {
        Box::pin(async move {
            let outcome = Coordinator::clear_chaos(self, service.as_deref()).await?;
            Ok(outcome["results"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| ClearedChaos {
                    service: r["service"].as_str().unwrap_or_default().to_owned(),
                    cleared: r["cleared"].as_bool().unwrap_or(false),
                })
                .collect())
        })
    }

    fn scenario_versions(&self, name: String) -> BackendFuture<'_, Vec<ScenarioVersionText>> {
        Box::pin(async move {
            let versions = self
                .store
                .list_scenario_versions(&name)
                .await
                .map_err(store_error)?;
            Ok(versions
                .into_iter()
                .map(|v| ScenarioVersionText {
                    version: v.version,
                    created_at: v.created_at,
                    definition: v.definition,
                })
                .collect())
        })
    }

    fn duplicate_scenario(
        &self,
        name: String,
        new_name: String,
    ) -> BackendFuture<'_, SavedScenario> {
        Box::pin(async move { Coordinator::duplicate_scenario(self, &name, new_name.trim()).await })
    }

    fn active_progress(&self) -> BackendFuture<'_, Vec<ActiveExecution>> {
        Box::pin(async move {
            let now = time::OffsetDateTime::now_utc();
            let mut out = Vec::new();
            for summary in self.active_executions().await? {
                // It may have ended or gone in between; skip what is gone.
                let Ok(mut detail) = self.execution_detail(&summary.id).await else {
                    continue;
                };
                let phases = detail
                    .plan
                    .get("phases")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if detail.status == ExecutionStatus::Running && detail.progress.events > 0 {
                    let since = detail.progress.events.checked_sub(2);
                    let last = self
                        .execution_events(&summary.id, since, 1)
                        .await?
                        .into_iter()
                        .last();
                    let phase_end = detail
                        .progress
                        .phase
                        .and_then(|i| phases.get(i))
                        .and_then(|p| p.get("end_ms"))
                        .and_then(Value::as_u64);
                    if let Some(last) = last {
                        detail.progress.elapsed_ms = projected_elapsed(
                            &detail.progress,
                            phase_end,
                            (now - last.at).as_seconds_f64(),
                            detail.options.speed,
                        );
                    }
                }
                out.push(ActiveExecution {
                    summary: ExecutionSummary {
                        status: detail.status.as_str().to_owned(),
                        ..summary
                    },
                    progress: detail.progress,
                    phase_count: phases.len(),
                });
            }
            Ok(out)
        })
    }
}

/// Where a running execution's schedule is now: its latest event's offset plus the
/// scenario time since (wall seconds × speed), but not past the current phase's end
/// (events can be minutes of scenario time apart; the engine may be waiting).
fn projected_elapsed(
    progress: &Progress,
    phase_end_ms: Option<u64>,
    wall_seconds_since_last_event: f64,
    speed: f64,
) -> u64 {
    let drift = (wall_seconds_since_last_event.max(0.0) * speed * 1000.0) as u64;
    let limit = phase_end_ms
        .unwrap_or(progress.total_ms)
        .max(progress.elapsed_ms);
    (progress.elapsed_ms + drift).min(limit)
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    #[test]
    fn progress_moves_on_between_events_but_stays_in_its_phase() {
        let progress = Progress {
            elapsed_ms: 60_000,
            total_ms: 600_000,
            ..Progress::default()
        };
        assert_eq!(
            projected_elapsed(&progress, Some(300_000), 2.0, 20.0),
            100_000
        );
        assert_eq!(
            projected_elapsed(&progress, Some(300_000), 60.0, 20.0),
            300_000
        );
        assert_eq!(projected_elapsed(&progress, None, 1e6, 20.0), 600_000);
        assert_eq!(
            projected_elapsed(&progress, Some(300_000), -1.0, 20.0),
            60_000
        );
    }
}

impl Coordinator {
    /// Saves a copy of scenario `name` (library or uploaded, latest version) as the
    /// uploaded scenario `new_name`, whose `metadata.name` is rewritten in place so
    /// the text keeps its comments and layout. `new_name` must not name a scenario
    /// or template yet (409).
    pub async fn duplicate_scenario(
        &self,
        name: &str,
        new_name: &str,
    ) -> Result<SavedScenario, ApiError> {
        let taken = self
            .store
            .fetch_scenario(new_name, None)
            .await
            .map_err(store_error)?
            .is_some()
            || crate::library::find(&self.config, new_name, "Scenario").is_some()
            || crate::library::find(&self.config, new_name, "Template").is_some();
        if taken {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                format!("a scenario named {new_name:?} exists already; choose another name"),
            ));
        }
        let source = self.scenario_definition_version(name, None).await?;
        let text = source["definition"].as_str().unwrap_or_default();
        let copy = rename_scenario(text, new_name).ok_or_else(|| {
            ApiError::new(
                ErrorKind::Validation,
                format!("{name:?} has no metadata.name to rewrite, so it cannot be copied"),
            )
        })?;
        let saved = self.upload_scenario(&copy, false).await?;
        Ok(SavedScenario {
            scenario_id: saved["scenario_id"].as_str().unwrap_or_default().to_owned(),
            version: saved["version"].as_i64().unwrap_or_default(),
        })
    }
}

/// `text` with the value of `metadata.name` replaced by `new_name` (quoted), the
/// rest untouched; `None` when the text does not parse or has no such value.
fn rename_scenario(text: &str, new_name: &str) -> Option<String> {
    let document = app::scenario::parse::parse_scenario(text).ok()?;
    let position = document.root.get("metadata")?.get("name")?.position;
    let line_index = usize::try_from(position.line).ok()?.checked_sub(1)?;
    let column = usize::try_from(position.column).ok()?.checked_sub(1)?;
    let mut lines: Vec<&str> = text.split('\n').collect();
    let line = *lines.get(line_index)?;
    let start = line.char_indices().nth(column).map(|(i, _)| i)?;
    let rest = &line[start..];
    let length = match rest.chars().next()? {
        quote @ ('"' | '\'') => 1 + rest[1..].find(quote)? + 1,
        _ => rest
            .find(" #")
            .or_else(|| rest.find(','))
            .or_else(|| rest.find('}'))
            .unwrap_or(rest.len()),
    };
    let value = rest[..length].trim_end();
    let replaced = format!(
        "{}{}{}",
        &line[..start],
        serde_json::to_string(new_name).ok()?,
        &line[start + value.len()..]
    );
    lines[line_index] = &replaced;
    Some(lines.join("\n"))
}

#[cfg(test)]
mod rename_tests {
    use super::rename_scenario;

    #[test]
    fn renaming_rewrites_only_the_metadata_name() {
        let yaml = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: \"basic\"  # the id\n  description: \"name: basic\"\nspec:\n  duration: 1m\n";
        let renamed = rename_scenario(yaml, "basic-copy").unwrap();
        assert_eq!(
            renamed,
            yaml.replacen("\"basic\"  #", "\"basic-copy\"  #", 1)
        );
        let plain = "kind: Scenario\nmetadata:\n  name: basic\n";
        assert_eq!(
            rename_scenario(plain, "b2").unwrap(),
            "kind: Scenario\nmetadata:\n  name: \"b2\"\n"
        );
        let json = r#"{"kind": "Scenario", "metadata": {"name": "basic", "category": "x"}}"#;
        assert_eq!(
            rename_scenario(json, "b2").unwrap(),
            r#"{"kind": "Scenario", "metadata": {"name": "b2", "category": "x"}}"#
        );
        assert_eq!(rename_scenario("kind: Scenario\n", "b2"), None);
    }
}
