//! Properties of the scenario language under generated input (issue 13's
//! guard): whatever the text, durations, template expressions and plan shape,
//! parsing, rendering, validating and planning never panic, never allocate
//! beyond a bound, and every accepted scenario draws its timeline in bounded
//! work.
//!
//! CI runs proptest's default number of cases (or `PROPTEST_CASES`); `make
//! fuzz` runs many more.

#[cfg(feature = "ssr")]
use app::components::timeline::timeline_view;
use app::scenario::duration::{format_duration, parse_duration, MAX_DURATION};
use app::scenario::parse::{parse_scenario, MAX_INPUT_BYTES};
use app::scenario::plan::Plan;
use app::scenario::template::{render, ParameterValues, MAX_RENDERED_BYTES};
use app::scenario::validate::{validate, ValidateOptions};
#[cfg(feature = "ssr")]
use leptos::prelude::RenderHtml;
use proptest::prelude::*;

use crate::helpers::sandbox_catalog;
use crate::peak::peak_bytes;

/// The most memory one case may take. The inputs are at most a few hundred
/// KiB; the old timeline allocated 33 GB for one scenario.
const MEMORY_BOUND: usize = 64 << 20;

fn config() -> ProptestConfig {
    // `PROPTEST_CASES` overrides the case count (see `make fuzz`).
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn unit() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["ms", "s", "m", "h", "d"])
}

/// Duration text as people and attackers write it.
fn duration_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (1u64..120, unit()).prop_map(|(n, u)| format!("{n}{u}")),
        2 => ("[0-9]{1,25}", unit()).prop_map(|(n, u)| format!("{n}{u}")),
        1 => Just("30d".to_owned()),
        1 => Just("99999999999h".to_owned()),
        1 => "([0-9]{1,6}(\\.[0-9]{1,4})?(ms|s|m|h|d) ?){1,4}",
        1 => ".{0,12}",
    ]
}

#[derive(Debug, Clone)]
struct PhaseShape {
    duration: String,
    actions: Vec<Option<String>>,
    assertions: Vec<String>,
}

#[derive(Debug, Clone)]
struct ScenarioShape {
    duration: Option<String>,
    timeout: Option<String>,
    phases: Vec<PhaseShape>,
    variable: Option<String>,
}

fn phase() -> impl Strategy<Value = PhaseShape> {
    (
        duration_text(),
        prop::collection::vec(prop::option::of(duration_text()), 0..4),
        prop::collection::vec(duration_text(), 0..4),
    )
        .prop_map(|(duration, actions, assertions)| PhaseShape {
            duration,
            actions,
            assertions,
        })
}

fn scenario() -> impl Strategy<Value = ScenarioShape> {
    (
        prop::option::of(duration_text()),
        prop::option::of(duration_text()),
        prop::collection::vec(phase(), 0..12),
        prop::option::of(duration_text()),
    )
        .prop_map(|(duration, timeout, phases, variable)| ScenarioShape {
            duration,
            timeout,
            phases,
            variable,
        })
}

/// YAML quoting for generated text.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

fn yaml(shape: &ScenarioShape) -> String {
    let mut out = String::from(
        "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: generated}\nspec:\n",
    );
    if let Some(duration) = &shape.duration {
        out.push_str(&format!("  duration: {}\n", quoted(duration)));
    }
    if let Some(timeout) = &shape.timeout {
        out.push_str(&format!("  timeout: {}\n", quoted(timeout)));
    }
    if let Some(variable) = &shape.variable {
        out.push_str(&format!("  variables: {{wait: {}}}\n", quoted(variable)));
    }
    out.push_str("  phases:\n");
    for (index, phase) in shape.phases.iter().enumerate() {
        let duration = if index == 0 && shape.variable.is_some() {
            "\"{{ .Variables.wait + 1m }}\"".to_owned()
        } else {
            quoted(&phase.duration)
        };
        out.push_str(&format!(
            "    - name: p{index}\n      duration: {duration}\n"
        ));
        let (sequential, parallel): (Vec<_>, Vec<_>) =
            phase.actions.iter().partition(|delay| delay.is_none());
        if !sequential.is_empty() {
            out.push_str("      actions:\n");
            for _ in sequential {
                out.push_str("        - {service: exchange-simulator, action: inject_latency, parameters: {delay_ms: 500}}\n");
            }
        }
        if !parallel.is_empty() {
            out.push_str("      parallel_actions:\n");
            for delay in parallel.into_iter().flatten() {
                out.push_str(&format!("        - {{delay: {}, service: exchange-simulator, action: inject_latency, parameters: {{delay_ms: 500}}}}\n", quoted(delay)));
            }
        }
        if !phase.assertions.is_empty() {
            out.push_str("      assertions:\n");
            for within in &phase.assertions {
                out.push_str(&format!(
                    "        - {{type: risk_alert, expect: alert_generated, within: {}}}\n",
                    quoted(within)
                ));
            }
        }
    }
    out
}

