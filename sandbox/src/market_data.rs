//! market-data-simulator: reference prices moving as a seeded random walk,
//! with the market chaos (shocks, depegs, volatility, recovery, frozen feed).
//!
//! Symbols are `BASE-QUOTE`: `BTC-USD` is the USD price of one BTC,
//! `USDT-BTC` the BTC price of one USDT (derived from USDT-USD and BTC-USD
//! with a little basis noise). Each symbol draws from its own random stream,
//! exactly one normal per step, so the price path depends only on the seed
//! and on the market chaos injected, never on trading activity.

use std::collections::VecDeque;

use serde::Serialize;

use crate::chaos::{matches, ChaosEntry, Effect};
use crate::rng::Rng;

/// Sim seconds over which a stablecoin's deviation reverts to its anchor.
const STABLE_REVERSION_S: f64 = 300.0;
/// One price point is kept per sim minute, for a day.
const HISTORY_POINTS: usize = 1440;

/// How a symbol's price is formed.
#[derive(Debug, Clone, Copy)]
pub enum SymbolKind {
    /// Geometric random walk.
    Volatile,
    /// Mean-reverting deviation around a peg.
    Stable {
        /// The peg price.
        peg: f64,
    },
    /// Price of `base` in units of `quote` (both USD-quoted symbols).
    Cross {
        /// USD symbol of the base asset.
        base: &'static str,
        /// USD symbol of the quote asset.
        quote: &'static str,
    },
}

/// Static description of one symbol.
#[derive(Debug, Clone, Copy)]
pub struct SymbolSpec {
    /// `BASE-QUOTE`.
    pub name: &'static str,
    /// How the price is formed.
    pub kind: SymbolKind,
    /// Starting price.
    pub initial: f64,
    /// Volatility per √hour (fraction); for stablecoins the stationary std of the deviation.
    pub sigma: f64,
    /// Normal spread of the exchange book in basis points.
    pub base_spread_bps: f64,
    /// Normal depth per book level (base units).
    pub depth: f64,
}

/// The symbols of the sandbox.
pub const SYMBOLS: &[SymbolSpec] = &[
    SymbolSpec {
        name: "BTC-USD",
        kind: SymbolKind::Volatile,
        initial: 65_000.0,
        sigma: 0.008,
        base_spread_bps: 2.0,
        depth: 5.0,
    },
    SymbolSpec {
        name: "ETH-USD",
        kind: SymbolKind::Volatile,
        initial: 3_200.0,
        sigma: 0.010,
        base_spread_bps: 3.0,
        depth: 60.0,
    },
    SymbolSpec {
        name: "SOL-USD",
        kind: SymbolKind::Volatile,
        initial: 150.0,
        sigma: 0.015,
        base_spread_bps: 5.0,
        depth: 1_000.0,
    },
    SymbolSpec {
        name: "USDT-USD",
        kind: SymbolKind::Stable { peg: 1.0 },
        initial: 1.0,
        sigma: 0.0002,
        base_spread_bps: 1.0,
        depth: 50.0,
    },
    SymbolSpec {
        name: "USDC-USD",
        kind: SymbolKind::Stable { peg: 1.0 },
        initial: 1.0,
        sigma: 0.0001,
        base_spread_bps: 1.0,
        depth: 50.0,
    },
    SymbolSpec {
        name: "USDT-BTC",
        kind: SymbolKind::Cross {
            base: "USDT-USD",
            quote: "BTC-USD",
        },
        initial: 1.0 / 65_000.0,
        sigma: 0.0001,
        base_spread_bps: 4.0,
        depth: 10.0,
    },
    SymbolSpec {
        name: "USDT-ETH",
        kind: SymbolKind::Cross {
            base: "USDT-USD",
            quote: "ETH-USD",
        },
        initial: 1.0 / 3_200.0,
        sigma: 0.0001,
        base_spread_bps: 4.0,
        depth: 10.0,
    },
];

/// The spec of `symbol`, if it exists.
pub fn spec(symbol: &str) -> Option<&'static SymbolSpec> {
    SYMBOLS.iter().find(|s| s.name == symbol)
}

/// One symbol's state.
#[derive(Debug, Clone)]
struct SymbolState {
    spec: &'static SymbolSpec,
    rng: Rng,
    /// Volatile: walk price; stable: deviation; cross: basis.
    walk: f64,
    price: f64,
    published: f64,
    vol_mult: f64,
    history: VecDeque<(f64, f64)>,
}

