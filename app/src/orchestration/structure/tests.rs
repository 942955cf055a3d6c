//! The structure check's tests: the seed's example, its JSON twin, and every
//! shape problem and bound at its line:column.

use super::*;
use crate::orchestration::fixtures::{only_at, summary, SEED_EXAMPLE};
use crate::orchestration::model::Fault;
use crate::scenario::diagnostic::Severity;
use serde_json::json;

fn errors(text: &str) -> Vec<Diagnostic> {
    parse_orchestration(text).expect_err("the document has errors")
}

fn parameters(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("parameters are an object"),
    }
}

fn seed_model() -> Orchestration {
    Orchestration {
        name: "my_chaos_test".to_owned(),
        description: Some("Comprehensive chaos testing".to_owned()),
        steps: vec![
            Step {
                name: "warmup".to_owned(),
                scenario: StepScenario::Faults {
                    service: "market-data-proxy".to_owned(),
                    enabled: true,
                    faults: vec![Fault {
                        action: "latency".to_owned(),
                        parameters: parameters(json!({"latency": 50})),
                    }],
                },
                duration_seconds: Some(30),
                delay_before_seconds: 0,
                continue_on_failure: false,
            },
            Step {
                name: "load_test".to_owned(),
                scenario: StepScenario::Faults {
                    service: "market-data-proxy".to_owned(),
                    enabled: true,
                    faults: vec![Fault {
                        action: "rate_limit".to_owned(),
                        parameters: parameters(json!({"requests_per_second": 500.0})),
                    }],
                },
                duration_seconds: Some(120),
                delay_before_seconds: 10,
                continue_on_failure: false,
            },
            Step {
                name: "chaos".to_owned(),
                scenario: StepScenario::Library {
                    name: "settlement-cascade-failure".to_owned(),
                },
                duration_seconds: Some(60),
                delay_before_seconds: 0,
                continue_on_failure: true,
            },
        ],
        parallel: false,
        loop_orchestration: false,
        max_iterations: 1,
        tags: vec!["test".to_owned(), "chaos".to_owned()],
    }
}

#[test]
fn the_seed_example_reads_as_the_expected_model() {
    let orchestration = parse_orchestration(SEED_EXAMPLE).expect("the seed example is valid");
    assert_eq!(orchestration, seed_model());
    assert_eq!(orchestration.iterations(), 1);
    assert_eq!(orchestration.member_count(), 3);
}

#[test]
fn the_seed_example_written_as_json_reads_the_same() {
    let json = json!({
        "name": "my_chaos_test",
        "description": "Comprehensive chaos testing",
        "steps": [
            {"name": "warmup", "scenario": {"config": {"service": "market-data-proxy", "enabled": true,
                "latency": {"fixed_delay_ms": 50}}}, "duration_seconds": 30},
            {"name": "load_test", "scenario": {"config": {"service": "market-data-proxy",
                "rate_limit": {"requests_per_second": 500}}}, "duration_seconds": 120, "delay_before_seconds": 10},
            {"name": "chaos", "scenario": {"name": "settlement-cascade-failure"}, "duration_seconds": 60,
                "continue_on_failure": true}
        ],
        "parallel": false,
        "loop_orchestration": false,
        "max_iterations": 1,
        "tags": ["test", "chaos"]
    });
    let text = serde_json::to_string_pretty(&json).expect("serialises");
    assert_eq!(parse_orchestration(&text), Ok(seed_model()));
}

#[test]
fn defaults_fill_what_is_not_written_and_a_bare_name_is_a_library_scenario() {
    let orchestration = parse_orchestration(
        "name: short\nsteps:\n  - name: only\n    scenario: basic-market-disruption\n",
    )
    .expect("valid");
    assert_eq!(orchestration.description, None);
    assert!(!orchestration.parallel && !orchestration.loop_orchestration);
    assert_eq!(orchestration.max_iterations, 1);
    assert!(orchestration.tags.is_empty());
    let step = &orchestration.steps[0];
    assert_eq!(
        step.scenario,
        StepScenario::Library {
            name: "basic-market-disruption".to_owned()
        }
    );
    assert_eq!(
        (
            step.duration_seconds,
            step.delay_before_seconds,
            step.continue_on_failure
        ),
        (None, 0, false)
    );
}

