//! Configuration, layered: defaults in code → `config.yaml` → the seed's
//! environment variables → command-line flags. The layers fill a raw
//! [`Settings`]; [`Settings::validate`] then turns it, once, into a typed
//! [`Config`] (durations parsed, URLs checked), or names the bad key and value.
//!
//! A leaf of the crate: it imports nothing from the rest of `server`.
//!
//! # Layout
//! - `settings`: the raw [`Settings`] as `config.yaml` writes them, their
//!   defaults, reading a file, and the command-line [`Overrides`].
//! - `env`: the seed's environment variables over the settings.
//! - `validate`: [`Settings::validate`], raw settings → [`Config`].
//! - this file: [`ConfigError`], the validated [`Config`] and [`load`].

pub mod auth;
mod env;
mod settings;
mod validate;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use app::scenario::duration::format_duration;
use reqwest::Url;

pub use env::service_url_variable;
pub use settings::*;
pub use validate::REPORT_FORMATS;

/// Why the configuration cannot be used. Each names the key (or variable) and value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML for the config shape (unknown keys included).
    #[error("config file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// serde_yaml's error, with line and column.
        source: serde_yaml::Error,
    },
    /// A key has a value of the wrong form.
    #[error("{key}: {value:?} is not valid: {reason}")]
    Invalid {
        /// Dotted key (`execution.default_timeout`) or variable name.
        key: String,
        /// The value as given.
        value: String,
        /// What is expected instead.
        reason: String,
    },
}

pub(crate) fn invalid(
    key: impl Into<String>,
    value: impl Into<String>,
    reason: impl Into<String>,
) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

/// The validated configuration. Every field is in its final type.
#[derive(Debug, Clone)]
pub struct Config {
    /// Display name.
    pub name: String,
    /// Instance name, reported by `/health`.
    pub instance: String,
    /// Deployment environment, reported by `/health`.
    pub environment: String,
    /// Where the web server listens.
    pub listen: SocketAddr,
    /// `tracing` filter directive, already checked.
    pub log_level: String,
    /// The SQLite file or PostgreSQL database (`TEST_COORDINATOR_DATABASE`).
    pub database: crate::store::Database,
    /// Built site (`pkg/`, favicon).
    pub site_root: PathBuf,
    /// DNS names answered besides loopback names and IP addresses.
    pub allowed_hosts: Vec<String>,
    /// Execution limits.
    pub execution: ExecutionConfig,
    /// Services by name.
    pub services: BTreeMap<String, ServiceConfig>,
    /// Scenario folders.
    pub scenarios: ScenarioSettings,
    /// Validation switches.
    pub validation: ValidationSettings,
    /// Report settings.
    pub reporting: ReportingConfig,
    /// Rollback settings.
    pub rollback: RollbackConfig,
    /// Prometheus for `prometheus` assertions.
    pub prometheus: Option<Url>,
    /// Assertion types declared in config.
    pub custom_assertions: Vec<CustomAssertion>,
    /// The embedded sandbox.
    pub sandbox: SandboxSettings,
    /// Who may do what (docs/auth.md).
    pub auth: auth::AuthConfig,
    /// The fault-injection proxies' chaos API and leases.
    pub proxy: ProxyConfig,
    /// Retired keys the file or the environment set: nothing reads them
    /// (docs/config.md); [`Config::warn_retired`] says so once logging is up.
    pub retired: Vec<&'static str>,
}

impl Config {
    /// Logs a warning for each retired key that was set.
    pub fn warn_retired(&self) {
        for key in &self.retired {
            tracing::warn!(
                key,
                "this configuration key is retired and ignored (docs/config.md)"
            );
        }
    }
}

/// Validated `execution:`.
#[derive(Debug, Clone)]
pub struct ExecutionConfig {
    /// Executions that may run at once; the rest queue.
    pub max_concurrent: usize,
    /// Timeout of a scenario without `spec.timeout`.
    pub default_timeout: Duration,
    /// `within` of an assertion that gives none (`None`: until its phase ends).
    pub assertion_timeout: Option<Duration>,
    /// Interval between polls of an assertion.
    pub assertion_poll_interval: Duration,
    /// Whether `rollback.on_failure` is honoured.
    pub enable_rollback_on_failure: bool,
    /// A process's claim on its executions without renewal.
    pub owner_lease: Duration,
    /// How often that claim is renewed.
    pub owner_heartbeat: Duration,
}

