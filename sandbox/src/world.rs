//! The whole ecosystem as one value, stepped in fixed sim increments.
//!
//! `World` owns every service's state and the active chaos. The ticker
//! advances it; HTTP handlers lock it briefly to read or act. Availability
//! chaos (down, partition, rate limit, outage, latency) is decided here by
//! [`gate`] for every API call, in-process strategy orders included, so a
//! strategy and an HTTP client see the same exchange.

use serde_json::{json, Value};
use thiserror::Error;

use crate::audit::AuditLog;
use crate::catalog;
use crate::chaos::{self, matches, ChaosBook, ChaosEntry, Effect};
use crate::clock::{wall_now, SimClock};
use crate::custodian::Custodian;
use crate::exchange::{BookView, Exchange, OrderFailure, OrderRequest};
use crate::market_data::{self, MarketData, SymbolKind};
use crate::risk::{self, RiskMonitor};
use crate::rng::Rng;
use crate::schema::{Params, Problem};
use crate::service::Service;
use crate::trading::{OrderPort, Submission, TradingEngine, CLIENT_TIMEOUT_MS};

/// Sim seconds per simulation step: the path depends on the seed and the
/// chaos only, never on how real time was sliced into ticks.
pub const STEP_S: f64 = 1.0;
/// Steps run at most per `advance` call (bounds the work of one tick).
const MAX_STEPS_PER_ADVANCE: u64 = 1_000;
/// Sim seconds without chaos before baselines are updated again.
const BASELINE_QUIET_S: f64 = 1_800.0;

/// Why a chaos request was refused.
#[derive(Debug, Error)]
pub enum ChaosError {
    /// The service has no such action (404).
    #[error("`{service}` has no chaos action `{action}`")]
    UnknownAction {
        /// The service.
        service: Service,
        /// The action asked for.
        action: String,
    },
    /// The body is not a JSON object (400).
    #[error("invalid body: {0}")]
    InvalidBody(String),
    /// Parameters failed validation (422).
    #[error("invalid parameters: {}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    InvalidParameters(Vec<Problem>),
}

fn invalid(parameter: &str, message: impl Into<String>) -> ChaosError {
    ChaosError::InvalidParameters(vec![Problem::new(parameter, message)])
}

/// What the availability gate decided for one API call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gate {
    /// Proceed after `delay_ms` of injected latency (sim).
    Pass {
        /// Injected delay in sim milliseconds.
        delay_ms: f64,
    },
    /// The service is down (503).
    Down,
    /// The request hangs (network partition).
    Partitioned,
    /// 429.
    RateLimited,
    /// 503 from the persistence layer.
    DatabaseError,
}

/// Decides availability of `op` on `service` for `account` under `chaos`.
pub fn gate(
    now: f64,
    chaos: &[&ChaosEntry],
    op: &str,
    account: Option<&str>,
    rng: &mut Rng,
) -> Gate {
    let mut delay = 0.0;
    for e in chaos {
        match &e.effect {
            Effect::Downtime { share } if rng.chance(*share) => return Gate::Down,
            Effect::Offline | Effect::Crash => return Gate::Down,
            Effect::Partition => return Gate::Partitioned,
            Effect::RateLimit { rate } if rng.chance(*rate) => return Gate::RateLimited,
            Effect::DatabaseOutage { rate } if rng.chance(*rate) => return Gate::DatabaseError,
            Effect::Latency {
                delay_ms,
                operations,
                accounts,
                strategies: None,
                gradual,
            } if matches(operations, op) && account.is_none_or(|a| matches(accounts, a)) => {
                let ramp = if *gradual {
                    (e.elapsed(now) / 60.0).min(1.0)
                } else {
                    1.0
                };
                delay += delay_ms * ramp;
            }
            _ => {}
        }
    }
    Gate::Pass { delay_ms: delay }
}

/// The simulated ecosystem.
#[derive(Debug)]
pub struct World {
    /// The simulation clock.
    pub clock: SimClock,
    /// market-data-simulator.
    pub market: MarketData,
    /// exchange-simulator.
    pub exchange: Exchange,
    /// trading-engine.
    pub engine: TradingEngine,
    /// custodian-simulator.
    pub custodian: Custodian,
    /// risk-monitor.
    pub risk: RiskMonitor,
    /// audit-correlator.
    pub audit: AuditLog,
    /// Every active chaos entry.
    pub chaos: ChaosBook,
    gate_rng: Rng,
    pending_s: f64,
    dropped_s: f64,
}

