//! Schedules: create, read, enable, disable, trigger and remove them, and fire
//! the due ones (the scheduler's tick, `schedule::runner`). A firing is
//! claimed in the store before its execution is submitted, and submitted
//! through the same use cases as `execute` and suites, started by
//! `schedule:<id>`.

use app::api::{
    schedule::{
        FiringResult, ScheduleDetail, SchedulePreview, SchedulePreviewRequest, ScheduleRequest,
        ScheduleTriggered, ScheduleView, MAX_SCHEDULES, MAX_SCHEDULE_NAME,
    },
    ApiError, ErrorKind, ExecuteRequest,
};
use jiff::{SignedDuration, Timestamp};

use super::{invalid, Coordinator, MAX_SCENARIO_BYTES};
use crate::{
    engine::{event::ControlCommand, Channel, ExecutionId, StartedBy},
    metrics::Metrics,
    schedule::{
        plan::{self, ending, State},
        timing::{from_millis, rfc3339, Compiled, FieldError},
    },
    store::{Claim, NewFiring, NewSchedule, ScheduleRecord},
};

/// How far ahead `upcoming` looks.
const UPCOMING_DAYS: i64 = 7;
/// The most due times `upcoming` lists.
const UPCOMING_LIMIT: usize = 50;
/// Firings a detail lists.
const FIRINGS_SHOWN: u32 = 100;
/// Due schedules one tick decides at most (the next tick takes the rest at once).
pub const DUE_PER_TICK: u32 = 256;

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        let mut api = invalid(error.to_string());
        api.details = serde_json::json!({ "field": error.field });
        api
    }
}

fn no_schedule(id: &str) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no schedule {id}"))
}

/// A stored request that no longer reads is the store's problem (500).
fn stored_request(record: &ScheduleRecord) -> Result<ScheduleRequest, ApiError> {
    serde_json::from_str(&record.request).map_err(|error| {
        ApiError::from(crate::store::StoreError::Corrupt(format!(
            "schedule {}: stored request: {error}",
            record.id
        )))
    })
}

fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

/// What a schedule runs, in words.
fn target_words(request: &ScheduleRequest) -> String {
    match request {
        ScheduleRequest {
            suite: Some(suite), ..
        } => format!("suite of {}", suite.scenarios.len()),
        ScheduleRequest {
            scenario: Some(name),
            ..
        } => format!("scenario {name}"),
        ScheduleRequest {
            scenario_id: Some(id),
            version,
            ..
        } => match version {
            Some(v) => format!("uploaded {id} v{v}"),
            None => format!("uploaded {id}"),
        },
        ScheduleRequest {
            template: Some(template),
            ..
        } => format!("template {template}"),
        _ => "inline scenario".to_owned(),
    }
}

/// Who a schedule's executions are started by.
fn started_by(id: &str) -> StartedBy {
    StartedBy::new(Channel::Schedule, format!("schedule:{id}"))
}

impl Coordinator {
    /// The schedule `record` as the API shows it.
    fn schedule_view(&self, record: &ScheduleRecord) -> Result<ScheduleView, ApiError> {
        let mut request = stored_request(record)?;
        let compiled = Compiled::new(&request, from_millis(record.created_ms), false)?;
        request.policies.enabled = record.enabled;
        Ok(ScheduleView {
            id: record.id.clone(),
            name: record.name.clone(),
            target: target_words(&request),
            description: compiled.describe(&request.schedule),
            schedule: request.schedule,
            options: request.options,
            policies: request.policies,
            next_execution: record.next_due_ms.map(|ms| rfc3339(from_millis(ms))),
            execution_count: record.execution_count,
            last_firing: record.last_firing.clone(),
            ended: record.ended.clone(),
            created_by: record.created_by.clone(),
            created_at: record.created_at.clone(),
        })
    }

