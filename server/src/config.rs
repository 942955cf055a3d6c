//! Configuration, layered: defaults in code → `config.yaml` → the seed's
//! environment variables → command-line flags. The layers fill a raw
//! [`Settings`]; [`Settings::validate`] then turns it, once, into a typed
//! [`Config`] (durations parsed, URLs checked), or names the bad key and value.

use std::{
    collections::BTreeMap,
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
    time::Duration,
};

use app::scenario::duration::{format_duration, parse_duration};
use reqwest::Url;
use serde::Deserialize;

use crate::assertions::custom::CustomAssertion;

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

fn invalid(
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

/// The default port of each sandbox service; the sandbox listens there too.
pub const SANDBOX_SERVICES: [(&str, u16); 6] = [
    ("exchange-simulator", 18080),
    ("custodian-simulator", 18081),
    ("market-data-simulator", 18082),
    ("trading-engine", 18083),
    ("risk-monitor", 18084),
    ("audit-correlator", 18085),
];

/// `config.yaml` as written, before validation. Unknown keys are errors: a typo
/// must not silently fall back to a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Identity and listening address of the coordinator.
    pub test_coordinator: CoordinatorSettings,
    /// Execution limits and timeouts.
    pub execution: ExecutionSettings,
    /// Services scenarios may act on, by name.
    pub services: BTreeMap<String, ServiceSettings>,
    /// Where scenarios live.
    pub scenarios: ScenarioSettings,
    /// Validation switches.
    pub validation: ValidationSettings,
    /// Report settings.
    pub reporting: ReportingSettings,
    /// Rollback settings.
    pub rollback: RollbackSettings,
    /// Where `prometheus` assertions send their queries.
    pub prometheus: PrometheusSettings,
    /// Assertion types declared here (an HTTP query plus JSON conditions).
    pub assertions: BTreeMap<String, CustomAssertion>,
    /// The embedded sandbox ecosystem started beside `serve`.
    pub sandbox: SandboxSettings,
}

/// The `prometheus:` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusSettings {
    /// Base URL of a Prometheus server (`PROMETHEUS_URL`).
    pub url: Option<String>,
}

/// The `sandbox:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxSettings {
    /// Start the sandbox with `serve` (`SANDBOX_ENABLED`, `serve --no-sandbox`).
    pub enabled: bool,
    /// Seed of its simulation (`SANDBOX_SEED`).
    pub seed: u64,
    /// Its default time scale, until a chaos request says otherwise.
    pub time_scale: f64,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            seed: 42,
            time_scale: 1.0,
        }
    }
}

/// The `test_coordinator:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoordinatorSettings {
    /// Display name.
    pub name: String,
    /// Version of the config file (informative).
    pub version: Option<String>,
    /// Instance name (`SERVICE_INSTANCE_NAME`), e.g. `test-coordinator-Chaos1`.
    pub instance: String,
    /// Deployment environment (`ENVIRONMENT`): `development`, `docker`, …
    pub environment: String,
    /// Listening address.
    pub host: String,
    /// Listening port (`TEST_COORDINATOR_PORT`).
    pub port: u16,
    /// `tracing` filter (`TEST_COORDINATOR_LOG_LEVEL`): `info`, `debug`, `server=debug,info`.
    pub log_level: String,
    /// SQLite file (`TEST_COORDINATOR_DATABASE`), created if missing.
    pub database: PathBuf,
    /// Folder holding the built site (`pkg/`, favicon), `LEPTOS_SITE_ROOT`.
    pub site_root: PathBuf,
}

impl Default for CoordinatorSettings {
    fn default() -> Self {
        Self {
            name: "test-coordinator".into(),
            version: None,
            instance: "test-coordinator".into(),
            environment: "development".into(),
            host: "127.0.0.1".into(),
            port: 8084,
            log_level: "info".into(),
            database: "data/test-coordinator.db".into(),
            site_root: "target/site".into(),
        }
    }
}

