//! exchange-simulator: order books around the market prices, order
//! placement and cancellation with fills, per-account order history and
//! order statistics.
//!
//! Availability chaos (downtime, partition, rate limit, outage, latency) is
//! decided before an order reaches this module (`world::gate`); this module
//! owns what happens to an accepted order: rejection, fills, partial fills,
//! spreads and depth. Fills are queued in an outbox that the world hands to
//! the custodian and the trading engine, so HTTP clients and strategies are
//! treated alike.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::chaos::{matches, ChaosEntry, Effect};
use crate::market_data::{self, MarketData, SYMBOLS};
use crate::rng::Rng;
use crate::window::{percentile, SampleWindow};

/// Orders kept in the history ring.
const HISTORY: usize = 5_000;
/// Open (resting) orders accepted at most.
const MAX_OPEN: usize = 10_000;
/// Accounts with their own statistics at most (the rest count as `other`).
const MAX_ACCOUNTS: usize = 1_000;
/// Levels per side of a book.
pub const LEVELS: usize = 10;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy the base asset.
    Buy,
    /// Sell the base asset.
    Sell,
}

impl Side {
    /// +1 for buy, -1 for sell.
    pub fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }
}

/// Market or limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OrderType {
    /// Fill now against the book.
    #[default]
    Market,
    /// Fill at `price` or better; the rest rests in the book.
    Limit,
}

/// A new order as sent by a client.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// The account placing it.
    pub account: String,
    /// `BASE-QUOTE`.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Market (default) or limit.
    #[serde(default, rename = "type")]
    pub order_type: OrderType,
    /// Quantity in base units.
    pub quantity: f64,
    /// Limit price (required for limit orders).
    #[serde(default)]
    pub price: Option<f64>,
    /// The client's own reference.
    #[serde(default)]
    pub client_order_id: Option<String>,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Resting in the book.
    Open,
    /// Completely filled.
    Filled,
    /// Partly filled; the rest was cancelled.
    PartiallyFilled,
    /// Cancelled before any fill.
    Cancelled,
    /// Refused by the exchange (see `reason`).
    Rejected,
    /// Never processed: exchange down, rate-limited, database or network failure.
    Failed,
}

/// One order and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    /// `ord-…`.
    pub id: String,
    /// The client's reference, if any.
    pub client_order_id: Option<String>,
    /// The account.
    pub account: String,
    /// `BASE-QUOTE`.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Market or limit.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Requested quantity.
    pub quantity: f64,
    /// Limit price, if any.
    pub price: Option<f64>,
    /// Status.
    pub status: OrderStatus,
    /// Quantity filled so far.
    pub filled_quantity: f64,
    /// Average fill price, if anything filled.
    pub average_price: Option<f64>,
    /// Why it was rejected or failed.
    pub reason: Option<String>,
    /// Simulated latency of the placement in sim milliseconds.
    pub latency_ms: f64,
    /// Wall-clock creation time.
    pub created_at: String,
    /// Sim creation time (seconds since sandbox start).
    pub created_at_sim_s: f64,
}

/// A fill, handed to the custodian and the trading engine.
#[derive(Debug, Clone)]
pub struct Fill {
    /// The order filled.
    pub order_id: String,
    /// Its account.
    pub account: String,
    /// `BASE-QUOTE`.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Quantity filled.
    pub quantity: f64,
    /// Fill price.
    pub price: f64,
    /// Sim time.
    pub at: f64,
}

/// Why an order failed (the HTTP layer maps each to a status).
#[derive(Debug, Clone, PartialEq)]
pub enum OrderFailure {
    /// The exchange is down (503).
    Down,
    /// The request never got through (client timeout).
    Partitioned,
    /// 429.
    RateLimited,
    /// Persistence failed (503).
    DatabaseError,
    /// Refused by the exchange (422), with the reason.
    Rejected(String),
    /// Malformed request (422), with the message.
    Invalid(String),
    /// No such order (404).
    NotFound,
    /// The order is not open any more (409).
    NotOpen,
}

