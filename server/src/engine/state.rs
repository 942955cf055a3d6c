//! The one state machine of an execution:
//! `queued → running ⇄ paused → completed | failed | stopped | timed_out | interrupted`.
//! Every state change is decided here from the event that causes it.

use app::api::ExecutionStatus;

use super::{event::EventKind, EngineError};

/// The state after `kind`, given the state before it (`None` before the first
/// event). An event that is not allowed in the current state is a bug in the
/// engine and comes back as an error naming both.
pub fn apply(
    current: Option<ExecutionStatus>,
    kind: &EventKind,
) -> Result<ExecutionStatus, EngineError> {
    use ExecutionStatus as S;
    let illegal = || EngineError::IllegalTransition {
        from: current.map_or("nothing", ExecutionStatus::as_str),
        event: kind.name(),
    };
    match (current, kind) {
        (None, EventKind::ExecutionQueued { .. }) => Ok(S::Queued),
        (None, _) => Err(illegal()),
        (Some(status), _) if status.is_finished() => Err(illegal()),
        (Some(S::Queued), EventKind::ExecutionStarted { .. }) => Ok(S::Running),
        (Some(S::Running), EventKind::Paused) => Ok(S::Paused),
        (Some(S::Paused), EventKind::Resumed) => Ok(S::Running),
        (Some(_), EventKind::ExecutionFinished { status, .. }) if status.is_finished() => {
            Ok(*status)
        }
        // A queued execution can be stopped (or interrupted) before it starts.
        (Some(S::Queued), EventKind::ControlReceived { .. }) => Ok(S::Queued),
        (
            Some(S::Queued),
            EventKind::RollbackStarted { .. }
            | EventKind::RollbackFinished { .. }
            | EventKind::RecoveryStarted { .. }
            // A queued run whose owner was lost resumes from its start.
            | EventKind::ResumedOnNewOwner { .. },
        ) => Ok(S::Queued),
        (Some(S::Queued), _) => Err(illegal()),
        (
            Some(status @ (S::Running | S::Paused)),
            EventKind::ExecutionQueued { .. }
            | EventKind::ExecutionStarted { .. }
            | EventKind::Paused
            | EventKind::Resumed
            | EventKind::ExecutionFinished { .. },
        ) => {
            let _ = status;
            Err(illegal())
        }
        (Some(status), _) => Ok(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::{ControlCommand, Verdict};
    use ExecutionStatus as S;

    fn finished(status: S) -> EventKind {
        EventKind::ExecutionFinished {
            status,
            verdict: Verdict::default(),
        }
    }

    #[test]
    fn the_happy_path_runs_queued_running_completed() {
        let queued = apply(
            None,
            &EventKind::ExecutionQueued {
                scenario: "s".into(),
                category: None,
            },
        )
        .unwrap();
        assert_eq!(queued, S::Queued);
        let running = apply(
            Some(queued),
            &EventKind::ExecutionStarted {
                speed: 1.0,
                dry_run: false,
            },
        )
        .unwrap();
        assert_eq!(running, S::Running);
        let paused = apply(Some(running), &EventKind::Paused).unwrap();
        assert_eq!(
            apply(Some(paused), &EventKind::Resumed).unwrap(),
            S::Running
        );
        assert_eq!(
            apply(Some(running), &finished(S::Completed)).unwrap(),
            S::Completed
        );
    }

    #[test]
    fn nothing_leaves_a_finished_state() {
        for end in [
            S::Completed,
            S::Failed,
            S::Stopped,
            S::TimedOut,
            S::Interrupted,
        ] {
            assert!(apply(Some(end), &EventKind::Resumed).is_err());
            assert!(apply(Some(end), &finished(S::Completed)).is_err());
            assert!(apply(
                Some(end),
                &EventKind::ControlReceived {
                    command: ControlCommand::Stop,
                    by: None
                }
            )
            .is_err());
        }
    }

    #[test]
    fn illegal_transitions_name_the_state_and_the_event() {
        let error = apply(Some(S::Running), &EventKind::Resumed).unwrap_err();
        assert_eq!(
            error.to_string(),
            "illegal transition: resumed while running"
        );
        assert!(apply(Some(S::Queued), &EventKind::Paused).is_err());
        assert!(apply(None, &EventKind::Paused).is_err());
        assert!(
            apply(Some(S::Running), &finished(S::Running)).is_err(),
            "finishing needs an end state"
        );
    }

    #[test]
    fn a_queued_execution_can_be_stopped_before_it_starts() {
        let state = apply(
            Some(S::Queued),
            &EventKind::ControlReceived {
                command: ControlCommand::Stop,
                by: Some("ui".into()),
            },
        )
        .unwrap();
        assert_eq!(
            apply(Some(state), &finished(S::Stopped)).unwrap(),
            S::Stopped
        );
    }
}