/// A validated service entry.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Its name.
    pub name: String,
    /// Base URL.
    pub url: Url,
    /// Chaos API path, when it has one.
    pub chaos_api_path: Option<String>,
    /// Health endpoint path.
    pub health_endpoint: String,
    /// Per-request timeout.
    pub timeout: Duration,
    /// The command, for a process service.
    pub process: Option<ProcessConfig>,
    /// Chaos actions declared in the config (used when the service's own
    /// capabilities are not known offline).
    pub actions: Vec<app::scenario::catalog::ActionSpec>,
    /// The fault-injection proxy in front of it, when it has one: then `url`
    /// is the proxy's front door (what callers see, faults included) and its
    /// chaos API is the proxies' (docs/proxy.md).
    pub proxy: Option<ProxiedService>,
}

/// A service behind a fault-injection proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxiedService {
    /// Where its callers connect (port 0: any, fixed at start).
    pub listen: SocketAddr,
    /// `http` or `tcp`.
    pub protocol: fault_proxy::Protocol,
    /// The service itself, `host:port`.
    pub upstream: String,
    /// The base URL of the proxies' chaos API.
    pub admin: Url,
    /// The bearer token its chaos API asks for, if any (`proxy.token`).
    pub token: Option<String>,
}

/// The validated `proxy:` section.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// Where the proxies' chaos API listens (port 0: any, fixed at start).
    pub admin: SocketAddr,
    /// Whether `serve` runs the proxies (else `test-coordinator proxy` does).
    pub embedded: bool,
    /// Lease of an execution's fault.
    pub lease: Duration,
    /// How often an execution renews.
    pub renew_every: Duration,
    /// Lease of a fault injected by hand without a `ttl`.
    pub manual_lease: Duration,
    /// The bearer token of the proxies' chaos API, if any.
    pub token: Option<String>,
}

/// A validated process service command.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessConfig {
    /// The program.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
    /// Working directory.
    pub cwd: Option<PathBuf>,
    /// How long `stop` waits after SIGTERM before SIGKILL.
    pub stop_grace: Duration,
}

impl ServiceConfig {
    /// A plain HTTP service at `url`, health at `/`: no chaos API, process,
    /// actions or proxy (the benchmarks' and tests' targets).
    pub fn plain(name: &str, url: Url) -> Self {
        Self {
            name: name.into(),
            url,
            chaos_api_path: None,
            health_endpoint: "/".into(),
            timeout: Duration::from_secs(10),
            process: None,
            actions: Vec::new(),
            proxy: None,
        }
    }

    /// The base URL of its chaos API: the proxies' for a proxied service,
    /// else its own.
    pub fn chaos_base(&self) -> &Url {
        self.proxy.as_ref().map_or(&self.url, |p| &p.admin)
    }

