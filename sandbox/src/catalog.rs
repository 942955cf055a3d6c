//! The chaos actions each service accepts, with their parameter schemas.
//!
//! This table is the single source of `GET /chaos/capabilities` and of the
//! validation of `POST /chaos/{action}`; `world` turns validated parameters
//! into effects. `clear` is implied on every service and not listed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::json;

use crate::schema::{ActionSpec, ParamSpec, ParamType};
use crate::service::Service;

/// Order operations the exchange's latency can target.
pub const EXCHANGE_OPERATIONS: &[&str] = &[
    "place_order",
    "cancel_order",
    "get_order",
    "list_orders",
    "get_book",
];
/// Settlement types of the custodian.
pub const SETTLEMENT_TYPES: &[&str] = &["crypto_internal", "crypto_external", "fiat"];
/// Strategy names of the trading engine.
pub const STRATEGIES: &[&str] = &["arbitrage", "market_making", "momentum"];

/// The actions of `service` (excluding the implied `clear`).
pub fn actions(service: Service) -> &'static [ActionSpec] {
    static CATALOG: OnceLock<BTreeMap<Service, Vec<ActionSpec>>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Service::ALL.into_iter().map(|s| (s, build(s))).collect())
        .get(&service)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The action named `name` on `service`, if it exists.
pub fn action(service: Service, name: &str) -> Option<&'static ActionSpec> {
    actions(service).iter().find(|a| a.name == name)
}

fn duration() -> ParamSpec {
    ParamSpec::new(
        "duration",
        ParamType::Duration,
        "How long the chaos lasts (sim time); absent = until cleared.",
    )
}

fn intensity(what: &'static str) -> ParamSpec {
    ParamSpec::new("intensity", ParamType::Float, what)
        .range(0.0, 1.0)
        .default(json!(0.5))
}

fn delay_ms() -> ParamSpec {
    ParamSpec::new(
        "delay_ms",
        ParamType::Int,
        "Added delay in sim milliseconds.",
    )
    .required()
    .range(0.0, 600_000.0)
}

fn symbols() -> ParamSpec {
    ParamSpec::new(
        "symbols",
        ParamType::StringList(None),
        "Symbols affected (absent = all).",
    )
}

fn accounts() -> ParamSpec {
    ParamSpec::new(
        "affected_accounts",
        ParamType::StringList(None),
        "Accounts affected (absent = all).",
    )
}

fn rate(name: &'static str, what: &'static str) -> ParamSpec {
    ParamSpec::new(name, ParamType::Float, what).range(0.0, 1.0)
}

fn partition() -> ActionSpec {
    ActionSpec::new(
        "network_partition",
        "The service's API stops answering: requests hang until the client times out (the chaos API stays reachable).",
        vec![duration()],
    )
}

fn api_latency(ops: &'static [&'static str]) -> ActionSpec {
    ActionSpec::new(
        "inject_latency",
        "Delays the service's /api/v1 responses by delay_ms (sim time).",
        vec![
            delay_ms(),
            ParamSpec::new(
                "operations",
                ParamType::StringList(Some(ops)),
                "Operations delayed (absent = all).",
            ),
            duration(),
        ],
    )
}

fn build(service: Service) -> Vec<ActionSpec> {
    match service {
        Service::ExchangeSimulator => exchange(),
        Service::MarketDataSimulator => market_data(),
        Service::TradingEngine => trading_engine(),
        Service::CustodianSimulator => custodian(),
        Service::RiskMonitor => vec![
            api_latency(&["list_alerts", "get_positions", "get_summary"]),
            partition(),
        ],
        Service::AuditCorrelator => vec![api_latency(&["list_events"]), partition()],
    }
}

