use std::time::Duration;

use app::api::recording::{RecordedEvent, RecordedEventType, ReplayShape};
use serde_json::json;
use time::{macros::datetime, OffsetDateTime};

use super::{build, BuildError, Built, Source};

const START: OffsetDateTime = datetime!(2026-12-03 10:00:00 UTC);

fn at(ms: i64) -> OffsetDateTime {
    START + time::Duration::milliseconds(ms)
}

fn inject(ms: i64, service: &str, action: &str) -> RecordedEvent {
    RecordedEvent {
        timestamp: at(ms),
        event_type: RecordedEventType::ChaosInjected {
            service: service.into(),
            action: action.into(),
            parameters: json!({"latency_ms": ms}).as_object().cloned().unwrap(),
        },
        metadata: Default::default(),
    }
}

fn cleared(ms: i64, service: &str) -> RecordedEvent {
    RecordedEvent {
        timestamp: at(ms),
        event_type: RecordedEventType::ChaosCleared {
            service: service.into(),
        },
        metadata: Default::default(),
    }
}

fn health(ms: i64, service: &str) -> RecordedEvent {
    RecordedEvent {
        timestamp: at(ms),
        event_type: RecordedEventType::ServiceHealthChanged {
            service: service.into(),
            healthy: false,
            status: Some(503),
        },
        metadata: Default::default(),
    }
}

fn run(events: &[RecordedEvent], total_ms: u64, shape: ReplayShape) -> Result<Built, BuildError> {
    build(
        Source {
            name: "game-day",
            started: START,
            total_ms,
            events,
        },
        &shape,
        &|service| service != "no-chaos-api",
    )
}

/// Every action of the scenario with its absolute offset, in the order the
/// engine starts them.
fn timeline(built: &Built) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut start = Duration::ZERO;
    for phase in &built.scenario.spec.phases {
        for action in &phase.actions {
            out.push((
                start.as_millis() as u64,
                format!("{}:{}", action.service, action.action),
            ));
        }
        for action in &phase.parallel_actions {
            out.push((
                (start + action.delay).as_millis() as u64,
                format!("{}:{}", action.service, action.action),
            ));
        }
        start += phase.duration;
    }
    out
}

fn phase_names(built: &Built) -> Vec<&str> {
    built
        .scenario
        .spec
        .phases
        .iter()
        .map(|p| p.name.as_str())
        .collect()
}

#[test]
fn actions_keep_their_offsets_and_pauses_start_phases() {
    let events = [
        inject(2_000, "exchange", "latency"),
        health(2_500, "exchange"),
        inject(3_000, "custodian", "outage"),
        cleared(20_000, "exchange"),
        cleared(21_000, "custodian"),
    ];
    let built = run(&events, 25_000, ReplayShape::default()).unwrap();
    assert_eq!(
        phase_names(&built),
        ["before-first-event", "part-1", "part-2"]
    );
    assert_eq!(
        timeline(&built),
        [
            (2_000, "exchange:latency".to_owned()),
            (3_000, "custodian:outage".to_owned()),
            (20_000, "exchange:clear_chaos".to_owned()),
            (21_000, "custodian:clear_chaos".to_owned()),
        ]
    );
    // The last phase lasts until the recording's end.
    assert_eq!(
        built.scenario.spec.duration,
        Some(Duration::from_millis(25_000))
    );
    assert_eq!((built.actions, built.left_out), (4, 1));
    // Parallel delays are shorter than their phase, as the validator asks.
    for phase in &built.scenario.spec.phases {
        for action in &phase.parallel_actions {
            assert!(action.delay < phase.duration, "{}", phase.name);
        }
    }
}

#[test]
fn skip_initial_delay_starts_at_the_first_event() {
    let events = [
        inject(7_000, "exchange", "latency"),
        cleared(8_000, "exchange"),
    ];
    let shape = ReplayShape {
        skip_initial_delay: true,
        ..ReplayShape::default()
    };
    let built = run(&events, 9_000, shape).unwrap();
    assert_eq!(phase_names(&built), ["part-1"]);
    assert_eq!(
        timeline(&built),
        [
            (0, "exchange:latency".to_owned()),
            (1_000, "exchange:clear_chaos".to_owned()),
        ]
    );
    assert_eq!(
        built.scenario.spec.duration,
        Some(Duration::from_millis(2_000))
    );
}

