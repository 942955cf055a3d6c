//! The raw settings as `config.yaml` writes them, with their defaults; reading
//! a file; the command-line overrides.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde::{de::IgnoredAny, Deserialize};
use serde_json::Value;

use super::ConfigError;

/// The default port of each sandbox service; the sandbox listens there too.
pub const SANDBOX_SERVICES: [(&str, u16); 6] = [
    ("exchange-simulator", 18080),
    ("custodian-simulator", 18081),
    ("market-data-simulator", 18082),
    ("trading-engine", 18083),
    ("risk-monitor", 18084),
    ("audit-correlator", 18085),
];

/// The proxied service of the default configuration (docs/proxy.md): the
/// fault-injection proxy in front of market-data-simulator, and its port.
pub const MARKET_DATA_PROXY: (&str, u16) = ("market-data-proxy", 18092);

/// The default URL of market-data-simulator: the default proxy's upstream.
pub(super) fn default_market_data_url() -> String {
    format!("http://127.0.0.1:{}", SANDBOX_SERVICES[2].1)
}

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
    /// Who may do what: `local`, `users` or `proxy` (docs/auth.md).
    pub auth: super::auth::AuthSettings,
    /// The fault-injection proxies (docs/proxy.md).
    pub proxy: ProxySettings,
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
    /// SQLite file (`TEST_COORDINATOR_DATABASE`), created if missing, or a
    /// `postgres://` URL of a database shared by replicas (docs/scale-out.md).
    pub database: PathBuf,
    /// Folder holding the built site (`pkg/`, favicon), `LEPTOS_SITE_ROOT`.
    pub site_root: PathBuf,
    /// DNS names the server answers for besides loopback names and IP
    /// addresses (`TEST_COORDINATOR_ALLOWED_HOSTS`, comma-separated): a
    /// reverse proxy's or a team server's public name. Any other name is
    /// refused (DNS rebinding; docs/api.md, "Security").
    pub allowed_hosts: Vec<String>,
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
            allowed_hosts: Vec::new(),
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
    /// `within` of an assertion that gives none (`ASSERTION_TIMEOUT`); unset:
    /// until its phase ends.
    pub assertion_timeout: Option<String>,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub enable_parallel_actions: Option<IgnoredAny>,
    /// How often assertions are polled.
    pub assertion_poll_interval: String,
    /// Whether `rollback.on_failure` is honoured (`ENABLE_ROLLBACK_ON_FAILURE`).
    pub enable_rollback_on_failure: bool,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub enable_real_time_monitoring: Option<IgnoredAny>,
    /// How long a process's claim on its executions lasts without renewal
    /// (`OWNER_LEASE`; docs/engine.md, "Owners", and docs/scale-out.md).
    pub owner_lease: String,
    /// How often the claim is renewed (`OWNER_HEARTBEAT`): at most a third
    /// of the lease, so two renewals may fail before it runs out. Unset: 2s,
    /// or a third of a lease shorter than 6s.
    pub owner_heartbeat: Option<String>,
}

impl Default for ExecutionSettings {
    fn default() -> Self {
        Self {
            max_concurrent_scenarios: 3,
            default_timeout: "2h".into(),
            assertion_timeout: None,
            enable_parallel_actions: None,
            assertion_poll_interval: "1s".into(),
            enable_rollback_on_failure: true,
            enable_real_time_monitoring: None,
            owner_lease: "10s".into(),
            owner_heartbeat: None,
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
    /// A fault-injection proxy in front of the service (docs/proxy.md): its
    /// callers connect to `listen`, which forwards to `url`.
    #[serde(default)]
    pub proxy: Option<ServiceProxySettings>,
}

/// `services.<name>.proxy`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceProxySettings {
    /// `IP:port` the service's callers connect to.
    pub listen: String,
    /// `http` (per-request faults) or `tcp` (Toxiproxy's toxics).
    #[serde(default = "default_proxy_protocol")]
    pub protocol: String,
}

fn default_proxy_protocol() -> String {
    "http".into()
}

/// The `proxy:` section: the fault-injection proxies' chaos API and leases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxySettings {
    /// `IP:port` of the proxies' chaos API.
    pub admin: String,
    /// `serve` runs the proxies itself; `false`: a `test-coordinator proxy`
    /// next to the services does, and `serve` only drives its chaos API.
    pub embedded: bool,
    /// How long a fault an execution injected lives unless renewed.
    pub lease: String,
    /// How often a running execution renews its faults' leases.
    pub renew_every: String,
    /// How long a fault injected by hand lives when it names no `ttl`.
    pub manual_lease: String,
    /// The bearer token the proxies' chaos API asks of every caller
    /// (`TEST_COORDINATOR_PROXY_TOKEN`); required when `admin` is not a
    /// loopback address.
    pub token: Option<String>,
}

