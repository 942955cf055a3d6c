//! The audit section: the audit correlator's events placed on the execution's
//! timeline, and which injections they confirm. `AuditClock` also places the
//! alerts of [`super::impact`].

use time::OffsetDateTime;

use super::{
    build::{Fold, ReportInput},
    describe::human_ms,
    impact::is_clearing_action,
    schema::*,
};

/// Places wall-clock times on the execution's timeline.
pub(super) struct AuditClock<'a> {
    anchors: &'a [(OffsetDateTime, u64)],
    speed: f64,
}

impl<'a> AuditClock<'a> {
    pub(super) fn new(fold: &'a Fold, speed: f64) -> Self {
        let speed = fold.speed.unwrap_or(speed);
        Self {
            anchors: &fold.anchors,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    fn offset(&self, at: OffsetDateTime) -> Option<i64> {
        let after = self.anchors.partition_point(|(when, _)| *when <= at);
        let (anchor, cap) = if after == 0 {
            (self.anchors.first()?, None)
        } else {
            (&self.anchors[after - 1], self.anchors.get(after))
        };
        let real_ms = (at - anchor.0).as_seconds_f64() * 1000.0;
        let mut offset = anchor.1 as f64 + real_ms * self.speed;
        if let Some((_, next)) = cap {
            offset = offset.min(*next as f64);
        }
        Some(offset.round() as i64)
    }

    pub(super) fn offset_text(&self, at: Option<&str>) -> Option<i64> {
        at.and_then(parse_time).and_then(|t| self.offset(t))
    }
}

pub(super) fn audit_section(input: &ReportInput, fold: &Fold) -> AuditSection {
    let clock = AuditClock::new(fold, input.record.execution.options.speed);
    let injections: Vec<usize> = fold
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            !a.rollback
                && a.phase_index.is_some()
                && a.ok == Some(true)
                && !is_clearing_action(&a.action)
        })
        .map(|(i, _)| i)
        .collect();
    let mut confirmed: Vec<bool> = vec![false; injections.len()];
    let mut entries = Vec::new();
    for event in input.audit_events.iter().flatten() {
        let text = |key: &str| event[key].as_str().unwrap_or_default().to_owned();
        let (service, kind) = (text("service"), text("kind"));
        let action = event["details"]["action"]
            .as_str()
            .map(|a| a.replace('-', "_"));
        let mut confirms = None;
        if kind == "chaos_injected" {
            let found = injections.iter().enumerate().find(|(slot, &i)| {
                !confirmed[*slot]
                    && fold.actions[i].service == service
                    && action
                        .as_deref()
                        .is_none_or(|a| a == fold.actions[i].action)
            });
            if let Some((slot, &i)) = found {
                confirmed[slot] = true;
                confirms = Some(i);
            }
        }
        entries.push(AuditEntry {
            id: text("id"),
            offset_ms: clock.offset_text(event["at"].as_str()),
            at: text("at"),
            service,
            kind,
            confirms_action: confirms,
            details: event["details"].clone(),
        });
    }
    let unconfirmed = injections
        .iter()
        .zip(&confirmed)
        .filter(|(_, ok)| !**ok)
        .map(|(&i, _)| {
            let a = &fold.actions[i];
            format!(
                "{}.{} @ {}",
                a.service,
                a.action,
                human_ms(a.started_ms.unwrap_or_default())
            )
        })
        .collect();
    AuditSection {
        correlation_id: input.record.execution.id.to_string(),
        available: input.audit_events.is_some(),
        events: entries,
        chaos_injected: injections.len(),
        chaos_confirmed: confirmed.iter().filter(|c| **c).count(),
        unconfirmed,
    }
}
