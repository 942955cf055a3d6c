//! Active chaos: the entries injected through `POST /chaos/{action}`, their
//! typed effects, expiry and clearing.
//!
//! This module only stores what is active; the services read the effects
//! that concern them each step. It knows nothing about HTTP.

use serde::Serialize;
use serde_json::{json, Value};

use crate::service::Service;

/// The typed effect of one active chaos entry, parsed once at injection.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Added latency (exchange orders, service API calls, or strategy processing).
    Latency {
        /// Added delay in sim milliseconds (at full strength).
        delay_ms: f64,
        /// Only these operations (`None` = all).
        operations: Option<Vec<String>>,
        /// Only these accounts (`None` = all).
        accounts: Option<Vec<String>>,
        /// Only these strategies (trading engine; `None` = all).
        strategies: Option<Vec<String>>,
        /// Ramp up over the first sim minute instead of at once.
        gradual: bool,
    },
    /// A share of orders is rejected.
    RejectOrders {
        /// Share of orders rejected (0..=1).
        rate: f64,
        /// The reason reported.
        reason: String,
        /// Only these accounts (`None` = all).
        accounts: Option<Vec<String>>,
    },
    /// The service refuses a share of requests with 503; at 1.0 it is down.
    Downtime {
        /// Share of requests refused.
        share: f64,
    },
    /// Spreads multiplied.
    SpreadFactor {
        /// Multiplier on the spread.
        factor: f64,
        /// Only these symbols (`None` = all).
        symbols: Option<Vec<String>>,
    },
    /// Depth cut and spreads widened.
    ReduceLiquidity {
        /// Remaining share of depth (0..1).
        factor: f64,
        /// Only these symbols (`None` = all).
        symbols: Option<Vec<String>>,
    },
    /// A share of orders is filled only partly.
    PartialFills {
        /// Share of orders partly filled.
        rate: f64,
        /// Fraction of the quantity filled on those orders.
        fill_ratio: f64,
        /// Only these accounts (`None` = all).
        accounts: Option<Vec<String>>,
    },
    /// A share of requests answered 429.
    RateLimit {
        /// Share of requests limited.
        rate: f64,
    },
    /// A share of requests fails with 503 (persistence unavailable).
    DatabaseOutage {
        /// Share of requests failing.
        rate: f64,
    },
    /// Requests hang until the client gives up.
    Partition,
    /// A price shock on some symbols.
    PriceShock {
        /// Symbols shocked.
        symbols: Vec<String>,
        /// Shock as a fraction (-0.2 = -20 %).
        shock: f64,
        /// Ramp linearly over `hold_s` instead of at once.
        gradual: bool,
        /// Sudden: how long the shock holds; gradual: the ramp time.
        hold_s: Option<f64>,
        /// Time to return to normal after the hold/ramp.
        recovery_s: Option<f64>,
    },
    /// A stablecoin moving away from its peg.
    Depeg {
        /// The stablecoin symbol.
        symbol: String,
        /// Deviation when the depeg started.
        from_dev: f64,
        /// Deviation reached at the end of the ramp.
        target_dev: f64,
        /// Ramp length in sim seconds (0 = sudden).
        ramp_s: f64,
        /// Extra volatility as a fraction (0.5 = +50 %).
        vol_increase: f64,
    },
    /// Volatility multiplied.
    VolatilitySpike {
        /// Multiplier on volatility.
        multiplier: f64,
        /// Only these symbols (`None` = all).
        symbols: Option<Vec<String>>,
    },
    /// A symbol brought linearly to a target price.
    PriceRecovery {
        /// The symbol.
        symbol: String,
        /// For stablecoins: the price when recovery started; for others:
        /// the multiplicative factor over the walk when recovery started.
        from: f64,
        /// Target (price for stablecoins, factor over the walk for others).
        target: f64,
        /// The target price as requested.
        target_price: f64,
        /// Ramp length in sim seconds.
        ramp_s: f64,
    },
    /// The published feed stops moving.
    FreezeFeed {
        /// Only these symbols (`None` = all).
        symbols: Option<Vec<String>>,
    },
    /// Settlements of some types take longer.
    DelaySettlements {
        /// Only these settlement types (`None` = all).
        types: Option<Vec<String>>,
        /// Extra sim seconds before they settle.
        delay_s: f64,
    },
    /// A share of settlements fails when due.
    FailSettlements {
        /// Share failing.
        rate: f64,
        /// Only these settlement types (`None` = all).
        types: Option<Vec<String>>,
    },
    /// The custodian is offline: nothing settles, API answers 503.
    Offline,
    /// A strategy sends massive orders, ignoring its limits.
    Runaway {
        /// The strategy name.
        strategy: String,
        /// Order size multiplier.
        multiplier: f64,
    },
    /// The trading engine is down until restarted or cleared.
    Crash,
}

/// True if `filter` is absent or contains `item`.
pub fn matches(filter: &Option<Vec<String>>, item: &str) -> bool {
    filter.as_ref().is_none_or(|f| f.iter().any(|x| x == item))
}

