//! Tests of [`super`].

use super::*;
use crate::scenario::catalog::{ActionSpec, ParamType, ServiceKind, ServiceSpec};

fn catalog() -> Catalog {
    let mut catalog = Catalog::new();
    catalog.add_service(
        "exchange",
        ServiceSpec {
            kind: ServiceKind::ChaosApi,
            actions: vec![ActionSpec::new(
                "inject_latency",
                vec![
                    ParamSpec::new("delay_ms", ParamType::Int)
                        .required()
                        .range(Some(0.0), Some(600_000.0)),
                    ParamSpec::new("operations", ParamType::List).items(ParamType::String),
                ],
            )],
        },
    );
    catalog
}

const BASE: &str = "apiVersion: chaos.trading/v1
kind: Scenario
metadata:
  name: s
spec:
  duration: 10m
  timeout: 15m
  phases:
    - name: chaos
      duration: 10m
      actions:
        - service: exchange
          action: inject_latency
          parameters:
            delay_ms: 500
      assertions:
        - type: risk_alert
          expect: alert_generated
          within: 2m
";

fn check(text: &str, strict: bool) -> Validation {
    validate_text(
        text,
        &catalog(),
        &ValidateOptions {
            strict,
            ..ValidateOptions::default()
        },
    )
}

fn summary(validation: &Validation) -> Vec<(DiagnosticKind, String, Option<u32>)> {
    validation
        .diagnostics
        .iter()
        .map(|d| (d.kind, d.path.clone(), d.line))
        .collect()
}

#[test]
fn an_http_assertion_path_is_checked_like_an_http_action_path() {
    for (path, says) in [
        ("health", "does not start with `/`"),
        ("@evil.example/x", "does not start with `/`"),
        ("//evil.example/x", "starts with `//`"),
        ("/a b", "spaces or control characters"),
    ] {
        let text = BASE.replace(
                "        - type: risk_alert\n          expect: alert_generated\n",
                &format!(
                    "        - type: http\n          expect: ok\n          service: exchange\n          parameters: {{path: \"{path}\"}}\n"
                ),
            );
        let validation = check(&text, false);
        let found = validation
            .diagnostics
            .iter()
            .find(|d| d.path == "phases[0].assertions[0].parameters.path")
            .unwrap_or_else(|| panic!("{path}: {:?}", validation.diagnostics));
        assert_eq!(found.kind, DiagnosticKind::InvalidParameter);
        assert!(found.message.contains(says), "{path}: {}", found.message);
        assert_eq!(found.line, Some(20), "{path}: placed at its line");
    }
}

#[test]
fn a_valid_scenario_has_a_plan_and_no_diagnostics() {
    let validation = check(BASE, false);
    assert!(
        validation.diagnostics.is_empty(),
        "{:?}",
        validation.diagnostics
    );
    assert_eq!(validation.plan.map(|plan| plan.phases.len()), Some(1));
}

#[test]
fn catalog_problems_are_all_reported_with_positions() {
    let text = BASE
            .replace("delay_ms: 500", "delay_ms: \"500\"\n            operation: [x]")
            .replace("type: risk_alert", "type: risk_alrt")
            + "    - name: chaos\n      duration: 1m\n      actions:\n        - {service: exchang, action: x}\n        - {service: exchange, action: inject_latncy}\n      assertions:\n        - {type: risk_alert, expect: alerted}\n";
    let validation = check(&text, false);
    assert!(validation.plan.is_none());
    assert_eq!(
        summary(&validation),
        vec![
            (DiagnosticKind::Timing, "duration".into(), Some(6)),
            (
                DiagnosticKind::InvalidParameter,
                "phases[0].actions[0].parameters.delay_ms".into(),
                Some(15)
            ),
            (
                DiagnosticKind::InvalidParameter,
                "phases[0].actions[0].parameters.operation".into(),
                Some(16)
            ),
            (
                DiagnosticKind::UnknownAssertion,
                "phases[0].assertions[0].type".into(),
                Some(18)
            ),
            (DiagnosticKind::Structure, "phases[1].name".into(), Some(21)),
            (
                DiagnosticKind::UnknownService,
                "phases[1].actions[0].service".into(),
                Some(24)
            ),
            (
                DiagnosticKind::UnsupportedAction,
                "phases[1].actions[1].action".into(),
                Some(25)
            ),
            (
                DiagnosticKind::UnsupportedExpectation,
                "phases[1].assertions[0].expect".into(),
                Some(27)
            ),
        ]
    );
    let operation = &validation
        .diagnostics
        .iter()
        .find(|d| d.path.ends_with("operation"))
        .expect("found");
    assert_eq!(
        operation.severity,
        crate::scenario::diagnostic::Severity::Warning
    );
    assert_eq!(
        operation.hint.as_deref(),
        Some("did you mean `operations`?")
    );
    let expect = validation
        .diagnostics
        .iter()
        .find(|d| d.kind == DiagnosticKind::UnsupportedExpectation)
        .expect("found");
    assert!(expect
        .hint
        .as_deref()
        .is_some_and(|hint| hint.contains("`alert_generated`")));
}

