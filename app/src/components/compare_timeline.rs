//! Both executions of a comparison drawn on ONE time axis: per execution, a row
//! of phase bands as they ran and a row of markers (actions, decided
//! assertions, the recovery), so a phase that ran longer or a recovery that
//! came later shows as a shift between the two rows. A standalone `<svg>`
//! string (like [`crate::chart::workload_svg`]), with ticks and label cuts from
//! [`crate::chart`]; each state is written as a shape and a `<title>` as well
//! as a colour.

use std::fmt::Write;

use crate::api::compare::{ComparedRun, ExecutionComparison, MarkKind};
use crate::api::describe::format_ms;
use crate::chart::{esc, ticks, truncate};

const WIDTH: f64 = 1000.0;
/// Room for the row labels ("A · baseline").
const LABEL_W: f64 = 96.0;
const RIGHT: f64 = 12.0;
const AXIS_Y: f64 = 14.0;
const FIRST_ROW_Y: f64 = 26.0;
const BAND_H: f64 = 24.0;
const MARK_ROW_H: f64 = 18.0;
/// One execution's block: its band row, its marker row and a gap.
const BLOCK_H: f64 = BAND_H + MARK_ROW_H + 14.0;
/// Rough width of one character of the 11-unit font.
const CHAR_W: f64 = 6.4;

/// The comparison's two timelines on the shared axis `comparison.axis_ms`.
pub fn compare_timeline_svg(comparison: &ExecutionComparison) -> String {
    let total = comparison.axis_ms.max(1);
    let plot_w = WIDTH - LABEL_W - RIGHT;
    let x = |ms: u64| LABEL_W + (ms.min(total) as f64 / total as f64) * plot_w;
    let height = FIRST_ROW_Y + 2.0 * BLOCK_H + 4.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"cmp-timeline\" id=\"compare-timeline\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-labelledby=\"compare-timeline-title\" font-size=\"11\"><title id=\"compare-timeline-title\">Both executions on one time axis of {}: phases as they ran, actions, assertions and the recovery</title>",
        esc(&format_ms(total))
    );
    for t in ticks(total, 8) {
        let tx = x(t);
        let (lx, anchor) = if tx > WIDTH - RIGHT - 40.0 {
            (tx - 2.0, "end")
        } else {
            (tx + 2.0, "start")
        };
        let _ = write!(
            out,
            "<g class=\"cmp-tick\"><line x1=\"{tx:.1}\" x2=\"{tx:.1}\" y1=\"{}\" y2=\"{:.1}\"></line><text x=\"{lx:.1}\" y=\"{AXIS_Y}\" text-anchor=\"{anchor}\">{}</text></g>",
            AXIS_Y + 4.0,
            height - 4.0,
            esc(&format_ms(t))
        );
    }
    for (i, (run, name)) in [(&comparison.a, "A · baseline"), (&comparison.b, "B")]
        .into_iter()
        .enumerate()
    {
        let top = FIRST_ROW_Y + i as f64 * BLOCK_H;
        draw_run(&mut out, run, name, top, &x);
    }
    out.push_str("</svg>");
    out
}

