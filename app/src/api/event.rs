//! The wire vocabulary of an execution: [`Event`] and [`EventKind`] with their
//! outcome types, [`ControlCommand`] and [`ExecutionId`].
//!
//! The engine (in `server`) produces these, the store keeps them as JSON, the
//! REST API and the WebSocket send them, and the live view and the CLI read
//! them back. They live here, in the crate the browser also compiles, so every
//! reader is typed: a renamed field fails to compile instead of showing zeros.
//! The serde shapes are the stored format: change them only with a migration of
//! the events already stored.
//!
//! Nothing here needs the clock or randomness, so it is wasm-safe; making a
//! fresh id ([`ExecutionId::new`]) is server-side (feature `ssr`).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::{
    figures::{SlotFigures, WorkloadSummary},
    verdict::Verdict,
    ExecutionStatus,
};

/// An execution's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = String, format = "uuid"))]
#[serde(transparent)]
pub struct ExecutionId(pub uuid::Uuid);

#[cfg(feature = "ssr")]
impl ExecutionId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

#[cfg(feature = "ssr")]
impl Default for ExecutionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for ExecutionId {
    type Err = uuid::Error;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Self)
    }
}

/// One recorded step of one execution.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The execution it belongs to.
    pub execution_id: ExecutionId,
    /// Position in the execution's log, from 0, without gaps.
    pub seq: u64,
    /// Wall-clock time it was recorded (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// Schedule offset (scenario time) when it happened.
    pub offset_ms: Option<u64>,
    /// Schedule offset the plan gave it, when the plan gives one.
    pub planned_ms: Option<u64>,
    /// Index of the phase it belongs to, if any.
    pub phase: Option<usize>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Result of one action call.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionOutcome {
    /// Whether the service accepted it.
    pub ok: bool,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Round-trip time in milliseconds.
    pub latency_ms: f64,
    /// One line for people.
    pub message: String,
    /// The service's answer (JSON when it gave JSON).
    #[serde(default)]
    pub response: Value,
}

/// Result of an assertion once it is decided.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssertionResult {
    /// Whether the expectation held before its deadline.
    pub passed: bool,
    /// Why (the last check's message).
    pub message: String,
    /// The JSON the last check observed.
    pub evidence: Value,
    /// How many checks were made.
    pub attempts: u32,
    /// Schedule offset of the first check.
    pub first_check_ms: Option<u64>,
    /// Schedule offset of the last check.
    pub last_check_ms: Option<u64>,
    /// Scenario time from the assertion window's start until it held.
    pub time_to_hold_ms: Option<u64>,
}

/// Commands users give a running execution.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlCommand {
    /// Freeze the schedule; polls and waits stop.
    Pause,
    /// Continue a paused execution where it stopped.
    Resume,
    /// End the current phase now and go on with the next.
    SkipPhase,
    /// End the execution (rollback runs).
    Stop,
}

impl ControlCommand {
    /// Its wire name (`skip_phase`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::SkipPhase => "skip_phase",
            Self::Stop => "stop",
        }
    }
}

/// Why a rollback ran.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackReason {
    /// A phase failed and `rollback.on_failure` is set.
    Failure,
    /// A user stopped the execution.
    Stop,
    /// `spec.timeout` ran out.
    Timeout,
    /// The coordinator shut down while it ran.
    Shutdown,
    /// Found unfinished at start-up after a crash.
    Recovery,
}

impl RollbackReason {
    /// Its wire name (`failure`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failure => "failure",
            Self::Stop => "stop",
            Self::Timeout => "timeout",
            Self::Shutdown => "shutdown",
            Self::Recovery => "recovery",
        }
    }
}

/// How a phase ended.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseOutcome {
    /// Its actions succeeded and its assertions held.
    Passed,
    /// An action or an assertion failed.
    Failed,
    /// Skipped by a user.
    Skipped,
    /// Cut short by stop, timeout or shutdown.
    Aborted,
}

impl PhaseOutcome {
    /// Its wire name (`passed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Aborted => "aborted",
        }
    }
}

