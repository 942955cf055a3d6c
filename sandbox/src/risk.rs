//! risk-monitor: alert rules over what the other services report, and the
//! alerts they raise and resolve.
//!
//! Rules are pure functions from observations to [`Condition`]s; the monitor
//! reconciles the conditions holding now with the active alerts: a new
//! condition raises an alert, a vanished one resolves it. Escalation is a
//! rule over the other active alerts, evaluated after them.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use serde_json::{json, Value};

/// Strategy p95 latency (sim ms) above which `execution_latency` is raised.
pub const LATENCY_THRESHOLD_MS: f64 = 250.0;
/// Stablecoin deviation from its peg above which `correlation_breach` is
/// raised (warning)… Half a percent: a 5 % depeg ramped linearly over 24 h
/// crosses it after 2.4 h, so the seed's "within 4h" holds with margin.
pub const PEG_BREACH: f64 = 0.005;
/// …above which it is high…
pub const PEG_HIGH: f64 = 0.01;
/// …and at which it becomes critical.
pub const PEG_CRITICAL: f64 = 0.02;
/// Feed vs exchange divergence above which `price_divergence` is raised.
pub const DIVERGENCE: f64 = 0.01;
/// Spread over baseline above which `liquidity_crisis` is raised.
pub const SPREAD_RATIO: f64 = 2.0;
/// Critical alerts active at once that make a `risk_escalation`.
pub const ESCALATION_COUNT: usize = 2;
/// Resolved alerts remembered.
const HISTORY: usize = 1_000;

/// Alert severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Warning,
    /// Needs action.
    High,
    /// Needs action now; counts toward escalation.
    Critical,
}

/// A condition that holds now: an alert of `alert_type` about `subject`.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The alert type.
    pub alert_type: &'static str,
    /// What it is about (a strategy, a symbol, a settlement type…).
    pub subject: String,
    /// Severity.
    pub severity: Severity,
    /// One-line description.
    pub message: String,
    /// Observed figures.
    pub details: Value,
}

/// One alert.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// `alert-…`.
    pub id: String,
    /// The alert type.
    #[serde(rename = "type")]
    pub alert_type: &'static str,
    /// What it is about.
    pub subject: String,
    /// Current severity (highest seen while active).
    pub severity: Severity,
    /// Whether it is still active.
    pub active: bool,
    /// One-line description (as last observed).
    pub message: String,
    /// Wall-clock raise time.
    pub raised_at: String,
    /// Sim raise time.
    pub raised_at_sim_s: f64,
    /// Wall-clock resolution time, null while active.
    pub resolved_at: Option<String>,
    /// Sim resolution time, null while active.
    pub resolved_at_sim_s: Option<f64>,
    /// Sim seconds it has been (or was) active.
    pub duration_s: f64,
    /// Figures when raised and as last observed.
    pub details: Value,
    /// Execution id of the most recent active chaos when raised.
    pub correlation_id: Option<String>,
}

/// A change for the audit trail.
#[derive(Debug, Clone)]
pub struct AlertChange {
    /// `alert_raised` or `alert_resolved`.
    pub kind: &'static str,
    /// The alert after the change.
    pub alert: Alert,
}

/// The risk monitor's alert book.
#[derive(Debug, Default)]
pub struct RiskMonitor {
    active: BTreeMap<(&'static str, String), Alert>,
    history: VecDeque<Alert>,
    next_id: u64,
}

impl RiskMonitor {
    /// Reconciles `conditions` (holding at sim `now`) with the active
    /// alerts, then applies the escalation rule; returns the changes.
    pub fn reconcile(
        &mut self,
        now: f64,
        conditions: Vec<Condition>,
        correlation_id: Option<String>,
    ) -> Vec<AlertChange> {
        let mut changes = self.apply(now, conditions, correlation_id.clone(), |t| {
            t != "risk_escalation"
        });
        let critical: Vec<String> = self
            .active
            .values()
            .filter(|a| a.severity == Severity::Critical && a.alert_type != "risk_escalation")
            .map(|a| format!("{}:{}", a.alert_type, a.subject))
            .collect();
        let escalation = escalation(&critical);
        changes.extend(
            self.apply(now, escalation.into_iter().collect(), correlation_id, |t| {
                t == "risk_escalation"
            }),
        );
        changes
    }

