//! The trading ecosystem's domain assertions (DESIGN.md §4), answered from the
//! sandbox's observation APIs (docs/sandbox.md). Each reads the live state and
//! decides; polling until the window ends is the engine's job.

use serde_json::{json, Value};

use super::{fail, param_f64, param_str, pass, unreachable, Registry};
use crate::engine::{AssertionCall, CheckOutcome};

const RISK: &str = "risk-monitor";
const TRADING: &str = "trading-engine";
const MARKET: &str = "market-data-simulator";
const EXCHANGE: &str = "exchange-simulator";
const AUDIT: &str = "audit-correlator";

/// Checks a domain assertion type; `None` when `call.kind` is not one.
pub async fn check(registry: &Registry, call: &AssertionCall) -> Option<CheckOutcome> {
    Some(match call.kind.as_str() {
        "risk_alert" => risk_alert(registry, call).await,
        "alert_resolution" => alert_resolution(registry, call).await,
        "emergency_procedures" => active_alert(registry, call, "risk_escalation", None).await,
        "strategy_active" => strategy_active(registry, call).await,
        "trading_performance" => trading_performance(registry, call).await,
        "trading_adaptation" => {
            strategy_flag(
                registry,
                call,
                "/adapted",
                "adapted to the conditions",
                "has not adapted",
            )
            .await
        }
        "trading_impact" => trading_impact(registry, call).await,
        "arbitrage_opportunity" => arbitrage_opportunity(registry, call).await,
        "performance_recovery" => performance_recovery(registry, call).await,
        "position_limits" => position_limits(registry, call).await,
        "price_divergence" => price_deviation(registry, call, true).await,
        "price_recovery" => price_deviation(registry, call, false).await,
        "liquidity_crisis" => liquidity_crisis(registry, call).await,
        "system_stabilization" => system_stabilization(registry, call).await,
        "audit_correlation" => audit_correlation(registry, call).await,
        _ => return None,
    })
}

/// Severity words ranked so `severity: high` accepts high and critical alerts.
fn severity_rank(word: &str) -> u8 {
    match word {
        "low" | "info" => 0,
        "medium" | "warning" => 1,
        "high" => 2,
        "critical" => 3,
        _ => 1,
    }
}

/// The alert type an assertion asks for: its `alert_type`, or the one its
/// `expect` word names (`correlation_breach_alert`).
fn wanted_alert(call: &AssertionCall) -> Option<String> {
    param_str(call, "alert_type")
        .map(str::to_owned)
        .or_else(|| call.expect.strip_suffix("_alert").map(str::to_owned))
}

async fn active_alerts(registry: &Registry, call: &AssertionCall) -> Result<Vec<Value>, String> {
    let body = registry
        .get_json(call, RISK, "/api/v1/alerts/active")
        .await?;
    Ok(body["alerts"].as_array().cloned().unwrap_or_default())
}

async fn active_alert(
    registry: &Registry,
    call: &AssertionCall,
    alert_type: &str,
    min_severity: Option<&str>,
) -> CheckOutcome {
    let alerts = match active_alerts(registry, call).await {
        Ok(a) => a,
        Err(e) => return unreachable(e),
    };
    let floor = min_severity.map_or(0, severity_rank);
    let matching: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["type"] == alert_type)
        .filter(|a| a["severity"].as_str().map_or(0, severity_rank) >= floor)
        .collect();
    match matching.first() {
        Some(alert) => pass(
            format!(
                "{alert_type} alert active since {} ({})",
                alert["raised_at"].as_str().unwrap_or("?"),
                alert["severity"].as_str().unwrap_or("?")
            ),
            (*alert).clone(),
        ),
        None => {
            let types: Vec<&str> = alerts.iter().filter_map(|a| a["type"].as_str()).collect();
            fail(
                format!(
                    "no active {alert_type} alert{} (active: {})",
                    min_severity
                        .map(|s| format!(" of severity {s} or above"))
                        .unwrap_or_default(),
                    if types.is_empty() {
                        "none".to_owned()
                    } else {
                        types.join(", ")
                    }
                ),
                json!({ "active_alerts": alerts }),
            )
        }
    }
}

async fn risk_alert(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    match wanted_alert(call) {
        Some(alert_type) => {
            active_alert(registry, call, &alert_type, param_str(call, "severity")).await
        }
        None => match active_alerts(registry, call).await {
            Ok(alerts) if !alerts.is_empty() => pass(
                format!("{} alerts active", alerts.len()),
                json!({ "active_alerts": alerts }),
            ),
            Ok(_) => fail("no risk alert is active", json!({ "active_alerts": [] })),
            Err(e) => unreachable(e),
        },
    }
}

