//! Executions: start one (the checks REST, the UI, suites and the CLI share),
//! read it, control it, list the history, and follow its events.

use std::sync::Arc;

use app::api::{
    rest::{
        DurationFigures, ExecutionEvents, ExecutionTimeline, ScenarioFigures, ScenarioPerformance,
        TimelineRow,
    },
    ui::{ActiveExecution, HistoryPage, HistoryQuery, LiveExecution},
    ApiError, ErrorKind, ExecuteOptions, ExecuteRequest, ExecuteResponse, ExecutionDetail,
    ExecutionStatus, ExecutionSummary, Overview, Progress,
};
use app::scenario::plan::Plan;
use serde_json::{json, Value};

use super::{invalid, no_execution, Coordinator, MAX_QUEUED, MAX_SCENARIO_BYTES};
use crate::{
    config::Config,
    engine::{
        event::{ControlCommand, Event, EventKind},
        EngineError, ExecutionId, NewExecution, RunOptions, StartedBy,
    },
    library::Library,
    prepare::{prepare, PrepareOptions, Prepared, Source},
    store::{HistoryFilter, Store, StoreError},
};

/// Whether run options are within bounds: the one check of speed and repeat
/// that REST, the UI, suites and the CLI share (400, naming the option).
pub fn check_options(options: &ExecuteOptions) -> Result<(), ApiError> {
    options
        .check()
        .map_err(|message| invalid(format!("options.{message}")))
}

/// Finds, renders and validates `source` with the configured strictness:
/// the first step of every run. The CLI calls it with a local file's text
/// (before it opens a store); REST, the UI and suites through
/// `Coordinator::prepare_execution`.
pub async fn prepare_source(
    config: &Config,
    library: &Library,
    client: &reqwest::Client,
    source: Source,
) -> Result<Prepared, ApiError> {
    Ok(prepare(
        config,
        library,
        client,
        source,
        PrepareOptions {
            strict: config.validation.strict_mode,
        },
    )
    .await?)
}

/// The plan of `prepared` when it may run with `options`: the options within
/// bounds (400), the scenario valid (422 with `details.diagnostics`), and the
/// run not too large (400). Every way of starting a run passes here.
pub fn admit(prepared: &Prepared, options: &ExecuteOptions) -> Result<Plan, ApiError> {
    check_options(options)?;
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
    app::api::check_run_size(&plan, options.repeat).map_err(invalid)?;
    Ok(plan)
}

/// One row of the debug timeline: planned against actual time of `event`
/// (`/debug/execution-timeline` and the CLI's `timeline` both print these).
pub fn timeline_row(event: &Event) -> Result<TimelineRow, ApiError> {
    Ok(TimelineRow {
        seq: event.seq,
        at: event
            .at
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|error| {
                tracing::error!(%error, "an event's time has no RFC 3339 form");
                ApiError::internal()
            })?,
        kind: event.kind.name().to_owned(),
        phase: event.phase,
        offset_ms: event.offset_ms,
        planned_ms: event.planned_ms,
        skew_ms: crate::stats::skew_ms(event),
    })
}

/// One execution with its progress, read from `store`: what REST answers and
/// what the CLI's `status` prints, with or without a server.
pub async fn execution_detail(store: &Store, id: &str) -> Result<ExecutionDetail, ApiError> {
    let record = store
        .fetch_execution(id)
        .await?
        .ok_or_else(|| no_execution(id))?;
    let execution_id: ExecutionId = id.parse().map_err(|_| no_execution(id))?;
    let events = store.list_events(execution_id, None, 1_000_000).await?;
    let status =
        ExecutionStatus::parse(&record.summary.status).unwrap_or(ExecutionStatus::Interrupted);
    let corrupt = |what: &str, error: serde_json::Error| {
        ApiError::from(StoreError::Corrupt(format!(
            "execution {id}: stored {what}: {error}"
        )))
    };
    let plan: Plan = serde_json::from_value(record.plan).map_err(|e| corrupt("plan", e))?;
    let options: ExecuteOptions =
        serde_json::from_value(record.options).map_err(|e| corrupt("options", e))?;
    let mut progress = fold_progress(&events);
    progress.total_ms = plan.total_ms.as_millis() as u64;
    Ok(ExecutionDetail {
        id: record.summary.id,
        scenario_name: record.summary.scenario_name,
        status,
        started_by: record.summary.started_by,
        channel: record.summary.channel,
        created_at: record.summary.created_at,
        started_at: record.started_at,
        finished_at: record.summary.finished_at,
        stopped_by: record.summary.stopped_by,
        options,
        verdict: record.verdict,
        plan,
        progress,
        suite_id: store.fetch_suite_of_execution(id).await?,
    })
}

