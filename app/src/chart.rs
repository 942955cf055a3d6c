//! The workload chart (DESIGN.md §7): latency percentiles and failure rate over
//! scenario time, with the phases as bands, the chaos window shaded and the
//! recovery marked. One SVG renderer for the HTML report (server) and the live
//! view (browser), so both draw the same picture.
//!
//! Lines differ by dash pattern and the failure rate is a filled area, so the
//! chart reads in greyscale; every value is also in the `<title>` of its point.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// One slot of the workload's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChartPoint {
    /// Slot start, scenario ms.
    pub start_ms: u64,
    /// Slot end, scenario ms.
    pub end_ms: u64,
    /// Requests due in the slot.
    pub requests: u64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Failed share, 0..1.
    pub failure_rate: f64,
}

impl From<&crate::api::figures::SlotFigures> for ChartPoint {
    /// A `workload_slot` event's figures as a point: the live view and the
    /// report chart the same slots.
    fn from(slot: &crate::api::figures::SlotFigures) -> Self {
        Self {
            start_ms: slot.start_ms,
            end_ms: slot.end_ms,
            requests: slot.figures.requests,
            p50_ms: slot.figures.p50_ms,
            p95_ms: slot.figures.p95_ms,
            p99_ms: slot.figures.p99_ms,
            failure_rate: slot.figures.failure_rate,
        }
    }
}

/// Everything the chart draws.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadChart {
    /// The slots, in order.
    pub points: Vec<ChartPoint>,
    /// Phases: name, start and end (scenario ms).
    pub phases: Vec<(String, u64, u64)>,
    /// The chaos window (injected, cleared), scenario ms.
    pub chaos: Option<(u64, u64)>,
    /// When the steady state held again, scenario ms.
    pub recovered_ms: Option<u64>,
    /// The steady state's p95 bound, drawn as a reference line.
    pub p95_bound_ms: Option<f64>,
    /// Length of the time axis, scenario ms.
    pub total_ms: u64,
}

const WIDTH: f64 = 1100.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 1040.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 240.0;

pub(crate) fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `1m30s`-style text for scenario milliseconds.
fn human(ms: u64) -> String {
    crate::scenario::duration::format_duration(std::time::Duration::from_millis(ms))
}

/// A round upper bound for the latency axis.
fn nice_ceiling(value: f64) -> f64 {
    let value = value.max(1.0);
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|step| step * magnitude)
        .find(|bound| *bound >= value)
        .unwrap_or(10.0 * magnitude)
}