#[test]
fn strict_mode_makes_undeclared_parameters_errors() {
    let text = BASE.replace("delay_ms: 500", "delay_ms: 500\n            colour: red");
    let relaxed = check(&text, false);
    assert!(
        !relaxed.has_errors() && relaxed.plan.is_some(),
        "a warning still plans"
    );
    let strict = check(&text, true);
    assert!(strict.has_errors() && strict.plan.is_none());
}

#[test]
fn timing_checks_delays_windows_and_the_timeout() {
    let text = BASE
            .replace("timeout: 15m", "timeout: 5m")
            .replace("within: 2m", "within: 12m")
            + "      parallel_actions:\n        - {delay: 10m, service: exchange, action: clear_chaos}\n";
    let validation = check(&text, false);
    let kinds: Vec<_> = validation
        .diagnostics
        .iter()
        .map(|d| (d.severity, d.path.as_str()))
        .collect();
    use crate::scenario::diagnostic::Severity::{Error, Warning};
    assert_eq!(
        kinds,
        [
            (Error, "timeout"),
            (Warning, "phases[0].assertions[0].within"),
            (Error, "phases[0].parallel_actions[0].delay"),
        ]
    );
    assert!(validation.diagnostics[1]
        .message
        .contains("checked until the phase ends"));
}

#[test]
fn unrendered_expressions_are_checked_later_and_leave_no_plan() {
    let text = BASE
        .replace("kind: Scenario", "kind: Template")
        .replace("delay_ms: 500", "delay_ms: \"{{ .Parameters.delay }}\"")
        .replace(
            "duration: 10m\n      actions",
            "duration: \"{{ .Parameters.d }}\"\n      actions",
        );
    let validation = check(&text, false);
    assert!(
        validation.diagnostics.is_empty(),
        "{:?}",
        validation.diagnostics
    );
    assert!(validation.plan.is_none());
}

#[test]
fn unknown_success_criteria_and_bad_http_paths_are_errors() {
    let text = BASE.replace(
            "            delay_ms: 500",
            "            delay_ms: 500\n        - {service: exchange, action: http, parameters: {method: GET, path: health}}",
        ) + "  success_criteria: [all_phases_complete]\n";
    let validation = check(&text, false);
    let paths: Vec<_> = validation
        .diagnostics
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "phases[0].actions[1].parameters.path",
            "success_criteria[0]"
        ]
    );
    assert_eq!(
        validation.diagnostics[1].hint.as_deref(),
        Some("did you mean `all_phases_completed`?")
    );
}

#[test]
fn success_criteria_are_parsed_into_the_plan_and_an_unknown_one_is_reported_at_its_line() {
    let text = BASE.to_owned()
        + "  success_criteria:\n    - rollback_succeeded\n    - all_phases_completed\n";
    let plan = check(&text, false).plan.expect("a plan");
    assert_eq!(
        plan.success_criteria,
        [
            SuccessCriterion::RollbackSucceeded,
            SuccessCriterion::AllPhasesCompleted
        ]
    );
    let json = serde_json::to_value(&plan).expect("plan as JSON");
    assert_eq!(
        json["success_criteria"],
        serde_json::json!(["rollback_succeeded", "all_phases_completed"])
    );
    let unknown = text.replace("    - all_phases_completed", "    - phases_all_done");
    let line = unknown
        .lines()
        .position(|l| l.contains("phases_all_done"))
        .map(|i| i as u32 + 1);
    let validation = check(&unknown, false);
    assert!(validation.plan.is_none());
    let diagnostic = &validation.diagnostics[0];
    assert_eq!(diagnostic.path, "success_criteria[1]");
    assert_eq!(diagnostic.line, line);
    assert_eq!(
        diagnostic.message,
        "unknown success criterion `phases_all_done`"
    );
}

#[test]
fn syntax_errors_come_back_as_diagnostics() {
    let validation = check("a: [", false);
    assert_eq!(validation.diagnostics[0].kind, DiagnosticKind::Syntax);
    assert!(validation.plan.is_none());
}

