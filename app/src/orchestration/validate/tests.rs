//! The semantic check's tests, and the scenarios `config` steps render to.

use super::*;
use crate::orchestration::fixtures::{catalog, only_at, summary, Server, SEED_EXAMPLE};
use crate::orchestration::model::StepScenario;
use crate::orchestration::template_yaml;
use crate::scenario::catalog::{ActionSpec, ParamSpec, ParamType, ServiceKind, ServiceSpec};
use crate::scenario::diagnostic::Severity;
use crate::scenario::parse::parse_scenario;

fn check(text: &str) -> OrchestrationValidation {
    let server = Server::new();
    validate_orchestration(text, &server.known())
}

fn errors(text: &str) -> Vec<Diagnostic> {
    let validation = check(text);
    assert!(
        validation.orchestration.is_none(),
        "an error means no model"
    );
    validation.diagnostics
}

/// Validates a rendered step scenario as the server would: written out as
/// text, parsed and validated.
fn validate_scenario(scenario: &serde_json::Value, catalog: &Catalog) -> Vec<Diagnostic> {
    let text = serde_json::to_string_pretty(scenario).expect("serialises");
    let document = parse_scenario(&text).expect("parses");
    let validation = validate(&document, catalog, &ValidateOptions::default());
    assert!(validation.plan.is_some(), "{:#?}", validation.diagnostics);
    validation.diagnostics
}

#[test]
fn the_seed_example_validates_against_a_server_that_has_its_names() {
    let validation = check(SEED_EXAMPLE);
    assert_eq!(validation.diagnostics, vec![]);
    let orchestration = validation.orchestration.expect("valid");
    assert_eq!(orchestration.steps.len(), 3);
}

#[test]
fn a_syntax_error_is_the_only_diagnostic() {
    let diagnostics = errors("name: [unclosed\n");
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].kind, DiagnosticKind::Syntax);
}

#[test]
fn an_unknown_library_scenario_gets_a_hint() {
    let diagnostics = errors(
        "name: typo\nsteps:\n  - name: a\n    scenario: basic-market-disruptoin\n  - name: b\n    scenario: {name: zzz}\n",
    );
    let unknown = only_at(&diagnostics, "steps[0].scenario");
    assert_eq!(unknown.kind, DiagnosticKind::UnknownScenario);
    assert_eq!(
        unknown.message,
        "there is no library scenario `basic-market-disruptoin`"
    );
    assert_eq!(
        unknown.hint.as_deref(),
        Some("did you mean `basic-market-disruption`?")
    );
    assert_eq!((unknown.line, unknown.column), (Some(4), Some(15)));
    let far = only_at(&diagnostics, "steps[1].scenario.name");
    assert_eq!((far.line, far.column), (Some(6), Some(22)));
    assert_eq!(
        far.hint.as_deref(),
        Some("the library scenarios are `basic-market-disruption`, `proxy-latency`, `settlement-cascade-failure`")
    );
    assert_eq!(DiagnosticKind::UnknownScenario.as_str(), "unknown_scenario");
}

#[test]
fn uploads_and_templates_must_exist_and_a_name_in_the_wrong_place_is_pointed_out() {
    let diagnostics = errors(
        "\
name: names
steps:
  - name: a
    scenario: {id: my-exchange-outag}
  - name: b
    scenario: {template: nope}
  - name: c
    scenario: my-exchange-outage
",
    );
    assert_eq!(
        summary(&diagnostics),
        vec![
            (
                "unknown_scenario".to_owned(),
                "steps[0].scenario.id".to_owned(),
                4,
                20
            ),
            (
                "unknown_scenario".to_owned(),
                "steps[1].scenario.template".to_owned(),
                6,
                26
            ),
            (
                "unknown_scenario".to_owned(),
                "steps[2].scenario".to_owned(),
                8,
                15
            ),
        ]
    );
    assert_eq!(
        diagnostics[0].hint.as_deref(),
        Some("did you mean `my-exchange-outage`?")
    );
    assert_eq!(diagnostics[1].message, "there is no template `nope`");
    assert_eq!(
        diagnostics[2].hint.as_deref(),
        Some("`my-exchange-outage` is an uploaded scenario: write `id: my-exchange-outage`")
    );
}

