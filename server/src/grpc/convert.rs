//! The REST types (`app::api`) as the gRPC messages of `proto/`, field for
//! field, and an [`ApiError`] as a gRPC [`Status`]. One direction only, except
//! for the requests: the server reads messages and answers with them.

use app::{
    api::{
        event::{ActionOutcome, AssertionResult, ChaosEffect, Event, EventKind},
        rest::{AvailableScenario, ScenarioSource},
        verdict::Verdict,
        ApiError, ErrorKind, ExecuteOptions, ExecutionDetail, ExecutionStatus, ExecutionSummary,
        OnOwnerLoss, Progress,
    },
    scenario::{
        diagnostic::{Diagnostic, Severity},
        plan::Plan,
    },
};
use prost::Message;
use serde_json::Value;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tonic::{metadata::MetadataValue, Code, Status};

use super::{proto as pb, rpc};
use crate::report::{schema::AssertionOutcome, ExecutionReport};

/// The metadata key that names the REST error kind of a failed call
/// (`validation`, `not_found`, …), so a client can branch as on the JSON body.
pub const ERROR_KIND_KEY: &str = "tc-error-kind";
/// The type URL of [`pb::Diagnostics`] in a status's details.
pub const DIAGNOSTICS_TYPE_URL: &str = "type.googleapis.com/test_coordinator.v1.Diagnostics";

/// The gRPC code of each error kind (docs/grpc.md, "Errors").
pub fn code_of(kind: ErrorKind) -> Code {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::Validation => Code::InvalidArgument,
        ErrorKind::Unauthorized => Code::Unauthenticated,
        ErrorKind::InsufficientRole | ErrorKind::Forbidden => Code::PermissionDenied,
        ErrorKind::NotFound => Code::NotFound,
        ErrorKind::Conflict => Code::FailedPrecondition,
        ErrorKind::TooLarge | ErrorKind::TooManyRequests => Code::ResourceExhausted,
        ErrorKind::Unavailable => Code::Unavailable,
        ErrorKind::Internal => Code::Internal,
        // `ErrorKind` is non-exhaustive: a kind added later is a server error
        // until it is mapped here (the test below lists every kind).
        _ => Code::Internal,
    }
}

/// A gRPC code's name as the specification spells it (`NOT_FOUND`).
pub fn code_name(code: Code) -> &'static str {
    use Code as C;
    match code {
        C::Ok => "OK",
        C::Cancelled => "CANCELLED",
        C::Unknown => "UNKNOWN",
        C::InvalidArgument => "INVALID_ARGUMENT",
        C::DeadlineExceeded => "DEADLINE_EXCEEDED",
        C::NotFound => "NOT_FOUND",
        C::AlreadyExists => "ALREADY_EXISTS",
        C::PermissionDenied => "PERMISSION_DENIED",
        C::ResourceExhausted => "RESOURCE_EXHAUSTED",
        C::FailedPrecondition => "FAILED_PRECONDITION",
        C::Aborted => "ABORTED",
        C::OutOfRange => "OUT_OF_RANGE",
        C::Unimplemented => "UNIMPLEMENTED",
        C::Internal => "INTERNAL",
        C::Unavailable => "UNAVAILABLE",
        C::DataLoss => "DATA_LOSS",
        C::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The REST status a gRPC code stands for (the audit log records it).
pub fn http_status_of(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::InvalidArgument | Code::OutOfRange => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::NotFound => 404,
        Code::AlreadyExists | Code::Aborted | Code::FailedPrecondition => 409,
        Code::ResourceExhausted => 429,
        Code::Cancelled => 499,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
        Code::DeadlineExceeded => 504,
        Code::Unknown | Code::Internal | Code::DataLoss => 500,
    }
}

/// `error` as a status: its kind's code and message, the kind in
/// [`ERROR_KIND_KEY`], and a validation's diagnostics as a
/// `google.rpc.Status` detail (docs/grpc.md).
pub fn status(error: ApiError) -> Status {
    let code = code_of(error.kind);
    let diagnostics: Vec<Diagnostic> = error
        .details
        .get("diagnostics")
        .and_then(|d| serde_json::from_value(d.clone()).ok())
        .unwrap_or_default();
    let mut status = if diagnostics.is_empty() {
        Status::new(code, error.message)
    } else {
        let details = rpc::Status {
            code: code as i32,
            message: error.message.clone(),
            details: vec![prost_types::Any {
                type_url: DIAGNOSTICS_TYPE_URL.to_owned(),
                value: pb::Diagnostics {
                    diagnostics: diagnostics.into_iter().map(diagnostic).collect(),
                }
                .encode_to_vec(),
            }],
        };
        Status::with_details(code, error.message, details.encode_to_vec().into())
    };
    let kind = serde_json::to_value(error.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if let Ok(value) = MetadataValue::try_from(kind) {
        status.metadata_mut().insert(ERROR_KIND_KEY, value);
    }
    status
}

/// An RFC 3339 text as a timestamp (none when it does not parse).
fn timestamp_of(text: &str) -> Option<prost_types::Timestamp> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(timestamp)
}