/// Everything the browser and the server do with a scenario's text, up to the
/// drawn timeline; `Some(plan)` when it is accepted.
fn pipeline(text: &str) -> Option<(Plan, String)> {
    let catalog = sandbox_catalog();
    let document = parse_scenario(text).ok()?;
    let rendered = render(&document, &ParameterValues::new()).ok()?;
    let plan = validate(&rendered, &catalog, &ValidateOptions::default()).plan?;
    let _ = plan.timeline_text();
    // Leptos renders a view to HTML only with `ssr`, which `make test` turns on
    // (it tests app together with server); `cargo test -p app` alone skips it.
    // A page renders inside a reactive owner (the timeline's cursor is a signal).
    #[cfg(feature = "ssr")]
    let html = leptos::prelude::Owner::new().with(|| timeline_view(&plan, None, 0).to_html());
    #[cfg(not(feature = "ssr"))]
    let html = String::new();
    Some((plan, html))
}

proptest! {
    #![proptest_config(config())]

    /// Any text: no panic, bounded memory.
    #[test]
    fn any_text_parses_or_is_refused_in_bounded_memory(text in ".{0,3000}") {
        let (peak, _) = peak_bytes(|| pipeline(&text));
        prop_assert!(peak <= MEMORY_BOUND, "{peak} bytes");
    }

    /// Every accepted duration is within the language's bound and prints back
    /// to itself; no text panics the parser.
    #[test]
    fn durations_are_bounded_and_round_trip(text in duration_text()) {
        if let Ok(duration) = parse_duration(&text) {
            prop_assert!(duration <= MAX_DURATION);
            prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
    }

    /// Generated scenarios with any durations, delays and windows: an accepted
    /// one draws a timeline whose size depends on its steps, never on its
    /// length, and no case takes more than the memory bound.
    #[test]
    fn accepted_scenarios_draw_their_timeline_in_bounded_work(shape in scenario()) {
        let text = yaml(&shape);
        let (peak, accepted) = peak_bytes(|| pipeline(&text));
        prop_assert!(peak <= MEMORY_BOUND, "{peak} bytes for\n{text}");
        if let Some((plan, html)) = accepted {
            let steps: usize = plan
                .phases
                .iter()
                .map(|p| 1 + p.actions.len() + p.parallel_actions.len() + p.assertions.len())
                .sum();
            prop_assert!(
                html.len() <= 16_384 + 4_096 * steps,
                "{} bytes of SVG for {steps} steps",
                html.len()
            );
            prop_assert!(html.matches("tl-tick").count() <= 9, "too many ticks");
            for phase in &plan.phases {
                prop_assert!(phase.duration_ms <= MAX_DURATION);
            }
        }
    }

    /// A variable of any size used any number of times: the rendered scenario
    /// is never larger than its text plus the render budget.
    #[test]
    fn template_rendering_is_bounded(size in 0usize..60_000, uses in 0usize..2_000, whole in any::<bool>()) {
        let value = "v".repeat(size);
        let body = if whole {
            format!("tags: [{}]", vec!["\"{{ .Variables.big }}\""; uses].join(", "))
        } else {
            format!("description: \"{}\"", "{{ .Variables.big }}".repeat(uses))
        };
        let text = format!(
            "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: amplified\n  {body}\nspec:\n  variables: {{big: \"{value}\"}}\n  phases: []\n"
        );
        prop_assume!(text.len() <= MAX_INPUT_BYTES);
        let document = parse_scenario(&text).expect("generated text parses");
        let (peak, rendered) = peak_bytes(|| render(&document, &ParameterValues::new()));
        prop_assert!(peak <= MEMORY_BOUND, "{peak} bytes");
        match rendered {
            Ok(rendered) => prop_assert!(
                rendered.root.weight() <= document.root.weight() + MAX_RENDERED_BYTES
            ),
            Err(diagnostics) => {
                prop_assert_eq!(diagnostics.len(), 1);
                prop_assert!(diagnostics[0].message.contains("bytes"));
            }
        }
    }
}

/// The generator's shapes do reach the drawing: the longest scenario the
/// language accepts, with steps in every phase, is accepted and drawn with few
/// ticks (the property above would be vacuous if nothing were accepted).
#[test]
fn the_longest_accepted_scenario_is_drawn_with_few_ticks() {
    let shape = ScenarioShape {
        duration: Some("30d".into()),
        timeout: Some("30d".into()),
        phases: vec![PhaseShape {
            duration: "30d".into(),
            actions: vec![None, Some("29d".into())],
            assertions: vec!["2m".into()],
        }],
        variable: None,
    };
    let text = yaml(&shape);
    let (peak, accepted) = peak_bytes(|| pipeline(&text));
    let (plan, _html) = accepted.unwrap_or_else(|| panic!("accepted:\n{text}"));
    assert_eq!(plan.total_ms, MAX_DURATION);
    assert!(peak <= MEMORY_BOUND, "{peak} bytes");
    #[cfg(feature = "ssr")]
    assert!(
        (2..=9).contains(&_html.matches("tl-tick").count()),
        "{_html}"
    );
}
