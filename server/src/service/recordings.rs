//! Recordings and replays (issue 19): start and stop capturing, list, show,
//! export, import and remove recordings; a recording as a scenario; replays,
//! which are executions of that scenario, with their status and controls.

use app::{
    api::{
        event::ControlCommand,
        recording::{
            ExportFormat, RecordedEvent, RecordedScenario, RecordingDetail, RecordingDocument,
            RecordingExportRequest, RecordingList, RecordingScenario, RecordingStartRequest,
            RecordingState, RecordingStatus, RecordingView, ReplayList, ReplayRequest, ReplayShape,
            ReplaySpeed, ReplayStatus, ReplayView, SpeedWord, DEFAULT_MAX_EVENTS, MAX_EVENTS,
            MAX_LIST, MAX_NAME_CHARS, MAX_RECORDINGS,
        },
        ApiError, ErrorKind, ExecuteOptions, ExecutionStatus, MAX_REPEAT,
    },
    scenario::duration::MAX_DURATION,
};
use serde_json::json;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{invalid, Coordinator};
use crate::{
    engine::StartedBy,
    prepare::Source,
    recording::{
        scenario::{self, BuildError},
        Capture,
    },
    store::{from_unix_ms, unix_ms, NewRecording, NewReplay, RecordingRecord, ReplayRecord},
};

/// The longest text of one `metadata` value or service name in an import.
const MAX_TEXT: usize = 1024;

fn no_recording(id: &str) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no recording {id:?}"))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// A name of 1 to 128 characters without control characters.
fn check_name(name: &str, field: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        let mut error = invalid(format!(
            "{field} must be 1 to {MAX_NAME_CHARS} characters without control characters"
        ));
        error.details = json!({ "field": field });
        return Err(error);
    }
    Ok(name.to_owned())
}

fn field_error(field: &str, message: String) -> ApiError {
    let mut error = invalid(message);
    error.details = json!({ "field": field });
    error
}

/// `game day #3` → `game-day-3`: the scenario name a recording becomes.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "recording".to_owned()
    } else {
        out.to_owned()
    }
}

fn view(record: &RecordingRecord) -> RecordingView {
    let state = match record.state.as_str() {
        "recording" => RecordingState::Recording,
        "stopped" => RecordingState::Stopped,
        "interrupted" => RecordingState::Interrupted,
        _ => RecordingState::Imported,
    };
    let services: Vec<String> = serde_json::from_str(&record.services).unwrap_or_default();
    let end = record
        .ended_ms
        .unwrap_or_else(|| unix_ms(OffsetDateTime::now_utc()));
    RecordingView {
        id: record.id.clone(),
        name: record.name.clone(),
        services,
        state,
        started_at: rfc3339(from_unix_ms(record.started_ms)),
        ended_at: record.ended_ms.map(|ms| rfc3339(from_unix_ms(ms))),
        total_duration_ms: u64::try_from(end - record.started_ms).unwrap_or(0),
        event_count: u32::try_from(record.event_count).unwrap_or(u32::MAX),
        dropped_events: u32::try_from(record.dropped_events).unwrap_or(u32::MAX),
        max_events: u32::try_from(record.max_events).unwrap_or(u32::MAX),
        created_by: record.created_by.clone(),
    }
}

fn replay_view(record: ReplayRecord) -> ReplayView {
    let status = ExecutionStatus::parse(&record.status).unwrap_or(ExecutionStatus::Queued);
    let iterations = u32::try_from(record.iterations).unwrap_or(1);
    let total = u32::try_from(record.total_events).unwrap_or(0);
    let sent = u32::try_from(record.sent).unwrap_or(0);
    let all = f64::from(total) * f64::from(iterations);
    let progress = if status == ExecutionStatus::Completed {
        1.0
    } else if all > 0.0 {
        (f64::from(sent) / all).min(1.0)
    } else {
        0.0
    };
    ReplayView {
        execution_id: record.execution_id,
        recording_id: record.recording_id,
        recording_name: record.recording_name,
        is_playing: matches!(status, ExecutionStatus::Queued | ExecutionStatus::Running),
        is_paused: status == ExecutionStatus::Paused,
        status,
        speed: record.speed,
        iterations,
        current_event: sent,
        total_events: total,
        progress,
        started_at: record.created_at,
    }
}