const WORKLOAD: &str = "  workload:
    streams:
      - name: orders
        service: exchange
        method: POST
        path: /api/v1/orders
        body: {id: \"${seq}\"}
        rate: {from: 10, to: 200, over: 1m}
        timeout: 2s
    steady_state: {p95_latency_ms: 150, failure_rate: 0.005, for: 5s}
";

#[test]
fn a_workload_and_metric_assertions_validate_into_the_plan() {
    let text = BASE.replace("  phases:\n", &format!("{WORKLOAD}  phases:\n"))
            + "        - {type: metric, expect: \"p95_latency_ms <= 150\", parameters: {window: 30s, stream: orders}}\n"
            + "        - {type: metric, expect: \"recovery_time <= 30s\"}\n";
    let validation = check(&text, true);
    assert!(
        validation.diagnostics.is_empty(),
        "{:?}",
        validation.diagnostics
    );
    let plan = validation.plan.expect("plan");
    let workload = plan.workload.expect("the plan carries the workload");
    assert_eq!(workload.streams[0].name, "orders");
    assert_eq!(workload.streams[0].timeout, Duration::from_secs(2));
    assert!(matches!(workload.streams[0].rate, Rate::Ramp { to, .. } if to == 200.0));
    assert_eq!(
        workload.steady_state.map(|s| s.hold_for),
        Some(Duration::from_secs(5))
    );
    assert!(plan_text_mentions(
        &text,
        "workload orders: POST exchange /api/v1/orders"
    ));
}

fn plan_text_mentions(text: &str, needle: &str) -> bool {
    check(text, false)
        .plan
        .is_some_and(|plan| plan.timeline_text().contains(needle))
}

#[test]
fn workload_mistakes_are_reported_at_their_lines() {
    let workload = WORKLOAD
        .replace("service: exchange", "service: exchang")
        .replace("method: POST", "method: SEND")
        .replace("path: /api", "path: api")
        .replace(
            "rate: {from: 10, to: 200, over: 1m}",
            "rate: -5\n        phases: [chaos, chaoss]",
        )
        .replace("failure_rate: 0.005", "failure_rate: 5")
        + "    extra: 1\n";
    let text = BASE.replace("  phases:\n", &format!("{workload}  phases:\n"))
        + "        - {type: metric, expect: \"p95_latncy_ms <= 150\"}\n"
        + "        - {type: metric, expect: \"failure_rate <= 1%\", parameters: {stream: ordrs}}\n";
    let validation = check(&text, false);
    assert!(validation.plan.is_none());
    let found = summary(&validation);
    assert_eq!(found.len(), 9, "{found:#?}");
    use DiagnosticKind::{Structure, UnknownService, UnsupportedExpectation};
    for (kind, path, line) in [
        (UnknownService, "workload.streams[0].service", 11),
        (Structure, "workload.streams[0].method", 12),
        (Structure, "workload.streams[0].path", 13),
        (Structure, "workload.streams[0].rate", 15),
        (Structure, "workload.streams[0].phases[1]", 16),
        (Structure, "workload.steady_state.failure_rate", 18),
        (Structure, "workload.extra", 19),
        (UnsupportedExpectation, "phases[0].assertions[1].expect", 32),
        (Structure, "phases[0].assertions[2].parameters.stream", 33),
    ] {
        assert!(
            found.contains(&(kind, path.to_owned(), Some(line))),
            "{kind:?} {path} at {line} not in {found:#?}"
        );
    }
    let typo = validation
        .diagnostics
        .iter()
        .find(|d| d.path == "phases[0].assertions[1].expect")
        .expect("found");
    assert!(
        typo.message.contains("did you mean `p95_latency_ms`"),
        "{}",
        typo.message
    );
}

#[test]
fn metric_assertions_need_a_workload_and_recovery_needs_a_steady_state() {
    let text = BASE.to_owned() + "        - {type: metric, expect: \"failure_rate <= 0.01\"}\n";
    let validation = check(&text, false);
    assert_eq!(
        summary(&validation),
        vec![(
            DiagnosticKind::Structure,
            "phases[0].assertions[1].type".into(),
            Some(20)
        )]
    );
    let workload: String = WORKLOAD
        .lines()
        .filter(|line| !line.contains("steady_state"))
        .map(|line| format!("{line}\n"))
        .collect();
    let text = BASE.replace("  phases:\n", &format!("{workload}  phases:\n"))
        + "        - {type: metric, expect: \"recovery_time <= 30s\"}\n";
    let validation = check(&text, false);
    let found = summary(&validation);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "phases[0].assertions[1].expect");
}

#[test]
fn an_assertion_without_within_gets_the_default_window_within_its_phase() {
    let text = BASE.replace("          within: 2m\n", "");
    let deadline = |default_within: Option<Duration>| {
        let options = ValidateOptions {
            default_within,
            ..ValidateOptions::default()
        };
        let plan = validate_text(&text, &catalog(), &options)
            .plan
            .expect("a plan");
        let assertion = &plan.phases[0].assertions[0];
        assert_eq!(assertion.within_ms, None);
        assert!(!assertion.clamped);
        assertion.deadline_ms
    };
    // No default: until the phase ends (10m).
    assert_eq!(deadline(None), Duration::from_secs(600));
    // `ASSERTION_TIMEOUT: 5m`.
    assert_eq!(
        deadline(Some(Duration::from_secs(300))),
        Duration::from_secs(300)
    );
    // Longer than the phase: still the phase's end.
    assert_eq!(
        deadline(Some(Duration::from_secs(3600))),
        Duration::from_secs(600)
    );
}