impl OrderFailure {
    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            OrderFailure::Down => "service_unavailable",
            OrderFailure::Partitioned => "timeout",
            OrderFailure::RateLimited => "rate_limited",
            OrderFailure::DatabaseError => "database_unavailable",
            OrderFailure::Rejected(_) => "order_rejected",
            OrderFailure::Invalid(_) => "invalid_parameter",
            OrderFailure::NotFound => "not_found",
            OrderFailure::NotOpen => "conflict",
        }
    }

    /// Human-readable message.
    pub fn message(&self) -> String {
        match self {
            OrderFailure::Down => "the exchange is down".into(),
            OrderFailure::Partitioned => "the request timed out (network partition)".into(),
            OrderFailure::RateLimited => "rate limit exceeded".into(),
            OrderFailure::DatabaseError => "order database unavailable".into(),
            OrderFailure::Rejected(r) => format!("order rejected: {r}"),
            OrderFailure::Invalid(m) => m.clone(),
            OrderFailure::NotFound => "no such order".into(),
            OrderFailure::NotOpen => "the order is not open".into(),
        }
    }
}

/// A book's headline figures.
#[derive(Debug, Clone, Serialize)]
pub struct BookView {
    /// `BASE-QUOTE`.
    pub symbol: String,
    /// Mid price.
    pub mid: f64,
    /// Best bid.
    pub best_bid: f64,
    /// Best ask.
    pub best_ask: f64,
    /// Current spread in basis points.
    pub spread_bps: f64,
    /// Spread without chaos (the symbol's normal spread).
    pub baseline_spread_bps: f64,
    /// `spread_bps / baseline_spread_bps`.
    pub spread_ratio: f64,
    /// Quantity at the best level.
    pub top_depth: f64,
    /// Quantity on each side over all levels.
    pub depth: f64,
    /// `depth` without chaos.
    pub baseline_depth: f64,
    /// `depth / baseline_depth`.
    pub liquidity_factor: f64,
    /// `[price, quantity]` bids, best first (only on single-book requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bids: Option<Vec<[f64; 2]>>,
    /// `[price, quantity]` asks, best first (only on single-book requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asks: Option<Vec<[f64; 2]>>,
}

/// Counters and latency of orders (global or per account).
#[derive(Debug, Clone)]
struct Counters {
    total: u64,
    filled: u64,
    partially_filled: u64,
    open: u64,
    cancelled: u64,
    rejected: u64,
    failed: u64,
    rate_limited: u64,
    timed_out: u64,
    latency: SampleWindow,
}

impl Counters {
    fn new() -> Self {
        Counters {
            total: 0,
            filled: 0,
            partially_filled: 0,
            open: 0,
            cancelled: 0,
            rejected: 0,
            failed: 0,
            rate_limited: 0,
            timed_out: 0,
            latency: SampleWindow::new(1_000),
        }
    }

    fn count(&mut self, order: &Order, failure: Option<&OrderFailure>) {
        self.total += 1;
        match failure {
            Some(OrderFailure::RateLimited) => self.rate_limited += 1,
            Some(OrderFailure::Partitioned) => self.timed_out += 1,
            _ => {}
        }
        match order.status {
            OrderStatus::Filled => self.filled += 1,
            OrderStatus::PartiallyFilled => self.partially_filled += 1,
            OrderStatus::Open => self.open += 1,
            OrderStatus::Cancelled => self.cancelled += 1,
            OrderStatus::Rejected => self.rejected += 1,
            OrderStatus::Failed => self.failed += 1,
        }
        self.latency.push(order.created_at_sim_s, order.latency_ms);
    }

    fn to_json(&self) -> serde_json::Value {
        let recent = self.latency.recent(1_000, f64::NEG_INFINITY);
        let failures = self.rejected + self.failed;
        serde_json::json!({
            "orders_total": self.total,
            "filled": self.filled,
            "partially_filled": self.partially_filled,
            "open": self.open,
            "cancelled": self.cancelled,
            "rejected": self.rejected,
            "failed": self.failed,
            "rate_limited": self.rate_limited,
            "timed_out": self.timed_out,
            "failure_rate": if self.total == 0 { 0.0 } else { failures as f64 / self.total as f64 },
            "latency_ms": {
                "window": recent.len(),
                "p50": percentile(&recent, 50.0),
                "p95": percentile(&recent, 95.0),
                "p99": percentile(&recent, 99.0),
                "max": recent.iter().copied().reduce(f64::max),
            },
        })
    }
}