impl Coordinator {
    /// Starts capturing (409 if a recording already is).
    pub async fn start_recording(
        &self,
        request: RecordingStartRequest,
        actor: &str,
    ) -> Result<RecordingView, ApiError> {
        let now = OffsetDateTime::now_utc();
        let name = match &request.name {
            Some(name) => check_name(name, "name")?,
            None => format!(
                "recording-{}",
                rfc3339(now).get(..19).unwrap_or_default().replace(':', "")
            ),
        };
        if request.services.len() > MAX_LIST {
            return Err(field_error(
                "services",
                format!("services lists at most {MAX_LIST} services"),
            ));
        }
        if let Some(unknown) = request
            .services
            .iter()
            .find(|s| !self.config.services.contains_key(s.as_str()))
        {
            return Err(field_error(
                "services",
                format!("no service named {unknown:?} is configured"),
            ));
        }
        let max_events = request.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
        if !(1..=MAX_EVENTS).contains(&max_events) {
            return Err(field_error(
                "max_events",
                format!("max_events must be from 1 to {MAX_EVENTS}, not {max_events}"),
            ));
        }
        self.check_room_for_a_recording().await?;
        let id = uuid::Uuid::new_v4().to_string();
        let services = serde_json::to_string(&request.services).unwrap_or_else(|_| "[]".into());
        let busy = || {
            ApiError::new(
                ErrorKind::Conflict,
                "a recording is already capturing: stop it first (POST /api/chaos/recording/stop)",
            )
        };
        // One captured by a replica that died since must not block the next.
        self.store.end_interrupted_recordings().await?;
        let stored = self
            .store
            .insert_recording(&NewRecording {
                id: &id,
                name: &name,
                services: &services,
                state: RecordingState::Recording,
                max_events,
                started_ms: unix_ms(now),
                ended_ms: None,
                created_by: actor,
                owner: Some(self.engine.owner().id),
            })
            .await?;
        if !stored {
            return Err(busy());
        }
        let started = self.recorder.start(Capture {
            id: id.clone(),
            services: request.services,
            store: self.store.clone(),
            config: self.config.clone(),
            client: self.client.clone(),
            live: self.engine.subscribe(),
        });
        if !started {
            self.store
                .end_recording(&id, RecordingState::Interrupted, unix_ms(now))
                .await?;
            return Err(busy());
        }
        tracing::info!(recording = %id, name, "recording started");
        self.recording_view(&id).await
    }

