use crate::helpers::{read, sandbox_catalog, SEED_TEMPLATE_PARAMS};
use app::scenario::diagnostic::{DiagnosticKind, Severity};
use app::scenario::parse::parse_scenario;
use app::scenario::template::{parse_params_kv, render, ParameterValues};
use app::scenario::validate::{validate, ValidateOptions, Validation};
use std::time::Duration;

fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3600)
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// parse → render → validate, the server's path.
fn run(relative: &str, params: &ParameterValues, strict: bool) -> Validation {
    let document = parse_scenario(&read(relative)).expect("the seed parses");
    let rendered = render(&document, params).expect("the seed renders");
    validate(
        &rendered,
        &sandbox_catalog(),
        &ValidateOptions {
            strict,
            ..ValidateOptions::default()
        },
    )
}

#[test]
fn basic_market_disruption_validates_without_any_diagnostic() {
    let validation = run(
        "scenarios/basic-market-disruption.yaml",
        &ParameterValues::new(),
        true,
    );
    assert!(
        validation.diagnostics.is_empty(),
        "{:#?}",
        validation.diagnostics
    );
    let plan = validation.plan.expect("a plan");
    assert_eq!(plan.total_ms, minutes(30));
    assert_eq!(plan.timeout_ms, Some(minutes(35)));
    let starts: Vec<_> = plan.phases.iter().map(|phase| phase.start_ms).collect();
    assert_eq!(starts, [Duration::ZERO, minutes(5), minutes(25)]);
    assert_eq!(plan.phases[1].assertions[0].deadline_ms, minutes(7));
    assert_eq!(plan.rollback.actions.len(), 2);
    assert!(plan.rollback.on_failure);
}

#[test]
fn stablecoin_depeg_validates_with_only_its_within_warnings() {
    let validation = run(
        "scenarios/stablecoin-depeg.yaml",
        &ParameterValues::new(),
        true,
    );
    // The seed has two assertions whose `within` outlasts its phase: 25h in the
    // 24h gradual_depeg phase and 6h in the 5h recovery phase.
    let warnings: Vec<_> = validation
        .diagnostics
        .iter()
        .map(|d| (d.severity, d.kind, d.path.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                Severity::Warning,
                DiagnosticKind::Timing,
                "phases[1].assertions[0].within",
                Some(59),
                Some(19)
            ),
            (
                Severity::Warning,
                DiagnosticKind::Timing,
                "phases[3].assertions[2].within",
                Some(118),
                Some(19)
            ),
        ]
    );
    assert!(validation.diagnostics[0]
        .message
        .contains("checked until the phase ends"));
    let plan = validation.plan.expect("warnings still plan");
    assert_eq!(plan.total_ms, hours(36));
    let depeg = &plan.phases[1];
    assert_eq!(depeg.parallel_actions[0].at_ms, hours(13));
    assert_eq!(
        depeg.parallel_actions[0].parameters["delay_duration"],
        "24h"
    );
    assert_eq!(
        depeg.actions[0].parameters["target_deviation"],
        serde_json::json!(-0.05)
    );
    assert_eq!(depeg.assertions[0].deadline_ms, hours(25));
    assert!(depeg.assertions[0].clamped);
    let timeline = plan.timeline_text();
    assert!(
        timeline.contains("+13h        parallel custodian-simulator.delay_settlements"),
        "{timeline}"
    );
    assert!(
        timeline.contains("assert price_divergence=usdt_depegged {\"min_deviation\":0.02,\"symbol\":\"USDT-USD\"} until +1d2h (clamped to phase end)")
            || timeline.contains("assert price_divergence=usdt_depegged {\"symbol\":\"USDT-USD\",\"min_deviation\":0.02} until +1d2h (clamped to phase end)"),
        "{timeline}"
    );
}

#[test]
fn the_exchange_disruption_template_renders_with_the_seed_params_and_validates() {
    let params = parse_params_kv(SEED_TEMPLATE_PARAMS).expect("the seed params read");
    let validation = run(
        "scenarios/templates/exchange-disruption.template.yaml",
        &params,
        true,
    );
    assert!(
        validation.diagnostics.is_empty(),
        "{:#?}",
        validation.diagnostics
    );
    let plan = validation.plan.expect("a plan");
    assert_eq!(plan.total_ms, minutes(20), "duration + 10m");
    assert_eq!(plan.phases[1].duration_ms, minutes(10));
    let chaos = &plan.phases[1].actions[0];
    assert_eq!(
        (chaos.service.as_str(), chaos.action.as_str()),
        ("exchange-simulator", "latency")
    );
    assert_eq!(
        chaos.parameters["intensity"],
        serde_json::json!(0.5),
        "a float stays a number"
    );
    assert_eq!(
        plan.phases[0].assertions[0].service.as_deref(),
        Some("exchange-simulator")
    );
}

