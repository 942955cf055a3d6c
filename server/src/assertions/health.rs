//! Health assertions: every (or the required) service's health endpoint answers
//! 2xx, `health_check_passes` times in a row.

use serde_json::{json, Value};

use super::{fail, pass, Registry};
use crate::engine::{AssertionCall, CheckOutcome};

/// Short names people use in `required_services` (`exchange` for `exchange-simulator`).
fn resolve<'a>(registry: &'a Registry, name: &str) -> Option<&'a str> {
    let services = registry.services();
    if let Some((key, _)) = services.get_key_value(name) {
        return Some(key.as_str());
    }
    services
        .keys()
        .find(|key| key.split('-').next() == Some(name) || key.starts_with(&format!("{name}-")))
        .map(String::as_str)
}

/// `system_health` / `system_recovery`: all services, or `required_services`.
pub async fn system(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let names: Vec<String> = match call
        .parameters
        .get("required_services")
        .and_then(Value::as_array)
    {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        None => registry.services().keys().cloned().collect(),
    };
    let mut report = serde_json::Map::new();
    let mut unhealthy = Vec::new();
    for name in &names {
        let Some(service) = resolve(registry, name) else {
            unhealthy.push(format!("{name} (not configured)"));
            report.insert(
                name.clone(),
                json!({"healthy": false, "error": "not configured"}),
            );
            continue;
        };
        let endpoint = registry.services()[service].health_endpoint.clone();
        match registry.get(call, service, &endpoint).await {
            Ok((status, body, latency)) => {
                let healthy = (200..300).contains(&status);
                if !healthy {
                    unhealthy.push(format!("{service} ({status})"));
                }
                report.insert(service.to_owned(), json!({"healthy": healthy, "status": status, "latency_ms": latency, "body": body}));
            }
            Err(error) => {
                unhealthy.push(format!("{service} (no answer)"));
                report.insert(
                    service.to_owned(),
                    json!({"healthy": false, "error": error}),
                );
            }
        }
    }
    consecutive(
        registry,
        call,
        unhealthy.is_empty(),
        names.len(),
        &unhealthy,
        Value::Object(report),
    )
}

/// `service_health` / `exchange_health`: the assertion's `service`, with
/// `expect: healthy` (2xx) or `down` (no answer or non-2xx); `degraded` holds
/// when the service answers but reports itself not healthy or is slow (> 1 s).
pub async fn service(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let Some(name) = call
        .service
        .as_deref()
        .or_else(|| call.parameters.get("service").and_then(Value::as_str))
    else {
        return fail("this assertion needs a `service`", Value::Null);
    };
    let Some(service) = resolve(registry, name) else {
        return fail(format!("service {name:?} is not configured"), Value::Null);
    };
    let endpoint = registry.services()[service].health_endpoint.clone();
    let observed = registry.get(call, service, &endpoint).await;
    let (healthy, evidence) = match &observed {
        Ok((status, body, latency)) => (
            (200..300).contains(status),
            json!({"status": status, "latency_ms": latency, "body": body}),
        ),
        Err(error) => (false, json!({"error": error})),
    };
    match call.expect.as_str() {
        "down" if !healthy => pass(format!("{service} is down"), evidence),
        "down" => fail(format!("{service} is still healthy"), evidence),
        "degraded" => {
            let slow = evidence["latency_ms"].as_f64().is_some_and(|l| l > 1000.0);
            let reported = evidence["body"]["status"]
                .as_str()
                .is_some_and(|s| s != "healthy");
            if observed.is_ok() && (slow || reported || !healthy) {
                pass(format!("{service} is degraded"), evidence)
            } else {
                fail(format!("{service} is not degraded"), evidence)
            }
        }
        _ => consecutive(
            registry,
            call,
            healthy,
            1,
            &if healthy {
                vec![]
            } else {
                vec![service.to_owned()]
            },
            evidence,
        ),
    }
}

/// Passes once `healthy` has been seen `health_check_passes` polls in a row.
fn consecutive(
    registry: &Registry,
    call: &AssertionCall,
    healthy: bool,
    total: usize,
    unhealthy: &[String],
    evidence: Value,
) -> CheckOutcome {
    let needed = call
        .parameters
        .get("health_check_passes")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1);
    let streak = if healthy {
        registry.recall(call).and_then(|v| v.as_u64()).unwrap_or(0) + 1
    } else {
        0
    };
    registry.remember(call, json!(streak));
    let evidence = json!({"services": evidence, "consecutive_passes": streak, "needed": needed});
    if !healthy {
        fail(
            format!(
                "{} of {total} services unhealthy: {}",
                unhealthy.len(),
                unhealthy.join(", ")
            ),
            evidence,
        )
    } else if streak >= needed {
        pass(
            format!("all {total} services healthy ({streak} checks in a row)"),
            evidence,
        )
    } else {
        fail(
            format!("healthy {streak} of {needed} checks in a row so far"),
            evidence,
        )
    }
}