#[test]
fn events_at_the_same_instant_keep_their_order() {
    let events = [
        inject(0, "a", "one"),
        inject(0, "b", "two"),
        inject(500, "a", "three"),
        inject(500, "b", "four"),
        inject(500, "a", "five"),
        cleared(600, "a"),
        cleared(600, "b"),
    ];
    let built = run(&events, 1_000, ReplayShape::default()).unwrap();
    let order: Vec<String> = timeline(&built).into_iter().map(|(_, a)| a).collect();
    assert_eq!(
        order,
        [
            "a:one",
            "b:two",
            "a:three",
            "b:four",
            "a:five",
            "a:clear_chaos",
            "b:clear_chaos"
        ]
    );
    let offsets: Vec<u64> = timeline(&built).into_iter().map(|(at, _)| at).collect();
    assert_eq!(offsets, [0, 0, 500, 501, 502, 600, 601]);
}

#[test]
fn fast_sends_everything_in_order_without_waits() {
    let events = [
        inject(1_000, "exchange", "latency"),
        cleared(90_000, "exchange"),
        inject(95_000, "custodian", "outage"),
    ];
    let shape = ReplayShape {
        fast: true,
        ..ReplayShape::default()
    };
    let built = run(&events, 100_000, shape).unwrap();
    assert_eq!(phase_names(&built), ["replay", "clear-leftover-chaos"]);
    assert_eq!(
        timeline(&built),
        [
            (0, "exchange:latency".to_owned()),
            (0, "exchange:clear_chaos".to_owned()),
            (0, "custodian:outage".to_owned()),
            (1, "custodian:clear_chaos".to_owned()),
        ]
    );
    assert_eq!(built.scenario.spec.duration, Some(Duration::from_millis(2)));
}

#[test]
fn chaos_left_in_place_is_cleared_where_a_chaos_api_can() {
    let events = [
        inject(0, "exchange", "latency"),
        inject(100, "no-chaos-api", "restart"),
        inject(200, "custodian", "outage"),
        cleared(300, "custodian"),
    ];
    let built = run(&events, 1_000, ReplayShape::default()).unwrap();
    let last = built.scenario.spec.phases.last().unwrap();
    assert_eq!(last.name, "clear-leftover-chaos");
    let cleared: Vec<&str> = last.actions.iter().map(|a| a.service.as_str()).collect();
    assert_eq!(cleared, ["exchange"]);
    // A stop or a failure clears what was touched, whatever the phase.
    assert!(built.scenario.spec.rollback.as_ref().unwrap().on_failure);
}

#[test]
fn the_filter_keeps_only_the_named_types() {
    let events = [inject(0, "exchange", "latency"), cleared(1_000, "exchange")];
    let only_injections = ReplayShape {
        event_types: vec!["ChaosInjected".into()],
        ..ReplayShape::default()
    };
    let built = run(&events, 2_000, only_injections).unwrap();
    let actions: Vec<String> = timeline(&built).into_iter().map(|(_, a)| a).collect();
    // The clear was filtered out, so the leftover phase clears it instead.
    assert_eq!(actions, ["exchange:latency", "exchange:clear_chaos"]);
    assert_eq!(built.left_out, 1);

    let unknown = ReplayShape {
        event_types: vec!["Latency".into()],
        ..ReplayShape::default()
    };
    assert_eq!(
        run(&events, 2_000, unknown),
        Err(BuildError::UnknownType("Latency".into()))
    );
    let observed_only = ReplayShape {
        event_types: vec!["ServiceHealthChanged".into()],
        ..ReplayShape::default()
    };
    assert!(matches!(
        run(&events, 2_000, observed_only),
        Err(BuildError::Empty(_))
    ));
    assert!(matches!(
        run(&[], 2_000, ReplayShape::default()),
        Err(BuildError::Empty(_))
    ));
}

#[test]
fn the_scenario_reads_back_from_its_yaml() {
    let events = [
        inject(2_000, "exchange", "latency"),
        cleared(20_000, "exchange"),
    ];
    let built = run(&events, 25_000, ReplayShape::default()).unwrap();
    let yaml = serde_yaml::to_string(&built.scenario).unwrap();
    let back: app::scenario::model::Scenario = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(back, built.scenario);
    assert!(yaml.contains("duration: 18s"), "{yaml}");
}