/// The exchange simulator.
#[derive(Debug)]
pub struct Exchange {
    rng: Rng,
    next_order: u64,
    spread_noise: Vec<f64>,
    open: BTreeMap<u64, Order>,
    history: VecDeque<Order>,
    fills: Vec<Fill>,
    stats: Counters,
    accounts: HashMap<String, Counters>,
}

impl Exchange {
    /// An exchange with empty books of orders; its stream derives from `seed`.
    pub fn new(seed: u64) -> Self {
        Exchange {
            rng: Rng::new(seed, 2),
            next_order: 0,
            spread_noise: vec![1.0; SYMBOLS.len()],
            open: BTreeMap::new(),
            history: VecDeque::new(),
            fills: Vec::new(),
            stats: Counters::new(),
            accounts: HashMap::new(),
        }
    }

    /// The exchange's random stream (for availability draws in `world::gate`).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Advances books and matches resting orders.
    pub fn step(&mut self, now: f64, dt: f64, market: &MarketData, chaos: &[&ChaosEntry]) {
        for noise in &mut self.spread_noise {
            let z = self.rng.normal();
            *noise = (*noise + 0.2 * (1.0 - *noise) + 0.03 * z).clamp(0.85, 1.15);
        }
        let ids: Vec<u64> = self.open.keys().copied().collect();
        for id in ids {
            let Some(order) = self.open.get(&id) else {
                continue;
            };
            let Some(book) = self.book(&order.symbol, market, chaos, false) else {
                continue;
            };
            let limit = order.price.unwrap_or(book.mid);
            let (crossed, distance_bps) = match order.side {
                Side::Buy => (limit >= book.best_ask, (book.mid - limit) / book.mid * 1e4),
                Side::Sell => (limit <= book.best_bid, (limit - book.mid) / book.mid * 1e4),
            };
            // Other participants' flow fills orders near the touch now and then.
            let flow = 0.05 * (-distance_bps.max(0.0) / 3.0).exp() * dt;
            if crossed || self.rng.chance(flow) {
                if let Some(mut order) = self.open.remove(&id) {
                    let qty = order.quantity - order.filled_quantity;
                    order.filled_quantity = order.quantity;
                    order.average_price = Some(limit);
                    order.status = OrderStatus::Filled;
                    self.fills.push(Fill {
                        order_id: order.id.clone(),
                        account: order.account.clone(),
                        symbol: order.symbol.clone(),
                        side: order.side,
                        quantity: qty,
                        price: limit,
                        at: now,
                    });
                    self.remember(order);
                }
            }
        }
    }

    /// Places an order that passed the availability gate, with its simulated
    /// latency; returns the order as recorded (a refused one is recorded too).
    pub fn place(
        &mut self,
        now: f64,
        latency_ms: f64,
        req: OrderRequest,
        market: &MarketData,
        chaos: &[&ChaosEntry],
    ) -> Result<Order, OrderFailure> {
        let mut order = self.new_order(now, latency_ms, &req);
        if let Err(message) = validate(&req) {
            return Err(self.fail(order, OrderFailure::Invalid(message)).1);
        }
        let Some(book) = self.book(&req.symbol, market, chaos, true) else {
            let message = format!("unknown symbol `{}`", req.symbol);
            return Err(self.fail(order, OrderFailure::Invalid(message)).1);
        };
        if self.open.len() >= MAX_OPEN && req.order_type == OrderType::Limit {
            let reason = "too_many_open_orders".to_string();
            return Err(self.fail(order, OrderFailure::Rejected(reason)).1);
        }
        if let Some(reason) = self.rejection(&req.account, chaos) {
            return Err(self.fail(order, OrderFailure::Rejected(reason)).1);
        }
        let levels = match req.side {
            Side::Buy => book.asks.clone().unwrap_or_default(),
            Side::Sell => book.bids.clone().unwrap_or_default(),
        };
        let limit = match req.order_type {
            OrderType::Market => None,
            OrderType::Limit => req.price,
        };
        let wanted = req.quantity * self.partial_fill_ratio(&req.account, chaos);
        let (filled, notional) = sweep(&levels, req.side, wanted, limit);
        order.filled_quantity = filled;
        order.average_price = (filled > 0.0).then(|| notional / filled);
        let partial_by_chaos = wanted < req.quantity;
        order.status = if filled >= req.quantity * (1.0 - 1e-9) {
            OrderStatus::Filled
        } else if req.order_type == OrderType::Limit && !partial_by_chaos {
            OrderStatus::Open
        } else if filled > 0.0 {
            OrderStatus::PartiallyFilled
        } else {
            order.reason = Some("insufficient_liquidity".into());
            OrderStatus::Cancelled
        };
        if filled > 0.0 {
            self.fills.push(Fill {
                order_id: order.id.clone(),
                account: order.account.clone(),
                symbol: order.symbol.clone(),
                side: order.side,
                quantity: filled,
                price: notional / filled,
                at: now,
            });
        }
        self.count(&order, None);
        if order.status == OrderStatus::Open {
            self.open.insert(self.next_order, order.clone());
        } else {
            self.remember(order.clone());
        }
        Ok(order)
    }

