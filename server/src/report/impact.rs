//! The system-impact section: which services the chaos reached and how long each
//! took to recover, the alerts raised, and the performance measured in evidence.

use std::collections::BTreeMap;

use app::scenario::catalog::{assertion_role, chaos_effect, AssertionRole, ChaosEffect};
use serde_json::Value;

use super::{
    audit::AuditClock,
    build::{mean, Fold, ReportInput},
    schema::*,
};

/// Whether an assertion's success shows recovery: its role in the catalog
/// ([`assertion_role`]), which the engine's verdict and `/metrics` read too.
pub fn shows_recovery(assertion: &AssertionReport) -> bool {
    assertion_role(&assertion.assertion_type, &assertion.expect) == AssertionRole::Recovery
}

/// Whether an action takes chaos away rather than injecting it.
pub fn is_clearing_action(action: &str) -> bool {
    chaos_effect(action) == ChaosEffect::Clears
}

pub(super) fn system_impact(input: &ReportInput, fold: &Fold) -> SystemImpact {
    let mut services: Vec<ServiceImpact> = Vec::new();
    for action in fold.actions.iter().filter(|a| {
        !a.rollback
            && a.phase_index.is_some()
            && a.ok == Some(true)
            && chaos_effect(&a.action) == ChaosEffect::Injects
    }) {
        let at = action.finished_ms.or(action.started_ms).unwrap_or_default();
        match services.iter_mut().find(|s| s.service == action.service) {
            Some(service) => {
                if !service.chaos_actions.contains(&action.action) {
                    service.chaos_actions.push(action.action.clone());
                }
                service.injected_ms = service.injected_ms.min(at);
            }
            None => services.push(ServiceImpact {
                service: action.service.clone(),
                chaos_actions: vec![action.action.clone()],
                injected_ms: at,
                cleared_ms: None,
                cleared_by: None,
                recovery_ms: None,
                recovered_by: None,
                recovery_window_ms: None,
            }),
        }
    }
    for service in &mut services {
        let clear = fold
            .actions
            .iter()
            .filter(|a| a.service == service.service && a.ok == Some(true))
            .filter(|a| a.rollback || is_clearing_action(&a.action))
            .filter_map(|a| a.finished_ms.map(|at| (at, a)))
            .filter(|(at, _)| *at >= service.injected_ms)
            .min_by_key(|(at, _)| *at);
        let Some((cleared, by)) = clear else { continue };
        service.cleared_ms = Some(cleared);
        service.cleared_by = Some(if by.rollback {
            format!("rollback: {}", by.action)
        } else {
            by.action.clone()
        });
        let recovered = fold
            .assertions
            .iter()
            .filter(|a| a.passed && shows_recovery(a))
            .filter(|a| a.service.as_ref().is_none_or(|s| *s == service.service))
            .filter_map(|a| a.last_check_ms.map(|held| (held, a)))
            .filter(|(held, _)| *held >= cleared)
            .min_by_key(|(held, _)| *held);
        if let Some((held, assertion)) = recovered {
            service.recovery_ms = Some(held - cleared);
            service.recovered_by = Some(format!(
                "{} ({})",
                assertion.assertion_type, assertion.phase
            ));
            service.recovery_window_ms = Some(assertion.window_ms);
        }
    }
    let clock = AuditClock::new(fold, input.record.execution.options.speed);
    let alerts = match &input.audit_events {
        Some(events) => alerts_from_audit(events, &clock),
        None => Vec::new(),
    };
    let alerts = if alerts.is_empty() {
        alerts_from_evidence(&fold.assertions, &clock)
    } else {
        alerts
    };
    SystemImpact {
        alerts_observed: input.audit_events.is_some() || !alerts.is_empty(),
        services_affected: services,
        alerts_generated: alerts,
        performance_impact: performance_impact(fold),
        chaos_effects: fold.effects.clone(),
    }
}