    async fn check_room_for_a_recording(&self) -> Result<(), ApiError> {
        let stored = u64::try_from(self.store.count_recordings().await?).unwrap_or(u64::MAX);
        if stored >= MAX_RECORDINGS {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                format!("{MAX_RECORDINGS} recordings are kept already: remove some first"),
            ));
        }
        Ok(())
    }

    /// Stops the recording under way (`id`, when given, must be it).
    pub async fn stop_recording(&self, id: Option<&str>) -> Result<RecordingView, ApiError> {
        let Some(stopped) = self.recorder.stop(id).await else {
            return Err(match id {
                Some(id) if self.store.fetch_recording(id).await?.is_none() => no_recording(id),
                Some(id) => ApiError::new(
                    ErrorKind::Conflict,
                    format!("recording {id} is not capturing"),
                ),
                None => ApiError::new(ErrorKind::Conflict, "no recording is capturing"),
            });
        };
        self.store
            .end_recording(
                &stopped,
                RecordingState::Stopped,
                unix_ms(OffsetDateTime::now_utc()),
            )
            .await?;
        tracing::info!(recording = %stopped, "recording stopped");
        self.recording_view(&stopped).await
    }

    /// At shutdown: the recording under way ends `interrupted`, with what it
    /// captured written.
    pub async fn interrupt_recording(&self) {
        if let Some(id) = self.recorder.stop(None).await {
            let ended = unix_ms(OffsetDateTime::now_utc());
            if let Err(error) = self
                .store
                .end_recording(&id, RecordingState::Interrupted, ended)
                .await
            {
                tracing::error!(recording = %id, %error, "cannot end the recording");
            }
        }
    }

    async fn fetch_recording(&self, id: &str) -> Result<RecordingRecord, ApiError> {
        self.store
            .fetch_recording(id)
            .await?
            .ok_or_else(|| no_recording(id))
    }

    async fn recording_view(&self, id: &str) -> Result<RecordingView, ApiError> {
        Ok(view(&self.fetch_recording(id).await?))
    }

    /// The recording under way, or else the newest.
    pub async fn recording_status(&self) -> Result<RecordingStatus, ApiError> {
        let current = self.store.current_recording().await?;
        Ok(RecordingStatus {
            is_recording: current.as_ref().is_some_and(|r| r.state == "recording"),
            recording: current.as_ref().map(view),
        })
    }

    /// Every recording, newest first.
    pub async fn list_recordings(&self) -> Result<RecordingList, ApiError> {
        let records = self.store.list_recordings(MAX_RECORDINGS as u32).await?;
        Ok(RecordingList {
            recordings: records.iter().map(view).collect(),
        })
    }

    /// A recording with its events and replays.
    pub async fn recording_detail(&self, id: &str) -> Result<RecordingDetail, ApiError> {
        let recording = self.recording_view(id).await?;
        let events = self.store.recording_events(id).await?;
        let replays = self.store.list_replays(Some(id), 100).await?;
        Ok(RecordingDetail {
            recording,
            events,
            replays: replays.into_iter().map(replay_view).collect(),
        })
    }

    /// A recording in seed 004's shape (the newest when `id` is `None`).
    pub async fn recording_document(
        &self,
        id: Option<&str>,
    ) -> Result<RecordingDocument, ApiError> {
        let record = match id {
            Some(id) => self.fetch_recording(id).await?,
            None => self
                .store
                .current_recording()
                .await?
                .ok_or_else(|| ApiError::new(ErrorKind::NotFound, "no recording yet"))?,
        };
        let view = view(&record);
        Ok(RecordingDocument {
            scenario: RecordedScenario {
                name: record.name.clone(),
                description: None,
                services: view.services,
            },
            events: self.store.recording_events(&record.id).await?,
            recording_started: from_unix_ms(record.started_ms),
            recording_ended: record.ended_ms.map(from_unix_ms),
            total_duration_ms: view.total_duration_ms,
        })
    }

    /// The seed's export: the document as JSON or YAML text.
    pub async fn export_recording(
        &self,
        request: RecordingExportRequest,
    ) -> Result<(ExportFormat, String), ApiError> {
        if request.path.is_some() {
            return Err(field_error(
                "path",
                "the server writes no files: the export is the response body (drop `path` and save the body)".to_owned(),
            ));
        }
        let document = self.recording_document(request.id.as_deref()).await?;
        let text = match request.format {
            ExportFormat::Json => serde_json::to_string_pretty(&document).map_err(|e| {
                tracing::error!(%e, "cannot write a recording as JSON");
                ApiError::internal()
            })?,
            ExportFormat::Yaml => serde_yaml::to_string(&document).map_err(|e| {
                tracing::error!(%e, "cannot write a recording as YAML");
                ApiError::internal()
            })?,
        };
        Ok((request.format, text))
    }

    /// Stores a recording document (checked: bounds, times, names).
    pub async fn import_recording(
        &self,
        document: RecordingDocument,
        actor: &str,
    ) -> Result<RecordingView, ApiError> {
        let name = check_name(&document.scenario.name, "scenario.name")?;
        let count = document.events.len();
        if count > MAX_EVENTS as usize {
            return Err(field_error(
                "events",
                format!("a recording holds at most {MAX_EVENTS} events, not {count}"),
            ));
        }
        if document.scenario.services.len() > MAX_LIST
            || document
                .scenario
                .services
                .iter()
                .any(|s| s.is_empty() || s.len() > MAX_TEXT)
        {
            return Err(field_error(
                "scenario.services",
                format!(
                    "scenario.services lists at most {MAX_LIST} names of 1 to {MAX_TEXT} bytes"
                ),
            ));
        }
        let started = document.recording_started;
        let max_ms = u64::try_from(MAX_DURATION.as_millis()).unwrap_or(u64::MAX);
        let mut total = document.total_duration_ms;
        for (i, event) in document.events.iter().enumerate() {
            if event.timestamp < started {
                return Err(field_error(
                    &format!("events[{i}].timestamp"),
                    format!("events[{i}].timestamp is before recording_started"),
                ));
            }
            let service = event.event_type.service();
            if service.is_empty() || service.len() > MAX_TEXT {
                return Err(field_error(
                    &format!("events[{i}].event_type.service"),
                    format!("events[{i}]: a service name is 1 to {MAX_TEXT} bytes"),
                ));
            }
            if event.metadata.len() > MAX_LIST
                || event
                    .metadata
                    .iter()
                    .any(|(k, v)| k.len() > MAX_TEXT || v.len() > MAX_TEXT)
            {
                return Err(field_error(
                    &format!("events[{i}].metadata"),
                    format!(
                        "events[{i}].metadata has at most {MAX_LIST} entries of {MAX_TEXT} bytes"
                    ),
                ));
            }
            total = total.max(scenario::offset_ms(started, event.timestamp));
        }
        if total > max_ms {
            return Err(field_error(
                "total_duration_ms",
                "a recording lasts at most 30 days".to_owned(),
            ));
        }
        self.check_room_for_a_recording().await?;
        let mut events = document.events;
        events.sort_by_key(|e| e.timestamp);
        let id = uuid::Uuid::new_v4().to_string();
        let services =
            serde_json::to_string(&document.scenario.services).unwrap_or_else(|_| "[]".into());
        let started_ms = unix_ms(started);
        self.store
            .import_recording(
                &NewRecording {
                    id: &id,
                    name: &name,
                    services: &services,
                    state: RecordingState::Imported,
                    max_events: u32::try_from(count).unwrap_or(MAX_EVENTS).max(1),
                    started_ms,
                    ended_ms: Some(started_ms.saturating_add(i64::try_from(total).unwrap_or(0))),
                    created_by: actor,
                    owner: None,
                },
                &events,
            )
            .await?;
        self.recording_view(&id).await
    }

    /// Imports a document written as JSON or YAML text.
    pub async fn import_recording_text(
        &self,
        text: &str,
        actor: &str,
    ) -> Result<RecordingView, ApiError> {
        if text.len() > super::MAX_SCENARIO_BYTES {
            return Err(ApiError::new(
                ErrorKind::TooLarge,
                "the recording is larger than 1 MiB",
            ));
        }
        // YAML is a superset of JSON: one parser reads both.
        let document: RecordingDocument = serde_yaml::from_str(text)
            .map_err(|e| invalid(format!("not a recording document: {e}")))?;
        self.import_recording(document, actor).await
    }

    /// Removes a recording that is not capturing (its replays' executions stay).
    pub async fn remove_recording(&self, id: &str) -> Result<(), ApiError> {
        let record = self.fetch_recording(id).await?;
        if record.state == "recording" || !self.store.delete_recording(id).await? {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                format!("recording {id} is capturing: stop it first"),
            ));
        }
        Ok(())
    }

    /// The scenario `record` becomes with `shape`, as YAML, checked by the
    /// validator like any scenario.
    async fn built_scenario(
        &self,
        record: &RecordingRecord,
        name: &str,
        shape: &ReplayShape,
    ) -> Result<(String, scenario::Built), ApiError> {
        let events: Vec<RecordedEvent> = self.store.recording_events(&record.id).await?;
        let total_ms = view(record).total_duration_ms;
        let built = scenario::build(
            scenario::Source {
                name,
                started: from_unix_ms(record.started_ms),
                total_ms,
                events: &events,
            },
            shape,
            &|service| {
                self.config
                    .services
                    .get(service)
                    .is_some_and(|s| s.chaos_api_path.is_some())
            },
        )
        .map_err(|error| match error {
            BuildError::UnknownType(_) => field_error("event_types", error.to_string()),
            BuildError::Empty(_) => ApiError::new(ErrorKind::Validation, error.to_string()),
        })?;
        let body = serde_yaml::to_string(&built.scenario).map_err(|e| {
            tracing::error!(%e, "cannot write a recording's scenario");
            ApiError::internal()
        })?;
        let yaml = format!(
            "# Made from the recording {:?} ({}): {} events became actions, {} were left out.\n{body}",
            record.name, record.id, built.actions, built.left_out
        );
        Ok((yaml, built))
    }

    /// "Save as scenario": the recording as a scenario that validates.
    pub async fn recording_scenario(
        &self,
        id: &str,
        shape: ReplayShape,
    ) -> Result<RecordingScenario, ApiError> {
        let record = self.fetch_recording(id).await?;
        let name = slug(&record.name);
        let (yaml, built) = self.built_scenario(&record, &name, &shape).await?;
        // Refused here rather than in the editor: imported recordings may name
        // services this coordinator does not have.
        let prepared = self.prepare_source(Source::Text(yaml.clone())).await?;
        self.admit(&prepared, &ExecuteOptions::default())?;
        Ok(RecordingScenario {
            yaml,
            name,
            actions: built.actions,
            left_out: built.left_out,
        })
    }

    /// Replays a recording: an execution of its scenario.
    pub async fn start_replay(
        &self,
        request: ReplayRequest,
        started_by: StartedBy,
    ) -> Result<ReplayView, ApiError> {
        if request.path.is_some() {
            return Err(field_error(
                "path",
                "the server reads no files: send the recording as `recording` (the CLI reads a file for you: `test-coordinator replay FILE`) or name a stored one with `recording_id`".to_owned(),
            ));
        }
        let (speed, fast) = match request.speed {
            ReplaySpeed::Word(SpeedWord::Realtime) => (1.0, false),
            ReplaySpeed::Word(SpeedWord::Fast) => (1.0, true),
            ReplaySpeed::Multiplier(m) => (
                app::api::check_speed(m).map_err(|m| field_error("speed", m))?,
                false,
            ),
        };
        let iterations = match (request.loop_replay, request.max_iterations) {
            (false, None) => 1,
            (false, Some(_)) => {
                return Err(field_error(
                    "max_iterations",
                    "max_iterations needs loop_replay: true".to_owned(),
                ))
            }
            (true, None) => MAX_REPEAT,
            (true, Some(n)) if (1..=MAX_REPEAT).contains(&n) => n,
            (true, Some(n)) => {
                return Err(field_error(
                    "max_iterations",
                    format!("max_iterations must be from 1 to {MAX_REPEAT}, not {n}"),
                ))
            }
        };
        if request.event_types.len() > MAX_LIST {
            return Err(field_error(
                "event_types",
                format!("event_types lists at most {MAX_LIST} types"),
            ));
        }
        let record = match (request.recording_id, request.recording) {
            (Some(id), None) => self.fetch_recording(&id).await?,
            (None, Some(document)) => {
                let imported = self.import_recording(document, &started_by.actor).await?;
                self.fetch_recording(&imported.id).await?
            }
            _ => {
                return Err(invalid(
                    "give exactly one of `recording_id` (a stored recording) or `recording` (a document)",
                ))
            }
        };
        let shape = ReplayShape {
            skip_initial_delay: request.skip_initial_delay,
            event_types: request.event_types,
            fast,
        };
        let name = format!("replay-{}", slug(&record.name));
        let (yaml, built) = self.built_scenario(&record, &name, &shape).await?;
        let options = ExecuteOptions {
            speed,
            dry_run: false,
            // A refused event fails its part; the replay goes on with the next.
            continue_on_failure: true,
            repeat: iterations,
            ..ExecuteOptions::default()
        };
        let prepared = self.prepare_source(Source::Text(yaml)).await?;
        let plan = self.admit(&prepared, &options)?;
        let started = self
            .start_prepared(&prepared, plan, &options, started_by)
            .await?;
        let speed_words = if fast {
            "fast".to_owned()
        } else {
            request.speed.words()
        };
        self.store
            .insert_replay(&NewReplay {
                execution_id: &started.execution_id,
                recording_id: &record.id,
                speed: &speed_words,
                iterations,
                total_events: built.actions,
            })
            .await?;
        tracing::info!(recording = %record.id, execution = %started.execution_id, speed = %speed_words, "replay started");
        self.replay(&started.execution_id).await
    }

    /// One replay.
    pub async fn replay(&self, execution_id: &str) -> Result<ReplayView, ApiError> {
        self.store
            .fetch_replay(execution_id)
            .await?
            .map(replay_view)
            .ok_or_else(|| {
                ApiError::new(ErrorKind::NotFound, format!("no replay {execution_id:?}"))
            })
    }

    /// The replay under way, or else the newest.
    pub async fn replay_status(&self) -> Result<ReplayStatus, ApiError> {
        Ok(ReplayStatus {
            replay: self.store.current_replay().await?.map(replay_view),
        })
    }

    /// Replays, newest first.
    pub async fn list_replays(&self) -> Result<ReplayList, ApiError> {
        Ok(ReplayList {
            replays: self
                .store
                .list_replays(None, 200)
                .await?
                .into_iter()
                .map(replay_view)
                .collect(),
        })
    }

    /// Pause, resume or stop a replay (the one under way when `execution_id`
    /// is `None`): its execution's controls.
    pub async fn control_replay(
        &self,
        execution_id: Option<&str>,
        command: ControlCommand,
        by: String,
    ) -> Result<ReplayView, ApiError> {
        let id = match execution_id {
            Some(id) => self.replay(id).await?.execution_id,
            None => self
                .store
                .current_replay()
                .await?
                .filter(|r| matches!(r.status.as_str(), "queued" | "running" | "paused"))
                .map(|r| r.execution_id)
                .ok_or_else(|| ApiError::new(ErrorKind::Conflict, "no replay is under way"))?,
        };
        self.control_execution(&id, command, by).await?;
        self.replay(&id).await
    }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn a_recording_name_becomes_a_scenario_name() {
        assert_eq!(slug("Game day #3"), "game-day-3");
        assert_eq!(slug("  --  "), "recording");
        assert_eq!(slug("Ünïcode Ops"), "n-code-ops");
    }
}