    /// Records an order that failed at the availability gate.
    pub fn record_failure(
        &mut self,
        now: f64,
        latency_ms: f64,
        req: &OrderRequest,
        failure: OrderFailure,
    ) -> (Order, OrderFailure) {
        let order = self.new_order(now, latency_ms, req);
        self.fail(order, failure)
    }

    /// Cancels an open order of `account` (any account if `None`).
    pub fn cancel(&mut self, order_id: &str, account: Option<&str>) -> Result<Order, OrderFailure> {
        let id = parse_id(order_id).ok_or(OrderFailure::NotFound)?;
        match self.open.get(&id) {
            Some(o) if account.is_none_or(|a| a == o.account) => {}
            Some(_) => return Err(OrderFailure::NotFound),
            None => {
                return if self.find(order_id).is_some() {
                    Err(OrderFailure::NotOpen)
                } else {
                    Err(OrderFailure::NotFound)
                }
            }
        }
        let mut order = self.open.remove(&id).ok_or(OrderFailure::NotFound)?;
        order.status = if order.filled_quantity > 0.0 {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::Cancelled
        };
        self.remember(order.clone());
        Ok(order)
    }

    /// Takes the fills produced since the last call.
    pub fn drain_fills(&mut self) -> Vec<Fill> {
        std::mem::take(&mut self.fills)
    }

    /// An order by id (open or in the history ring).
    pub fn find(&self, order_id: &str) -> Option<&Order> {
        let id = parse_id(order_id)?;
        self.open
            .get(&id)
            .or_else(|| self.history.iter().rev().find(|o| o.id == order_id))
    }

    /// Up to `limit` most recent orders, newest first, optionally of one account.
    pub fn orders(&self, account: Option<&str>, limit: usize) -> Vec<Order> {
        let mut all: Vec<&Order> = self
            .history
            .iter()
            .chain(self.open.values())
            .filter(|o| account.is_none_or(|a| a == o.account))
            .collect();
        all.sort_by(|a, b| {
            b.created_at_sim_s
                .total_cmp(&a.created_at_sim_s)
                .then(b.id.cmp(&a.id))
        });
        all.into_iter().take(limit).cloned().collect()
    }

    /// Order statistics, global and per account.
    pub fn stats(&self) -> serde_json::Value {
        let mut json = self.stats.to_json();
        let accounts: BTreeMap<&String, serde_json::Value> = self
            .accounts
            .iter()
            .map(|(k, v)| (k, v.to_json()))
            .collect();
        json["accounts"] = serde_json::json!(accounts);
        json["open_orders"] = serde_json::json!(self.open.len());
        json
    }

