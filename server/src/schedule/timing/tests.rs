use app::api::schedule::{Blackout, SchedulePolicies, ScheduleTiming};
use jiff::{SignedDuration, Timestamp};

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().expect("a test instant")
}

fn cron(expression: &str, zone: &str) -> ScheduleTiming {
    ScheduleTiming::Cron {
        expression: expression.to_owned(),
        time_zone: zone.to_owned(),
    }
}

fn compile(timing: ScheduleTiming, created: &str) -> Result<Compiled, FieldError> {
    Compiled::from_parts(&timing, &SchedulePolicies::default(), at(created), true)
}

fn field_of(result: Result<Compiled, FieldError>) -> String {
    result.expect_err("refused").field
}

#[test]
fn five_and_six_field_crons_are_due_on_their_calendar() {
    let every_minute = compile(cron("* * * * *", "UTC"), "2026-12-01T10:00:30Z").expect("valid");
    assert_eq!(
        every_minute.timing.next_after(at("2026-12-01T10:00:30Z")),
        Some(at("2026-12-01T10:01:00Z"))
    );
    let every_second =
        compile(cron("*/1 * * * * *", "UTC"), "2026-12-01T10:00:30Z").expect("valid");
    assert_eq!(
        every_second.timing.next_after(at("2026-12-01T10:00:30Z")),
        Some(at("2026-12-01T10:00:31Z"))
    );
    let berlin = compile(
        cron("0 2 * * MON-FRI", "Europe/Berlin"),
        "2026-12-01T12:00:00Z",
    )
    .expect("valid");
    // Tue 1 Dec 2026, 12:00 UTC: next is Wed 2 Dec 02:00 CET = 01:00 UTC.
    assert_eq!(
        berlin.timing.next_after(at("2026-12-01T12:00:00Z")),
        Some(at("2026-12-02T01:00:00Z"))
    );
    // Fri 4 Dec 02:00 CET, then Mon 7 Dec: the weekend is skipped.
    assert_eq!(
        berlin.timing.next_after(at("2026-12-04T01:00:00Z")),
        Some(at("2026-12-07T01:00:00Z"))
    );
}

#[test]
fn a_cron_in_the_spring_forward_gap_runs_once_just_after_it() {
    // Europe/Berlin jumps from 02:00 CET to 03:00 CEST on Sun 29 Mar 2026:
    // 02:30 does not exist that day.
    let nightly =
        compile(cron("30 2 * * *", "Europe/Berlin"), "2026-03-27T12:00:00Z").expect("valid");
    let mut dues = Vec::new();
    let mut after = at("2026-03-27T12:00:00Z");
    while let Some(due) = nightly
        .timing
        .next_after(after)
        .filter(|d| *d < at("2026-03-31T00:00:00Z"))
    {
        dues.push(due);
        after = due;
    }
    assert_eq!(
        dues,
        vec![
            at("2026-03-28T01:30:00Z"), // 02:30 CET
            at("2026-03-29T01:00:00Z"), // the gap: 03:00 CEST, the first instant after it
            at("2026-03-30T00:30:00Z"), // 02:30 CEST
        ]
    );
}

#[test]
fn a_cron_in_the_fall_back_overlap_runs_once() {
    // Europe/Berlin goes back from 03:00 CEST to 02:00 CET on Sun 25 Oct 2026:
    // 02:30 happens twice that night; it runs once.
    let nightly =
        compile(cron("30 2 * * *", "Europe/Berlin"), "2026-10-24T12:00:00Z").expect("valid");
    let first = nightly
        .timing
        .next_after(at("2026-10-24T12:00:00Z"))
        .expect("due");
    assert_eq!(first, at("2026-10-25T00:30:00Z")); // 02:30 CEST, the first of the two
    let second = nightly.timing.next_after(first).expect("due");
    assert_eq!(second, at("2026-10-26T01:30:00Z")); // the next day's 02:30 CET
}

