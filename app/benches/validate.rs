//! Validates a generated 1,000-phase scenario and prints the median time of
//! several runs (a figure to read, not a timed test). Goal (issue 3): ≤ 10 ms for
//! validation in-process, in release.
//!
//! `cargo bench -p app --features ssr --bench validate`

use app::scenario::catalog::{ActionSpec, Catalog, ParamSpec, ParamType, ServiceKind, ServiceSpec};
use app::scenario::parse::parse_scenario;
use app::scenario::structure::read_scenario;
use app::scenario::validate::{validate, ValidateOptions};
use std::hint::black_box;
use std::time::{Duration, Instant};

const PHASES: usize = 1_000;
const RUNS: usize = 21;

fn catalog() -> Catalog {
    let mut catalog = Catalog::new();
    catalog.add_service(
        "exchange-simulator",
        ServiceSpec {
            kind: ServiceKind::ChaosApi,
            actions: vec![
                ActionSpec::new(
                    "inject_latency",
                    vec![
                        ParamSpec::new("delay_ms", ParamType::Int)
                            .required()
                            .range(Some(0.0), Some(600_000.0)),
                        ParamSpec::new("operations", ParamType::List)
                            .items(ParamType::String)
                            .values(&["place_order", "cancel_order"]),
                        ParamSpec::new("duration", ParamType::Duration),
                    ],
                ),
                ActionSpec::new(
                    "reduce_liquidity",
                    vec![
                        ParamSpec::new("symbols", ParamType::List).items(ParamType::String),
                        ParamSpec::new("reduction_factor", ParamType::Float)
                            .range(Some(0.0), Some(1.0)),
                    ],
                ),
            ],
        },
    );
    catalog
}

/// A scenario of `PHASES` phases, each with an action, a parallel action and two
/// assertions.
fn scenario() -> String {
    let mut text = format!(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: bench\nspec:\n  duration: {}m\n  timeout: {}m\n  phases:\n",
        PHASES * 5,
        PHASES * 5 + 10
    );
    for index in 0..PHASES {
        text.push_str(&format!(
            "    - name: phase-{index}
      duration: 5m
      description: generated phase {index}
      actions:
        - service: exchange-simulator
          action: inject_latency
          parameters:
            delay_ms: {delay}
            operations: [place_order, cancel_order]
            duration: 4m
      parallel_actions:
        - delay: 2m
          service: exchange-simulator
          action: reduce_liquidity
          parameters: {{symbols: [BTC-USD, ETH-USD], reduction_factor: 0.5}}
      assertions:
        - type: risk_alert
          expect: alert_generated
          within: 2m
          parameters: {{alert_type: execution_latency}}
        - type: system_health
          expect: all_services_healthy
",
            delay = 100 + index
        ));
    }
    text.push_str("  rollback:\n    on_failure: true\n    actions:\n      - {service: exchange-simulator, action: clear_all_chaos}\n");
    text
}

/// Median and minimum of the samples (the minimum is the figure least disturbed
/// by other work on a shared machine).
fn summarise(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[0])
}

fn measure<T>(mut run: impl FnMut() -> T) -> (Duration, Duration) {
    let samples = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            black_box(run());
            started.elapsed()
        })
        .collect();
    summarise(samples)
}

fn main() {
    let text = scenario();
    let catalog = catalog();
    let options = ValidateOptions::default();
    let document = parse_scenario(&text)
        .unwrap_or_else(|errors| panic!("the generated scenario parses: {errors:?}"));
    let check = validate(&document, &catalog, &options);
    assert!(
        check.diagnostics.is_empty(),
        "{:?}",
        &check.diagnostics[..check.diagnostics.len().min(3)]
    );
    assert_eq!(
        check.plan.as_ref().map(|plan| plan.phases.len()),
        Some(PHASES)
    );

    let parse = measure(|| parse_scenario(&text));
    let structure = measure(|| read_scenario(&document));
    let validate_only = measure(|| validate(&document, &catalog, &options));
    let both =
        measure(|| parse_scenario(&text).map(|document| validate(&document, &catalog, &options)));
    println!(
        "scenario: {PHASES} phases, {} KiB of YAML; {RUNS} runs",
        text.len() / 1024
    );
    let ms = |(median, min): (Duration, Duration)| {
        format!(
            "{:>8.2} ms median {:>8.2} ms min",
            median.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3
        )
    };
    println!("parse                     {}", ms(parse));
    println!(
        "validate + plan           {}   (goal ≤ 10 ms)",
        ms(validate_only)
    );
    println!("  of which structure read {}", ms(structure));
    println!("parse + validate + plan   {}", ms(both));
}
