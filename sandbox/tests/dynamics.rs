//! The seed scenarios' dynamics, stepped by hand on the `World` (no HTTP,
//! no real time): the effects each assertion expects appear within its
//! `within`, and recovery normalises the ecosystem. HTTP behaviour is
//! covered by `services.rs`.

use sandbox::{Service, World};
use serde_json::{json, Value};

const SEED: u64 = 42;

fn run_for(world: &mut World, sim_s: f64) {
    for _ in 0..(sim_s.round() as u64) {
        world.step();
    }
}

fn run_until(world: &mut World, sim_at: f64) {
    while world.clock.now() < sim_at {
        world.step();
    }
}

/// Steps until `cond` holds or sim time `deadline`; returns the sim seconds it took.
fn within_until(world: &mut World, deadline: f64, cond: impl FnMut(&World) -> bool) -> Option<f64> {
    let left = deadline - world.clock.now();
    within(world, left, cond)
}

/// Steps until `cond` holds or `within_s` passes; returns the sim seconds it took.
fn within(world: &mut World, within_s: f64, mut cond: impl FnMut(&World) -> bool) -> Option<f64> {
    let start = world.clock.now();
    loop {
        if cond(world) {
            return Some(world.clock.now() - start);
        }
        if world.clock.now() - start >= within_s {
            return None;
        }
        // Checking every 5 sim seconds keeps the test fast; assertion
        // windows are minutes to hours.
        for _ in 0..5 {
            world.step();
        }
    }
}

fn inject(world: &mut World, service: Service, action: &str, params: Value) -> Value {
    world
        .inject(service, action, &params, Some("exec-test".into()))
        .unwrap_or_else(|e| panic!("{action} refused: {e}"))
}

fn alert_active(world: &World, kind: &str) -> bool {
    world.risk.active().iter().any(|a| a.alert_type == kind)
}

fn strategy(world: &World, name: &str) -> Value {
    let now = world.clock.now();
    world
        .engine
        .strategy(name)
        .map(|s| s.to_json(now, &world.market))
        .unwrap_or(Value::Null)
}

fn usdt_deviation(world: &World) -> f64 {
    world.market.published("USDT-USD").unwrap_or(1.0) - 1.0
}

#[test]
fn basic_market_disruption_raises_adapts_and_recovers() {
    let mut world = World::new(SEED, 1.0);
    run_for(&mut world, 300.0);
    assert!(
        world.risk.active().is_empty(),
        "quiet baseline: {:?}",
        world.risk.active()
    );
    let baseline = strategy(&world, "arbitrage");
    assert!(
        baseline["baseline"]["p95_latency_ms"]
            .as_f64()
            .is_some_and(|p| p < 250.0),
        "{baseline}"
    );

    inject(
        &mut world,
        Service::ExchangeSimulator,
        "inject_latency",
        json!({"delay_ms": 500, "operations": ["place_order", "cancel_order"], "affected_accounts": ["strategy-arbitrage"]}),
    );
    let raised = within(&mut world, 120.0, |w| alert_active(w, "execution_latency"));
    assert!(
        raised.is_some_and(|t| t <= 30.0),
        "execution_latency raised after {raised:?}"
    );
    let adapted = within(&mut world, 300.0, |w| {
        strategy(w, "arbitrage")["adapted"] == json!(true)
    });
    assert!(
        adapted.is_some_and(|t| t <= 60.0),
        "adapted after {adapted:?}"
    );
    let p95 = strategy(&world, "arbitrage")["p95_latency_ms"]
        .as_f64()
        .unwrap_or(0.0);
    assert!(p95 > 500.0, "p95 {p95}");
    // Only the arbitrage account is slowed.
    assert!(world
        .risk
        .active()
        .iter()
        .all(|a| a.alert_type != "execution_latency" || a.subject == "arbitrage"));
    run_for(&mut world, 600.0);

    world.clear(Service::ExchangeSimulator, Some("exec-test".into()));
    let cleared = within(&mut world, 120.0, |w| w.risk.active().is_empty());
    assert!(
        cleared.is_some_and(|t| t <= 90.0),
        "alerts cleared after {cleared:?}: {:?}",
        world.risk.active()
    );
    let normal = within(&mut world, 180.0, |w| {
        let s = strategy(w, "arbitrage");
        s["performance"]["normalized"] == json!(true) && s["adapted"] == json!(false)
    });
    assert!(
        normal.is_some(),
        "normal operations: {}",
        strategy(&world, "arbitrage")
    );
    let resolved = world.risk.resolved();
    let alert = resolved
        .iter()
        .find(|a| a.alert_type == "execution_latency")
        .expect("resolved alert");
    assert!(alert.resolved_at_sim_s.is_some());
    assert_eq!(alert.correlation_id.as_deref(), Some("exec-test"));
}

