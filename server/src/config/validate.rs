//! Raw [`Settings`] → the typed [`Config`], once: every value checked, every
//! bad one named with its key.

use std::{
    collections::BTreeMap,
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use app::scenario::duration::parse_duration;
use reqwest::Url;

use super::env::is_service_name;
use super::*;

impl Settings {
    /// Checks every value and builds the typed [`Config`].
    pub fn validate(self) -> Result<Config, ConfigError> {
        let retired = self.retired_keys();
        let c = self.test_coordinator;
        let ip: IpAddr = c.host.parse().map_err(|_| {
            invalid(
                "test_coordinator.host",
                &c.host,
                "expected an IP address such as 127.0.0.1 or 0.0.0.0",
            )
        })?;
        tracing_subscriber::EnvFilter::try_new(&c.log_level).map_err(|e| {
            invalid(
                "test_coordinator.log_level",
                &c.log_level,
                format!(
                    "expected a level (error, warn, info, debug, trace) or a tracing filter: {e}"
                ),
            )
        })?;
        if c.instance.trim().is_empty() {
            return Err(invalid(
                "test_coordinator.instance",
                &c.instance,
                "must not be empty",
            ));
        }

        let e = self.execution;
        if e.max_concurrent_scenarios == 0 {
            return Err(invalid(
                "execution.max_concurrent_scenarios",
                "0",
                "at least 1 execution must be allowed to run",
            ));
        }
        let execution = ExecutionConfig {
            max_concurrent: e.max_concurrent_scenarios as usize,
            default_timeout: duration_key("execution.default_timeout", &e.default_timeout)?,
            assertion_timeout: e
                .assertion_timeout
                .as_deref()
                .map(|value| duration_key("execution.assertion_timeout", value))
                .transpose()?,
            assertion_poll_interval: positive_duration_key(
                "execution.assertion_poll_interval",
                &e.assertion_poll_interval,
            )?,
            enable_rollback_on_failure: e.enable_rollback_on_failure,
            owner_lease: duration_key("execution.owner_lease", &e.owner_lease)?,
        };
        if execution.owner_lease < Duration::from_secs(1) {
            return Err(invalid(
                "execution.owner_lease",
                &e.owner_lease,
                "a lease shorter than 1s would be lost to a slow disk; 15s is the default",
            ));
        }

        let mut services = BTreeMap::new();
        for (name, s) in self.services {
            let key = |field: &str| format!("services.{name}.{field}");
            if !is_service_name(&name) {
                return Err(invalid(
                    format!("services.{name}"),
                    &name,
                    "service names use lowercase letters, digits and '-' (like exchange-simulator)",
                ));
            }
            let url = Url::parse(&s.url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| {
                    invalid(
                        key("url"),
                        &s.url,
                        "expected an http(s) URL such as http://127.0.0.1:18080",
                    )
                })?;
            for (field, path) in [
                ("chaos_api_path", s.chaos_api_path.as_deref()),
                ("health_endpoint", Some(s.health_endpoint.as_str())),
            ] {
                if let Some(path) = path {
                    if !path.starts_with('/') {
                        return Err(invalid(key(field), path, "a path must start with '/'"));
                    }
                }
            }
            let timeout = positive_duration_key(&key("timeout"), &s.timeout)?;
            let process = match s.process {
                Some(p) => {
                    if p.command.trim().is_empty() {
                        return Err(invalid(
                            key("process.command"),
                            &p.command,
                            "must name a program",
                        ));
                    }
                    Some(ProcessConfig {
                        stop_grace: positive_duration_key(
                            &key("process.stop_grace"),
                            &p.stop_grace,
                        )?,
                        command: p.command,
                        args: p.args,
                        env: p.env,
                        cwd: p.cwd,
                    })
                }
                None => None,
            };
            let mut actions = Vec::with_capacity(s.actions.len());
            for (i, action) in s.actions.into_iter().enumerate() {
                let spec: app::scenario::catalog::ActionSpec =
                    serde_json::from_value(action.clone()).map_err(|e| {
                        invalid(
                            key(&format!("actions[{i}]")),
                            action.to_string(),
                            format!("not an action declaration: {e}"),
                        )
                    })?;
                actions.push(spec);
            }
            services.insert(
                name.clone(),
                ServiceConfig {
                    name,
                    url,
                    chaos_api_path: s.chaos_api_path,
                    health_endpoint: s.health_endpoint,
                    timeout,
                    process,
                    actions,
                },
            );
        }

        let r = self.reporting;
        let rb = self.rollback;
        let prometheus = match &self.prometheus.url {
            Some(text) => Some(
                Url::parse(text)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        invalid(
                            "prometheus.url",
                            text,
                            "expected an http(s) URL such as http://127.0.0.1:9090",
                        )
                    })?,
            ),
            None => None,
        };
        let mut custom_assertions = Vec::new();
        for (name, mut assertion) in self.assertions {
            if !services.contains_key(&assertion.service) {
                return Err(invalid(
                    format!("assertions.{name}.service"),
                    &assertion.service,
                    "not a configured service",
                ));
            }
            if !assertion.path.starts_with('/') {
                return Err(invalid(
                    format!("assertions.{name}.path"),
                    &assertion.path,
                    "a path must start with '/'",
                ));
            }
            assertion.name = name;
            custom_assertions.push(assertion);
        }
        if !(self.sandbox.time_scale.is_finite() && self.sandbox.time_scale >= 1.0) {
            return Err(invalid(
                "sandbox.time_scale",
                self.sandbox.time_scale.to_string(),
                "expected a number of at least 1",
            ));
        }

        Ok(Config {
            name: c.name,
            instance: c.instance,
            environment: c.environment,
            listen: SocketAddr::new(ip, c.port),
            log_level: c.log_level,
            database: c.database,
            site_root: c.site_root,
            allowed_hosts: c.allowed_hosts,
            execution,
            services,
            scenarios: self.scenarios,
            validation: self.validation,
            reporting: ReportingConfig {
                retention_days: r.retention_days,
            },
            rollback: RollbackConfig {
                enabled: rb.enabled,
                timeout: positive_duration_key("rollback.timeout", &rb.timeout)?,
                notify_on_rollback: rb.notify_on_rollback,
            },
            prometheus,
            custom_assertions,
            sandbox: self.sandbox,
            auth: self.auth.validate(ip.is_loopback())?,
            retired,
        })
    }
}

/// Report formats the coordinator can write.
pub const REPORT_FORMATS: [&str; 4] = ["json", "html", "csv", "junit"];

fn duration_key(key: &str, value: &str) -> Result<Duration, ConfigError> {
    parse_duration(value).map_err(|e| invalid(key, value, e.reason))
}

fn positive_duration_key(key: &str, value: &str) -> Result<Duration, ConfigError> {
    let duration = duration_key(key, value)?;
    if duration.is_zero() {
        return Err(invalid(key, value, "must be longer than 0s"));
    }
    Ok(duration)
}
