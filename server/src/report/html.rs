//! The HTML format: one self-contained HTML5 page — inline CSS and inline SVG,
//! no script, no external fetch — that a person can open from disk, mail or attach
//! to a ticket. It holds the executive summary, the recommendations, a timeline
//! chart (phase bands, chaos per service, action markers, assertion windows with
//! their outcome, alerts and audit events), the assertion table with evidence, the
//! system impact, the metrics, the audit trail, every event and the definition.
//!
//! Pass and fail never rely on colour alone: every outcome is written (`PASS ✓`,
//! `FAIL ✗`) and drawn with a distinct shape and fill, so the page reads in
//! greyscale. Every string from the report is escaped ([`Esc`]): evidence comes
//! from the system under test and may contain markup.

use std::fmt::{self, Write as _};

use super::model::{
    human_ms, human_signed_ms, AssertionOutcome, AssertionReport, Distribution, ExecutionReport,
    Severity,
};

/// Assertion rows drawn in the chart at most; the table lists them all.
const MAX_CHART_ASSERTIONS: usize = 60;
/// Action markers labelled in the chart at most (all are drawn, with a tooltip).
const MAX_ACTION_LABELS: usize = 16;

/// Displays a string with `& < > " '` escaped, for text and attribute values. Line
/// breaks become spaces (the page would collapse them anyway), so no line of the
/// document ends in whitespace; [`EscPre`] keeps them.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'', '\n', '\r']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\n' | b'\r' => " ",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// Displays preformatted text escaped like [`Esc`], with line ends normalised to LF
/// and whitespace at the end of a line written as character references: the page
/// shows exactly the text, and no line of the document ends in whitespace.
pub struct EscPre<'a>(pub &'a str);

impl fmt::Display for EscPre<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.0.split('\n').enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let line = line.strip_suffix('\r').unwrap_or(line);
            let body = line.trim_end_matches([' ', '\t']);
            write!(f, "{}", Esc(body))?;
            for c in line[body.len()..].chars() {
                f.write_str(if c == '\t' { "&#9;" } else { "&#32;" })?;
            }
        }
        Ok(())
    }
}

/// Appends `text` with `& < > " '` escaped, line breaks kept.
fn push_escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Renders the report as one HTML5 document.
pub fn render(report: &ExecutionReport) -> String {
    let mut out = String::with_capacity(64 * 1024 + report.timeline.len() * 200);
    let e = &report.execution;
    let verdict = if e.passed { "PASSED" } else { "FAILED" };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"test-coordinator {}\">\n<title>{verdict}: {} — chaos report</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        Esc(&report.metadata.coordinator_version),
        Esc(&truncate(&report.scenario.name, 40)),
    );
    header(&mut out, report);
    out.push_str("<main>\n");
    summary(&mut out, report);
    recommendations(&mut out, report);
    chart(&mut out, report);
    workload(&mut out, report);
    assertions(&mut out, report);
    impact(&mut out, report);
    metrics(&mut out, report);
    audit(&mut out, report);
    events(&mut out, report);
    definition(&mut out, report);
    out.push_str("</main>\n");
    let m = &report.metadata;
    let _ = write!(
        out,
        "<footer>\n<p>Report {} · schema {} · generated {} by test-coordinator {} on {}</p>\n</footer>\n</body>\n</html>\n",
        Esc(&m.report_id),
        Esc(&m.schema_version),
        Esc(&m.generated_at),
        Esc(&m.coordinator_version),
        Esc(&m.instance)
    );
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// The outcome badge: words and a symbol, styled but not colour-dependent.
fn badge(out: &mut String, passed: bool) {
    out.push_str(if passed {
        "<span class=\"badge badge-pass\">PASS ✓</span>"
    } else {
        "<span class=\"badge badge-fail\">FAIL ✗</span>"
    });
}

fn outcome_badge(out: &mut String, outcome: AssertionOutcome) {
    match outcome {
        AssertionOutcome::Passed => badge(out, true),
        AssertionOutcome::Failed => badge(out, false),
        AssertionOutcome::NotDecided => {
            out.push_str("<span class=\"badge badge-open\">NOT DECIDED –</span>")
        }
        AssertionOutcome::NotRun => {
            out.push_str("<span class=\"badge badge-open\">NOT RUN –</span>")
        }
    }
}