    /// The book of `symbol`; with `levels` the bid and ask ladders are included.
    pub fn book(
        &self,
        symbol: &str,
        market: &MarketData,
        chaos: &[&ChaosEntry],
        levels: bool,
    ) -> Option<BookView> {
        let idx = SYMBOLS.iter().position(|s| s.name == symbol)?;
        let spec = &SYMBOLS[idx];
        let mid = market.price(symbol)?;
        let (spread_factor, liquidity) = book_factors(symbol, chaos);
        let spread = spread_bps(
            spec.base_spread_bps,
            market.vol_multiplier(symbol),
            spread_factor,
            liquidity,
            self.spread_noise[idx],
        );
        let half = mid * spread / 2e4;
        let step = mid * (spec.base_spread_bps / 2.0).max(0.5) / 1e4;
        let level_qty = |i: usize| spec.depth * liquidity * (1.0 + 0.1 * i as f64);
        let ladder = |sign: f64| -> Vec<[f64; 2]> {
            (0..LEVELS)
                .map(|i| [mid + sign * (half + step * i as f64), level_qty(i)])
                .collect()
        };
        let depth: f64 = (0..LEVELS).map(level_qty).sum();
        let baseline_depth: f64 = (0..LEVELS)
            .map(|i| spec.depth * (1.0 + 0.1 * i as f64))
            .sum();
        Some(BookView {
            symbol: symbol.to_string(),
            mid,
            best_bid: mid - half,
            best_ask: mid + half,
            spread_bps: spread,
            baseline_spread_bps: spec.base_spread_bps,
            spread_ratio: spread / spec.base_spread_bps,
            top_depth: level_qty(0),
            depth,
            baseline_depth,
            liquidity_factor: liquidity,
            bids: levels.then(|| ladder(-1.0)),
            asks: levels.then(|| ladder(1.0)),
        })
    }

    /// Every book's headline figures.
    pub fn books(&self, market: &MarketData, chaos: &[&ChaosEntry]) -> Vec<BookView> {
        SYMBOLS
            .iter()
            .filter_map(|s| self.book(s.name, market, chaos, false))
            .collect()
    }

    fn new_order(&mut self, now: f64, latency_ms: f64, req: &OrderRequest) -> Order {
        self.next_order += 1;
        Order {
            id: format!("ord-{:08}", self.next_order),
            client_order_id: req.client_order_id.clone(),
            account: req.account.clone(),
            symbol: req.symbol.clone(),
            side: req.side,
            order_type: req.order_type,
            quantity: req.quantity,
            price: req.price,
            status: OrderStatus::Failed,
            filled_quantity: 0.0,
            average_price: None,
            reason: None,
            latency_ms,
            created_at: crate::clock::wall_now(),
            created_at_sim_s: now,
        }
    }

    fn fail(&mut self, mut order: Order, failure: OrderFailure) -> (Order, OrderFailure) {
        order.status = match failure {
            OrderFailure::Rejected(_) | OrderFailure::Invalid(_) => OrderStatus::Rejected,
            _ => OrderStatus::Failed,
        };
        order.reason = Some(match &failure {
            OrderFailure::Rejected(r) => r.clone(),
            other => other.kind().to_string(),
        });
        self.count(&order, Some(&failure));
        self.remember(order.clone());
        (order, failure)
    }

    fn count(&mut self, order: &Order, failure: Option<&OrderFailure>) {
        self.stats.count(order, failure);
        if let Some(c) = self.accounts.get_mut(&order.account) {
            c.count(order, failure);
            return;
        }
        let key = if self.accounts.len() < MAX_ACCOUNTS {
            order.account.clone()
        } else {
            "other".to_string()
        };
        self.accounts
            .entry(key)
            .or_insert_with(Counters::new)
            .count(order, failure);
    }

    fn remember(&mut self, order: Order) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(order);
    }

    fn rejection(&mut self, account: &str, chaos: &[&ChaosEntry]) -> Option<String> {
        for e in chaos {
            if let Effect::RejectOrders {
                rate,
                reason,
                accounts,
            } = &e.effect
            {
                if matches(accounts, account) && self.rng.chance(*rate) {
                    return Some(reason.clone());
                }
            }
        }
        None
    }

    fn partial_fill_ratio(&mut self, account: &str, chaos: &[&ChaosEntry]) -> f64 {
        for e in chaos {
            if let Effect::PartialFills {
                rate,
                fill_ratio,
                accounts,
            } = &e.effect
            {
                if matches(accounts, account) && self.rng.chance(*rate) {
                    return *fill_ratio;
                }
            }
        }
        1.0
    }
}

fn parse_id(order_id: &str) -> Option<u64> {
    order_id.strip_prefix("ord-")?.parse().ok()
}

fn validate(req: &OrderRequest) -> Result<(), String> {
    if req.account.trim().is_empty() {
        return Err("`account` must not be empty".into());
    }
    if !(req.quantity.is_finite() && req.quantity > 0.0) {
        return Err("`quantity` must be a positive number".into());
    }
    match (req.order_type, req.price) {
        (OrderType::Limit, None) => Err("a limit order needs `price`".into()),
        (_, Some(p)) if !(p.is_finite() && p > 0.0) => Err("`price` must be positive".into()),
        _ => Ok(()),
    }
}