fn exchange() -> Vec<ActionSpec> {
    vec![
        ActionSpec::new(
            "inject_latency",
            "Adds delay_ms (sim) to the selected order operations for the selected accounts; the strategies' p95 latency shows it.",
            vec![
                delay_ms(),
                ParamSpec::new(
                    "operations",
                    ParamType::StringList(Some(EXCHANGE_OPERATIONS)),
                    "Operations delayed (absent = all).",
                ),
                accounts(),
                ParamSpec::new("pattern", ParamType::Enum(&["sudden", "gradual"]), "sudden: full delay at once; gradual: ramps up over one sim minute.")
                    .default(json!("sudden")),
                duration(),
            ],
        ),
        ActionSpec::new(
            "reject_orders",
            "Rejects a share of new orders with the given reason.",
            vec![
                rate("rate", "Share of orders rejected.").required(),
                ParamSpec::new("reason", ParamType::String, "Reason reported on rejected orders.")
                    .default(json!("chaos_rejection")),
                accounts(),
                duration(),
            ],
        ),
        ActionSpec::new(
            "simulate_downtime",
            "The exchange is down: /health answers 503 and every API request fails with 503.",
            vec![duration()],
        ),
        ActionSpec::new(
            "manipulate_spreads",
            "Multiplies the spread of the books.",
            vec![
                ParamSpec::new("factor", ParamType::Float, "Spread multiplier.")
                    .required()
                    .range(0.1, 100.0),
                symbols(),
                duration(),
            ],
        ),
        ActionSpec::new(
            "reduce_liquidity",
            "Cuts book depth to reduction_factor and widens spreads by 1/reduction_factor^1.5.",
            vec![
                symbols(),
                ParamSpec::new("reduction_factor", ParamType::Float, "Remaining share of depth.")
                    .required()
                    .range(0.01, 1.0),
                duration(),
            ],
        ),
        ActionSpec::new(
            "restore_liquidity",
            "Ends reduce_liquidity (for the given symbols, or all).",
            vec![symbols()],
        ),
        ActionSpec::new(
            "partial_fills",
            "A share (intensity) of orders is filled only partly (fill_ratio of the quantity).",
            vec![
                intensity("Share of orders partly filled."),
                ParamSpec::new("fill_ratio", ParamType::Float, "Fraction filled on those orders.")
                    .range(0.01, 0.99)
                    .default(json!(0.5)),
                accounts(),
                duration(),
            ],
        ),
        ActionSpec::new(
            "rate_limit",
            "A share (rate) of API requests is answered 429 Too Many Requests.",
            vec![rate("rate", "Share of requests limited.").required(), duration()],
        ),
        ActionSpec::new(
            "database_outage",
            "Order persistence unavailable: a share (failure_rate) of API requests fails with 503.",
            vec![
                rate("failure_rate", "Share of requests failing.").default(json!(0.8)),
                duration(),
            ],
        ),
        partition(),
        ActionSpec::new(
            "latency",
            "Template disruption: intensity × 1000 ms added to every order operation.",
            vec![intensity("0..1; delay = intensity × 1000 ms."), duration()],
        )
        .alias_of("inject_latency"),
        ActionSpec::new(
            "downtime",
            "Template disruption: a share (intensity) of requests fails with 503; at intensity ≥ 0.5 /health reports down.",
            vec![intensity("Share of requests refused."), duration()],
        )
        .alias_of("simulate_downtime"),
        ActionSpec::new(
            "order_rejection",
            "Template disruption: a share (intensity) of orders is rejected.",
            vec![intensity("Share of orders rejected."), duration()],
        ),
    ]
}

