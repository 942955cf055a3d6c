//! The seed's environment variables (`TEST_COORDINATOR_PORT`,
//! `EXCHANGE_SIMULATOR_URL`, …) applied over the settings.

use serde::de::IgnoredAny;

use super::{invalid, ConfigError, Settings};

impl Settings {
    /// Applies the seed's environment variables; `var` reads one (so tests need
    /// not touch the process environment).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let c = &mut self.test_coordinator;
        if let Some(v) = var("TEST_COORDINATOR_HOST") {
            c.host = v;
        }
        if let Some(v) = var("TEST_COORDINATOR_PORT") {
            c.port = parse_env("TEST_COORDINATOR_PORT", &v, "a port number (1-65535)")?;
        }
        if let Some(v) = var("TEST_COORDINATOR_LOG_LEVEL") {
            c.log_level = v;
        }
        if let Some(v) = var("TEST_COORDINATOR_DATABASE") {
            c.database = v.into();
        }
        if let Some(v) = var("LEPTOS_SITE_ROOT") {
            c.site_root = v.into();
        }
        if let Some(v) = var("TEST_COORDINATOR_ALLOWED_HOSTS") {
            c.allowed_hosts = v
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = var("TEST_COORDINATOR_AUTH_MODE") {
            self.auth.mode = Some(v);
        }
        if let Some(v) = var("SERVICE_INSTANCE_NAME") {
            c.instance = v;
        }
        if let Some(v) = var("ENVIRONMENT") {
            c.environment = v;
        }
        let e = &mut self.execution;
        if let Some(v) = var("MAX_CONCURRENT_EXECUTIONS") {
            e.max_concurrent_scenarios = parse_env(
                "MAX_CONCURRENT_EXECUTIONS",
                &v,
                "a whole number of at least 1",
            )?;
        }
        if let Some(v) = var("DEFAULT_SCENARIO_TIMEOUT") {
            e.default_timeout = v;
        }
        if let Some(v) = var("ASSERTION_TIMEOUT") {
            e.assertion_timeout = Some(v);
        }
        if let Some(v) = var("ENABLE_ROLLBACK_ON_FAILURE") {
            e.enable_rollback_on_failure = parse_bool("ENABLE_ROLLBACK_ON_FAILURE", &v)?;
        }
        // Retired (docs/config.md): noted for a warning, whatever its value.
        if var("ENABLE_REAL_TIME_MONITORING").is_some() {
            e.enable_real_time_monitoring = Some(IgnoredAny);
        }
        if let Some(v) = var("OWNER_LEASE") {
            e.owner_lease = v;
        }
        if let Some(v) = var("OWNER_HEARTBEAT") {
            e.owner_heartbeat = Some(v);
        }
        if var("GENERATE_DETAILED_REPORTS").is_some() {
            self.reporting.detailed = Some(IgnoredAny);
        }
        if let Some(v) = var("PROMETHEUS_URL") {
            self.prometheus.url = Some(v);
        }
        if let Some(v) = var("SANDBOX_ENABLED") {
            self.sandbox.enabled = parse_bool("SANDBOX_ENABLED", &v)?;
        }
        if let Some(v) = var("SANDBOX_SEED") {
            self.sandbox.seed = parse_env("SANDBOX_SEED", &v, "a whole number")?;
        }
        if let Some(v) = var("REPORT_RETENTION_DAYS") {
            self.reporting.retention_days =
                parse_env("REPORT_RETENTION_DAYS", &v, "a whole number of days")?;
        }
        if let Some(v) = var("TEST_COORDINATOR_PROXY_ADMIN") {
            self.proxy.admin = v;
        }
        if let Some(v) = var("TEST_COORDINATOR_PROXY_TOKEN") {
            self.proxy.token = Some(v);
        }
        // The default proxy follows market data when only market data moves.
        let (proxy_name, _) = super::MARKET_DATA_PROXY;
        let follows = self.services.get(proxy_name).is_some_and(|proxy| {
            proxy.proxy.is_some() && proxy.url == super::settings::default_market_data_url()
        }) && var(&service_url_variable(proxy_name)).is_none();
        if let (true, Some(url)) = (follows, var("MARKET_DATA_SIMULATOR_URL")) {
            if let Some(proxy) = self.services.get_mut(proxy_name) {
                proxy.url = url;
            }
        }
        // `EXCHANGE_SIMULATOR_URL`, `RISK_MONITOR_URL`, …: one per configured
        // service; and `MARKET_DATA_PROXY_LISTEN`, … for a proxied one.
        for (name, service) in &mut self.services {
            if let Some(v) = var(&service_url_variable(name)) {
                service.url = v;
            }
            if let (Some(proxy), Some(v)) =
                (service.proxy.as_mut(), var(&proxy_listen_variable(name)))
            {
                proxy.listen = v;
            }
        }
        Ok(())
    }
}

/// `exchange-simulator` → `EXCHANGE_SIMULATOR_URL`.
pub fn service_url_variable(name: &str) -> String {
    format!("{}_URL", name.to_ascii_uppercase().replace('-', "_"))
}

/// `market-data-proxy` → `MARKET_DATA_PROXY_LISTEN`: where its proxy listens.
pub fn proxy_listen_variable(name: &str) -> String {
    format!("{}_LISTEN", name.to_ascii_uppercase().replace('-', "_"))
}

pub(super) fn is_service_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn parse_env<T: std::str::FromStr>(
    name: &str,
    value: &str,
    expected: &str,
) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(name, value, format!("expected {expected}")))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, value, "expected true or false")),
    }
}
