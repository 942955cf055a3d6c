//! The assertion types the engine implements (DESIGN.md §4): their accepted
//! `expect` words and parameters, and each one's [`AssertionRole`] — the one list
//! the engine's verdict, the report and `/metrics` read to know which assertions
//! show detection and which show recovery.

use std::collections::BTreeMap;

use super::{AssertionRole, AssertionSpec, Catalog, ParamSpec, ParamType};

/// The role of every built-in assertion type; [`Catalog::builtin_assertions`]
/// puts it on each spec, and a test checks that no type is missing.
pub(super) const ROLES: [(&str, AssertionRole); 22] = [
    ("system_health", AssertionRole::Check),
    ("system_recovery", AssertionRole::Recovery),
    ("service_health", AssertionRole::Recovery),
    ("http", AssertionRole::Check),
    ("metric", AssertionRole::Check),
    ("prometheus", AssertionRole::Check),
    ("risk_alert", AssertionRole::Detection),
    ("alert_resolution", AssertionRole::Recovery),
    ("strategy_active", AssertionRole::Check),
    ("trading_performance", AssertionRole::Check),
    ("trading_adaptation", AssertionRole::Check),
    ("trading_impact", AssertionRole::Check),
    ("price_divergence", AssertionRole::Check),
    ("price_recovery", AssertionRole::Recovery),
    ("liquidity_crisis", AssertionRole::Check),
    ("position_limits", AssertionRole::Detection),
    ("emergency_procedures", AssertionRole::Detection),
    ("arbitrage_opportunity", AssertionRole::Check),
    ("performance_recovery", AssertionRole::Recovery),
    ("system_stabilization", AssertionRole::Recovery),
    ("exchange_health", AssertionRole::Check),
    ("audit_correlation", AssertionRole::Check),
];

/// The role of one assertion of `assertion_type` expecting `expect`: its type's
/// role from the catalog, except that a `metric` assertion on `recovery_time`
/// shows recovery. Types the catalog does not know (custom ones) are checks.
pub fn assertion_role(assertion_type: &str, expect: &str) -> AssertionRole {
    if assertion_type == "metric" && expect.trim_start().starts_with("recovery_time") {
        return AssertionRole::Recovery;
    }
    ROLES
        .iter()
        .find(|(name, _)| *name == assertion_type)
        .map_or(AssertionRole::Check, |(_, role)| *role)
}