impl World {
    /// A fresh ecosystem at sim time zero.
    pub fn new(seed: u64, scale: f64) -> Self {
        World {
            clock: SimClock::new(scale),
            market: MarketData::new(seed),
            exchange: Exchange::new(seed),
            engine: TradingEngine::new(0.0),
            custodian: Custodian::new(seed),
            risk: RiskMonitor::default(),
            audit: AuditLog::default(),
            chaos: ChaosBook::default(),
            gate_rng: Rng::new(seed, 4),
            pending_s: 0.0,
            dropped_s: 0.0,
        }
    }

    /// Advances the simulation by `sim_dt` seconds in whole steps (the
    /// remainder carries over to the next call). At most
    /// `MAX_STEPS_PER_ADVANCE` steps run; a larger backlog is dropped (the
    /// sim then runs slower than the scale asks, see [`World::dropped_sim_s`])
    /// so that one call never holds the world for long.
    pub fn advance(&mut self, sim_dt: f64) {
        if !(sim_dt.is_finite() && sim_dt > 0.0) {
            return;
        }
        self.pending_s += sim_dt;
        let mut steps = 0;
        while self.pending_s >= STEP_S && steps < MAX_STEPS_PER_ADVANCE {
            self.pending_s -= STEP_S;
            self.step();
            steps += 1;
        }
        if self.pending_s >= STEP_S {
            self.dropped_s += self.pending_s.floor();
            self.pending_s = self.pending_s.fract();
        }
    }

    /// Sim seconds skipped because the machine could not keep up with the
    /// time scale (0 when it always could).
    pub fn dropped_sim_s(&self) -> f64 {
        self.dropped_s
    }

    /// One step of `STEP_S` sim seconds.
    pub fn step(&mut self) {
        let now = self.clock.now() + STEP_S;
        self.clock.advance_to(now);
        for e in self.chaos.expire(now) {
            self.audit.record(
                now,
                e.service,
                "chaos_expired",
                e.execution_id.clone(),
                chaos::audit_details(&e),
            );
            self.on_removed(&[e]);
        }
        self.chaos.touch(now);
        let clean = !self.chaos.any_active()
            && self
                .chaos
                .last_active_sim()
                .is_none_or(|t| now - t >= BASELINE_QUIET_S);

        let market_chaos: Vec<&ChaosEntry> = self.chaos.of(Service::MarketDataSimulator).collect();
        self.market.step(now, STEP_S, &market_chaos);
        let exchange_chaos: Vec<&ChaosEntry> = self.chaos.of(Service::ExchangeSimulator).collect();
        self.exchange
            .step(now, STEP_S, &self.market, &exchange_chaos);

        let engine_chaos: Vec<&ChaosEntry> = self.chaos.of(Service::TradingEngine).collect();
        let mut port = Port {
            now,
            exchange: &mut self.exchange,
            market: &self.market,
            chaos: &self.chaos,
            rng: &mut self.gate_rng,
        };
        self.engine
            .step(now, &mut port, &self.market, &engine_chaos, clean);

        for fill in self.exchange.drain_fills() {
            self.custodian.on_fill(&fill, &self.market);
            self.engine.on_fill(&fill, &self.market);
        }
        let custodian_chaos: Vec<&ChaosEntry> =
            self.chaos.of(Service::CustodianSimulator).collect();
        self.custodian.step(now, &custodian_chaos);

        let engine_correlation = self
            .chaos
            .of(Service::TradingEngine)
            .rev()
            .find_map(|e| e.execution_id.clone());
        for ev in self.engine.drain_events() {
            let mut details = ev.details;
            details["strategy"] = json!(ev.strategy);
            let correlation = engine_correlation
                .clone()
                .or_else(|| self.chaos.latest_execution_id());
            self.audit
                .record(now, Service::TradingEngine, ev.kind, correlation, details);
        }
        let custodian_correlation = self
            .chaos
            .of(Service::CustodianSimulator)
            .rev()
            .find_map(|e| e.execution_id.clone());
        for ev in self.custodian.drain_events() {
            self.audit.record(
                now,
                Service::CustodianSimulator,
                ev.kind,
                custodian_correlation.clone(),
                ev.details,
            );
        }
        self.evaluate_risk(now);
    }