#[test]
fn uploads_templates_and_inline_scenarios_are_read() {
    let orchestration = parse_orchestration(
        "\
name: sources
steps:
  - name: upload
    scenario: {id: my-exchange-outage, version: 3}
  - name: templated
    scenario:
      template: latency-template
      parameters: {delay_ms: 250}
  - name: written
    scenario:
      inline: {apiVersion: chaos.trading/v1, kind: Scenario, metadata: {name: w}, spec: {phases: []}}
",
    )
    .expect("valid");
    assert_eq!(
        orchestration.steps[0].scenario,
        StepScenario::Uploaded {
            id: "my-exchange-outage".to_owned(),
            version: Some(3)
        }
    );
    assert_eq!(
        orchestration.steps[1].scenario,
        StepScenario::Template {
            template: "latency-template".to_owned(),
            parameters: parameters(json!({"delay_ms": 250}))
        }
    );
    let StepScenario::Inline { definition } = &orchestration.steps[2].scenario else {
        panic!("inline");
    };
    assert_eq!(definition["metadata"]["name"], "w");
}

#[test]
fn every_bound_broken_is_reported_at_its_line_and_column() {
    let text = format!(
        "\
name: Bad Name
description: {}
steps:
  - name: a
    scenario: basic-market-disruption
    duration_seconds: 0
    delay_before_seconds: 86401
  - name: b
    scenario: basic-market-disruption
    duration_seconds: \"30\"
    delay_before_seconds: -1
  - name: c
    scenario: basic-market-disruption
    duration_seconds: 1.5
  - name: d
    scenario: basic-market-disruption
    duration_seconds: 604801
max_iterations: 101
tags: [ok, \"\"]
",
        "x".repeat(MAX_DESCRIPTION_CHARS + 1)
    );
    let diagnostics = errors(&text);
    let structure =
        |path: &str, line, column| ("structure".to_owned(), path.to_owned(), line, column);
    assert_eq!(
        summary(&diagnostics),
        vec![
            structure("name", 1, 7),
            structure("description", 2, 14),
            structure("steps[0].duration_seconds", 6, 23),
            structure("steps[0].delay_before_seconds", 7, 27),
            structure("steps[1].duration_seconds", 10, 23),
            structure("steps[1].delay_before_seconds", 11, 27),
            structure("steps[2].duration_seconds", 14, 23),
            structure("steps[3].duration_seconds", 17, 23),
            structure("max_iterations", 18, 17),
            structure("tags[1]", 19, 12),
        ]
    );
    let message = |path| only_at(&diagnostics, path).message.clone();
    assert!(message("name").contains("lowercase letters, digits"));
    assert_eq!(
        message("description"),
        "`description` is 4097 characters long; the limit is 4096"
    );
    assert_eq!(
        message("steps[0].duration_seconds"),
        "`duration_seconds` is 0, below the minimum 1"
    );
    assert_eq!(
        message("steps[0].delay_before_seconds"),
        "`delay_before_seconds` is 86401, above the limit 86400"
    );
    assert_eq!(
        message("steps[1].duration_seconds"),
        "expected an integer, found a string"
    );
    assert_eq!(
        message("steps[1].delay_before_seconds"),
        "`delay_before_seconds` is -1, below the minimum 0"
    );
    assert_eq!(
        message("steps[2].duration_seconds"),
        "expected an integer, found the number 1.5"
    );
    assert_eq!(
        message("steps[3].duration_seconds"),
        "`duration_seconds` is 604801, above the limit 604800"
    );
    assert_eq!(
        message("max_iterations"),
        "`max_iterations` is 101, above the limit 100"
    );
}

#[test]
fn names_follow_the_scenario_id_rule() {
    assert_eq!(name_problem("market-chaos_drill-2"), None);
    assert!(name_problem("").is_some());
    assert!(name_problem("-leading").is_some());
    assert!(name_problem("Upper").is_some());
    assert!(name_problem("a.b").is_some());
    assert!(name_problem("new").is_some(), "a page of its own");
    assert!(name_problem("validate").is_some(), "a route of its own");
    assert!(name_problem("new-drill").is_none());
    assert!(name_problem(&"a".repeat(MAX_NAME_CHARS)).is_none());
    assert!(name_problem(&"a".repeat(MAX_NAME_CHARS + 1))
        .is_some_and(|problem| problem.contains("the limit is 128")));
}

#[test]
fn counts_of_steps_and_tags_and_long_names_are_bounded() {
    let step = "  - name: s\n    scenario: basic-market-disruption\n";
    let too_many: String = (0..=MAX_STEPS)
        .map(|i| step.replace("name: s", &format!("name: s{i}")))
        .collect();
    let diagnostics = errors(&format!("name: many\nsteps:\n{too_many}"));
    let too_many = only_at(&diagnostics, "steps");
    assert_eq!(too_many.message, "there are 51 steps; the limit is 50");
    assert_eq!((too_many.line, too_many.column), (Some(3), Some(3)));

    let diagnostics = errors("name: none\nsteps: []\n");
    assert_eq!(summary(&diagnostics)[0].1, "steps");

    let tags: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
    let long_step = "s".repeat(MAX_STEP_NAME_CHARS + 1);
    let text = format!(
        "name: tagged\nsteps:\n  - name: {long_step}\n    scenario: x\ntags: [{}, {}]\n",
        tags.join(", "),
        "t".repeat(MAX_TAG_CHARS + 1)
    );
    let diagnostics = errors(&text);
    assert_eq!(
        only_at(&diagnostics, "tags").message,
        "there are 34 tags; the limit is 32"
    );
    assert_eq!(only_at(&diagnostics, "tags[33]").line, Some(5));
    let long = only_at(&diagnostics, "steps[0].name");
    assert_eq!(
        (long.line, long.column, long.message.as_str()),
        (
            Some(3),
            Some(11),
            "the step name is 129 characters long; the limit is 128"
        )
    );
}

#[test]
fn too_many_executions_per_run_are_refused_at_max_iterations() {
    let steps: String = (0..11)
        .map(|i| format!("  - name: s{i}\n    scenario: x\n"))
        .collect();
    let text =
        format!("name: loops\nsteps:\n{steps}loop_orchestration: true\nmax_iterations: 100\n");
    let diagnostics = errors(&text);
    let bound = only_at(&diagnostics, "max_iterations");
    assert_eq!(
        bound.message,
        "11 steps × 100 iterations make 1100 executions, above the limit 1000"
    );
    assert_eq!((bound.line, bound.column), (Some(26), Some(17)));
}

#[test]
fn max_iterations_without_loop_orchestration_is_a_warning() {
    let text = "name: once\nsteps:\n  - name: a\n    scenario: x\nmax_iterations: 5\n";
    let root = parse_node(text).expect("parses");
    let reading = read(&root);
    let warning = only_at(&reading.diagnostics, "max_iterations");
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(
        warning.message,
        "max_iterations is ignored unless loop_orchestration is true"
    );
    assert_eq!((warning.line, warning.column), (Some(5), Some(17)));
    let orchestration = parse_orchestration(text).expect("a warning is no error");
    assert_eq!(orchestration.iterations(), 1);
}

#[test]
fn a_typo_in_a_key_gets_a_hint_at_the_key() {
    let diagnostics =
        errors("name: typo\nsteps:\n  - name: a\n    scenario: x\n    delay_before_second: 5\n");
    let typo = only_at(&diagnostics, "steps[0].delay_before_second");
    assert_eq!(typo.kind, DiagnosticKind::Structure);
    assert_eq!(typo.message, "unknown key `delay_before_second` in a step");
    assert_eq!(
        typo.hint.as_deref(),
        Some("did you mean `delay_before_seconds`?")
    );
    assert_eq!((typo.line, typo.column), (Some(5), Some(5)));
}

#[test]
fn wrong_types_and_missing_keys_are_all_reported() {
    let diagnostics = errors("description: 3\nsteps: {a: 1}\nparallel: yes please\n");
    assert_eq!(
        summary(&diagnostics),
        vec![
            ("structure".to_owned(), "name".to_owned(), 1, 1),
            ("structure".to_owned(), "description".to_owned(), 1, 14),
            ("structure".to_owned(), "steps".to_owned(), 2, 8),
            ("structure".to_owned(), "parallel".to_owned(), 3, 11),
        ]
    );
    assert_eq!(
        only_at(&diagnostics, "steps").message,
        "expected a list of steps, found a mapping"
    );
    let not_a_mapping = errors("- a\n- b\n");
    assert_eq!(
        not_a_mapping[0].message,
        "expected a mapping (an orchestration), found a list"
    );
}

#[test]
fn a_step_runs_exactly_one_scenario_source() {
    let diagnostics = errors(
        "\
name: both
steps:
  - name: a
    scenario:
      name: basic-market-disruption
      config: {service: market-data-proxy, latency: {fixed_delay_ms: 5}}
    duration_seconds: 10
  - name: b
    scenario: {version: 2}
  - name: c
    scenario: {name: x, version: 2, parameters: {}}
",
    );
    let both = only_at(&diagnostics, "steps[0].scenario.config");
    assert_eq!(
        both.message,
        "`scenario` has both `name` and `config`; a step runs exactly one of `name`, `id`, `inline`, `template`, `config`"
    );
    assert_eq!((both.line, both.column), (Some(6), Some(7)));
    assert!(both
        .hint
        .as_deref()
        .is_some_and(|h| h.contains("`id` (an uploaded one")));
    let none = only_at(&diagnostics, "steps[1].scenario");
    assert!(none.message.contains("needs one of"));
    let version = diagnostics
        .iter()
        .find(|d| d.path == "steps[2].scenario.version")
        .expect("version without id");
    assert_eq!(
        version.message,
        "`version` goes with `id` only, not with `name`"
    );
    assert_eq!(
        only_at(&diagnostics, "steps[2].scenario.parameters").message,
        "`parameters` goes with `template` only, not with `name`"
    );
}

#[test]
fn duplicate_step_names_are_reported_at_the_second() {
    let diagnostics = errors(
        "name: dup\nsteps:\n  - name: same\n    scenario: x\n  - name: same\n    scenario: y\n",
    );
    let duplicate = only_at(&diagnostics, "steps[1].name");
    assert_eq!(duplicate.message, "two steps are named `same`");
    assert_eq!((duplicate.line, duplicate.column), (Some(5), Some(11)));
}

#[test]
fn an_inline_template_is_refused() {
    let diagnostics = errors(
        "name: t\nsteps:\n  - name: a\n    scenario:\n      inline: {kind: Template, spec: {}}\n",
    );
    let template = only_at(&diagnostics, "steps[0].scenario.inline.kind");
    assert_eq!(template.message, "an inline scenario cannot be a Template");
    assert_eq!((template.line, template.column), (Some(5), Some(22)));
}

#[test]
fn a_config_step_needs_a_duration_and_a_fault_unless_disabled() {
    let diagnostics = errors(
        "\
name: cfg
steps:
  - name: a
    scenario:
      config: {service: market-data-proxy}
  - name: quiet
    scenario:
      config: {service: market-data-proxy, enabled: false}
    duration_seconds: 30
",
    );
    assert_eq!(
        summary(&diagnostics),
        vec![
            (
                "structure".to_owned(),
                "steps[0].duration_seconds".to_owned(),
                3,
                5
            ),
            (
                "structure".to_owned(),
                "steps[0].scenario.config".to_owned(),
                5,
                15
            ),
        ]
    );
    assert_eq!(
        only_at(&diagnostics, "steps[0].duration_seconds").message,
        "a `config` step needs `duration_seconds`: its faults last that long"
    );
}

#[test]
fn config_blocks_map_onto_proxy_faults_in_the_order_written() {
    let orchestration = parse_orchestration(
        "\
name: mapping
steps:
  - name: all
    scenario:
      config:
        service: orders-db-proxy
        traffic_shaping: {bandwidth_limit_bps: 1500}
        latency: {fixed_delay_ms: 100, jitter_ms: 20, probability: 0.5, path: /prices/*}
        fault_injection: {http_errors: [500, 503], http_error_probability: 0.5, path: /orders}
        rate_limit: {requests_per_second: 2.5, burst_size: 5}
    duration_seconds: 60
",
    )
    .expect("valid");
    let StepScenario::Faults { faults, .. } = &orchestration.steps[0].scenario else {
        panic!("faults");
    };
    let actions: Vec<&str> = faults.iter().map(|f| f.action.as_str()).collect();
    assert_eq!(
        actions,
        ["bandwidth", "latency", "error", "error", "rate_limit"]
    );
    assert_eq!(
        Value::Object(faults[0].parameters.clone()),
        json!({"rate": 2})
    );
    assert_eq!(
        Value::Object(faults[1].parameters.clone()),
        json!({"latency": 100, "jitter": 20, "toxicity": 0.5, "path": "/prices/*"})
    );
    assert_eq!(faults[2].parameters["status"], 500);
    assert_eq!(faults[2].parameters["toxicity"], 0.25);
    assert_eq!(faults[2].parameters["path"], "/orders");
    assert_eq!(faults[3].parameters["status"], 503);
    let second = faults[3].parameters["toxicity"].as_f64().expect("a number");
    assert!((second - 1.0 / 3.0).abs() < 1e-12, "{second}");
    assert_eq!(
        Value::Object(faults[4].parameters.clone()),
        json!({"requests_per_second": 2.5, "burst": 5})
    );
}

#[test]
fn seed_values_out_of_their_bounds_are_invalid_parameters_at_the_value() {
    let diagnostics = errors(
        "\
name: bounds
steps:
  - name: a
    scenario:
      config:
        service: market-data-proxy
        latency:
          fixed_delay_ms: 700000
          probability: 1.5
        fault_injection:
          http_errors: [500, 600]
        rate_limit: {requests_per_second: 0}
        traffic_shaping: {bandwidth_limit_bps: 999}
    duration_seconds: 60
",
    );
    let config = "steps[0].scenario.config";
    let at = |path: &str, line, column| {
        (
            "invalid_parameter".to_owned(),
            format!("{config}.{path}"),
            line,
            column,
        )
    };
    assert_eq!(
        summary(&diagnostics),
        vec![
            at("latency.fixed_delay_ms", 8, 27),
            at("latency.probability", 9, 24),
            at("fault_injection.http_errors[1]", 11, 30),
            at("rate_limit.requests_per_second", 12, 43),
            at("traffic_shaping.bandwidth_limit_bps", 13, 48),
        ]
    );
    assert_eq!(
        diagnostics[0].message,
        "`fixed_delay_ms` is 700000, above the limit 600000"
    );
    assert_eq!(
        diagnostics[2].message,
        "`http_errors[1]` is 600, above the limit 599"
    );
}

#[test]
fn a_list_of_error_codes_is_bounded() {
    let diagnostics = errors(
        "name: codes\nsteps:\n  - name: a\n    scenario:\n      config:\n        service: p\n        fault_injection: {http_errors: []}\n    duration_seconds: 5\n",
    );
    let empty = only_at(
        &diagnostics,
        "steps[0].scenario.config.fault_injection.http_errors",
    );
    assert_eq!(empty.message, "`http_errors` has 0 codes; it takes 1 to 10");
    assert_eq!((empty.line, empty.column), (Some(7), Some(40)));
}
