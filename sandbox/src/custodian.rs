//! custodian-simulator: balances per account and asset, and the settlement
//! queue that trades feed.
//!
//! Every fill moves balances at once and adds its USD notional to a batch
//! per account and settlement type; batches become settlements every five
//! sim minutes and settle after their type's normal time. Delays are applied
//! while `delay_settlements` is active (and vanish when it ends), so
//! `resume_normal_settlement` needs no bookkeeping.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use serde_json::{json, Value};

use crate::chaos::{matches, ChaosEntry, Effect};
use crate::exchange::Fill;
use crate::market_data::MarketData;
use crate::rng::Rng;

/// Sim seconds between two settlement batches.
const BATCH_INTERVAL_S: f64 = 300.0;
/// Settlements waiting at most; beyond, new ones fail.
const MAX_QUEUE: usize = 5_000;
/// Finished settlements remembered.
const HISTORY: usize = 2_000;
/// Accounts with balances at most.
const MAX_ACCOUNTS: usize = 1_000;

/// Normal settlement time of a type, in sim seconds.
pub fn normal_duration(settlement_type: &str) -> f64 {
    match settlement_type {
        "crypto_internal" => 120.0,
        "crypto_external" => 1_800.0,
        _ => 3_600.0,
    }
}

/// A settlement is overdue once older than twice its normal time.
pub fn is_overdue(settlement_type: &str, age_s: f64) -> bool {
    age_s > 2.0 * normal_duration(settlement_type)
}

/// The settlement type of a movement of `asset`.
pub fn settlement_type(asset: &str) -> &'static str {
    match asset {
        "USD" => "fiat",
        "USDT" | "USDC" => "crypto_external",
        _ => "crypto_internal",
    }
}

/// Where a settlement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettlementState {
    /// Waiting for its normal time.
    Pending,
    /// Waiting longer than normal because of `delay_settlements`.
    Delayed,
    /// Done.
    Settled,
    /// Failed (not retried).
    Failed,
}

/// One settlement.
#[derive(Debug, Clone, Serialize)]
pub struct Settlement {
    /// `stl-…`.
    pub id: String,
    /// The account.
    pub account: String,
    /// `crypto_internal`, `crypto_external` or `fiat`.
    #[serde(rename = "type")]
    pub settlement_type: &'static str,
    /// USD notional.
    pub amount_usd: f64,
    /// State.
    pub state: SettlementState,
    /// Wall-clock creation.
    pub created_at: String,
    /// Sim creation time.
    pub created_at_sim_s: f64,
    /// When it would settle without chaos (sim).
    pub expected_at_sim_s: f64,
    /// When it is now due (sim), delays included.
    pub due_at_sim_s: f64,
    /// Sim time it settled or failed.
    pub finished_at_sim_s: Option<f64>,
    /// Sim seconds it took (or has waited so far).
    pub age_s: f64,
    /// Whether it is past twice its normal time.
    pub overdue: bool,
    /// Attempts that failed on a database outage.
    pub attempts: u32,
    /// Why it failed.
    pub reason: Option<String>,
}

/// A notable custodian event for the audit trail.
#[derive(Debug, Clone)]
pub struct CustodianEvent {
    /// `settlement_failed` or `settlement_delayed`.
    pub kind: &'static str,
    /// Details.
    pub details: Value,
}

/// The custodian simulator.
#[derive(Debug)]
pub struct Custodian {
    rng: Rng,
    balances: BTreeMap<String, BTreeMap<String, f64>>,
    batches: BTreeMap<(String, &'static str), f64>,
    last_batch: f64,
    queue: VecDeque<Settlement>,
    history: VecDeque<Settlement>,
    next_id: u64,
    settled: u64,
    failed: u64,
    events: Vec<CustodianEvent>,
}

impl Custodian {
    /// A custodian with funded strategy accounts; its stream derives from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut balances = BTreeMap::new();
        for account in [
            "strategy-arbitrage",
            "strategy-market-making",
            "strategy-momentum",
        ] {
            let funded: BTreeMap<String, f64> = [
                ("USD", 10_000_000.0),
                ("USDT", 1_000_000.0),
                ("USDC", 1_000_000.0),
                ("BTC", 100.0),
                ("ETH", 1_000.0),
                ("SOL", 10_000.0),
            ]
            .into_iter()
            .map(|(a, q)| (a.to_string(), q))
            .collect();
            balances.insert(account.to_string(), funded);
        }
        Custodian {
            rng: Rng::new(seed, 3),
            balances,
            batches: BTreeMap::new(),
            last_batch: 0.0,
            queue: VecDeque::new(),
            history: VecDeque::new(),
            next_id: 0,
            settled: 0,
            failed: 0,
            events: Vec::new(),
        }
    }