/// Current view of one symbol, as served by `/api/v1/prices`.
#[derive(Debug, Clone, Serialize)]
pub struct PriceView {
    /// `BASE-QUOTE`.
    pub symbol: String,
    /// The published (feed) price.
    pub price: f64,
    /// The underlying market price (differs from `price` while the feed is frozen).
    pub market_price: f64,
    /// The peg for stablecoins, else null.
    pub peg: Option<f64>,
    /// `price / peg - 1` for stablecoins, else null.
    pub deviation: Option<f64>,
    /// Current volatility per √hour (fraction; stablecoins: deviation std).
    pub volatility: f64,
    /// Volatility without chaos.
    pub base_volatility: f64,
    /// Whether the feed is frozen for this symbol.
    pub frozen: bool,
}

/// The market-data simulator.
#[derive(Debug, Clone)]
pub struct MarketData {
    symbols: Vec<SymbolState>,
    last_minute: i64,
}

impl MarketData {
    /// Prices at their initial values; each symbol's stream derives from `seed`.
    pub fn new(seed: u64) -> Self {
        let symbols = SYMBOLS
            .iter()
            .enumerate()
            .map(|(i, spec)| SymbolState {
                spec,
                rng: Rng::new(seed, 100 + i as u64),
                walk: match spec.kind {
                    SymbolKind::Volatile => spec.initial,
                    _ => 0.0,
                },
                price: spec.initial,
                published: spec.initial,
                vol_mult: 1.0,
                history: VecDeque::new(),
            })
            .collect();
        MarketData {
            symbols,
            last_minute: -1,
        }
    }

    /// Advances all prices by `dt` sim seconds to `now` under `chaos`
    /// (the market-data service's active entries).
    pub fn step(&mut self, now: f64, dt: f64, chaos: &[&ChaosEntry]) {
        for i in 0..self.symbols.len() {
            let spec = self.symbols[i].spec;
            let vol_mult = volatility_multiplier(spec.name, chaos);
            let z = self.symbols[i].rng.normal();
            let price = match spec.kind {
                SymbolKind::Volatile => {
                    let s = &mut self.symbols[i];
                    s.walk = walk_step(s.walk, spec.sigma * vol_mult, dt, z);
                    s.walk * volatile_factor(spec.name, s.walk, now, chaos)
                }
                SymbolKind::Stable { peg } => {
                    let anchor = stable_anchor(spec.name, peg, now, chaos);
                    let s = &mut self.symbols[i];
                    s.walk = ou_step(s.walk, anchor, spec.sigma * vol_mult, dt, z);
                    peg * (1.0 + s.walk) * shock_factor(spec.name, now, chaos)
                }
                SymbolKind::Cross { base, quote } => {
                    let b = self.price(base).unwrap_or(1.0);
                    let q = self.price(quote).unwrap_or(1.0).max(f64::MIN_POSITIVE);
                    let s = &mut self.symbols[i];
                    s.walk = ou_step(s.walk, 0.0, spec.sigma, dt, z);
                    b / q * (1.0 + s.walk) * shock_factor(spec.name, now, chaos)
                }
            };
            let frozen = is_frozen(spec.name, chaos);
            let s = &mut self.symbols[i];
            s.price = price.max(f64::MIN_POSITIVE);
            s.vol_mult = vol_mult;
            if !frozen {
                s.published = s.price;
            }
        }
        let minute = (now / 60.0).floor() as i64;
        if minute != self.last_minute {
            self.last_minute = minute;
            for s in &mut self.symbols {
                if s.history.len() == HISTORY_POINTS {
                    s.history.pop_front();
                }
                s.history.push_back((minute as f64 * 60.0, s.published));
            }
        }
    }

    /// The market (true) price of `symbol`.
    pub fn price(&self, symbol: &str) -> Option<f64> {
        self.state(symbol).map(|s| s.price)
    }

    /// The published (feed) price of `symbol`.
    pub fn published(&self, symbol: &str) -> Option<f64> {
        self.state(symbol).map(|s| s.published)
    }

    /// Current volatility multiplier of `symbol` (1 = normal).
    pub fn vol_multiplier(&self, symbol: &str) -> f64 {
        self.state(symbol).map_or(1.0, |s| s.vol_mult)
    }

    /// The USD value of one unit of `asset` (`USD`, `BTC`, `USDT`…).
    pub fn usd_value(&self, asset: &str) -> f64 {
        if asset == "USD" {
            return 1.0;
        }
        self.price(&format!("{asset}-USD")).unwrap_or(0.0)
    }

    /// The views of every symbol.
    pub fn views(&self, chaos: &[&ChaosEntry]) -> Vec<PriceView> {
        self.symbols.iter().map(|s| view(s, chaos)).collect()
    }

    /// The view of `symbol`.
    pub fn view(&self, symbol: &str, chaos: &[&ChaosEntry]) -> Option<PriceView> {
        self.state(symbol).map(|s| view(s, chaos))
    }