#[test]
fn stablecoin_depeg_scenario_holds_by_behaviour() {
    let h = 3600.0;
    let mut world = World::new(SEED, 1.0);
    // A sandbox that has been up a while, as under `serve`.
    run_for(&mut world, 600.0);

    // setup (1h)
    inject(
        &mut world,
        Service::TradingEngine,
        "start_strategy",
        json!({"strategy": "arbitrage", "config": {"min_spread_bps": 5, "max_position_size": 10.0}}),
    );
    run_for(&mut world, h);
    assert!(
        world.risk.active().is_empty(),
        "quiet setup: {:?}",
        world.risk.active()
    );
    let base_opps = strategy(&world, "arbitrage")["baseline"]["opportunities_per_hour"].as_f64();
    assert!(base_opps.is_some(), "baseline measured");

    // gradual_depeg (24h)
    let phase = world.clock.now();
    inject(
        &mut world,
        Service::MarketDataSimulator,
        "stablecoin_depeg",
        json!({"symbol": "USDT-USD", "target_deviation": "-0.05", "duration_hours": 24, "pattern": "gradual_linear"}),
    );
    let activity = within(&mut world, 2.0 * h, |w| {
        strategy(w, "arbitrage")["performance"]["increased_activity"] == json!(true)
    });
    assert!(
        activity.is_some_and(|t| t < h),
        "increased activity after {activity:?} ({base_opps:?} at baseline)"
    );
    let breach = within_until(&mut world, phase + 4.0 * h, |w| {
        alert_active(w, "correlation_breach")
    });
    assert!(
        breach.is_some(),
        "correlation_breach within 4h (deviation {})",
        usdt_deviation(&world)
    );
    assert!(world.clock.now() - phase < 4.0 * h);
    assert!(
        !alert_active(&world, "position_limit_breach"),
        "no breach before liquidity dries up"
    );
    run_until(&mut world, phase + 12.0 * h);
    inject(
        &mut world,
        Service::CustodianSimulator,
        "delay_settlements",
        json!({"settlement_types": ["crypto_external"], "delay_duration": "24h"}),
    );
    let two_pct = within(&mut world, 13.0 * h, |w| usdt_deviation(w) <= -0.02);
    assert!(two_pct.is_some(), "deviation reached 2 %");
    let delay = within(&mut world, 4.0 * h, |w| alert_active(w, "settlement_delay"));
    assert!(delay.is_some(), "settlement_delay raised");
    run_until(&mut world, phase + 24.0 * h);
    assert!(
        usdt_deviation(&world) < -0.045,
        "deviation {}",
        usdt_deviation(&world)
    );
    assert!(
        !alert_active(&world, "position_limit_breach"),
        "{}",
        strategy(&world, "arbitrage")
    );

    // peak_stress (6h)
    let phase = world.clock.now();
    inject(
        &mut world,
        Service::ExchangeSimulator,
        "reduce_liquidity",
        json!({"symbols": ["USDT-BTC", "USDT-ETH"], "reduction_factor": 0.5}),
    );
    let wider = within(&mut world, 1800.0, |w| {
        w.books()
            .iter()
            .any(|b| b.symbol == "USDT-BTC" && b.spread_bps > 2.0 * b.baseline_spread_bps)
    });
    assert!(
        wider.is_some_and(|t| t <= 60.0),
        "wider spreads after {wider:?}"
    );
    let escalation = within(&mut world, h, |w| alert_active(w, "risk_escalation"));
    assert!(escalation.is_some(), "risk_escalation within 1h");
    let limits = within_until(&mut world, phase + 2.0 * h, |w| {
        alert_active(w, "position_limit_breach")
    });
    assert!(
        limits.is_some(),
        "position limit breached within 2h: {}",
        strategy(&world, "arbitrage")
    );
    run_until(&mut world, phase + 6.0 * h);

    // recovery (5h)
    let phase = world.clock.now();
    inject(
        &mut world,
        Service::MarketDataSimulator,
        "price_recovery",
        json!({"symbol": "USDT-USD", "target_price": 1.0, "recovery_hours": 4}),
    );
    inject(
        &mut world,
        Service::CustodianSimulator,
        "resume_normal_settlement",
        json!({}),
    );
    inject(
        &mut world,
        Service::ExchangeSimulator,
        "restore_liquidity",
        json!({}),
    );
    let repeg = within(&mut world, 5.0 * h, |w| usdt_deviation(w).abs() <= 0.005);
    assert!(repeg.is_some(), "repegged within 5h");
    let stable = within_until(&mut world, phase + 4.0 * h, |w| w.risk.active().is_empty());
    assert!(
        stable.is_some(),
        "all alerts resolved within 4h: {:?}",
        world.risk.active()
    );
    let normal = within_until(&mut world, phase + 5.0 * h, |w| {
        strategy(w, "arbitrage")["performance"]["normalized"] == json!(true)
    });
    assert!(
        normal.is_some(),
        "performance normalized: {}",
        strategy(&world, "arbitrage")
    );
    let kinds: Vec<&str> = world.risk.resolved().iter().map(|a| a.alert_type).collect();
    for kind in [
        "correlation_breach",
        "liquidity_crisis",
        "position_limit_breach",
        "risk_escalation",
        "settlement_delay",
    ] {
        assert!(
            kinds.contains(&kind),
            "{kind} raised and resolved: {kinds:?}"
        );
    }
}