/// The `execution:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutionSettings {
    /// At most this many executions run at once (`MAX_CONCURRENT_EXECUTIONS`).
    pub max_concurrent_scenarios: u32,
    /// Timeout of a scenario without `spec.timeout` (`DEFAULT_SCENARIO_TIMEOUT`).
    pub default_timeout: String,
    /// `within` of an assertion that gives none (`ASSERTION_TIMEOUT`).
    pub assertion_timeout: String,
    /// Whether `parallel_actions` run concurrently.
    pub enable_parallel_actions: bool,
    /// How often assertions are polled.
    pub assertion_poll_interval: String,
    /// Whether `rollback.on_failure` is honoured (`ENABLE_ROLLBACK_ON_FAILURE`).
    pub enable_rollback_on_failure: bool,
    /// Whether live monitoring is on (`ENABLE_REAL_TIME_MONITORING`).
    pub enable_real_time_monitoring: bool,
    /// How long a process's claim on its executions lasts without renewal
    /// (`OWNER_LEASE`); renewed every third of it (docs/engine.md, "Owners").
    pub owner_lease: String,
}

impl Default for ExecutionSettings {
    fn default() -> Self {
        Self {
            max_concurrent_scenarios: 3,
            default_timeout: "2h".into(),
            assertion_timeout: "5m".into(),
            enable_parallel_actions: true,
            assertion_poll_interval: "1s".into(),
            enable_rollback_on_failure: true,
            enable_real_time_monitoring: true,
            owner_lease: "15s".into(),
        }
    }
}

/// One entry of `services:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// Base URL (`<NAME>_URL`, e.g. `EXCHANGE_SIMULATOR_URL`).
    pub url: String,
    /// Path of the chaos API, if the service has one.
    #[serde(default)]
    pub chaos_api_path: Option<String>,
    /// Path of the observation API (informative, seed's `api_path`).
    #[serde(default)]
    pub api_path: Option<String>,
    /// Path of the health endpoint.
    #[serde(default = "default_health_endpoint")]
    pub health_endpoint: String,
    /// Per-request timeout; for a process service, also how long it may take
    /// to become healthy after a start.
    #[serde(default = "default_service_timeout")]
    pub timeout: String,
    /// A local command the coordinator supervises (`start`, `stop`, `kill`,
    /// `restart`); its health is checked at `url` + `health_endpoint`.
    #[serde(default)]
    pub process: Option<ProcessSettings>,
    /// The chaos actions a service declares here instead of (or before) serving
    /// `GET {chaos_api_path}/capabilities`, in the same shape:
    /// `[{name, description, parameters: [{name, type, required, min, max, values}]}]`.
    #[serde(default)]
    pub actions: Vec<serde_json::Value>,
}

/// How to run a process service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessSettings {
    /// The program.
    pub command: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Extra environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory (default: the coordinator's).
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// How long `stop` waits after SIGTERM before SIGKILL.
    #[serde(default = "default_stop_grace")]
    pub stop_grace: String,
}

fn default_stop_grace() -> String {
    "10s".into()
}

fn default_health_endpoint() -> String {
    "/health".into()
}

fn default_service_timeout() -> String {
    "30s".into()
}

/// The `scenarios:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioSettings {
    /// Built-in scenarios (`*.yaml`).
    pub library_path: PathBuf,
    /// Templates (`*.template.yaml`).
    pub templates_path: PathBuf,
    /// Where uploaded scenarios may also be read from.
    pub custom_scenarios_path: PathBuf,
}

impl Default for ScenarioSettings {
    fn default() -> Self {
        Self {
            library_path: "scenarios".into(),
            templates_path: "scenarios/templates".into(),
            custom_scenarios_path: "data/custom-scenarios".into(),
        }
    }
}

/// The `validation:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationSettings {
    /// Strict mode: ask services for their live capabilities, refuse undeclared parameters.
    pub strict_mode: bool,
    /// Check that services are reachable before a run.
    pub validate_service_availability: bool,
    /// Check parameter types against the catalog.
    pub check_parameter_types: bool,
    /// Check assertion types and `expect` words.
    pub verify_assertion_logic: bool,
}

impl Default for ValidationSettings {
    fn default() -> Self {
        Self {
            strict_mode: false,
            validate_service_availability: true,
            check_parameter_types: true,
            verify_assertion_logic: true,
        }
    }
}

/// The `reporting:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportingSettings {
    /// Where report files are written.
    pub output_dir: PathBuf,
    /// Formats written at the end of a run.
    pub formats: Vec<String>,
    /// Include the timeline.
    pub include_timeline: bool,
    /// Include metrics.
    pub include_metrics: bool,
    /// Days reports are kept (`REPORT_RETENTION_DAYS`).
    pub retention_days: u32,
    /// Full detail in reports (`GENERATE_DETAILED_REPORTS`).
    pub detailed: bool,
}