    /// `request` to its chaos API, with the proxies' bearer token when the
    /// service is proxied and `proxy.token` is set.
    pub fn chaos_auth(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.proxy.as_ref().and_then(|p| p.token.as_deref()) {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// As the UI and API show it.
    pub fn info(&self) -> app::api::ServiceInfo {
        app::api::ServiceInfo {
            name: self.name.clone(),
            url: self.url.as_str().trim_end_matches('/').to_owned(),
            health_endpoint: self.health_endpoint.clone(),
            chaos_api_path: self.chaos_api_path.clone(),
            timeout: format_duration(self.timeout),
        }
    }
}

/// Validated `reporting:`.
#[derive(Debug, Clone)]
pub struct ReportingConfig {
    /// Days executions and their reports are kept after they finish (`0`: forever).
    pub retention_days: u32,
}

/// Validated `rollback:`.
#[derive(Debug, Clone)]
pub struct RollbackConfig {
    /// Whether rollbacks run.
    pub enabled: bool,
    /// How long a rollback may take.
    pub timeout: Duration,
    /// Log a notice on each rollback.
    pub notify_on_rollback: bool,
}

/// Builds the [`Config`] from every layer: `file` (or `config.yaml` when present),
/// the process environment, then `overrides`.
pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
    let mut settings = match file {
        Some(path) => Settings::from_file(path)?,
        None if Path::new("config.yaml").exists() => Settings::from_file(Path::new("config.yaml"))?,
        None => Settings::default(),
    };
    settings.apply_env(|name| std::env::var(name).ok())?;
    settings.apply_overrides(overrides);
    settings.validate()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_listen_on_8084_and_know_the_sandbox() {
        let config = Settings::default().validate().unwrap();
        assert_eq!(config.listen, "127.0.0.1:8084".parse().unwrap());
        assert_eq!(
            config.database,
            crate::store::Database::Sqlite("data/test-coordinator.db".into())
        );
        assert_eq!(config.services.len(), 7);
        assert_eq!(
            config.services["exchange-simulator"].url.as_str(),
            "http://127.0.0.1:18080/"
        );
        // Out of the box, market-data-simulator is reachable through a proxy too.
        let proxied = &config.services["market-data-proxy"];
        assert_eq!(proxied.url.as_str(), "http://127.0.0.1:18092/");
        let proxy = proxied.proxy.as_ref().unwrap();
        assert_eq!(proxy.upstream, "127.0.0.1:18082");
        assert_eq!(proxy.protocol, fault_proxy::Protocol::Http);
        assert_eq!(config.execution.max_concurrent, 3);
        assert_eq!(config.execution.default_timeout, Duration::from_secs(7200));
    }

    #[test]
    fn the_seeds_config_file_is_accepted() {
        let yaml = include_str!("../../../config.example.yaml");
        let config = Settings::from_yaml(yaml).unwrap().validate().unwrap();
        assert_eq!(
            config.services["risk-monitor"].url.as_str(),
            "http://risk-monitor:8080/"
        );
        // Shown commented out: set, it would cut the library's long waits short.
        assert_eq!(config.execution.assertion_timeout, None);
        assert!(config.validation.strict_mode);
        let mut settings = Settings::from_yaml(yaml).unwrap();
        settings
            .apply_env(env(&[("ASSERTION_TIMEOUT", "5m")]))
            .unwrap();
        assert_eq!(
            settings.validate().unwrap().execution.assertion_timeout,
            Some(Duration::from_secs(300))
        );
        assert_eq!(config.rollback.timeout, Duration::from_secs(600));
    }

    #[test]
    fn retired_keys_still_load_and_are_named_for_a_warning() {
        let yaml = "execution:\n  enable_parallel_actions: false\nreporting:\n  formats: [pdf]\n  retention_days: 7\nrollback:\n  aggressive_cleanup: true\n";
        let mut settings = Settings::from_yaml(yaml).unwrap();
        settings
            .apply_env(env(&[("GENERATE_DETAILED_REPORTS", "maybe")]))
            .unwrap();
        let config = settings.validate().unwrap();
        assert_eq!(config.reporting.retention_days, 7);
        assert_eq!(
            config.retired,
            [
                "execution.enable_parallel_actions",
                "reporting.formats",
                "reporting.detailed",
                "rollback.aggressive_cleanup"
            ]
        );
        assert!(Settings::default().validate().unwrap().retired.is_empty());
    }

    #[test]
    fn layers_apply_in_order_file_then_env_then_flags() {
        let mut settings = Settings::from_yaml(
            "test_coordinator:\n  port: 9000\n  log_level: debug\nexecution:\n  max_concurrent_scenarios: 5\n",
        )
        .unwrap();
        settings
            .apply_env(env(&[
                ("TEST_COORDINATOR_PORT", "9100"),
                ("MAX_CONCURRENT_EXECUTIONS", "7"),
                ("EXCHANGE_SIMULATOR_URL", "http://exchange:8080"),
                ("DEFAULT_SCENARIO_TIMEOUT", "90m"),
                ("SERVICE_INSTANCE_NAME", "test-coordinator-Chaos1"),
                (
                    "TEST_COORDINATOR_ALLOWED_HOSTS",
                    " chaos.example.com, ,team-box ",
                ),
            ]))
            .unwrap();
        settings.apply_overrides(&Overrides {
            port: Some(9200),
            ..Overrides::default()
        });
        let config = settings.validate().unwrap();
        assert_eq!(config.listen.port(), 9200, "flag beats env beats file");
        assert_eq!(config.log_level, "debug", "file beats default");
        assert_eq!(config.execution.max_concurrent, 7, "env beats file");
        assert_eq!(config.execution.default_timeout, Duration::from_secs(5400));
        assert_eq!(
            config.services["exchange-simulator"].url.as_str(),
            "http://exchange:8080/"
        );
        assert_eq!(config.instance, "test-coordinator-Chaos1");
        assert_eq!(config.allowed_hosts, ["chaos.example.com", "team-box"]);
    }

    #[test]
    fn a_typo_in_a_key_is_an_error_naming_it() {
        let error = Settings::from_yaml("execution:\n  max_concurent_scenarios: 3\n").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("max_concurent_scenarios"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    /// Each `(yaml, key, value)` fails validation with a message that starts
    /// with `key` and quotes `value`.
    fn assert_each_refused_naming_key_and_value(cases: &[(&str, &str, &str)]) {
        for (yaml, key, value) in cases {
            let error = Settings::from_yaml(yaml).unwrap().validate().unwrap_err();
            let message = error.to_string();
            assert!(message.starts_with(key), "{yaml:?} gave {message}");
            assert!(
                message.contains(&format!("{value:?}")),
                "{yaml:?} gave {message}"
            );
        }
    }

    #[test]
    fn bad_values_name_their_key_and_value() {
        let cases = [
            (
                "execution:\n  default_timeout: 2 hours\n",
                "execution.default_timeout",
                "2 hours",
            ),
            (
                "execution:\n  max_concurrent_scenarios: 0\n",
                "execution.max_concurrent_scenarios",
                "0",
            ),
            (
                "test_coordinator:\n  host: localhost\n",
                "test_coordinator.host",
                "localhost",
            ),
            (
                "test_coordinator:\n  log_level: 'info,,=='\n",
                "test_coordinator.log_level",
                "info,,==",
            ),
            (
                "services:\n  x:\n    url: ftp://x\n",
                "services.x.url",
                "ftp://x",
            ),
            (
                "services:\n  x:\n    url: http://x\n    timeout: 0s\n",
                "services.x.timeout",
                "0s",
            ),
        ];
        assert_each_refused_naming_key_and_value(&cases);
    }

    #[test]
    fn a_proxied_service_goes_through_its_front_door_and_the_proxies_chaos_api() {
        let yaml = "services:\n  orders-api:\n    url: http://10.0.0.7:8080\n    proxy: {listen: 127.0.0.1:19000}\n  orders-db:\n    url: tcp://10.0.0.8:5432\n    proxy: {listen: 127.0.0.1:15432, protocol: tcp}\n";
        let config = Settings::from_yaml(yaml).unwrap().validate().unwrap();
        let api = &config.services["orders-api"];
        assert_eq!(api.url.as_str(), "http://127.0.0.1:19000/");
        assert_eq!(api.chaos_base().as_str(), "http://127.0.0.1:18474/");
        assert_eq!(
            api.chaos_api_path.as_deref(),
            Some("/proxies/orders-api/chaos")
        );
        let proxy = api.proxy.as_ref().unwrap();
        assert_eq!(
            (proxy.protocol, proxy.upstream.as_str()),
            (fault_proxy::Protocol::Http, "10.0.0.7:8080")
        );
        assert_eq!(
            config.services["orders-db"]
                .proxy
                .as_ref()
                .unwrap()
                .upstream,
            "10.0.0.8:5432"
        );
        assert_eq!(config.proxy.lease, Duration::from_secs(30));
    }

    #[test]
    fn bad_proxy_settings_name_their_key_and_value() {
        let cases = [
            ("services:\n  x:\n    url: http://x:1\n    proxy: {listen: 127.0.0.1:9, protocol: udp}\n", "services.x.proxy.protocol", "udp"),
            ("services:\n  x:\n    url: http://x:1\n    proxy: {listen: here}\n", "services.x.proxy.listen", "here"),
            ("services:\n  x:\n    url: tcp://x:1\n    proxy: {listen: 127.0.0.1:9}\n", "services.x.url", "tcp://x:1"),
            ("services:\n  x:\n    url: http://x:1\n    chaos_api_path: /chaos\n    proxy: {listen: 127.0.0.1:9}\n", "services.x.proxy", "127.0.0.1:9"),
            ("services:\n  x:\n    url: http://x:1\n    proxy: {listen: 127.0.0.1:18474}\n", "services.x.proxy.listen", "127.0.0.1:18474"),
            ("services:\n  x:\n    url: http://x:1\n    proxy: {listen: 127.0.0.1:9}\n  y:\n    url: http://y:1\n    proxy: {listen: 127.0.0.1:9}\n", "services.y.proxy.listen", "127.0.0.1:9"),
            ("proxy:\n  admin: somewhere\n", "proxy.admin", "somewhere"),
            ("proxy:\n  admin: 0.0.0.0:18474\n", "proxy.admin", "0.0.0.0:18474"),
            ("proxy:\n  admin: 0.0.0.0:18474\n  token: short\n", "proxy.token", "(hidden)"),
            ("proxy:\n  lease: 1s\n", "proxy.lease", "1s"),
            ("proxy:\n  renew_every: 20s\n", "proxy.renew_every", "20s"),
            ("proxy:\n  manual_lease: 2d\n", "proxy.manual_lease", "2d"),
        ];
        assert_each_refused_naming_key_and_value(&cases);
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let mut settings = Settings::default();
        let error = settings
            .apply_env(env(&[("MAX_CONCURRENT_EXECUTIONS", "many")]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "MAX_CONCURRENT_EXECUTIONS: \"many\" is not valid: expected a whole number of at least 1"
        );
        let error = settings
            .apply_env(env(&[("ENABLE_ROLLBACK_ON_FAILURE", "maybe")]))
            .unwrap_err();
        assert!(error.to_string().starts_with("ENABLE_ROLLBACK_ON_FAILURE"));
    }

    #[test]
    fn services_can_declare_their_actions_in_the_config() {
        let yaml = "services:\n  pricing:\n    url: http://127.0.0.1:9000\n    chaos_api_path: /chaos\n    actions:\n      - name: slow_quotes\n        parameters: [{name: delay_ms, type: int, required: true, min: 0}]\n";
        let config = Settings::from_yaml(yaml).unwrap().validate().unwrap();
        assert_eq!(config.services["pricing"].actions[0].name, "slow_quotes");
        let bad = "services:\n  pricing:\n    url: http://127.0.0.1:9000\n    actions: [{parameters: 3}]\n";
        let error = Settings::from_yaml(bad).unwrap().validate().unwrap_err();
        assert!(
            error.to_string().starts_with("services.pricing.actions[0]"),
            "{error}"
        );
    }

    #[test]
    fn service_url_variables_follow_the_seed() {
        assert_eq!(
            service_url_variable("exchange-simulator"),
            "EXCHANGE_SIMULATOR_URL"
        );
        assert_eq!(service_url_variable("risk-monitor"), "RISK_MONITOR_URL");
    }

    #[test]
    fn the_environment_moves_a_proxy_and_the_proxies_chaos_api() {
        let mut settings = Settings::default();
        settings
            .apply_env(env(&[
                ("MARKET_DATA_PROXY_URL", "http://127.0.0.1:28082"),
                ("MARKET_DATA_PROXY_LISTEN", "127.0.0.1:28092"),
                ("TEST_COORDINATOR_PROXY_ADMIN", "127.0.0.1:28474"),
                // Only a proxied service has a listen address to move.
                ("EXCHANGE_SIMULATOR_LISTEN", "127.0.0.1:1"),
            ]))
            .unwrap();
        let config = settings.validate().unwrap();
        let proxied = &config.services["market-data-proxy"];
        assert_eq!(proxied.url.as_str(), "http://127.0.0.1:28092/");
        assert_eq!(proxied.proxy.as_ref().unwrap().upstream, "127.0.0.1:28082");
        assert_eq!(config.proxy.admin, "127.0.0.1:28474".parse().unwrap());
        assert!(config.services["exchange-simulator"].proxy.is_none());
    }

    #[test]
    fn a_token_lets_the_proxies_chaos_api_listen_off_loopback_and_is_never_echoed() {
        let yaml = "proxy:\n  admin: 0.0.0.0:18474\n  token: 0123456789abcdef0123\n";
        let config = Settings::from_yaml(yaml).unwrap().validate().unwrap();
        assert_eq!(config.proxy.token.as_deref(), Some("0123456789abcdef0123"));
        let proxied = &config.services["market-data-proxy"];
        assert_eq!(
            proxied.proxy.as_ref().unwrap().token.as_deref(),
            Some("0123456789abcdef0123")
        );
        let error = Settings::from_yaml("proxy:\n  token: has a space in it here\n")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(!error.contains("has a space"), "{error}");
    }

    #[test]
    fn the_default_proxy_follows_market_data_when_only_market_data_moves() {
        let mut settings = Settings::default();
        settings
            .apply_env(env(&[(
                "MARKET_DATA_SIMULATOR_URL",
                "http://127.0.0.1:28082",
            )]))
            .unwrap();
        let config = settings.validate().unwrap();
        let proxy = config.services["market-data-proxy"].proxy.as_ref().unwrap();
        assert_eq!(proxy.upstream, "127.0.0.1:28082");
        // Set apart, each keeps its own.
        let mut settings = Settings::default();
        settings
            .apply_env(env(&[
                ("MARKET_DATA_SIMULATOR_URL", "http://127.0.0.1:28082"),
                ("MARKET_DATA_PROXY_URL", "http://127.0.0.1:38082"),
            ]))
            .unwrap();
        let config = settings.validate().unwrap();
        let proxy = config.services["market-data-proxy"].proxy.as_ref().unwrap();
        assert_eq!(proxy.upstream, "127.0.0.1:38082");
    }
}
