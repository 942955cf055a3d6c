//! Recordings and replays (issue 19, seed 004's "Scenario Recording System"
//! and "Scenario Replay Engine"). A recording captures the chaos that happens
//! on the configured services while it runs: injections and clears made by
//! executions and by hand, the effects proxies report, and health changes.
//! It is kept in the database and exported in seed 004's shape
//! ([`RecordingDocument`]). Replaying one runs an ordinary execution of the
//! scenario the recording becomes, so it has the live view, the report and
//! rollback on stop, failure and crash.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::event::ChaosEffect;
use super::ExecutionStatus;

/// Events a recording keeps unless `max_events` says otherwise (seed 004).
pub const DEFAULT_MAX_EVENTS: u32 = 10_000;
/// The most events one recording may keep, recorded or imported.
pub const MAX_EVENTS: u32 = 100_000;
/// The most recordings the database keeps; starting or importing one more is refused.
pub const MAX_RECORDINGS: u64 = 1_000;
/// The longest recording name.
pub const MAX_NAME_CHARS: usize = 128;
/// The most entries of a `metadata` map, and of `services` and `event_types` lists.
pub const MAX_LIST: usize = 64;
/// A gap this long (recording time) or longer between two events starts a new
/// phase when a recording becomes a scenario.
pub const PHASE_GAP_MS: u64 = 5_000;

/// `POST /api/chaos/recording/start` and `POST /api/v1/recordings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RecordingStartRequest {
    /// What to call it (the seed's `scenario_name` is accepted too); default
    /// `recording-<time>`.
    #[serde(alias = "scenario_name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Only these configured services (empty: all of them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Keep at most this many events (default 10,000, at most 100,000); later
    /// ones are counted as dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u32>,
}

/// What happened, in seed 004's `event_type: {type, …}` shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", deny_unknown_fields)]
pub enum RecordedEventType {
    /// An action was sent to a service's chaos API (or the action endpoint of
    /// a service), by an execution or by hand. Replayed as that action.
    ChaosInjected {
        /// The configured service.
        service: String,
        /// The action (`latency`, `exchange_outage`, …).
        action: String,
        /// Its parameters as they were sent.
        #[serde(default)]
        #[cfg_attr(feature = "ssr", schema(value_type = Object))]
        parameters: Map<String, Value>,
    },
    /// Chaos on a service was cleared. Replayed as `clear_chaos`.
    ChaosCleared {
        /// The configured service.
        service: String,
    },
    /// What a proxy's faults did in one second (the execution's
    /// `chaos_effect` event). Observed, not replayed.
    ChaosEffect {
        /// The proxied service.
        service: String,
        /// Requests or connections touched.
        count: u64,
        /// What was done (`{type: LatencyInjection, delay_ms, …}`).
        effect: ChaosEffect,
    },
    /// A service's health endpoint began or stopped answering 2xx. Observed,
    /// not replayed.
    ServiceHealthChanged {
        /// The configured service.
        service: String,
        /// Whether it answers 2xx now.
        healthy: bool,
        /// The status it answered, when it answered.
        #[serde(default)]
        status: Option<u16>,
    },
}

impl RecordedEventType {
    /// Its `type`: `ChaosInjected`, `ChaosCleared`, `ChaosEffect`, `ServiceHealthChanged`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ChaosInjected { .. } => "ChaosInjected",
            Self::ChaosCleared { .. } => "ChaosCleared",
            Self::ChaosEffect { .. } => "ChaosEffect",
            Self::ServiceHealthChanged { .. } => "ServiceHealthChanged",
        }
    }

    /// Every `type` there is, for `event_types` filters.
    pub const TYPE_NAMES: [&'static str; 4] = [
        "ChaosInjected",
        "ChaosCleared",
        "ChaosEffect",
        "ServiceHealthChanged",
    ];

    /// The service it concerns.
    pub fn service(&self) -> &str {
        match self {
            Self::ChaosInjected { service, .. }
            | Self::ChaosCleared { service }
            | Self::ChaosEffect { service, .. }
            | Self::ServiceHealthChanged { service, .. } => service,
        }
    }

    /// Whether a replay sends it (injections and clears), rather than only
    /// showing it (effects and health changes).
    pub fn is_replayed(&self) -> bool {
        matches!(self, Self::ChaosInjected { .. } | Self::ChaosCleared { .. })
    }

    /// One line for people: `exchange-simulator: latency {"latency_ms":500}`.
    pub fn describe(&self) -> String {
        match self {
            Self::ChaosInjected {
                service,
                action,
                parameters,
            } if parameters.is_empty() => format!("{service}: {action}"),
            Self::ChaosInjected {
                service,
                action,
                parameters,
            } => format!("{service}: {action} {}", Value::Object(parameters.clone())),
            Self::ChaosCleared { service } => format!("{service}: chaos cleared"),
            Self::ChaosEffect {
                service,
                count,
                effect,
            } => format!("{service}: {} ×{count}", effect.describe()),
            Self::ServiceHealthChanged {
                service,
                healthy: true,
                ..
            } => format!("{service}: healthy again"),
            Self::ServiceHealthChanged {
                service, status, ..
            } => match status {
                Some(status) => format!("{service}: unhealthy (answered {status})"),
                None => format!("{service}: unhealthy (no answer)"),
            },
        }
    }
}