    fn evaluate_risk(&mut self, now: f64) {
        let mut conditions = Vec::new();
        for s in self.engine.strategies() {
            if s.state() == crate::trading::StrategyState::Running {
                conditions.extend(risk::execution_latency(s.name(), s.p95_latency(now)));
            }
            conditions.extend(risk::position_limit(s.name(), s.position(), s.limit()));
        }
        let exchange_chaos: Vec<&ChaosEntry> = self.chaos.of(Service::ExchangeSimulator).collect();
        for spec in market_data::SYMBOLS {
            let (Some(feed), Some(mid)) = (
                self.market.published(spec.name),
                self.market.price(spec.name),
            ) else {
                continue;
            };
            if let SymbolKind::Stable { peg } = spec.kind {
                conditions.extend(risk::correlation_breach(spec.name, feed, peg));
            }
            conditions.extend(risk::price_divergence(spec.name, feed, mid));
            if let Some(book) = self
                .exchange
                .book(spec.name, &self.market, &exchange_chaos, false)
            {
                conditions.extend(risk::liquidity_crisis(
                    spec.name,
                    book.spread_bps,
                    book.baseline_spread_bps,
                ));
            }
        }
        for (kind, count, oldest) in self.custodian.overdue() {
            conditions.extend(risk::settlement_delay(kind, count, oldest));
        }
        let correlation = self.chaos.latest_execution_id();
        for change in self.risk.reconcile(now, conditions, correlation) {
            let details = serde_json::to_value(&change.alert).unwrap_or(Value::Null);
            self.audit.record(
                now,
                Service::RiskMonitor,
                change.kind,
                change.alert.correlation_id.clone(),
                details,
            );
        }
    }

    /// The active chaos entries of `service`.
    pub fn chaos_of(&self, service: Service) -> Vec<&ChaosEntry> {
        self.chaos.of(service).collect()
    }

    /// The gate decision for an API call on `service`.
    pub fn gate(&mut self, service: Service, op: &str, account: Option<&str>) -> Gate {
        let now = self.clock.now();
        let chaos: Vec<&ChaosEntry> = self.chaos.of(service).collect();
        gate(now, &chaos, op, account, &mut self.gate_rng)
    }

    /// Whether `service` reports itself down on `/health`.
    pub fn is_down(&self, service: Service) -> bool {
        self.chaos.of(service).any(|e| match e.effect {
            Effect::Downtime { share } => share >= 0.5,
            Effect::Offline | Effect::Crash => true,
            _ => false,
        })
    }

    /// Whether `service` is partitioned.
    pub fn is_partitioned(&self, service: Service) -> bool {
        self.chaos
            .of(service)
            .any(|e| matches!(e.effect, Effect::Partition))
    }

    /// Places an order exactly as a strategy does (HTTP path).
    pub fn place_order(&mut self, req: OrderRequest) -> Submission {
        let now = self.clock.now();
        let mut port = Port {
            now,
            exchange: &mut self.exchange,
            market: &self.market,
            chaos: &self.chaos,
            rng: &mut self.gate_rng,
        };
        let sub = port.place(req, 0.0);
        for fill in self.exchange.drain_fills() {
            self.custodian.on_fill(&fill, &self.market);
            self.engine.on_fill(&fill, &self.market);
        }
        sub
    }

    /// Cancels an order exactly as a strategy does (HTTP path).
    pub fn cancel_order(&mut self, account: Option<&str>, order_id: &str) -> Submission {
        let now = self.clock.now();
        let mut port = Port {
            now,
            exchange: &mut self.exchange,
            market: &self.market,
            chaos: &self.chaos,
            rng: &mut self.gate_rng,
        };
        port.cancel_inner(account, order_id, 0.0)
    }

