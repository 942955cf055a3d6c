//! The assertion registry (DESIGN.md §4): one checker per `type`, each querying
//! configured services. The engine calls [`Registry`] through
//! [`AssertionChecker`]; every check returns passed, a message and the JSON it
//! saw as evidence — an unreachable service is a failed check, not an error.
//!
//! - [`health`]: `system_health`, `system_recovery`, `service_health`, `exchange_health`.
//! - [`http`]: `http` — status, JSON-pointer comparisons, latency bound.
//! - [`trading`]: the sandbox ecosystem's domain types (`risk_alert`, …).
//! - [`custom`]: types declared in config as an HTTP query plus a JSON condition.
//! - `prometheus`: a PromQL query compared to a bound.

pub mod custom;
pub mod health;
pub mod http;
pub mod prometheus;
pub mod trading;

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::Instant,
};

use futures::future::BoxFuture;
use reqwest::{Client, Url};
use serde_json::{json, Value};

use crate::{
    adapters::chaos_api::decode_body,
    config::ServiceConfig,
    engine::{AssertionCall, AssertionChecker, CheckOutcome, ExecutionId},
};

/// Checks every assertion type over the configured services.
pub struct Registry {
    client: Client,
    services: Arc<BTreeMap<String, ServiceConfig>>,
    prometheus: Option<Url>,
    custom: Vec<custom::CustomAssertion>,
    /// Per-assertion memory across polls: consecutive health passes, baselines.
    memory: Mutex<HashMap<(ExecutionId, String, u64), Value>>,
}

impl Registry {
    /// A registry over `services`, sharing `client`'s connection pool.
    pub fn new(
        client: Client,
        services: BTreeMap<String, ServiceConfig>,
        prometheus: Option<Url>,
        custom: Vec<custom::CustomAssertion>,
    ) -> Self {
        Self {
            client,
            services: Arc::new(services),
            prometheus,
            custom,
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// GETs `path` on `service`: the status, the body (JSON when it is JSON) and
    /// the latency in ms; `Err` with a message when the service is not configured
    /// or does not answer.
    pub(crate) async fn get(
        &self,
        call: &AssertionCall,
        service: &str,
        path: &str,
    ) -> Result<(u16, Value, f64), String> {
        let (status, bytes, latency) = self.get_bytes(call, service, path).await?;
        Ok((status, decode_body(&bytes), latency))
    }

    /// [`Self::get`] with the body as it came.
    async fn get_bytes(
        &self,
        call: &AssertionCall,
        service: &str,
        path: &str,
    ) -> Result<(u16, axum::body::Bytes, f64), String> {
        let config = self
            .services
            .get(service)
            .ok_or_else(|| format!("service {service:?} is not configured"))?;
        let url = format!("{}{}", config.url.as_str().trim_end_matches('/'), path);
        let started = Instant::now();
        let response = self
            .client
            .get(&url)
            .timeout(config.timeout)
            .header("X-Execution-Id", call.execution_id.to_string())
            .header("X-Chaos-Time-Scale", call.speed.to_string())
            .send()
            .await
            .map_err(|e| {
                format!(
                    "{service} did not answer {path}: {}",
                    crate::adapters::reply::describe_transport_error(&e)
                )
            })?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| {
            format!(
                "{service} answered {status} to {path}, but {}",
                crate::adapters::reply::describe_transport_error(&e)
            )
        })?;
        Ok((status, bytes, started.elapsed().as_secs_f64() * 1000.0))
    }

    /// GETs JSON from `service`, failing on a non-2xx status.
    pub(crate) async fn get_json(
        &self,
        call: &AssertionCall,
        service: &str,
        path: &str,
    ) -> Result<Value, String> {
        let (status, bytes, _) = self.get_bytes(call, service, path).await?;
        if !(200..300).contains(&status) {
            return Err(format!("{service} answered {status} to {path}"));
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        crate::adapters::reply::parse_json(&format!("{service}'s reply to {path}"), status, &bytes)
    }

    /// Remembered state of this assertion across polls.
    pub(crate) fn recall(&self, call: &AssertionCall) -> Option<Value> {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&memory_key(call))
            .cloned()
    }

    /// Remembers state of this assertion for its next poll.
    pub(crate) fn remember(&self, call: &AssertionCall, value: Value) {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(memory_key(call), value);
    }

    fn forget(&self, call: &AssertionCall) {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&memory_key(call));
    }

