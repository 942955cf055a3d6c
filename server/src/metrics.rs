//! Prometheus metrics: the registry, the HTTP RED families (rate, errors,
//! duration per route), the process collector, and the executions' families
//! (counts by state, assertions, recovery time), fed one event at a time by
//! [`Metrics::observe_event`] from the engine's broadcast.

use std::sync::Arc;

use app::scenario::catalog::{assertion_role, AssertionRole};

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric},
    metrics::{
        counter::{ConstCounter, Counter},
        family::Family,
        gauge::ConstGauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

/// Labels of one request: method, matched route (never the raw path, so the
/// label set stays bounded), status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// Route pattern (`/api/v1/scenarios/{execution_id}/status`) or `unmatched`.
    pub route: String,
    /// Status code.
    pub status: u16,
}

/// Labels of `test_coordinator_http_requests_refused_total`: why the gate
/// refused (`unauthenticated`, `forbidden`, `csrf`, `rate_limited`).
/// Labels of a gRPC call: the service's and method's names (`unmatched` for
/// a path no method has) and its final code (`OK`, `NOT_FOUND`, …).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrpcLabels {
    pub service: String,
    pub method: String,
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrpcMethodLabels {
    pub service: String,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusedLabels {
    /// Why.
    pub reason: String,
}

/// Labels of a route, for the error counter and the latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// HTTP method.
    pub method: String,
    /// Route pattern.
    pub route: String,
}

/// Labels of the seed's engine metrics; unused labels stay empty.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet, Default)]
pub struct EngineLabels {
    /// Scenario name.
    pub scenario_name: String,
    /// Phase name.
    pub phase_name: String,
    /// Final state, or `passed`/`failed` for assertions, `success`/`failed` for actions.
    pub status: String,
    /// Assertion type.
    pub assertion_type: String,
    /// Service acted on.
    pub service: String,
    /// Chaos action.
    pub action_type: String,
    /// Why a rollback ran.
    pub reason: String,
    /// Scenario category.
    pub scenario_category: String,
}

/// Labels of `test_coordinator_assertions_total`: the assertion type and
/// `passed`/`failed`, nothing else.
/// Labels of `test_coordinator_schedule_firings_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FiringLabels {
    /// `submitted`, `skipped` or `failed`.
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AssertionLabels {
    /// Assertion type.
    pub assertion_type: String,
    /// `passed` or `failed`.
    pub result: String,
}

/// Longest label value taken from user input (scenario, phase, service, action
/// and assertion names): longer values are cut, so one scenario cannot make a
/// series arbitrarily large.
pub const MAX_LABEL_CHARS: usize = 64;

/// `value` cut to [`MAX_LABEL_CHARS`] characters (with `…` when cut).
pub fn cap_label(value: &str) -> String {
    if value.chars().nth(MAX_LABEL_CHARS).is_none() {
        return value.to_owned();
    }
    let kept: String = value.chars().take(MAX_LABEL_CHARS - 1).collect();
    format!("{kept}…")
}

/// The `method` label: the standard methods as they are, anything else
/// `other`, so a client cannot mint label values.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

impl EngineLabels {
    /// Every value cut to [`MAX_LABEL_CHARS`]: they come from scenario text.
    fn capped(self) -> Self {
        Self {
            scenario_name: cap_label(&self.scenario_name),
            phase_name: cap_label(&self.phase_name),
            status: cap_label(&self.status),
            assertion_type: cap_label(&self.assertion_type),
            service: cap_label(&self.service),
            action_type: cap_label(&self.action_type),
            reason: cap_label(&self.reason),
            scenario_category: cap_label(&self.scenario_category),
        }
    }
}

/// The seed's `test_coordinator_*` engine metrics.
#[derive(Clone)]
struct EngineMetrics {
    executed: Family<EngineLabels, Counter>,
    scenario_duration: Family<EngineLabels, Histogram>,
    assertion_results: Family<EngineLabels, Counter>,
    assertions: Family<AssertionLabels, Counter>,
    chaos_actions: Family<EngineLabels, Counter>,
    chaos_duration: Family<EngineLabels, Histogram>,
    rollbacks: Family<EngineLabels, Counter>,
    recovery_time: Family<EngineLabels, Histogram>,
    validation_time: Family<EngineLabels, Histogram>,
    success_rate: Family<
        EngineLabels,
        prometheus_client::metrics::gauge::Gauge<f64, std::sync::atomic::AtomicU64>,
    >,
}