    /// Applies `action` on `service` with the JSON `body`; returns the response JSON.
    pub fn inject(
        &mut self,
        service: Service,
        action: &str,
        body: &Value,
        execution_id: Option<String>,
    ) -> Result<Value, ChaosError> {
        let spec = catalog::action(service, action).ok_or_else(|| ChaosError::UnknownAction {
            service,
            action: action.to_string(),
        })?;
        if !(body.is_object() || body.is_null()) {
            return Err(ChaosError::InvalidBody(
                "the body must be a JSON object of parameters".into(),
            ));
        }
        let params = spec.validate(body).map_err(ChaosError::InvalidParameters)?;
        let now = self.clock.now();
        if let Some(result) = self.one_shot(service, action, &params, body, execution_id.clone())? {
            return Ok(result);
        }
        let effect = self.build_effect(service, action, &params)?;
        let expires = match &effect {
            Effect::PriceShock {
                gradual,
                hold_s,
                recovery_s,
                ..
            } => market_data::shock_end(*gradual, *hold_s, *recovery_s),
            Effect::PriceRecovery {
                symbol,
                target_price,
                ramp_s,
                ..
            } => match market_data::spec(symbol).map(|s| s.kind) {
                Some(SymbolKind::Stable { peg }) if (target_price - peg).abs() < 1e-9 => {
                    Some(*ramp_s)
                }
                _ => None,
            },
            _ => params.seconds("duration"),
        }
        .map(|d| now + d);
        let superseded = self.supersede(&effect, execution_id.clone());
        if matches!(effect, Effect::Crash) {
            self.engine.crash();
        }
        let entry = ChaosEntry {
            id: self.chaos.next_id(),
            service,
            action: action.to_string(),
            parameters: if body.is_null() {
                json!({})
            } else {
                body.clone()
            },
            effect,
            started_at: wall_now(),
            started_sim: now,
            expires_sim: expires,
            execution_id: execution_id.clone(),
        };
        self.audit.record(
            now,
            service,
            "chaos_injected",
            execution_id,
            chaos::audit_details(&entry),
        );
        let view = chaos::view(&entry, now, self.clock.scale());
        self.chaos.insert(entry);
        let mut out = serde_json::to_value(&view).unwrap_or(Value::Null);
        out["status"] = json!("active");
        out["service"] = json!(service.name());
        out["sim_time_s"] = json!(now);
        if !superseded.is_empty() {
            out["superseded"] = json!(superseded);
        }
        Ok(out)
    }

    /// Clears every chaos entry of `service`; returns how many.
    pub fn clear(&mut self, service: Service, execution_id: Option<String>) -> usize {
        let now = self.clock.now();
        let removed = self.chaos.remove_where(service, |_| true);
        let ids: Vec<&str> = removed.iter().map(|e| e.id.as_str()).collect();
        self.audit.record(
            now,
            service,
            "chaos_cleared",
            execution_id,
            json!({"cleared": removed.len(), "chaos_ids": ids}),
        );
        self.on_removed(&removed);
        removed.len()
    }

    fn on_removed(&mut self, removed: &[ChaosEntry]) {
        if removed.iter().any(|e| matches!(e.effect, Effect::Crash))
            && !self
                .chaos
                .of(Service::TradingEngine)
                .any(|e| matches!(e.effect, Effect::Crash))
        {
            self.engine.restart(self.clock.now());
        }
    }

    /// Ends earlier market chaos a new entry replaces (a new depeg or a
    /// recovery on the same symbol); returns the ids removed.
    fn supersede(&mut self, effect: &Effect, execution_id: Option<String>) -> Vec<String> {
        let target = match effect {
            Effect::Depeg { symbol, .. } | Effect::PriceRecovery { symbol, .. } => symbol.clone(),
            _ => return Vec::new(),
        };
        let removed = self
            .chaos
            .remove_where(Service::MarketDataSimulator, |e| match &e.effect {
                Effect::Depeg { symbol, .. } | Effect::PriceRecovery { symbol, .. } => {
                    *symbol == target
                }
                Effect::PriceShock { symbols, .. } => symbols.contains(&target),
                _ => false,
            });
        let now = self.clock.now();
        for e in &removed {
            let mut details = chaos::audit_details(e);
            details["reason"] = json!("superseded");
            self.audit.record(
                now,
                e.service,
                "chaos_cleared",
                execution_id.clone(),
                details,
            );
        }
        removed.into_iter().map(|e| e.id).collect()
    }

