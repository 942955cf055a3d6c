//! The configured services: their list, their health and active chaos, and
//! clearing chaos on them.

use app::api::{
    rest::{ClearChaosResult, ClearChaosResults, ServiceHealth, SystemState},
    ui::{ClearedChaos, ServiceState},
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
                let reply = self
                    .client
                    .get(format!("{chaos_base}{path}/status"))
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

    /// Health and active chaos of every service, for the UI.
    pub async fn service_states(&self) -> Result<Vec<ServiceState>, ApiError> {
        let state = self.system_state().await?;
        Ok(state
            .services
            .into_iter()
            .map(|s| ServiceState {
                has_chaos_api: self
                    .config
                    .services
                    .get(&s.name)
                    .is_some_and(|c| c.chaos_api_path.is_some()),
                url: s.url,
                healthy: s.healthy,
                status: s.status,
                active_chaos: s.active_chaos,
                name: s.name,
            })
            .collect())
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
            let outcome = self
                .client
                .post(&url)
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