impl Coordinator {
    /// Validates and queues an execution.
    pub async fn start_execution(
        &self,
        request: ExecuteRequest,
        started_by: StartedBy,
    ) -> Result<ExecuteResponse, ApiError> {
        let options = request.options.clone();
        let (prepared, plan) = self.prepare_execution(request).await?;
        self.start_prepared(&prepared, plan, &options, started_by)
            .await
    }

    /// Checks a request's source and options and validates its scenario: what
    /// [`Coordinator::start_execution`] (and a suite, per member) submits.
    pub(crate) async fn prepare_execution(
        &self,
        request: ExecuteRequest,
    ) -> Result<(Prepared, Plan), ApiError> {
        // Options first: a bad option is refused before any lookup.
        check_options(&request.options)?;
        let options = request.options.clone();
        let source = self.request_source(request).await?;
        let prepared = self.prepare_source(source).await?;
        let plan = self.admit(&prepared, &options)?;
        Ok((prepared, plan))
    }

    /// The one source a request names: exactly one of a library name, an
    /// uploaded id, inline text or a template with its parameters.
    async fn request_source(&self, request: ExecuteRequest) -> Result<Source, ApiError> {
        match request {
            ExecuteRequest {
                scenario: Some(name),
                scenario_id: None,
                yaml: None,
                template: None,
                ..
            } => Ok(Source::Library(name)),
            ExecuteRequest {
                scenario: None,
                scenario_id: Some(id),
                yaml: None,
                template: None,
                ..
            } => {
                let stored = self.store.fetch_scenario(&id, None).await?.ok_or_else(|| {
                    ApiError::new(ErrorKind::NotFound, format!("no uploaded scenario {id:?}"))
                })?;
                Ok(Source::Text(stored.definition))
            }
            ExecuteRequest {
                scenario: None,
                scenario_id: None,
                yaml: Some(yaml),
                template: None,
                ..
            } => {
                if yaml.len() > MAX_SCENARIO_BYTES {
                    return Err(ApiError::new(
                        ErrorKind::TooLarge,
                        "the scenario is larger than 1 MiB",
                    ));
                }
                Ok(Source::Text(yaml))
            }
            ExecuteRequest {
                scenario: None,
                scenario_id: None,
                yaml: None,
                template: Some(template),
                parameters,
                ..
            } => Ok(Source::Template {
                template,
                // No parameters: the template's defaults.
                parameters: parameters.into_iter().flatten().fold(
                    app::scenario::template::ParameterValues::new(),
                    |values, (name, value)| values.with(name, value),
                ),
            }),
            _ => Err(invalid(
                "give exactly one of `scenario` (library name), `scenario_id`, `yaml` or `template`",
            )),
        }
    }

    /// [`prepare_source`] with this coordinator's config, library and client.
    pub async fn prepare_source(&self, source: Source) -> Result<Prepared, ApiError> {
        prepare_source(&self.config, &self.library, &self.client, source).await
    }

    /// [`admit`]: the plan of `prepared` when it may run with `options`.
    pub fn admit(&self, prepared: &Prepared, options: &ExecuteOptions) -> Result<Plan, ApiError> {
        admit(prepared, options)
    }

    /// Queues an admitted run (503 when the queue is full).
    pub async fn start_prepared(
        &self,
        prepared: &Prepared,
        plan: Plan,
        options: &ExecuteOptions,
        started_by: StartedBy,
    ) -> Result<ExecuteResponse, ApiError> {
        self.check_capacity(1).await?;
        let id = ExecutionId::new();
        let scenario = plan.metadata.name.clone();
        self.submit_prepared(id, prepared, plan, options, started_by)
            .await?;
        Ok(ExecuteResponse {
            execution_id: id.to_string(),
            status: ExecutionStatus::Queued,
            scenario,
            warnings: prepared.diagnostics.clone(),
        })
    }