    /// Up to `limit` most recent per-minute points `(sim seconds, published price)`.
    pub fn history(&self, symbol: &str, limit: usize) -> Option<Vec<(f64, f64)>> {
        self.state(symbol).map(|s| {
            let skip = s.history.len().saturating_sub(limit);
            s.history.iter().skip(skip).copied().collect()
        })
    }

    /// Information captured when a price_recovery starts: `(from, target)`
    /// in the units [`Effect::PriceRecovery`] documents.
    pub fn recovery_endpoints(&self, symbol: &str, target_price: f64) -> Option<(f64, f64)> {
        let s = self.state(symbol)?;
        Some(match s.spec.kind {
            SymbolKind::Volatile => (s.price / s.walk, target_price / s.walk),
            _ => (s.price, target_price),
        })
    }

    /// The current deviation of a stablecoin's anchor (for a new depeg to start from).
    pub fn stable_deviation(&self, symbol: &str) -> Option<f64> {
        let s = self.state(symbol)?;
        match s.spec.kind {
            SymbolKind::Stable { peg } => Some(s.price / peg - 1.0),
            _ => None,
        }
    }

    fn state(&self, symbol: &str) -> Option<&SymbolState> {
        self.symbols.iter().find(|s| s.spec.name == symbol)
    }
}

fn view(s: &SymbolState, chaos: &[&ChaosEntry]) -> PriceView {
    let peg = match s.spec.kind {
        SymbolKind::Stable { peg } => Some(peg),
        _ => None,
    };
    PriceView {
        symbol: s.spec.name.to_string(),
        price: s.published,
        market_price: s.price,
        peg,
        deviation: peg.map(|p| s.published / p - 1.0),
        volatility: s.spec.sigma * s.vol_mult,
        base_volatility: s.spec.sigma,
        frozen: is_frozen(s.spec.name, chaos),
    }
}

/// One step of a geometric random walk with volatility `sigma` per √hour.
pub fn walk_step(price: f64, sigma: f64, dt: f64, z: f64) -> f64 {
    let s = sigma * (dt / 3600.0).sqrt();
    price * (s * z - 0.5 * s * s).exp()
}

/// One exact step of an Ornstein–Uhlenbeck deviation reverting to `mean`,
/// with stationary standard deviation `std`.
pub fn ou_step(x: f64, mean: f64, std: f64, dt: f64, z: f64) -> f64 {
    let decay = (-dt / STABLE_REVERSION_S).exp();
    mean + (x - mean) * decay + std * (1.0 - decay * decay).sqrt() * z
}

/// A depeg's deviation after `elapsed` sim seconds of a ramp of `ramp_s`
/// (linear; `ramp_s` 0 = sudden).
pub fn depeg_deviation(from: f64, target: f64, ramp_s: f64, elapsed: f64) -> f64 {
    if ramp_s <= 0.0 {
        return target;
    }
    from + (target - from) * (elapsed / ramp_s).clamp(0.0, 1.0)
}

/// A price shock's level (fraction) after `elapsed` sim seconds.
pub fn shock_level(
    shock: f64,
    gradual: bool,
    hold_s: Option<f64>,
    recovery_s: Option<f64>,
    elapsed: f64,
) -> f64 {
    let (peak, end_of_peak) = if gradual {
        let ramp = hold_s.unwrap_or(600.0).max(1e-9);
        (shock * (elapsed / ramp).clamp(0.0, 1.0), ramp)
    } else {
        (shock, hold_s.unwrap_or(f64::INFINITY))
    };
    match recovery_s {
        Some(rec) if elapsed > end_of_peak => {
            let back = if rec <= 0.0 {
                1.0
            } else {
                ((elapsed - end_of_peak) / rec).clamp(0.0, 1.0)
            };
            shock * (1.0 - back)
        }
        _ => peak,
    }
}

/// Sim seconds after injection when a shock is over, if it ends by itself.
pub fn shock_end(gradual: bool, hold_s: Option<f64>, recovery_s: Option<f64>) -> Option<f64> {
    let rec = recovery_s?;
    let peak_end = if gradual {
        hold_s.unwrap_or(600.0)
    } else {
        hold_s?
    };
    Some(peak_end + rec)
}

fn volatility_multiplier(symbol: &str, chaos: &[&ChaosEntry]) -> f64 {
    chaos.iter().fold(1.0, |m, e| match &e.effect {
        Effect::VolatilitySpike {
            multiplier,
            symbols,
        } if matches(symbols, symbol) => m * multiplier,
        Effect::Depeg {
            symbol: s,
            vol_increase,
            ..
        } if s == symbol => m * (1.0 + vol_increase),
        _ => m,
    })
}

fn shock_factor(symbol: &str, now: f64, chaos: &[&ChaosEntry]) -> f64 {
    chaos.iter().fold(1.0, |f, e| match &e.effect {
        Effect::PriceShock {
            symbols,
            shock,
            gradual,
            hold_s,
            recovery_s,
        } if symbols.iter().any(|s| s == symbol) => {
            f * (1.0 + shock_level(*shock, *gradual, *hold_s, *recovery_s, e.elapsed(now)))
        }
        _ => f,
    })
}