async fn alert_resolution(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let alerts = match active_alerts(registry, call).await {
        Ok(a) => a,
        Err(e) => return unreachable(e),
    };
    let wanted = param_str(call, "alert_type");
    let open: Vec<&Value> = alerts
        .iter()
        .filter(|a| wanted.is_none_or(|t| a["type"] == t))
        .collect();
    let evidence = json!({ "active_alerts": alerts });
    if open.is_empty() {
        pass(
            format!(
                "no {}alerts active",
                wanted.map(|t| format!("{t} ")).unwrap_or_default()
            ),
            evidence,
        )
    } else {
        let types: Vec<&str> = open.iter().filter_map(|a| a["type"].as_str()).collect();
        fail(format!("still active: {}", types.join(", ")), evidence)
    }
}

/// The strategy an assertion names: `strategy`, or the one in its expect word
/// (`arbitrage_running`), else arbitrage (the seed's default strategy).
fn strategy_name(call: &AssertionCall) -> String {
    param_str(call, "strategy")
        .map(str::to_owned)
        .or_else(|| {
            call.expect
                .strip_suffix("_running")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "arbitrage".to_owned())
}

async fn strategy(registry: &Registry, call: &AssertionCall, name: &str) -> Result<Value, String> {
    registry
        .get_json(call, TRADING, &format!("/api/v1/strategies/{name}"))
        .await
}

async fn strategies(registry: &Registry, call: &AssertionCall) -> Result<Vec<Value>, String> {
    let body = registry
        .get_json(call, TRADING, "/api/v1/strategies")
        .await?;
    Ok(body["strategies"].as_array().cloned().unwrap_or_default())
}

async fn strategy_active(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let name = if call.expect == "running" {
        param_str(call, "strategy")
            .unwrap_or("arbitrage")
            .to_owned()
    } else {
        strategy_name(call)
    };
    match strategy(registry, call, &name).await {
        Ok(s) if s["state"] == "running" => pass(
            format!("{name} is running ({} orders/min)", s["orders_per_minute"]),
            s,
        ),
        Ok(s) => fail(format!("{name} is {}", s["state"]), s),
        Err(e) => unreachable(e),
    }
}

async fn strategy_flag(
    registry: &Registry,
    call: &AssertionCall,
    pointer: &str,
    yes: &str,
    no: &str,
) -> CheckOutcome {
    let name = strategy_name(call);
    match strategy(registry, call, &name).await {
        Ok(s) if s.pointer(pointer) == Some(&Value::Bool(true)) => pass(format!("{name} {yes}"), s),
        Ok(s) => fail(format!("{name} {no}"), s),
        Err(e) => unreachable(e),
    }
}

async fn trading_performance(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let name = strategy_name(call);
    let s = match strategy(registry, call, &name).await {
        Ok(s) => s,
        Err(e) => return unreachable(e),
    };
    let p95 = s["p95_latency_ms"].as_f64();
    let success = s["success_rate"].as_f64();
    let mut outside = Vec::new();
    if let (Some(bound), Some(p95)) = (param_f64(call, "max_latency_ms"), p95) {
        if p95 > bound {
            outside.push(format!("p95 {p95:.0} ms > {bound} ms"));
        }
    }
    if let (Some(bound), Some(rate)) = (param_f64(call, "min_success_rate"), success) {
        if rate < bound {
            outside.push(format!("success rate {rate:.3} < {bound}"));
        }
    }
    let degraded = s.pointer("/performance/degraded") == Some(&Value::Bool(true));
    let figures = format!(
        "p95 {} ms, success rate {}",
        p95.map_or("-".into(), |v| format!("{v:.0}")),
        success.map_or("-".into(), |v| format!("{v:.3}"))
    );
    match call.expect.as_str() {
        // Slower than its baseline, yet within the bounds given: graceful degradation.
        "degraded_execution" if degraded && outside.is_empty() => {
            pass(format!("{name} degraded within bounds: {figures}"), s)
        }
        "degraded_execution" if !degraded => fail(format!("{name} is not degraded: {figures}"), s),
        "normal_execution" if !degraded && outside.is_empty() => {
            pass(format!("{name} normal: {figures}"), s)
        }
        "normal_execution" if degraded => fail(format!("{name} is degraded: {figures}"), s),
        "within_limits" if outside.is_empty() => {
            pass(format!("{name} within limits: {figures}"), s)
        }
        _ => fail(
            format!("{name} outside its bounds: {}", outside.join(", ")),
            s,
        ),
    }
}

async fn trading_impact(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let list = match strategies(registry, call).await {
        Ok(l) => l,
        Err(e) => {
            // A trading engine that cannot be asked is itself an impact only if it is down;
            // report it as not observed.
            return unreachable(e);
        }
    };
    let wanted = param_str(call, "strategy");
    let hit: Vec<&Value> = list
        .iter()
        .filter(|s| wanted.is_none_or(|w| s["name"] == w))
        .filter(|s| s.pointer("/performance/degraded") == Some(&Value::Bool(true)))
        .collect();
    let evidence = json!({ "strategies": list });
    if hit.is_empty() {
        fail("no strategy shows degraded performance", evidence)
    } else {
        let names: Vec<&str> = hit.iter().filter_map(|s| s["name"].as_str()).collect();
        pass(
            format!("degraded performance in {}", names.join(", ")),
            evidence,
        )
    }
}

async fn arbitrage_opportunity(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let s = match strategy(registry, call, "arbitrage").await {
        Ok(s) => s,
        Err(e) => return unreachable(e),
    };
    let ratio = s
        .pointer("/performance/activity_ratio")
        .and_then(Value::as_f64);
    let increased = match param_f64(call, "min_increase") {
        Some(factor) => ratio.is_some_and(|r| r >= factor),
        None => s.pointer("/performance/increased_activity") == Some(&Value::Bool(true)),
    };
    let detail = format!(
        "{} opportunities/h, {} × baseline",
        s["opportunities_per_hour"]
            .as_f64()
            .map_or("-".into(), |v| format!("{v:.0}")),
        ratio.map_or("-".into(), |r| format!("{r:.1}"))
    );
    if increased {
        pass(format!("arbitrage activity increased: {detail}"), s)
    } else {
        fail(format!("arbitrage activity not increased: {detail}"), s)
    }
}

async fn performance_recovery(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let list = match strategies(registry, call).await {
        Ok(l) => l,
        Err(e) => return unreachable(e),
    };
    let wanted = param_str(call, "strategy");
    let considered: Vec<&Value> = list
        .iter()
        .filter(|s| {
            wanted.map_or(s["state"] == "running" || s["state"] == "crashed", |w| {
                s["name"] == w
            })
        })
        .collect();
    let lagging: Vec<&str> = considered
        .iter()
        .filter(|s| s.pointer("/performance/normalized") != Some(&Value::Bool(true)))
        .filter_map(|s| s["name"].as_str())
        .collect();
    let evidence = json!({ "strategies": list });
    if considered.is_empty() {
        fail("no strategy to judge", evidence)
    } else if lagging.is_empty() {
        pass(
            format!(
                "{} strategies back to baseline performance",
                considered.len()
            ),
            evidence,
        )
    } else {
        fail(
            format!("not back to baseline: {}", lagging.join(", ")),
            evidence,
        )
    }
}

async fn position_limits(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let list = match strategies(registry, call).await {
        Ok(l) => l,
        Err(e) => return unreachable(e),
    };
    let wanted = param_str(call, "strategy");
    let breached: Vec<String> = list
        .iter()
        .filter(|s| wanted.is_none_or(|w| s["name"] == w))
        .filter(|s| s["position_limit_breached"] == true)
        .map(|s| {
            format!(
                "{} (position {} > limit {})",
                s["name"].as_str().unwrap_or("?"),
                s["position"],
                s["position_limit"]
            )
        })
        .collect();
    let evidence = json!({ "strategies": list });
    match (call.expect.as_str(), breached.is_empty()) {
        ("within_limits", true) => pass("every position is within its limit", evidence),
        ("within_limits", false) => fail(
            format!("limits breached: {}", breached.join(", ")),
            evidence,
        ),
        (_, false) => pass(
            format!("limits breached: {}", breached.join(", ")),
            evidence,
        ),
        (_, true) => fail("no position limit is breached", evidence),
    }
}

async fn price_deviation(
    registry: &Registry,
    call: &AssertionCall,
    diverged: bool,
) -> CheckOutcome {
    let symbol = param_str(call, "symbol").unwrap_or("USDT-USD");
    let view = match registry
        .get_json(call, MARKET, &format!("/api/v1/prices/{symbol}"))
        .await
    {
        Ok(v) => v,
        Err(e) => return unreachable(e),
    };
    let Some(deviation) = view["deviation"].as_f64() else {
        return fail(format!("{symbol} has no peg to deviate from"), view);
    };
    let price = view["price"].as_f64().unwrap_or(f64::NAN);
    if diverged {
        let min = param_f64(call, "min_deviation").unwrap_or(0.01);
        if deviation.abs() >= min {
            pass(
                format!(
                    "{symbol} at {price:.4}, {:.2}% off its peg (≥ {:.2}%)",
                    deviation.abs() * 100.0,
                    min * 100.0
                ),
                view,
            )
        } else {
            fail(
                format!(
                    "{symbol} at {price:.4}, only {:.2}% off its peg (< {:.2}%)",
                    deviation.abs() * 100.0,
                    min * 100.0
                ),
                view,
            )
        }
    } else {
        let max = param_f64(call, "max_deviation").unwrap_or(0.005);
        if deviation.abs() <= max {
            pass(
                format!(
                    "{symbol} back at {price:.4}, {:.2}% off its peg (≤ {:.2}%)",
                    deviation.abs() * 100.0,
                    max * 100.0
                ),
                view,
            )
        } else {
            fail(
                format!(
                    "{symbol} at {price:.4}, still {:.2}% off its peg (> {:.2}%)",
                    deviation.abs() * 100.0,
                    max * 100.0
                ),
                view,
            )
        }
    }
}

async fn liquidity_crisis(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let body = match registry.get_json(call, EXCHANGE, "/api/v1/books").await {
        Ok(b) => b,
        Err(e) => return unreachable(e),
    };
    let books = body["books"].as_array().cloned().unwrap_or_default();
    let symbols: Option<Vec<&str>> = call
        .parameters
        .get("symbols")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect());
    let factor = param_f64(call, "min_factor").unwrap_or(1.5);
    let wide: Vec<String> = books
        .iter()
        .filter(|b| {
            symbols
                .as_ref()
                .is_none_or(|s| b["symbol"].as_str().is_some_and(|x| s.contains(&x)))
        })
        .filter(|b| b["spread_ratio"].as_f64().is_some_and(|r| r >= factor))
        .map(|b| {
            format!(
                "{} {:.1}×",
                b["symbol"].as_str().unwrap_or("?"),
                b["spread_ratio"].as_f64().unwrap_or(0.0)
            )
        })
        .collect();
    let evidence = json!({ "books": books });
    if wide.is_empty() {
        fail(
            format!("no spread is {factor}× its baseline or wider"),
            evidence,
        )
    } else {
        pass(format!("spreads widened: {}", wide.join(", ")), evidence)
    }
}