fn scenario_histogram() -> Histogram {
    // 1 s .. ~36 h of scenario time
    Histogram::new(exponential_buckets(1.0, 2.0, 18))
}

/// Every metric the coordinator exports, behind one cheap handle.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    errors: Family<RouteLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    refused: Family<RefusedLabels, Counter>,
    grpc_calls: Family<GrpcLabels, Counter>,
    grpc_errors: Family<GrpcMethodLabels, Counter>,
    grpc_durations: Family<GrpcMethodLabels, Histogram>,
    firings: Family<FiringLabels, Counter>,
    firing_lateness: Histogram,
    engine: EngineMetrics,
    /// Per-execution context the events do not repeat (name, category, chaos starts).
    executions: Arc<
        std::sync::Mutex<std::collections::HashMap<crate::engine::ExecutionId, ExecutionContext>>,
    >,
    /// Finished executions per category: (completed, total).
    outcomes: Arc<std::sync::Mutex<std::collections::HashMap<String, (u64, u64)>>>,
}

#[derive(Default)]
struct ExecutionContext {
    scenario: String,
    category: String,
    phases: std::collections::HashMap<usize, (String, u64)>,
    chaos_started: std::collections::HashMap<String, u64>,
    /// Recovery assertions' times to hold (s), exported at the end unless the
    /// workload measured the recovery itself.
    assertion_recoveries: Vec<f64>,
    /// Whether a workload summary gave the recovery time.
    measured_recovery: bool,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    /// A registry with the HTTP and process metrics.
    pub fn new() -> Self {
        Self::with_proxies(None, None)
    }

