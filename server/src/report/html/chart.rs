//! The page's timeline chart: phase bands, chaos per service, action markers,
//! assertion windows with their outcome, alerts and audit events, in inline SVG.

use std::fmt::Write as _;

use super::*;

/// Maps scenario milliseconds to chart x.
struct Scale {
    left: f64,
    width: f64,
    total: f64,
}

impl Scale {
    fn x(&self, ms: u64) -> f64 {
        let x = self.left + (ms as f64 / self.total) * self.width;
        (x * 10.0).round() / 10.0
    }
}

/// Where a label of `chars` characters beside a mark at `x` goes, and its class:
/// to the right, or to the left when it would run past the chart's right edge.
fn label_at(x: f64, gap: f64, chars: usize) -> (f64, &'static str) {
    if x + gap + chars as f64 * 6.5 > 1095.0 {
        (x - gap, "mark-label mark-label-end")
    } else {
        (x + gap, "mark-label")
    }
}

pub(super) fn chart(out: &mut String, report: &ExecutionReport) {
    section_start(out, "timeline", "Timeline");
    let phases: Vec<_> = report
        .metrics
        .phases
        .iter()
        .filter(|p| p.iteration == report.execution.iterations.max(1))
        .collect();
    let total = report
        .scenario
        .planned_duration_ms
        .max(report.execution.scenario_elapsed_ms)
        .max(phases.iter().map(|p| p.planned_end_ms).max().unwrap_or(0))
        .max(1);
    let scale = Scale {
        left: 230.0,
        width: 850.0,
        total: total as f64,
    };
    let impact = &report.system_impact;
    let shown: Vec<&AssertionReport> = report
        .validation_results
        .assertions
        .iter()
        .filter(|a| a.iteration == report.execution.iterations.max(1))
        .take(MAX_CHART_ASSERTIONS)
        .collect();
    let lane = 24.0;
    let top = 44.0;
    let mut rows: Vec<String> = Vec::new();
    rows.extend(
        impact
            .services_affected
            .iter()
            .map(|s| format!("chaos: {}", s.service)),
    );
    rows.push("actions".to_owned());
    rows.extend(
        shown
            .iter()
            .map(|a| format!("{}: {}", a.phase, a.assertion_type)),
    );
    let alerts_row = (!impact.alerts_generated.is_empty()).then(|| {
        rows.push("alerts".to_owned());
        rows.len() - 1
    });
    let audit_row = report
        .audit
        .as_ref()
        .filter(|a| !a.events.is_empty())
        .map(|_| {
            rows.push("audit events".to_owned());
            rows.len() - 1
        });
    let height = top + lane * rows.len() as f64 + 16.0;
    let y = |row: usize| top + lane * row as f64;
    let _ = write!(
        out,
        "<figure>\n<svg class=\"chart\" viewBox=\"0 0 1100 {height}\" width=\"1100\" height=\"{height}\" role=\"img\" aria-labelledby=\"chart-title\" xmlns=\"http://www.w3.org/2000/svg\">\n<title id=\"chart-title\">Timeline of {}: phases, chaos, actions and assertion windows over {} of scenario time</title>\n",
        Esc(&report.scenario.name),
        human_ms(total)
    );
    out.push_str("<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"></rect><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#222\" stroke-width=\"2\"></line></pattern></defs>\n");
    // Phase bands (planned), labelled at the top.
    for (i, phase) in phases.iter().enumerate() {
        let (x0, x1) = (
            scale.x(phase.planned_start_ms),
            scale.x(phase.planned_end_ms),
        );
        let _ = writeln!(
            out,
            "<g class=\"phase\"><title>phase {}: planned +{}–+{}, {}</title><rect x=\"{x0}\" y=\"16\" width=\"{}\" height=\"{}\" class=\"{}\"></rect><text x=\"{}\" y=\"30\" class=\"phase-label\">{}</text></g>",
            Esc(&phase.name),
            human_ms(phase.planned_start_ms),
            human_ms(phase.planned_end_ms),
            Esc(&phase.outcome),
            ((x1 - x0).max(0.5) * 10.0).round() / 10.0,
            height - 24.0,
            if i % 2 == 0 { "band-a" } else { "band-b" },
            x0 + 4.0,
            Esc(&truncate(&format!("{} ({})", phase.name, phase.outcome), (((x1 - x0) / 7.0) as usize).max(4))),
        );
    }
    // Axis ticks.
    for tick in app::chart::ticks(total, 10) {
        let x = scale.x(tick);
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"12\" x2=\"{x}\" y2=\"{}\" class=\"tick\"></line><text x=\"{x}\" y=\"10\" class=\"tick-label\">+{}</text>",
            height - 8.0,
            human_ms(tick)
        );
    }
    // Row labels.
    for (row, label) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "<text x=\"8\" y=\"{}\" class=\"row-label\">{}</text>",
            y(row) + 16.0,
            Esc(&truncate(label, 32))
        );
    }
    // Chaos per service: injected → cleared, then recovery.
    for (row, service) in impact.services_affected.iter().enumerate() {
        let x0 = scale.x(service.injected_ms);
        let cleared = service.cleared_ms.unwrap_or(total);
        let x1 = scale.x(cleared).max(x0 + 1.0);
        let _ = writeln!(
            out,
            "<g><title>chaos on {} ({}) from +{} to {}</title><rect x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"12\" class=\"chaos\"></rect></g>",
            Esc(&service.service),
            Esc(&service.chaos_actions.join(", ")),
            human_ms(service.injected_ms),
            service.cleared_ms.map_or("the end (not cleared)".to_owned(), |c| format!("+{}", human_ms(c))),
            y(row) + 6.0,
            ((x1 - x0) * 10.0).round() / 10.0,
        );
        if let (Some(cleared), Some(recovery)) = (service.cleared_ms, service.recovery_ms) {
            let (r0, r1) = (scale.x(cleared), scale.x(cleared + recovery));
            let text = format!("recovered in {}", human_ms(recovery));
            let (lx, class) = label_at(r1, 4.0, text.chars().count());
            let _ = writeln!(
                out,
                "<g><title>recovery of {}: {}</title><rect x=\"{r0}\" y=\"{}\" width=\"{}\" height=\"12\" class=\"recovery\"></rect><text x=\"{lx}\" y=\"{}\" class=\"{class}\">{text}</text></g>",
                Esc(&service.service),
                human_ms(recovery),
                y(row) + 6.0,
                ((r1 - r0).max(1.0) * 10.0).round() / 10.0,
                y(row) + 16.0,
            );
        }
    }
    // Actions.
    let actions_row = impact.services_affected.len();
    let label_actions = report.metrics.actions.len() <= MAX_ACTION_LABELS;
    for (i, action) in report
        .metrics
        .actions
        .iter()
        .filter(|a| a.iteration == report.execution.iterations.max(1) || a.rollback)
        .enumerate()
    {
        let Some(at) = action.started_ms else {
            continue;
        };
        let x = scale.x(at);
        let cy = y(actions_row) + 12.0;
        let failed = action.ok == Some(false);
        let shape = if action.rollback {
            format!(
                "<polygon points=\"{x},{} {},{cy} {x},{} {},{cy}\" class=\"{}\"></polygon>",
                cy - 7.0,
                x + 7.0,
                cy + 7.0,
                x - 7.0,
                if failed { "mark-fail" } else { "mark-ok" }
            )
        } else {
            format!(
                "<polygon points=\"{},{} {},{} {x},{}\" class=\"{}\"></polygon>",
                x - 7.0,
                cy - 7.0,
                x + 7.0,
                cy - 7.0,
                cy + 6.0,
                if failed { "mark-fail" } else { "mark-ok" }
            )
        };
        let label = if label_actions {
            let text = format!("{}{}", action.action, if failed { " ✗" } else { "" });
            let (lx, class) = label_at(x, 8.0, text.chars().count());
            format!(
                "<text x=\"{lx}\" y=\"{}\" class=\"{class}\">{}</text>",
                cy + if i % 2 == 0 { -2.0 } else { 10.0 },
                Esc(&text),
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<g><title>{}{}.{} at +{}: {}</title>{shape}{label}</g>",
            if action.rollback { "rollback " } else { "" },
            Esc(&action.service),
            Esc(&action.action),
            human_ms(at),
            match action.ok {
                Some(true) => "succeeded".to_owned(),
                Some(false) => format!("FAILED — {}", Esc(&action.message)),
                None => "no answer".to_owned(),
            }
        );
    }
    // Assertion windows with their outcome.
    for (i, a) in shown.iter().enumerate() {
        let row = actions_row + 1 + i;
        let (x0, x1) = (scale.x(a.window_start_ms), scale.x(a.deadline_ms));
        let cy = y(row) + 12.0;
        let class = match a.outcome {
            AssertionOutcome::Passed => "window",
            AssertionOutcome::Failed => "window window-fail",
            AssertionOutcome::NotDecided | AssertionOutcome::NotRun => "window window-open",
        };
        let _ = write!(
            out,
            "<g><title>{}={} ({}): window +{}–+{}; {}{}</title><rect x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"12\" class=\"{class}\"></rect>",
            Esc(&a.assertion_type),
            Esc(&a.expect),
            Esc(&a.phase),
            human_ms(a.window_start_ms),
            human_ms(a.deadline_ms),
            a.outcome.as_str(),
            a.time_to_hold_ms
                .map(|t| format!(", held after {}", human_ms(t)))
                .unwrap_or_default(),
            cy - 6.0,
            ((x1 - x0).max(1.0) * 10.0).round() / 10.0,
        );
        match a.outcome {
            AssertionOutcome::Passed => {
                let x = scale.x(a.last_check_ms.unwrap_or(a.window_start_ms));
                let text = format!("✓ {}", a.time_to_hold_ms.map(human_ms).unwrap_or_default());
                let (lx, class) = label_at(x, 9.0, text.chars().count());
                let _ = write!(
                    out,
                    "<circle cx=\"{x}\" cy=\"{cy}\" r=\"6\" class=\"mark-ok\"></circle><text x=\"{lx}\" y=\"{}\" class=\"{class}\">{text}</text>",
                    cy + 4.0,
                );
            }
            AssertionOutcome::Failed => {
                let x = scale.x(a.last_check_ms.unwrap_or(a.deadline_ms));
                let _ = write!(
                    out,
                    "<path d=\"M{} {} L{} {} M{} {} L{} {}\" class=\"cross\"></path><text x=\"{}\" y=\"{}\" class=\"{} mark-label-fail\">✗ FAIL</text>",
                    x - 6.0,
                    cy - 6.0,
                    x + 6.0,
                    cy + 6.0,
                    x - 6.0,
                    cy + 6.0,
                    x + 6.0,
                    cy - 6.0,
                    label_at(x, 9.0, 6).0,
                    cy + 4.0,
                    label_at(x, 9.0, 6).1
                );
            }
            AssertionOutcome::NotDecided | AssertionOutcome::NotRun => {}
        }
        out.push_str("</g>\n");
    }
    if let Some(row) = alerts_row {
        for alert in &impact.alerts_generated {
            let Some(raised) = alert.raised_offset_ms else {
                continue;
            };
            let raised = u64::try_from(raised).unwrap_or(0);
            let resolved = alert
                .resolved_offset_ms
                .and_then(|r| u64::try_from(r).ok())
                .unwrap_or(total);
            let (x0, x1) = (scale.x(raised), scale.x(resolved));
            let _ = writeln!(
                out,
                "<g><title>alert {} on {}: raised +{}, {}</title><rect x=\"{x0}\" y=\"{}\" width=\"{}\" height=\"10\" class=\"alert\"></rect></g>",
                Esc(&alert.alert_type),
                Esc(alert.subject.as_deref().unwrap_or("-")),
                human_ms(raised),
                alert
                    .resolved_offset_ms
                    .map_or("not resolved".to_owned(), |r| format!("resolved {}", human_signed_ms(r))),
                y(row) + 7.0,
                ((x1 - x0).max(1.0) * 10.0).round() / 10.0,
            );
        }
    }
    if let (Some(row), Some(audit)) = (audit_row, &report.audit) {
        for event in &audit.events {
            let Some(at) = event.offset_ms.and_then(|o| u64::try_from(o).ok()) else {
                continue;
            };
            let x = scale.x(at);
            let _ = writeln!(
                out,
                "<g><title>audit {} on {} at +{}</title><line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" class=\"audit-tick\"></line></g>",
                Esc(&event.kind),
                Esc(&event.service),
                human_ms(at),
                y(row) + 4.0,
                y(row) + 20.0
            );
        }
    }
    out.push_str("</svg>\n<figcaption>Scenario time runs left to right; shaded bands are the planned phases. ▼ action (filled: succeeded; open: failed, marked ✗) · ◆ rollback action · bar: an assertion's window from its start to its deadline — ● ✓ where it held, ✗ FAIL and hatching where it did not, dashed outline when never decided · chaos bars run from injection to clear, the lighter hatched part is the recovery · alerts run from raise to resolve · ticks in the last row are audit events.</figcaption>\n</figure>\n");
    if shown.len() < report.validation_results.assertions.len() {
        let _ = writeln!(
            out,
            "<p>The chart shows {} of {} assertions; the table below lists all.</p>",
            shown.len(),
            report.validation_results.assertions.len()
        );
    }
    out.push_str("</section>\n");
}
