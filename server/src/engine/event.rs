//! The engine's side of events. The wire vocabulary — [`Event`], [`EventKind`]
//! and their outcome types, [`Verdict`], [`ControlCommand`] — lives in
//! `app::api` (so the browser and the CLI read it typed) and is re-exported
//! here, so the engine names it as before. The runner produces
//! [`EventDraft`]s; the recorder numbers them, stores them, and only then
//! broadcasts them.

pub use app::api::{
    event::{
        ActionOutcome, AssertionResult, ControlCommand, Event, EventKind, PhaseOutcome,
        RollbackReason,
    },
    verdict::{CriterionResult, Verdict},
};

/// What the runner hands the recorder: an event without its number and time.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    /// Schedule offset when it happened.
    pub offset_ms: Option<u64>,
    /// Planned schedule offset.
    pub planned_ms: Option<u64>,
    /// Phase index.
    pub phase: Option<usize>,
    /// What happened.
    pub kind: EventKind,
}
