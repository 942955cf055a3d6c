//! Tests of [`super`].

use super::*;
use crate::scenario::parse::parse_scenario;

const TEMPLATE: &str = r#"apiVersion: chaos.trading/v1
kind: Template
metadata:
  name: "t-{{ .Parameters.target }}"
parameters:
  - name: target
    type: string
    required: true
  - name: duration
    type: duration
    default: 15m
  - name: intensity
    type: float
    default: 0.5
    min: 0.0
    max: 1.0
  - name: mode
    type: enum
    values: [latency, downtime]
    default: latency
spec:
  duration: "{{ .Parameters.duration + 10m }}"
  variables:
    extra: 2h
    symbols: [A, B]
  phases:
    - name: chaos
      duration: "{{ .Parameters.duration }}"
      actions:
        - service: "{{ .Parameters.target }}"
          action: "{{ .Parameters.mode }}"
          parameters:
            intensity: "{{ .Parameters.intensity }}"
            note: "{{ .Parameters.intensity }} for {{ .Parameters.duration - 5m }}"
            symbols: "{{ .Variables.symbols }}"
            total: "{{ .Variables.extra + .Parameters.duration }}"
"#;

fn rendered(values: ParameterValues) -> Result<Node, Vec<Diagnostic>> {
    render(&parse_scenario(TEMPLATE).expect("parses"), &values).map(|document| document.root)
}

fn at<'n>(node: &'n Node, path: &str) -> &'n Node {
    let mut current = node;
    for key in path.split('.') {
        current = current.get(key).unwrap_or_else(|| panic!("{path} exists"));
    }
    current
}

#[test]
fn whole_scalar_expressions_keep_their_type() {
    let root =
        rendered(ParameterValues::new().with("target", "exchange-simulator")).expect("renders");
    let spec = at(&root, "spec");
    assert_eq!(
        spec.get("duration").map(|n| n.value.clone()),
        Some(NodeValue::String("25m".into()))
    );
    let phases = spec.get("phases").expect("phases");
    let NodeValue::Sequence(phases) = &phases.value else {
        panic!("a list")
    };
    let action = match &phases[0].get("actions").expect("actions").value {
        NodeValue::Sequence(actions) => actions[0].clone(),
        _ => panic!("a list"),
    };
    let parameters = action.get("parameters").expect("parameters");
    assert_eq!(
        parameters.get("intensity").map(|n| n.value.clone()),
        Some(NodeValue::Float(0.5))
    );
    assert_eq!(
        parameters.get("note").map(|n| n.value.clone()),
        Some(NodeValue::String("0.5 for 10m".into()))
    );
    assert_eq!(
        parameters.get("symbols").map(Node::to_json),
        Some(serde_json::json!(["A", "B"]))
    );
    assert_eq!(
        parameters.get("total").map(|n| n.value.clone()),
        Some(NodeValue::String("2h15m".into()))
    );
    assert_eq!(
        action.get("service").and_then(Node::as_str),
        Some("exchange-simulator")
    );
    assert_eq!(at(&root, "kind").as_str(), Some("Scenario"));
    assert!(root.get("parameters").is_none());
    assert_eq!(
        at(&root, "metadata.name").as_str(),
        Some("t-exchange-simulator")
    );
}

#[test]
fn text_values_are_converted_to_the_declared_type() {
    let values = parse_params_kv("target=x, duration=1h, intensity=0.9").expect("reads");
    let root = rendered(values).expect("renders");
    assert_eq!(at(&root, "spec.duration").as_str(), Some("1h10m"));
}

#[test]
fn a_missing_required_parameter_is_named_at_its_declaration() {
    let errors = rendered(ParameterValues::new()).expect_err("target is required");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].kind, DiagnosticKind::Template);
    assert_eq!(errors[0].path, "parameters[0]");
    assert_eq!(errors[0].line, Some(6));
    assert!(errors[0].message.contains("`target`"));
}

#[test]
fn bad_values_unknown_parameters_and_bad_enum_words_are_all_reported() {
    let values = parse_params_kv("target=x,intensity=2,mode=sideways,tagret=y,duration=soon")
        .expect("reads");
    let errors = rendered(values).expect_err("all wrong");
    let paths: Vec<_> = errors.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "params.tagret",
            "parameters[1]",
            "parameters[2]",
            "parameters[3]"
        ]
    );
    assert_eq!(errors[0].hint.as_deref(), Some("did you mean `target`?"));
    assert!(
        errors[2].message.contains("above the maximum"),
        "{}",
        errors[2].message
    );
    assert!(
        errors[3].message.contains("`latency`, `downtime`"),
        "{}",
        errors[3].message
    );
}

#[test]
fn expression_errors_name_the_place_they_are_in() {
    let text = TEMPLATE.replace("{{ .Parameters.mode }}", "{{ .Parameters.modes }}");
    let errors = render(
        &parse_scenario(&text).expect("parses"),
        &ParameterValues::new().with("target", "x"),
    )
    .expect_err("typo");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, "phases[0].actions[0].action");
    assert_eq!(errors[0].line, Some(31));
    assert!(
        errors[0].message.contains("did you mean `mode`?"),
        "{}",
        errors[0].message
    );
}

