//! A recording becomes a scenario (issue 19, "Save as scenario"): the events a
//! replay sends (injections and clears) become actions at their offsets, with
//! a new phase at every pause of [`PHASE_GAP_MS`] or more. A replay runs
//! exactly this scenario, so the two make the same calls.
//!
//! - The first event of a phase and any at the same instant are its
//!   `actions` (sent in order); later ones are `parallel_actions` at their
//!   `delay`, one millisecond apart at least so that their order holds.
//! - Without `skip_initial_delay`, a phase `before-first-event` waits as long
//!   as the recording did; the last phase lasts until the recording's end.
//! - `fast`: one phase whose `actions` are every event in order, no waits.
//! - Chaos the recording left in place (a service whose last event is an
//!   injection) is cleared by a last phase, so a replay never leaves chaos
//!   behind; on stop or failure, the rollback clears every service touched.

use std::{collections::BTreeMap, time::Duration};

use app::{
    api::recording::{RecordedEvent, RecordedEventType, ReplayShape, PHASE_GAP_MS},
    scenario::{
        duration::MAX_DURATION,
        model::{
            Action, Metadata, ParallelAction, Phase, Rollback, Scenario, ScenarioKind, Spec,
            API_VERSION,
        },
    },
};
use time::OffsetDateTime;

/// The action a clear is replayed as.
pub const CLEAR_ACTION: &str = "clear_chaos";

/// A recording's scenario with what went into it.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// The scenario.
    pub scenario: Scenario,
    /// Events that became actions.
    pub actions: u32,
    /// Events left out: observed ones and those the filter excluded.
    pub left_out: u32,
}

/// Why a recording cannot become a scenario.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// No injection or clear passed the filter.
    #[error("nothing to replay: {0}")]
    Empty(String),
    /// A filter names a type there is not.
    #[error("unknown event type {0:?} in event_types (types: ChaosInjected, ChaosCleared, ChaosEffect, ServiceHealthChanged)")]
    UnknownType(String),
}

/// What a recording is and where it ends.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The scenario's name.
    pub name: &'a str,
    /// When recording started.
    pub started: OffsetDateTime,
    /// Its length in ms.
    pub total_ms: u64,
    /// Its events.
    pub events: &'a [RecordedEvent],
}

/// The scenario that replays `source` as `shape` says; `clearable` tells
/// which services have a chaos API to clear leftover chaos on.
pub fn build(
    source: Source<'_>,
    shape: &ReplayShape,
    clearable: &dyn Fn(&str) -> bool,
) -> Result<Built, BuildError> {
    let Source {
        name,
        started,
        total_ms,
        events,
    } = source;
    if let Some(unknown) = shape
        .event_types
        .iter()
        .find(|t| !RecordedEventType::TYPE_NAMES.contains(&t.as_str()))
    {
        return Err(BuildError::UnknownType(unknown.clone()));
    }
    let wanted = |event: &RecordedEvent| {
        event.event_type.is_replayed()
            && (shape.event_types.is_empty()
                || shape
                    .event_types
                    .iter()
                    .any(|t| t == event.event_type.type_name()))
    };
    let mut picked: Vec<(u64, Action)> = events
        .iter()
        .filter(|e| wanted(e))
        .map(|e| (offset_ms(started, e.timestamp), action_of(&e.event_type)))
        .collect();
    // Stable: events at the same instant keep the recording's order.
    picked.sort_by_key(|(at, _)| *at);
    let left_out = count(events.len() - picked.len());
    let Some(&(first, _)) = picked.first() else {
        return Err(BuildError::Empty(if events.is_empty() {
            "the recording has no events".to_owned()
        } else {
            "the recording has no injections or clears that the filter keeps".to_owned()
        }));
    };
    let base = if shape.skip_initial_delay { first } else { 0 };
    let picked: Vec<(u64, Action)> = picked.into_iter().map(|(at, a)| (at - base, a)).collect();
    let end = total_ms.saturating_sub(base);
    let actions = count(picked.len());
    let leftover: Vec<String> = leftover_chaos(&picked)
        .into_iter()
        .filter(|s| clearable(s))
        .collect();

    let mut phases = if shape.fast {
        vec![Phase {
            name: "replay".to_owned(),
            duration: Duration::from_millis(1),
            description: Some(format!("{actions} events in order, no waits")),
            actions: picked.into_iter().map(|(_, a)| a).collect(),
            parallel_actions: Vec::new(),
            assertions: Vec::new(),
        }]
    } else {
        timed_phases(picked, end)
    };
    if !leftover.is_empty() {
        phases.push(Phase {
            name: "clear-leftover-chaos".to_owned(),
            duration: Duration::from_millis(1),
            description: Some(
                "the recording ended with this chaos in place; a replay clears it".to_owned(),
            ),
            actions: leftover.into_iter().map(clear).collect(),
            parallel_actions: Vec::new(),
            assertions: Vec::new(),
        });
    }
    let length: Duration = phases.iter().map(|p| p.duration).sum();
    let timeout = (length * 2 + Duration::from_secs(600)).min(MAX_DURATION.max(length));
    let scenario = Scenario {
        api_version: API_VERSION.to_owned(),
        kind: ScenarioKind::Scenario,
        metadata: Metadata {
            name: name.to_owned(),
            description: Some(format!(
                "Replays {actions} chaos events recorded from {}",
                started
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            )),
            version: Some("1.0".to_owned()),
            author: None,
            tags: vec!["recording".to_owned(), "replay".to_owned()],
            category: Some("recording".to_owned()),
        },
        parameters: Vec::new(),
        spec: Spec {
            duration: Some(length),
            timeout: Some(timeout),
            variables: BTreeMap::new(),
            phases,
            rollback: Some(Rollback {
                on_failure: true,
                ..Rollback::default()
            }),
            success_criteria: vec!["all_phases_completed".to_owned()],
            reporting: None,
            workload: None,
        },
    };
    Ok(Built {
        scenario,
        actions,
        left_out,
    })
}