#[test]
fn the_template_with_its_defaults_lasts_twenty_five_minutes() {
    let params = parse_params_kv("target_exchange=exchange-simulator,disruption_type=downtime")
        .expect("reads");
    let plan = run(
        "scenarios/templates/exchange-disruption.template.yaml",
        &params,
        false,
    )
    .plan
    .expect("a plan");
    assert_eq!(plan.total_ms, minutes(25));
}

#[test]
fn a_rendered_template_writes_out_as_a_runnable_scenario() {
    let document = parse_scenario(&read(
        "scenarios/templates/exchange-disruption.template.yaml",
    ))
    .expect("parses");
    let params = parse_params_kv(SEED_TEMPLATE_PARAMS).expect("reads");
    let rendered = render(&document, &params).expect("renders");
    let yaml = serde_yaml::to_string(&rendered.root).expect("writes YAML");
    assert!(yaml.contains("kind: Scenario"), "{yaml}");
    assert!(yaml.contains("duration: 20m"), "{yaml}");
    let reparsed = parse_scenario(&yaml).expect("the output parses");
    let validation = validate(&reparsed, &sandbox_catalog(), &ValidateOptions::default());
    assert!(
        validation.diagnostics.is_empty(),
        "{:#?}",
        validation.diagnostics
    );
}

#[test]
fn a_scenario_written_as_json_validates_like_its_yaml() {
    let document = parse_scenario(&read("scenarios/basic-market-disruption.yaml")).expect("parses");
    let json = serde_json::to_string_pretty(&document.root).expect("writes JSON");
    let from_json = parse_scenario(&json).expect("JSON parses");
    let validation = validate(&from_json, &sandbox_catalog(), &ValidateOptions::default());
    assert!(
        validation.diagnostics.is_empty(),
        "{:#?}",
        validation.diagnostics
    );
    let yaml_plan = validate(&document, &sandbox_catalog(), &ValidateOptions::default()).plan;
    assert_eq!(validation.plan, yaml_plan);
}

#[test]
fn an_unrendered_template_validates_as_written_without_a_plan() {
    let text = read("scenarios/templates/exchange-disruption.template.yaml");
    let validation = app::scenario::validate::validate_text(
        &text,
        &sandbox_catalog(),
        &ValidateOptions {
            strict: true,
            ..ValidateOptions::default()
        },
    );
    assert!(
        validation.diagnostics.is_empty(),
        "{:#?}",
        validation.diagnostics
    );
    assert!(validation.plan.is_none());
}

#[test]
fn the_plan_serialises_with_millisecond_offsets() {
    let plan = run(
        "scenarios/stablecoin-depeg.yaml",
        &ParameterValues::new(),
        false,
    )
    .plan
    .expect("a plan");
    let json = serde_json::to_value(&plan).expect("serialises");
    assert_eq!(json["total_ms"], 129_600_000);
    assert_eq!(json["phases"][3]["start_ms"], 111_600_000);
    assert_eq!(
        json["phases"][1]["assertions"][0]["deadline_ms"],
        90_000_000
    );
    let back: app::scenario::plan::Plan = serde_json::from_value(json).expect("reads back");
    assert_eq!(back, plan);
}

/// Every `.yaml` under `dir`, recursively, sorted; not `orchestrations/`,
/// whose documents are orchestrations (app::orchestration's tests read them).
fn yaml_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("an entry").path();
        if path.ends_with("orchestrations") {
            continue;
        }
        if path.is_dir() {
            files.extend(yaml_files(&path));
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Library files that act on a service the default configuration adds beyond
/// the sandbox (its fault-injection proxy, whose faults this crate does not
/// know): `server::catalog`'s test validates every file, these included,
/// against the default configuration's catalog with the proxy's real faults.
const BEYOND_THE_SANDBOX: [&str; 1] = ["proxy-latency.yaml"];

#[test]
fn every_file_of_the_library_validates_against_the_sandbox_catalog() {
    let catalog = sandbox_catalog();
    let options = ValidateOptions::default();
    let files = yaml_files(&crate::helpers::workspace().join("scenarios"));
    assert!(files.len() >= 3, "the seed files are there");
    let mut failures = Vec::new();
    for file in files.iter().filter(|f| {
        !f.file_name()
            .is_some_and(|n| BEYOND_THE_SANDBOX.iter().any(|b| n == *b))
    }) {
        let text = std::fs::read_to_string(file).expect("readable");
        // A scenario must plan; a template is validated as written (its
        // expressions are checked when rendered).
        let validation = app::scenario::validate::validate_text(&text, &catalog, &options);
        let is_template = parse_scenario(&text).is_ok_and(|document| document.is_template());
        if validation.has_errors() || (!is_template && validation.plan.is_none()) {
            let shown: Vec<String> = validation
                .diagnostics
                .iter()
                .map(ToString::to_string)
                .collect();
            failures.push(format!("{}:\n  {}", file.display(), shown.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
