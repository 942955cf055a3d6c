//! The JUnit XML format, so CI systems show chaos results natively: one
//! `<testsuite>` per phase (and iteration), one `<testcase>` per assertion. A failed
//! assertion carries a `<failure>` with its message (attribute) and its evidence
//! (text); one that never ran or was never decided is `<skipped>`. Failed actions
//! and rollback actions go to their suite's `<system-err>`.
//!
//! Times are *wall* seconds, as CI dashboards read them: the whole run's measured
//! length, and for a phase or an assertion its scenario time divided by the speed
//! (a 36 s run at ×3600 is 36 s, not 36 h). The scenario time stays, as the
//! `scenario_time` property of each phase's suite and of the run (seconds). Every string is escaped, and characters XML 1.0 cannot carry are
//! replaced by U+FFFD.

use std::fmt::Write as _;

use super::schema::{ActionReport, AssertionOutcome, AssertionReport, ExecutionReport};

/// The report as a JUnit XML document.
pub fn render(report: &ExecutionReport) -> String {
    let assertions = &report.validation_results.assertions;
    let scenario = &report.scenario.name;
    let mut out = String::with_capacity(4096 + assertions.len() * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = report.validation_results.failed;
    let skipped = report.validation_results.not_decided;
    let speed = report.execution.speed;
    let wall_total = report
        .execution
        .duration_ms
        .unwrap_or_else(|| wall_ms(report.execution.scenario_elapsed_ms, speed));
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{}\" timestamp=\"{}\">",
        attr(&format!("chaos: {scenario}")),
        assertions.len(),
        seconds(wall_total),
        attr(report.execution.started_at.as_deref().unwrap_or(&report.execution.created_at)),
    );
    let _ = writeln!(
        out,
        "  <properties>\n    <property name=\"scenario_time\" value=\"{}\"/>\n  </properties>",
        seconds(report.execution.scenario_elapsed_ms)
    );
    for (id, phase) in report.metrics.phases.iter().enumerate() {
        let cases: Vec<&AssertionReport> = assertions
            .iter()
            .filter(|a| a.phase_index == phase.index && a.iteration == phase.iteration)
            .collect();
        let count = |o: AssertionOutcome| cases.iter().filter(|a| a.outcome == o).count();
        let suite = if report.execution.iterations > 1 {
            format!("{scenario}.{}#{}", phase.name, phase.iteration)
        } else {
            format!("{scenario}.{}", phase.name)
        };
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" id=\"{id}\" package=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
            attr(&suite),
            attr(scenario),
            cases.len(),
            count(AssertionOutcome::Failed),
            count(AssertionOutcome::NotDecided) + count(AssertionOutcome::NotRun),
            seconds(wall_ms(phase.duration_ms.unwrap_or(0), speed)),
            attr(report.execution.started_at.as_deref().unwrap_or(&report.execution.created_at)),
        );
        out.push_str("    <properties>\n");
        for (name, value) in [
            ("execution_id", report.execution.id.clone()),
            ("status", report.execution.status.clone()),
            ("phase_outcome", phase.outcome.clone()),
            ("speed", report.execution.speed.to_string()),
            ("scenario_time", seconds(phase.duration_ms.unwrap_or(0))),
            ("instance", report.metadata.instance.clone()),
        ] {
            let _ = writeln!(
                out,
                "      <property name=\"{}\" value=\"{}\"/>",
                attr(name),
                attr(&value)
            );
        }
        out.push_str("    </properties>\n");
        for case in cases {
            testcase(&mut out, &suite, case, speed);
        }
        let failed_actions: Vec<&ActionReport> = report
            .metrics
            .actions
            .iter()
            .filter(|a| {
                a.ok == Some(false)
                    && a.phase_index == Some(phase.index)
                    && a.iteration == phase.iteration
            })
            .collect();
        if let Some(reason) = phase.reason.as_ref().filter(|_| phase.outcome != "passed") {
            let mut err = format!("phase {}: {reason}\n", phase.outcome);
            for a in failed_actions {
                let _ = writeln!(
                    err,
                    "action {}.{} failed: {}",
                    a.service, a.action, a.message
                );
            }
            let _ = writeln!(out, "    <system-err>{}</system-err>", text(&err));
        }
        out.push_str("  </testsuite>\n");
    }
    let rollback: Vec<&ActionReport> = report
        .metrics
        .actions
        .iter()
        .filter(|a| a.rollback)
        .collect();
    if !rollback.is_empty() {
        // Rollback is not an assertion, but a failed one must not go unseen in CI.
        let failed = rollback.iter().filter(|a| a.ok != Some(true)).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" id=\"{}\" package=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"0\">",
            attr(&format!("{scenario}.rollback")),
            report.metrics.phases.len(),
            attr(scenario),
            rollback.len(),
        );
        for a in rollback {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
                attr(&format!("{}.{}", a.service, a.action)),
                attr(&format!("{scenario}.rollback")),
                a.latency_ms
                    .map_or("0".to_owned(), |ms| format!("{:.3}", ms / 1000.0)),
            );
            if a.ok == Some(true) {
                out.push_str("/>\n");
            } else {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"rollback_failed\">{}</failure>\n    </testcase>",
                    attr(&a.message),
                    text(&a.message)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, suite: &str, a: &AssertionReport, speed: f64) {
    let time = a
        .time_to_hold_ms
        .or_else(|| match (a.first_check_ms, a.last_check_ms) {
            (Some(first), Some(last)) => Some(last.saturating_sub(first)),
            _ => None,
        })
        .unwrap_or(0);
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        attr(&format!("{}={} [{}]", a.assertion_type, a.expect, a.path)),
        attr(suite),
        seconds(wall_ms(time, speed))
    );
    let evidence = serde_json::to_string_pretty(&a.evidence).unwrap_or_default();
    let details = format!(
        "{}\n\nattempts: {}, window: {} ms, time to hold: {}\nevidence:\n{evidence}\n",
        a.message,
        a.attempts,
        a.window_ms,
        a.time_to_hold_ms
            .map_or("-".to_owned(), |t| format!("{t} ms"))
    );
    match a.outcome {
        AssertionOutcome::Passed => {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                text(&details)
            );
        }
        AssertionOutcome::Failed => {
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"assertion_failed\">{}</failure>\n    </testcase>",
                attr(&a.message),
                text(&details)
            );
        }
        AssertionOutcome::NotDecided | AssertionOutcome::NotRun => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                attr(&a.message)
            );
        }
    }
}

