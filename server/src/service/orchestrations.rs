//! Orchestrations (issue 19): seed 001's documents of steps. They are
//! validated with every problem at its line and column (the browser editor
//! runs the same [`app::orchestration`] check), stored with every version,
//! and run as suites: each step of each iteration is a member, an ordinary
//! execution, driven by the suite driver with the step's delay, time box and
//! failure rule.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use app::api::{
    orchestration::{
        OrchestrationCheck, OrchestrationChecked, OrchestrationDetail, OrchestrationImport,
        OrchestrationList, OrchestrationStart, OrchestrationSummary, OrchestrationVersion,
        MAX_DOCUMENT_BYTES,
    },
    recording::ExportFormat,
    suite::{OrchestrationRef, SuiteAccepted, SuiteDetail, SuiteMode},
    ApiError, ErrorKind, ExecuteOptions, ExecuteRequest,
};
use app::orchestration::{validate_orchestration, Known, Orchestration, Step, StepScenario};
use serde_json::json;

use super::suites::{Launch, Member, SuiteControl};
use super::Coordinator;
use crate::{
    engine::{ExecutionId, StartedBy},
    store::NewMember,
};

/// How many runs an orchestration's page lists.
const RUNS_SHOWN: u32 = 20;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidRequest, message)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no orchestration {id:?}"))
}

/// Refuses a document too large to read, or one that says it is JSON and is not.
fn check_text(content: &str, format: Option<ExportFormat>) -> Result<(), ApiError> {
    if content.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError::new(
            ErrorKind::TooLarge,
            "the orchestration is larger than 1 MiB",
        ));
    }
    if format == Some(ExportFormat::Json) {
        if let Err(error) = serde_json::from_str::<serde_json::Value>(content) {
            let mut refusal = invalid(format!("content: not JSON ({error})"));
            refusal.details =
                json!({ "field": "content", "line": error.line(), "column": error.column() });
            return Err(refusal);
        }
    }
    Ok(())
}

impl Coordinator {
    /// What a step may name: the library's scenarios and templates and the
    /// uploaded scenarios.
    pub(crate) async fn known_names(
        &self,
    ) -> Result<(BTreeSet<String>, BTreeSet<String>, BTreeSet<String>), ApiError> {
        let mut library = BTreeSet::new();
        let mut templates = BTreeSet::new();
        for file in self.library.files() {
            if file.kind == "Template" {
                templates.insert(file.name.clone());
            } else {
                library.insert(file.name.clone());
            }
        }
        let uploaded = self
            .store
            .list_scenarios()
            .await?
            .into_iter()
            .filter(|s| s.kind == "scenario")
            .map(|s| s.id)
            .collect();
        Ok((library, uploaded, templates))
    }

    /// Validates a document against this coordinator's services and scenarios.
    pub async fn check_orchestration(
        &self,
        request: OrchestrationCheck,
    ) -> Result<OrchestrationChecked, ApiError> {
        check_text(&request.content, None)?;
        let catalog = self.catalog();
        let (library, uploaded, templates) = self.known_names().await?;
        let validation = validate_orchestration(
            &request.content,
            &Known {
                catalog: &catalog,
                library: &library,
                uploaded: &uploaded,
                templates: &templates,
            },
        );
        Ok(OrchestrationChecked {
            valid: validation.orchestration.is_some(),
            diagnostics: validation.diagnostics,
            orchestration: validation.orchestration,
        })
    }

    /// The document in `content`, or 422 with every problem.
    async fn read_orchestration(
        &self,
        content: &str,
        format: Option<ExportFormat>,
    ) -> Result<(Orchestration, Vec<app::scenario::diagnostic::Diagnostic>), ApiError> {
        check_text(content, format)?;
        let checked = self
            .check_orchestration(OrchestrationCheck {
                content: content.to_owned(),
            })
            .await?;
        match checked.orchestration {
            Some(orchestration) => Ok((orchestration, checked.diagnostics)),
            None => {
                let mut error = ApiError::new(
                    ErrorKind::Validation,
                    "the orchestration does not validate; nothing was done",
                );
                error.details = json!({ "diagnostics": checked.diagnostics });
                Err(error)
            }
        }
    }