fn timestamp(at: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.unix_timestamp(),
        nanos: at.nanosecond() as i32,
    }
}

/// JSON as `google.protobuf.Value`.
pub fn value(json: &Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match json {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(value).collect(),
        }),
        Value::Object(map) => Kind::StructValue(structure(map)),
    };
    prost_types::Value { kind: Some(kind) }
}

/// A JSON object as `google.protobuf.Struct`.
pub fn structure(map: &serde_json::Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map.iter().map(|(k, v)| (k.clone(), value(v))).collect(),
    }
}

/// `google.protobuf.Value` as JSON (a non-finite number becomes null).
pub fn json(value: &prost_types::Value) -> Value {
    use prost_types::value::Kind;
    match &value.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        Some(Kind::NumberValue(n)) => serde_json::Number::from_f64(*n)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::ListValue(list)) => Value::Array(list.values.iter().map(json).collect()),
        Some(Kind::StructValue(s)) => Value::Object(object(s)),
    }
}

/// `google.protobuf.Struct` as a JSON object.
pub fn object(s: &prost_types::Struct) -> serde_json::Map<String, Value> {
    s.fields.iter().map(|(k, v)| (k.clone(), json(v))).collect()
}

pub fn state(status: ExecutionStatus) -> pb::ExecutionState {
    use pb::ExecutionState as S;
    match status {
        ExecutionStatus::Queued => S::Queued,
        ExecutionStatus::Running => S::Running,
        ExecutionStatus::Paused => S::Paused,
        ExecutionStatus::Completed => S::Completed,
        ExecutionStatus::Failed => S::Failed,
        ExecutionStatus::Stopped => S::Stopped,
        ExecutionStatus::TimedOut => S::TimedOut,
        ExecutionStatus::Interrupted => S::Interrupted,
    }
}

/// A stored state name (`timed_out`) as a state.
fn state_named(name: &str) -> pb::ExecutionState {
    ExecutionStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == name)
        .map(state)
        .unwrap_or(pb::ExecutionState::Unspecified)
}

pub fn diagnostic(d: Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        kind: d.kind.as_str().to_owned(),
        severity: match d.severity {
            Severity::Error => pb::Severity::Error,
            Severity::Warning => pb::Severity::Warning,
        } as i32,
        path: d.path,
        line: d.line,
        column: d.column,
        message: d.message,
        hint: d.hint,
    }
}

pub fn diagnostics(list: Vec<Diagnostic>) -> Vec<pb::Diagnostic> {
    list.into_iter().map(diagnostic).collect()
}