    /// Actions that act once instead of staying active; `None` if `action` is not one.
    fn one_shot(
        &mut self,
        service: Service,
        action: &str,
        params: &Params,
        body: &Value,
        execution_id: Option<String>,
    ) -> Result<Option<Value>, ChaosError> {
        let now = self.clock.now();
        let (kind, details) = match (service, action) {
            (Service::TradingEngine, "start_strategy") => {
                let name = params.text("strategy").unwrap_or_default().to_string();
                let was_running = self
                    .engine
                    .start(&name, now, params.object("config"))
                    .map_err(|m| invalid("config", m))?;
                let kind = if was_running {
                    "strategy_reconfigured"
                } else {
                    "strategy_started"
                };
                let config = self
                    .engine
                    .strategy(&name)
                    .map(|s| s.to_json(now, &self.market)["config"].clone());
                (kind, json!({"strategy": name, "config": config}))
            }
            (Service::TradingEngine, "scale_strategies") => {
                let count = params.number("count").unwrap_or_default() as usize;
                let running = self.engine.scale(count, now);
                ("strategies_scaled", json!({"added_strategies": running}))
            }
            (Service::TradingEngine, "stop_strategy") => {
                let name = params.text("strategy").unwrap_or_default().to_string();
                self.engine
                    .stop(&name)
                    .map_err(|m| invalid("strategy", m))?;
                ("strategy_stopped", json!({"strategy": name}))
            }
            (Service::TradingEngine, "restart") => {
                let removed = self.chaos.remove_where(Service::TradingEngine, |e| {
                    matches!(e.effect, Effect::Crash)
                });
                self.engine.restart(now);
                ("engine_restarted", json!({"cleared": removed.len()}))
            }
            (Service::ExchangeSimulator, "restore_liquidity") => {
                let only = params.list("symbols").map(<[String]>::to_vec);
                let removed =
                    self.chaos
                        .remove_where(Service::ExchangeSimulator, |e| match &e.effect {
                            Effect::ReduceLiquidity { symbols, .. } => match (&only, symbols) {
                                (None, _) | (_, None) => true,
                                (Some(o), Some(s)) => s.iter().any(|x| o.contains(x)),
                            },
                            _ => false,
                        });
                (
                    "liquidity_restored",
                    json!({"cleared": removed.len(), "chaos_ids": removed.iter().map(|e| &e.id).collect::<Vec<_>>()}),
                )
            }
            (Service::CustodianSimulator, "resume_normal_settlement") => {
                let removed = self.chaos.remove_where(Service::CustodianSimulator, |e| {
                    matches!(
                        e.effect,
                        Effect::DelaySettlements { .. }
                            | Effect::FailSettlements { .. }
                            | Effect::Offline
                    )
                });
                (
                    "settlement_resumed",
                    json!({"cleared": removed.len(), "chaos_ids": removed.iter().map(|e| &e.id).collect::<Vec<_>>()}),
                )
            }
            _ => return Ok(None),
        };
        let id = self.chaos.next_id();
        let mut audit = details.clone();
        audit["chaos_id"] = json!(id);
        audit["action"] = json!(action);
        audit["parameters"] = body.clone();
        self.audit
            .record(now, service, "chaos_injected", execution_id.clone(), audit);
        self.audit
            .record(now, service, kind, execution_id.clone(), details.clone());
        Ok(Some(json!({
            "id": id,
            "action": action,
            "status": "applied",
            "service": service.name(),
            "parameters": if body.is_null() { json!({}) } else { body.clone() },
            "started_at": wall_now(),
            "expires_at": null,
            "execution_id": execution_id,
            "result": details,
            "sim_time_s": now,
        })))
    }