/// One execution's two rows: phase bands at `top`, markers under them.
fn draw_run(out: &mut String, run: &ComparedRun, name: &str, top: f64, x: &dyn Fn(u64) -> f64) {
    let role = if name == "B" { "b" } else { "a" };
    let verdict = if run.passed { "passed" } else { &run.status };
    let _ = write!(
        out,
        "<g class=\"cmp-run cmp-run-{role}\" data-run=\"{role}\"><text class=\"cmp-run-name\" x=\"4\" y=\"{:.1}\">{}</text><text class=\"cmp-run-verdict\" x=\"4\" y=\"{:.1}\">{}</text>",
        top + 10.0,
        esc(name),
        top + 24.0,
        esc(verdict)
    );
    for phase in &run.phases {
        let (Some(start), Some(end)) = (phase.started_ms, phase.finished_ms) else {
            continue;
        };
        let x0 = x(start);
        let w = (x(end) - x0).max(2.0);
        let length = format_ms(end.saturating_sub(start));
        let iteration = if phase.iteration > 1 {
            format!(" (loop {})", phase.iteration)
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<g class=\"cmp-phase cmp-phase-{} cmp-outcome-{}\"><title>{}{}: {} ({})</title><rect x=\"{x0:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{BAND_H}\" rx=\"2\"></rect>",
            phase.index % 2,
            esc(&phase.outcome),
            esc(&phase.name),
            esc(&iteration),
            esc(&length),
            esc(&phase.outcome)
        );
        let fits = ((w - 6.0) / CHAR_W).floor() as usize;
        if fits >= 3 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x0 + 3.0,
                top + 16.0,
                esc(&truncate(&phase.name, fits))
            );
        }
        out.push_str("</g>");
    }
    let y = top + BAND_H + MARK_ROW_H / 2.0 + 2.0;
    for mark in &run.marks {
        let mx = x(mark.offset_ms);
        let state = if mark.ok { "ok" } else { "bad" };
        let title = format!(
            "{} at {}: {}",
            mark.label,
            format_ms(mark.offset_ms),
            match (mark.kind, mark.ok) {
                (MarkKind::Action, true) => "accepted",
                (MarkKind::Action, false) => "failed",
                (MarkKind::Assertion, true) => "held",
                (MarkKind::Assertion, false) => "did not hold",
                (MarkKind::Recovery, _) => "recovered",
            }
        );
        let shape = match (mark.kind, mark.ok) {
            (MarkKind::Action, _) => format!(
                "<path d=\"M{:.1} {:.1} l5 5 l-5 5 l-5 -5 z\"></path>",
                mx,
                y - 5.0
            ),
            (MarkKind::Assertion, true) => {
                format!("<circle cx=\"{mx:.1}\" cy=\"{y:.1}\" r=\"4\"></circle>")
            }
            (MarkKind::Assertion, false) => format!(
                "<path d=\"M{:.1} {:.1} l8 8 m0 -8 l-8 8\"></path>",
                mx - 4.0,
                y - 4.0
            ),
            (MarkKind::Recovery, _) => format!(
                "<line x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"></line><text x=\"{:.1}\" y=\"{:.1}\">recovered</text>",
                top - 2.0,
                y + 7.0,
                mx + 3.0,
                y + 4.0
            ),
        };
        let kind = match mark.kind {
            MarkKind::Action => "action",
            MarkKind::Assertion => "assertion",
            MarkKind::Recovery => "recovery",
        };
        let _ = write!(
            out,
            "<g class=\"cmp-mark cmp-mark-{kind} cmp-mark-{state}\"><title>{}</title>{shape}</g>",
            esc(&title)
        );
    }
    out.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::compare::{Change, Direction, FigureDiff, RunMark, RunPhase, Unit};

    fn run(id: &str, phase_end: u64, recovered: u64) -> ComparedRun {
        ComparedRun {
            id: id.into(),
            scenario_name: "s".into(),
            status: "completed".into(),
            passed: true,
            verdict_summary: None,
            created_at: String::new(),
            duration_ms: None,
            scenario_elapsed_ms: phase_end,
            speed: 600.0,
            dry_run: false,
            phases: vec![RunPhase {
                iteration: 1,
                index: 0,
                name: "inject <chaos>".into(),
                started_ms: Some(0),
                finished_ms: Some(phase_end),
                outcome: "passed".into(),
            }],
            marks: vec![
                RunMark {
                    offset_ms: 1000,
                    kind: MarkKind::Action,
                    label: "exchange.inject_latency".into(),
                    ok: true,
                },
                RunMark {
                    offset_ms: 2000,
                    kind: MarkKind::Assertion,
                    label: "health".into(),
                    ok: false,
                },
                RunMark {
                    offset_ms: recovered,
                    kind: MarkKind::Recovery,
                    label: "recovered".into(),
                    ok: true,
                },
            ],
        }
    }

    #[test]
    fn both_runs_share_one_scale() {
        let same = FigureDiff::new(None, None, Direction::LowerIsBetter, Unit::Ms);
        let comparison = ExecutionComparison {
            a: run("a", 60_000, 30_000),
            b: run("b", 120_000, 90_000),
            same_scenario: true,
            verdict: Change::Same,
            axis_ms: 120_000,
            criteria: vec![],
            assertions: vec![],
            actions: vec![],
            workload: vec![],
            recovery_ms: same,
            better: 0,
            worse: 0,
        };
        let svg = compare_timeline_svg(&comparison);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("data-run=").count(), 2);
        // A's phase ends half-way along the axis, B's at its end: one scale.
        let plot_w = WIDTH - LABEL_W - RIGHT;
        let a_width = format!("width=\"{:.1}\"", plot_w / 2.0);
        let b_width = format!("width=\"{plot_w:.1}\"");
        assert!(svg.contains(&a_width), "{a_width} in {svg}");
        assert!(svg.contains(&b_width), "{b_width}");
        assert!(svg.contains("inject &lt;chaos&gt;"), "names are escaped");
        assert!(svg.contains("health at 2s: did not hold"));
        assert_eq!(svg.matches("cmp-mark-recovery").count(), 2);
        assert!(svg.contains(">2m<"), "the axis reaches 2m: {svg}");
    }
}