fn alerts_from_audit(events: &[Value], clock: &AuditClock) -> Vec<AlertSummary> {
    let mut alerts: Vec<AlertSummary> = Vec::new();
    for event in events {
        let kind = event["kind"].as_str().unwrap_or_default();
        if kind != "alert_raised" && kind != "alert_resolved" {
            continue;
        }
        let alert = &event["details"];
        let Some(alert_type) = alert["type"].as_str() else {
            continue;
        };
        let subject = alert["subject"].as_str().map(str::to_owned);
        let id = alert["id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{alert_type}:{}", subject.as_deref().unwrap_or("")));
        let at = event["at"].as_str();
        let raised_at = alert["raised_at"]
            .as_str()
            .or(at.filter(|_| kind == "alert_raised"));
        let resolved_at = alert["resolved_at"]
            .as_str()
            .or(at.filter(|_| kind == "alert_resolved"));
        let entry = match alerts.iter_mut().position(|a| a.id == id) {
            Some(i) => &mut alerts[i],
            None => {
                alerts.push(AlertSummary {
                    id,
                    alert_type: alert_type.to_owned(),
                    subject,
                    severity: None,
                    raised_at: None,
                    resolved_at: None,
                    raised_offset_ms: None,
                    resolved_offset_ms: None,
                    active_ms: None,
                    source: "audit".to_owned(),
                });
                let last = alerts.len() - 1;
                &mut alerts[last]
            }
        };
        if let Some(severity) = alert["severity"].as_str() {
            entry.severity = Some(severity.to_owned());
        }
        if entry.raised_at.is_none() {
            entry.raised_at = raised_at.map(str::to_owned);
        }
        if resolved_at.is_some() {
            entry.resolved_at = resolved_at.map(str::to_owned);
        }
    }
    for alert in &mut alerts {
        finish_alert(alert, clock);
    }
    alerts
}

fn finish_alert(alert: &mut AlertSummary, clock: &AuditClock) {
    alert.raised_offset_ms = clock.offset_text(alert.raised_at.as_deref());
    alert.resolved_offset_ms = clock.offset_text(alert.resolved_at.as_deref());
    alert.active_ms = match (alert.raised_offset_ms, alert.resolved_offset_ms) {
        (Some(raised), Some(resolved)) => u64::try_from(resolved - raised).ok(),
        _ => None,
    };
}

/// Alert objects (`type` and `raised_at`) anywhere in assertion evidence.
fn alerts_from_evidence(assertions: &[AssertionReport], clock: &AuditClock) -> Vec<AlertSummary> {
    let mut alerts: Vec<AlertSummary> = Vec::new();
    for assertion in assertions {
        walk(&assertion.evidence, 0, &mut |object| {
            let (Some(alert_type), Some(raised_at)) = (
                object.get("type").and_then(Value::as_str),
                object.get("raised_at").and_then(Value::as_str),
            ) else {
                return;
            };
            let subject = object
                .get("subject")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let id = object
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{alert_type}:{}", subject.as_deref().unwrap_or("")));
            let resolved = object.get("resolved_at").and_then(Value::as_str);
            let severity = object.get("severity").and_then(Value::as_str);
            match alerts.iter_mut().find(|a| a.id == id) {
                Some(alert) => {
                    if resolved.is_some() {
                        alert.resolved_at = resolved.map(str::to_owned);
                    }
                    if severity.is_some() {
                        alert.severity = severity.map(str::to_owned);
                    }
                }
                None => alerts.push(AlertSummary {
                    id,
                    alert_type: alert_type.to_owned(),
                    subject,
                    severity: severity.map(str::to_owned),
                    raised_at: Some(raised_at.to_owned()),
                    resolved_at: resolved.map(str::to_owned),
                    raised_offset_ms: None,
                    resolved_offset_ms: None,
                    active_ms: None,
                    source: "assertion_evidence".to_owned(),
                }),
            }
        });
    }
    for alert in &mut alerts {
        finish_alert(alert, clock);
    }
    alerts.sort_by(|a, b| a.raised_at.cmp(&b.raised_at));
    alerts
}

/// Calls `visit` on every JSON object in `value`, a few levels deep.
fn walk(value: &Value, depth: usize, visit: &mut dyn FnMut(&serde_json::Map<String, Value>)) {
    if depth > 6 {
        return;
    }
    match value {
        Value::Object(object) => {
            visit(object);
            for child in object.values() {
                walk(child, depth + 1, visit);
            }
        }
        Value::Array(items) => {
            for child in items {
                walk(child, depth + 1, visit);
            }
        }
        _ => {}
    }
}

