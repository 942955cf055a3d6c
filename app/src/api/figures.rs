//! The workload's figures as they travel (DESIGN.md §7): how each request
//! ended ([`Outcome`]), the [`Figures`] of a set of requests, one slot's figures
//! (the `workload_slot` event) and a run's [`WorkloadSummary`] (the
//! `workload_summary` event) with its chaos window and recovery.
//!
//! Plain data, so the live view charts them and the report reads them typed.
//! Computing them (the HDR histograms, the recovery detector) stays in the
//! server's engine (`server::engine::figures`).

use serde::{Deserialize, Serialize};

use crate::scenario::workload::SteadyState;

/// How one request ended.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Outcome {
    /// 1xx/2xx.
    Success,
    /// 3xx (counted as a success).
    Redirect,
    /// 4xx (a failure: 429 is a rate limit, 409 a rejected order…).
    ClientError,
    /// 5xx.
    ServerError,
    /// No answer: connection refused or reset, unreadable response.
    Transport,
    /// No answer within the stream's timeout.
    Timeout,
    /// Never sent: the stream's concurrency cap was reached when it was due.
    Dropped,
}

impl Outcome {
    /// The outcome of an HTTP status.
    pub fn of_status(status: u16) -> Self {
        match status {
            0..=299 => Outcome::Success,
            300..=399 => Outcome::Redirect,
            400..=499 => Outcome::ClientError,
            _ => Outcome::ServerError,
        }
    }

    /// Whether it counts as a failure.
    pub fn failed(self) -> bool {
        !matches!(self, Outcome::Success | Outcome::Redirect)
    }
}

/// The figures of a set of requests.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Requests due (sent or dropped).
    pub requests: u64,
    /// Requests that failed (4xx, 5xx, transport, timeout, dropped).
    pub failures: u64,
    /// `failures / requests` (0 when there were none).
    pub failure_rate: f64,
    /// Completed requests per wall-clock second.
    pub throughput: f64,
    /// 2xx and 3xx answers.
    pub ok: u64,
    /// 4xx answers.
    pub client_errors: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Connection errors.
    pub transport_errors: u64,
    /// Timeouts.
    pub timeouts: u64,
    /// Dropped at the concurrency cap.
    pub dropped: u64,
    /// Latency percentiles and extremes, in milliseconds (of requests that were sent).
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Highest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

/// The chaos window as the workload saw it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChaosWindow {
    /// First chaos action (scenario time, ms).
    pub injected_ms: u64,
    /// When the chaos was cleared: the first `clear*` action after the last chaos
    /// action, or else the end of the phase of the last chaos action (timed chaos
    /// ends by itself).
    pub cleared_ms: u64,
}

/// Recovery after the chaos window (DESIGN.md §7).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// Whether the steady state held again before the run ended.
    pub detected: bool,
    /// When it did (scenario time, ms).
    pub recovered_ms: Option<u64>,
    /// `recovered_ms - cleared_ms`.
    pub recovery_time_ms: Option<u64>,
    /// The same, per target service of the streams.
    pub services: Vec<ServiceRecovery>,
}

/// Recovery seen on the streams of one service.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRecovery {
    /// The service.
    pub service: String,
    /// Whether its streams returned to the steady state.
    pub detected: bool,
    /// When (scenario time, ms).
    pub recovered_ms: Option<u64>,
    /// Since the chaos was cleared.
    pub recovery_time_ms: Option<u64>,
}

/// One stream as the summary names it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    /// Its name.
    pub name: String,
    /// Target service.
    pub service: String,
    /// `POST /api/v1/orders`.
    pub request: String,
    /// `50/s`, or the ramp.
    pub rate: String,
}

/// One phase's figures.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseFigures {
    /// Phase index.
    pub index: usize,
    /// Phase name.
    pub name: String,
    /// All streams together.
    pub figures: Figures,
    /// Per stream, when there are several: `[name, figures]` pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Vec<Object>>))]
    pub streams: Vec<(String, Figures)>,
}

/// Everything a run's workload measured: the `workload_summary` event.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadSummary {
    /// The streams.
    pub streams: Vec<StreamInfo>,
    /// Slot width, scenario ms.
    pub slot_ms: u64,
    /// The whole run.
    pub total: Figures,
    /// Per phase.
    pub phases: Vec<PhaseFigures>,
    /// When chaos was injected and cleared, if it was.
    pub chaos: Option<ChaosWindow>,
    /// Before the first chaos action (everything, without chaos).
    pub before: Figures,
    /// Inside the chaos window.
    pub during: Figures,
    /// After the chaos was cleared.
    pub after: Figures,
    /// The steady state judged, if the scenario sets one.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub steady_state: Option<SteadyState>,
    /// Recovery, when there was chaos and a steady state.
    pub recovery: Option<Recovery>,
    /// Whether more requests were sent than samples are kept for.
    pub truncated: bool,
    /// How far from its due time the coordinator sent each request, early or
    /// late: the generator's own timing error. Lateness is inside every latency
    /// above (open model), so a p99 above a millisecond is that much of each
    /// latency that is the coordinator's, not the target's (docs/workload.md).
    /// Zeros in summaries stored before it.
    #[serde(default)]
    pub send_timing: SendTiming,
}

/// How far from their due time requests left, early or late (sent requests
/// only).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SendTiming {
    /// Median, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Worst, ms.
    pub max_ms: f64,
}

/// One slot's figures: the `workload_slot` event.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotFigures {
    /// Slot start, scenario ms.
    pub start_ms: u64,
    /// Slot end, scenario ms.
    pub end_ms: u64,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}