fn market_data() -> Vec<ActionSpec> {
    vec![
        ActionSpec::new(
            "price_shock",
            "Moves prices by shock_percentage: sudden (holds for duration) or gradual (ramps over duration), then returns over recovery.",
            vec![
                ParamSpec::new("symbol", ParamType::String, "One symbol (or use symbols)."),
                symbols(),
                ParamSpec::new("shock_percentage", ParamType::Float, "Price change in percent (-20 = -20 %).")
                    .required()
                    .range(-99.0, 1000.0),
                ParamSpec::new("pattern", ParamType::Enum(&["sudden", "gradual"]), "sudden or gradual.")
                    .default(json!("sudden")),
                duration(),
                ParamSpec::new("recovery", ParamType::Duration, "Time to return to normal after the shock; absent = hold until cleared."),
            ],
        ),
        ActionSpec::new(
            "stablecoin_depeg",
            "Moves a stablecoin away from its peg to target_deviation over duration_hours (sim), then holds until price_recovery or clear.",
            vec![
                ParamSpec::new("symbol", ParamType::String, "The stablecoin (USDT-USD or USDC-USD).")
                    .default(json!("USDT-USD")),
                ParamSpec::new("target_deviation", ParamType::Float, "Deviation from the peg as a fraction (-0.05 = 0.95).")
                    .required()
                    .range(-0.99, 1.0),
                ParamSpec::new("duration_hours", ParamType::Float, "Ramp length in sim hours.")
                    .range(0.0, 8760.0)
                    .default(json!(24)),
                ParamSpec::new("pattern", ParamType::Enum(&["gradual_linear", "sudden"]), "Shape of the move.")
                    .default(json!("gradual_linear")),
                ParamSpec::new("volatility_increase", ParamType::Float, "Extra volatility as a fraction (0.5 = +50 %).")
                    .range(0.0, 100.0)
                    .default(json!(0)),
            ],
        ),
        ActionSpec::new(
            "volatility_spike",
            "Multiplies volatility (and widens spreads accordingly).",
            vec![
                ParamSpec::new("multiplier", ParamType::Float, "Volatility multiplier.")
                    .range(1.0, 100.0)
                    .default(json!(3)),
                symbols(),
                duration(),
            ],
        ),
        ActionSpec::new(
            "price_recovery",
            "Brings symbol linearly to target_price over recovery_hours (sim); ends any depeg or shock on it.",
            vec![
                ParamSpec::new("symbol", ParamType::String, "The symbol.").required(),
                ParamSpec::new("target_price", ParamType::Float, "Price to reach.")
                    .required()
                    .range(0.0, 1e12),
                ParamSpec::new("recovery_hours", ParamType::Float, "Ramp length in sim hours.")
                    .range(0.0, 8760.0)
                    .default(json!(1)),
            ],
        ),
        ActionSpec::new(
            "freeze_feed",
            "The published prices stop updating (the exchange keeps moving, so they diverge).",
            vec![symbols(), duration()],
        ),
        api_latency(&["get_prices", "get_price", "get_history"]),
        partition(),
    ]
}

fn trading_engine() -> Vec<ActionSpec> {
    let strategy =
        || ParamSpec::new("strategy", ParamType::Enum(STRATEGIES), "The strategy.").required();
    vec![
        ActionSpec::new(
            "start_strategy",
            "Starts a strategy, or reconfigures it if running (config keys: min_spread_bps, max_position_size, order_size, spread_bps, signal_bps, scan_interval_s).",
            vec![
                strategy(),
                ParamSpec::new("config", ParamType::Object, "Configuration overrides."),
            ],
        ),
        ActionSpec::new("stop_strategy", "Stops a strategy.", vec![strategy()]),
        ActionSpec::new(
            "scale_strategies",
            "Runs `count` more strategies beside the three built-in ones, cycling market_making, momentum, arbitrage (market_making-001, momentum-002…), each on its own account; 0 removes them. One-shot; clear leaves them running.",
            vec![ParamSpec::new("count", ParamType::Int, "How many added strategies run.")
                .required()
                .range(0.0, 500.0)],
        ),
        ActionSpec::new(
            "strategy_runaway",
            "A strategy sends massive orders in one direction, ignoring its limits (→ position_limit_breach).",
            vec![
                ParamSpec::new("strategy", ParamType::Enum(STRATEGIES), "The strategy.")
                    .default(json!("momentum")),
                ParamSpec::new("multiplier", ParamType::Float, "Order size multiplier.")
                    .range(2.0, 1000.0)
                    .default(json!(50)),
                duration(),
            ],
        ),
        ActionSpec::new(
            "inject_latency",
            "Adds delay_ms (sim) of processing to every order of the selected strategies.",
            vec![
                delay_ms(),
                ParamSpec::new("strategies", ParamType::StringList(Some(STRATEGIES)), "Strategies delayed (absent = all)."),
                duration(),
            ],
        ),
        ActionSpec::new(
            "crash",
            "The trading engine crashes: /health 503, strategies crashed, until restart or clear.",
            vec![],
        ),
        ActionSpec::new(
            "restart",
            "Restarts the engine after a crash; strategies that ran resume.",
            vec![],
        ),
        partition(),
    ]
}

