//! The inbox between the socket and the page, without a browser.

use super::inbox::*;

fn message(n: usize) -> String {
    format!("{{\"seq\":{n}}}")
}

#[test]
fn the_first_message_asks_for_a_frame_and_the_next_ones_wait_for_it() {
    let mut inbox = Inbox::default();
    assert!(inbox.push(message(1)), "a frame is asked for");
    assert!(!inbox.push(message(2)), "one frame at a time");
    assert!(!inbox.push(message(3)));
    assert_eq!(
        inbox.take(CHUNK),
        Step::Apply(vec![message(1), message(2), message(3)])
    );
    assert_eq!(inbox.take(CHUNK), Step::Idle);
    assert!(!inbox.frame_done(), "nothing left: no other frame");
    assert!(inbox.push(message(4)), "the next message asks again");
}

#[test]
fn a_frame_takes_chunks_and_asks_for_another_when_its_time_ran_out() {
    let mut inbox = Inbox::default();
    for n in 0..(CHUNK + 10) {
        inbox.push(message(n));
    }
    let Step::Apply(first) = inbox.take(CHUNK) else {
        panic!("a chunk")
    };
    assert_eq!(first.len(), CHUNK);
    assert_eq!(first[0], message(0), "oldest first");
    // The frame stops here (its budget spent): the rest waits for the next one.
    assert!(inbox.frame_done());
    assert_eq!(inbox.len(), 10);
    assert!(!inbox.push(message(999)), "that frame is already asked for");
}

#[test]
fn too_many_waiting_drops_them_and_asks_for_a_catch_up_until_reset() {
    let mut inbox = Inbox::default();
    for n in 0..=CATCH_UP_AT {
        inbox.push(message(n));
    }
    assert!(inbox.is_behind());
    assert!(
        inbox.is_empty(),
        "the queue is dropped, memory stays bounded"
    );
    assert!(!inbox.push(message(1)), "later messages are dropped too");
    assert!(inbox.is_empty());
    assert_eq!(inbox.take(CHUNK), Step::CatchUp);
    assert!(!inbox.frame_done());
    inbox.reset();
    assert!(!inbox.is_behind());
    assert_eq!(inbox.take(CHUNK), Step::Idle);
    assert!(inbox.push(message(2)), "following again after the re-read");
    assert_eq!(inbox.take(CHUNK), Step::Apply(vec![message(2)]));
}

#[test]
fn up_to_the_limit_everything_is_applied_in_order() {
    let mut inbox = Inbox::default();
    for n in 0..CATCH_UP_AT {
        inbox.push(message(n));
    }
    assert!(!inbox.is_behind());
    let mut seen = Vec::new();
    while let Step::Apply(chunk) = inbox.take(CHUNK) {
        seen.extend(chunk);
    }
    assert_eq!(seen, (0..CATCH_UP_AT).map(message).collect::<Vec<_>>());
}

#[test]
fn events_seconds_older_than_the_quickest_delivery_mean_the_page_is_behind() {
    let mut inbox = Inbox::default();
    // The page's clock runs 60 s ahead of the server's: only the delay counts.
    assert!(!inbox.lagging(60_000.0 + 1_000.0, 1_000.0));
    assert!(
        !inbox.lagging(60_000.0 + 2_050.0, 2_000.0),
        "50 ms late is live"
    );
    inbox.push(message(1));
    assert!(
        !inbox.lagging(60_000.0 + 4_000.0, 2_100.0),
        "1.9 s late still replays"
    );
    assert!(
        inbox.lagging(60_000.0 + 9_000.0, 2_200.0),
        "6.8 s late: re-read"
    );
    assert!(inbox.is_empty() && inbox.is_behind());
    assert_eq!(inbox.take(CHUNK), Step::CatchUp);
}