impl Catalog {
    /// The assertion types the engine implements (DESIGN.md §4), with their
    /// accepted `expect` words and parameters.
    pub fn builtin_assertions() -> BTreeMap<String, AssertionSpec> {
        use ParamType::{Float, Int, List, Object, String as Text};
        let p = ParamSpec::new;
        let fraction = |name: &'static str| p(name, Float).range(Some(0.0), Some(1.0));
        let strategy = || p("strategy", Text);
        let health = || {
            vec![
                p("required_services", List).items(Text),
                p("health_check_passes", Int).range(Some(1.0), None),
            ]
        };
        let comparison = ["==", "!=", "<", "<=", ">", ">="];
        let mut all_ops = comparison.to_vec();
        all_ops.extend(["contains", "matches"]);
        let alert_type = || p("alert_type", ParamType::Enum).values(&ALERT_TYPES);
        let table = [
            (
                "system_health",
                AssertionSpec::new(&["all_services_healthy", "healthy"], health()),
            ),
            (
                "system_recovery",
                AssertionSpec::new(
                    &["normal_operations", "all_services_healthy", "recovered"],
                    health(),
                ),
            ),
            (
                "service_health",
                AssertionSpec::new(&["healthy", "down"], vec![]).with_service(),
            ),
            (
                "http",
                AssertionSpec::new(
                    &["ok"],
                    vec![
                        p("method", ParamType::Enum).values(&HTTP_METHODS),
                        p("path", Text).required(),
                        p("status", Int).range(Some(100.0), Some(599.0)),
                        p("checks", List).items(Object).fields(vec![
                            p("pointer", Text).required(),
                            p("op", ParamType::Enum).values(&all_ops).required(),
                            p("value", ParamType::Any),
                        ]),
                        p("max_latency_ms", Float).range(Some(0.0), None),
                    ],
                ),
            ),
            (
                "metric",
                AssertionSpec {
                    description: "the execution's own workload figures (spec.workload): \
                        `expect` is an expression such as `p95_latency_ms <= 150`, \
                        `failure_rate between 0.9 and 1.0` or `recovery_time <= 30s`"
                        .to_owned(),
                    ..AssertionSpec::new(
                        &[],
                        vec![
                            p("window", ParamType::Duration),
                            p("stream", Text),
                            p("min_requests", Int).range(Some(1.0), None),
                        ],
                    )
                },
            ),
            (
                "prometheus",
                AssertionSpec::new(
                    &["holds"],
                    vec![
                        p("query", Text).required(),
                        p("op", ParamType::Enum).values(&comparison),
                        p("value", Float).required(),
                    ],
                ),
            ),
            (
                "risk_alert",
                AssertionSpec::new(
                    &[
                        "alert_generated",
                        "execution_latency_alert",
                        "position_limit_breach_alert",
                        "correlation_breach_alert",
                        "price_divergence_alert",
                        "settlement_delay_alert",
                        "liquidity_crisis_alert",
                        "risk_escalation_alert",
                    ],
                    vec![
                        alert_type(),
                        p("severity", ParamType::Enum)
                            .values(&["low", "medium", "high", "critical"]),
                    ],
                ),
            ),
            (
                "alert_resolution",
                AssertionSpec::new(&["alerts_cleared"], vec![alert_type()]),
            ),
            (
                "strategy_active",
                AssertionSpec::new(
                    &[
                        "arbitrage_running",
                        "market_making_running",
                        "momentum_running",
                        "running",
                    ],
                    vec![strategy()],
                ),
            ),
            (
                "trading_performance",
                AssertionSpec::new(
                    &["degraded_execution", "normal_execution", "within_limits"],
                    vec![
                        p("max_latency_ms", Float).range(Some(0.0), None),
                        fraction("min_success_rate"),
                        strategy(),
                    ],
                ),
            ),
            (
                "trading_adaptation",
                AssertionSpec::new(&["strategy_adjusts"], vec![strategy()]),
            ),
            (
                "trading_impact",
                AssertionSpec::new(&["degraded_performance"], vec![strategy()]),
            ),
            (
                "price_divergence",
                AssertionSpec::new(
                    &["usdt_depegged", "depegged", "diverged"],
                    vec![p("symbol", Text), p("min_deviation", Float)],
                ),
            ),
            (
                "price_recovery",
                AssertionSpec::new(
                    &["usdt_repeg", "repegged", "recovered"],
                    vec![p("symbol", Text), p("max_deviation", Float)],
                ),
            ),
            (
                "liquidity_crisis",
                AssertionSpec::new(
                    &["wider_spreads"],
                    vec![p("symbols", List).items(Text), p("min_factor", Float)],
                ),
            ),
            (
                "position_limits",
                AssertionSpec::new(&["limits_breached", "within_limits"], vec![strategy()]),
            ),
            (
                "emergency_procedures",
                AssertionSpec::new(&["risk_escalation"], vec![]),
            ),
            (
                "arbitrage_opportunity",
                AssertionSpec::new(&["increased_activity"], vec![p("min_increase", Float)]),
            ),
            (
                "performance_recovery",
                AssertionSpec::new(
                    &["strategy_performance_normalized", "normal_operations"],
                    vec![strategy(), p("tolerance", Float)],
                ),
            ),
            (
                "system_stabilization",
                AssertionSpec::new(&["normal_operations"], vec![]),
            ),
            (
                "exchange_health",
                AssertionSpec::new(&["healthy", "degraded", "down"], vec![]).with_service(),
            ),
            (
                "audit_correlation",
                AssertionSpec::new(
                    &["events_correlated"],
                    vec![
                        fraction("correlation_threshold"),
                        p("expected_event_count", Int).range(Some(0.0), None),
                    ],
                ),
            ),
        ];
        table
            .into_iter()
            .map(|(name, spec)| {
                let role = assertion_role(name, "");
                (name.to_owned(), AssertionSpec { role, ..spec })
            })
            .collect()
    }
}

/// The alert types of the risk monitor.
pub const ALERT_TYPES: [&str; 7] = [
    "execution_latency",
    "position_limit_breach",
    "correlation_breach",
    "price_divergence",
    "settlement_delay",
    "liquidity_crisis",
    "risk_escalation",
];

/// The methods of `http` actions and assertions.
pub const HTTP_METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
