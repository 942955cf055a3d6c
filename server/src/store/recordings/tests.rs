use std::collections::BTreeMap;

use app::api::recording::{RecordedEvent, RecordedEventType, RecordingState};
use time::macros::datetime;

use super::{from_unix_ms, unix_ms, NewRecording, RecordingRecord};
use crate::store::Store;

async fn store() -> (crate::store::testing::Guard, Store) {
    let (dir, store) = crate::store::testing::store().await;
    (dir, store)
}

fn recording<'a>(id: &'a str, state: RecordingState, max_events: u32) -> NewRecording<'a> {
    NewRecording {
        id,
        name: "game day",
        services: "[]",
        state,
        max_events,
        started_ms: 1_000,
        ended_ms: None,
        created_by: "local",
        owner: None,
    }
}

fn cleared(ms: i64) -> RecordedEvent {
    RecordedEvent {
        timestamp: from_unix_ms(ms),
        event_type: RecordedEventType::ChaosCleared {
            service: "exchange".into(),
        },
        metadata: BTreeMap::new(),
    }
}

#[tokio::test]
async fn only_one_recording_captures_at_a_time() {
    let (_dir, store) = store().await;
    assert!(store
        .insert_recording(&recording("a", RecordingState::Recording, 10))
        .await
        .unwrap());
    assert!(!store
        .insert_recording(&recording("b", RecordingState::Recording, 10))
        .await
        .unwrap());
    assert!(store
        .end_recording("a", RecordingState::Stopped, 2_000)
        .await
        .unwrap());
    // Ended once: a second stop changes nothing.
    assert!(!store
        .end_recording("a", RecordingState::Interrupted, 3_000)
        .await
        .unwrap());
    assert!(store
        .insert_recording(&recording("b", RecordingState::Recording, 10))
        .await
        .unwrap());
    let current = store.current_recording().await.unwrap().unwrap();
    assert_eq!(
        (current.id.as_str(), current.state.as_str()),
        ("b", "recording")
    );
}

#[tokio::test]
async fn the_cap_keeps_the_first_events_and_counts_the_rest() {
    let (_dir, store) = store().await;
    store
        .insert_recording(&recording("a", RecordingState::Recording, 3))
        .await
        .unwrap();
    store
        .append_recording_events("a", &[cleared(1_100), cleared(1_200)], 0)
        .await
        .unwrap();
    store
        .append_recording_events("a", &[cleared(1_300), cleared(1_400)], 5)
        .await
        .unwrap();
    let record = store.fetch_recording("a").await.unwrap().unwrap();
    assert_eq!((record.event_count, record.dropped_events), (3, 6));
    let events = store.recording_events("a").await.unwrap();
    let times: Vec<i64> = events.iter().map(|e| unix_ms(e.timestamp)).collect();
    assert_eq!(times, [1_100, 1_200, 1_300]);
    // A stopped recording takes no more.
    store
        .end_recording("a", RecordingState::Stopped, 2_000)
        .await
        .unwrap();
    store
        .append_recording_events("a", &[cleared(1_500)], 0)
        .await
        .unwrap();
    assert_eq!(store.recording_events("a").await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_crash_leaves_the_recording_interrupted_at_its_last_event() {
    let (_dir, store) = store().await;
    store
        .insert_recording(&recording("a", RecordingState::Recording, 10))
        .await
        .unwrap();
    store
        .append_recording_events("a", &[cleared(4_000), cleared(2_500)], 0)
        .await
        .unwrap();
    store
        .insert_recording(&recording("b", RecordingState::Imported, 10))
        .await
        .unwrap();
    assert_eq!(store.end_interrupted_recordings().await.unwrap(), 1);
    let a = store.fetch_recording("a").await.unwrap().unwrap();
    assert_eq!((a.state.as_str(), a.ended_ms), ("interrupted", Some(4_000)));
    let b = store.fetch_recording("b").await.unwrap().unwrap();
    assert_eq!(b.state, "imported");
    // Events read back in time order.
    let events = store.recording_events("a").await.unwrap();
    assert_eq!(unix_ms(events[0].timestamp), 2_500);
}

#[tokio::test]
async fn an_import_is_stored_whole_and_can_be_deleted() {
    let (_dir, store) = store().await;
    let mut new = recording("a", RecordingState::Imported, 10);
    new.ended_ms = Some(9_000);
    store
        .import_recording(&new, &[cleared(1_500), cleared(1_600)])
        .await
        .unwrap();
    let record = store.fetch_recording("a").await.unwrap().unwrap();
    assert_eq!((record.event_count, record.ended_ms), (2, Some(9_000)));
    assert_eq!(store.count_recordings().await.unwrap(), 1);
    assert!(store.delete_recording("a").await.unwrap());
    assert!(!store.delete_recording("a").await.unwrap());
    assert!(store.recording_events("a").await.unwrap().is_empty());
    assert_eq!(
        unix_ms(datetime!(2026-12-03 10:00:00.123 UTC)),
        1_796_292_000_123
    );
}

#[tokio::test]
async fn every_field_of_a_recording_reads_back_as_it_was_bound() {
    // A distinct value per column: a mis-numbered `$N` would swap two of them,
    // and one beyond the bound values would read back as NULL.
    let (_dir, store) = store().await;
    let imported = NewRecording {
        id: "r-1",
        name: "game day",
        services: r#"["exchange"]"#,
        state: RecordingState::Imported,
        max_events: 7,
        started_ms: 1_001,
        ended_ms: Some(2_002),
        created_by: "alice",
        owner: None,
    };
    assert!(store.insert_recording(&imported).await.unwrap());
    let expected = RecordingRecord {
        id: "r-1".into(),
        name: "game day".into(),
        services: r#"["exchange"]"#.into(),
        state: "imported".into(),
        max_events: 7,
        started_ms: 1_001,
        ended_ms: Some(2_002),
        event_count: 0,
        dropped_events: 0,
        created_by: "alice".into(),
    };
    assert_eq!(
        store.fetch_recording("r-1").await.unwrap(),
        Some(expected.clone())
    );
    // The optional value left out is stored as NULL.
    let capturing = NewRecording {
        id: "r-2",
        state: RecordingState::Recording,
        ended_ms: None,
        ..imported
    };
    assert!(store.insert_recording(&capturing).await.unwrap());
    assert_eq!(
        store.fetch_recording("r-2").await.unwrap(),
        Some(RecordingRecord {
            id: "r-2".into(),
            state: "recording".into(),
            ended_ms: None,
            ..expected
        })
    );
}