async fn system_stabilization(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let health = super::health::system(registry, call).await;
    if !health.passed {
        return health;
    }
    match active_alerts(registry, call).await {
        Ok(alerts) => {
            let critical: Vec<&str> = alerts
                .iter()
                .filter(|a| a["severity"] == "critical")
                .filter_map(|a| a["type"].as_str())
                .collect();
            let evidence = json!({ "health": health.evidence, "active_alerts": alerts });
            if critical.is_empty() {
                pass(
                    "every service healthy and no critical alert active",
                    evidence,
                )
            } else {
                fail(
                    format!("critical alerts still active: {}", critical.join(", ")),
                    evidence,
                )
            }
        }
        Err(e) => unreachable(e),
    }
}

async fn audit_correlation(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let id = call.execution_id.to_string();
    let body = match registry
        .get_json(call, AUDIT, &format!("/api/v1/events?correlation_id={id}"))
        .await
    {
        Ok(b) => b,
        Err(e) => return unreachable(e),
    };
    let events = body["events"].as_array().cloned().unwrap_or_default();
    let expected = call
        .parameters
        .get("expected_event_count")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    let threshold = param_f64(call, "correlation_threshold").unwrap_or(1.0);
    let correlated = events.len() as u64;
    let ratio = if expected == 0 {
        1.0
    } else {
        (correlated as f64 / expected as f64).min(1.0)
    };
    let evidence = json!({ "correlation_id": id, "count": correlated, "expected": expected, "ratio": ratio, "events": events });
    if ratio >= threshold {
        pass(format!("{correlated} audit events carry this execution's id (expected {expected}, ratio {ratio:.2} ≥ {threshold})"), evidence)
    } else {
        fail(
            format!(
                "only {correlated} of {expected} expected audit events carry this execution's id"
            ),
            evidence,
        )
    }
}