fn opt_ms(ms: Option<u64>) -> String {
    ms.map_or_else(|| "—".to_owned(), human_ms)
}

fn offset(ms: Option<u64>) -> String {
    ms.map_or_else(|| "—".to_owned(), |ms| format!("+{}", human_ms(ms)))
}

fn header(out: &mut String, report: &ExecutionReport) {
    let e = &report.execution;
    let _ = write!(
        out,
        "<header>\n<h1>Chaos execution report: {}</h1>\n<p class=\"verdict {}\">{} <span class=\"verdict-status\">{}</span></p>\n</header>\n",
        Esc(&report.scenario.name),
        if e.passed { "verdict-pass" } else { "verdict-fail" },
        if e.passed { "✓ PASSED" } else { "✗ FAILED" },
        Esc(&e.status),
    );
}

fn section_start(out: &mut String, id: &str, title: &str) {
    let _ = write!(
        out,
        "<section id=\"{id}\" aria-labelledby=\"{id}-title\">\n<h2 id=\"{id}-title\">{}</h2>\n",
        Esc(title)
    );
}

fn summary(out: &mut String, report: &ExecutionReport) {
    let e = &report.execution;
    let s = &report.scenario;
    let v = &report.validation_results;
    section_start(out, "summary", "Executive summary");
    if let Some(verdict) = &e.verdict {
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", Esc(&verdict.summary));
    }
    out.push_str("<dl class=\"facts\">\n");
    let mut fact = |name: &str, value: String| {
        let _ = writeln!(
            out,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            Esc(name),
            Esc(&value)
        );
    };
    fact("Status", e.status.clone());
    fact(
        "Assertions passed",
        format!(
            "{} of {} ({} failed, {} not decided)",
            v.passed, v.total, v.failed, v.not_decided
        ),
    );
    fact(
        "Duration",
        format!(
            "{} wall clock · {} scenario time",
            opt_ms(e.duration_ms),
            human_ms(e.scenario_elapsed_ms)
        ),
    );
    fact(
        "Speed",
        format!("{}×{}", e.speed, if e.dry_run { " (dry run)" } else { "" }),
    );
    fact("Scenario", {
        let mut text = s.name.clone();
        if let Some(version) = &s.version {
            text.push_str(&format!(" v{version}"));
        }
        if let Some(category) = &s.category {
            text.push_str(&format!(" · {category}"));
        }
        text
    });
    fact(
        "Started",
        e.started_at.clone().unwrap_or_else(|| "—".into()),
    );
    fact(
        "Finished",
        e.finished_at.clone().unwrap_or_else(|| "—".into()),
    );
    fact("Started by", e.started_by.clone());
    fact("Execution", e.id.clone());
    fact(
        "Services affected",
        if report.system_impact.services_affected.is_empty() {
            "none".to_owned()
        } else {
            report
                .system_impact
                .services_affected
                .iter()
                .map(|s| s.service.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    out.push_str("</dl>\n");
    if let Some(verdict) = &e.verdict {
        if !verdict.criteria.is_empty() {
            out.push_str("<table>\n<caption>Success criteria</caption>\n<thead><tr><th scope=\"col\">Criterion</th><th scope=\"col\">Result</th><th scope=\"col\">Detail</th></tr></thead>\n<tbody>\n");
            for c in &verdict.criteria {
                let _ = write!(out, "<tr><td>{}</td><td>", Esc(&c.name));
                badge(out, c.passed);
                let _ = writeln!(out, "</td><td>{}</td></tr>", Esc(&c.detail));
            }
            out.push_str("</tbody>\n</table>\n");
        }
    }
    out.push_str("</section>\n");
}

fn recommendations(out: &mut String, report: &ExecutionReport) {
    section_start(out, "recommendations", "Recommendations");
    if report.recommendations.is_empty() {
        out.push_str("<p>No recommendations: nothing in the results calls for attention.</p>\n");
    } else {
        out.push_str("<ul class=\"recommendations\">\n");
        for r in &report.recommendations {
            let (class, word) = match r.severity {
                Severity::Critical => ("sev-critical", "CRITICAL"),
                Severity::Warning => ("sev-warning", "WARNING"),
                Severity::Info => ("sev-info", "INFO"),
            };
            let _ = writeln!(
                out,
                "<li class=\"{class}\"><strong>{word}</strong> {} <span class=\"rule\">({})</span></li>",
                Esc(&r.message),
                Esc(&r.rule)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

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

fn chart(out: &mut String, report: &ExecutionReport) {
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

fn assertions(out: &mut String, report: &ExecutionReport) {
    let v = &report.validation_results;
    let mut scratch: Vec<u8> = Vec::with_capacity(4096);
    section_start(out, "validation", "Validation results");
    let _ = writeln!(
        out,
        "<p>{} assertions: {} passed, {} failed, {} not decided{}.</p>",
        v.total,
        v.passed,
        v.failed,
        v.not_decided,
        v.pass_rate_percent
            .map(|p| format!(" — pass rate {p}%"))
            .unwrap_or_default()
    );
    out.push_str("<table class=\"assertions\">\n<thead><tr><th scope=\"col\">Phase</th><th scope=\"col\">Assertion</th><th scope=\"col\">Result</th><th scope=\"col\">Attempts</th><th scope=\"col\">Time to hold / window</th><th scope=\"col\">Message and evidence</th></tr></thead>\n<tbody>\n");
    for a in &v.assertions {
        let _ = write!(
            out,
            "<tr class=\"{}\"><td>{}</td><td><code>{}</code> = <code>{}</code>{}<br><span class=\"path\">{}</span></td><td>",
            if a.outcome == AssertionOutcome::Failed { "row-fail" } else { "row" },
            Esc(&a.phase),
            Esc(&a.assertion_type),
            Esc(&a.expect),
            a.service
                .as_ref()
                .map(|s| format!(" on {}", Esc(s)))
                .unwrap_or_default(),
            Esc(&a.path)
        );
        outcome_badge(out, a.outcome);
        let _ = write!(
            out,
            "</td><td class=\"num\">{}</td><td class=\"num\">{} / {}{}</td><td>{}",
            a.attempts,
            opt_ms(a.time_to_hold_ms),
            human_ms(a.window_ms),
            a.window_used_percent
                .map(|p| format!(" ({p}%)"))
                .unwrap_or_default(),
            Esc(&a.message)
        );
        if !a.evidence.is_null() {
            // Pretty JSON has no whitespace at line ends and no raw line break inside
            // a string, so plain escaping keeps the document clean; the buffer is reused.
            scratch.clear();
            if serde_json::to_writer_pretty(&mut scratch, &a.evidence).is_ok() {
                out.push_str("<details><summary>evidence</summary><pre>");
                push_escaped(out, std::str::from_utf8(&scratch).unwrap_or_default());
                out.push_str("</pre></details>");
            }
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if !v.unexpected_behaviors.is_empty() {
        out.push_str("<h3>Unexpected behaviours</h3>\n<ul class=\"unexpected\">\n");
        for u in &v.unexpected_behaviors {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong> {} {} in {}: {}</li>",
                Esc(&u.kind.replace('_', " ")),
                offset(u.offset_ms),
                Esc(&u.subject),
                Esc(u.phase.as_deref().unwrap_or("-")),
                Esc(&u.message)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn impact(out: &mut String, report: &ExecutionReport) {
    let impact = &report.system_impact;
    section_start(out, "impact", "System impact");
    out.push_str("<h3>Services affected and recovery times</h3>\n");
    if impact.services_affected.is_empty() {
        out.push_str("<p>No chaos was injected successfully.</p>\n");
    } else {
        out.push_str("<table>\n<thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Chaos</th><th scope=\"col\">Injected</th><th scope=\"col\">Cleared</th><th scope=\"col\">Recovery time</th><th scope=\"col\">Seen by</th></tr></thead>\n<tbody>\n");
        for s in &impact.services_affected {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">+{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}{}</td><td>{}</td></tr>",
                Esc(&s.service),
                Esc(&s.chaos_actions.join(", ")),
                human_ms(s.injected_ms),
                offset(s.cleared_ms),
                s.cleared_by
                    .as_ref()
                    .map(|b| format!(" by {}", Esc(b)))
                    .unwrap_or_default(),
                s.recovery_ms.map_or("not measured".to_owned(), human_ms),
                s.recovery_window_ms
                    .map(|w| format!(" (window {})", human_ms(w)))
                    .unwrap_or_default(),
                Esc(s.recovered_by.as_deref().unwrap_or("—"))
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("<h3>Alerts generated</h3>\n");
    if impact.alerts_generated.is_empty() {
        out.push_str(if impact.alerts_observed {
            "<p>No alert was raised.</p>\n"
        } else {
            "<p>No alert data was available.</p>\n"
        });
    } else {
        out.push_str("<table>\n<thead><tr><th scope=\"col\">Alert</th><th scope=\"col\">Subject</th><th scope=\"col\">Severity</th><th scope=\"col\">Raised</th><th scope=\"col\">Resolved</th><th scope=\"col\">Active for</th><th scope=\"col\">Source</th></tr></thead>\n<tbody>\n");
        for a in &impact.alerts_generated {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}<br><span class=\"path\">{}</span></td><td>{}<br><span class=\"path\">{}</span></td><td class=\"num\">{}</td><td>{}</td></tr>",
                Esc(&a.alert_type),
                Esc(a.subject.as_deref().unwrap_or("—")),
                Esc(a.severity.as_deref().unwrap_or("—")),
                a.raised_offset_ms.map_or("—".to_owned(), human_signed_ms),
                Esc(a.raised_at.as_deref().unwrap_or("")),
                a.resolved_offset_ms
                    .map_or("not resolved".to_owned(), human_signed_ms),
                Esc(a.resolved_at.as_deref().unwrap_or("")),
                opt_ms(a.active_ms),
                Esc(&a.source.replace('_', " "))
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("<h3>Performance impact</h3>\n");
    if impact.performance_impact.is_empty() {
        out.push_str("<p>No assertion measured performance.</p>\n");
    } else {
        out.push_str("<table>\n<thead><tr><th scope=\"col\">Subject</th><th scope=\"col\">Metric</th><th scope=\"col\">Baseline</th><th scope=\"col\">Worst</th><th scope=\"col\">Change</th><th scope=\"col\">Last</th><th scope=\"col\">Samples</th></tr></thead>\n<tbody>\n");
        for p in &impact.performance_impact {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} <span class=\"path\">{} {}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                Esc(&p.subject),
                Esc(&p.metric),
                p.baseline.map_or("—".to_owned(), |b| b.to_string()),
                p.worst,
                Esc(p.worst_phase.as_deref().unwrap_or("")),
                offset(p.worst_offset_ms),
                match (p.change, p.change_percent) {
                    (Some(c), Some(pct)) => format!("{c:+} ({pct:+}%)"),
                    (Some(c), None) => format!("{c:+}"),
                    _ => "—".to_owned(),
                },
                p.last,
                p.samples
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

/// One row of workload figures.
fn figures_row(out: &mut String, name: &str, f: &crate::engine::figures::Figures) {
    let _ = writeln!(
        out,
        "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.2} %</td><td class=\"num\">{:.1}/s</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td><td class=\"num\">{:.1}</td></tr>",
        Esc(name),
        f.requests,
        f.failures,
        f.failure_rate * 100.0,
        f.throughput,
        f.p50_ms,
        f.p95_ms,
        f.p99_ms,
        f.max_ms
    );
}

const FIGURES_HEAD: &str = "<thead><tr><th scope=\"col\"></th><th scope=\"col\">Requests</th><th scope=\"col\">Failed</th><th scope=\"col\">Failure rate</th><th scope=\"col\">Throughput</th><th scope=\"col\">p50 ms</th><th scope=\"col\">p95 ms</th><th scope=\"col\">p99 ms</th><th scope=\"col\">max ms</th></tr></thead>\n";

/// The workload section: the chart, before / during / after, per phase, recovery.
fn workload(out: &mut String, report: &ExecutionReport) {
    let Some(section) = &report.workload else {
        return;
    };
    let Some(run) = section.runs.last() else {
        return;
    };
    let summary = &run.summary;
    section_start(out, "workload", "Workload and recovery");
    out.push_str("<p>Traffic driven throughout the run on an open model (latency counted from when each request was due):</p>\n<ul>\n");
    for stream in &summary.streams {
        let _ = writeln!(
            out,
            "<li><strong>{}</strong>: {} on {} at {}</li>",
            Esc(&stream.name),
            Esc(&stream.request),
            Esc(&stream.service),
            Esc(&stream.rate)
        );
    }
    out.push_str("</ul>\n");
    match (&summary.recovery, &summary.steady_state) {
        (Some(recovery), Some(steady)) => {
            let verdict = match recovery.recovery_time_ms {
                Some(ms) => format!(
                    "recovered <strong>{}</strong> after the chaos was cleared",
                    human_ms(ms)
                ),
                None => "<strong>no recovery detected</strong> before the run ended".to_owned(),
            };
            let _ = writeln!(
                out,
                "<p class=\"recovery\">Steady state: {}. The system {verdict}.</p>",
                Esc(&steady.describe())
            );
            if recovery.services.len() > 1 {
                out.push_str("<ul>\n");
                for service in &recovery.services {
                    let _ = writeln!(
                        out,
                        "<li>{}: {}</li>",
                        Esc(&service.service),
                        service
                            .recovery_time_ms
                            .map_or("no recovery detected".to_owned(), human_ms)
                    );
                }
                out.push_str("</ul>\n");
            }
        }
        (None, Some(steady)) => {
            let _ = writeln!(
                out,
                "<p>Steady state: {} (no chaos was cleared, so no recovery time).</p>",
                Esc(&steady.describe())
            );
        }
        _ => {}
    }
    // The last iteration's slots (each iteration's timeline starts again at 0).
    let restart = section
        .series
        .windows(2)
        .rposition(|w| w[1].start_ms < w[0].start_ms)
        .map_or(0, |i| i + 1);
    let chart = app::chart::WorkloadChart {
        points: section.series[restart..]
            .iter()
            .map(|slot| app::chart::ChartPoint {
                start_ms: slot.start_ms,
                end_ms: slot.end_ms,
                requests: slot.figures.requests,
                p50_ms: slot.figures.p50_ms,
                p95_ms: slot.figures.p95_ms,
                p99_ms: slot.figures.p99_ms,
                failure_rate: slot.figures.failure_rate,
            })
            .collect(),
        phases: report
            .metrics
            .phases
            .iter()
            .filter(|p| p.iteration == run.iteration)
            .map(|p| (p.name.clone(), p.planned_start_ms, p.planned_end_ms))
            .collect(),
        chaos: summary.chaos.map(|c| (c.injected_ms, c.cleared_ms)),
        recovered_ms: summary.recovery.as_ref().and_then(|r| r.recovered_ms),
        p95_bound_ms: summary.steady_state.as_ref().and_then(|s| s.p95_latency_ms),
        total_ms: report
            .scenario
            .planned_duration_ms
            .max(report.execution.scenario_elapsed_ms),
    };
    let _ = writeln!(out, "<figure>\n{}\n<figcaption>Latency percentiles and failure rate per {} slot; the chaos window is hatched, the recovery marked.</figcaption>\n</figure>", app::chart::workload_svg(&chart), human_ms(summary.slot_ms));
    out.push_str("<h3>Before, during and after chaos</h3>\n<table>\n");
    out.push_str(FIGURES_HEAD);
    out.push_str("<tbody>\n");
    figures_row(out, "before chaos", &summary.before);
    figures_row(out, "during chaos", &summary.during);
    figures_row(out, "after chaos", &summary.after);
    figures_row(out, "whole run", &summary.total);
    out.push_str("</tbody>\n</table>\n<h3>Per phase</h3>\n<table>\n");
    out.push_str(FIGURES_HEAD);
    out.push_str("<tbody>\n");
    for phase in &summary.phases {
        figures_row(out, &phase.name, &phase.figures);
        for (stream, figures) in &phase.streams {
            figures_row(out, &format!("{} · {stream}", phase.name), figures);
        }
    }
    out.push_str("</tbody>\n</table>\n");
    if summary.truncated {
        out.push_str("<p>More requests were sent than samples are kept for: the summary covers the first 8 million.</p>\n");
    }
    out.push_str("</section>\n");
}

fn stats_row(out: &mut String, name: &str, unit: &str, d: &Distribution) {
    let f = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v}{unit}"));
    let _ = writeln!(
        out,
        "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        Esc(name),
        d.count,
        f(d.min),
        f(d.p50),
        f(d.p99),
        f(d.max),
        f(d.mean)
    );
}

fn metrics(out: &mut String, report: &ExecutionReport) {
    let m = &report.metrics;
    section_start(out, "metrics", "Metrics");
    out.push_str("<h3>Phases</h3>\n<table>\n<thead><tr><th scope=\"col\">Phase</th><th scope=\"col\">Planned</th><th scope=\"col\">Actual</th><th scope=\"col\">Duration (planned / actual)</th><th scope=\"col\">Outcome</th></tr></thead>\n<tbody>\n");
    for p in &m.phases {
        let _ = writeln!(
            out,
            "<tr><td>{}{}</td><td class=\"num\">+{} – +{}</td><td class=\"num\">{} – {}</td><td class=\"num\">{} / {}</td><td>{}{}</td></tr>",
            Esc(&p.name),
            if report.execution.iterations > 1 {
                format!(" #{}", p.iteration)
            } else {
                String::new()
            },
            human_ms(p.planned_start_ms),
            human_ms(p.planned_end_ms),
            offset(p.started_ms),
            offset(p.finished_ms),
            human_ms(p.planned_duration_ms),
            opt_ms(p.duration_ms),
            Esc(&p.outcome),
            p.reason
                .as_ref()
                .map(|r| format!(": {}", Esc(r)))
                .unwrap_or_default()
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str("<h3>Timing and latency</h3>\n<table>\n<thead><tr><th scope=\"col\">Figure</th><th scope=\"col\">Samples</th><th scope=\"col\">Min</th><th scope=\"col\">p50</th><th scope=\"col\">p99</th><th scope=\"col\">Max</th><th scope=\"col\">Mean</th></tr></thead>\n<tbody>\n");
    stats_row(
        out,
        "Timing skew (scenario ms, actual − planned)",
        " ms",
        &m.timing_skew_ms,
    );
    stats_row(out, "Action latency (real ms)", " ms", &m.action_latency_ms);
    out.push_str("</tbody>\n</table>\n");
    let _ = writeln!(
        out,
        "<p>{} events recorded; {} assertion checks made.</p>",
        m.event_count, m.assertion_checks
    );
    out.push_str("<h3>Actions</h3>\n<table>\n<thead><tr><th scope=\"col\">Phase</th><th scope=\"col\">Action</th><th scope=\"col\">Planned</th><th scope=\"col\">Started</th><th scope=\"col\">Skew</th><th scope=\"col\">Result</th><th scope=\"col\">Latency</th><th scope=\"col\">Message</th></tr></thead>\n<tbody>\n");
    for a in &m.actions {
        let _ = write!(
            out,
            "<tr><td>{}</td><td><code>{}.{}</code>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>",
            Esc(&a.phase),
            Esc(&a.service),
            Esc(&a.action),
            if a.parallel { " (parallel)" } else { "" },
            offset(a.planned_ms),
            offset(a.started_ms),
            a.skew_ms.map_or("—".to_owned(), human_signed_ms),
        );
        match a.ok {
            Some(ok) => badge(out, ok),
            None => out.push_str("<span class=\"badge badge-open\">NO ANSWER –</span>"),
        }
        let _ = writeln!(
            out,
            "</td><td class=\"num\">{}</td><td>{}</td></tr>",
            a.latency_ms
                .map_or("—".to_owned(), |l| format!("{l:.1} ms")),
            Esc(&a.message)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn audit(out: &mut String, report: &ExecutionReport) {
    let Some(audit) = &report.audit else { return };
    section_start(out, "audit", "Audit trail");
    if !audit.available {
        out.push_str("<p>Audit correlation was asked for, but no audit events were available.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p>{} audit events carry correlation id <code>{}</code>; they confirm {} of {} chaos injections{}.</p>",
        audit.events.len(),
        Esc(&audit.correlation_id),
        audit.chaos_confirmed,
        audit.chaos_injected,
        if audit.unconfirmed.is_empty() {
            String::new()
        } else {
            format!(" (unconfirmed: {})", Esc(&audit.unconfirmed.join(", ")))
        }
    );
    if !audit.events.is_empty() {
        out.push_str("<table>\n<thead><tr><th scope=\"col\">On the timeline</th><th scope=\"col\">At</th><th scope=\"col\">Service</th><th scope=\"col\">Kind</th><th scope=\"col\">Confirms</th></tr></thead>\n<tbody>\n");
        for event in &audit.events {
            let confirms = event
                .confirms_action
                .and_then(|i| report.metrics.actions.get(i))
                .map(|a| format!("{}.{}", a.service, a.action))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                event.offset_ms.map_or("—".to_owned(), human_signed_ms),
                Esc(&event.at),
                Esc(&event.service),
                Esc(&event.kind),
                Esc(&confirms)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

fn events(out: &mut String, report: &ExecutionReport) {
    section_start(out, "events", "Events");
    let _ = write!(
        out,
        "<details>\n<summary>All {} events, planned against actual</summary>\n<table class=\"events\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Actual</th><th scope=\"col\">Planned</th><th scope=\"col\">Skew</th><th scope=\"col\">Phase</th><th scope=\"col\">Event</th></tr></thead>\n<tbody>\n",
        report.timeline.len()
    );
    for t in &report.timeline {
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            t.seq,
            offset(t.offset_ms),
            offset(t.planned_ms),
            t.skew_ms.map_or(String::new(), human_signed_ms),
            Esc(t.phase.as_deref().unwrap_or("")),
            Esc(&t.summary)
        );
    }
    out.push_str("</tbody>\n</table>\n</details>\n</section>\n");
}

fn definition(out: &mut String, report: &ExecutionReport) {
    section_start(out, "definition", "Scenario definition");
    let s = &report.scenario;
    if let Some(description) = &s.description {
        let _ = writeln!(out, "<p>{}</p>", Esc(description));
    }
    let _ = write!(
        out,
        "<details>\n<summary>The definition that ran</summary>\n<pre>{}</pre>\n</details>\n",
        EscPre(&s.definition)
    );
    if let Some(parameters) = &s.parameters {
        let _ = write!(
            out,
            "<details>\n<summary>Template parameters</summary>\n<pre>{}</pre>\n</details>\n",
            EscPre(&serde_json::to_string_pretty(parameters).unwrap_or_default())
        );
    }
    out.push_str("</section>\n");
}

/// The page's style sheet: system fonts, print-friendly, greyscale-safe.
const CSS: &str = r#"*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;margin:0 auto;padding:0 24px 32px;max-width:1180px}
header{border-bottom:3px solid #1a1a1a;margin-bottom:16px}
h1{font-size:1.6em;margin:20px 0 4px}
h2{font-size:1.25em;margin:28px 0 8px;border-bottom:1px solid #bbb;padding-bottom:2px}
h3{font-size:1.05em;margin:18px 0 6px}
.verdict{font-size:1.3em;font-weight:700;margin:4px 0 12px;display:inline-block;padding:2px 12px}
.verdict-pass{background:#1b5e20;color:#fff}
.verdict-fail{background:#fff;color:#b71c1c;border:3px solid #b71c1c}
.verdict-status{font-weight:400;font-size:.8em}
.lead{font-size:1.1em}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:4px 24px;margin:8px 0 16px}
.facts div{display:flex;gap:8px}
.facts dt{font-weight:600;min-width:9em}
.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:.92em}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #bbb;padding:4px 6px;text-align:left;vertical-align:top}
thead th{background:#eee}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.row-fail td{background:#f3f3f3}
.badge{display:inline-block;padding:0 6px;font-weight:700;font-size:.85em;white-space:nowrap;border:2px solid currentColor}
.badge-pass{background:#1b5e20;color:#fff;border-color:#1b5e20}
.badge-fail{background:#fff;color:#b71c1c}
.badge-open{background:#fff;color:#555;border-style:dashed}
.path,.rule{color:#555;font-size:.85em}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
pre{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;background:#f6f6f6;border:1px solid #ddd;padding:8px;overflow:auto;max-height:420px;white-space:pre-wrap;overflow-wrap:anywhere}
details summary{cursor:pointer;color:#0b4f8a}
.recommendations li{margin:4px 0}
.sev-critical strong{background:#1a1a1a;color:#fff;padding:0 4px}
.sev-warning strong{border:2px solid #1a1a1a;padding:0 4px}
.sev-info strong{border:1px dashed #1a1a1a;padding:0 4px}
figure{margin:8px 0;overflow-x:auto}
figcaption{font-size:.85em;color:#444;margin-top:4px}
.chart{display:block;max-width:100%;height:auto;font-family:system-ui,sans-serif}
.workload-chart{display:block;width:100%;max-width:1100px;height:auto;font-family:system-ui,sans-serif}
.band-a{fill:#f0f0f0}
.band-b{fill:#fafafa}
.phase-label{font-size:12px;font-weight:600;fill:#333}
.tick{stroke:#ccc;stroke-width:1}
.tick-label{font-size:10px;fill:#555;text-anchor:middle}
.row-label{font-size:12px;fill:#222}
.chaos{fill:#555}
.recovery{fill:url(#hatch);stroke:#555;stroke-width:1}
.window{fill:#d9d9d9;stroke:#333;stroke-width:1}
.window-fail{fill:url(#hatch);stroke:#000;stroke-width:2}
.window-open{fill:#fff;stroke-dasharray:4 3}
.mark-ok{fill:#111;stroke:#111}
.mark-fail{fill:#fff;stroke:#000;stroke-width:2.5}
.cross{stroke:#000;stroke-width:3}
.mark-label{font-size:11px;fill:#111}
.mark-label-fail{font-weight:700}
.mark-label-end{text-anchor:end}
.alert{fill:#888;stroke:#111}
.audit-tick{stroke:#111;stroke-width:1.5}
footer{margin-top:32px;border-top:1px solid #bbb;color:#555;font-size:.85em}
@media print{body{max-width:none}pre{max-height:none}}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{build, testdata};

    fn page() -> String {
        render(&build(&testdata::input(), testdata::generated_at(), "t"))
    }

    #[test]
    fn hostile_evidence_is_escaped_everywhere() {
        let html = page();
        assert!(!html.contains("<script"), "no script element at all");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/pre&gt;"));
        // The only </pre> are ours: one per <pre>.
        assert_eq!(
            html.matches("<pre>").count(),
            html.matches("</pre>").count()
        );
        assert!(html.contains("# &lt;b&gt;not markup&lt;/b&gt; &amp; &quot;quoted&quot;"));
    }

    #[test]
    fn preformatted_text_keeps_lines_but_no_trailing_whitespace() {
        assert_eq!(
            EscPre("a: 1  \r\n\t<b>\t\nend ").to_string(),
            "a: 1&#32;&#32;\n\t&lt;b&gt;&#9;\nend&#32;"
        );
        assert_eq!(Esc("two\r\nlines").to_string(), "two  lines");
    }

    #[test]
    fn escaping_covers_the_five_characters() {
        assert_eq!(
            Esc("<a href=\"x\">'&'</a>").to_string(),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(Esc("plain é ✓").to_string(), "plain é ✓");
    }

    #[test]
    fn the_page_is_self_contained() {
        let html = page();
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        for external in ["src=", "href=", "@import", "url(http", "<link", "<script"] {
            assert!(!html.contains(external), "{external} found");
        }
        // The only URL is the SVG namespace, which is a name, not a fetch.
        assert_eq!(html.matches("http://").count(), 1);
        assert!(html.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    }

    #[test]
    fn the_summary_chart_and_tables_show_the_results() {
        let html = page();
        assert!(html.contains("<title>FAILED: basic-market-disruption — chaos report</title>"));
        assert!(html.contains("✗ FAILED"));
        assert!(html.contains("5 of 6 (1 failed, 0 not decided)"));
        assert!(html.contains("3s wall clock · 30m1s scenario time"));
        // Phase bands, action markers, assertion windows with marks.
        assert_eq!(html.matches("<g class=\"phase\">").count(), 3);
        assert_eq!(html.matches("class=\"window\"").count(), 5);
        assert_eq!(html.matches("class=\"window window-fail\"").count(), 1);
        assert_eq!(html.matches("<circle").count(), 5);
        assert_eq!(html.matches("class=\"cross\"").count(), 1);
        assert_eq!(html.matches("<polygon").count(), 5);
        assert!(html.contains("recovered in 45s"));
        // Assertion table: six rows, evidence in details/pre.
        assert_eq!(html.matches("<summary>evidence</summary><pre>").count(), 6);
        assert_eq!(
            html.matches("PASS ✓").count() + html.matches("FAIL ✗").count(),
            5 + 1 + 2 + 5
        );
        // System impact and recommendations.
        assert!(html.contains("<td class=\"num\">45s (window 3m)</td>"));
        assert!(html.contains(
            "risk_alert (chaos_injection) took 1m50s of its 2m window — close to the limit"
        ));
        assert!(html.contains("they confirm 1 of 1 chaos injections"));
        assert!(html.contains("All 33 events"));
    }

    #[test]
    fn tick_steps_give_a_readable_axis() {
        use app::chart::tick_step;
        assert_eq!(tick_step(1_800_000, 10), 300_000);
        assert_eq!(tick_step(30_000, 10), 5_000);
        assert_eq!(tick_step(133_200_000, 10), 21_600_000);
    }
}
