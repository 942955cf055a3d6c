//! `http`: call a path on a configured service and check the status, JSON-pointer
//! comparisons (`==` `!=` `<` `<=` `>` `>=` `contains` `matches`) and a latency bound.

use std::time::Instant;

use serde_json::{json, Value};

use super::{fail, pass, unreachable, Registry};
use crate::{
    adapters::chaos_api::decode_body,
    engine::{AssertionCall, CheckOutcome},
};

/// Whether `observed <op> expected` holds. Numbers compare as numbers;
/// `contains` works on strings and arrays; `matches` is a glob with `*`.
pub fn compare(observed: &Value, op: &str, expected: &Value) -> Result<bool, String> {
    let numbers = observed.as_f64().zip(expected.as_f64());
    Ok(match op {
        "==" => numbers.map_or_else(|| observed == expected, |(a, b)| a == b),
        "!=" => numbers.map_or_else(|| observed != expected, |(a, b)| a != b),
        "<" | "<=" | ">" | ">=" => {
            let (a, b) = numbers
                .ok_or_else(|| format!("{op} needs numbers, saw {observed} and {expected}"))?;
            match op {
                "<" => a < b,
                "<=" => a <= b,
                ">" => a > b,
                _ => a >= b,
            }
        }
        "contains" => match (observed, expected) {
            (Value::String(s), Value::String(part)) => s.contains(part.as_str()),
            (Value::Array(items), item) => items.contains(item),
            (Value::Object(map), Value::String(key)) => map.contains_key(key),
            _ => false,
        },
        "matches" => {
            let (Some(text), Some(pattern)) = (observed.as_str(), expected.as_str()) else {
                return Err("matches needs a string and a pattern".to_owned());
            };
            fault_proxy::book::glob(pattern, text)
        }
        other => {
            return Err(format!(
                "unknown comparison {other:?} (use == != < <= > >= contains matches)"
            ))
        }
    })
}

/// Checks every `{pointer, op, value}` of `checks` against `body`.
pub fn check_all(body: &Value, checks: &[Value]) -> Result<Vec<String>, String> {
    let mut failed = Vec::new();
    for check in checks {
        let pointer = check
            .get("pointer")
            .and_then(Value::as_str)
            .ok_or("each check needs a `pointer`")?;
        let op = check.get("op").and_then(Value::as_str).unwrap_or("==");
        let expected = check.get("value").cloned().unwrap_or(Value::Null);
        let observed = body.pointer(pointer).cloned().unwrap_or(Value::Null);
        if !compare(&observed, op, &expected)? {
            failed.push(format!("{pointer} is {observed}, expected {op} {expected}"));
        }
    }
    Ok(failed)
}

pub async fn check(registry: &Registry, call: &AssertionCall) -> CheckOutcome {
    let Some(service) = call
        .service
        .as_deref()
        .and_then(|s| registry.services().get(s))
    else {
        return fail(
            "an http assertion needs the `service` it calls, configured",
            Value::Null,
        );
    };
    let Some(path) = call
        .parameters
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| p.starts_with('/'))
    else {
        return fail(
            "an http assertion needs a `path` starting with '/'",
            Value::Null,
        );
    };
    let method = call
        .parameters
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET");
    let Ok(method) = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
        return fail(format!("{method:?} is not an HTTP method"), Value::Null);
    };
    let url = format!("{}{}", service.url.as_str().trim_end_matches('/'), path);
    let started = Instant::now();
    let response = registry
        .client
        .request(method, &url)
        .timeout(service.timeout)
        .send()
        .await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let response = match response {
        Ok(r) => r,
        Err(e) => return unreachable(format!("{} did not answer {path}: {e}", service.name)),
    };
    let status = response.status().as_u16();
    let body = decode_body(&response.bytes().await.unwrap_or_default());
    let evidence = json!({"status": status, "latency_ms": latency_ms, "body": body});
    let mut problems = Vec::new();
    let expected_status = call.parameters.get("status").and_then(Value::as_u64);
    match expected_status {
        Some(expected) if u64::from(status) != expected => {
            problems.push(format!("status {status}, expected {expected}"))
        }
        None if !(200..300).contains(&status) => problems.push(format!("status {status}")),
        _ => {}
    }
    if let Some(bound) = call
        .parameters
        .get("max_latency_ms")
        .and_then(Value::as_f64)
    {
        if latency_ms > bound {
            problems.push(format!("took {latency_ms:.1} ms, more than {bound} ms"));
        }
    }
    let checks = call
        .parameters
        .get("checks")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    match check_all(&body, checks) {
        Ok(failed) => problems.extend(failed),
        Err(error) => return fail(error, evidence),
    }
    if problems.is_empty() {
        pass(
            format!(
                "{} {path}: status {status} and every check held",
                service.name
            ),
            evidence,
        )
    } else {
        fail(problems.join("; "), evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_cover_numbers_strings_and_lists() {
        assert!(compare(&json!(3), "==", &json!(3.0)).unwrap());
        assert!(compare(&json!(2), "<", &json!(3)).unwrap());
        assert!(!compare(&json!(4), "<=", &json!(3)).unwrap());
        assert!(compare(&json!("healthy"), "!=", &json!("down")).unwrap());
        assert!(compare(&json!(["a", "b"]), "contains", &json!("b")).unwrap());
        assert!(compare(
            &json!("exchange latency high"),
            "contains",
            &json!("latency")
        )
        .unwrap());
        assert!(compare(
            &json!("strategy-arbitrage"),
            "matches",
            &json!("strategy-*")
        )
        .unwrap());
        assert!(!compare(&json!("risk"), "matches", &json!("strategy-*")).unwrap());
        assert!(compare(&json!("x"), ">", &json!(1)).is_err());
        assert!(compare(&json!(1), "~", &json!(1)).is_err());
    }

    #[test]
    fn checks_report_each_pointer_that_failed() {
        let body = json!({"alerts": [{"type": "execution_latency"}], "count": 1});
        let failed = check_all(
            &body,
            &[
                json!({"pointer": "/alerts/0/type", "value": "execution_latency"}),
                json!({"pointer": "/count", "op": ">", "value": 2}),
            ],
        )
        .unwrap();
        assert_eq!(failed, ["/count is 1, expected > 2"]);
    }
}