#[test]
fn periodic_firings_stay_on_the_grid_of_the_creation() {
    let every = compile(
        ScheduleTiming::Periodic {
            interval_seconds: 2,
            max_executions: None,
        },
        "2026-12-01T10:00:00Z",
    )
    .expect("valid");
    assert_eq!(
        every.timing.next_after(at("2026-12-01T10:00:00Z")),
        Some(at("2026-12-01T10:00:02Z"))
    );
    // Late by 0.5 s: the next one is still on the grid, no drift.
    assert_eq!(
        every.timing.next_after(at("2026-12-01T10:00:02.500Z")),
        Some(at("2026-12-01T10:00:04Z"))
    );
    assert_eq!(
        every
            .timing
            .last_between(at("2026-12-01T10:00:02Z"), at("2026-12-01T10:00:09Z")),
        Some(at("2026-12-01T10:00:08Z"))
    );
    assert_eq!(
        every
            .timing
            .count_between(at("2026-12-01T10:00:02Z"), at("2026-12-01T10:00:08Z"), 100),
        4
    );
}

#[test]
fn once_and_delayed_are_due_one_time() {
    let once = compile(
        ScheduleTiming::Once {
            at: "2026-12-24T02:00:00+01:00".into(),
        },
        "2026-12-01T10:00:00Z",
    )
    .expect("valid");
    assert_eq!(
        once.timing.next_after(at("2026-12-01T10:00:00Z")),
        Some(at("2026-12-24T01:00:00Z"))
    );
    assert_eq!(once.timing.next_after(at("2026-12-24T01:00:00Z")), None);
    let delayed = compile(
        ScheduleTiming::Delayed { delay_seconds: 90 },
        "2026-12-01T10:00:00Z",
    )
    .expect("valid");
    assert_eq!(
        delayed.timing.next_after(at("2026-12-01T10:00:00Z")),
        Some(at("2026-12-01T10:01:30Z"))
    );
}

#[test]
fn every_mistake_is_refused_naming_its_field() {
    let now = "2026-12-01T10:00:00Z";
    assert_eq!(
        field_of(compile(cron("61 * * * *", "UTC"), now)),
        "schedule.expression"
    );
    assert_eq!(
        field_of(compile(cron("* * *", "UTC"), now)),
        "schedule.expression"
    );
    assert_eq!(
        field_of(compile(cron("0 2 * * *", "Mars/Olympus"), now)),
        "schedule.time_zone"
    );
    assert_eq!(
        field_of(compile(
            ScheduleTiming::Once {
                at: "2026-11-30T10:00:00Z".into()
            },
            now
        )),
        "schedule.at"
    );
    assert_eq!(
        field_of(compile(
            ScheduleTiming::Once {
                at: "tomorrow".into()
            },
            now
        )),
        "schedule.at"
    );
    assert_eq!(
        field_of(compile(
            ScheduleTiming::Periodic {
                interval_seconds: 0,
                max_executions: None
            },
            now
        )),
        "schedule.interval_seconds"
    );
    assert_eq!(
        field_of(compile(ScheduleTiming::Delayed { delay_seconds: 0 }, now)),
        "schedule.delay_seconds"
    );
    let bad_window = SchedulePolicies {
        blackout: vec![Blackout {
            expression: Some("* 9-17 * * *".into()),
            from: Some(now.into()),
            ..Blackout::default()
        }],
        ..SchedulePolicies::default()
    };
    let error = Compiled::from_parts(&cron("0 2 * * *", "UTC"), &bad_window, at(now), true)
        .expect_err("refused");
    assert_eq!(error.field, "policies.blackout[0]");
    let past_end = SchedulePolicies {
        expires_at: Some("2026-01-01T00:00:00Z".into()),
        ..SchedulePolicies::default()
    };
    let error = Compiled::from_parts(&cron("0 2 * * *", "UTC"), &past_end, at(now), true)
        .expect_err("refused");
    assert_eq!(error.field, "policies.expires_at");
}