/// One active chaos entry.
#[derive(Debug, Clone)]
pub struct ChaosEntry {
    /// Its id (`chaos-000001`).
    pub id: String,
    /// The service it was injected into.
    pub service: Service,
    /// The action name (`inject_latency`).
    pub action: String,
    /// The parameters as sent.
    pub parameters: Value,
    /// The typed effect.
    pub effect: Effect,
    /// Wall-clock injection time (RFC 3339).
    pub started_at: String,
    /// Sim time of injection.
    pub started_sim: f64,
    /// Sim time when it expires by itself, if it does.
    pub expires_sim: Option<f64>,
    /// The `X-Execution-Id` of the injecting request.
    pub execution_id: Option<String>,
}

impl ChaosEntry {
    /// Sim seconds since injection.
    pub fn elapsed(&self, now: f64) -> f64 {
        (now - self.started_sim).max(0.0)
    }
}

/// The JSON of an active entry as listed by `GET /chaos/status`.
#[derive(Debug, Clone, Serialize)]
pub struct ChaosView {
    /// Entry id.
    pub id: String,
    /// Action name.
    pub action: String,
    /// Parameters as sent.
    pub parameters: Value,
    /// Wall-clock injection time.
    pub started_at: String,
    /// Sim time of injection (seconds since sandbox start).
    pub started_at_sim_s: f64,
    /// Wall-clock expiry estimated at the current scale, or null.
    pub expires_at: Option<String>,
    /// Sim expiry, or null.
    pub expires_at_sim_s: Option<f64>,
    /// Correlation id of the injecting request, or null.
    pub execution_id: Option<String>,
}

/// Every active chaos entry of the ecosystem.
#[derive(Debug, Default)]
pub struct ChaosBook {
    entries: Vec<ChaosEntry>,
    next_id: u64,
    /// Sim time when chaos was last active anywhere (`None` = never).
    last_active_sim: Option<f64>,
}

impl ChaosBook {
    /// A fresh id for a new entry or one-shot action.
    pub fn next_id(&mut self) -> String {
        self.next_id += 1;
        format!("chaos-{:06}", self.next_id)
    }

    /// Adds an entry.
    pub fn insert(&mut self, entry: ChaosEntry) {
        self.last_active_sim = Some(entry.started_sim);
        self.entries.push(entry);
    }

    /// Active entries of `service`.
    pub fn of(&self, service: Service) -> impl DoubleEndedIterator<Item = &ChaosEntry> {
        self.entries.iter().filter(move |e| e.service == service)
    }

    /// Every active entry.
    pub fn all(&self) -> &[ChaosEntry] {
        &self.entries
    }

    /// True when any chaos is active anywhere.
    pub fn any_active(&self) -> bool {
        !self.entries.is_empty()
    }

    /// Sim time when chaos was last active, if ever.
    pub fn last_active_sim(&self) -> Option<f64> {
        self.last_active_sim
    }

    /// Notes that time `now` passed (keeps `last_active_sim` current).
    pub fn touch(&mut self, now: f64) {
        if self.any_active() {
            self.last_active_sim = Some(now);
        }
    }

    /// Removes and returns the entries of `service` matching `pred`.
    pub fn remove_where(
        &mut self,
        service: Service,
        mut pred: impl FnMut(&ChaosEntry) -> bool,
    ) -> Vec<ChaosEntry> {
        let (removed, kept) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|e| e.service == service && pred(e));
        self.entries = kept;
        removed
    }

    /// Removes and returns the entries expired at `now`.
    pub fn expire(&mut self, now: f64) -> Vec<ChaosEntry> {
        let (removed, kept) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|e| e.expires_sim.is_some_and(|t| t <= now));
        self.entries = kept;
        removed
    }

    /// The execution id of the most recently injected active entry.
    pub fn latest_execution_id(&self) -> Option<String> {
        self.entries
            .iter()
            .rev()
            .find_map(|e| e.execution_id.clone())
    }
}

/// The status JSON of one entry at sim time `now` and `scale`.
pub fn view(entry: &ChaosEntry, now: f64, scale: f64) -> ChaosView {
    let expires_at = entry.expires_sim.map(|t| {
        let real_s = ((t - now) / scale).max(0.0);
        let at = time::OffsetDateTime::now_utc() + time::Duration::seconds_f64(real_s);
        crate::clock::format_wall(at)
    });
    ChaosView {
        id: entry.id.clone(),
        action: entry.action.clone(),
        parameters: entry.parameters.clone(),
        started_at: entry.started_at.clone(),
        started_at_sim_s: entry.started_sim,
        expires_at,
        expires_at_sim_s: entry.expires_sim,
        execution_id: entry.execution_id.clone(),
    }
}

/// The audit details of an entry.
pub fn audit_details(entry: &ChaosEntry) -> Value {
    json!({
        "chaos_id": entry.id,
        "action": entry.action,
        "parameters": entry.parameters,
    })
}