    /// [`Metrics::new`], plus the embedded fault-injection proxies' metrics
    /// (`test_coordinator_proxy_*`) when `serve` runs proxies. With `replica`
    /// (a replica on a shared PostgreSQL database), every series carries a
    /// `replica` label with its id, as `/health` shows it.
    pub fn with_proxies(
        proxies: Option<&fault_proxy::ProxyMetrics>,
        replica: Option<String>,
    ) -> Self {
        let mut registry = match replica {
            Some(id) => Registry::with_labels(std::iter::once((
                std::borrow::Cow::Borrowed("replica"),
                std::borrow::Cow::Owned(id),
            ))),
            None => Registry::default(),
        };
        if let Some(proxies) = proxies {
            proxies.register(&mut registry);
        }
        let requests = Family::<RequestLabels, Counter>::default();
        let errors = Family::<RouteLabels, Counter>::default();
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "test_coordinator_http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "test_coordinator_http_request_errors",
            "HTTP requests answered with a 5xx status, by method and route",
            errors.clone(),
        );
        registry.register(
            "test_coordinator_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route",
            durations.clone(),
        );
        let refused = Family::<RefusedLabels, Counter>::default();
        registry.register(
            "test_coordinator_http_requests_refused",
            "HTTP requests the access gate refused, by reason (unauthenticated, forbidden, csrf, rate_limited)",
            refused.clone(),
        );
        let grpc_calls = Family::<GrpcLabels, Counter>::default();
        let grpc_errors = Family::<GrpcMethodLabels, Counter>::default();
        let grpc_durations = Family::<GrpcMethodLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "test_coordinator_grpc_requests",
            "gRPC calls answered, by service, method and code",
            grpc_calls.clone(),
        );
        registry.register(
            "test_coordinator_grpc_request_errors",
            "gRPC calls that ended with a server-side code (UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS, UNIMPLEMENTED, DEADLINE_EXCEEDED), by service and method",
            grpc_errors.clone(),
        );
        registry.register(
            "test_coordinator_grpc_request_duration_seconds",
            "Time from a gRPC call's arrival to its final status (a stream's whole life), by service and method",
            grpc_durations.clone(),
        );
        let firings = Family::<FiringLabels, Counter>::default();
        registry.register(
            "test_coordinator_schedule_firings",
            "Due times of schedules decided, by result (submitted, skipped, failed)",
            firings.clone(),
        );
        let firing_lateness = latency_histogram();
        registry.register(
            "test_coordinator_schedule_firing_lateness_seconds",
            "Time from a schedule's due time to its execution being submitted",
            firing_lateness.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));
        let engine = EngineMetrics {
            executed: Family::default(),
            scenario_duration: Family::new_with_constructor(
                scenario_histogram as fn() -> Histogram,
            ),
            assertion_results: Family::default(),
            assertions: Family::default(),
            chaos_actions: Family::default(),
            chaos_duration: Family::new_with_constructor(scenario_histogram as fn() -> Histogram),
            rollbacks: Family::default(),
            recovery_time: Family::new_with_constructor(scenario_histogram as fn() -> Histogram),
            validation_time: Family::new_with_constructor(scenario_histogram as fn() -> Histogram),
            success_rate: Family::default(),
        };
        let e = &engine;
        registry.register(
            "test_coordinator_scenarios_executed",
            "Executions finished, by scenario and final state",
            e.executed.clone(),
        );
        registry.register(
            "test_coordinator_scenario_duration_seconds",
            "Scenario time each phase took, by scenario and phase",
            e.scenario_duration.clone(),
        );
        registry.register(
            "test_coordinator_assertion_results",
            "Assertions decided, by type and result",
            e.assertion_results.clone(),
        );
        registry.register(
            "test_coordinator_assertions",
            "Assertions decided, by assertion type and result (passed or failed)",
            e.assertions.clone(),
        );
        registry.register(
            "test_coordinator_chaos_actions",
            "Actions sent to services, by service, action and result",
            e.chaos_actions.clone(),
        );
        registry.register(
            "test_coordinator_chaos_duration_seconds",
            "Scenario time from injecting chaos on a service to clearing it",
            e.chaos_duration.clone(),
        );
        registry.register(
            "test_coordinator_rollback_triggered",
            "Rollbacks run, by reason",
            e.rollbacks.clone(),
        );
        registry.register(
            "test_coordinator_system_recovery_time_seconds",
            "Scenario time from the chaos being cleared until recovery, by scenario and service: the workload's steady state holding again (DESIGN.md §7), or else recovery assertions' time to hold",
            e.recovery_time.clone(),
        );
        registry.register(
            "test_coordinator_assertion_validation_time_seconds",
            "Scenario time spent checking an assertion until it was decided",
            e.validation_time.clone(),
        );
        registry.register(
            "test_coordinator_scenario_success_rate",
            "Share of finished executions that completed, by scenario category",
            e.success_rate.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            errors,
            durations,
            refused,
            grpc_calls,
            grpc_errors,
            grpc_durations,
            firings,
            firing_lateness,
            engine,
            executions: Arc::default(),
            outcomes: Arc::default(),
        }
    }

    /// Counts a schedule's decided due time by `result`; a submitted one also
    /// records how late it was submitted.
    pub fn observe_firing(&self, result: &str, lateness_seconds: Option<f64>) {
        self.firings
            .get_or_create(&FiringLabels {
                result: result.to_owned(),
            })
            .inc();
        if let Some(late) = lateness_seconds {
            self.firing_lateness.observe(late.max(0.0));
        }
    }

    /// Counts one request the access gate refused, for `reason`
    /// (`unauthenticated`, `forbidden`, `csrf`, `rate_limited`).
    pub fn observe_refusal(&self, reason: &'static str) {
        self.refused
            .get_or_create(&RefusedLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Records one answered request.
    /// `method` becomes `other` unless standard; `route` is a route pattern (or
    /// `unmatched`), never a raw path, and is capped all the same.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        let route = cap_label(route);
        let route_labels = RouteLabels {
            method: method.to_owned(),
            route: route.clone(),
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route,
                status,
            })
            .inc();
        if status >= 500 {
            self.errors.get_or_create(&route_labels).inc();
        }
        self.durations.get_or_create(&route_labels).observe(seconds);
    }

    /// Records one gRPC call that ended with `code` after `seconds`.
    /// `service` and `method` come from the method table, never from a raw path.
    pub fn observe_grpc(&self, service: &str, method: &str, code: tonic::Code, seconds: f64) {
        use tonic::Code as C;
        let labels = GrpcMethodLabels {
            service: cap_label(service),
            method: cap_label(method),
        };
        self.grpc_calls
            .get_or_create(&GrpcLabels {
                service: labels.service.clone(),
                method: labels.method.clone(),
                code: crate::grpc::convert::code_name(code).to_owned(),
            })
            .inc();
        if matches!(
            code,
            C::Unknown
                | C::Internal
                | C::Unavailable
                | C::DataLoss
                | C::Unimplemented
                | C::DeadlineExceeded
        ) {
            self.grpc_errors.get_or_create(&labels).inc();
        }
        self.grpc_durations.get_or_create(&labels).observe(seconds);
    }

    /// Updates the engine metrics from one recorded event.
    pub fn observe_event(&self, event: &crate::engine::event::Event) {
        use crate::engine::event::EventKind as K;
        let mut executions = self.executions.lock().unwrap_or_else(|e| e.into_inner());
        let context = executions.entry(event.execution_id).or_default();
        let offset = event.offset_ms.unwrap_or(0);
        let labels = |f: &dyn Fn(&mut EngineLabels)| {
            let mut l = EngineLabels::default();
            f(&mut l);
            l.capped()
        };
        match &event.kind {
            K::ExecutionQueued { scenario, category } => {
                context.scenario = scenario.clone();
                context.category = category.clone().unwrap_or_default();
            }
            K::PhaseStarted { name, .. } => {
                if let Some(phase) = event.phase {
                    context.phases.insert(phase, (name.clone(), offset));
                }
            }
            K::PhaseFinished { name, .. } => {
                if let Some((_, started)) = event.phase.and_then(|p| context.phases.remove(&p)) {
                    let scenario = context.scenario.clone();
                    self.engine
                        .scenario_duration
                        .get_or_create(&labels(&|l| {
                            l.scenario_name = scenario.clone();
                            l.phase_name = name.clone();
                        }))
                        .observe(offset.saturating_sub(started) as f64 / 1000.0);
                }
            }
            K::ActionFinished {
                service,
                action,
                outcome,
                ..
            } => {
                let status = if outcome.ok { "success" } else { "failed" };
                self.engine
                    .chaos_actions
                    .get_or_create(&labels(&|l| {
                        l.service = service.clone();
                        l.action_type = action.clone();
                        l.status = status.to_owned();
                    }))
                    .inc();
                use app::scenario::catalog::{chaos_effect, ChaosEffect};
                if outcome.ok && chaos_effect(action) != ChaosEffect::Neutral {
                    if chaos_effect(action) == ChaosEffect::Clears {
                        if let Some(started) = context.chaos_started.remove(service) {
                            self.engine
                                .chaos_duration
                                .get_or_create(&labels(&|l| {
                                    l.service = service.clone();
                                    l.action_type = "chaos".to_owned();
                                }))
                                .observe(offset.saturating_sub(started) as f64 / 1000.0);
                        }
                    } else {
                        context
                            .chaos_started
                            .entry(service.clone())
                            .or_insert(offset);
                    }
                }
            }
            K::AssertionFinished {
                kind,
                expect,
                result,
                ..
            } => {
                let outcome = if result.passed { "passed" } else { "failed" };
                self.engine
                    .assertion_results
                    .get_or_create(&labels(&|l| {
                        l.assertion_type = kind.clone();
                        l.status = outcome.to_owned();
                    }))
                    .inc();
                self.engine
                    .assertions
                    .get_or_create(&AssertionLabels {
                        assertion_type: cap_label(kind),
                        result: outcome.to_owned(),
                    })
                    .inc();
                if let (Some(first), Some(last)) = (result.first_check_ms, result.last_check_ms) {
                    self.engine
                        .validation_time
                        .get_or_create(&labels(&|l| l.assertion_type = kind.clone()))
                        .observe(last.saturating_sub(first) as f64 / 1000.0);
                }
                let recovery = assertion_role(kind, expect) == AssertionRole::Recovery;
                if let (true, Some(hold)) = (recovery && result.passed, result.time_to_hold_ms) {
                    context.assertion_recoveries.push(hold as f64 / 1000.0);
                }
            }
            K::WorkloadSummary { summary } => {
                let services = summary.recovery.iter().flat_map(|r| &r.services);
                for service in services {
                    let Some(ms) = service.recovery_time_ms else {
                        continue;
                    };
                    context.measured_recovery = true;
                    let scenario = context.scenario.clone();
                    self.engine
                        .recovery_time
                        .get_or_create(&labels(&|l| {
                            l.scenario_name = scenario.clone();
                            l.service = service.service.clone();
                        }))
                        .observe(ms as f64 / 1000.0);
                }
            }
            K::RollbackStarted { reason, .. } => {
                let reason = serde_json::to_value(reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                self.engine
                    .rollbacks
                    .get_or_create(&labels(&|l| l.reason = reason.clone()))
                    .inc();
            }
            K::ExecutionFinished { status, .. } => {
                let scenario = context.scenario.clone();
                let category = context.category.clone();
                if !context.measured_recovery {
                    for seconds in &context.assertion_recoveries {
                        self.engine
                            .recovery_time
                            .get_or_create(&labels(&|l| l.scenario_name = scenario.clone()))
                            .observe(*seconds);
                    }
                }
                executions.remove(&event.execution_id);
                self.engine
                    .executed
                    .get_or_create(&labels(&|l| {
                        l.scenario_name = scenario.clone();
                        l.status = status.as_str().to_owned();
                    }))
                    .inc();
                let mut outcomes = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
                let entry = outcomes.entry(category.clone()).or_default();
                entry.1 += 1;
                if *status == app::api::ExecutionStatus::Completed {
                    entry.0 += 1;
                }
                self.engine
                    .success_rate
                    .get_or_create(&labels(&|l| l.scenario_category = category.clone()))
                    .set(entry.0 as f64 / entry.1 as f64);
            }
            _ => {}
        }
    }

    /// The exposition text (OpenMetrics, which Prometheus reads).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The classic Prometheus text format (0.0.4), for clients that do not ask
    /// for OpenMetrics (curl, `promtool check metrics`): see [`to_classic_text`].
    pub fn encode_classic(&self) -> String {
        to_classic_text(&self.encode())
    }
}