    fn apply(
        &mut self,
        now: f64,
        conditions: Vec<Condition>,
        correlation_id: Option<String>,
        scope: impl Fn(&str) -> bool,
    ) -> Vec<AlertChange> {
        let mut changes = Vec::new();
        let mut holding = Vec::new();
        for c in conditions {
            let key = (c.alert_type, c.subject.clone());
            holding.push(key.clone());
            match self.active.get_mut(&key) {
                Some(a) => {
                    a.severity = a.severity.max(c.severity);
                    a.message = c.message;
                    a.details["current"] = c.details;
                    a.duration_s = now - a.raised_at_sim_s;
                }
                None => {
                    self.next_id += 1;
                    let alert = Alert {
                        id: format!("alert-{:06}", self.next_id),
                        alert_type: c.alert_type,
                        subject: c.subject,
                        severity: c.severity,
                        active: true,
                        message: c.message,
                        raised_at: crate::clock::wall_now(),
                        raised_at_sim_s: now,
                        resolved_at: None,
                        resolved_at_sim_s: None,
                        duration_s: 0.0,
                        details: json!({"at_raise": c.details.clone(), "current": c.details}),
                        correlation_id: correlation_id.clone(),
                    };
                    changes.push(AlertChange {
                        kind: "alert_raised",
                        alert: alert.clone(),
                    });
                    self.active.insert(key, alert);
                }
            }
        }
        let gone: Vec<_> = self
            .active
            .keys()
            .filter(|k| scope(k.0) && !holding.contains(k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(mut a) = self.active.remove(&key) {
                a.active = false;
                a.resolved_at = Some(crate::clock::wall_now());
                a.resolved_at_sim_s = Some(now);
                a.duration_s = now - a.raised_at_sim_s;
                changes.push(AlertChange {
                    kind: "alert_resolved",
                    alert: a.clone(),
                });
                if self.history.len() == HISTORY {
                    self.history.pop_front();
                }
                self.history.push_back(a);
            }
        }
        changes
    }

    /// Active alerts.
    pub fn active(&self) -> Vec<Alert> {
        let mut v: Vec<Alert> = self.active.values().cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// Resolved alerts, oldest first.
    pub fn resolved(&self) -> Vec<Alert> {
        self.history.iter().cloned().collect()
    }
}

/// `execution_latency` for a strategy whose p95 exceeds the threshold.
pub fn execution_latency(strategy: &str, p95_ms: Option<f64>) -> Option<Condition> {
    let p = p95_ms?;
    (p > LATENCY_THRESHOLD_MS).then(|| Condition {
        alert_type: "execution_latency",
        subject: strategy.to_string(),
        severity: if p > 2_000.0 { Severity::Critical } else { Severity::High },
        message: format!("{strategy} p95 order latency {p:.0} ms > {LATENCY_THRESHOLD_MS:.0} ms"),
        details: json!({"strategy": strategy, "p95_latency_ms": p, "threshold_ms": LATENCY_THRESHOLD_MS}),
    })
}

/// `position_limit_breach` for a strategy over its limit.
pub fn position_limit(strategy: &str, position: f64, limit: f64) -> Option<Condition> {
    (position.abs() > limit).then(|| Condition {
        alert_type: "position_limit_breach",
        subject: strategy.to_string(),
        severity: Severity::Critical,
        message: format!("{strategy} position {position:.2} exceeds its limit {limit:.2}"),
        details: json!({"strategy": strategy, "position": position, "limit": limit}),
    })
}

/// `correlation_breach` for a stablecoin off its peg.
pub fn correlation_breach(symbol: &str, price: f64, peg: f64) -> Option<Condition> {
    let deviation = price / peg - 1.0;
    (deviation.abs() > PEG_BREACH).then(|| Condition {
        alert_type: "correlation_breach",
        subject: symbol.to_string(),
        severity: if deviation.abs() >= PEG_CRITICAL {
            Severity::Critical
        } else if deviation.abs() > PEG_HIGH {
            Severity::High
        } else {
            Severity::Warning
        },
        message: format!("{symbol} trades {:.2} % off its peg", deviation * 100.0),
        details: json!({"symbol": symbol, "price": price, "peg": peg, "deviation": deviation, "threshold": PEG_BREACH}),
    })
}

/// `price_divergence` when the feed and the exchange disagree.
pub fn price_divergence(symbol: &str, feed: f64, exchange_mid: f64) -> Option<Condition> {
    let divergence = feed / exchange_mid - 1.0;
    (divergence.abs() > DIVERGENCE).then(|| Condition {
        alert_type: "price_divergence",
        subject: symbol.to_string(),
        severity: Severity::High,
        message: format!("{symbol} feed and exchange differ by {:.2} %", divergence * 100.0),
        details: json!({"symbol": symbol, "feed_price": feed, "exchange_mid": exchange_mid, "divergence": divergence}),
    })
}

/// `liquidity_crisis` when a spread is more than twice its baseline.
pub fn liquidity_crisis(symbol: &str, spread_bps: f64, baseline_bps: f64) -> Option<Condition> {
    let ratio = spread_bps / baseline_bps;
    (ratio > SPREAD_RATIO).then(|| Condition {
        alert_type: "liquidity_crisis",
        subject: symbol.to_string(),
        severity: Severity::Critical,
        message: format!("{symbol} spread {spread_bps:.1} bps is {ratio:.1}× its baseline"),
        details: json!({"symbol": symbol, "spread_bps": spread_bps, "baseline_spread_bps": baseline_bps, "spread_ratio": ratio}),
    })
}

/// `settlement_delay` when settlements of a type are overdue.
pub fn settlement_delay(kind: &str, overdue: usize, oldest_age_s: f64) -> Option<Condition> {
    (overdue > 0).then(|| Condition {
        alert_type: "settlement_delay",
        subject: kind.to_string(),
        severity: Severity::High,
        message: format!(
            "{overdue} {kind} settlement(s) overdue, oldest {:.0} min",
            oldest_age_s / 60.0
        ),
        details: json!({"settlement_type": kind, "overdue": overdue, "oldest_age_s": oldest_age_s}),
    })
}

/// `risk_escalation` when enough critical alerts are active at once.
pub fn escalation(critical: &[String]) -> Option<Condition> {
    (critical.len() >= ESCALATION_COUNT).then(|| Condition {
        alert_type: "risk_escalation",
        subject: "ecosystem".to_string(),
        severity: Severity::Critical,
        message: format!("{} critical alerts active at once", critical.len()),
        details: json!({"critical_alerts": critical}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_only_past_their_thresholds() {
        assert!(execution_latency("arbitrage", Some(240.0)).is_none());
        assert!(execution_latency("arbitrage", Some(260.0)).is_some());
        assert!(execution_latency("arbitrage", None).is_none());
        assert!(correlation_breach("USDT-USD", 0.996, 1.0).is_none());
        let early = correlation_breach("USDT-USD", 0.993, 1.0).expect("breach");
        assert_eq!(early.severity, Severity::Warning);
        let c = correlation_breach("USDT-USD", 0.97, 1.0).expect("breach");
        assert_eq!(c.severity, Severity::Critical);
        assert!(position_limit("arbitrage", 10.0, 10.0).is_none());
        assert!(position_limit("arbitrage", -10.5, 10.0).is_some());
        assert!(liquidity_crisis("USDT-BTC", 8.0, 4.0).is_none());
        assert!(liquidity_crisis("USDT-BTC", 11.0, 4.0).is_some());
    }

    #[test]
    fn alerts_are_raised_once_and_resolved_when_the_condition_clears() {
        let mut risk = RiskMonitor::default();
        let hot = || {
            execution_latency("arbitrage", Some(600.0))
                .into_iter()
                .collect::<Vec<_>>()
        };
        let changes = risk.reconcile(10.0, hot(), Some("exec-1".into()));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, "alert_raised");
        assert!(risk.reconcile(20.0, hot(), None).is_empty());
        let changes = risk.reconcile(30.0, vec![], None);
        assert_eq!(changes[0].kind, "alert_resolved");
        assert_eq!(changes[0].alert.resolved_at_sim_s, Some(30.0));
        assert_eq!(changes[0].alert.correlation_id.as_deref(), Some("exec-1"));
        assert!(risk.active().is_empty());
        assert_eq!(risk.resolved().len(), 1);
    }

    #[test]
    fn two_critical_alerts_escalate_and_one_does_not() {
        let mut risk = RiskMonitor::default();
        let one: Vec<_> = liquidity_crisis("USDT-BTC", 12.0, 4.0)
            .into_iter()
            .collect();
        risk.reconcile(1.0, one.clone(), None);
        assert!(!risk
            .active()
            .iter()
            .any(|a| a.alert_type == "risk_escalation"));
        let mut two = one;
        two.extend(position_limit("arbitrage", 15.0, 10.0));
        risk.reconcile(2.0, two, None);
        assert!(risk
            .active()
            .iter()
            .any(|a| a.alert_type == "risk_escalation"));
        risk.reconcile(3.0, vec![], None);
        assert!(risk.active().is_empty());
    }
}
