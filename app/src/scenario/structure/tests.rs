//! Tests of [`super`].

use super::*;
use crate::scenario::parse::parse_scenario;

fn reading(text: &str) -> Reading {
    read(&parse_scenario(text).expect("parses"))
}

const MINIMAL: &str = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: m\nspec:\n  phases:\n    - name: p\n      duration: 5m\n";

#[test]
fn a_minimal_scenario_reads_without_diagnostics() {
    let reading = reading(MINIMAL);
    assert!(reading.diagnostics.is_empty(), "{:?}", reading.diagnostics);
    assert_eq!(
        reading.scenario.spec.phases[0].duration,
        Duration::from_secs(300)
    );
}

#[test]
fn a_typo_is_an_unknown_key_at_the_key_with_a_suggestion() {
    let text = MINIMAL.replace(
        "      duration: 5m",
        "      duration: 5m\n      descripton: x",
    );
    let diagnostics = reading(&text).diagnostics;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.kind, DiagnosticKind::Structure);
    assert_eq!(diagnostic.path, "phases[0].descripton");
    assert_eq!((diagnostic.line, diagnostic.column), (Some(9), Some(7)));
    assert_eq!(
        diagnostic.hint.as_deref(),
        Some("did you mean `description`?")
    );
}

#[test]
fn every_structure_problem_is_reported_at_once() {
    let text = "apiVersion: v2\nkind: Scenaro\nmetadata: {}\nspec:\n  duration: 30\n  phases:\n    - name: a\n      duration: soon\n    - duraton: 5m\n  reporting: {generate_timeline: yes}\n";
    let diagnostics = reading(text).diagnostics;
    let paths: Vec<_> = diagnostics.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "apiVersion",
            "kind",
            "metadata.name",
            "phases[0].duration",
            "phases[1].duraton",
            "phases[1].name",
            "phases[1].duration",
            "duration",
            "reporting.generate_timeline",
        ]
    );
    assert_eq!(
        diagnostics[1].hint.as_deref(),
        Some("did you mean `Scenario`?")
    );
}

#[test]
fn an_unrendered_duration_is_pending_not_wrong() {
    let text = MINIMAL.replace("duration: 5m", "duration: \"{{ .Parameters.d }}\"");
    let reading = reading(&text);
    assert!(reading.diagnostics.is_empty());
    assert!(reading.has_expressions);
    assert_eq!(reading.pending_fields.len(), 1);
    let errors = read_scenario(&parse_scenario(&text).expect("parses")).expect_err("pending");
    assert_eq!(errors[0].kind, DiagnosticKind::Template);
    assert_eq!(errors[0].path, "phases[0].duration");
}

#[test]
fn template_parameter_declarations_are_typed_and_checked() {
    let text = "apiVersion: chaos.trading/v1\nkind: Template\nmetadata: {name: t}\nparameters:\n  - {name: a, type: enum}\n  - {name: b, type: float, default: 2, max: 1}\n  - {name: c, type: sting}\n  - {name: d, type: int, requried: true}\nspec:\n  phases: []\n";
    let reading = reading(text);
    let kinds: Vec<_> = reading
        .diagnostics
        .iter()
        .map(|d| (d.kind, d.path.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (DiagnosticKind::Template, "parameters[0]"),
            (DiagnosticKind::Template, "parameters[1]"),
            (DiagnosticKind::Structure, "parameters[2]"),
            (DiagnosticKind::Structure, "parameters[3].requried"),
        ]
    );
}

#[test]
fn metadata_reads_even_from_an_unrendered_template() {
    let text = MINIMAL
        .replace("kind: Scenario", "kind: Template")
        .replace("5m", "\"{{ .Parameters.d }}\"");
    let metadata = read_metadata(&parse_scenario(&text).expect("parses")).expect("reads");
    assert_eq!(metadata.name, "m");
}