impl Default for ProxySettings {
    fn default() -> Self {
        Self {
            admin: "127.0.0.1:18474".into(),
            embedded: true,
            lease: "30s".into(),
            renew_every: "5s".into(),
            manual_lease: "10m".into(),
            token: None,
        }
    }
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
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub custom_scenarios_path: Option<IgnoredAny>,
}

impl Default for ScenarioSettings {
    fn default() -> Self {
        Self {
            library_path: "scenarios".into(),
            templates_path: "scenarios/templates".into(),
            custom_scenarios_path: None,
        }
    }
}

/// The `validation:` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationSettings {
    /// Strict mode: ask services for their live capabilities, refuse undeclared parameters.
    pub strict_mode: bool,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub validate_service_availability: Option<IgnoredAny>,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub check_parameter_types: Option<IgnoredAny>,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub verify_assertion_logic: Option<IgnoredAny>,
}

/// The `reporting:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportingSettings {
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub output_dir: Option<IgnoredAny>,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub formats: Option<IgnoredAny>,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub include_timeline: Option<IgnoredAny>,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub include_metrics: Option<IgnoredAny>,
    /// Days executions and their reports are kept after they finish
    /// (`REPORT_RETENTION_DAYS`; `0`: forever).
    pub retention_days: u32,
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub detailed: Option<IgnoredAny>,
}

impl Default for ReportingSettings {
    fn default() -> Self {
        Self {
            output_dir: None,
            formats: None,
            include_timeline: None,
            include_metrics: None,
            retention_days: 30,
            detailed: None,
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
    /// Retired (docs/config.md): accepted and ignored, with a warning.
    #[serde(default)]
    pub aggressive_cleanup: Option<IgnoredAny>,
    /// Log a notice on each rollback.
    pub notify_on_rollback: bool,
}

impl Default for RollbackSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            timeout: "10m".into(),
            aggressive_cleanup: None,
            notify_on_rollback: true,
        }
    }
}

impl Settings {
    /// The retired keys this file sets (docs/config.md): nothing reads them.
    pub fn retired_keys(&self) -> Vec<&'static str> {
        let e = &self.execution;
        let v = &self.validation;
        let r = &self.reporting;
        [
            (
                "execution.enable_parallel_actions",
                e.enable_parallel_actions.is_some(),
            ),
            (
                "execution.enable_real_time_monitoring",
                e.enable_real_time_monitoring.is_some(),
            ),
            (
                "scenarios.custom_scenarios_path",
                self.scenarios.custom_scenarios_path.is_some(),
            ),
            (
                "validation.validate_service_availability",
                v.validate_service_availability.is_some(),
            ),
            (
                "validation.check_parameter_types",
                v.check_parameter_types.is_some(),
            ),
            (
                "validation.verify_assertion_logic",
                v.verify_assertion_logic.is_some(),
            ),
            ("reporting.output_dir", r.output_dir.is_some()),
            ("reporting.formats", r.formats.is_some()),
            ("reporting.include_timeline", r.include_timeline.is_some()),
            ("reporting.include_metrics", r.include_metrics.is_some()),
            ("reporting.detailed", r.detailed.is_some()),
            (
                "rollback.aggressive_cleanup",
                self.rollback.aggressive_cleanup.is_some(),
            ),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect()
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
                    proxy: None,
                };
                (name.to_owned(), settings)
            })
            .collect::<BTreeMap<_, _>>();
        let mut services = services;
        services.insert(
            MARKET_DATA_PROXY.0.to_owned(),
            ServiceSettings {
                url: default_market_data_url(),
                chaos_api_path: None,
                api_path: Some("/api/v1".into()),
                health_endpoint: default_health_endpoint(),
                timeout: default_service_timeout(),
                process: None,
                actions: Vec::new(),
                proxy: Some(ServiceProxySettings {
                    listen: format!("127.0.0.1:{}", MARKET_DATA_PROXY.1),
                    protocol: default_proxy_protocol(),
                }),
            },
        );
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
            auth: Default::default(),
            proxy: ProxySettings::default(),
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
}

/// One custom assertion type declared in `config.yaml` (`assertions:`): an HTTP
/// query plus JSON conditions, so teams add types without recompiling. The
/// checking lives in `assertions::custom`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomAssertion {
    /// The `type` scenarios use (filled from the config key).
    #[serde(default)]
    pub name: String,
    /// The service queried.
    pub service: String,
    /// The path GET-ed on it.
    pub path: String,
    /// Conditions on the JSON answer; all must hold.
    pub checks: Vec<Value>,
    /// Accepted `expect` words (default `holds`).
    #[serde(default = "default_expect")]
    pub expect: Vec<String>,
    /// What it means, for people.
    #[serde(default)]
    pub description: Option<String>,
}

fn default_expect() -> Vec<String> {
    vec!["holds".to_owned()]
}
