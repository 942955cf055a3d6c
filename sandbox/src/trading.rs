//! trading-engine: the strategies (arbitrage, market making, momentum) that
//! trade through the exchange, measure their own performance, adapt to
//! latency, and keep baseline figures from chaos-free periods.
//!
//! Strategies reach the exchange only through [`OrderPort`], which the world
//! implements with the very code path the HTTP handlers use (availability
//! gate, latency, rejection, fills), so exchange chaos shows in their
//! figures. Fills come back through [`TradingEngine::on_fill`].

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::chaos::{matches, ChaosEntry, Effect};
use crate::exchange::{
    BookView, Fill, Order, OrderFailure, OrderRequest, OrderStatus, OrderType, Side,
};
use crate::market_data::MarketData;
use crate::window::{mean, percentile, RateWindow, SampleWindow};

/// p95 latency (sim ms) above which a strategy adapts.
pub const ADAPT_LATENCY_MS: f64 = 200.0;
/// Latency samples considered for p95: the last this many…
pub const LATENCY_WINDOW: usize = 50;
/// …taken within this many sim seconds.
pub const LATENCY_HORIZON_S: f64 = 120.0;
/// Fewest samples for a p95 to count.
pub const MIN_SAMPLES: usize = 3;
/// Outcomes considered for the success rate (count, sim seconds).
const OUTCOME_WINDOW: (usize, f64) = (100, 600.0);
/// Horizon of the activity rates (sim seconds).
const ACTIVITY_HORIZON_S: f64 = 1_800.0;
/// Sim seconds an in-process order waits before timing out.
pub const CLIENT_TIMEOUT_MS: f64 = 5_000.0;
/// Adaptations remembered per strategy.
const ADAPTATIONS: usize = 50;

/// How the engine reaches the exchange; implemented by the world with the
/// same code path as the HTTP handlers.
pub trait OrderPort {
    /// Places an order with `extra_latency_ms` of strategy-side processing.
    fn place(&mut self, req: OrderRequest, extra_latency_ms: f64) -> Submission;
    /// Cancels an order of `account`.
    fn cancel(&mut self, account: &str, order_id: &str, extra_latency_ms: f64) -> Submission;
    /// The current book of `symbol`.
    fn book(&self, symbol: &str) -> Option<BookView>;
}

/// The outcome of one order operation and its simulated latency.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The order, or why it failed.
    pub result: Result<Order, OrderFailure>,
    /// Simulated latency in sim milliseconds.
    pub latency_ms: f64,
}

/// The kind of a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    /// Buys a stablecoin below its peg (sells above) and offloads the
    /// inventory through the USDT-BTC and USDT-ETH books.
    Arbitrage,
    /// Quotes both sides of BTC-USD.
    MarketMaking,
    /// Follows the one-minute trend of ETH-USD.
    Momentum,
}

impl StrategyKind {
    /// The strategy name (also its type).
    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::Arbitrage => "arbitrage",
            StrategyKind::MarketMaking => "market_making",
            StrategyKind::Momentum => "momentum",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            StrategyKind::Arbitrage => "USDT-USD",
            StrategyKind::MarketMaking => "BTC-USD",
            StrategyKind::Momentum => "ETH-USD",
        }
    }

    /// The asset whose holding is the strategy's position.
    fn asset(self) -> &'static str {
        match self {
            StrategyKind::Arbitrage => "USDT",
            StrategyKind::MarketMaking => "BTC",
            StrategyKind::Momentum => "ETH",
        }
    }
}

/// Running, stopped or crashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyState {
    /// Trading.
    Running,
    /// Stopped by an operator.
    Stopped,
    /// Down with the engine.
    Crashed,
}

/// A strategy's configuration (every key is optional in `start_strategy`).
#[derive(Debug, Clone, Serialize)]
pub struct StrategyConfig {
    /// Arbitrage: smallest deviation traded, in bps.
    pub min_spread_bps: f64,
    /// Position limit (base units of the strategy's asset); the risk monitor alerts above it.
    pub max_position_size: f64,
    /// Base order size.
    pub order_size: f64,
    /// Market making: quoted spread in bps.
    pub spread_bps: f64,
    /// Momentum: one-minute move that counts as a signal, in bps.
    pub signal_bps: f64,
    /// Sim seconds between two decisions.
    pub scan_interval_s: f64,
    /// Arbitrage keeps buying until `hard_stop_ratio × max_position_size`.
    pub hard_stop_ratio: f64,
    /// Arbitrage: share of the top level taken per offload order.
    pub offload_participation: f64,
}

