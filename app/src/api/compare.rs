//! The comparison of two finished executions (`GET /api/v1/executions/compare`
//! and the page `/executions/compare`): verdicts and criteria, each assertion's
//! time to hold, action latencies, the workload's figures before, during and
//! after the chaos, the recovery time, and both timelines for one shared axis.
//!
//! `a` is the baseline, `b` the run judged against it: every `delta` is
//! `b − a`, and [`Change`] says whether that is better or worse. The server
//! builds it from the two reports (`server::report::compare`); this module
//! holds the types and the rules both sides share ([`FigureDiff::new`], and
//! [`FigureDiff::delta_text`] for people).

use serde::{Deserialize, Serialize};

use super::describe::format_ms;

/// How `b` differs from `a` on one line of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// `b` is better.
    Better,
    /// `b` is worse.
    Worse,
    /// No difference worth showing (within [`NOISE_PERCENT`] and the unit's noise).
    Same,
    /// Different, with no better or worse (a count of requests, a missing figure).
    Changed,
    /// Only in `a` (the baseline).
    OnlyA,
    /// Only in `b`.
    OnlyB,
}

impl Change {
    /// The snake_case name, as on the wire (and the page's CSS class).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Better => "better",
            Self::Worse => "worse",
            Self::Same => "same",
            Self::Changed => "changed",
            Self::OnlyA => "only_a",
            Self::OnlyB => "only_b",
        }
    }

    /// A word for people, so the meaning never rests on colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Self::Better => "▲ better",
            Self::Worse => "▼ worse",
            Self::Same => "= same",
            Self::Changed => "≠ changed",
            Self::OnlyA => "only in A",
            Self::OnlyB => "only in B",
        }
    }
}

/// Which way a figure is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Latencies, failures, recovery times.
    LowerIsBetter,
    /// Throughput.
    HigherIsBetter,
    /// Neither (how many requests were sent).
    Neutral,
}

/// The unit of a figure, for writing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Milliseconds (scenario time or real round trips).
    Ms,
    /// A percentage (0 to 100).
    Percent,
    /// A count.
    Count,
    /// Per second.
    PerSecond,
}

/// A relative change at or under this (in percent of `a`) counts as [`Change::Same`].
pub const NOISE_PERCENT: f64 = 5.0;

/// One figure in both executions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FigureDiff {
    /// In `a`, when measured.
    pub a: Option<f64>,
    /// In `b`, when measured.
    pub b: Option<f64>,
    /// `b − a`, when both were measured.
    pub delta: Option<f64>,
    /// `(b − a) / a × 100`, when both were measured and `a` is not 0.
    pub delta_percent: Option<f64>,
    /// Which way is good.
    pub direction: Direction,
    /// Its unit.
    pub unit: Unit,
    /// Better, worse or the same.
    pub change: Change,
}

impl FigureDiff {
    /// `a` against `b`. A difference within [`NOISE_PERCENT`] of `a` and within
    /// the unit's own noise (1 ms, 0.5 percentage points, 0 requests, 0.5/s) is
    /// [`Change::Same`]; one side missing is [`Change::Changed`].
    pub fn new(a: Option<f64>, b: Option<f64>, direction: Direction, unit: Unit) -> Self {
        let noise = match unit {
            Unit::Ms => 1.0,
            Unit::Percent | Unit::PerSecond => 0.5,
            Unit::Count => 0.0,
        };
        Self::with_noise(a, b, direction, unit, noise)
    }

    /// [`FigureDiff::new`] with the absolute noise given: scenario times are
    /// only as exact as the checks and the time scale (20 real ms are 72 s of
    /// scenario time at ×3600).
    pub fn with_noise(
        a: Option<f64>,
        b: Option<f64>,
        direction: Direction,
        unit: Unit,
        noise: f64,
    ) -> Self {
        let (delta, delta_percent, change) = match (a, b) {
            (Some(a), Some(b)) => {
                let delta = b - a;
                let percent = (a != 0.0).then(|| round2(delta / a.abs() * 100.0));
                let within = delta.abs() <= noise.max(a.abs() * NOISE_PERCENT / 100.0);
                let change = match direction {
                    _ if within || delta == 0.0 => Change::Same,
                    Direction::Neutral => Change::Changed,
                    Direction::LowerIsBetter if delta < 0.0 => Change::Better,
                    Direction::HigherIsBetter if delta > 0.0 => Change::Better,
                    _ => Change::Worse,
                };
                (Some(round2(delta)), percent, change)
            }
            (None, None) => (None, None, Change::Same),
            _ => (None, None, Change::Changed),
        };
        Self {
            a,
            b,
            delta,
            delta_percent,
            direction,
            unit,
            change,
        }
    }

    /// A figure of `a` or `b` for people (`—` when not measured).
    pub fn value_text(&self, value: Option<f64>) -> String {
        value.map_or_else(|| "—".to_owned(), |v| format_value(v, self.unit))
    }