    fn build_effect(
        &self,
        service: Service,
        action: &str,
        p: &Params,
    ) -> Result<Effect, ChaosError> {
        let list = |name: &str| p.list(name).map(<[String]>::to_vec);
        let symbols = |name: &str| -> Result<Option<Vec<String>>, ChaosError> {
            let Some(l) = list(name) else { return Ok(None) };
            let unknown: Vec<&String> = l
                .iter()
                .filter(|s| market_data::spec(s).is_none())
                .collect();
            if unknown.is_empty() {
                Ok(Some(l))
            } else {
                Err(invalid(
                    name,
                    format!(
                        "unknown symbol(s): {}",
                        unknown
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        };
        let intensity = p.number("intensity").unwrap_or(0.5);
        Ok(match (service, action) {
            (Service::ExchangeSimulator, "inject_latency") => Effect::Latency {
                delay_ms: p.number("delay_ms").unwrap_or(0.0),
                operations: list("operations"),
                accounts: list("affected_accounts"),
                strategies: None,
                gradual: p.text("pattern") == Some("gradual"),
            },
            (Service::TradingEngine, "inject_latency") => Effect::Latency {
                delay_ms: p.number("delay_ms").unwrap_or(0.0),
                operations: None,
                accounts: None,
                strategies: Some(list("strategies").unwrap_or_else(|| {
                    catalog::STRATEGIES.iter().map(|s| s.to_string()).collect()
                })),
                gradual: false,
            },
            (_, "inject_latency") => Effect::Latency {
                delay_ms: p.number("delay_ms").unwrap_or(0.0),
                operations: list("operations"),
                accounts: None,
                strategies: None,
                gradual: false,
            },
            (_, "latency") => Effect::Latency {
                delay_ms: intensity * 1000.0,
                operations: None,
                accounts: None,
                strategies: None,
                gradual: false,
            },
            (_, "reject_orders") => Effect::RejectOrders {
                rate: p.number("rate").unwrap_or(0.0),
                reason: p.text("reason").unwrap_or("chaos_rejection").to_string(),
                accounts: list("affected_accounts"),
            },
            (_, "order_rejection") => Effect::RejectOrders {
                rate: intensity,
                reason: "chaos_rejection".into(),
                accounts: None,
            },
            (_, "simulate_downtime") => Effect::Downtime { share: 1.0 },
            (_, "downtime") => Effect::Downtime { share: intensity },
            (_, "manipulate_spreads") => Effect::SpreadFactor {
                factor: p.number("factor").unwrap_or(1.0),
                symbols: symbols("symbols")?,
            },
            (_, "reduce_liquidity") => Effect::ReduceLiquidity {
                factor: p.number("reduction_factor").unwrap_or(1.0),
                symbols: symbols("symbols")?,
            },
            (_, "partial_fills") => Effect::PartialFills {
                rate: intensity,
                fill_ratio: p.number("fill_ratio").unwrap_or(0.5),
                accounts: list("affected_accounts"),
            },
            (_, "rate_limit") => Effect::RateLimit {
                rate: p.number("rate").unwrap_or(0.0),
            },
            (_, "database_outage") => Effect::DatabaseOutage {
                rate: p.number("failure_rate").unwrap_or(0.8),
            },
            (_, "network_partition") => Effect::Partition,
            (_, "price_shock") => {
                let mut all = symbols("symbols")?.unwrap_or_default();
                if let Some(one) = p.text("symbol") {
                    if market_data::spec(one).is_none() {
                        return Err(invalid("symbol", format!("unknown symbol `{one}`")));
                    }
                    all.push(one.to_string());
                }
                if all.is_empty() {
                    return Err(invalid("symbols", "give `symbol` or `symbols`"));
                }
                Effect::PriceShock {
                    symbols: all,
                    shock: p.number("shock_percentage").unwrap_or(0.0) / 100.0,
                    gradual: p.text("pattern") == Some("gradual"),
                    hold_s: p.seconds("duration"),
                    recovery_s: p.seconds("recovery"),
                }
            }
            (_, "stablecoin_depeg") => {
                let symbol = p.text("symbol").unwrap_or("USDT-USD").to_string();
                let from_dev = self.market.stable_deviation(&symbol).ok_or_else(|| {
                    invalid(
                        "symbol",
                        format!("`{symbol}` is not a stablecoin (USDT-USD, USDC-USD)"),
                    )
                })?;
                let sudden = p.text("pattern") == Some("sudden");
                Effect::Depeg {
                    symbol,
                    from_dev,
                    target_dev: p.number("target_deviation").unwrap_or(0.0),
                    ramp_s: if sudden {
                        0.0
                    } else {
                        p.number("duration_hours").unwrap_or(24.0) * 3600.0
                    },
                    vol_increase: p.number("volatility_increase").unwrap_or(0.0),
                }
            }
            (_, "volatility_spike") => Effect::VolatilitySpike {
                multiplier: p.number("multiplier").unwrap_or(3.0),
                symbols: symbols("symbols")?,
            },
            (_, "price_recovery") => {
                let symbol = p.text("symbol").unwrap_or_default().to_string();
                let target_price = p.number("target_price").unwrap_or(0.0);
                if target_price <= 0.0 {
                    return Err(invalid("target_price", "must be positive"));
                }
                let (from, target) = self
                    .market
                    .recovery_endpoints(&symbol, target_price)
                    .ok_or_else(|| invalid("symbol", format!("unknown symbol `{symbol}`")))?;
                Effect::PriceRecovery {
                    symbol,
                    from,
                    target,
                    target_price,
                    ramp_s: p.number("recovery_hours").unwrap_or(1.0) * 3600.0,
                }
            }
            (_, "freeze_feed") => Effect::FreezeFeed {
                symbols: symbols("symbols")?,
            },
            (_, "delay_settlements") => Effect::DelaySettlements {
                types: list("settlement_types"),
                delay_s: p.seconds("delay_duration").unwrap_or(0.0),
            },
            (_, "fail_settlements") => Effect::FailSettlements {
                rate: p.number("rate").unwrap_or(0.0),
                types: list("settlement_types"),
            },
            (_, "go_offline") => Effect::Offline,
            (_, "strategy_runaway") => Effect::Runaway {
                strategy: p.text("strategy").unwrap_or("momentum").to_string(),
                multiplier: p.number("multiplier").unwrap_or(50.0),
            },
            (_, "crash") => Effect::Crash,
            _ => {
                return Err(ChaosError::UnknownAction {
                    service,
                    action: action.to_string(),
                })
            }
        })
    }

    /// Every book of the exchange under its current chaos.
    pub fn books(&self) -> Vec<BookView> {
        let chaos = self.chaos_of(Service::ExchangeSimulator);
        self.exchange.books(&self.market, &chaos)
    }
}

/// The world's implementation of the engine's exchange access.
struct Port<'a> {
    now: f64,
    exchange: &'a mut Exchange,
    market: &'a MarketData,
    chaos: &'a ChaosBook,
    rng: &'a mut Rng,
}

/// The failure and its latency for a gate that did not pass.
fn gate_failure(gate: Gate) -> Option<(OrderFailure, f64)> {
    match gate {
        Gate::Pass { .. } => None,
        Gate::Down => Some((OrderFailure::Down, 2.0)),
        Gate::Partitioned => Some((OrderFailure::Partitioned, CLIENT_TIMEOUT_MS)),
        Gate::RateLimited => Some((OrderFailure::RateLimited, 3.0)),
        Gate::DatabaseError => Some((OrderFailure::DatabaseError, 25.0)),
    }
}

impl Port<'_> {
    fn base_latency(&mut self) -> f64 {
        (15.0 + self.rng.exponential(12.0)).min(150.0)
    }

    fn cancel_inner(&mut self, account: Option<&str>, order_id: &str, extra: f64) -> Submission {
        let book = self.chaos;
        let chaos: Vec<&ChaosEntry> = book.of(Service::ExchangeSimulator).collect();
        let gate = gate(self.now, &chaos, "cancel_order", account, self.rng);
        if let Some((failure, latency_ms)) = gate_failure(gate) {
            return Submission {
                result: Err(failure),
                latency_ms: latency_ms + extra,
            };
        }
        let delay = match gate {
            Gate::Pass { delay_ms } => delay_ms,
            _ => 0.0,
        };
        let latency_ms = self.base_latency() + delay + extra;
        Submission {
            result: self.exchange.cancel(order_id, account),
            latency_ms,
        }
    }
}

impl OrderPort for Port<'_> {
    fn place(&mut self, req: OrderRequest, extra: f64) -> Submission {
        let book = self.chaos;
        let chaos: Vec<&ChaosEntry> = book.of(Service::ExchangeSimulator).collect();
        let gate = gate(
            self.now,
            &chaos,
            "place_order",
            Some(&req.account),
            self.rng,
        );
        if let Some((failure, latency_ms)) = gate_failure(gate) {
            let latency_ms = latency_ms + extra;
            let (_, failure) = self
                .exchange
                .record_failure(self.now, latency_ms, &req, failure);
            return Submission {
                result: Err(failure),
                latency_ms,
            };
        }
        let delay = match gate {
            Gate::Pass { delay_ms } => delay_ms,
            _ => 0.0,
        };
        let latency_ms = self.base_latency() + delay + extra;
        let result = self
            .exchange
            .place(self.now, latency_ms, req, self.market, &chaos);
        Submission { result, latency_ms }
    }

    fn cancel(&mut self, account: &str, order_id: &str, extra: f64) -> Submission {
        self.cancel_inner(Some(account), order_id, extra)
    }

    fn book(&self, symbol: &str) -> Option<BookView> {
        let chaos: Vec<&ChaosEntry> = self.chaos.of(Service::ExchangeSimulator).collect();
        self.exchange.book(symbol, self.market, &chaos, false)
    }
}