    /// Validates and stores a document as its `name`'s next version.
    pub async fn import_orchestration(
        &self,
        request: OrchestrationImport,
        by: &str,
    ) -> Result<app::api::orchestration::OrchestrationSaved, ApiError> {
        let (orchestration, warnings) = self
            .read_orchestration(&request.content, request.format)
            .await?;
        let imported = self
            .store
            .import_orchestration(&crate::store::NewOrchestration {
                id: &orchestration.name,
                description: orchestration.description.as_deref(),
                tags: &orchestration.tags,
                source: &request.content,
                by,
            })
            .await?;
        tracing::info!(
            orchestration = orchestration.name,
            version = imported.version,
            unchanged = imported.unchanged,
            "orchestration imported"
        );
        Ok(app::api::orchestration::OrchestrationSaved {
            id: orchestration.name,
            version: imported.version,
            created: imported.created,
            unchanged: imported.unchanged,
            warnings,
        })
    }

    /// A stored version read back. Its text validated when it was imported;
    /// structure only is read here, so a scenario removed since then does not
    /// hide the document (running it reports that).
    fn stored_document(id: &str, source: &str) -> Result<Orchestration, ApiError> {
        app::orchestration::parse_orchestration(source).map_err(|diagnostics| {
            ApiError::from(crate::store::StoreError::Corrupt(format!(
                "orchestration {id}: {} problems in stored text",
                diagnostics.len()
            )))
        })
    }

    /// Every stored orchestration with its latest run.
    pub async fn list_orchestrations(&self) -> Result<OrchestrationList, ApiError> {
        let mut orchestrations = Vec::new();
        for record in self.store.list_orchestrations().await? {
            let document = Self::stored_document(&record.id, &record.source)?;
            let last_run = self
                .list_suites(1, Some(&record.id))
                .await?
                .into_iter()
                .next();
            orchestrations.push(OrchestrationSummary {
                steps: document.steps.iter().map(|s| s.name.clone()).collect(),
                parallel: document.parallel,
                iterations: document.iterations(),
                id: record.id,
                description: record.description,
                tags: record.tags,
                version: record.version,
                updated_at: record.updated_at,
                last_run,
            });
        }
        Ok(OrchestrationList { orchestrations })
    }

    /// One orchestration at its latest version (or `version`), with its
    /// history and recent runs.
    pub async fn orchestration_detail(
        &self,
        id: &str,
        version: Option<i64>,
    ) -> Result<OrchestrationDetail, ApiError> {
        let record = self
            .store
            .fetch_orchestration(id, version)
            .await?
            .ok_or_else(|| match version {
                Some(v) => ApiError::new(
                    ErrorKind::NotFound,
                    format!("orchestration {id:?} has no version {v}"),
                ),
                None => not_found(id),
            })?;
        let orchestration = Self::stored_document(id, &record.source)?;
        let versions = self
            .store
            .list_orchestration_versions(id)
            .await?
            .into_iter()
            .map(|v| OrchestrationVersion {
                version: v.version,
                created_at: v.created_at,
                created_by: v.created_by,
            })
            .collect();
        Ok(OrchestrationDetail {
            id: record.id,
            version: record.version,
            latest_version: record.latest_version,
            content: record.source,
            orchestration,
            created_at: record.created_at,
            created_by: record.created_by,
            versions,
            runs: self.list_suites(RUNS_SHOWN, Some(id)).await?,
        })
    }