/// One measurement taken from evidence.
struct Sample {
    subject: String,
    metric: &'static str,
    higher_is_worse: bool,
    value: f64,
    baseline: Option<f64>,
    offset: Option<u64>,
    phase: String,
}

fn performance_impact(fold: &Fold) -> Vec<PerformanceImpact> {
    let mut samples: Vec<Sample> = Vec::new();
    for assertion in fold.assertions.iter().filter(|a| a.attempts > 0) {
        let offset = assertion.last_check_ms;
        let phase = &assertion.phase;
        walk(&assertion.evidence, 0, &mut |object| {
            if let (Some(name), true) = (
                object.get("name").and_then(Value::as_str),
                object.contains_key("p95_latency_ms")
                    && (object.contains_key("baseline") || object.contains_key("performance")),
            ) {
                let baseline = object.get("baseline");
                for (metric, higher_is_worse) in [("p95_latency_ms", true), ("success_rate", false)]
                {
                    if let Some(value) = object.get(metric).and_then(Value::as_f64) {
                        samples.push(Sample {
                            subject: format!("strategy {name}"),
                            metric,
                            higher_is_worse,
                            value,
                            baseline: baseline.and_then(|b| b.get(metric)).and_then(Value::as_f64),
                            offset,
                            phase: phase.clone(),
                        });
                    }
                }
            }
            if let Some(Value::Object(services)) = object.get("services") {
                for (service, health) in services {
                    if let Some(latency) = health.get("latency_ms").and_then(Value::as_f64) {
                        samples.push(Sample {
                            subject: format!("service {service}"),
                            metric: "health_check_latency_ms",
                            higher_is_worse: true,
                            value: latency,
                            baseline: None,
                            offset,
                            phase: phase.clone(),
                        });
                    }
                }
            }
        });
    }
    let first_injection = fold
        .actions
        .iter()
        .filter(|a| !a.rollback && a.phase_index.is_some() && !is_clearing_action(&a.action))
        .filter_map(|a| a.started_ms)
        .min();
    let mut groups: BTreeMap<(String, &'static str), Vec<Sample>> = BTreeMap::new();
    for sample in samples {
        groups
            .entry((sample.subject.clone(), sample.metric))
            .or_default()
            .push(sample);
    }
    let mut out = Vec::new();
    for ((subject, metric), mut group) in groups {
        group.sort_by_key(|s| s.offset.unwrap_or(u64::MAX));
        let higher_is_worse = group[0].higher_is_worse;
        let before: Vec<f64> = group
            .iter()
            .filter(|s| matches!((s.offset, first_injection), (Some(o), Some(i)) if o < i))
            .map(|s| s.value)
            .collect();
        let baseline = group
            .iter()
            .rev()
            .find_map(|s| s.baseline)
            .or_else(|| mean(&before));
        // The worst value under chaos: samples from the first injection on, when any.
        let after_chaos =
            |s: &&Sample| !matches!((s.offset, first_injection), (Some(o), Some(i)) if o < i);
        let candidates: Vec<&Sample> = match group.iter().filter(after_chaos).count() {
            0 => group.iter().collect(),
            _ => group.iter().filter(after_chaos).collect(),
        };
        let worst = candidates.iter().copied().fold(candidates[0], |worst, s| {
            let worse = if higher_is_worse {
                s.value > worst.value
            } else {
                s.value < worst.value
            };
            if worse {
                s
            } else {
                worst
            }
        });
        let change = baseline.map(|b| round2(worst.value - b));
        out.push(PerformanceImpact {
            subject,
            metric: metric.to_owned(),
            higher_is_worse,
            baseline: baseline.map(round2),
            worst: round2(worst.value),
            worst_offset_ms: worst.offset,
            worst_phase: Some(worst.phase.clone()),
            last: round2(group[group.len() - 1].value),
            change,
            change_percent: baseline
                .filter(|b| *b != 0.0)
                .map(|b| round2((worst.value - b) * 100.0 / b)),
            samples: group.len(),
        });
    }
    out
}