/// Phases split at every pause of [`PHASE_GAP_MS`] or more; the last lasts
/// until `end` (after its last event at least).
fn timed_phases(picked: Vec<(u64, Action)>, end: u64) -> Vec<Phase> {
    let mut groups: Vec<Vec<(u64, Action)>> = Vec::new();
    for (at, action) in picked {
        match groups.last_mut() {
            Some(group)
                if group
                    .last()
                    .is_some_and(|(prev, _)| at - prev < PHASE_GAP_MS) =>
            {
                group.push((at, action));
            }
            _ => groups.push(vec![(at, action)]),
        }
    }
    let starts: Vec<u64> = groups.iter().map(|g| g[0].0).collect();
    let mut phases = Vec::new();
    if starts[0] > 0 {
        phases.push(Phase {
            name: "before-first-event".to_owned(),
            duration: Duration::from_millis(starts[0]),
            description: Some("the recording's wait before its first event".to_owned()),
            actions: Vec::new(),
            parallel_actions: Vec::new(),
            assertions: Vec::new(),
        });
    }
    let total = groups.len();
    for (index, group) in groups.into_iter().enumerate() {
        let start = starts[index];
        let next = starts.get(index + 1).copied().unwrap_or(end);
        let mut actions = Vec::new();
        let mut parallel_actions = Vec::new();
        let mut last_delay = 0;
        for (at, action) in group {
            let delay = at - start;
            if delay == 0 && parallel_actions.is_empty() {
                actions.push(action);
                continue;
            }
            // Strictly after the one before: parallel actions at the same
            // instant would race, and the recording's order must hold.
            let delay = delay.max(last_delay + 1);
            last_delay = delay;
            parallel_actions.push(ParallelAction {
                delay: Duration::from_millis(delay),
                service: action.service,
                action: action.action,
                parameters: action.parameters,
            });
        }
        let length = next.saturating_sub(start).max(last_delay + 1);
        phases.push(Phase {
            name: format!("part-{}", index + 1),
            duration: Duration::from_millis(length),
            description: Some(format!(
                "events from {} (part {} of {total})",
                app::scenario::duration::format_duration(Duration::from_millis(start)),
                index + 1
            )),
            actions,
            parallel_actions,
            assertions: Vec::new(),
        });
    }
    phases
}

/// Services whose last replayed event is an injection, in the order they
/// were last touched.
fn leftover_chaos(picked: &[(u64, Action)]) -> Vec<String> {
    let mut last: Vec<(String, bool)> = Vec::new();
    for (_, action) in picked {
        let dirty = action.action != CLEAR_ACTION;
        last.retain(|(service, _)| *service != action.service);
        last.push((action.service.clone(), dirty));
    }
    last.into_iter()
        .filter(|(_, dirty)| *dirty)
        .map(|(service, _)| service)
        .collect()
}

fn clear(service: String) -> Action {
    Action {
        service,
        action: CLEAR_ACTION.to_owned(),
        parameters: Default::default(),
    }
}

fn action_of(event: &RecordedEventType) -> Action {
    match event {
        RecordedEventType::ChaosInjected {
            service,
            action,
            parameters,
        } => Action {
            service: service.clone(),
            action: action.clone(),
            parameters: parameters.clone(),
        },
        other => clear(other.service().to_owned()),
    }
}

/// Milliseconds from `started` to `at` (0 for an event before the start).
pub fn offset_ms(started: OffsetDateTime, at: OffsetDateTime) -> u64 {
    u64::try_from((at - started).whole_milliseconds()).unwrap_or(0)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
