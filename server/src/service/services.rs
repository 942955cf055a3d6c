//! The configured services: their list, their health and active chaos, and
//! clearing chaos on them.

use std::time::Duration;

use app::api::{
    proxy::{ProxyRefusal, ProxyStatus},
    recording::RecordedEventType,
    rest::{
        ClearChaosResult, ClearChaosResults, InjectChaosRequest, InjectedChaos, ServiceHealth,
        SystemState,
    },
    ui::{ClearedChaos, ProxyFault, ProxyView, ServiceState},
    ApiError, ErrorKind, ServiceInfo,
};
use serde_json::{json, Value};

use super::Coordinator;

impl Coordinator {
    /// The configured services, by name.
    pub fn services(&self) -> Vec<ServiceInfo> {
        self.config.services.values().map(|s| s.info()).collect()
    }

    /// Health and active chaos of every service, and the executions running.
    pub async fn system_state(&self) -> Result<SystemState, ApiError> {
        // Every service at once: one slow service costs its own timeout, not
        // the sum of everyone's (up to 36 s when they were probed in turn).
        let probes = self.config.services.values().map(|service| async move {
            let base = service.url.as_str().trim_end_matches('/').to_owned();
            let timeout = service.timeout.min(std::time::Duration::from_secs(3));
            let health = self
                .client
                .get(format!("{base}{}", service.health_endpoint))
                .timeout(timeout)
                .send();
            let chaos = async {
                let path = service.chaos_api_path.as_ref()?;
                let chaos_base = service.chaos_base().as_str().trim_end_matches('/');
                let reply = service
                    .chaos_auth(self.client.get(format!("{chaos_base}{path}/status")))
                    .timeout(timeout)
                    .send()
                    .await
                    .ok()?;
                reply.json::<Value>().await.ok()?.get("active").cloned()
            };
            let (health, chaos) = futures::join!(health, chaos);
            let (healthy, status) = match &health {
                Ok(r) => (r.status().is_success(), Some(r.status().as_u16())),
                Err(_) => (false, None),
            };
            ServiceHealth {
                name: service.name.clone(),
                url: base,
                healthy,
                status,
                active_chaos: chaos.unwrap_or(Value::Null),
            }
        });
        let services = futures::future::join_all(probes).await;
        let executions = self.active_executions().await?;
        Ok(SystemState {
            services,
            executions,
        })
    }

    /// Health and active chaos of every service, for the UI; a proxied
    /// service's proxy with its faults' leases and its counters.
    pub async fn service_states(&self) -> Result<Vec<ServiceState>, ApiError> {
        let (state, proxies) = futures::join!(
            self.system_state(),
            futures::future::join_all(
                self.config
                    .services
                    .values()
                    .filter(|s| s.proxy.is_some())
                    .map(|s| async move { (s.name.clone(), self.proxy_view(s).await) })
            )
        );
        let mut proxies: std::collections::HashMap<String, ProxyView> =
            proxies.into_iter().collect();
        Ok(state?
            .services
            .into_iter()
            .map(|s| ServiceState {
                has_chaos_api: self
                    .config
                    .services
                    .get(&s.name)
                    .is_some_and(|c| c.chaos_api_path.is_some()),
                proxy: proxies.remove(&s.name),
                url: s.url,
                healthy: s.healthy,
                status: s.status,
                active_chaos: s.active_chaos,
                name: s.name,
            })
            .collect())
    }

    /// `service`'s proxy as its chaos API reports it now.
    async fn proxy_view(&self, service: &crate::config::ServiceConfig) -> ProxyView {
        let mut view = ProxyView {
            listen: String::new(),
            upstream: String::new(),
            protocol: String::new(),
            reachable: false,
            faults: Vec::new(),
            requests: Default::default(),
        };
        let (Some(proxy), Some(path)) = (&service.proxy, &service.chaos_api_path) else {
            return view;
        };
        view.listen = proxy.listen.to_string();
        view.upstream = proxy.upstream.clone();
        view.protocol = serde_json::to_value(proxy.protocol)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let url = format!(
            "{}{path}/status",
            service.chaos_base().as_str().trim_end_matches('/')
        );
        let status = async {
            let reply = service
                .chaos_auth(self.client.get(&url))
                .timeout(Duration::from_secs(3))
                .send()
                .await
                .ok()?;
            reply.json::<ProxyStatus>().await.ok()
        };
        let Some(status) = status.await else {
            return view;
        };
        view.reachable = true;
        view.faults = status
            .active
            .into_iter()
            .map(|f| ProxyFault {
                parameters: serde_json::Value::Object(f.parameters).to_string(),
                id: f.id,
                action: f.action,
                owner: f.owner,
                remaining_ms: f.remaining_ms,
            })
            .collect();
        view.requests = status.requests;
        view
    }