#[test]
fn an_unknown_service_gets_a_hint_at_its_value() {
    let diagnostics = errors(
        "name: svc\nsteps:\n  - name: a\n    scenario:\n      config:\n        service: market-data-proxi\n        latency: {fixed_delay_ms: 5}\n    duration_seconds: 5\n",
    );
    let unknown = only_at(&diagnostics, "steps[0].scenario.config.service");
    assert_eq!(unknown.kind, DiagnosticKind::UnknownService);
    assert_eq!(
        unknown.hint.as_deref(),
        Some("did you mean `market-data-proxy`?")
    );
    assert_eq!((unknown.line, unknown.column), (Some(6), Some(18)));
}

#[test]
fn a_fault_the_service_does_not_support_is_reported_at_its_block() {
    let diagnostics = errors(
        "\
name: shaping
steps:
  - name: a
    scenario:
      config:
        service: market-data-proxy
        traffic_shaping:
          bandwidth_limit_bps: 64000
    duration_seconds: 5
",
    );
    let refused = only_at(&diagnostics, "steps[0].scenario.config.traffic_shaping");
    assert_eq!(refused.kind, DiagnosticKind::UnsupportedAction);
    assert_eq!(
        refused.message,
        "`traffic_shaping` needs the action `bandwidth`, which `market-data-proxy` does not support"
    );
    assert_eq!(
        refused.hint.as_deref(),
        Some("`market-data-proxy` supports `latency`, `error`, `abort`, `rate_limit`, `corrupt_body`, `clear_chaos`, `clear_all_chaos`, `http`; bandwidth limits need a TCP proxy")
    );
    assert_eq!((refused.line, refused.column), (Some(7), Some(9)));
}

#[test]
fn values_the_catalog_refuses_are_reported_at_the_seed_key_by_its_name() {
    let mut narrow = catalog();
    narrow.add_service(
        "slow-proxy",
        ServiceSpec {
            kind: ServiceKind::ChaosApi,
            actions: vec![
                ActionSpec::new(
                    "latency",
                    vec![ParamSpec::new("latency", ParamType::Int)
                        .required()
                        .range(Some(0.0), Some(1000.0))],
                ),
                ActionSpec::new(
                    "bandwidth",
                    vec![ParamSpec::new("rate", ParamType::Int).range(Some(1.0), Some(100.0))],
                ),
            ],
        },
    );
    let server = Server {
        catalog: narrow,
        ..Server::new()
    };
    let validation = validate_orchestration(
        "\
name: narrow
steps:
  - name: a
    scenario:
      config:
        service: slow-proxy
        latency:
          fixed_delay_ms: 5000
          probability: 0.5
        traffic_shaping: {bandwidth_limit_bps: 200000}
    duration_seconds: 5
",
        &server.known(),
    );
    let diagnostics = validation.diagnostics;
    let config = "steps[0].scenario.config";
    let delay = only_at(&diagnostics, &format!("{config}.latency.fixed_delay_ms"));
    assert_eq!(delay.kind, DiagnosticKind::InvalidParameter);
    assert_eq!(
        delay.message,
        "`fixed_delay_ms`: 5000 is above the maximum 1000"
    );
    assert_eq!((delay.line, delay.column), (Some(8), Some(27)));
    let undeclared = only_at(&diagnostics, &format!("{config}.latency.probability"));
    assert_eq!(undeclared.severity, Severity::Warning);
    assert_eq!(
        undeclared.message,
        "`slow-proxy.latency` does not declare `toxicity`, which `probability` sets"
    );
    let rate = only_at(
        &diagnostics,
        &format!("{config}.traffic_shaping.bandwidth_limit_bps"),
    );
    assert_eq!(
        rate.message,
        "`bandwidth_limit_bps` makes `slow-proxy.bandwidth`'s `rate` 200: 200 is above the maximum 100"
    );
    assert_eq!((rate.line, rate.column), (Some(10), Some(48)));
}