    /// The difference for people: `+120ms (+15 %)`, `−2 (−50 %)`, `±0`, or `— → 4s`
    /// when only one side was measured.
    pub fn delta_text(&self) -> String {
        match (self.a, self.b, self.delta) {
            (_, _, Some(delta)) => {
                if delta == 0.0 {
                    return "±0".to_owned();
                }
                let sign = if delta > 0.0 { "+" } else { "−" };
                let size = format_value(delta.abs(), self.unit);
                match self.delta_percent {
                    Some(p) if self.unit != Unit::Percent => {
                        format!("{sign}{size} ({sign}{:.0} %)", p.abs())
                    }
                    _ => format!("{sign}{size}"),
                }
            }
            (None, None, _) => "—".to_owned(),
            (a, b, _) => format!("{} → {}", self.value_text(a), self.value_text(b)),
        }
    }
}

/// `value` in `unit` for people.
pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ms if value < 1000.0 => {
            if value.fract() == 0.0 {
                format!("{value:.0}ms")
            } else {
                format!("{value:.1}ms")
            }
        }
        Unit::Ms => format_ms(value.round() as u64),
        Unit::Percent => format!("{value:.1} %"),
        Unit::Count => format!("{value:.0}"),
        Unit::PerSecond => format!("{value:.1}/s"),
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Two finished executions compared (`a` the baseline, `b` against it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExecutionComparison {
    /// The baseline.
    pub a: ComparedRun,
    /// The execution judged against it.
    pub b: ComparedRun,
    /// Whether both ran the same scenario (by name).
    pub same_scenario: bool,
    /// The verdict: `better` when only `b` passed, `worse` when only `a` did.
    pub verdict: Change,
    /// The shared time axis of both timelines: the longer of the two (scenario ms).
    pub axis_ms: u64,
    /// Each success criterion, by name.
    pub criteria: Vec<CriterionDiff>,
    /// Each assertion, matched by iteration, phase, index and type.
    pub assertions: Vec<AssertionDiff>,
    /// Each action call, matched by iteration, phase, `service.action` and ordinal.
    pub actions: Vec<ActionDiff>,
    /// The workload's figures before, during and after the chaos (the last
    /// iteration's); empty when neither execution drove a workload.
    pub workload: Vec<NamedDiff>,
    /// Recovery time (scenario ms) from the clear of the chaos.
    pub recovery_ms: FigureDiff,
    /// How many lines are better in `b`.
    pub better: usize,
    /// How many lines are worse in `b`.
    pub worse: usize,
}

/// One execution as the comparison shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComparedRun {
    /// Execution id.
    pub id: String,
    /// The scenario's name.
    pub scenario_name: String,
    /// Final state (`completed`, `failed`, …).
    pub status: String,
    /// Completed and every success criterion held.
    pub passed: bool,
    /// The verdict's line for people, when judged.
    pub verdict_summary: Option<String>,
    /// Submitted (RFC 3339).
    pub created_at: String,
    /// Wall-clock from start to end.
    pub duration_ms: Option<u64>,
    /// Scenario time covered.
    pub scenario_elapsed_ms: u64,
    /// Time scale.
    pub speed: f64,
    /// Whether nothing was called.
    pub dry_run: bool,
    /// Its phases as they ran, for the timeline.
    pub phases: Vec<RunPhase>,
    /// Actions, decided assertions and the recovery, for the timeline.
    pub marks: Vec<RunMark>,
}

/// One phase as it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunPhase {
    /// Loop (1-based).
    pub iteration: u32,
    /// Index.
    pub index: usize,
    /// Name.
    pub name: String,
    /// Actual start (scenario ms), when it started.
    pub started_ms: Option<u64>,
    /// Actual end, when it ended.
    pub finished_ms: Option<u64>,
    /// `passed`, `failed`, `skipped`, `aborted`, `unfinished` or `not_run`.
    pub outcome: String,
}

/// What a timeline mark is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// An action call (chaos, clear, HTTP…).
    Action,
    /// An assertion decided.
    Assertion,
    /// The system recovered.
    Recovery,
}

/// One point on an execution's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunMark {
    /// Scenario ms.
    pub offset_ms: u64,
    /// What it is.
    pub kind: MarkKind,
    /// `exchange-simulator.inject_latency`, `health (recovery)`.
    pub label: String,
    /// Whether it went well (the action was accepted, the assertion held).
    pub ok: bool,
}

/// One success criterion in both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CriterionDiff {
    /// Its name.
    pub name: String,
    /// Whether it held in `a` (absent: not judged there).
    pub a: Option<bool>,
    /// Whether it held in `b`.
    pub b: Option<bool>,
    /// Why, in `a`.
    pub a_detail: Option<String>,
    /// Why, in `b`.
    pub b_detail: Option<String>,
    /// Better when it now holds, worse when it no longer does.
    pub change: Change,
}