impl Default for ReportingSettings {
    fn default() -> Self {
        Self {
            output_dir: "data/reports".into(),
            formats: vec!["json".into(), "html".into()],
            include_timeline: true,
            include_metrics: true,
            retention_days: 30,
            detailed: true,
        }
    }
}

/// The `rollback:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RollbackSettings {
    /// Whether rollbacks run at all.
    pub enabled: bool,
    /// How long a rollback may take.
    pub timeout: String,
    /// Clear all chaos on every service, not only the scenario's.
    pub aggressive_cleanup: bool,
    /// Log a notice on each rollback.
    pub notify_on_rollback: bool,
}

impl Default for RollbackSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            timeout: "10m".into(),
            aggressive_cleanup: false,
            notify_on_rollback: true,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let services = SANDBOX_SERVICES
            .iter()
            .map(|&(name, port)| {
                let settings = ServiceSettings {
                    url: format!("http://127.0.0.1:{port}"),
                    chaos_api_path: Some("/chaos".into()),
                    api_path: Some("/api/v1".into()),
                    health_endpoint: default_health_endpoint(),
                    timeout: default_service_timeout(),
                    process: None,
                    actions: Vec::new(),
                };
                (name.to_owned(), settings)
            })
            .collect();
        Self {
            test_coordinator: CoordinatorSettings::default(),
            execution: ExecutionSettings::default(),
            services,
            scenarios: ScenarioSettings::default(),
            validation: ValidationSettings::default(),
            reporting: ReportingSettings::default(),
            rollback: RollbackSettings::default(),
            prometheus: PrometheusSettings::default(),
            assertions: BTreeMap::new(),
            sandbox: SandboxSettings::default(),
        }
    }
}

