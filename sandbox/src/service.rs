//! The six services of the ecosystem and their names.
//!
//! Owns only the naming; everything else refers to services through
//! [`Service`], so a typo in a name cannot compile.

use std::fmt;

/// One of the six sandbox services, each with its own HTTP listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// Order books, order placement and fills.
    ExchangeSimulator,
    /// Balances and the settlement queue.
    CustodianSimulator,
    /// Reference prices moving as a seeded random walk.
    MarketDataSimulator,
    /// The strategies that trade through the exchange.
    TradingEngine,
    /// Alerts raised and resolved from what the others do.
    RiskMonitor,
    /// The audit trail with correlation ids.
    AuditCorrelator,
}

impl Service {
    /// Every service, in the order of the default ports (18080..=18085).
    pub const ALL: [Service; 6] = [
        Service::ExchangeSimulator,
        Service::CustodianSimulator,
        Service::MarketDataSimulator,
        Service::TradingEngine,
        Service::RiskMonitor,
        Service::AuditCorrelator,
    ];

    /// The service's name as used in URLs, scenarios and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Service::ExchangeSimulator => "exchange-simulator",
            Service::CustodianSimulator => "custodian-simulator",
            Service::MarketDataSimulator => "market-data-simulator",
            Service::TradingEngine => "trading-engine",
            Service::RiskMonitor => "risk-monitor",
            Service::AuditCorrelator => "audit-correlator",
        }
    }

    /// The service with this name, if any.
    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
