//! The catalog's tests.

use super::*;
use serde_json::json;

#[test]
fn an_action_spec_reads_the_capabilities_json_of_a_service() {
    let spec: ActionSpec = serde_json::from_value(json!({
        "name": "inject_latency",
        "description": "Slow down operations",
        "parameters": [
            {"name": "delay_ms", "type": "int", "required": true, "min": 0, "max": 600000, "description": "ms"},
            {"name": "operations", "type": "list", "items": "string", "values": ["place_order", "cancel_order"]},
            {"name": "pattern", "type": "enum", "values": ["sudden", "gradual"]},
            {"name": "duration", "type": "duration"},
            {"name": "config", "type": "object"}
        ]
    }))
    .expect("capabilities JSON deserialises");
    assert_eq!(spec.parameters.len(), 5);
    assert!(spec.parameters[0].required);
    assert!(!spec.parameters[1].required, "required defaults to false");
    assert_eq!(spec.parameters[1].items, Some(ParamType::String));
    assert_eq!(spec.parameters[0].max, Some(600_000.0));
}

#[test]
fn values_are_checked_against_type_range_and_allowed_words() {
    let delay = ParamSpec::new("delay_ms", ParamType::Int).range(Some(0.0), Some(600_000.0));
    assert!(delay.check(&json!(500)).is_ok());
    assert!(delay
        .check(&json!("500"))
        .unwrap_err()
        .contains("expected an integer"));
    assert!(delay
        .check(&json!(700_000))
        .unwrap_err()
        .contains("above the maximum"));
    assert!(delay.check(&json!(1.5)).is_err());

    let rate = ParamSpec::new("rate", ParamType::Float).range(Some(0.0), Some(1.0));
    assert!(rate.check(&json!(1)).is_ok(), "floats accept integers");
    assert!(rate
        .check(&json!(-0.1))
        .unwrap_err()
        .contains("below the minimum"));

    let pattern = ParamSpec::new("pattern", ParamType::Enum).values(&["sudden", "gradual"]);
    assert!(pattern.check(&json!("sudden")).is_ok());
    assert!(pattern
        .check(&json!("slow"))
        .unwrap_err()
        .contains("`sudden`, `gradual`"));

    let ops = ParamSpec::new("operations", ParamType::List)
        .items(ParamType::String)
        .values(&["place_order"]);
    assert!(ops.check(&json!(["place_order"])).is_ok());
    assert!(ops.check(&json!(["fly"])).unwrap_err().contains("item 0"));

    let duration = ParamSpec::new("duration", ParamType::Duration);
    assert!(duration.check(&json!("1h30m")).is_ok());
    assert!(duration.check(&json!("soon")).is_err());
}

#[test]
fn object_items_are_checked_against_their_fields() {
    let checks = &Catalog::builtin_assertions()["http"].parameters[3];
    assert!(checks
        .check(&json!([{"pointer": "/status", "op": "==", "value": "ok"}]))
        .is_ok());
    assert!(checks
        .check(&json!([{"pointer": "/status", "op": "~"}]))
        .is_err());
    assert!(checks
        .check(&json!([{"op": "=="}]))
        .unwrap_err()
        .contains("pointer"));
    assert!(checks
        .check(&json!([{"pointer": "/a", "op": "==", "x": 1}]))
        .unwrap_err()
        .contains("`x`"));
}

#[test]
fn kinds_imply_their_actions() {
    let mut catalog = Catalog::new();
    catalog.add_service(
        "exchange",
        ServiceSpec {
            kind: ServiceKind::ChaosApi,
            actions: vec![ActionSpec::new("inject_latency", vec![])],
        },
    );
    catalog.add_service(
        "worker",
        ServiceSpec {
            kind: ServiceKind::Process,
            actions: vec![],
        },
    );
    assert!(catalog.action("exchange", "clear_all_chaos").is_some());
    assert!(catalog.action("exchange", "http").is_some());
    assert!(catalog.action("exchange", "restart").is_none());
    assert!(catalog.action("worker", "restart").is_some());
    assert!(catalog.action("worker", "clear_chaos").is_none());
    assert!(catalog.action("nowhere", "http").is_none());
    assert_eq!(
        catalog.action_names("exchange"),
        ["inject_latency", "clear_chaos", "clear_all_chaos", "http"]
    );
}

#[test]
fn the_builtin_assertions_are_the_engine_s_types() {
    let assertions = Catalog::builtin_assertions();
    assert_eq!(assertions.len(), 22);
    assert!(
        assertions["metric"].expect.is_empty(),
        "metric takes an expression"
    );
    assert!(assertions["risk_alert"]
        .expect
        .contains(&"correlation_breach_alert".to_owned()));
    assert_eq!(assertions["service_health"].service, ServiceUse::Required);
    let mut catalog = Catalog::new();
    catalog.add_assertion("queue_depth", AssertionSpec::new(&["below"], vec![]));
    assert!(catalog.assertions.contains_key("queue_depth"));
    let json = serde_json::to_string(&catalog).expect("serialises");
    assert_eq!(
        serde_json::from_str::<Catalog>(&json).expect("reads"),
        catalog
    );
}

#[test]
fn actions_inject_clear_or_leave_chaos_alone() {
    for action in [
        "inject_latency",
        "simulate_downtime",
        "kill",
        "stablecoin_depeg",
    ] {
        assert_eq!(chaos_effect(action), ChaosEffect::Injects, "{action}");
    }
    for action in [
        "clear_chaos",
        "clear_all_chaos",
        "restore_liquidity",
        "restart",
    ] {
        assert_eq!(chaos_effect(action), ChaosEffect::Clears, "{action}");
    }
    for action in ["http", "start", "start_strategy", "scale_strategies"] {
        assert_eq!(chaos_effect(action), ChaosEffect::Neutral, "{action}");
    }
}

#[test]
fn every_builtin_assertion_type_has_its_role_from_the_one_table() {
    let assertions = Catalog::builtin_assertions();
    // Every type is listed in the role table (none falls back to the default)…
    assert_eq!(assertions.len(), assertions::ROLES.len());
    for (name, spec) in &assertions {
        assert!(
            assertions::ROLES.iter().any(|(listed, _)| listed == name),
            "{name} has no role in the catalog"
        );
        // …and the spec carries the role that `assertion_role` answers.
        assert_eq!(spec.role, assertion_role(name, ""), "{name}");
    }
    let with = |role: AssertionRole| -> Vec<&str> {
        assertions
            .iter()
            .filter(|(_, spec)| spec.role == role)
            .map(|(name, _)| name.as_str())
            .collect()
    };
    assert_eq!(
        with(AssertionRole::Detection),
        ["emergency_procedures", "position_limits", "risk_alert"]
    );
    assert_eq!(
        with(AssertionRole::Recovery),
        [
            "alert_resolution",
            "performance_recovery",
            "price_recovery",
            "service_health",
            "system_recovery",
            "system_stabilization"
        ]
    );
    // A `metric` on the recovery time shows recovery; other metrics and unknown
    // (custom) types are checks.
    assert_eq!(
        assertion_role("metric", "recovery_time <= 30s"),
        AssertionRole::Recovery
    );
    assert_eq!(
        assertion_role("metric", "p95_latency_ms <= 150"),
        AssertionRole::Check
    );
    assert_eq!(assertion_role("queue_depth", "below"), AssertionRole::Check);
}
