//! audit-correlator: the append-only trail of chaos injections and clears
//! and notable system events, each with an optional correlation id (the
//! `X-Execution-Id` of the request that caused it).
//!
//! A bounded ring: the oldest events drop off after `CAPACITY`.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::clock::{format_wall, parse_wall};
use crate::service::Service;

/// Events kept at most.
const CAPACITY: usize = 20_000;

/// One audit event.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// `evt-…`.
    pub id: String,
    /// Wall-clock time (RFC 3339).
    pub at: String,
    /// Sim time (seconds since sandbox start).
    pub at_sim_s: f64,
    /// The service it concerns.
    pub service: &'static str,
    /// What happened (`chaos_injected`, `alert_raised`, …).
    pub kind: String,
    /// The correlation id, if known.
    pub correlation_id: Option<String>,
    /// Details.
    pub details: Value,
    #[serde(skip)]
    wall: OffsetDateTime,
}

/// Filters of `GET /api/v1/events`.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    /// Only this correlation id.
    pub correlation_id: Option<String>,
    /// Only at or after this wall-clock time (RFC 3339).
    pub since: Option<String>,
    /// Only at or before this wall-clock time (RFC 3339).
    pub until: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this service.
    pub service: Option<String>,
    /// At most this many (newest kept), default 1000.
    pub limit: Option<usize>,
}

/// The audit trail.
#[derive(Debug, Default)]
pub struct AuditLog {
    events: VecDeque<AuditEvent>,
    next_id: u64,
}

impl AuditLog {
    /// Appends an event.
    pub fn record(
        &mut self,
        now: f64,
        service: Service,
        kind: &str,
        correlation_id: Option<String>,
        details: Value,
    ) {
        self.next_id += 1;
        if self.events.len() == CAPACITY {
            self.events.pop_front();
        }
        let wall = OffsetDateTime::now_utc();
        self.events.push_back(AuditEvent {
            id: format!("evt-{:08}", self.next_id),
            at: format_wall(wall),
            at_sim_s: now,
            service: service.name(),
            kind: kind.to_string(),
            correlation_id,
            details,
            wall,
        });
    }

    /// Events matching `query`, oldest first; `Err` names a bad time bound.
    pub fn query(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, String> {
        let bound = |name: &str, text: &Option<String>| -> Result<Option<OffsetDateTime>, String> {
            text.as_deref()
                .map(|t| {
                    parse_wall(t)
                        .ok_or_else(|| format!("`{name}` must be an RFC 3339 time, got `{t}`"))
                })
                .transpose()
        };
        let since = bound("since", &query.since)?;
        let until = bound("until", &query.until)?;
        let limit = query.limit.unwrap_or(1_000);
        let mut out: Vec<AuditEvent> = self
            .events
            .iter()
            .rev()
            .filter(|e| {
                query
                    .correlation_id
                    .as_ref()
                    .is_none_or(|c| e.correlation_id.as_ref() == Some(c))
            })
            .filter(|e| since.is_none_or(|s| e.wall >= s))
            .filter(|e| until.is_none_or(|u| e.wall <= u))
            .filter(|e| query.kind.as_ref().is_none_or(|k| &e.kind == k))
            .filter(|e| query.service.as_ref().is_none_or(|s| e.service == s))
            .take(limit)
            .cloned()
            .collect();
        out.reverse();
        Ok(out)
    }

    /// Number of events held.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_found_by_correlation_id_and_time() {
        let mut log = AuditLog::default();
        log.record(
            0.0,
            Service::ExchangeSimulator,
            "chaos_injected",
            Some("x1".into()),
            json!({}),
        );
        log.record(1.0, Service::RiskMonitor, "alert_raised", None, json!({}));
        let q = AuditQuery {
            correlation_id: Some("x1".into()),
            ..Default::default()
        };
        assert_eq!(log.query(&q).map(|v| v.len()), Ok(1));
        let q = AuditQuery {
            since: Some("2000-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(log.query(&q).map(|v| v.len()), Ok(2));
        let q = AuditQuery {
            until: Some("2000-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        assert_eq!(log.query(&q).map(|v| v.len()), Ok(0));
        let q = AuditQuery {
            since: Some("yesterday".into()),
            ..Default::default()
        };
        assert!(log.query(&q).is_err());
    }
}