/// Spread multiplier and remaining liquidity share of `symbol` under `chaos`.
fn book_factors(symbol: &str, chaos: &[&ChaosEntry]) -> (f64, f64) {
    chaos.iter().fold((1.0, 1.0), |(s, l), e| match &e.effect {
        Effect::SpreadFactor { factor, symbols } if matches(symbols, symbol) => (s * factor, l),
        Effect::ReduceLiquidity { factor, symbols } if matches(symbols, symbol) => (s, l * factor),
        _ => (s, l),
    })
}

/// A book's spread in bps: the normal spread widened by volatility
/// (half the extra volatility), by manipulation, and by thinner liquidity
/// (`liquidity^-1.5`, so halving depth nearly triples the spread).
pub fn spread_bps(base: f64, vol_mult: f64, factor: f64, liquidity: f64, noise: f64) -> f64 {
    let vol = 1.0 + 0.5 * (vol_mult - 1.0).max(0.0);
    base * vol * factor * liquidity.max(0.01).powf(-1.5) * noise
}

/// Walks `levels` for `quantity` up to `limit`; returns `(filled, notional)`.
fn sweep(levels: &[[f64; 2]], side: Side, quantity: f64, limit: Option<f64>) -> (f64, f64) {
    let mut left = quantity;
    let mut notional = 0.0;
    for [price, qty] in levels {
        if left <= 0.0 {
            break;
        }
        let acceptable = match (side, limit) {
            (_, None) => true,
            (Side::Buy, Some(l)) => *price <= l,
            (Side::Sell, Some(l)) => *price >= l,
        };
        if !acceptable {
            break;
        }
        let take = left.min(*qty);
        notional += take * price;
        left -= take;
    }
    (quantity - left, notional)
}

/// Normal spread of `symbol` in bps.
pub fn baseline_spread(symbol: &str) -> Option<f64> {
    market_data::spec(symbol).map(|s| s.base_spread_bps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_liquidity_more_than_doubles_the_spread() {
        let normal = spread_bps(4.0, 1.0, 1.0, 1.0, 1.0);
        let thin = spread_bps(4.0, 1.0, 1.0, 0.5, 1.0);
        assert!(thin / normal > 2.5, "ratio {}", thin / normal);
        // Noise alone never doubles it.
        assert!(spread_bps(4.0, 1.0, 1.0, 1.0, 1.15) / normal < 2.0);
    }

    #[test]
    fn a_sweep_stops_at_the_limit_and_at_the_depth() {
        let asks = [[100.0, 1.0], [101.0, 1.0], [102.0, 1.0]];
        assert_eq!(sweep(&asks, Side::Buy, 2.0, None), (2.0, 201.0));
        assert_eq!(sweep(&asks, Side::Buy, 5.0, None), (3.0, 303.0));
        assert_eq!(sweep(&asks, Side::Buy, 5.0, Some(100.5)), (1.0, 100.0));
    }

    #[test]
    fn market_orders_fill_and_limit_orders_rest() {
        let market = MarketData::new(1);
        let mut ex = Exchange::new(1);
        let req = |t: OrderType, price: Option<f64>| OrderRequest {
            account: "a".into(),
            symbol: "BTC-USD".into(),
            side: Side::Buy,
            order_type: t,
            quantity: 1.0,
            price,
            client_order_id: None,
        };
        let filled = ex
            .place(0.0, 10.0, req(OrderType::Market, None), &market, &[])
            .expect("accepted");
        assert_eq!(filled.status, OrderStatus::Filled);
        let resting = ex
            .place(0.0, 10.0, req(OrderType::Limit, Some(1.0)), &market, &[])
            .expect("accepted");
        assert_eq!(resting.status, OrderStatus::Open);
        assert_eq!(ex.drain_fills().len(), 1);
        let cancelled = ex.cancel(&resting.id, Some("a")).expect("cancelled");
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert!(matches!(
            ex.cancel(&resting.id, Some("a")),
            Err(OrderFailure::NotOpen)
        ));
    }
}