    /// The custodian's random stream (for availability draws).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Books a fill: balances move, notional joins the batches.
    pub fn on_fill(&mut self, fill: &Fill, market: &MarketData) {
        let (base, quote) = fill.symbol.split_once('-').unwrap_or((&fill.symbol, "USD"));
        let signed = fill.side.sign() * fill.quantity;
        if self.balances.len() < MAX_ACCOUNTS || self.balances.contains_key(&fill.account) {
            let b = self.balances.entry(fill.account.clone()).or_default();
            *b.entry(base.to_string()).or_default() += signed;
            *b.entry(quote.to_string()).or_default() -= signed * fill.price;
        }
        let notional = fill.quantity * market.usd_value(base);
        for asset in [base, quote] {
            *self
                .batches
                .entry((fill.account.clone(), settlement_type(asset)))
                .or_default() += notional;
        }
    }

    /// One sim step: batches become settlements, due ones settle or fail.
    pub fn step(&mut self, now: f64, chaos: &[&ChaosEntry]) {
        if now - self.last_batch >= BATCH_INTERVAL_S {
            self.last_batch = now;
            for ((account, kind), amount) in std::mem::take(&mut self.batches) {
                self.create(now, account, kind, amount);
            }
        }
        let offline = chaos.iter().any(|e| matches!(e.effect, Effect::Offline));
        let outage = chaos
            .iter()
            .filter_map(|e| match e.effect {
                Effect::DatabaseOutage { rate } => Some(rate),
                _ => None,
            })
            .fold(0.0, f64::max);
        let mut any_finished = false;
        for s in self.queue.iter_mut() {
            let delay = extra_delay(s.settlement_type, chaos);
            s.due_at_sim_s = s.expected_at_sim_s + delay;
            if delay > 0.0 && s.state == SettlementState::Pending {
                s.state = SettlementState::Delayed;
                self.events.push(CustodianEvent {
                    kind: "settlement_delayed",
                    details: json!({"settlement_id": s.id, "type": s.settlement_type, "delay_s": delay}),
                });
            } else if delay == 0.0 && s.state == SettlementState::Delayed {
                s.state = SettlementState::Pending;
            }
            s.age_s = now - s.created_at_sim_s;
            s.overdue = is_overdue(s.settlement_type, s.age_s);
            if offline || now < s.due_at_sim_s {
                continue;
            }
            if self.rng.chance(outage) {
                s.attempts += 1;
                continue;
            }
            any_finished = true;
            s.finished_at_sim_s = Some(now);
            if self.rng.chance(fail_rate(s.settlement_type, chaos)) {
                s.state = SettlementState::Failed;
                s.reason = Some("chaos_failure".into());
                self.failed += 1;
                self.events.push(CustodianEvent {
                    kind: "settlement_failed",
                    details: json!({"settlement_id": s.id, "type": s.settlement_type, "account": s.account, "amount_usd": s.amount_usd}),
                });
            } else {
                s.state = SettlementState::Settled;
                self.settled += 1;
            }
        }
        if any_finished {
            let (done, waiting): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.queue)
                .into_iter()
                .partition(|s| s.finished_at_sim_s.is_some());
            self.queue = waiting;
            for s in done {
                self.remember(s);
            }
        }
    }

    /// Takes the notable events since the last call.
    pub fn drain_events(&mut self) -> Vec<CustodianEvent> {
        std::mem::take(&mut self.events)
    }

    /// Waiting settlements that are overdue, per type: `(type, count, oldest age)`.
    pub fn overdue(&self) -> Vec<(&'static str, usize, f64)> {
        let mut by_type: BTreeMap<&'static str, (usize, f64)> = BTreeMap::new();
        for s in self.queue.iter().filter(|s| s.overdue) {
            let e = by_type.entry(s.settlement_type).or_default();
            e.0 += 1;
            e.1 = e.1.max(s.age_s);
        }
        by_type.into_iter().map(|(t, (n, a))| (t, n, a)).collect()
    }

    /// Balances of one account, or of all.
    pub fn balances(&self, account: Option<&str>) -> Value {
        match account {
            Some(a) => {
                json!({"account": a, "balances": self.balances.get(a).cloned().unwrap_or_default()})
            }
            None => json!({"accounts": self.balances}),
        }
    }

    /// The queue summary and up to `limit` settlements (waiting first, then
    /// the most recent finished), optionally filtered by state and type.
    pub fn settlements(&self, state: Option<&str>, kind: Option<&str>, limit: usize) -> Value {
        let mut by_type: BTreeMap<&str, Value> = BTreeMap::new();
        for t in crate::catalog::SETTLEMENT_TYPES {
            let waiting: Vec<&Settlement> = self
                .queue
                .iter()
                .filter(|s| s.settlement_type == *t)
                .collect();
            by_type.insert(
                t,
                json!({
                    "pending": waiting.iter().filter(|s| s.state == SettlementState::Pending).count(),
                    "delayed": waiting.iter().filter(|s| s.state == SettlementState::Delayed).count(),
                    "overdue": waiting.iter().filter(|s| s.overdue).count(),
                    "oldest_age_s": waiting.iter().map(|s| s.age_s).fold(0.0, f64::max),
                    "normal_duration_s": normal_duration(t),
                }),
            );
        }
        let wanted = |s: &&Settlement| {
            let st = serde_json::to_value(s.state).ok();
            state.is_none_or(|x| st.as_ref().and_then(Value::as_str) == Some(x))
                && kind.is_none_or(|k| s.settlement_type == k)
        };
        let list: Vec<&Settlement> = self
            .queue
            .iter()
            .filter(wanted)
            .chain(self.history.iter().rev().filter(wanted))
            .take(limit)
            .collect();
        json!({
            "queue": {
                "waiting": self.queue.len(),
                "pending": self.queue.iter().filter(|s| s.state == SettlementState::Pending).count(),
                "delayed": self.queue.iter().filter(|s| s.state == SettlementState::Delayed).count(),
                "overdue": self.queue.iter().filter(|s| s.overdue).count(),
                "by_type": by_type,
            },
            "totals": {"settled": self.settled, "failed": self.failed},
            "settlements": list,
        })
    }

    fn create(&mut self, now: f64, account: String, kind: &'static str, amount: f64) {
        self.next_id += 1;
        let mut s = Settlement {
            id: format!("stl-{:08}", self.next_id),
            account,
            settlement_type: kind,
            amount_usd: amount,
            state: SettlementState::Pending,
            created_at: crate::clock::wall_now(),
            created_at_sim_s: now,
            expected_at_sim_s: now + normal_duration(kind),
            due_at_sim_s: now + normal_duration(kind),
            finished_at_sim_s: None,
            age_s: 0.0,
            overdue: false,
            attempts: 0,
            reason: None,
        };
        if self.queue.len() >= MAX_QUEUE {
            s.state = SettlementState::Failed;
            s.reason = Some("queue_full".into());
            s.finished_at_sim_s = Some(now);
            self.failed += 1;
            self.remember(s);
        } else {
            self.queue.push_back(s);
        }
    }

    fn remember(&mut self, s: Settlement) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(s);
    }
}

fn extra_delay(kind: &str, chaos: &[&ChaosEntry]) -> f64 {
    chaos
        .iter()
        .map(|e| match &e.effect {
            Effect::DelaySettlements { types, delay_s } if matches(types, kind) => *delay_s,
            _ => 0.0,
        })
        .fold(0.0, f64::max)
}

fn fail_rate(kind: &str, chaos: &[&ChaosEntry]) -> f64 {
    chaos
        .iter()
        .map(|e| match &e.effect {
            Effect::FailSettlements { rate, types } if matches(types, kind) => *rate,
            _ => 0.0,
        })
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlements_are_overdue_after_twice_their_normal_time() {
        assert!(!is_overdue("crypto_external", 3_000.0));
        assert!(is_overdue("crypto_external", 3_700.0));
        assert_eq!(settlement_type("USDT"), "crypto_external");
        assert_eq!(settlement_type("USD"), "fiat");
        assert_eq!(settlement_type("BTC"), "crypto_internal");
    }
}