/// The chart as a standalone `<svg>` element.
pub fn workload_svg(chart: &WorkloadChart) -> String {
    let total = chart
        .total_ms
        .max(chart.points.last().map_or(0, |p| p.end_ms))
        .max(1) as f64;
    let x = |ms: u64| ((LEFT + (ms as f64 / total) * (RIGHT - LEFT)) * 10.0).round() / 10.0;
    let sent: Vec<&ChartPoint> = chart.points.iter().filter(|p| p.requests > 0).collect();
    let top_ms = nice_ceiling(
        sent.iter()
            .map(|p| p.p99_ms)
            .chain(chart.p95_bound_ms)
            .fold(0.0, f64::max),
    );
    let y_ms =
        |ms: f64| ((BOTTOM - (ms.min(top_ms) / top_ms) * (BOTTOM - TOP)) * 10.0).round() / 10.0;
    let y_rate =
        |rate: f64| ((BOTTOM - rate.clamp(0.0, 1.0) * (BOTTOM - TOP)) * 10.0).round() / 10.0;
    let mut out = String::with_capacity(8 * 1024 + chart.points.len() * 120);
    let _ = write!(
        out,
        "<svg class=\"workload-chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"workload-chart-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"workload-chart-title\">Workload over {} of scenario time: p50, p95 and p99 latency (left axis, up to {top_ms} ms) and failure rate (right axis, shaded){}{}</title>",
        human(total as u64),
        chart
            .chaos
            .map(|(from, to)| format!("; chaos from +{} to +{}", human(from), human(to)))
            .unwrap_or_default(),
        chart
            .recovered_ms
            .map(|at| format!("; steady state again at +{}", human(at)))
            .unwrap_or_default(),
    );
    out.push_str("<defs><pattern id=\"workload-hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#b45309\" stroke-width=\"3\" stroke-opacity=\"0.35\"></line></pattern></defs>");
    // Phase bands, alternating, named at the top.
    for (i, (name, start, end)) in chart.phases.iter().enumerate() {
        let (x0, x1) = (x(*start), x(*end));
        let _ = write!(
            out,
            "<g class=\"wl-phase\"><title>phase {}: +{} to +{}</title><rect x=\"{x0}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"{}\"></rect><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#374151\">{}</text></g>",
            esc(name),
            human(*start),
            human(*end),
            (x1 - x0).max(0.0),
            BOTTOM - TOP,
            if i % 2 == 0 { "#f3f4f6" } else { "#e5e7eb" },
            x0 + 3.0,
            TOP - 6.0 - if i % 2 == 0 { 0.0 } else { 12.0 },
            esc(&truncate(name, ((x1 - x0) / 6.5).max(4.0) as usize)),
        );
    }
    if let Some((from, to)) = chart.chaos {
        let (x0, x1) = (x(from), x(to));
        let _ = write!(
            out,
            "<g class=\"wl-chaos\"><title>chaos from +{} to +{}</title><rect x=\"{x0}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"url(#workload-hatch)\" stroke=\"#b45309\" stroke-dasharray=\"2 2\"></rect></g>",
            human(from),
            human(to),
            (x1 - x0).max(1.0),
            BOTTOM - TOP,
        );
    }
    // Failure rate: a filled step area on the right axis.
    if !chart.points.is_empty() {
        let mut path = format!("M{} {BOTTOM}", x(chart.points[0].start_ms));
        for point in &chart.points {
            let y = y_rate(point.failure_rate);
            let _ = write!(path, " L{} {y} L{} {y}", x(point.start_ms), x(point.end_ms));
        }
        let _ = write!(
            path,
            " L{} {BOTTOM} Z",
            x(chart.points.last().map_or(0, |p| p.end_ms))
        );
        let _ = write!(
            out,
            "<path class=\"wl-failures\" d=\"{path}\" fill=\"#dc2626\" fill-opacity=\"0.25\" stroke=\"#dc2626\" stroke-width=\"1\"></path>"
        );
    }
    // Latency lines through each slot's middle, broken where no request was due.
    for (name, dash, width, value) in [
        (
            "p50",
            "2 3",
            1.0,
            (|p: &ChartPoint| p.p50_ms) as fn(&ChartPoint) -> f64,
        ),
        ("p95", "", 2.0, |p: &ChartPoint| p.p95_ms),
        ("p99", "6 3", 1.5, |p: &ChartPoint| p.p99_ms),
    ] {
        let mut path = String::new();
        let mut pen_down = false;
        for point in &chart.points {
            if point.requests == 0 {
                pen_down = false;
                continue;
            }
            let mid = x((point.start_ms + point.end_ms) / 2);
            let _ = write!(
                path,
                "{}{mid} {} ",
                if pen_down { "L" } else { "M" },
                y_ms(value(point))
            );
            pen_down = true;
        }
        let _ = write!(
            out,
            "<path class=\"wl-{name}\" d=\"{}\" fill=\"none\" stroke=\"#1d4ed8\" stroke-width=\"{width}\" stroke-dasharray=\"{dash}\"></path>",
            path.trim_end()
        );
    }
    if let Some(bound) = chart.p95_bound_ms {
        let y = y_ms(bound);
        let _ = write!(
            out,
            "<g class=\"wl-bound\"><title>steady-state p95 bound: {bound} ms</title><line x1=\"{LEFT}\" x2=\"{RIGHT}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#6b7280\" stroke-dasharray=\"1 4\"></line></g>"
        );
    }
    if let Some(at) = chart.recovered_ms {
        let x0 = x(at);
        let label = match chart.chaos {
            Some((_, cleared)) => format!(
                "recovered {} after the clear",
                human(at.saturating_sub(cleared))
            ),
            None => "recovered".to_owned(),
        };
        let anchor = if x0 > RIGHT - 200.0 { "end" } else { "start" };
        let lx = if anchor == "end" { x0 - 4.0 } else { x0 + 4.0 };
        let _ = write!(
            out,
            "<g class=\"wl-recovery\"><title>steady state held again at +{}</title><line x1=\"{x0}\" x2=\"{x0}\" y1=\"{TOP}\" y2=\"{BOTTOM}\" stroke=\"#047857\" stroke-width=\"2\"></line><path d=\"M{x0} {} l-5 -8 h10 z\" fill=\"#047857\"></path><text x=\"{lx}\" y=\"{}\" font-size=\"11\" text-anchor=\"{anchor}\" fill=\"#047857\">{}</text></g>",
            human(at),
            TOP + 8.0,
            TOP + 20.0,
            esc(&label),
        );
    }
    // Axes: latency on the left, failure rate on the right, time below.
    let _ = write!(
        out,
        "<g class=\"wl-axes\" font-size=\"10\" fill=\"#374151\"><line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{BOTTOM}\" stroke=\"#9ca3af\"></line><line x1=\"{RIGHT}\" x2=\"{RIGHT}\" y1=\"{TOP}\" y2=\"{BOTTOM}\" stroke=\"#9ca3af\"></line><line x1=\"{LEFT}\" x2=\"{RIGHT}\" y1=\"{BOTTOM}\" y2=\"{BOTTOM}\" stroke=\"#9ca3af\"></line>"
    );
    for fraction in [0.0, 0.5, 1.0] {
        let y = BOTTOM - fraction * (BOTTOM - TOP);
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} ms</text><text x=\"{}\" y=\"{}\">{} %</text>",
            LEFT - 4.0,
            y + 3.0,
            (top_ms * fraction).round(),
            RIGHT + 4.0,
            y + 3.0,
            (fraction * 100.0).round(),
        );
    }
    for ms in ticks(total as u64, 8) {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">+{}</text>",
            x(ms),
            BOTTOM + 14.0,
            human(ms)
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        "<g class=\"wl-legend\" font-size=\"11\" fill=\"#111827\" transform=\"translate({LEFT} {})\"><line x1=\"0\" x2=\"24\" y1=\"-4\" y2=\"-4\" stroke=\"#1d4ed8\" stroke-dasharray=\"2 3\"></line><text x=\"28\" y=\"0\">p50</text><line x1=\"64\" x2=\"88\" y1=\"-4\" y2=\"-4\" stroke=\"#1d4ed8\" stroke-width=\"2\"></line><text x=\"92\" y=\"0\">p95</text><line x1=\"128\" x2=\"152\" y1=\"-4\" y2=\"-4\" stroke=\"#1d4ed8\" stroke-dasharray=\"6 3\" stroke-width=\"1.5\"></line><text x=\"156\" y=\"0\">p99 latency</text><rect x=\"240\" y=\"-10\" width=\"18\" height=\"10\" fill=\"#dc2626\" fill-opacity=\"0.25\" stroke=\"#dc2626\"></rect><text x=\"262\" y=\"0\">failure rate</text><rect x=\"350\" y=\"-10\" width=\"18\" height=\"10\" fill=\"url(#workload-hatch)\" stroke=\"#b45309\"></rect><text x=\"372\" y=\"0\">chaos window</text><line x1=\"470\" x2=\"470\" y1=\"-10\" y2=\"0\" stroke=\"#047857\" stroke-width=\"2\"></line><text x=\"476\" y=\"0\">recovery</text></g>",
        HEIGHT - 8.0
    );
    out.push_str("</svg>");
    out
}