/// Command-line overrides, the last layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--host`.
    pub host: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--database`.
    pub database: Option<PathBuf>,
    /// `--log-level`.
    pub log_level: Option<String>,
    /// `--no-sandbox`.
    pub no_sandbox: bool,
}

impl Settings {
    /// Reads `path` over the defaults. A file given explicitly must exist; the
    /// default `config.yaml` may be absent.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Parses config YAML over the defaults. Services listed in the file replace
    /// the default service list as a whole, so a file describes exactly the
    /// services it names.
    pub fn from_yaml(text: &str) -> Result<Self, serde_yaml::Error> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_yaml::from_str(text)
    }

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
            e.assertion_timeout = v;
        }
        if let Some(v) = var("ENABLE_ROLLBACK_ON_FAILURE") {
            e.enable_rollback_on_failure = parse_bool("ENABLE_ROLLBACK_ON_FAILURE", &v)?;
        }
        if let Some(v) = var("ENABLE_REAL_TIME_MONITORING") {
            e.enable_real_time_monitoring = parse_bool("ENABLE_REAL_TIME_MONITORING", &v)?;
        }
        if let Some(v) = var("OWNER_LEASE") {
            e.owner_lease = v;
        }
        if let Some(v) = var("GENERATE_DETAILED_REPORTS") {
            self.reporting.detailed = parse_bool("GENERATE_DETAILED_REPORTS", &v)?;
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
        // `EXCHANGE_SIMULATOR_URL`, `RISK_MONITOR_URL`, …: one per configured service.
        for (name, service) in &mut self.services {
            if let Some(v) = var(&service_url_variable(name)) {
                service.url = v;
            }
        }
        Ok(())
    }

    /// Applies command-line flags, the last layer.
    pub fn apply_overrides(&mut self, overrides: &Overrides) {
        let c = &mut self.test_coordinator;
        if let Some(host) = &overrides.host {
            c.host = host.clone();
        }
        if let Some(port) = overrides.port {
            c.port = port;
        }
        if let Some(database) = &overrides.database {
            c.database = database.clone();
        }
        if let Some(level) = &overrides.log_level {
            c.log_level = level.clone();
        }
        if overrides.no_sandbox {
            self.sandbox.enabled = false;
        }
    }

    /// Checks every value and builds the typed [`Config`].
    pub fn validate(self) -> Result<Config, ConfigError> {
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
            assertion_timeout: duration_key("execution.assertion_timeout", &e.assertion_timeout)?,
            assertion_poll_interval: positive_duration_key(
                "execution.assertion_poll_interval",
                &e.assertion_poll_interval,
            )?,
            enable_parallel_actions: e.enable_parallel_actions,
            enable_rollback_on_failure: e.enable_rollback_on_failure,
            enable_real_time_monitoring: e.enable_real_time_monitoring,
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
        for format in &r.formats {
            if !REPORT_FORMATS.contains(&format.as_str()) {
                return Err(invalid(
                    "reporting.formats",
                    format,
                    format!("known formats are {}", REPORT_FORMATS.join(", ")),
                ));
            }
        }
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
            execution,
            services,
            scenarios: self.scenarios,
            validation: self.validation,
            reporting: ReportingConfig {
                output_dir: r.output_dir,
                formats: r.formats,
                include_timeline: r.include_timeline,
                include_metrics: r.include_metrics,
                retention_days: r.retention_days,
                detailed: r.detailed,
            },
            rollback: RollbackConfig {
                enabled: rb.enabled,
                timeout: positive_duration_key("rollback.timeout", &rb.timeout)?,
                aggressive_cleanup: rb.aggressive_cleanup,
                notify_on_rollback: rb.notify_on_rollback,
            },
            prometheus,
            custom_assertions,
            sandbox: self.sandbox,
        })
    }
}

/// Report formats the coordinator can write.
pub const REPORT_FORMATS: [&str; 4] = ["json", "html", "csv", "junit"];

/// `exchange-simulator` → `EXCHANGE_SIMULATOR_URL`.
pub fn service_url_variable(name: &str) -> String {
    format!("{}_URL", name.to_ascii_uppercase().replace('-', "_"))
}

fn is_service_name(name: &str) -> bool {
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
    /// SQLite file.
    pub database: PathBuf,
    /// Built site (`pkg/`, favicon).
    pub site_root: PathBuf,
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
}

/// Validated `execution:`.
#[derive(Debug, Clone)]
pub struct ExecutionConfig {
    /// Executions that may run at once; the rest queue.
    pub max_concurrent: usize,
    /// Timeout of a scenario without `spec.timeout`.
    pub default_timeout: Duration,
    /// `within` of an assertion that gives none.
    pub assertion_timeout: Duration,
    /// Interval between polls of an assertion.
    pub assertion_poll_interval: Duration,
    /// Whether parallel actions run concurrently.
    pub enable_parallel_actions: bool,
    /// Whether `rollback.on_failure` is honoured.
    pub enable_rollback_on_failure: bool,
    /// Whether live monitoring is on.
    pub enable_real_time_monitoring: bool,
    /// A process's claim on its executions without renewal.
    pub owner_lease: Duration,
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
    /// Where report files go.
    pub output_dir: PathBuf,
    /// Formats written at the end of a run.
    pub formats: Vec<String>,
    /// Include the timeline.
    pub include_timeline: bool,
    /// Include metrics.
    pub include_metrics: bool,
    /// Days reports are kept.
    pub retention_days: u32,
    /// Full detail.
    pub detailed: bool,
}

/// Validated `rollback:`.
#[derive(Debug, Clone)]
pub struct RollbackConfig {
    /// Whether rollbacks run.
    pub enabled: bool,
    /// How long a rollback may take.
    pub timeout: Duration,
    /// Clear chaos on every service.
    pub aggressive_cleanup: bool,
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
        assert_eq!(config.database, PathBuf::from("data/test-coordinator.db"));
        assert_eq!(config.services.len(), 6);
        assert_eq!(
            config.services["exchange-simulator"].url.as_str(),
            "http://127.0.0.1:18080/"
        );
        assert_eq!(config.execution.max_concurrent, 3);
        assert_eq!(config.execution.default_timeout, Duration::from_secs(7200));
    }

    #[test]
    fn the_seeds_config_file_is_accepted() {
        let yaml = include_str!("../../config.example.yaml");
        let config = Settings::from_yaml(yaml).unwrap().validate().unwrap();
        assert_eq!(
            config.services["risk-monitor"].url.as_str(),
            "http://risk-monitor:8080/"
        );
        assert_eq!(config.execution.assertion_timeout, Duration::from_secs(300));
        assert!(config.validation.strict_mode);
        assert_eq!(config.rollback.timeout, Duration::from_secs(600));
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
    }

    #[test]
    fn a_typo_in_a_key_is_an_error_naming_it() {
        let error = Settings::from_yaml("execution:\n  max_concurent_scenarios: 3\n").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("max_concurent_scenarios"), "{message}");
        assert!(message.contains("line 2"), "{message}");
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
            ("reporting:\n  formats: [pdf]\n", "reporting.formats", "pdf"),
        ];
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
}