const INLINE: &str = "\
name: inline-test
steps:
  - name: custom
    scenario:
      inline:
        apiVersion: chaos.trading/v1
        kind: Scenario
        metadata:
          name: custom
        spec:
          variables: {delay: 100}
          phases:
            - name: slow
              duration: 30s
              actions:
                - service: market-data-proxi
                  action: latency
                  parameters: {latency: \"{{ .Variables.delay }}\"}
    duration_seconds: 60
";

#[test]
fn an_inline_scenario_is_validated_in_the_orchestrations_coordinates() {
    let diagnostics = errors(INLINE);
    let inner = only_at(
        &diagnostics,
        "steps[0].scenario.inline.phases[0].actions[0].service",
    );
    assert_eq!(inner.kind, DiagnosticKind::UnknownService);
    assert_eq!((inner.line, inner.column), (Some(16), Some(28)));
    assert_eq!(
        inner.hint.as_deref(),
        Some("did you mean `market-data-proxy`?")
    );

    let fixed = INLINE.replace("market-data-proxi", "market-data-proxy");
    let validation = check(&fixed);
    assert_eq!(validation.diagnostics, vec![]);
    let orchestration = validation.orchestration.expect("valid once fixed");
    let StepScenario::Inline { definition } = &orchestration.steps[0].scenario else {
        panic!("inline");
    };
    assert_eq!(definition["spec"]["phases"][0]["name"], "slow");
}

#[test]
fn every_config_step_of_the_seed_example_renders_a_valid_scenario() {
    let orchestration = check(SEED_EXAMPLE).orchestration.expect("valid");
    let catalog = catalog();
    let rendered: Vec<_> = orchestration
        .steps
        .iter()
        .filter_map(|step| step.faults_scenario(&orchestration.name))
        .collect();
    assert_eq!(
        rendered.len(),
        2,
        "warmup and load_test; chaos is a library scenario"
    );
    for scenario in &rendered {
        assert_eq!(validate_scenario(scenario, &catalog), vec![]);
    }
    let warmup = &rendered[0];
    assert_eq!(warmup["apiVersion"], "chaos.trading/v1");
    assert_eq!(warmup["kind"], "Scenario");
    assert_eq!(warmup["metadata"]["name"], "my_chaos_test-warmup");
    let phase = &warmup["spec"]["phases"][0];
    assert_eq!(phase["name"], "warmup");
    assert_eq!(phase["duration"], "30s");
    assert_eq!(
        phase["actions"],
        serde_json::json!([{"service": "market-data-proxy", "action": "latency", "parameters": {"latency": 50}}])
    );
    assert_eq!(rendered[1]["spec"]["phases"][0]["duration"], "120s");
}

#[test]
fn a_disabled_config_step_renders_a_quiet_phase_that_validates() {
    let text = "name: quiet\nsteps:\n  - name: calm\n    scenario:\n      config: {service: market-data-proxy, enabled: false, latency: {fixed_delay_ms: 5}}\n    duration_seconds: 45\n";
    let orchestration = check(text).orchestration.expect("valid");
    let scenario = orchestration.steps[0]
        .faults_scenario(&orchestration.name)
        .expect("a config step");
    assert_eq!(
        scenario["spec"]["phases"][0]["actions"],
        serde_json::json!([])
    );
    assert_eq!(validate_scenario(&scenario, &catalog()), vec![]);
}

#[test]
fn the_starter_document_validates_and_renders_valid_scenarios() {
    let catalog = catalog();
    let library = ["basic-market-disruption".to_owned()].into_iter().collect();
    let none = BTreeSet::new();
    let known = Known {
        catalog: &catalog,
        library: &library,
        uploaded: &none,
        templates: &none,
    };
    let validation = validate_orchestration(template_yaml(), &known);
    assert_eq!(validation.diagnostics, vec![]);
    let orchestration = validation.orchestration.expect("valid");
    assert_eq!(orchestration.steps.len(), 4);
    for step in &orchestration.steps {
        if let Some(scenario) = step.faults_scenario(&orchestration.name) {
            assert_eq!(validate_scenario(&scenario, &catalog), vec![]);
        }
    }
}

#[test]
fn the_validation_serialises_for_the_wire() {
    let validation = check(SEED_EXAMPLE);
    let json = serde_json::to_value(&validation).expect("serialises");
    assert_eq!(json["orchestration"]["name"], "my_chaos_test");
    let back: OrchestrationValidation = serde_json::from_value(json).expect("reads back");
    assert_eq!(back, validation);
    let (orchestration, warnings) = back.into_result().expect("valid");
    assert!(warnings.is_empty());
    assert_eq!(orchestration.member_count(), 3);
}
