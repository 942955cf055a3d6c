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
        let mut execution = ExecutionConfig {
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
            owner_heartbeat: Duration::ZERO,
        };
        execution.owner_heartbeat = match &e.owner_heartbeat {
            Some(value) => positive_duration_key("execution.owner_heartbeat", value)?,
            None => (execution.owner_lease / 3).min(Duration::from_secs(2)),
        };
        if execution.owner_lease < Duration::from_secs(1) {
            return Err(invalid(
                "execution.owner_lease",
                &e.owner_lease,
                "a lease shorter than 1s would be lost to a slow disk; 10s is the default",
            ));
        }
        if execution.owner_heartbeat * 3 > execution.owner_lease {
            return Err(invalid(
                "execution.owner_heartbeat",
                e.owner_heartbeat.as_deref().unwrap_or_default(),
                format!(
                    "at most a third of execution.owner_lease ({}), so that one failed renewal does not lose the lease; 2s (with 10s) is the default",
                    e.owner_lease
                ),
            ));
        }

        let proxy = self.proxy.validate()?;
        let mut services = BTreeMap::new();
        for (name, mut s) in self.services {
            let key = |field: &str| format!("services.{name}.{field}");
            if !is_service_name(&name) {
                return Err(invalid(
                    format!("services.{name}"),
                    &name,
                    "service names use lowercase letters, digits and '-' (like exchange-simulator)",
                ));
            }
            let proxied = match s.proxy.take() {
                Some(p) => Some(proxied_service(&name, &s, p, &proxy)?),
                None => None,
            };
            if let Some(proxied) = &proxied {
                // Callers (and the `http` action, health, workload and
                // assertions) go through the front door; chaos goes to the
                // proxies' API.
                s.url = format!("http://{}", proxied.listen);
                s.chaos_api_path = Some(format!("/proxies/{name}/chaos"));
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
                    proxy: proxied,
                },
            );
        }
        let mut taken = BTreeMap::new();
        for service in services.values() {
            if let Some(p) = service.proxy.as_ref().filter(|p| p.listen.port() != 0) {
                for clash in [
                    (proxy.admin, "proxy.admin"),
                    (SocketAddr::new(ip, c.port), "test_coordinator.port"),
                ] {
                    if p.listen == clash.0 {
                        return Err(invalid(
                            format!("services.{}.proxy.listen", service.name),
                            p.listen.to_string(),
                            format!("the same address as {}", clash.1),
                        ));
                    }
                }
                if let Some(other) = taken.insert(p.listen, service.name.clone()) {
                    return Err(invalid(
                        format!("services.{}.proxy.listen", service.name),
                        p.listen.to_string(),
                        format!("services.{other} listens there too"),
                    ));
                }
            }
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

        let database = crate::store::Database::from_setting(&c.database).map_err(|error| {
            // The message names the URL without its password; the value is not repeated.
            invalid(
                "test_coordinator.database",
                "(a postgres:// URL)",
                error.to_string(),
            )
        })?;

        Ok(Config {
            name: c.name,
            instance: c.instance,
            environment: c.environment,
            listen: SocketAddr::new(ip, c.port),
            log_level: c.log_level,
            database,
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
            proxy,
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

impl super::settings::ProxySettings {
    fn validate(self) -> Result<ProxyConfig, ConfigError> {
        let admin: SocketAddr = self.admin.parse().map_err(|_| {
            invalid(
                "proxy.admin",
                &self.admin,
                "expected an IP address and port such as 127.0.0.1:18474",
            )
        })?;
        if let Some(token) = &self.token {
            let usable =
                (16..=256).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic());
            if !usable {
                // The value is a secret: not repeated in the message.
                return Err(invalid(
                    "proxy.token",
                    "(hidden)",
                    "expected 16 to 256 printable characters without spaces (e.g. `openssl rand -hex 24`)",
                ));
            }
        }
        if !admin.ip().is_loopback() && self.token.is_none() {
            // Anyone who reaches it may inject chaos.
            return Err(invalid(
                "proxy.admin",
                &self.admin,
                "anyone reaching the proxies' chaos API can inject chaos: off loopback, set proxy.token (TEST_COORDINATOR_PROXY_TOKEN) too, or listen on 127.0.0.1",
            ));
        }
        let bounded = |key: &str, value: &str, low: Duration, high: Duration| {
            let d = duration_key(key, value)?;
            if d < low || d > high {
                return Err(invalid(
                    key,
                    value,
                    format!(
                        "expected {} to {}",
                        format_duration(low),
                        format_duration(high)
                    ),
                ));
            }
            Ok(d)
        };
        let lease = bounded(
            "proxy.lease",
            &self.lease,
            Duration::from_secs(2),
            Duration::from_secs(600),
        )?;
        let renew_every = bounded(
            "proxy.renew_every",
            &self.renew_every,
            Duration::from_millis(250),
            Duration::from_secs(200),
        )?;
        if renew_every * 3 > lease {
            return Err(invalid(
                "proxy.renew_every",
                &self.renew_every,
                format!(
                    "renew at least three times a lease ({}), so one lost renewal does not clear the chaos",
                    self.lease
                ),
            ));
        }
        Ok(ProxyConfig {
            admin,
            token: self.token,
            embedded: self.embedded,
            lease,
            renew_every,
            manual_lease: bounded(
                "proxy.manual_lease",
                &self.manual_lease,
                Duration::from_secs(1),
                Duration::from_secs(24 * 3600),
            )?,
        })
    }
}

/// `services.<name>.proxy`: where callers connect, what it speaks, and the
/// upstream (`url`) it forwards to.
fn proxied_service(
    name: &str,
    service: &super::settings::ServiceSettings,
    settings: super::settings::ServiceProxySettings,
    proxies: &ProxyConfig,
) -> Result<ProxiedService, ConfigError> {
    let key = |field: &str| format!("services.{name}.{field}");
    let protocol = match settings.protocol.as_str() {
        "http" => fault_proxy::Protocol::Http,
        "tcp" => fault_proxy::Protocol::Tcp,
        other => {
            return Err(invalid(
                key("proxy.protocol"),
                other,
                "expected http or tcp",
            ))
        }
    };
    let listen: SocketAddr = settings.listen.parse().map_err(|_| {
        invalid(
            key("proxy.listen"),
            &settings.listen,
            "expected an IP address and port such as 127.0.0.1:19000",
        )
    })?;
    if service.chaos_api_path.is_some() || service.process.is_some() {
        return Err(invalid(
            key("proxy"),
            &settings.listen,
            "a proxied service has no chaos_api_path or process of its own: its chaos API is the proxy's",
        ));
    }
    let schemes: &[&str] = match protocol {
        fault_proxy::Protocol::Http => &["http"],
        fault_proxy::Protocol::Tcp => &["http", "https", "tcp"],
    };
    let upstream = Url::parse(&service.url)
        .ok()
        .filter(|u| schemes.contains(&u.scheme()))
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .ok_or_else(|| {
            invalid(
                key("url"),
                &service.url,
                match protocol {
                    fault_proxy::Protocol::Http => "the upstream of an http proxy is an http:// URL with a host (use protocol: tcp for TLS)",
                    fault_proxy::Protocol::Tcp => "the upstream of a tcp proxy is tcp://host:port (or an http(s) URL)",
                },
            )
        })?;
    let admin = Url::parse(&format!("http://{}", proxies.admin)).map_err(|_| {
        invalid(
            "proxy.admin",
            proxies.admin.to_string(),
            "not a usable address",
        )
    })?;
    Ok(ProxiedService {
        listen,
        protocol,
        upstream,
        admin,
        token: proxies.token.clone(),
    })
}