/// What a proxy's fault did to requests or connections: seed 004's
/// `ChaosEventType`, aggregated over one second. Serialised as
/// `{"type": "LatencyInjection", …fields}`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ChaosEffect {
    /// Requests (or connections) were delayed.
    LatencyInjection {
        /// Mean added delay, in ms.
        delay_ms: u64,
        /// Longest added delay, in ms.
        #[serde(default)]
        max_delay_ms: u64,
        /// `GET /orders` (HTTP); none for a TCP connection.
        #[serde(default)]
        endpoint: Option<String>,
    },
    /// Requests failed on purpose: `error_503`, `abort`, `corrupt_body`,
    /// `reset_peer`, `timeout`, `limit_data`, `blackhole`, `slow_close`.
    FaultInjection {
        /// What was done.
        fault_type: String,
        /// `GET /orders` (HTTP); none for a TCP connection.
        #[serde(default)]
        endpoint: Option<String>,
    },
    /// Requests were answered 429 by a rate limit.
    RateLimitExceeded {
        /// The client's address.
        #[serde(default)]
        client_ip: Option<String>,
        /// `GET /orders`.
        #[serde(default)]
        endpoint: Option<String>,
    },
    /// Bytes were held back by `bandwidth` or `slicer`.
    TrafficShaping {
        /// `bandwidth` or `slicer`.
        action: String,
        /// Bytes shaped.
        bytes: u64,
    },
}

impl ChaosEffect {
    /// One line for people: `+300 ms (max 310) on GET /prices`.
    pub fn describe(&self) -> String {
        let on = |endpoint: &Option<String>| {
            endpoint
                .as_deref()
                .map(|e| format!(" on {e}"))
                .unwrap_or_default()
        };
        match self {
            Self::LatencyInjection {
                delay_ms,
                max_delay_ms,
                endpoint,
            } => format!("+{delay_ms} ms (max {max_delay_ms}){}", on(endpoint)),
            Self::FaultInjection {
                fault_type,
                endpoint,
            } => format!("{fault_type}{}", on(endpoint)),
            Self::RateLimitExceeded {
                client_ip,
                endpoint,
            } => format!(
                "429{}{}",
                client_ip
                    .as_deref()
                    .map(|c| format!(" to {c}"))
                    .unwrap_or_default(),
                on(endpoint)
            ),
            Self::TrafficShaping { action, bytes } => format!("{action}: {bytes} bytes shaped"),
        }
    }

    /// Its seed 004 type name: `LatencyInjection`, …
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::LatencyInjection { .. } => "LatencyInjection",
            Self::FaultInjection { .. } => "FaultInjection",
            Self::RateLimitExceeded { .. } => "RateLimitExceeded",
            Self::TrafficShaping { .. } => "TrafficShaping",
        }
    }
}