    /// Archives an orchestration; its versions and runs are kept.
    pub async fn remove_orchestration(&self, id: &str) -> Result<(), ApiError> {
        if self.store.archive_orchestration(id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// Starts a run of a stored orchestration or of a document given inline.
    /// Every step is validated and prepared before anything runs.
    pub async fn start_orchestration(
        &self,
        request: OrchestrationStart,
        started_by: StartedBy,
    ) -> Result<SuiteAccepted, ApiError> {
        let speed = app::api::check_speed(request.speed).map_err(invalid)?;
        if request.version.is_some() && request.id.is_none() {
            return Err(invalid("version: only with `id`"));
        }
        let (orchestration, reference) = match (request.id, request.content, request.orchestration)
        {
            (Some(id), None, None) => {
                let record = self
                    .store
                    .fetch_orchestration(&id, request.version)
                    .await?
                    .ok_or_else(|| not_found(&id))?;
                // Checked again: a scenario it names may be gone since.
                let (orchestration, _) = self.read_orchestration(&record.source, None).await?;
                let reference = OrchestrationRef {
                    id: Some(record.id),
                    version: Some(record.version),
                    name: orchestration.name.clone(),
                };
                (orchestration, reference)
            }
            // Run as given, stored nowhere: the seed's object is read as the
            // JSON text it is, so both forms get the same diagnostics.
            (None, Some(content), None) => self.inline_document(&content).await?,
            (None, None, Some(object)) => {
                if !object.is_object() {
                    return Err(invalid("orchestration: expected a JSON object"));
                }
                let content = serde_json::to_string_pretty(&object)
                    .map_err(|e| invalid(format!("orchestration: {e}")))?;
                self.inline_document(&content).await?
            }
            _ => {
                return Err(invalid(
                    "give exactly one of `id` (+ `version`), `content` or `orchestration`",
                ))
            }
        };
        let options = ExecuteOptions {
            speed,
            dry_run: request.dry_run,
            continue_on_failure: false,
            repeat: 1,
            ..ExecuteOptions::default()
        };
        let members = self.orchestration_members(&orchestration, &options).await?;
        self.launch_suite(Launch {
            members,
            mode: SuiteMode::Sequential,
            parallel: orchestration.parallel,
            seed: None,
            options,
            started_by,
            orchestration: Some(reference),
        })
        .await
    }

    /// A document run inline: read, and named by its `name` only.
    async fn inline_document(
        &self,
        content: &str,
    ) -> Result<(Orchestration, OrchestrationRef), ApiError> {
        let (orchestration, _) = self.read_orchestration(content, None).await?;
        let reference = OrchestrationRef {
            id: None,
            version: None,
            name: orchestration.name.clone(),
        };
        Ok((orchestration, reference))
    }

    /// Each step prepared once, then one member per step and iteration.
    async fn orchestration_members(
        &self,
        orchestration: &Orchestration,
        options: &ExecuteOptions,
    ) -> Result<Vec<(Member, NewMember)>, ApiError> {
        let mut prepared = Vec::with_capacity(orchestration.steps.len());
        let mut problems = Vec::new();
        for (index, step) in orchestration.steps.iter().enumerate() {
            let request = self.step_request(&orchestration.name, step, options).await;
            match request {
                Ok(request) => match self.prepare_execution(request).await {
                    Ok((scenario, plan)) => prepared.push((Arc::new(scenario), Arc::new(plan))),
                    Err(error) if error.kind == ErrorKind::Internal => return Err(error),
                    Err(error) => problems.push((index, step.name.clone(), error)),
                },
                Err(error) => problems.push((index, step.name.clone(), error)),
            }
        }
        if !problems.is_empty() {
            let message = problems
                .iter()
                .map(|(index, name, error)| format!("steps[{index}] ({name}): {}", error.message))
                .collect::<Vec<_>>()
                .join("; ");
            let kind = problems[0].2.kind;
            let steps: Vec<_> = problems
                .into_iter()
                .map(|(index, name, error)| json!({ "index": index, "step": name, "kind": error.kind, "message": error.message, "details": error.details }))
                .collect();
            let mut error = ApiError::new(kind, message);
            error.details = json!({ "steps": steps });
            return Err(error);
        }
        let mut members = Vec::with_capacity(orchestration.member_count());
        for iteration in 1..=orchestration.iterations() {
            for (step, (scenario, plan)) in orchestration.steps.iter().zip(&prepared) {
                let position = members.len();
                let id = ExecutionId::new();
                let group = if orchestration.parallel {
                    usize::try_from(iteration - 1).unwrap_or(usize::MAX)
                } else {
                    position
                };
                members.push((
                    Member {
                        position,
                        id,
                        prepared: Arc::clone(scenario),
                        plan: Arc::clone(plan),
                        delay: Duration::from_secs(step.delay_before_seconds),
                        // A faults step's phase lasts its duration and ends by itself.
                        limit: step
                            .duration_seconds
                            .filter(|_| !matches!(step.scenario, StepScenario::Faults { .. }))
                            .map(Duration::from_secs),
                        continue_on_failure: step.continue_on_failure,
                        group,
                        step: Some(step.name.clone()),
                    },
                    NewMember {
                        execution_id: id.to_string(),
                        scenario: plan.metadata.name.clone(),
                        step: Some(step.name.clone()),
                        iteration: Some(iteration),
                    },
                ));
            }
        }
        Ok(members)
    }

    /// The `execute` request that runs one step.
    async fn step_request(
        &self,
        orchestration: &str,
        step: &Step,
        options: &ExecuteOptions,
    ) -> Result<ExecuteRequest, ApiError> {
        let request = ExecuteRequest {
            options: options.clone(),
            ..ExecuteRequest::default()
        };
        Ok(match &step.scenario {
            StepScenario::Library { name } => ExecuteRequest {
                scenario: Some(name.clone()),
                ..request
            },
            StepScenario::Uploaded { id, version } => {
                let stored = self
                    .store
                    .fetch_scenario(id, *version)
                    .await?
                    .ok_or_else(|| {
                        ApiError::new(
                            ErrorKind::NotFound,
                            match version {
                                Some(v) => format!("uploaded scenario {id:?} has no version {v}"),
                                None => format!("no uploaded scenario {id:?}"),
                            },
                        )
                    })?;
                ExecuteRequest {
                    yaml: Some(stored.definition),
                    ..request
                }
            }
            StepScenario::Inline { definition } => ExecuteRequest {
                yaml: Some(definition.to_string()),
                ..request
            },
            StepScenario::Template {
                template,
                parameters,
            } => ExecuteRequest {
                template: Some(template.clone()),
                parameters: Some(parameters.clone()),
                ..request
            },
            StepScenario::Faults { .. } => {
                let scenario = step.faults_scenario(orchestration).ok_or_else(|| {
                    ApiError::new(ErrorKind::Internal, "a faults step without its scenario")
                })?;
                ExecuteRequest {
                    yaml: Some(scenario.to_string()),
                    ..request
                }
            }
        })
    }

    /// The run the seed's status and stop mean: `run_id`, else the newest
    /// orchestration run still going, else the newest one.
    pub async fn orchestration_run(&self, run_id: Option<&str>) -> Result<SuiteDetail, ApiError> {
        if let Some(id) = run_id {
            let detail = self.suite_detail(id).await?;
            if detail.orchestration.is_none() {
                return Err(ApiError::new(
                    ErrorKind::NotFound,
                    format!("suite {id} is not an orchestration's run"),
                ));
            }
            return Ok(detail);
        }
        let runs = self.store.list_orchestration_runs(50).await?;
        let pick = runs
            .iter()
            .find(|(_, status)| !status.is_finished())
            .or_else(|| runs.first())
            .ok_or_else(|| ApiError::new(ErrorKind::NotFound, "no orchestration has run yet"))?;
        self.suite_detail(&pick.0).await
    }

    /// The seed's stop: stops `run_id`, or the newest orchestration run still going.
    pub async fn stop_orchestration(
        &self,
        run_id: Option<&str>,
        by: String,
    ) -> Result<SuiteDetail, ApiError> {
        let run = self.orchestration_run(run_id).await?;
        self.control_suite(&run.id, SuiteControl::Stop, by).await
    }

    /// A stored version as YAML or JSON: its text as imported when it is
    /// already in that format, else the same document converted.
    pub async fn export_orchestration(
        &self,
        id: &str,
        version: Option<i64>,
        format: ExportFormat,
    ) -> Result<String, ApiError> {
        let record = self
            .store
            .fetch_orchestration(id, version)
            .await?
            .ok_or_else(|| not_found(id))?;
        let is_json = record.source.trim_start().starts_with('{');
        if is_json == (format == ExportFormat::Json) {
            return Ok(record.source);
        }
        let node = app::scenario::parse::parse_node(&record.source).map_err(|d| {
            ApiError::from(crate::store::StoreError::Corrupt(format!(
                "orchestration {id}: {}",
                d.message
            )))
        })?;
        let value = node.to_json();
        let text = match format {
            ExportFormat::Json => serde_json::to_string_pretty(&value)
                .map(|t| t + "\n")
                .map_err(|e| e.to_string()),
            ExportFormat::Yaml => serde_yaml::to_string(&value).map_err(|e| e.to_string()),
        };
        text.map_err(|e| {
            ApiError::new(
                ErrorKind::Internal,
                format!("cannot write orchestration {id}: {e}"),
            )
        })
    }
}