fn custodian() -> Vec<ActionSpec> {
    let types = || {
        ParamSpec::new(
            "settlement_types",
            ParamType::StringList(Some(SETTLEMENT_TYPES)),
            "Settlement types affected (absent = all).",
        )
    };
    vec![
        ActionSpec::new(
            "delay_settlements",
            "Pending and new settlements of the given types settle delay_duration (sim) later.",
            vec![
                types(),
                ParamSpec::new("delay_duration", ParamType::Duration, "Extra delay.").required(),
                duration(),
            ],
        ),
        ActionSpec::new(
            "fail_settlements",
            "A share (rate) of settlements fails when due.",
            vec![rate("rate", "Share failing.").required(), types(), duration()],
        ),
        ActionSpec::new(
            "go_offline",
            "The custodian goes offline: /health 503, API 503, nothing settles.",
            vec![duration()],
        ),
        ActionSpec::new(
            "resume_normal_settlement",
            "Ends delay_settlements, fail_settlements and go_offline; delayed settlements return to their normal schedule.",
            vec![],
        ),
        ActionSpec::new(
            "database_outage",
            "Ledger unavailable: a share (failure_rate) of API requests fails with 503 and of settlement attempts fails (retried).",
            vec![
                rate("failure_rate", "Share failing.").default(json!(0.8)),
                duration(),
            ],
        ),
        api_latency(&["get_balances", "list_settlements"]),
        partition(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_shorthands_say_what_they_are_an_alias_of() {
        let latency = action(Service::ExchangeSimulator, "latency").map(ActionSpec::to_json);
        assert_eq!(
            latency.as_ref().and_then(|j| j["alias_of"].as_str()),
            Some("inject_latency")
        );
        let downtime = action(Service::ExchangeSimulator, "downtime").map(ActionSpec::to_json);
        assert_eq!(
            downtime.as_ref().and_then(|j| j["alias_of"].as_str()),
            Some("simulate_downtime")
        );
        let full = action(Service::ExchangeSimulator, "inject_latency").map(ActionSpec::to_json);
        assert!(full.is_some_and(|j| j.get("alias_of").is_none()));
        for service in Service::ALL {
            for spec in actions(service) {
                if let Some(target) = spec.alias_of {
                    assert!(action(service, target).is_some(), "{service} {target}");
                }
            }
        }
    }

    #[test]
    fn every_service_lists_inject_latency_and_network_partition() {
        for service in Service::ALL {
            assert!(action(service, "inject_latency").is_some(), "{service}");
            assert!(action(service, "network_partition").is_some(), "{service}");
            assert!(action(service, "clear").is_none(), "{service}");
        }
    }

    #[test]
    fn the_seed_actions_exist() {
        for (service, name) in [
            (Service::ExchangeSimulator, "reduce_liquidity"),
            (Service::ExchangeSimulator, "restore_liquidity"),
            (Service::ExchangeSimulator, "latency"),
            (Service::ExchangeSimulator, "downtime"),
            (Service::ExchangeSimulator, "order_rejection"),
            (Service::ExchangeSimulator, "partial_fills"),
            (Service::MarketDataSimulator, "stablecoin_depeg"),
            (Service::MarketDataSimulator, "price_recovery"),
            (Service::CustodianSimulator, "delay_settlements"),
            (Service::CustodianSimulator, "resume_normal_settlement"),
            (Service::TradingEngine, "start_strategy"),
        ] {
            assert!(action(service, name).is_some(), "{service} {name}");
        }
    }
}