#[test]
fn expressions_that_repeat_a_large_value_are_refused_once_past_the_budget() {
    // A 100 KB variable used 1,000 times inline (the tester's 119 KB → 100 MB
    // request) and as whole scalars: one diagnostic, no 100 MB string.
    let big = "x".repeat(100_000);
    let uses = "{{ .Variables.big }}".repeat(1_000);
    for body in [
        format!("description: \"{uses}\""),
        format!(
            "tags: [{}]",
            vec!["\"{{ .Variables.big }}\""; 1_000].join(", ")
        ),
    ] {
        let text = format!(
                "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: amplified\n  {body}\nspec:\n  variables:\n    big: \"{big}\"\n  phases: []\n"
            );
        let document = parse_scenario(&text).expect("parses");
        let errors = render(&document, &ParameterValues::new()).expect_err("refused");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].kind, DiagnosticKind::Template);
        assert!(
            errors[0].message.contains("more than 1048576 bytes"),
            "{}",
            errors[0].message
        );
    }
    // Within the budget a variable is used as often as wanted.
    let text = format!(
            "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: fine\n  description: \"{}\"\nspec:\n  variables:\n    small: \"abc\"\n  phases: []\n",
            "{{ .Variables.small }}".repeat(1_000)
        );
    let rendered = render(&parse_scenario(&text).unwrap(), &ParameterValues::new()).unwrap();
    assert_eq!(
        rendered
            .root
            .get("metadata")
            .unwrap()
            .get("description")
            .unwrap()
            .as_str()
            .unwrap()
            .len(),
        3_000
    );
}

#[test]
fn duration_arithmetic_stops_at_the_longest_duration() {
    let parameters = BTreeMap::from([(
        "d".to_owned(),
        Rendered::Duration(super::super::duration::MAX_DURATION),
    )]);
    let failed = BTreeSet::new();
    let budget = Budget::new();
    let scope = Scope {
        budget: &budget,
        parameters: &parameters,
        failed: &failed,
        declared: &[],
        variables: None,
    };
    let error = evaluate(".Parameters.d + 1ms", &scope).expect_err("too long");
    assert!(error.contains("longer than 30d"), "{error}");
}

#[test]
fn arithmetic_on_durations_and_numbers() {
    let parameters = BTreeMap::from([
        ("d".to_owned(), Rendered::Duration(Duration::from_secs(900))),
        ("n".to_owned(), Rendered::Int(3)),
        ("f".to_owned(), Rendered::Float(0.5)),
    ]);
    let variables = BTreeMap::from([("v".to_owned(), Rendered::Text("24h".into()))]);
    let failed = BTreeSet::new();
    let budget = Budget::new();
    let scope = Scope {
        budget: &budget,
        parameters: &parameters,
        failed: &failed,
        declared: &[],
        variables: Some(&variables),
    };
    let eval = |text| evaluate(text, &scope);
    assert_eq!(
        eval(" .Parameters.d + 10m "),
        Ok(Rendered::Duration(Duration::from_secs(1500)))
    );
    assert_eq!(
        eval(".Parameters.d-5m+1h30m"),
        Ok(Rendered::Duration(Duration::from_secs(6000)))
    );
    assert_eq!(
        eval(".Variables.v - 1h"),
        Ok(Rendered::Duration(Duration::from_secs(82_800)))
    );
    assert_eq!(eval(".Parameters.n + 2"), Ok(Rendered::Int(5)));
    assert_eq!(eval(".Parameters.n - -2"), Ok(Rendered::Int(5)));
    assert_eq!(eval(".Parameters.f + 1"), Ok(Rendered::Float(1.5)));
    assert!(eval(".Parameters.d + 5")
        .unwrap_err()
        .contains("durations add to durations"));
    assert!(eval(".Parameters.d - 1h").unwrap_err().contains("negative"));
    assert!(eval(".Parameter.d")
        .unwrap_err()
        .contains("did you mean `Parameters`?"));
    assert!(eval(".Parameters.d *").is_err());
    assert!(eval("").is_err());
    assert!(render_text("{{ .Parameters.d", &scope)
        .unwrap_err()
        .contains("never closed"));
}

#[test]
fn plain_scenarios_render_their_variables() {
    let text = "kind: Scenario\nspec:\n  variables: {target: -0.05, delay: 24h}\n  phases:\n    - parameters: {a: \"{{ .Variables.target }}\", b: \"{{ .Variables.delay }}\"}\n";
    let root = render(
        &parse_scenario(text).expect("parses"),
        &ParameterValues::new(),
    )
    .expect("renders")
    .root;
    let json = root.to_json();
    assert_eq!(
        json["spec"]["phases"][0]["parameters"]["a"],
        serde_json::json!(-0.05)
    );
    assert_eq!(json["spec"]["phases"][0]["parameters"]["b"], "24h");
    assert_eq!(json["kind"], "Scenario");
}

#[test]
fn parameter_values_read_from_yaml_json_and_key_value_text() {
    let from_kv = parse_params_kv("a=1, b = x ,").expect("reads");
    assert_eq!(from_kv.values["a"], "1");
    assert_eq!(from_kv.values["b"], "x");
    assert!(parse_params_kv("a=1,b").is_err());
    assert!(parse_params_kv("a=1,a=2").is_err());
    let from_yaml = parse_params_document("a: 1\nb: [x]\n").expect("reads");
    assert_eq!(from_yaml.values["b"], serde_json::json!(["x"]));
    let from_json = parse_params_document(r#"{"a": 0.5}"#).expect("reads");
    assert_eq!(from_json.values["a"], serde_json::json!(0.5));
    assert!(parse_params_document("[1]").is_err());
}