    pub(crate) fn services(&self) -> &BTreeMap<String, ServiceConfig> {
        &self.services
    }

    async fn dispatch(&self, call: &AssertionCall) -> CheckOutcome {
        match call.kind.as_str() {
            "system_health" | "system_recovery" => health::system(self, call).await,
            "service_health" | "exchange_health" => health::service(self, call).await,
            "http" => http::check(self, call).await,
            "prometheus" => prometheus::check(&self.client, self.prometheus.as_ref(), call).await,
            kind => {
                if let Some(custom) = self.custom.iter().find(|c| c.name == kind) {
                    custom.check(self, call).await
                } else if let Some(outcome) = trading::check(self, call).await {
                    outcome
                } else {
                    fail(
                        format!("no checker for assertion type {kind:?}"),
                        Value::Null,
                    )
                }
            }
        }
    }
}

fn memory_key(call: &AssertionCall) -> (ExecutionId, String, u64) {
    (
        call.execution_id,
        call.kind.clone(),
        crate::engine::clock::millis(call.window_start),
    )
}

impl AssertionChecker for Registry {
    fn check<'a>(&'a self, call: &'a AssertionCall) -> BoxFuture<'a, CheckOutcome> {
        Box::pin(async move {
            let outcome = self.dispatch(call).await;
            if outcome.passed {
                self.forget(call);
            }
            outcome
        })
    }

    fn execution_ended(&self, id: ExecutionId) {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(execution, _, _), _| *execution != id);
    }
}

/// A passing check.
pub(crate) fn pass(message: impl Into<String>, evidence: Value) -> CheckOutcome {
    CheckOutcome {
        passed: true,
        message: message.into(),
        evidence,
    }
}

/// A failing check.
pub(crate) fn fail(message: impl Into<String>, evidence: Value) -> CheckOutcome {
    CheckOutcome {
        passed: false,
        message: message.into(),
        evidence,
    }
}

/// A failing check because a service could not be asked.
pub(crate) fn unreachable(message: String) -> CheckOutcome {
    fail(message.clone(), json!({ "error": message }))
}

/// A parameter as f64.
pub(crate) fn param_f64(call: &AssertionCall, name: &str) -> Option<f64> {
    call.parameters.get(name).and_then(Value::as_f64)
}

/// A parameter as a string.
pub(crate) fn param_str<'a>(call: &'a AssertionCall, name: &str) -> Option<&'a str> {
    call.parameters.get(name).and_then(Value::as_str)
}

#[cfg(test)]
mod memory_tests {
    use super::*;

    fn call(execution_id: ExecutionId) -> AssertionCall {
        AssertionCall {
            execution_id,
            speed: 1.0,
            kind: "system_recovery".into(),
            expect: "all_services_healthy".into(),
            service: None,
            parameters: Value::Null,
            window_start: std::time::Duration::from_secs(60),
            attempt: 1,
        }
    }

    #[test]
    fn what_an_execution_kept_between_checks_is_forgotten_when_it_ends() {
        let registry = Registry::new(Client::new(), BTreeMap::new(), None, Vec::new());
        let (ended, running) = (ExecutionId::new(), ExecutionId::new());
        registry.remember(&call(ended), Value::from(2));
        registry.remember(&call(running), Value::from(1));
        registry.execution_ended(ended);
        assert_eq!(registry.recall(&call(ended)), None);
        assert_eq!(registry.recall(&call(running)), Some(Value::from(1)));
    }
}