#[test]
fn blackouts_close_their_minutes_or_dates() {
    let policies = SchedulePolicies {
        blackout: vec![
            Blackout {
                expression: Some("* 9-17 * * MON-FRI".into()),
                time_zone: Some("Europe/Berlin".into()),
                ..Blackout::default()
            },
            Blackout {
                from: Some("2026-12-24T00:00:00Z".into()),
                until: Some("2026-12-27T00:00:00Z".into()),
                ..Blackout::default()
            },
        ],
        ..SchedulePolicies::default()
    };
    let compiled = Compiled::from_parts(
        &cron("*/30 * * * *", "UTC"),
        &policies,
        at("2026-12-01T00:00:00Z"),
        true,
    )
    .expect("valid");
    // Tue 1 Dec, 09:30:15 Berlin (08:30:15 UTC): business hours, closed all minute long.
    assert!(compiled.blackout_at(at("2026-12-01T08:30:15Z")).is_some());
    assert!(compiled.blackout_at(at("2026-12-01T17:30:00Z")).is_none()); // 18:30 Berlin
    assert!(compiled.blackout_at(at("2026-12-05T10:00:00Z")).is_none()); // Saturday
    assert!(compiled.blackout_at(at("2026-12-25T12:00:00Z")).is_some()); // the dates
    assert!(compiled.blackout_at(at("2026-12-27T00:00:00Z")).is_none()); // `until` is exclusive
                                                                         // The upcoming list leaves the closed ones out.
    let upcoming = compiled.upcoming(
        at("2026-12-01T07:45:00Z"),
        at("2026-12-01T17:00:00Z"),
        0,
        50,
    );
    assert_eq!(upcoming.first(), Some(&at("2026-12-01T17:00:00Z")));
}

#[test]
fn plain_words_say_when() {
    let words = |timing: ScheduleTiming| {
        compile(timing.clone(), "2026-12-01T10:00:00Z")
            .expect("valid")
            .describe(&timing)
    };
    assert_eq!(
        words(cron("0 2 * * MON-FRI", "Europe/Berlin")),
        "every weekday at 02:00 Europe/Berlin"
    );
    assert_eq!(words(cron("*/1 * * * * *", "UTC")), "every second UTC");
    assert_eq!(words(cron("*/15 * * * *", "UTC")), "every 15 minutes UTC");
    assert_eq!(
        words(cron("30 6 * * 1", "UTC")),
        "every Monday at 06:30 UTC"
    );
    assert_eq!(
        words(ScheduleTiming::Periodic {
            interval_seconds: 7200,
            max_executions: Some(24)
        }),
        "every 2 hours, at most 24 times"
    );
    assert_eq!(
        words(ScheduleTiming::Once {
            at: "2026-12-24T02:00:00Z".into()
        }),
        "once at Thu 24 Dec 2026 02:00 UTC"
    );
    // Shapes without plain words keep the expression, with croner's reading.
    assert!(words(cron("0 0 L * *", "UTC")).starts_with("cron 0 0 L * * ("));
}

#[test]
fn upcoming_stops_at_the_cap_and_the_end() {
    let policies = SchedulePolicies {
        max_executions: Some(3),
        ..SchedulePolicies::default()
    };
    let compiled = Compiled::from_parts(
        &ScheduleTiming::Periodic {
            interval_seconds: 60,
            max_executions: None,
        },
        &policies,
        at("2026-12-01T10:00:00Z"),
        true,
    )
    .expect("valid");
    let until = at("2026-12-01T10:00:00Z") + SignedDuration::from_hours(1);
    assert_eq!(
        compiled
            .upcoming(at("2026-12-01T10:00:00Z"), until, 1, 50)
            .len(),
        2
    );
    let ending = SchedulePolicies {
        expires_at: Some("2026-12-01T10:05:30Z".into()),
        ..SchedulePolicies::default()
    };
    let compiled = Compiled::from_parts(
        &ScheduleTiming::Periodic {
            interval_seconds: 60,
            max_executions: None,
        },
        &ending,
        at("2026-12-01T10:00:00Z"),
        true,
    )
    .expect("valid");
    assert_eq!(
        compiled
            .upcoming(at("2026-12-01T10:00:00Z"), until, 0, 50)
            .len(),
        5
    );
}