/// Scenario milliseconds as wall milliseconds at `speed` (as they are at speed 1
/// when the speed is not a positive number).
fn wall_ms(scenario_ms: u64, speed: f64) -> u64 {
    if speed.is_finite() && speed > 0.0 {
        (scenario_ms as f64 / speed).round() as u64
    } else {
        scenario_ms
    }
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Whether XML 1.0 allows the character.
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Escapes text content.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if allowed(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Escapes an attribute value (double-quoted), keeping line breaks and tabs.
fn attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if allowed(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{generate, testdata};

    fn get<'a>(node: &roxmltree::Node<'a, '_>, key: &str) -> &'a str {
        node.attribute(key).unwrap_or("")
    }

    #[test]
    fn one_suite_per_phase_one_case_per_assertion_failures_with_evidence() {
        let report = generate(&testdata::input(), testdata::generated_at(), "t");
        let xml = render(&report);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!((get(&root, "tests"), get(&root, "failures")), ("6", "1"));
        let suites: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        let names: Vec<&str> = suites.iter().map(|s| get(s, "name")).collect();
        assert_eq!(
            names,
            [
                "basic-market-disruption.baseline",
                "basic-market-disruption.chaos_injection",
                "basic-market-disruption.recovery",
                "basic-market-disruption.rollback",
            ]
        );
        let tests: Vec<&str> = suites.iter().map(|s| get(s, "tests")).collect();
        assert_eq!(tests, ["1", "3", "2", "2"]);
        for suite in &suites {
            let cases = suite
                .children()
                .filter(|n| n.has_tag_name("testcase"))
                .count();
            assert_eq!(cases.to_string(), get(suite, "tests"));
        }
        // Wall seconds (scenario time / speed 600); scenario time as a property.
        assert_eq!(get(&suites[1], "time"), "2.000");
        let property = |node: &roxmltree::Node, name: &str| {
            node.children()
                .filter(|n| n.has_tag_name("properties"))
                .flat_map(|p| p.children())
                .find(|p| get(p, "name") == name)
                .map(|p| get(&p, "value").to_owned())
        };
        assert_eq!(
            property(&suites[1], "scenario_time").as_deref(),
            Some("1199.998")
        );
        let wall: f64 = get(&root, "time").parse().expect("seconds");
        assert!(
            wall > 0.0 && wall < 10.0,
            "the run's wall time, not its 30 scenario minutes: {wall}"
        );
        assert!(property(&root, "scenario_time").is_some());
        let failures: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .collect();
        assert_eq!(failures.len(), 2, "one assertion, one rollback action");
        assert_eq!(
            get(&failures[0], "message"),
            "not met within its window: USDT-USD deviation 0.01% < 20% <script>"
        );
        let evidence = failures[0].text().unwrap_or_default();
        assert!(
            evidence.contains("<script>alert(1)</script></pre> & \\\"x\\\""),
            "{evidence}"
        );
        assert!(evidence.contains("attempts: 13"));
        assert!(!xml.contains("<script>"), "escaped in the document itself");
        let skipped = root
            .descendants()
            .filter(|n| n.has_tag_name("skipped"))
            .count();
        assert_eq!(skipped, 0);
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        assert_eq!(
            text("a\u{0}b\u{1b}c <&>"),
            "a\u{FFFD}b\u{FFFD}c &lt;&amp;&gt;"
        );
        assert_eq!(attr("\"q\" 'a'\nb"), "&quot;q&quot; &apos;a&apos;&#10;b");
    }
}