const CONFIG_KEYS: &[&str] = &[
    "min_spread_bps",
    "max_position_size",
    "order_size",
    "spread_bps",
    "signal_bps",
    "scan_interval_s",
    "hard_stop_ratio",
    "offload_participation",
];

impl StrategyConfig {
    fn default_for(kind: StrategyKind) -> Self {
        let base = StrategyConfig {
            min_spread_bps: 5.0,
            max_position_size: 10.0,
            order_size: 0.1,
            spread_bps: 8.0,
            signal_bps: 3.0,
            scan_interval_s: 1.0,
            hard_stop_ratio: 1.5,
            offload_participation: 0.02,
        };
        match kind {
            StrategyKind::Arbitrage => base,
            StrategyKind::MarketMaking => StrategyConfig {
                max_position_size: 1.0,
                order_size: 0.05,
                scan_interval_s: 2.0,
                ..base
            },
            StrategyKind::Momentum => StrategyConfig {
                max_position_size: 5.0,
                order_size: 0.5,
                scan_interval_s: 5.0,
                ..base
            },
        }
    }

    /// Applies overrides from a `config` object; unknown keys and
    /// non-positive numbers are refused.
    pub fn apply(&mut self, overrides: &Map<String, Value>) -> Result<(), String> {
        let mut problems = Vec::new();
        for (key, value) in overrides {
            let Some(x) = value
                .as_f64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            else {
                problems.push(format!("`{key}` must be a number"));
                continue;
            };
            if !(x.is_finite() && x > 0.0) {
                problems.push(format!("`{key}` must be positive"));
                continue;
            }
            match key.as_str() {
                "min_spread_bps" => self.min_spread_bps = x,
                "max_position_size" => self.max_position_size = x,
                "order_size" => self.order_size = x,
                "spread_bps" => self.spread_bps = x,
                "signal_bps" => self.signal_bps = x,
                "scan_interval_s" => self.scan_interval_s = x.max(0.1),
                "hard_stop_ratio" => self.hard_stop_ratio = x.max(1.0),
                "offload_participation" => self.offload_participation = x.min(1.0),
                other => problems.push(format!(
                    "unknown config key `{other}` (accepted: {})",
                    CONFIG_KEYS.join(", ")
                )),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// One adaptation (or its reversal).
#[derive(Debug, Clone, Serialize)]
pub struct Adaptation {
    /// `adapted` or `restored`.
    pub kind: &'static str,
    /// Wall-clock time.
    pub at: String,
    /// Sim time.
    pub at_sim_s: f64,
    /// Why.
    pub reason: String,
    /// What changed.
    pub changes: Value,
}

/// Figures measured while no chaos was active.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// p95 order latency (sim ms).
    pub p95_latency_ms: f64,
    /// Share of successful order operations.
    pub success_rate: f64,
    /// Mean filled share of market orders.
    pub fill_ratio: f64,
    /// Orders per sim minute.
    pub orders_per_minute: f64,
    /// Opportunities per sim hour.
    pub opportunities_per_hour: f64,
    /// Sim time of the last update.
    pub measured_at_sim_s: f64,
}

/// Current figures of a strategy.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// p50 latency over the window (sim ms), null without enough samples.
    pub p50_latency_ms: Option<f64>,
    /// p95 latency over the window (sim ms), null without enough samples.
    pub p95_latency_ms: Option<f64>,
    /// Share of successful operations over the window (null if none).
    pub success_rate: Option<f64>,
    /// Mean filled share of market orders (null if none).
    pub fill_ratio: Option<f64>,
    /// Orders per sim minute.
    pub orders_per_minute: f64,
    /// Opportunities per sim hour.
    pub opportunities_per_hour: f64,
}

/// One strategy.
#[derive(Debug, Clone)]
pub struct Strategy {
    kind: StrategyKind,
    /// `arbitrage`…, or `market_making-007` for an added one.
    name: String,
    account: String,
    state: StrategyState,
    config: StrategyConfig,
    started_sim: f64,
    next_scan: f64,
    position: f64,
    cash_usd: f64,
    latency: SampleWindow,
    outcomes: SampleWindow,
    fill_ratios: SampleWindow,
    order_rate: RateWindow,
    opportunity_rate: RateWindow,
    orders_total: u64,
    orders_failed: u64,
    opportunities_detected: u64,
    fills: u64,
    adapted: bool,
    adaptations: VecDeque<Adaptation>,
    baseline: Option<Baseline>,
    open_orders: Vec<String>,
    memory: VecDeque<(f64, f64)>,
}

impl Strategy {
    fn new(kind: StrategyKind, now: f64) -> Self {
        Self::named(kind, kind.name().to_owned(), now)
    }

    fn named(kind: StrategyKind, name: String, now: f64) -> Self {
        Strategy {
            kind,
            account: format!("strategy-{}", name.replace('_', "-")),
            name,
            state: StrategyState::Running,
            config: StrategyConfig::default_for(kind),
            started_sim: now,
            next_scan: now,
            position: 0.0,
            cash_usd: 0.0,
            latency: SampleWindow::new(LATENCY_WINDOW * 4),
            outcomes: SampleWindow::new(OUTCOME_WINDOW.0),
            fill_ratios: SampleWindow::new(OUTCOME_WINDOW.0),
            order_rate: RateWindow::new(600.0, 20_000),
            opportunity_rate: RateWindow::new(ACTIVITY_HORIZON_S, 20_000),
            orders_total: 0,
            orders_failed: 0,
            opportunities_detected: 0,
            fills: 0,
            adapted: false,
            adaptations: VecDeque::new(),
            baseline: None,
            open_orders: Vec::new(),
            memory: VecDeque::new(),
        }
    }

    /// The strategy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its exchange account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Running, stopped or crashed.
    pub fn state(&self) -> StrategyState {
        self.state
    }

    /// Current position (base units of its asset).
    pub fn position(&self) -> f64 {
        self.position
    }

    /// Its position limit.
    pub fn limit(&self) -> f64 {
        self.config.max_position_size
    }

    /// Whether it currently runs adapted to high latency.
    pub fn adapted(&self) -> bool {
        self.adapted
    }

    /// The asset its position is held in.
    pub fn asset(&self) -> &'static str {
        self.kind.asset()
    }

    /// Current figures at sim time `now`.
    pub fn figures(&self, now: f64) -> Figures {
        let lat = self.latency.recent(LATENCY_WINDOW, now - LATENCY_HORIZON_S);
        let enough = lat.len() >= MIN_SAMPLES;
        let outcomes = self
            .outcomes
            .recent(OUTCOME_WINDOW.0, now - OUTCOME_WINDOW.1);
        let fills = self
            .fill_ratios
            .recent(OUTCOME_WINDOW.0, now - OUTCOME_WINDOW.1);
        Figures {
            p50_latency_ms: enough.then(|| percentile(&lat, 50.0)).flatten(),
            p95_latency_ms: enough.then(|| percentile(&lat, 95.0)).flatten(),
            success_rate: mean(&outcomes),
            fill_ratio: mean(&fills),
            orders_per_minute: self.order_rate.per_hour(now, self.started_sim) / 60.0,
            opportunities_per_hour: self.opportunity_rate.per_hour(now, self.started_sim),
        }
    }

    /// p95 latency over the window (sim ms), if there are enough samples.
    pub fn p95_latency(&self, now: f64) -> Option<f64> {
        let lat = self.latency.recent(LATENCY_WINDOW, now - LATENCY_HORIZON_S);
        if lat.len() >= MIN_SAMPLES {
            percentile(&lat, 95.0)
        } else {
            None
        }
    }

    /// Whether figures are degraded against the baseline (see docs/sandbox.md).
    pub fn degraded(&self, now: f64) -> bool {
        self.state != StrategyState::Running || !self.normalized(now)
    }

    /// Whether figures are back within the baseline's tolerance.
    pub fn normalized(&self, now: f64) -> bool {
        if self.state != StrategyState::Running {
            return false;
        }
        let f = self.figures(now);
        let Some(b) = &self.baseline else {
            // No chaos-free period measured yet: judge against fixed norms.
            return f.p95_latency_ms.is_none_or(|p| p <= ADAPT_LATENCY_MS)
                && f.success_rate.is_none_or(|s| s >= 0.9)
                && f.fill_ratio.is_none_or(|r| r >= 0.9);
        };
        let latency_ok = f
            .p95_latency_ms
            .is_none_or(|p| p <= (1.5 * b.p95_latency_ms).max(b.p95_latency_ms + 50.0));
        let success_ok = f.success_rate.is_none_or(|s| s >= b.success_rate - 0.05);
        let fill_ok = f.fill_ratio.is_none_or(|r| r >= b.fill_ratio - 0.05);
        // The order rate is left out: it follows market opportunities, and a
        // stalled strategy already shows in its success rate or state.
        latency_ok && success_ok && fill_ok
    }

    /// Whether opportunities run at more than twice the baseline (floor 30/h).
    pub fn increased_activity(&self, now: f64) -> bool {
        let base = self
            .baseline
            .as_ref()
            .map_or(0.0, |b| b.opportunities_per_hour)
            .max(30.0);
        self.figures(now).opportunities_per_hour > 2.0 * base
    }

    /// The JSON served by `/api/v1/strategies`.
    pub fn to_json(&self, now: f64, market: &MarketData) -> Value {
        let f = self.figures(now);
        let pnl = self.cash_usd + self.position * market.usd_value(self.kind.asset());
        json!({
            "name": self.name,
            "type": self.kind.name(),
            "account": self.account,
            "state": self.state,
            "symbol": self.kind.symbol(),
            "asset": self.kind.asset(),
            "config": self.config,
            "orders_total": self.orders_total,
            "orders_failed": self.orders_failed,
            "orders_per_minute": f.orders_per_minute,
            "p50_latency_ms": f.p50_latency_ms,
            "p95_latency_ms": f.p95_latency_ms,
            "success_rate": f.success_rate,
            "fill_ratio": f.fill_ratio,
            "fills": self.fills,
            "position": self.position,
            "position_limit": self.config.max_position_size,
            "position_limit_breached": self.position.abs() > self.config.max_position_size,
            "pnl": pnl,
            "opportunities_detected": self.opportunities_detected,
            "opportunities_per_hour": f.opportunities_per_hour,
            "adapted": self.adapted,
            "adaptations": self.adaptations,
            "baseline": self.baseline,
            "performance": {
                "degraded": self.degraded(now),
                "normalized": self.normalized(now),
                "increased_activity": self.increased_activity(now),
                "latency_ratio": match (f.p95_latency_ms, &self.baseline) {
                    (Some(p), Some(b)) if b.p95_latency_ms > 0.0 => Some(p / b.p95_latency_ms),
                    _ => None,
                },
                "activity_ratio": self.baseline.as_ref().map(|b| f.opportunities_per_hour / b.opportunities_per_hour.max(1.0)),
            },
        })
    }

    fn record(&mut self, now: f64, sub: &Submission, success: bool) {
        self.orders_total += 1;
        self.latency.push(now, sub.latency_ms);
        self.outcomes.push(now, if success { 1.0 } else { 0.0 });
        self.order_rate.record(now, 1);
        if !success {
            self.orders_failed += 1;
        }
    }

    fn place(
        &mut self,
        now: f64,
        port: &mut dyn OrderPort,
        req: OrderRequest,
        extra: f64,
    ) -> Option<Order> {
        let market = req.order_type == OrderType::Market;
        let sub = port.place(req, extra);
        let ok = matches!(&sub.result, Ok(o) if o.status != OrderStatus::Rejected);
        self.record(now, &sub, ok);
        let order = sub.result.ok()?;
        if market && order.quantity > 0.0 {
            self.fill_ratios
                .push(now, order.filled_quantity / order.quantity);
        }
        Some(order)
    }

    fn cancel_open(&mut self, now: f64, port: &mut dyn OrderPort, extra: f64) {
        for id in std::mem::take(&mut self.open_orders) {
            let sub = port.cancel(&self.account, &id, extra);
            let ok = matches!(&sub.result, Ok(_) | Err(OrderFailure::NotOpen));
            self.record(now, &sub, ok);
        }
    }

    fn order(&self, symbol: &str, side: Side, quantity: f64, price: Option<f64>) -> OrderRequest {
        OrderRequest {
            account: self.account.clone(),
            symbol: symbol.to_string(),
            side,
            order_type: if price.is_some() {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            quantity,
            price,
            client_order_id: None,
        }
    }

    fn adapt(&mut self, now: f64) -> Option<(&'static str, String)> {
        let p95 = self.p95_latency(now);
        let interval = self.config.scan_interval_s;
        match (self.adapted, p95) {
            (false, Some(p)) if p > ADAPT_LATENCY_MS => {
                self.adapted = true;
                let reason = format!("p95 latency {p:.0} ms above {ADAPT_LATENCY_MS:.0} ms");
                let changes = match self.kind {
                    StrategyKind::Arbitrage => json!({
                        "min_spread_bps": [self.config.min_spread_bps, self.config.min_spread_bps * 2.0],
                        "scan_interval_s": [interval, interval * 2.0],
                    }),
                    StrategyKind::MarketMaking => json!({
                        "spread_bps": [self.config.spread_bps, self.config.spread_bps * 2.0],
                        "scan_interval_s": [interval, interval * 2.0],
                    }),
                    StrategyKind::Momentum => json!({
                        "order_size": [self.config.order_size, self.config.order_size / 2.0],
                        "scan_interval_s": [interval, interval * 2.0],
                    }),
                };
                self.push_adaptation("adapted", now, reason.clone(), changes);
                Some(("strategy_adapted", reason))
            }
            (true, p) if p.is_none_or(|p| p < 0.75 * ADAPT_LATENCY_MS) => {
                self.adapted = false;
                let reason = match p {
                    Some(p) => format!("p95 latency back to {p:.0} ms"),
                    None => "no recent latency samples".to_string(),
                };
                self.push_adaptation("restored", now, reason.clone(), json!({}));
                Some(("strategy_restored", reason))
            }
            _ => None,
        }
    }

    fn push_adaptation(&mut self, kind: &'static str, now: f64, reason: String, changes: Value) {
        if self.adaptations.len() == ADAPTATIONS {
            self.adaptations.pop_front();
        }
        self.adaptations.push_back(Adaptation {
            kind,
            at: crate::clock::wall_now(),
            at_sim_s: now,
            reason,
            changes,
        });
    }

    fn update_baseline(&mut self, now: f64) {
        let f = self.figures(now);
        let samples = self
            .latency
            .recent(LATENCY_WINDOW, now - LATENCY_HORIZON_S)
            .len();
        if samples < MIN_SAMPLES || self.orders_total < 20 {
            return;
        }
        self.baseline = Some(Baseline {
            p95_latency_ms: f.p95_latency_ms.unwrap_or(0.0),
            success_rate: f.success_rate.unwrap_or(1.0),
            fill_ratio: f.fill_ratio.unwrap_or(1.0),
            orders_per_minute: f.orders_per_minute,
            opportunities_per_hour: f.opportunities_per_hour,
            measured_at_sim_s: now,
        });
    }
}

/// A notable engine event for the audit trail.
#[derive(Debug, Clone)]
pub struct EngineEvent {
    /// Event kind (`strategy_adapted`, …).
    pub kind: &'static str,
    /// The strategy concerned.
    pub strategy: String,
    /// Details.
    pub details: Value,
}

/// How many strategies the engine starts with.
const BUILT_IN: usize = 3;

/// The trading engine and its strategies.
#[derive(Debug)]
pub struct TradingEngine {
    strategies: Vec<Strategy>,
    events: Vec<EngineEvent>,
}

impl TradingEngine {
    /// The engine with its three default strategies running.
    pub fn new(now: f64) -> Self {
        TradingEngine {
            strategies: [
                StrategyKind::Arbitrage,
                StrategyKind::MarketMaking,
                StrategyKind::Momentum,
            ]
            .into_iter()
            .map(|k| Strategy::new(k, now))
            .collect(),
            events: Vec::new(),
        }
    }

    /// Every strategy.
    pub fn strategies(&self) -> &[Strategy] {
        &self.strategies
    }

    /// The strategy named `name`.
    pub fn strategy(&self, name: &str) -> Option<&Strategy> {
        self.strategies.iter().find(|s| s.name() == name)
    }

    fn strategy_mut(&mut self, name: &str) -> Option<&mut Strategy> {
        self.strategies.iter_mut().find(|s| s.name() == name)
    }

    /// Takes the notable events since the last call.
    pub fn drain_events(&mut self) -> Vec<EngineEvent> {
        std::mem::take(&mut self.events)
    }

    /// Runs `count` strategies besides the three built-in ones, cycling through
    /// the three kinds (`market_making-001`, `momentum-002`, `arbitrage-003`…):
    /// adds the missing ones, removes the extra ones (their resting orders stay
    /// on the book until they fill). Returns how many now run.
    pub fn scale(&mut self, count: usize, now: f64) -> usize {
        const KINDS: [StrategyKind; 3] = [
            StrategyKind::MarketMaking,
            StrategyKind::Momentum,
            StrategyKind::Arbitrage,
        ];
        self.strategies
            .truncate(BUILT_IN + count.min(self.strategies.len() - BUILT_IN));
        for n in self.strategies.len() - BUILT_IN..count {
            let kind = KINDS[n % KINDS.len()];
            let name = format!("{}-{:03}", kind.name(), n + 1);
            self.strategies.push(Strategy::named(kind, name, now));
        }
        self.strategies.len() - BUILT_IN
    }

    /// Starts `name`, or reconfigures it if running; returns whether it was
    /// already running.
    pub fn start(
        &mut self,
        name: &str,
        now: f64,
        overrides: Option<&Map<String, Value>>,
    ) -> Result<bool, String> {
        let s = self
            .strategy_mut(name)
            .ok_or_else(|| format!("unknown strategy `{name}`"))?;
        let mut config = s.config.clone();
        if let Some(o) = overrides {
            config.apply(o)?;
        }
        let was_running = s.state == StrategyState::Running;
        s.config = config;
        if !was_running {
            s.state = StrategyState::Running;
            s.next_scan = now;
        }
        Ok(was_running)
    }

    /// Stops `name` (its resting orders are cancelled at its next step).
    pub fn stop(&mut self, name: &str) -> Result<(), String> {
        let s = self
            .strategy_mut(name)
            .ok_or_else(|| format!("unknown strategy `{name}`"))?;
        s.state = StrategyState::Stopped;
        Ok(())
    }

    /// Marks running strategies crashed.
    pub fn crash(&mut self) {
        for s in &mut self.strategies {
            if s.state == StrategyState::Running {
                s.state = StrategyState::Crashed;
            }
        }
    }

    /// Brings crashed strategies back.
    pub fn restart(&mut self, now: f64) {
        for s in &mut self.strategies {
            if s.state == StrategyState::Crashed {
                s.state = StrategyState::Running;
                s.next_scan = now;
            }
        }
    }

    /// Updates positions and PnL from fills of the strategies' accounts.
    pub fn on_fill(&mut self, fill: &Fill, market: &MarketData) {
        let Some(s) = self
            .strategies
            .iter_mut()
            .find(|s| s.account == fill.account)
        else {
            return;
        };
        let (base, quote) = fill.symbol.split_once('-').unwrap_or((&fill.symbol, "USD"));
        let signed = fill.side.sign() * fill.quantity;
        if base == s.kind.asset() {
            s.position += signed;
        }
        s.fills += 1;
        s.cash_usd -= signed * fill.price * market.usd_value(quote);
        if base != s.kind.asset() {
            // Inventory outside the strategy's asset is valued at once.
            s.cash_usd += signed * market.usd_value(base);
        }
    }

    /// One sim step: each running strategy whose scan is due decides and
    /// trades. `clean` says no chaos was active recently (baseline updates).
    pub fn step(
        &mut self,
        now: f64,
        port: &mut dyn OrderPort,
        market: &MarketData,
        chaos: &[&ChaosEntry],
        clean: bool,
    ) {
        let crashed = chaos.iter().any(|e| matches!(e.effect, Effect::Crash));
        for i in 0..self.strategies.len() {
            let s = &mut self.strategies[i];
            if crashed || s.state == StrategyState::Crashed {
                continue;
            }
            if s.state == StrategyState::Stopped {
                let extra = 0.0;
                s.cancel_open(now, port, extra);
                continue;
            }
            if now + 1e-9 < s.next_scan {
                continue;
            }
            let interval = s.config.scan_interval_s * if s.adapted { 2.0 } else { 1.0 };
            s.next_scan = now + interval;
            let extra = processing_delay(s.name(), chaos);
            let runaway = chaos.iter().find_map(|e| match &e.effect {
                Effect::Runaway {
                    strategy,
                    multiplier,
                } if strategy == s.name() => Some(*multiplier),
                _ => None,
            });
            match s.kind {
                StrategyKind::Arbitrage => arbitrage(s, now, port, market, extra, runaway),
                StrategyKind::MarketMaking => market_making(s, now, port, extra, runaway),
                StrategyKind::Momentum => momentum(s, now, port, market, extra, runaway),
            }
            if let Some((kind, reason)) = s.adapt(now) {
                let strategy = s.name().to_owned();
                let adaptation = s.adaptations.back().map(|a| a.changes.clone());
                self.events.push(EngineEvent {
                    kind,
                    strategy,
                    details: json!({"reason": reason, "changes": adaptation}),
                });
            }
            let s = &mut self.strategies[i];
            // Baselines move slowly: once a sim minute is plenty.
            if clean
                && s.baseline
                    .as_ref()
                    .is_none_or(|b| now - b.measured_at_sim_s >= 60.0)
            {
                s.update_baseline(now);
            }
        }
    }
}

fn processing_delay(strategy: &str, chaos: &[&ChaosEntry]) -> f64 {
    chaos
        .iter()
        .map(|e| match &e.effect {
            Effect::Latency {
                delay_ms,
                strategies,
                ..
            } if matches(strategies, strategy) => *delay_ms,
            _ => 0.0,
        })
        .sum()
}

/// Arbitrage: refresh a far probe quote (place + cancel), trade the
/// stablecoin's deviation when it exceeds `min_spread_bps`, and offload
/// inventory through the USDT cross books, limited by their depth.
fn arbitrage(
    s: &mut Strategy,
    now: f64,
    port: &mut dyn OrderPort,
    market: &MarketData,
    extra: f64,
    runaway: Option<f64>,
) {
    if let Some(btc) = market.published("BTC-USD") {
        let probe = s.order("BTC-USD", Side::Buy, 0.001, Some(btc * 0.98));
        if let Some(o) = s.place(now, port, probe, extra) {
            if o.status == OrderStatus::Open {
                s.open_orders.push(o.id);
            }
        }
        s.cancel_open(now, port, extra);
    }
    let Some(price) = market.published(s.kind.symbol()) else {
        return;
    };
    let dev_bps = (price - 1.0) * 1e4;
    let min_spread = s.config.min_spread_bps * if s.adapted { 2.0 } else { 1.0 };
    let hard_stop = s.config.max_position_size * s.config.hard_stop_ratio;
    if let Some(m) = runaway {
        let req = s.order(s.kind.symbol(), Side::Buy, s.config.order_size * m, None);
        s.place(now, port, req, extra);
    } else if dev_bps.abs() > min_spread {
        s.opportunities_detected += 1;
        s.opportunity_rate.record(now, 1);
        let side = if dev_bps < 0.0 { Side::Buy } else { Side::Sell };
        if s.position * side.sign() < hard_stop {
            let qty = s.config.order_size * (dev_bps.abs() / min_spread).clamp(1.0, 3.0);
            let req = s.order(s.kind.symbol(), side, qty, None);
            s.place(now, port, req, extra);
        }
    }
    if runaway.is_none() && s.position.abs() > 1e-6 {
        let side = if s.position > 0.0 {
            Side::Sell
        } else {
            Side::Buy
        };
        for book in ["USDT-BTC", "USDT-ETH"] {
            let Some(view) = port.book(book) else {
                continue;
            };
            let qty = (s.position.abs() / 2.0).min(s.config.offload_participation * view.top_depth);
            if qty > 1e-6 {
                let req = s.order(book, side, qty, None);
                s.place(now, port, req, extra);
            }
        }
    }
}

/// Market making: cancel the previous quotes, quote both sides around the
/// mid (not the side that would exceed the limit), flatten any excess.
fn market_making(
    s: &mut Strategy,
    now: f64,
    port: &mut dyn OrderPort,
    extra: f64,
    runaway: Option<f64>,
) {
    s.cancel_open(now, port, extra);
    let symbol = s.kind.symbol();
    let Some(book) = port.book(symbol) else {
        return;
    };
    if let Some(m) = runaway {
        let req = s.order(symbol, Side::Buy, s.config.order_size * m, None);
        s.place(now, port, req, extra);
        return;
    }
    let limit = s.config.max_position_size;
    if s.position.abs() > limit {
        reduce(s, now, port, &book, extra);
        return;
    }
    let half = s.config.spread_bps * if s.adapted { 2.0 } else { 1.0 } / 2e4;
    for (side, price) in [
        (Side::Buy, book.mid * (1.0 - half)),
        (Side::Sell, book.mid * (1.0 + half)),
    ] {
        if (s.position + side.sign() * s.config.order_size) * side.sign() > limit {
            continue;
        }
        let req = s.order(symbol, side, s.config.order_size, Some(price));
        if let Some(o) = s.place(now, port, req, extra) {
            if o.status == OrderStatus::Open {
                s.open_orders.push(o.id);
            } else if o.status == OrderStatus::Filled {
                s.opportunities_detected += 1;
                s.opportunity_rate.record(now, 1);
            }
        }
    }
}

/// Momentum: trade toward ±80 % of the limit in the direction of the
/// one-minute move when it exceeds `signal_bps`.
fn momentum(
    s: &mut Strategy,
    now: f64,
    port: &mut dyn OrderPort,
    market: &MarketData,
    extra: f64,
    runaway: Option<f64>,
) {
    let symbol = s.kind.symbol();
    let Some(price) = market.published(symbol) else {
        return;
    };
    s.memory.push_back((now, price));
    while s.memory.len() > 2 && s.memory[1].0 <= now - 60.0 {
        s.memory.pop_front();
    }
    if let Some(m) = runaway {
        let req = s.order(symbol, Side::Buy, s.config.order_size * m, None);
        s.place(now, port, req, extra);
        return;
    }
    let limit = s.config.max_position_size;
    if s.position.abs() > limit {
        if let Some(book) = port.book(symbol) {
            reduce(s, now, port, &book, extra);
        }
        return;
    }
    let Some(&(then, old)) = s.memory.front() else {
        return;
    };
    if now - then < 30.0 {
        return;
    }
    let signal = (price / old - 1.0) * 1e4;
    if signal.abs() <= s.config.signal_bps {
        return;
    }
    s.opportunities_detected += 1;
    s.opportunity_rate.record(now, 1);
    let target = signal.signum() * 0.8 * limit;
    let size = s.config.order_size * if s.adapted { 0.5 } else { 1.0 };
    let qty = (target - s.position).abs().min(size);
    if qty > 1e-6 {
        let side = if target > s.position {
            Side::Buy
        } else {
            Side::Sell
        };
        let req = s.order(symbol, side, qty, None);
        s.place(now, port, req, extra);
    }
}

/// Brings a position back to half its limit, as far as half the book allows.
fn reduce(s: &mut Strategy, now: f64, port: &mut dyn OrderPort, book: &BookView, extra: f64) {
    let excess = s.position.abs() - 0.5 * s.config.max_position_size;
    let qty = excess.min(0.5 * book.depth);
    if qty > 1e-6 {
        let side = if s.position > 0.0 {
            Side::Sell
        } else {
            Side::Buy
        };
        let req = s.order(s.kind.symbol(), side, qty, None);
        s.place(now, port, req, extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_overrides_refuse_unknown_keys_and_non_positive_values() {
        let mut c = StrategyConfig::default_for(StrategyKind::Arbitrage);
        let ok: Map<String, Value> =
            serde_json::from_value(json!({"min_spread_bps": 5, "max_position_size": 10.0}))
                .expect("object");
        assert!(c.apply(&ok).is_ok());
        assert_eq!(c.max_position_size, 10.0);
        let bad: Map<String, Value> =
            serde_json::from_value(json!({"max_posiion": 1, "order_size": -1})).expect("object");
        let err = c.apply(&bad).expect_err("refused");
        assert!(err.contains("max_posiion") && err.contains("order_size"));
    }

    #[test]
    fn adaptation_follows_the_p95_and_reverts() {
        let mut s = Strategy::new(StrategyKind::Arbitrage, 0.0);
        let slow = Submission {
            result: Err(OrderFailure::NotFound),
            latency_ms: 600.0,
        };
        let fast = Submission {
            result: Err(OrderFailure::NotFound),
            latency_ms: 40.0,
        };
        for i in 0..10 {
            s.record(f64::from(i), &slow, true);
        }
        assert!(s.adapt(10.0).is_some());
        assert!(s.adapted);
        for i in 10..70 {
            s.record(f64::from(i), &fast, true);
        }
        assert!(s.adapt(70.0).is_some());
        assert!(!s.adapted);
        assert_eq!(s.adaptations.len(), 2);
    }

    #[test]
    fn scaling_adds_and_removes_named_strategies_of_every_kind() {
        let mut engine = TradingEngine::new(0.0);
        assert_eq!(engine.scale(50, 0.0), 50);
        assert_eq!(engine.strategies().len(), 53);
        let names: std::collections::HashSet<&str> =
            engine.strategies().iter().map(|s| s.name()).collect();
        assert_eq!(names.len(), 53, "names are unique");
        let added = engine.strategy("momentum-050").expect("the 50th");
        assert_eq!(added.account(), "strategy-momentum-050");
        assert_eq!(added.state(), StrategyState::Running);
        assert!(engine.strategy("market_making-001").is_some());
        assert!(engine.strategy("arbitrage-003").is_some());
        assert_eq!(engine.scale(10, 1.0), 10);
        assert!(engine.strategy("momentum-050").is_none());
        assert_eq!(engine.scale(0, 2.0), 0);
        let names: Vec<&str> = engine.strategies().iter().map(|s| s.name()).collect();
        assert_eq!(names, ["arbitrage", "market_making", "momentum"]);
    }
}
