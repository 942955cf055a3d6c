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

mod chart;
mod sections;
#[cfg(test)]
mod tests;

use std::fmt::{self, Write as _};

use app::chart::truncate;
use chart::chart;
use sections::{assertions, audit, definition, events, impact, metrics, workload};

use super::{
    describe::{human_ms, human_signed_ms},
    schema::{AssertionOutcome, AssertionReport, Distribution, ExecutionReport, Severity},
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
    let verdict_text = match &e.stopped_by {
        Some(by) => format!("STOPPED by {by}"),
        None if e.passed => "PASSED".to_owned(),
        None => "FAILED".to_owned(),
    };
    let verdict = Esc(&verdict_text);
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

/// How a channel reads in "started by alice (through the web UI)".
fn channel_name(channel: &str) -> &str {
    match channel {
        "ui" => "web UI",
        "api" => "API",
        "cli" => "CLI",
        other => other,
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
        match (&e.stopped_by, e.passed) {
            (Some(_), _) => "verdict-stopped",
            (None, true) => "verdict-pass",
            (None, false) => "verdict-fail",
        },
        match &e.stopped_by {
            Some(by) => format!("■ STOPPED by {}", Esc(by)),
            None if e.passed => "✓ PASSED".to_owned(),
            None => "✗ FAILED".to_owned(),
        },
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
    fact(
        "Started by",
        if e.channel.is_empty() || e.channel == "schedule" || e.channel == e.started_by {
            e.started_by.clone()
        } else {
            format!(
                "{} (through the {})",
                e.started_by,
                channel_name(&e.channel)
            )
        },
    );
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

/// The page's style sheet: system fonts, print-friendly, greyscale-safe; on
/// screen it follows the reader's `prefers-color-scheme` (dark colours keep WCAG
/// AA contrast; the charts' classes and attribute colours are overridden).
const CSS: &str = r##"*{box-sizing:border-box}
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
.verdict-stopped{background:#fff;color:#7a4b00;border:3px solid #7a4b00}
@media screen and (prefers-color-scheme:dark){
:root{color-scheme:dark}
body{color:#e7eaf0;background:#12161f}
header{border-bottom-color:#e7eaf0}
h2,th,td,footer{border-color:#3a4252}
thead th{background:#1f2531}
.row-fail td{background:#2a1d20}
.verdict-pass,.badge-pass{background:#1f6b2a;color:#fff;border-color:#1f6b2a}
.verdict-fail,.badge-fail{background:transparent;color:#ff958c;border-color:#ff958c}
.verdict-stopped{background:transparent;color:#f5c75a;border-color:#f5c75a}
.badge-open{background:transparent;color:#b9c0cc}
.path,.rule,figcaption,footer{color:#a9b2c3}
pre{background:#1a1f2a;border-color:#333b4b;color:#e7eaf0}
details summary{color:#8fb0ff}
a{color:#8fb0ff}
.sev-critical strong{background:#e7eaf0;color:#12161f}
.sev-warning strong,.sev-info strong{border-color:#e7eaf0}
.band-a{fill:#1c222d}
.band-b{fill:#232a36}
.phase-label,.row-label,.mark-label{fill:#e7eaf0}
.tick{stroke:#3a4252}
.tick-label{fill:#a9b2c3}
.chaos{fill:#9aa3b2}
.recovery{stroke:#9aa3b2}
.window{fill:#3a4252;stroke:#c5cbd6}
.window-fail{stroke:#fff}
.window-open{fill:#12161f}
.mark-ok{fill:#e7eaf0;stroke:#e7eaf0}
.mark-fail{fill:#12161f;stroke:#fff}
.cross,.audit-tick{stroke:#fff}
.alert{fill:#9aa3b2;stroke:#e7eaf0}
#hatch rect{fill:#12161f}
#hatch line{stroke:#c5cbd6}
.workload-chart [fill="#f3f4f6"]{fill:#1c2230}
.workload-chart [fill="#e5e7eb"]{fill:#222938}
.workload-chart [fill="#374151"],.workload-chart [fill="#111827"]{fill:#e7eaf0}
.workload-chart [stroke="#9ca3af"],.workload-chart [stroke="#6b7280"]{stroke:#7d879a}
.workload-chart [stroke="#1d4ed8"]{stroke:#8fb0ff}
.workload-chart [stroke="#047857"]{stroke:#6fd99a}
.workload-chart [fill="#047857"]{fill:#6fd99a}
.workload-chart [stroke="#dc2626"]{stroke:#ff958c}
.workload-chart [fill="#dc2626"]{fill:#ff958c}
.workload-chart [stroke="#b45309"]{stroke:#f5c75a}
}
"##;
