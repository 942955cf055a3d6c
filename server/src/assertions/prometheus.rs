//! `prometheus`: a PromQL instant query against the configured Prometheus,
//! compared to a bound: `{query, op (default >=), value}`.

use reqwest::{Client, Url};
use serde_json::{json, Value};

use super::{fail, http::compare, pass, unreachable};
use crate::engine::{AssertionCall, CheckOutcome};

pub async fn check(
    client: &Client,
    prometheus: Option<&Url>,
    call: &AssertionCall,
) -> CheckOutcome {
    let Some(base) = prometheus else {
        return fail(
            "no Prometheus is configured (prometheus.url in config.yaml, or PROMETHEUS_URL)",
            Value::Null,
        );
    };
    let Some(query) = call.parameters.get("query").and_then(Value::as_str) else {
        return fail("a prometheus assertion needs a `query`", Value::Null);
    };
    let op = call
        .parameters
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or(">=");
    let bound = call.parameters.get("value").cloned().unwrap_or(Value::Null);
    let Ok(url) = base.join("api/v1/query") else {
        return fail(format!("bad Prometheus URL {base}"), Value::Null);
    };
    let response = match client.get(url).query(&[("query", query)]).send().await {
        Ok(r) => r,
        Err(e) => {
            return unreachable(format!(
                "Prometheus did not answer: {}",
                crate::adapters::reply::describe_transport_error(&e)
            ))
        }
    };
    let status = response.status().as_u16();
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => {
            return unreachable(format!(
                "Prometheus answered {status}, but {}",
                crate::adapters::reply::describe_transport_error(&e)
            ))
        }
    };
    let body = match crate::adapters::reply::parse_json("Prometheus's reply", status, &bytes) {
        Ok(body) => body,
        Err(message) => return fail(message, Value::Null),
    };
    let sample = body
        .pointer("/data/result/0/value/1")
        .and_then(Value::as_str)
        .and_then(|v| v.parse::<f64>().ok());
    let Some(sample) = sample else {
        return fail(format!("{query} returned no sample"), body);
    };
    let evidence = json!({"query": query, "value": sample, "response": body});
    match compare(&json!(sample), op, &bound) {
        Ok(true) => pass(format!("{query} = {sample} {op} {bound}"), evidence),
        Ok(false) => fail(
            format!("{query} = {sample}, expected {op} {bound}"),
            evidence,
        ),
        Err(error) => fail(error, evidence),
    }
}