/// A round tick step (100 ms, 1 s, 5 s, …, 1 d, 2 d, 5 d, 10 d, …) that puts at
/// most `at_most` steps over `total` ms. Every axis of the product (the plan's
/// timeline, the workload chart, the report) takes its ticks from here, so the
/// number of ticks is bounded whatever the length: drawing is O(pixels), never
/// O(duration).
pub fn tick_step(total: u64, at_most: u64) -> u64 {
    const STEPS: [u64; 20] = [
        100,
        500,
        1_000,
        5_000,
        10_000,
        15_000,
        30_000,
        60_000,
        120_000,
        300_000,
        600_000,
        900_000,
        1_800_000,
        3_600_000,
        7_200_000,
        10_800_000,
        21_600_000,
        43_200_000,
        86_400_000,
        172_800_000,
    ];
    let at_most = at_most.max(1);
    if let Some(step) = STEPS.iter().copied().find(|step| total / step <= at_most) {
        return step;
    }
    // Longer than the table: whole days in a 1-2-5 progression.
    let mut step: u64 = 86_400_000;
    loop {
        for factor in [1, 2, 5] {
            let candidate = step.saturating_mul(factor);
            if total / candidate <= at_most || candidate == u64::MAX {
                return candidate;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// The ticks `0, step, 2 step, …` up to `total`: at most `at_most + 1` of them.
pub fn ticks(total: u64, at_most: u64) -> impl Iterator<Item = u64> {
    let step = tick_step(total, at_most);
    (0..=total / step).map(move |i| i * step)
}

/// `text` cut to at most `max` characters, `…` marking a cut: one rule for the
/// labels of this chart and of the report's timeline.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(start_s: u64, p95: f64, rate: f64) -> ChartPoint {
        ChartPoint {
            start_ms: start_s * 1000,
            end_ms: start_s * 1000 + 1000,
            requests: 50,
            p50_ms: p95 / 2.0,
            p95_ms: p95,
            p99_ms: p95 * 1.2,
            failure_rate: rate,
        }
    }

    #[test]
    fn the_chart_draws_phases_chaos_lines_and_the_recovery() {
        let chart = WorkloadChart {
            points: (0..30)
                .map(|s| match s {
                    10..=19 => point(s, 400.0, 1.0),
                    _ => point(s, 20.0, 0.0),
                })
                .collect(),
            phases: vec![
                ("baseline".into(), 0, 10_000),
                ("down <&>".into(), 10_000, 20_000),
                ("recovery".into(), 20_000, 30_000),
            ],
            chaos: Some((10_000, 20_000)),
            recovered_ms: Some(23_000),
            p95_bound_ms: Some(150.0),
            total_ms: 30_000,
        };
        let svg = workload_svg(&chart);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("class=\"wl-phase\"").count(), 3);
        assert!(svg.contains("down &lt;&amp;&gt;"), "names are escaped");
        assert!(svg.contains("class=\"wl-chaos\""));
        assert!(svg.contains("recovered 3s after the clear"));
        // 480 ms tops the latency axis at 500 ms.
        assert!(svg.contains("500 ms"), "{svg}");
        // Round ticks every 5 s over 30 s.
        assert!(svg.contains(">+5s<") && svg.contains(">+30s<"), "{svg}");
        assert_eq!(tick_step(7 * 60_000 + 121, 8), 60_000);
        for class in ["wl-p50", "wl-p95", "wl-p99", "wl-failures", "wl-bound"] {
            assert!(svg.contains(class), "{class}");
        }
    }

    #[test]
    fn ticks_stay_few_whatever_the_length() {
        assert_eq!(ticks(0, 8).collect::<Vec<_>>(), vec![0]);
        assert_eq!(
            ticks(36 * 3_600_000, 8).collect::<Vec<_>>(),
            (0..=6).map(|i| i * 21_600_000).collect::<Vec<_>>()
        );
        // 99999999999h, the length that once drew 4 billion ticks.
        for total in [99_999_999_999 * 3_600_000, u64::MAX, u64::MAX / 3, 1] {
            for at_most in [1, 6, 8, 10] {
                let count = ticks(total, at_most).count() as u64;
                assert!(
                    (1..=at_most + 1).contains(&count),
                    "{total} ms, at most {at_most}: {count}"
                );
            }
        }
    }

    #[test]
    fn an_empty_chart_still_renders() {
        let svg = workload_svg(&WorkloadChart::default());
        assert!(svg.contains("<title"));
        assert!(!svg.contains("wl-failures"));
    }
}