/// One assertion's run in either execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssertionSide {
    /// `passed`, `failed`, `not_decided` or `not_run`.
    pub outcome: String,
    /// From its window's start until it held.
    pub time_to_hold_ms: Option<u64>,
    /// Its window.
    pub window_ms: u64,
    /// The last check's message.
    pub message: String,
}

/// One assertion in both executions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssertionDiff {
    /// Loop (1-based).
    pub iteration: u32,
    /// Phase name.
    pub phase: String,
    /// Index within the phase.
    pub index: usize,
    /// Assertion type.
    pub assertion_type: String,
    /// The service it looks at, if any.
    pub service: Option<String>,
    /// In `a`.
    pub a: Option<AssertionSide>,
    /// In `b`.
    pub b: Option<AssertionSide>,
    /// Time to hold (scenario ms).
    pub time_to_hold: FigureDiff,
    /// Outcome first (passed beats not decided beats failed), then time to hold.
    pub change: Change,
}

/// One action call in either execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionSide {
    /// Whether the service accepted it; null if it never returned.
    pub ok: Option<bool>,
    /// Actual start (scenario ms).
    pub started_ms: Option<u64>,
    /// One line.
    pub message: String,
}

/// One action call in both executions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionDiff {
    /// Loop (1-based).
    pub iteration: u32,
    /// Phase name, or `rollback`.
    pub phase: String,
    /// Target service.
    pub service: String,
    /// Action name.
    pub action: String,
    /// Which call of `service.action` in that phase (1-based).
    pub ordinal: usize,
    /// In `a`.
    pub a: Option<ActionSide>,
    /// In `b`.
    pub b: Option<ActionSide>,
    /// Round-trip latency (real ms).
    pub latency: FigureDiff,
    /// Accepted beats refused (called in one only: changed); then latency.
    pub change: Change,
}

/// A named figure in both executions (`p95 latency during chaos`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NamedDiff {
    /// `before`, `during` or `after` (the chaos), or `total`.
    pub window: String,
    /// `p95 latency`, `failure rate`, …
    pub name: String,
    /// The figure.
    pub figure: FigureDiff,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_is_better_figures_say_better_worse_or_same_within_the_noise() {
        let ms = |a, b| FigureDiff::new(Some(a), Some(b), Direction::LowerIsBetter, Unit::Ms);
        assert_eq!(ms(100.0, 80.0).change, Change::Better);
        assert_eq!(ms(100.0, 130.0).change, Change::Worse);
        assert_eq!(ms(100.0, 104.0).change, Change::Same, "within 5 %");
        assert_eq!(ms(2.1, 2.9).change, Change::Same, "within 1 ms");
        let worse = ms(800.0, 1200.0);
        assert_eq!(worse.delta, Some(400.0));
        assert_eq!(worse.delta_percent, Some(50.0));
        assert_eq!(worse.delta_text(), "+400ms (+50 %)");
        assert_eq!(ms(30_000.0, 15_000.0).delta_text(), "−15s (−50 %)");
    }

    #[test]
    fn direction_and_missing_sides_decide_the_rest() {
        let rate = FigureDiff::new(
            Some(10.0),
            Some(20.0),
            Direction::HigherIsBetter,
            Unit::PerSecond,
        );
        assert_eq!(rate.change, Change::Better);
        let count = FigureDiff::new(Some(10.0), Some(20.0), Direction::Neutral, Unit::Count);
        assert_eq!(count.change, Change::Changed);
        assert_eq!(count.delta_text(), "+10 (+100 %)");
        let from_zero =
            FigureDiff::new(Some(0.0), Some(3.0), Direction::LowerIsBetter, Unit::Count);
        assert_eq!(from_zero.change, Change::Worse);
        assert_eq!(from_zero.delta_percent, None);
        assert_eq!(from_zero.delta_text(), "+3");
        let percent = FigureDiff::new(
            Some(2.0),
            Some(12.5),
            Direction::LowerIsBetter,
            Unit::Percent,
        );
        assert_eq!(
            percent.delta_text(),
            "+10.5 %",
            "percentage points, no percent of percent"
        );
        let half = FigureDiff::new(None, Some(4000.0), Direction::LowerIsBetter, Unit::Ms);
        assert_eq!(half.change, Change::Changed);
        assert_eq!(half.delta_text(), "— → 4s");
        let jitter = FigureDiff::with_noise(
            Some(0.0),
            Some(900.0),
            Direction::LowerIsBetter,
            Unit::Ms,
            1000.0,
        );
        assert_eq!(jitter.change, Change::Same, "within the given noise");
        let none = FigureDiff::new(None, None, Direction::LowerIsBetter, Unit::Ms);
        assert_eq!(
            (none.change, none.delta_text().as_str()),
            (Change::Same, "—")
        );
        let equal = FigureDiff::new(Some(5.0), Some(5.0), Direction::LowerIsBetter, Unit::Count);
        assert_eq!(
            (equal.change, equal.delta_text().as_str()),
            (Change::Same, "±0")
        );
    }
}
