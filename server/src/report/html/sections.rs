//! The page's tables: assertions with evidence, system impact, the workload,
//! metrics, the audit trail, every event and the definition.

use std::fmt::Write as _;

use super::*;

pub(super) fn assertions(out: &mut String, report: &ExecutionReport) {
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

pub(super) fn impact(out: &mut String, report: &ExecutionReport) {
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
    if !impact.chaos_effects.is_empty() {
        out.push_str("<h3>Chaos effects (fault-injection proxies)</h3>\n<table>\n<thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Effect</th><th scope=\"col\">Touched</th><th scope=\"col\">Seconds</th><th scope=\"col\">Last</th></tr></thead>\n<tbody>\n");
        for e in &impact.chaos_effects {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                Esc(&e.service),
                Esc(&e.effect),
                e.touched,
                e.seconds,
                Esc(&e.last)
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
pub(super) fn workload(out: &mut String, report: &ExecutionReport) {
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
            .map(app::chart::ChartPoint::from)
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
    let timing = summary.send_timing;
    if timing != app::api::figures::SendTiming::default() {
        let _ = writeln!(
            out,
            "<p>The coordinator sent requests within {} (median), {} (p99) and at worst {} of when they were due; any lateness is inside every latency above.{}</p>",
            human_timing(timing.p50_ms),
            human_timing(timing.p99_ms),
            human_timing(timing.max_ms),
            if timing.p99_ms > 1.0 {
                " Above a millisecond, that much of each latency is the coordinator's own timing, not the target's."
            } else {
                ""
            }
        );
    }
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

pub(super) fn metrics(out: &mut String, report: &ExecutionReport) {
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

pub(super) fn audit(out: &mut String, report: &ExecutionReport) {
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

pub(super) fn events(out: &mut String, report: &ExecutionReport) {
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

pub(super) fn definition(out: &mut String, report: &ExecutionReport) {
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

/// A send timing error: sub-millisecond values matter, so two decimals below 10 ms.
fn human_timing(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        human_ms(ms as u64)
    }
}