/// One recorded event (seed 004: `{timestamp, event_type, metadata}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordedEvent {
    /// When it happened (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub timestamp: OffsetDateTime,
    /// What happened.
    pub event_type: RecordedEventType,
    /// Where it came from: `source` (`execution`, `hand` or `probe`) and,
    /// for an execution's, its `execution_id`.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// What was recorded, in seed 004's `scenario` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordedScenario {
    /// The recording's name.
    pub name: String,
    /// What it was for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The services it was limited to (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

/// A recording as it is exported and imported (seed 004's JSON and YAML shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordingDocument {
    /// Its name and service filter.
    pub scenario: RecordedScenario,
    /// The events, oldest first.
    pub events: Vec<RecordedEvent>,
    /// When recording started (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub recording_started: OffsetDateTime,
    /// When it stopped (RFC 3339); absent while it runs.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub recording_ended: Option<OffsetDateTime>,
    /// From start to stop, in ms.
    pub total_duration_ms: u64,
}

/// Where a recording stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordingState {
    /// Capturing now.
    Recording,
    /// Stopped by a user.
    Stopped,
    /// The coordinator stopped or died while it was capturing; it ends at its
    /// last event.
    Interrupted,
    /// Imported from a document.
    Imported,
}

impl RecordingState {
    /// Its wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Stopped => "stopped",
            Self::Interrupted => "interrupted",
            Self::Imported => "imported",
        }
    }
}

/// A recording, without its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordingView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The services it is limited to (empty: all).
    pub services: Vec<String>,
    /// Where it stands.
    pub state: RecordingState,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it ended (RFC 3339).
    pub ended_at: Option<String>,
    /// From start to stop (to now while it records), in ms.
    pub total_duration_ms: u64,
    /// Events kept.
    pub event_count: u32,
    /// Events past `max_events`, not kept.
    pub dropped_events: u32,
    /// Its cap.
    pub max_events: u32,
    /// Who started or imported it.
    pub created_by: String,
}

/// `GET /api/v1/recordings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordingList {
    /// Newest first.
    pub recordings: Vec<RecordingView>,
}

/// `GET /api/chaos/recording/status`: the recording under way, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordingStatus {
    /// Whether one is capturing now.
    pub is_recording: bool,
    /// It (or, when none is, the newest).
    pub recording: Option<RecordingView>,
}

/// `GET /api/v1/recordings/{id}`: a recording with its events and replays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordingDetail {
    /// The recording.
    pub recording: RecordingView,
    /// Its events, oldest first.
    pub events: Vec<RecordedEvent>,
    /// Its replays, newest first.
    pub replays: Vec<ReplayView>,
}

/// The two export formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// `application/json`.
    #[default]
    Json,
    /// `application/yaml`.
    Yaml,
}

/// `POST /api/chaos/recording/export` (seed 004). The export is the response
/// body: the server writes no files, so the seed's `path` is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct RecordingExportRequest {
    /// Which recording (default: the newest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `json` (default) or `yaml`.
    pub format: ExportFormat,
    /// Refused: the server writes no files; save the response body instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A named replay speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SpeedWord {
    /// The recording's own timing.
    Realtime,
    /// No waits: every event in order, one after the other.
    Fast,
}

/// How fast a replay runs: `realtime`, `fast` or a multiplier (`2` is twice
/// as fast), between 0.001 and 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ReplaySpeed {
    /// `realtime` or `fast`.
    Word(SpeedWord),
    /// A multiplier of the recording's timing.
    Multiplier(f64),
}

impl Default for ReplaySpeed {
    fn default() -> Self {
        Self::Word(SpeedWord::Realtime)
    }
}

impl ReplaySpeed {
    /// `realtime`, `fast` or `×2`.
    pub fn words(self) -> String {
        match self {
            Self::Word(SpeedWord::Realtime) => "realtime".to_owned(),
            Self::Word(SpeedWord::Fast) => "fast".to_owned(),
            Self::Multiplier(m) => format!("×{m}"),
        }
    }
}

/// Which events a replay (or the scenario a recording becomes) takes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ReplayShape {
    /// Start at the first event instead of waiting as long as the recording did.
    pub skip_initial_delay: bool,
    /// Only these event `type`s (`ChaosInjected`, `ChaosCleared`); empty: all
    /// that a replay sends.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    /// No waits: every event in order, one after the other.
    pub fast: bool,
}

