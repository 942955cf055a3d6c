//! How `schedule list`, `show` and the other verbs print a schedule for
//! people (`--json` prints the server's answer instead).

use app::api::schedule::{
    ConcurrencyPolicy, Firing, MissedPolicy, ScheduleDetail, ScheduleList, ScheduleView,
};

/// `2026-12-02T21:30:00Z` as `2026-12-02 21:30:00 UTC`; anything else as given.
pub(super) fn utc(instant: &str) -> String {
    match instant.strip_suffix('Z') {
        Some(rest) if rest.len() >= 19 && rest.as_bytes().get(10) == Some(&b'T') => {
            // Whole seconds are enough to read; fractions are in --json.
            format!("{} {} UTC", &rest[..10], &rest[11..19])
        }
        _ => instant.to_owned(),
    }
}

/// The next run as the list and the views show it.
pub(super) fn next_run(view: &ScheduleView) -> String {
    match (&view.next_execution, &view.ended) {
        (Some(next), _) => utc(next),
        (None, Some(ended)) => format!("- ({ended})"),
        (None, None) => "-".to_owned(),
    }
}

/// A firing's result in one word, with its reason when skipped or failed.
pub(super) fn result_words(firing: &Firing) -> String {
    match &firing.reason {
        Some(reason) => format!("{} ({reason})", firing.result.as_str()),
        None => firing.result.as_str().to_owned(),
    }
}

pub(super) fn yes_no(yes: bool) -> &'static str {
    if yes {
        "yes"
    } else {
        "no"
    }
}

pub(super) fn print_list(list: &ScheduleList) {
    if list.schedules.is_empty() {
        println!("no schedules");
        return;
    }
    let name_width = list
        .schedules
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 40);
    println!(
        "{:<36}  {:<name_width$}  {:<23}  {:<12}  ENABLED",
        "ID", "NAME", "NEXT RUN (UTC)", "LAST RESULT"
    );
    for s in &list.schedules {
        let name: String = if s.name.chars().count() > name_width {
            let mut cut: String = s.name.chars().take(name_width - 1).collect();
            cut.push('…');
            cut
        } else {
            s.name.clone()
        };
        let last = s.last_firing.as_ref().map_or("-", |f| f.result.as_str());
        println!(
            "{:<36}  {name:<name_width$}  {:<23}  {last:<12}  {}",
            s.id,
            // The reason is in `show`; the column keeps its width.
            match (&s.next_execution, &s.ended) {
                (Some(next), _) => utc(next),
                (None, Some(_)) => "ended".to_owned(),
                (None, None) => "-".to_owned(),
            },
            yes_no(s.policies.enabled)
        );
    }
}

/// The lines a schedule shows after `add`, `enable`, `disable` and in `show`.
pub(super) fn print_view(view: &ScheduleView) {
    println!("  name        {}", view.name);
    println!("  runs        {}", view.target);
    println!("  when        {}", view.description);
    println!("  enabled     {}", yes_no(view.policies.enabled));
    println!("  next run    {}", next_run(view));
}

pub(super) fn print_detail(detail: &ScheduleDetail) {
    let view = &detail.schedule;
    let policies = &view.policies;
    println!("schedule {}", view.id);
    print_view(view);
    println!(
        "  options     speed {}{}{}{}",
        view.options.speed,
        if view.options.dry_run {
            ", dry run"
        } else {
            ""
        },
        if view.options.continue_on_failure {
            ", continue on failure"
        } else {
            ""
        },
        if view.options.repeat > 1 {
            format!(", repeat {}", view.options.repeat)
        } else {
            String::new()
        }
    );
    let concurrency = match policies.concurrency {
        ConcurrencyPolicy::Forbid => "forbid",
        ConcurrencyPolicy::Allow => "allow",
        ConcurrencyPolicy::Replace => "replace",
    };
    let missed = match policies.missed {
        MissedPolicy::Skip => "skip",
        MissedPolicy::RunOnce => "run_once",
    };
    println!(
        "  policies    concurrency {concurrency}, missed {missed}{}{}{}{}",
        policies
            .starting_deadline_seconds
            .map(|s| format!(" (within {s} s)"))
            .unwrap_or_default(),
        if policies.blackout.is_empty() {
            String::new()
        } else {
            format!(", {} blackout window(s)", policies.blackout.len())
        },
        policies
            .max_executions
            .map(|n| format!(", at most {n} executions"))
            .unwrap_or_default(),
        policies
            .expires_at
            .as_ref()
            .map(|at| format!(", expires {at}"))
            .unwrap_or_default()
    );
    println!("  executions  {}", view.execution_count);
    if let Some(ended) = &view.ended {
        println!("  ended       {ended}");
    }
    println!("  created     {} by {}", view.created_at, view.created_by);
    const SHOWN: usize = 10;
    if detail.upcoming.is_empty() {
        println!("upcoming (next 7 days): none");
    } else {
        println!("upcoming (next 7 days):");
        for at in detail.upcoming.iter().take(SHOWN) {
            println!("  {}", utc(at));
        }
        if detail.upcoming.len() > SHOWN {
            println!("  … and {} more", detail.upcoming.len() - SHOWN);
        }
    }
    if detail.firings.is_empty() {
        println!("firings: none yet");
        return;
    }
    println!("firings (newest first):");
    println!(
        "  {:<23}  {:>10}  {:<36}  RESULT",
        "DUE (UTC)", "LATE ms", "EXECUTION"
    );
    for firing in &detail.firings {
        let started = firing
            .execution_id
            .as_deref()
            .or(firing.suite_id.as_deref())
            .unwrap_or("-");
        println!(
            "  {:<23}  {:>10}  {started:<36}  {}",
            utc(&firing.due_at),
            firing.lateness_ms,
            result_words(firing)
        );
    }
}