/// Multiplier over the walk of a volatile symbol: shocks, or a recovery ramp.
fn volatile_factor(symbol: &str, _walk: f64, now: f64, chaos: &[&ChaosEntry]) -> f64 {
    let recovery = chaos.iter().rev().find_map(|e| match &e.effect {
        Effect::PriceRecovery {
            symbol: s,
            from,
            target,
            ramp_s,
            ..
        } if s == symbol => Some(depeg_deviation(*from, *target, *ramp_s, e.elapsed(now))),
        _ => None,
    });
    recovery.unwrap_or_else(|| shock_factor(symbol, now, chaos))
}

/// The deviation a stablecoin reverts to: the peg, a depeg curve, or a recovery ramp.
fn stable_anchor(symbol: &str, peg: f64, now: f64, chaos: &[&ChaosEntry]) -> f64 {
    chaos
        .iter()
        .rev()
        .find_map(|e| match &e.effect {
            Effect::Depeg {
                symbol: s,
                from_dev,
                target_dev,
                ramp_s,
                ..
            } if s == symbol => Some(depeg_deviation(
                *from_dev,
                *target_dev,
                *ramp_s,
                e.elapsed(now),
            )),
            Effect::PriceRecovery {
                symbol: s,
                from,
                target,
                ramp_s,
                ..
            } if s == symbol => {
                Some(depeg_deviation(*from, *target, *ramp_s, e.elapsed(now)) / peg - 1.0)
            }
            _ => None,
        })
        .unwrap_or(0.0)
}

fn is_frozen(symbol: &str, chaos: &[&ChaosEntry]) -> bool {
    chaos
        .iter()
        .any(|e| matches!(&e.effect, Effect::FreezeFeed { symbols } if matches(symbols, symbol)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_depeg_reaches_its_target_at_the_end_of_the_ramp() {
        let day = 86_400.0;
        assert_eq!(depeg_deviation(0.0, -0.05, day, 0.0), 0.0);
        assert!((depeg_deviation(0.0, -0.05, day, day / 2.0) + 0.025).abs() < 1e-12);
        assert_eq!(depeg_deviation(0.0, -0.05, day, 2.0 * day), -0.05);
        assert_eq!(depeg_deviation(0.0, -0.05, 0.0, 0.0), -0.05);
    }

    #[test]
    fn a_sudden_shock_holds_then_recovers() {
        assert_eq!(shock_level(-0.2, false, Some(60.0), Some(60.0), 10.0), -0.2);
        assert!((shock_level(-0.2, false, Some(60.0), Some(60.0), 90.0) + 0.1).abs() < 1e-12);
        assert_eq!(shock_level(-0.2, false, Some(60.0), Some(60.0), 200.0), 0.0);
        assert_eq!(shock_end(false, Some(60.0), Some(60.0)), Some(120.0));
        assert_eq!(shock_end(false, None, Some(60.0)), None);
    }

    #[test]
    fn the_random_walk_is_deterministic_per_seed() {
        let run = |seed| {
            let mut m = MarketData::new(seed);
            for i in 1..=600 {
                m.step(f64::from(i), 1.0, &[]);
            }
            m.price("BTC-USD").unwrap_or_default()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }

    #[test]
    fn the_walk_moves_with_realistic_volatility() {
        let mut m = MarketData::new(1);
        let start = m.price("BTC-USD").unwrap_or_default();
        for i in 1..=3600 {
            m.step(f64::from(i), 1.0, &[]);
        }
        let moved = (m.price("BTC-USD").unwrap_or_default() / start - 1.0).abs();
        assert!(moved > 0.0 && moved < 0.06, "moved {moved}");
        let usdt = m.stable_deviation("USDT-USD").unwrap_or(1.0).abs();
        assert!(usdt < 0.002, "stablecoin stays near its peg: {usdt}");
    }

    #[test]
    fn the_stablecoin_follows_its_anchor() {
        let mut x = 0.0;
        for _ in 0..100 {
            x = ou_step(x, -0.05, 0.0, 60.0, 0.0);
        }
        assert!((x + 0.05).abs() < 1e-6);
    }

    #[test]
    fn cross_rates_follow_their_legs() {
        let mut m = MarketData::new(3);
        m.step(1.0, 1.0, &[]);
        let implied = m.price("USDT-USD").unwrap_or(0.0) / m.price("BTC-USD").unwrap_or(1.0);
        let cross = m.price("USDT-BTC").unwrap_or(0.0);
        assert!((cross / implied - 1.0).abs() < 0.001);
    }
}