    /// Injects a fault by hand on `name` through its chaos API (docs/proxy.md,
    /// "By hand"): no execution holds it, so on a proxied service it lives
    /// its `ttl` (default `proxy.manual_lease`), then the proxy clears it.
    pub async fn inject_chaos(
        &self,
        name: &str,
        request: InjectChaosRequest,
    ) -> Result<InjectedChaos, ApiError> {
        let service = self.config.services.get(name).ok_or_else(|| {
            ApiError::new(ErrorKind::NotFound, format!("no service named {name:?}"))
        })?;
        let Some(path) = &service.chaos_api_path else {
            return Err(ApiError::new(
                ErrorKind::InvalidRequest,
                format!("{name} has no chaos API: faults are injected through a chaos API or a proxy (docs/proxy.md)"),
            ));
        };
        let action = request.action.trim();
        let well_formed = !action.is_empty()
            && action.len() <= 64
            && action
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !well_formed {
            return Err(ApiError::new(
                ErrorKind::InvalidRequest,
                "action is a name of at most 64 characters: a-z, 0-9, `_` and `-`",
            ));
        }
        if crate::adapters::is_clear_action(action) {
            return Err(ApiError::new(
                ErrorKind::InvalidRequest,
                "to clear chaos, POST /api/v1/services/clear-chaos",
            ));
        }
        let mut body = Value::Object(request.parameters);
        if let Some(ttl) = &request.ttl {
            if service.proxy.is_none() {
                return Err(ApiError::new(
                    ErrorKind::InvalidRequest,
                    format!("ttl is for proxied services; {name} is not behind a proxy (its actions take a `duration` parameter where they offer one)"),
                ));
            }
            let parsed = app::scenario::duration::parse_duration(ttl).ok();
            let bounds = Duration::from_secs(1)..=Duration::from_secs(24 * 3600);
            if !parsed.is_some_and(|d| bounds.contains(&d)) {
                return Err(ApiError::new(
                    ErrorKind::InvalidRequest,
                    format!(
                        "ttl must be a duration from 1s to 24h, like `90s` or `10m`, not {ttl:?}"
                    ),
                ));
            }
            body["ttl"] = Value::String(ttl.clone());
        }
        let url = format!(
            "{}{path}/{}",
            service.chaos_base().as_str().trim_end_matches('/'),
            action.replace('_', "-")
        );
        let sent = time::OffsetDateTime::now_utc();
        // As an execution would send it: a hand-made fault's `ttl` is not
        // one of the action's parameters.
        let mut parameters = body.as_object().cloned().unwrap_or_default();
        parameters.remove("ttl");
        let reply = service
            .chaos_auth(self.client.post(&url))
            .json(&body)
            .timeout(service.timeout)
            .send()
            .await
            .map_err(|error| {
                ApiError::new(
                    ErrorKind::Unavailable,
                    format!("{name}'s chaos API did not answer: {error}"),
                )
            })?;
        let status = reply.status();
        let answer = reply.bytes().await.unwrap_or_default();
        if status.is_success() {
            tracing::info!(service = name, action, "fault injected by hand");
            self.recorder.capture(
                RecordedEventType::ChaosInjected {
                    service: name.to_owned(),
                    action: action.to_owned(),
                    parameters,
                },
                sent,
            );
            return Ok(InjectedChaos {
                service: name.to_owned(),
                action: action.to_owned(),
                response: serde_json::from_slice(&answer).unwrap_or_default(),
            });
        }
        let refusal = serde_json::from_slice::<ProxyRefusal>(&answer).ok();
        let message = refusal.as_ref().map_or_else(
            || format!("{name} answered {status}"),
            |r| r.error.message.clone(),
        );
        let kind = match status.as_u16() {
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            422 => ErrorKind::Validation,
            400..=499 => ErrorKind::InvalidRequest,
            _ => ErrorKind::Unavailable,
        };
        let mut error = ApiError::new(kind, format!("{name} refused {action}: {message}"));
        if let Some(refusal) = refusal {
            error.details = serde_json::to_value(refusal.error.details).unwrap_or_default();
        }
        Err(error)
    }

    /// Clears chaos on one service or all chaos-API services.
    pub async fn clear_chaos(&self, service: Option<&str>) -> Result<ClearChaosResults, ApiError> {
        let targets: Vec<&crate::config::ServiceConfig> = match service {
            Some(name) => vec![self.config.services.get(name).ok_or_else(|| {
                ApiError::new(ErrorKind::NotFound, format!("no service named {name:?}"))
            })?],
            None => self
                .config
                .services
                .values()
                .filter(|s| s.chaos_api_path.is_some())
                .collect(),
        };
        let mut results = Vec::new();
        for target in targets {
            let Some(path) = &target.chaos_api_path else {
                return Err(ApiError::new(
                    ErrorKind::InvalidRequest,
                    format!("{} has no chaos API", target.name),
                ));
            };
            let url = format!(
                "{}{path}/clear",
                target.chaos_base().as_str().trim_end_matches('/')
            );
            let sent = time::OffsetDateTime::now_utc();
            let outcome = target
                .chaos_auth(self.client.post(&url))
                .json(&json!({}))
                .timeout(target.timeout)
                .send()
                .await;
            let (ok, detail) = match outcome {
                Ok(r) => (
                    r.status().is_success(),
                    r.json::<Value>().await.unwrap_or(Value::Null),
                ),
                Err(e) => (false, json!({ "error": e.to_string() })),
            };
            if ok {
                self.recorder.capture(
                    RecordedEventType::ChaosCleared {
                        service: target.name.clone(),
                    },
                    sent,
                );
            }
            results.push(ClearChaosResult {
                service: target.name.clone(),
                cleared: ok,
                response: detail,
            });
        }
        Ok(ClearChaosResults { results })
    }

    /// [`Coordinator::clear_chaos`] as the UI shows it: cleared or not, per service.
    pub async fn clear_chaos_outcomes(
        &self,
        service: Option<&str>,
    ) -> Result<Vec<ClearedChaos>, ApiError> {
        let outcome = self.clear_chaos(service).await?;
        Ok(outcome
            .results
            .into_iter()
            .map(|r| ClearedChaos {
                service: r.service,
                cleared: r.cleared,
            })
            .collect())
    }
}