/// OpenMetrics text as the classic text format: a counter family is named
/// `x` in OpenMetrics and its samples `x_total`; the classic format names the
/// family `x_total` too, or its HELP and TYPE describe nothing (promtool: "no
/// help text"). `unknown` is `untyped` there, and `# UNIT`/`# EOF` do not exist.
pub fn to_classic_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            let tail = if tail == "unknown" { "untyped" } else { tail };
            let name = if counters.contains(name) {
                format!("{name}_total")
            } else {
                name.to_owned()
            };
            Some(format!("{prefix}{name} {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The families of `text` (classic format) that have samples but no `# HELP`,
/// as `promtool check metrics` finds them: a sample's family is its name, less
/// `_bucket`/`_sum`/`_count` when that names a described histogram.
pub fn families_without_help(text: &str) -> Vec<String> {
    let help: std::collections::HashSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# HELP "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut missing = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name = line.split(['{', ' ']).next().unwrap_or_default();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| help.contains(f)))
            .unwrap_or(name);
        if !help.contains(family) && !missing.contains(&family.to_owned()) {
            missing.push(family.to_owned());
        }
    }
    missing
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// `process_*` metrics read from `/proc/self` at each scrape (Linux only; on
/// other systems it exports nothing).
#[derive(Debug)]
struct ProcessCollector;

/// What `/proc/self` tells about this process.
#[derive(Debug, Default, PartialEq)]
struct ProcessStats {
    cpu_seconds: f64,
    resident_bytes: i64,
    virtual_bytes: i64,
    start_time_seconds: f64,
    open_fds: i64,
    threads: i64,
}

const CLOCK_TICKS_PER_SECOND: f64 = 100.0;
const PAGE_SIZE: i64 = 4096;

/// Parses `/proc/self/stat` (fields after the parenthesised command name) given
/// the boot time from `/proc/stat`.
fn parse_stat(stat: &str, boot_time: f64) -> Option<ProcessStats> {
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Indices are field numbers from proc(5) minus 3 (pid and comm are gone).
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
    let utime = field(14)?;
    let stime = field(15)?;
    Some(ProcessStats {
        cpu_seconds: (utime + stime) / CLOCK_TICKS_PER_SECOND,
        threads: field(20)? as i64,
        start_time_seconds: boot_time + field(22)? / CLOCK_TICKS_PER_SECOND,
        virtual_bytes: field(23)? as i64,
        resident_bytes: field(24)? as i64 * PAGE_SIZE,
        open_fds: 0,
    })
}

fn read_process_stats() -> Option<ProcessStats> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let boot_time = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let mut stats = parse_stat(&stat, boot_time)?;
    stats.open_fds = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as i64)
        .unwrap_or(0);
    Some(stats)
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(stats) = read_process_stats() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(stats.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                stats.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                stats.virtual_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                stats.open_fds,
            ),
            ("process_threads", "Number of OS threads", stats.threads),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        let start = ConstGauge::new(stats.start_time_seconds);
        start.encode(encoder.encode_descriptor(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            None,
            start.metric_type(),
        )?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