pub fn verdict(v: Verdict) -> pb::Verdict {
    pb::Verdict {
        passed: v.passed,
        summary: v.summary,
        criteria: v
            .criteria
            .into_iter()
            .map(|c| pb::Criterion {
                name: c.name,
                passed: c.passed,
                detail: c.detail,
            })
            .collect(),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn progress(p: Progress) -> pb::Progress {
    pb::Progress {
        phase: p.phase.map(count),
        phase_name: p.phase_name,
        phases_done: count(p.phases_done),
        elapsed_ms: p.elapsed_ms,
        total_ms: p.total_ms,
        assertions_passed: count(p.assertions_passed),
        assertions_failed: count(p.assertions_failed),
        actions_failed: count(p.actions_failed),
        events: p.events,
    }
}

pub fn phases(plan: &Plan) -> Vec<pb::PlannedPhase> {
    plan.phases
        .iter()
        .map(|p| pb::PlannedPhase {
            name: p.name.clone(),
            start_ms: p.start_ms.as_millis() as u64,
            duration_ms: p.duration_ms.as_millis() as u64,
        })
        .collect()
}

/// The options of a request: zero speed and repeat take the defaults.
pub fn options_in(o: Option<pb::ExecuteOptions>) -> ExecuteOptions {
    let defaults = ExecuteOptions::default();
    let Some(o) = o else { return defaults };
    ExecuteOptions {
        speed: if o.speed == 0.0 {
            defaults.speed
        } else {
            o.speed
        },
        dry_run: o.dry_run,
        continue_on_failure: o.continue_on_failure,
        repeat: if o.repeat == 0 {
            defaults.repeat
        } else {
            o.repeat
        },
        on_owner_loss: match o.on_owner_loss() {
            pb::OnOwnerLoss::Resume => OnOwnerLoss::Resume,
            pb::OnOwnerLoss::Unspecified | pb::OnOwnerLoss::Rollback => OnOwnerLoss::Rollback,
        },
    }
}

fn options(o: ExecuteOptions) -> pb::ExecuteOptions {
    pb::ExecuteOptions {
        speed: o.speed,
        dry_run: o.dry_run,
        continue_on_failure: o.continue_on_failure,
        repeat: o.repeat,
        on_owner_loss: match o.on_owner_loss {
            OnOwnerLoss::Rollback => pb::OnOwnerLoss::Rollback,
            OnOwnerLoss::Resume => pb::OnOwnerLoss::Resume,
        } as i32,
    }
}

pub fn execution(d: ExecutionDetail) -> pb::ExecutionStatus {
    pb::ExecutionStatus {
        phases: phases(&d.plan),
        id: d.id,
        scenario_name: d.scenario_name,
        status: state(d.status) as i32,
        started_by: d.started_by,
        channel: d.channel,
        created_at: timestamp_of(&d.created_at),
        started_at: d.started_at.as_deref().and_then(timestamp_of),
        finished_at: d.finished_at.as_deref().and_then(timestamp_of),
        stopped_by: d.stopped_by,
        options: Some(options(d.options)),
        verdict: d.verdict.map(verdict),
        progress: Some(progress(d.progress)),
        suite_id: d.suite_id,
    }
}

pub fn summary(s: ExecutionSummary) -> pb::ExecutionSummary {
    pb::ExecutionSummary {
        status: state_named(&s.status) as i32,
        id: s.id,
        scenario_name: s.scenario_name,
        started_by: s.started_by,
        channel: s.channel,
        created_at: timestamp_of(&s.created_at),
        finished_at: s.finished_at.as_deref().and_then(timestamp_of),
        stopped_by: s.stopped_by,
    }
}

pub fn scenario_entry(s: AvailableScenario) -> pb::ScenarioEntry {
    pb::ScenarioEntry {
        name: s.name,
        kind: s.kind,
        category: s.category,
        description: s.description,
        tags: s.tags,
        source: match s.source {
            ScenarioSource::Library => pb::ScenarioSource::Library,
            ScenarioSource::Custom => pb::ScenarioSource::Custom,
        } as i32,
        version: s.version,
    }
}

/// The report's headline figures, typed, and the whole report as JSON.
pub fn results(report: ExecutionReport) -> pb::ScenarioResults {
    let validation = &report.validation_results;
    let assertions = validation
        .assertions
        .iter()
        .map(|a| pb::AssertionReport {
            iteration: a.iteration,
            phase: a.phase.clone(),
            index: count(a.index),
            r#type: a.assertion_type.clone(),
            expect: a.expect.clone(),
            service: a.service.clone(),
            outcome: match a.outcome {
                AssertionOutcome::Passed => pb::AssertionOutcome::Passed,
                AssertionOutcome::Failed => pb::AssertionOutcome::Failed,
                AssertionOutcome::NotDecided => pb::AssertionOutcome::NotDecided,
                AssertionOutcome::NotRun => pb::AssertionOutcome::NotRun,
            } as i32,
            message: a.message.clone(),
            attempts: a.attempts,
            time_to_hold_ms: a.time_to_hold_ms,
        })
        .collect();
    let execution = &report.execution;
    pb::ScenarioResults {
        execution_id: execution.id.clone(),
        scenario: report.scenario.name.clone(),
        status: state_named(&execution.status) as i32,
        passed: execution.passed,
        verdict: execution.verdict.as_ref().map(|v| pb::Verdict {
            passed: v.passed,
            summary: v.summary.clone(),
            criteria: v
                .criteria
                .iter()
                .map(|c| pb::Criterion {
                    name: c.name.clone(),
                    passed: c.passed,
                    detail: c.detail.clone(),
                })
                .collect(),
        }),
        duration_ms: execution.duration_ms,
        scenario_elapsed_ms: execution.scenario_elapsed_ms,
        assertions_passed: count(validation.passed),
        assertions_failed: count(validation.failed),
        assertions,
        report_json: serde_json::to_string(&report).unwrap_or_default(),
    }
}

fn action_outcome(o: ActionOutcome) -> pb::ActionOutcome {
    pb::ActionOutcome {
        ok: o.ok,
        status: o.status.map(u32::from),
        latency_ms: o.latency_ms,
        message: o.message,
        response: Some(value(&o.response)),
    }
}

fn assertion_result(r: AssertionResult) -> pb::AssertionResult {
    pb::AssertionResult {
        passed: r.passed,
        message: r.message,
        evidence: Some(value(&r.evidence)),
        attempts: r.attempts,
        first_check_ms: r.first_check_ms,
        last_check_ms: r.last_check_ms,
        time_to_hold_ms: r.time_to_hold_ms,
    }
}

/// A serialisable value as `google.protobuf.Struct` (empty when it is not an object).
fn figures(of: &impl serde::Serialize) -> pb::WorkloadFigures {
    let figures = match serde_json::to_value(of) {
        Ok(Value::Object(map)) => Some(structure(&map)),
        _ => None,
    };
    pb::WorkloadFigures { figures }
}

fn chaos_effect(e: ChaosEffect) -> pb::chaos_effect::Effect {
    use pb::chaos_effect::Effect;
    match e {
        ChaosEffect::LatencyInjection {
            delay_ms,
            max_delay_ms,
            endpoint,
        } => Effect::LatencyInjection(pb::LatencyInjection {
            delay_ms,
            max_delay_ms,
            endpoint,
        }),
        ChaosEffect::FaultInjection {
            fault_type,
            endpoint,
        } => Effect::FaultInjection(pb::FaultInjection {
            fault_type,
            endpoint,
        }),
        ChaosEffect::RateLimitExceeded {
            client_ip,
            endpoint,
        } => Effect::RateLimitExceeded(pb::RateLimitExceeded {
            client_ip,
            endpoint,
        }),
        ChaosEffect::TrafficShaping { action, bytes } => {
            Effect::TrafficShaping(pb::TrafficShaping { action, bytes })
        }
    }
}

/// An event as the stream sends it: the same fields as the WebSocket's JSON.
pub fn event(e: Event) -> pb::ExecutionEvent {
    use app::api::event::{ControlCommand as C, PhaseOutcome as P, RollbackReason as R};
    use pb::execution_event::Detail as D;
    let kind = e.kind.name().to_owned();
    let detail = match e.kind {
        EventKind::ExecutionQueued { scenario, category } => {
            D::ExecutionQueued(pb::ExecutionQueued { scenario, category })
        }
        EventKind::ExecutionStarted { speed, dry_run } => {
            D::ExecutionStarted(pb::ExecutionStarted { speed, dry_run })
        }
        EventKind::IterationStarted { iteration } => {
            D::IterationStarted(pb::IterationStarted { iteration })
        }
        EventKind::PhaseStarted { name, duration_ms } => {
            D::PhaseStarted(pb::PhaseStarted { name, duration_ms })
        }
        EventKind::ActionStarted {
            service,
            action,
            parallel,
            parameters,
        } => D::ActionStarted(pb::ActionStarted {
            service,
            action,
            parallel,
            parameters: Some(value(&parameters)),
        }),
        EventKind::ActionFinished {
            service,
            action,
            parallel,
            outcome,
        } => D::ActionFinished(pb::ActionFinished {
            service,
            action,
            parallel,
            outcome: Some(action_outcome(outcome)),
        }),
        EventKind::AssertionStarted {
            index,
            kind,
            expect,
            deadline_ms,
        } => D::AssertionStarted(pb::AssertionStarted {
            index: count(index),
            r#type: kind,
            expect,
            deadline_ms,
        }),
        EventKind::AssertionFinished {
            index,
            kind,
            expect,
            result,
        } => D::AssertionFinished(pb::AssertionFinished {
            index: count(index),
            r#type: kind,
            expect,
            result: Some(assertion_result(result)),
        }),
        EventKind::AssertionChecked {
            index,
            kind,
            attempts,
            message,
        } => D::AssertionChecked(pb::AssertionChecked {
            index: count(index),
            r#type: kind,
            attempts,
            message,
        }),
        EventKind::PhaseFinished {
            name,
            outcome,
            reason,
        } => D::PhaseFinished(pb::PhaseFinished {
            name,
            outcome: match outcome {
                P::Passed => pb::PhaseOutcome::Passed,
                P::Failed => pb::PhaseOutcome::Failed,
                P::Skipped => pb::PhaseOutcome::Skipped,
                P::Aborted => pb::PhaseOutcome::Aborted,
            } as i32,
            reason,
        }),
        EventKind::ControlReceived { command, by } => D::ControlReceived(pb::ControlReceived {
            command: match command {
                C::Pause => pb::ControlCommand::Pause,
                C::Resume => pb::ControlCommand::Resume,
                C::SkipPhase => pb::ControlCommand::SkipPhase,
                C::Stop => pb::ControlCommand::Stop,
            } as i32,
            by,
        }),
        EventKind::Paused => D::Paused(pb::Paused {}),
        EventKind::Resumed => D::Resumed(pb::Resumed {}),
        EventKind::RecoveryStarted { previous_owner } => {
            D::RecoveryStarted(pb::RecoveryStarted { previous_owner })
        }
        EventKind::ResumedOnNewOwner {
            name,
            iteration,
            paused,
            resumption,
        } => D::ResumedOnNewOwner(pb::ResumedOnNewOwner {
            name,
            iteration,
            paused,
            resumption,
        }),
        EventKind::RollbackStarted { reason, actions } => D::RollbackStarted(pb::RollbackStarted {
            reason: match reason {
                R::Failure => pb::RollbackReason::Failure,
                R::Stop => pb::RollbackReason::Stop,
                R::Timeout => pb::RollbackReason::Timeout,
                R::Shutdown => pb::RollbackReason::Shutdown,
                R::Recovery => pb::RollbackReason::Recovery,
            } as i32,
            actions: count(actions),
        }),
        EventKind::RollbackFinished { ok } => D::RollbackFinished(pb::RollbackFinished { ok }),
        EventKind::WorkloadSlot { slot } => D::WorkloadSlot(figures(&slot)),
        EventKind::WorkloadSummary { summary } => D::WorkloadSummary(figures(&summary)),
        EventKind::ChaosEffect {
            service,
            second,
            count,
            effect,
        } => D::ChaosEffect(pb::ChaosEffect {
            service,
            second,
            count,
            effect: Some(chaos_effect(effect)),
        }),
        EventKind::ExecutionFinished { status, verdict: v } => {
            D::ExecutionFinished(pb::ExecutionFinished {
                status: state(status) as i32,
                verdict: Some(verdict(v)),
            })
        }
    };
    pb::ExecutionEvent {
        execution_id: e.execution_id.to_string(),
        seq: e.seq,
        at: Some(timestamp(e.at)),
        offset_ms: e.offset_ms,
        planned_ms: e.planned_ms,
        phase: e.phase.map(count),
        kind,
        detail: Some(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_owner_loss_goes_both_ways_and_unspecified_is_the_default_rollback() {
        for value in [OnOwnerLoss::Rollback, OnOwnerLoss::Resume] {
            let sent = ExecuteOptions {
                on_owner_loss: value,
                ..ExecuteOptions::default()
            };
            assert_eq!(options_in(Some(options(sent.clone()))), sent);
        }
        let unset = options_in(Some(pb::ExecuteOptions::default()));
        assert_eq!(unset.on_owner_loss, OnOwnerLoss::Rollback);
    }

    #[test]
    fn json_round_trips_through_protobuf_values() {
        let original = serde_json::json!({"a": [1.5, true, null, "x"], "b": {"c": -2.0}});
        assert_eq!(json(&value(&original)), original);
    }

    #[test]
    fn every_error_kind_has_its_code_and_keeps_its_kind_in_metadata() {
        let cases = [
            (ErrorKind::InvalidRequest, Code::InvalidArgument),
            (ErrorKind::Validation, Code::InvalidArgument),
            (ErrorKind::Unauthorized, Code::Unauthenticated),
            (ErrorKind::InsufficientRole, Code::PermissionDenied),
            (ErrorKind::Forbidden, Code::PermissionDenied),
            (ErrorKind::NotFound, Code::NotFound),
            (ErrorKind::Conflict, Code::FailedPrecondition),
            (ErrorKind::TooLarge, Code::ResourceExhausted),
            (ErrorKind::TooManyRequests, Code::ResourceExhausted),
            (ErrorKind::Unavailable, Code::Unavailable),
            (ErrorKind::Internal, Code::Internal),
        ];
        for (kind, code) in cases {
            let s = status(ApiError::new(kind, "why"));
            assert_eq!(s.code(), code, "{kind:?}");
            assert_eq!(s.message(), "why");
            let named = s.metadata().get(ERROR_KIND_KEY).expect("the kind");
            assert_eq!(
                named.to_str().ok(),
                serde_json::to_value(kind)
                    .ok()
                    .as_ref()
                    .and_then(Value::as_str),
            );
        }
    }
}