    async fn fetch_schedule(&self, id: &str) -> Result<ScheduleRecord, ApiError> {
        self.store
            .fetch_schedule(id)
            .await?
            .ok_or_else(|| no_schedule(id))
    }

    /// The request to `execute` a scenario source of `request` (not a suite).
    async fn execute_request(&self, request: &ScheduleRequest) -> Result<ExecuteRequest, ApiError> {
        let mut execute = ExecuteRequest {
            scenario: request.scenario.clone(),
            scenario_id: request.scenario_id.clone(),
            yaml: request.yaml.clone(),
            template: request.template.clone(),
            parameters: request.parameters.clone(),
            options: request.options.clone(),
        };
        if let (Some(id), Some(version)) = (&request.scenario_id, request.version) {
            let stored = self
                .store
                .fetch_scenario(id, Some(version))
                .await?
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::NotFound,
                        format!("version: uploaded scenario {id:?} has no version {version}"),
                    )
                })?;
            execute.scenario_id = None;
            execute.yaml = Some(stored.definition);
        }
        Ok(execute)
    }

    /// Checks that `request` names exactly one source and that it would run
    /// now: the same checks `execute` (or a suite) makes. Errors name the field.
    async fn check_source(&self, request: &ScheduleRequest) -> Result<(), ApiError> {
        let sources = [
            request.scenario.is_some(),
            request.scenario_id.is_some(),
            request.yaml.is_some(),
            request.template.is_some(),
            request.suite.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(invalid(
                "give exactly one of `scenario` (library name), `scenario_id` (+ `version`), `yaml`, `template` (+ `parameters`) or `suite`",
            ));
        }
        if request.version.is_some() && request.scenario_id.is_none() {
            return Err(invalid("version: only with `scenario_id`"));
        }
        if request
            .yaml
            .as_ref()
            .is_some_and(|y| y.len() > MAX_SCENARIO_BYTES)
        {
            return Err(ApiError::new(
                ErrorKind::TooLarge,
                "yaml: the scenario is larger than 1 MiB",
            ));
        }
        let field = match request {
            ScheduleRequest { suite: Some(_), .. } => "suite",
            ScheduleRequest {
                scenario: Some(_), ..
            } => "scenario",
            ScheduleRequest {
                scenario_id: Some(_),
                ..
            } => "scenario_id",
            ScheduleRequest {
                template: Some(_), ..
            } => "template",
            _ => "yaml",
        };
        let checked = match &request.suite {
            Some(suite) => self.admit_suite(suite).await.map(|_| ()),
            None => {
                let execute = self.execute_request(request).await?;
                self.prepare_execution(execute).await.map(|_| ())
            }
        };
        checked.map_err(|mut error| {
            if error.kind != ErrorKind::Internal && !error.message.starts_with(field) {
                error.message = format!("{field}: {}", error.message);
            }
            error
        })
    }

    /// Validates and stores a schedule (nothing is stored if anything is wrong).
    pub async fn create_schedule(
        &self,
        request: ScheduleRequest,
        actor: &str,
    ) -> Result<ScheduleView, ApiError> {
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > MAX_SCHEDULE_NAME {
            return Err(invalid(format!(
                "name: give 1 to {MAX_SCHEDULE_NAME} characters"
            )));
        }
        let now = Timestamp::now();
        let compiled = Compiled::new(&request, now, true)?;
        if !request.options.speed.is_finite() {
            return Err(invalid("options.speed must be a number"));
        }
        self.check_source(&request).await?;
        if self.store.count_schedules().await? >= MAX_SCHEDULES as i64 {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                format!("there are already {MAX_SCHEDULES} schedules; remove some first"),
            ));
        }
        let (next, ended) = ending(&compiled, compiled.timing.next_after(now), 0);
        let id = uuid::Uuid::new_v4().to_string();
        let text = serde_json::to_string(&request).map_err(|error| {
            tracing::error!(%error, "a schedule request does not serialise");
            ApiError::internal()
        })?;
        self.store
            .insert_schedule(&NewSchedule {
                id: &id,
                name,
                request: &text,
                enabled: request.policies.enabled,
                next_due_ms: next.map(millis),
                ended: ended.as_deref(),
                created_by: actor,
                created_ms: millis(now),
            })
            .await?;
        tracing::info!(
            schedule_id = id,
            name,
            kind = request.schedule.kind(),
            "schedule created"
        );
        self.schedules.wake();
        let record = self.fetch_schedule(&id).await?;
        self.schedule_view(&record)
    }

    /// Every schedule, by next due time.
    pub async fn list_schedules(&self) -> Result<Vec<ScheduleView>, ApiError> {
        let mut views = Vec::new();
        for record in self.store.list_schedules().await? {
            views.push(self.schedule_view(&record)?);
        }
        Ok(views)
    }

    /// A schedule, its next due times and its firings.
    pub async fn schedule_detail(&self, id: &str) -> Result<ScheduleDetail, ApiError> {
        let record = self.fetch_schedule(id).await?;
        let view = self.schedule_view(&record)?;
        let request = stored_request(&record)?;
        let compiled = Compiled::new(&request, from_millis(record.created_ms), false)?;
        let upcoming = match (record.enabled, record.next_due_ms) {
            (true, Some(next)) => {
                let next = from_millis(next);
                let until = Timestamp::now()
                    .checked_add(SignedDuration::from_hours(24 * UPCOMING_DAYS))
                    .unwrap_or(Timestamp::MAX);
                compiled
                    .upcoming(
                        next - SignedDuration::from_millis(1),
                        until,
                        record.execution_count,
                        UPCOMING_LIMIT,
                    )
                    .into_iter()
                    .map(rfc3339)
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok(ScheduleDetail {
            schedule: view,
            upcoming,
            firings: self.store.list_firings(id, FIRINGS_SHOWN).await?,
        })
    }

    /// Enables or disables a schedule. Enabling moves its next due time past
    /// now: what fell while it was off is not run.
    pub async fn set_schedule_enabled(
        &self,
        id: &str,
        enabled: bool,
    ) -> Result<ScheduleView, ApiError> {
        let record = self.fetch_schedule(id).await?;
        let next = if enabled && !record.enabled && record.ended.is_none() {
            let request = stored_request(&record)?;
            let compiled = Compiled::new(&request, from_millis(record.created_ms), false)?;
            let now = Timestamp::now();
            let due = record.next_due_ms.map(from_millis);
            // A due time still ahead stays; one that passed while off moves on.
            Some(match due {
                Some(due) if due > now => Some(millis(due)),
                _ => compiled.timing.next_after(now).map(millis),
            })
        } else {
            None
        };
        self.store.set_schedule_enabled(id, enabled, next).await?;
        self.schedules.wake();
        let record = self.fetch_schedule(id).await?;
        self.schedule_view(&record)
    }

    /// Removes a schedule and its history (its executions stay in the history).
    pub async fn remove_schedule(&self, id: &str) -> Result<(), ApiError> {
        if !self.store.delete_schedule(id).await? {
            return Err(no_schedule(id));
        }
        self.schedules.wake();
        Ok(())
    }

    /// Runs a schedule now, whatever its timing, blackouts and concurrency
    /// say (a person asked); recorded as a manual firing, not counted against
    /// `max_executions`.
    pub async fn trigger_schedule(&self, id: &str) -> Result<ScheduleTriggered, ApiError> {
        let record = self.fetch_schedule(id).await?;
        let request = stored_request(&record)?;
        let now = Timestamp::now();
        let reserved = ExecutionId::new().to_string();
        let claim = Claim {
            expected_due_ms: record.next_due_ms,
            next_due_ms: record.next_due_ms,
            ended: record.ended.clone(),
            added: 0,
            last_run: Some(reserved.clone()),
            firings: vec![NewFiring {
                due_ms: millis(now),
                manual: true,
                result: FiringResult::Claimed,
                execution_id: Some(reserved.clone()),
                reason: Some("trigger".to_owned()),
            }],
            fired_ms: millis(now),
            only_if_enabled: false,
            claimed_by: Some(self.engine.owner().id),
        };
        if !self.store.claim_firings(id, &claim).await? {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                "the schedule is firing right now; try again",
            ));
        }
        let (execution_id, suite_id) = self
            .submit_firing(&record, &request, &reserved, false)
            .await?;
        Ok(ScheduleTriggered {
            schedule_id: id.to_owned(),
            execution_id,
            suite_id,
        })
    }

    /// Submits the claimed firing `reserved` of `record` and records what
    /// became of it. `counted`: it added to the execution count.
    async fn submit_firing(
        &self,
        record: &ScheduleRecord,
        request: &ScheduleRequest,
        reserved: &str,
        counted: bool,
    ) -> Result<(Option<String>, Option<String>), ApiError> {
        let submitted = match &request.suite {
            Some(suite) => self
                .start_suite(suite.clone(), started_by(&record.id))
                .await
                .map(|accepted| (None, Some(accepted.suite_id))),
            None => self
                .submit_scenario(record, request, reserved)
                .await
                .map(|()| (Some(reserved.to_owned()), None)),
        };
        match &submitted {
            Ok((_, suite_id)) => {
                self.store
                    .settle_firing(
                        &record.id,
                        reserved,
                        FiringResult::Submitted,
                        suite_id.as_deref(),
                        None,
                        counted,
                    )
                    .await?;
            }
            Err(error) => {
                tracing::warn!(schedule_id = record.id, error = %error.message, "a scheduled firing was refused");
                self.store
                    .settle_firing(
                        &record.id,
                        reserved,
                        FiringResult::Failed,
                        None,
                        Some(&error.message),
                        counted,
                    )
                    .await?;
            }
        }
        submitted
    }

    async fn submit_scenario(
        &self,
        record: &ScheduleRecord,
        request: &ScheduleRequest,
        reserved: &str,
    ) -> Result<(), ApiError> {
        let execute = self.execute_request(request).await?;
        let options = execute.options.clone();
        let (prepared, plan) = self.prepare_execution(execute).await?;
        self.check_capacity(1).await?;
        let id: ExecutionId = reserved.parse().map_err(|_| ApiError::internal())?;
        self.submit_prepared(id, &prepared, plan, &options, started_by(&record.id))
            .await
    }

    /// Whether the run `id` (an execution or a suite) is still queued or running.
    async fn run_is_active(&self, id: &str) -> Result<bool, ApiError> {
        if let Ok(execution) = id.parse::<ExecutionId>() {
            if self.engine.active().contains(&execution) {
                return Ok(true);
            }
        }
        Ok(self
            .store
            .fetch_suite(id)
            .await?
            .is_some_and(|suite| !suite.status.is_finished()))
    }

    /// Stops the run `id`: the execution, or a suite's active members.
    async fn stop_run(&self, id: &str, by: &str) -> Result<(), ApiError> {
        let members = match self.store.fetch_suite(id).await? {
            Some(suite) => suite.members.into_iter().map(|m| m.execution_id).collect(),
            None => vec![id.to_owned()],
        };
        for member in members {
            if let Ok(execution) = member.parse::<ExecutionId>() {
                if self.engine.active().contains(&execution) {
                    // Already ending is fine: the new run starts either way.
                    let _ = self
                        .control_execution(&member, ControlCommand::Stop, by.to_owned())
                        .await;
                }
            }
        }
        Ok(())
    }

    /// Decides every schedule due at `now` (claim, then submit), at most
    /// [`DUE_PER_TICK`]; returns how many it decided.
    pub async fn fire_due(&self, metrics: &Metrics) -> Result<usize, ApiError> {
        let now = Timestamp::now();
        let due = self.store.due_schedules(millis(now), DUE_PER_TICK).await?;
        let count = due.len();
        for record in due {
            if let Err(error) = self.fire_one(&record, metrics).await {
                tracing::error!(schedule_id = record.id, error = %error.message, "a schedule could not fire");
            }
        }
        Ok(count)
    }

    async fn fire_one(&self, record: &ScheduleRecord, metrics: &Metrics) -> Result<(), ApiError> {
        let Some(next_due_ms) = record.next_due_ms else {
            return Ok(());
        };
        let request = stored_request(record)?;
        let compiled = Compiled::new(&request, from_millis(record.created_ms), false)?;
        let running = match &record.last_run {
            Some(run) if self.run_is_active(run).await? => Some(run.clone()),
            _ => None,
        };
        let state = State {
            next_due: from_millis(next_due_ms),
            execution_count: record.execution_count,
            running,
        };
        let now = Timestamp::now();
        let tick = plan::tick(&compiled, &request.policies, &state, now);
        let reserved = tick.fire.as_ref().map(|_| ExecutionId::new().to_string());
        let mut firings: Vec<NewFiring> = tick
            .skipped
            .iter()
            .map(|skip| NewFiring {
                due_ms: millis(skip.due),
                manual: false,
                result: FiringResult::Skipped,
                execution_id: None,
                reason: Some(skip.reason.clone()),
            })
            .collect();
        if let (Some(fire), Some(reserved)) = (&tick.fire, &reserved) {
            firings.push(NewFiring {
                due_ms: millis(fire.due),
                manual: false,
                result: FiringResult::Claimed,
                execution_id: Some(reserved.clone()),
                reason: match (&fire.replace, fire.late) {
                    (Some(run), _) => Some(format!("replaced {run}")),
                    (None, true) => Some("ran late: policy missed: run_once".to_owned()),
                    (None, false) => None,
                },
            });
        }
        let claim = Claim {
            expected_due_ms: Some(next_due_ms),
            next_due_ms: tick.next_due.map(millis),
            ended: tick.ended.clone(),
            added: u32::from(tick.fire.is_some()),
            last_run: reserved.clone(),
            firings,
            fired_ms: millis(now),
            only_if_enabled: true,
            claimed_by: Some(self.engine.owner().id),
        };
        if !self.store.claim_firings(&record.id, &claim).await? {
            // Decided elsewhere, or disabled, since it was read.
            return Ok(());
        }
        for _ in &tick.skipped {
            metrics.observe_firing("skipped", None);
        }
        let (Some(fire), Some(reserved)) = (tick.fire, reserved) else {
            return Ok(());
        };
        if let Some(previous) = &fire.replace {
            self.stop_run(previous, &format!("schedule:{}", record.id))
                .await?;
        }
        let submitted = self.submit_firing(record, &request, &reserved, true).await;
        let late = Timestamp::now().duration_since(fire.due).as_secs_f64();
        match submitted {
            Ok(_) => metrics.observe_firing("submitted", Some(late)),
            Err(_) => metrics.observe_firing("failed", None),
        }
        Ok(())
    }

    /// A timing and policies in plain words with their next due times.
    pub fn preview_schedule(
        &self,
        request: SchedulePreviewRequest,
    ) -> Result<SchedulePreview, ApiError> {
        let now = Timestamp::now();
        let compiled = Compiled::from_parts(&request.schedule, &request.policies, now, true)?;
        let until = now
            .checked_add(SignedDuration::from_hours(24 * UPCOMING_DAYS))
            .unwrap_or(Timestamp::MAX);
        Ok(SchedulePreview {
            description: compiled.describe(&request.schedule),
            upcoming: compiled
                .upcoming(now, until, 0, UPCOMING_LIMIT)
                .into_iter()
                .map(rfc3339)
                .collect(),
        })
    }
}
