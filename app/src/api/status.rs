//! The states of an execution, shared by the engine, the store and the UI.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The states of an execution (DESIGN.md §5), in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    /// Waiting for a free slot.
    Queued,
    /// Running its phases.
    Running,
    /// Paused by a user.
    Paused,
    /// Every phase ran and the success criteria held.
    Completed,
    /// A phase or a success criterion failed.
    Failed,
    /// Stopped by a user.
    Stopped,
    /// `spec.timeout` ran out.
    TimedOut,
    /// The coordinator died while it ran.
    Interrupted,
}

impl ExecutionStatus {
    /// Every state, in lifecycle order.
    pub const ALL: [Self; 8] = [
        Self::Queued,
        Self::Running,
        Self::Paused,
        Self::Completed,
        Self::Failed,
        Self::Stopped,
        Self::TimedOut,
        Self::Interrupted,
    ];

    /// The name stored and sent (`timed_out`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::TimedOut => "timed_out",
            Self::Interrupted => "interrupted",
        }
    }

    /// Whether the execution has ended (no transition leaves this state).
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Stopped | Self::TimedOut | Self::Interrupted
        )
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for status in ExecutionStatus::ALL {
            assert_eq!(ExecutionStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, status.as_str());
        }
        assert_eq!(ExecutionStatus::TimedOut.to_string(), "timed_out");
    }
}