/// `POST /api/chaos/replay/start` and `POST /api/v1/replays`: replay a stored
/// recording (`recording_id`) or a document (`recording`, imported first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ReplayRequest {
    /// A stored recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    /// A recording document, imported, then replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingDocument>,
    /// `realtime` (default), `fast` or a multiplier.
    pub speed: ReplaySpeed,
    /// Play it again when it ends, until stopped or `max_iterations` (the
    /// seed's `loop_replay`; `loop` is accepted too).
    #[serde(alias = "loop")]
    pub loop_replay: bool,
    /// With `loop_replay`: at most this many plays (default and bound 10,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
    /// Start at the first event.
    pub skip_initial_delay: bool,
    /// Only these event types (the seed's `event_type_filter` is accepted too).
    #[serde(alias = "event_type_filter", skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    /// Refused: the server reads no files; send `recording` or `recording_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A replay: its execution and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReplayView {
    /// The execution that plays it (its live view, report and controls).
    pub execution_id: String,
    /// The recording.
    pub recording_id: String,
    /// Its name.
    pub recording_name: String,
    /// The execution's status.
    pub status: ExecutionStatus,
    /// `realtime`, `fast` or `×2`.
    pub speed: String,
    /// Plays asked for (1 without a loop).
    pub iterations: u32,
    /// Events sent so far, over all plays.
    pub current_event: u32,
    /// Events per play.
    pub total_events: u32,
    /// 0 to 1, over all plays.
    pub progress: f64,
    /// Queued or running and not paused.
    pub is_playing: bool,
    /// Paused.
    pub is_paused: bool,
    /// When it was asked for (RFC 3339).
    pub started_at: String,
}

/// `GET /api/chaos/replay/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReplayStatus {
    /// The replay under way, or else the newest.
    pub replay: Option<ReplayView>,
}

/// `GET /api/v1/replays`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReplayList {
    /// Newest first.
    pub replays: Vec<ReplayView>,
}

/// `POST /api/v1/recordings/{id}/scenario`: the recording as a scenario to review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordingScenario {
    /// A scenario that validates and makes the same calls as a replay.
    pub yaml: String,
    /// Its name.
    pub name: String,
    /// Events that became actions.
    pub actions: u32,
    /// Events left out (observed ones, or filtered).
    pub left_out: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_seed_004s_export_shape() {
        let text = r#"{
          "scenario": {"name": "network_degradation", "chaos_config": {"latency": 1}},
          "events": [
            {"timestamp": "2025-10-07T12:00:00Z",
             "event_type": {"type": "ChaosInjected", "service": "exchange-simulator",
                            "action": "latency", "parameters": {"latency_ms": 500}},
             "metadata": {}}
          ],
          "recording_started": "2025-10-07T12:00:00Z",
          "recording_ended": "2025-10-07T12:05:00Z",
          "total_duration_ms": 300000
        }"#;
        let document: RecordingDocument = serde_json::from_str(text).unwrap();
        assert_eq!(document.scenario.name, "network_degradation");
        assert_eq!(document.total_duration_ms, 300_000);
        assert_eq!(document.events[0].event_type.type_name(), "ChaosInjected");
        let back = serde_json::to_value(&document).unwrap();
        assert_eq!(back["events"][0]["event_type"]["type"], "ChaosInjected");
        assert_eq!(back["recording_ended"], "2025-10-07T12:05:00Z");
    }

    #[test]
    fn speed_is_a_word_or_a_multiplier() {
        let read = |text: &str| serde_json::from_str::<ReplaySpeed>(text).unwrap();
        assert_eq!(read("\"fast\""), ReplaySpeed::Word(SpeedWord::Fast));
        assert_eq!(read("\"realtime\""), ReplaySpeed::Word(SpeedWord::Realtime));
        assert_eq!(read("2.5"), ReplaySpeed::Multiplier(2.5));
        assert!(serde_json::from_str::<ReplaySpeed>("\"warp\"").is_err());
        let request: ReplayRequest =
            serde_json::from_str(r#"{"recording_id": "r", "speed": 10, "loop": true}"#).unwrap();
        assert!(request.loop_replay);
        assert_eq!(request.speed, ReplaySpeed::Multiplier(10.0));
    }

    #[test]
    fn an_effect_keeps_the_seeds_type_inside() {
        let event = RecordedEventType::ChaosEffect {
            service: "orders".into(),
            count: 3,
            effect: ChaosEffect::LatencyInjection {
                delay_ms: 300,
                max_delay_ms: 310,
                endpoint: Some("GET /orders".into()),
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "ChaosEffect");
        assert_eq!(json["effect"]["type"], "LatencyInjection");
        assert_eq!(
            event.describe(),
            "orders: +300 ms (max 310) on GET /orders ×3"
        );
    }
}