    /// A bounded queue: when `needed` more executions would not fit, say so
    /// rather than pile up work. On PostgreSQL the shared queue counts too,
    /// against this replica's bound.
    pub(crate) async fn check_capacity(&self, needed: usize) -> Result<(), ApiError> {
        let shared = match self.store.backend() {
            crate::store::Backend::Postgres => {
                usize::try_from(self.store.count_queued().await?).unwrap_or(usize::MAX)
            }
            crate::store::Backend::Sqlite => 0,
        };
        let active = self.engine.active().len().saturating_add(shared);
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
                    on_owner_loss: options.on_owner_loss,
                },
                started_by,
            })
            .await?;
        Ok(())
    }

    /// One execution with its progress.
    pub async fn execution_detail(&self, id: &str) -> Result<ExecutionDetail, ApiError> {
        execution_detail(&self.store, id).await
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
        Ok(self.store.search_executions(&filter).await?.0)
    }

    /// The history, filtered and paged, with the total count.
    pub async fn history(
        &self,
        filter: HistoryFilter,
    ) -> Result<(Vec<ExecutionSummary>, u64), ApiError> {
        self.store
            .search_executions(&filter)
            .await
            .map_err(ApiError::from)
    }

    /// Sends pause/resume/skip/stop to an execution: 404 if unknown, 409 if it
    /// has ended (or the command does not fit its state). `by` (the sender's
    /// actor name) is recorded in its `control_received` event.
    pub async fn control_execution(
        &self,
        id: &str,
        command: ControlCommand,
        by: String,
    ) -> Result<ExecutionDetail, ApiError> {
        let execution_id: ExecutionId = id.parse().map_err(|_| no_execution(id))?;
        let status = self
            .store
            .execution_status(execution_id)
            .await?
            .ok_or_else(|| no_execution(id))?;
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
        match self
            .engine
            .control_by(execution_id, command, Some(by.clone()))
        {
            Ok(()) => {}
            // Another replica runs it: the command goes to that one
            // (docs/scale-out.md, "Controls"), and its event comes back here.
            Err(EngineError::NotRunning(_))
                if self
                    .relay_control(execution_id, command, by.clone())
                    .await? => {}
            // It waits in the shared queue: this replica takes it out and ends it.
            Err(EngineError::NotRunning(_))
                if command == ControlCommand::Stop
                    && self
                        .engine
                        .stop_queued(execution_id, Some(by.clone()))
                        .await
                        .map_err(ApiError::from)? => {}
            Err(EngineError::NotRunning(_)) => {
                return Err(ApiError::new(
                    ErrorKind::Conflict,
                    format!("execution {id} is not running in this coordinator"),
                ))
            }
            Err(other) => return Err(ApiError::from(other)),
        }
        let took_effect = |kind: &EventKind| match command {
            ControlCommand::Pause => matches!(kind, EventKind::Paused),
            ControlCommand::Resume => matches!(kind, EventKind::Resumed),
            ControlCommand::SkipPhase => matches!(
                kind,
                EventKind::ControlReceived {
                    command: ControlCommand::SkipPhase,
                    ..
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

    /// Sends `command` to the live replica that owns `id`, if another one
    /// does; `false` when none does (or on SQLite, where nothing relays).
    async fn relay_control(
        &self,
        id: ExecutionId,
        command: ControlCommand,
        by: String,
    ) -> Result<bool, ApiError> {
        let Some(ownership) = self.store.execution_owner(id).await? else {
            return Ok(false);
        };
        if !ownership.live || ownership.owner == self.engine.owner().id {
            return Ok(false);
        }
        let request = crate::store::ControlRequest {
            owner: ownership.owner,
            execution_id: id,
            command,
            by: Some(by),
        };
        Ok(self.store.send_control(&request).await?)
    }

    /// Stored events of an execution after `since`.
    pub async fn execution_events(
        &self,
        id: &str,
        since: Option<u64>,
        limit: u32,
    ) -> Result<Vec<Event>, ApiError> {
        let execution_id: ExecutionId = id.parse().map_err(|_| no_execution(id))?;
        if self.store.execution_status(execution_id).await?.is_none() {
            return Err(no_execution(id));
        }
        self.store
            .list_events(execution_id, since, limit.clamp(1, 100_000))
            .await
            .map_err(ApiError::from)
    }

    /// The state of an execution.
    pub async fn execution_status(&self, id: &str) -> Result<ExecutionStatus, ApiError> {
        let execution_id: ExecutionId = id.parse().map_err(|_| no_execution(id))?;
        self.store
            .execution_status(execution_id)
            .await?
            .ok_or_else(|| no_execution(id))
    }

    /// [`Coordinator::execution_events`] as the logs endpoint answers them.
    pub async fn execution_log(
        &self,
        id: &str,
        since: Option<u64>,
        limit: u32,
    ) -> Result<ExecutionEvents, ApiError> {
        let events = self.execution_events(id, since, limit).await?;
        Ok(ExecutionEvents {
            execution_id: id.to_owned(),
            events,
        })
    }

    /// Planned against actual time of each event of execution `id`, or of the
    /// newest active execution when no id is given (400 when none runs).
    pub async fn execution_timeline(
        &self,
        id: Option<String>,
    ) -> Result<ExecutionTimeline, ApiError> {
        let id = match id {
            Some(id) => id,
            None => match self.active_executions().await?.into_iter().next() {
                Some(e) => e.id,
                None => return Err(invalid("give ?execution_id= (no execution is running)")),
            },
        };
        let events = self.execution_events(&id, None, 100_000).await?;
        let timeline = events
            .iter()
            .map(timeline_row)
            .collect::<Result<_, ApiError>>()?;
        Ok(ExecutionTimeline {
            execution_id: id,
            timeline,
        })
    }

    /// The live event stream (subscribe before replaying, then drop duplicates by `seq`).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.engine.subscribe()
    }

    /// An execution with every event recorded so far.
    pub async fn live_execution(&self, id: &str) -> Result<LiveExecution, ApiError> {
        let detail = self.execution_detail(id).await?;
        let events = self.execution_events(id, None, 100_000).await?;
        Ok(LiveExecution { detail, events })
    }

    /// Per scenario: runs, success rate, duration percentiles, mean recovery time.
    pub async fn scenario_performance(&self) -> Result<ScenarioPerformance, ApiError> {
        let rows = self.store.scenario_performance().await?;
        let recovery: std::collections::HashMap<String, (f64, u64)> = self
            .store
            .mean_recovery_ms()
            .await?
            .into_iter()
            .map(|(name, mean, n)| (name, (mean, n)))
            .collect();
        let scenarios = rows
            .into_iter()
            .map(|(name, runs, completed, mut durations)| {
                durations.sort_by(f64::total_cmp);
                let pct = |p: f64| crate::stats::percentile(&durations, p);
                ScenarioFigures {
                    runs,
                    completed,
                    success_rate: if runs == 0 {
                        0.0
                    } else {
                        completed as f64 / runs as f64
                    },
                    duration_seconds: DurationFigures {
                        p50: pct(50.0),
                        p95: pct(95.0),
                        max: durations.last().copied(),
                    },
                    mean_recovery_seconds: recovery.get(&name).map(|(mean, _)| mean / 1000.0),
                    recovery_samples: recovery.get(&name).map_or(0, |(_, n)| *n),
                    scenario: name,
                }
            })
            .collect();
        Ok(ScenarioPerformance { scenarios })
    }
}

/// What the UI's pages ask about executions.
impl Coordinator {
    /// The dashboard: executions per state, the latest ones, and counts.
    pub async fn overview(&self) -> Result<Overview, ApiError> {
        let counts = self.store.count_executions_by_status().await?;
        let recent = self.store.list_executions(5).await?;
        Ok(Overview {
            executions_by_status: counts
                .into_iter()
                .map(|(status, n)| (status.as_str().to_owned(), n))
                .collect(),
            recent_executions: recent,
            service_count: self.config.services.len(),
            library_count: self.library.files().len(),
        })
    }

    /// The newest `limit` executions (1 to 500).
    pub async fn recent_executions(&self, limit: u32) -> Result<Vec<ExecutionSummary>, ApiError> {
        Ok(self.store.list_executions(limit.clamp(1, 500)).await?)
    }

    /// [`Coordinator::control_execution`] with the command by name
    /// (`pause`, `resume`, `skip_phase`, `stop`), from the web UI, sent by `by`.
    pub async fn control_execution_named(
        &self,
        id: &str,
        command: &str,
        by: String,
    ) -> Result<ExecutionDetail, ApiError> {
        let parsed: ControlCommand = serde_json::from_value(Value::String(command.to_owned()))
            .map_err(|_| {
                invalid(format!(
                    "unknown command {command:?}: use pause, resume, skip_phase or stop"
                ))
            })?;
        self.control_execution(id, parsed, by).await
    }

    /// The history page: the UI's filter (a state, days) checked and applied.
    pub async fn history_page(&self, query: HistoryQuery) -> Result<HistoryPage, ApiError> {
        let statuses = match query.status.as_deref().filter(|s| !s.is_empty()) {
            Some(text) => vec![ExecutionStatus::parse(text)
                .ok_or_else(|| invalid(format!("unknown state {text:?}")))?],
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
                    invalid(format!(
                        "{what} must be a day such as 2026-11-25, not {text:?}"
                    ))
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
    }

    /// The active executions with their progress, a running one's projected
    /// to now between its events.
    pub async fn active_progress(&self) -> Result<Vec<ActiveExecution>, ApiError> {
        let now = time::OffsetDateTime::now_utc();
        let mut out = Vec::new();
        for summary in self.active_executions().await? {
            // It may have ended or gone in between; skip what is gone.
            let Ok(mut detail) = self.execution_detail(&summary.id).await else {
                continue;
            };
            let phase_count = detail.plan.phases.len();
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
                    .and_then(|i| detail.plan.phases.get(i))
                    .map(|p| p.end_ms.as_millis() as u64);
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
                phase_count,
            });
        }
        Ok(out)
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