/// Every kind of step. Serialised as `{"kind": "phase_started", …fields}`.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// Accepted and waiting for a slot.
    ExecutionQueued {
        /// Scenario name.
        scenario: String,
        /// Scenario category, when it has one.
        #[serde(default)]
        category: Option<String>,
    },
    /// Got its slot and began.
    ExecutionStarted {
        /// Time scale.
        speed: f64,
        /// No calls are made.
        dry_run: bool,
    },
    /// A loop of a repeated execution began (1-based).
    IterationStarted {
        /// Iteration number.
        iteration: u32,
    },
    /// A phase began.
    PhaseStarted {
        /// Phase name.
        name: String,
        /// Planned length in milliseconds of scenario time.
        duration_ms: u64,
    },
    /// An action call was sent.
    ActionStarted {
        /// Target service.
        service: String,
        /// Action name.
        action: String,
        /// Whether it is one of the phase's parallel actions.
        parallel: bool,
        /// Its parameters.
        parameters: Value,
    },
    /// An action call returned.
    ActionFinished {
        /// Target service.
        service: String,
        /// Action name.
        action: String,
        /// Whether it is one of the phase's parallel actions.
        parallel: bool,
        /// What happened.
        outcome: ActionOutcome,
    },
    /// An assertion's window opened.
    AssertionStarted {
        /// Index within the phase.
        index: usize,
        /// Assertion type.
        #[serde(rename = "type")]
        kind: String,
        /// Expected outcome word.
        expect: String,
        /// Schedule offset of its deadline.
        deadline_ms: u64,
    },
    /// An assertion was decided.
    AssertionFinished {
        /// Index within the phase.
        index: usize,
        /// Assertion type.
        #[serde(rename = "type")]
        kind: String,
        /// Expected outcome word.
        expect: String,
        /// The decision and its evidence.
        result: AssertionResult,
    },
    /// A check of an assertion did not hold yet; polling goes on.
    AssertionChecked {
        /// Index within the phase.
        index: usize,
        /// Assertion type.
        #[serde(rename = "type")]
        kind: String,
        /// How many checks have been made so far.
        attempts: u32,
        /// What this check saw.
        message: String,
    },
    /// A phase ended.
    PhaseFinished {
        /// Phase name.
        name: String,
        /// How.
        outcome: PhaseOutcome,
        /// Why, when it did not pass.
        reason: Option<String>,
    },
    /// A user command arrived.
    ControlReceived {
        /// Which.
        command: ControlCommand,
        /// Where it came from (`ui`, `api`, `cli`), when known. Events stored
        /// before it was recorded have none, and it is left out of the JSON
        /// when absent, so their payloads read and write back byte for byte.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The schedule froze.
    Paused,
    /// The schedule continued.
    Resumed,
    /// Its owner is gone (a crash, a `kill -9`) and this coordinator took it
    /// over: its rollback follows, then it ends `interrupted` or, with
    /// `on_owner_loss: resume`, runs on ([`EventKind::ResumedOnNewOwner`]).
    RecoveryStarted {
        /// The owner that is gone, for people: `execute (pid 4242 on build-1)`.
        #[serde(default)]
        previous_owner: Option<String>,
    },
    /// The coordinator that took over a run whose owner was lost has rolled
    /// its chaos back and, as `on_owner_loss: resume` asks, runs it on from
    /// the start of the phase it was in (the event's `phase`), on its own
    /// timeline from that phase's offset.
    ResumedOnNewOwner {
        /// That phase's name.
        name: String,
        /// The iteration it resumes in (1 without `repeat`).
        iteration: u32,
        /// Whether it resumes paused, as it was when its owner was lost.
        paused: bool,
        /// How many times it has resumed so far, this one included.
        resumption: u32,
    },
    /// Rollback began.
    RollbackStarted {
        /// Why.
        reason: RollbackReason,
        /// How many actions it will run.
        actions: usize,
    },
    /// Rollback ended.
    RollbackFinished {
        /// Whether every rollback action succeeded.
        ok: bool,
    },
    /// One slot of the workload's traffic ended (DESIGN.md §7).
    WorkloadSlot {
        /// Its figures.
        #[serde(flatten)]
        slot: SlotFigures,
    },
    /// The workload of a run stopped: its figures and the recovery time.
    WorkloadSummary {
        /// Everything it measured.
        summary: Box<WorkloadSummary>,
    },
    /// What a fault-injection proxy's faults did to the traffic in one
    /// second (docs/proxy.md, "Effects"): seed 004's chaos events, one per
    /// kind and endpoint, counted, never one per request.
    ChaosEffect {
        /// The proxied service.
        service: String,
        /// The second (Unix time) it happened in.
        second: u64,
        /// Requests or connections touched (chunks, for traffic shaping).
        count: u64,
        /// What was done.
        effect: ChaosEffect,
    },
    /// The execution ended.
    ExecutionFinished {
        /// Final state.
        status: ExecutionStatus,
        /// Success criteria and their results.
        verdict: Verdict,
    },
}

impl EventKind {
    /// The snake_case name stored in the `kind` column.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ExecutionQueued { .. } => "execution_queued",
            Self::ExecutionStarted { .. } => "execution_started",
            Self::IterationStarted { .. } => "iteration_started",
            Self::PhaseStarted { .. } => "phase_started",
            Self::ActionStarted { .. } => "action_started",
            Self::ActionFinished { .. } => "action_finished",
            Self::AssertionStarted { .. } => "assertion_started",
            Self::AssertionFinished { .. } => "assertion_finished",
            Self::AssertionChecked { .. } => "assertion_checked",
            Self::PhaseFinished { .. } => "phase_finished",
            Self::ControlReceived { .. } => "control_received",
            Self::Paused => "paused",
            Self::Resumed => "resumed",
            Self::RecoveryStarted { .. } => "recovery_started",
            Self::ResumedOnNewOwner { .. } => "resumed_on_new_owner",
            Self::RollbackStarted { .. } => "rollback_started",
            Self::RollbackFinished { .. } => "rollback_finished",
            Self::WorkloadSlot { .. } => "workload_slot",
            Self::WorkloadSummary { .. } => "workload_summary",
            Self::ChaosEffect { .. } => "chaos_effect",
            Self::ExecutionFinished { .. } => "execution_finished",
        }
    }
}

#[cfg(test)]
mod tests;
