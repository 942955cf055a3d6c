//! `/schedules` (issue 18): every schedule with what it runs, when in plain
//! words, its next run in the viewer's time zone and in UTC, its last result
//! (linking the execution it started) and whether it is enabled; a strip of
//! the next 7 days with how many runs fall on each; and, for operators,
//! enable / disable, "Run now" (linking the execution started) and "Remove…"
//! behind an in-place confirmation. Schedules are made from a scenario page's
//! "Schedule…".
//!
//! The strip needs each schedule's due times, which the list does not carry:
//! a once or delayed schedule has one (its next run); a periodic or cron one
//! due within the week is asked for its detail (`upcoming`), for at most
//! [`MAX_DETAILS`] schedules, all at once.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::api::{
    auth::Role,
    schedule::{Firing, FiringResult, ScheduleTiming, ScheduleTriggered, ScheduleView},
    ApiError,
};
use crate::components::{
    day_label, day_of, time_of_day, today, viewer_zone, ConfirmButton, ErrorPanel, Loading,
    ZonedTime,
};
use crate::server_fns::{
    schedule::{
        get_schedule, list_schedules, remove_schedule, set_schedule_enabled, trigger_schedule,
    },
    server_resource,
};

/// How often the page re-reads the schedules (next runs move on, last
/// results come in), ms.
#[cfg(feature = "hydrate")]
const REFRESH_MS: u64 = 15_000;
/// The most schedules whose details the strip asks for.
const MAX_DETAILS: usize = 50;
/// The most due times a schedule's detail lists (`ScheduleDetail::upcoming`).
const UPCOMING_LISTED: usize = 50;
/// The days the strip shows, today first.
const STRIP_DAYS: i64 = 7;
/// Schedules named in one day of the strip; the rest are counted.
const NAMED_PER_DAY: usize = 4;

/// What the page shows: the schedules and each one's due times this week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Board {
    schedules: Vec<ScheduleView>,
    /// `(name, due times)` per schedule that fires this week.
    upcoming: Vec<(String, Vec<String>)>,
    /// More schedules were due this week than the strip asked about.
    partial: bool,
    /// A schedule has more runs this week than its detail lists.
    capped: bool,
}

/// The schedules, and the due times of those that fire within the week.
async fn load_board() -> Result<Board, ApiError> {
    let schedules = list_schedules().await?;
    let mut upcoming = Vec::new();
    let mut asks = Vec::new();
    for view in &schedules {
        let Some(next) = view.next_execution.clone() else {
            continue;
        };
        if !view.policies.enabled || view.ended.is_some() {
            continue;
        }
        match view.schedule {
            ScheduleTiming::Once { .. } | ScheduleTiming::Delayed { .. } => {
                upcoming.push((view.name.clone(), vec![next]));
            }
            ScheduleTiming::Periodic { .. } | ScheduleTiming::Cron { .. } => {
                asks.push((view.id.clone(), view.name.clone()));
            }
        }
    }
    let partial = asks.len() > MAX_DETAILS;
    asks.truncate(MAX_DETAILS);
    let details =
        futures::future::join_all(asks.iter().map(|(id, _)| get_schedule(id.clone()))).await;
    for ((_, name), detail) in asks.into_iter().zip(details) {
        // One removed meanwhile simply has no marks.
        if let Ok(detail) = detail {
            upcoming.push((name, detail.upcoming));
        }
    }
    let capped = upcoming
        .iter()
        .any(|(_, times)| times.len() >= UPCOMING_LISTED);
    Ok(Board {
        schedules,
        upcoming,
        partial,
        capped,
    })
}

/// What the last action did, for the line above the table.
#[derive(Debug, Clone, PartialEq)]
enum Feedback {
    Done(String),
    Failed(String),
    Started(ScheduleTriggered),
}

/// The Schedules page.
#[component]
pub fn Schedules() -> impl IntoView {
    let zone = viewer_zone();
    let toggle = Action::new(|(id, enabled): &(String, bool)| {
        let (id, enabled) = (id.clone(), *enabled);
        async move { set_schedule_enabled(id, enabled).await }
    });
    let trigger = Action::new(|id: &String| {
        let id = id.clone();
        async move { trigger_schedule(id).await }
    });
    let remove = Action::new(|id: &String| {
        let id = id.clone();
        async move { remove_schedule(id).await }
    });
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || tick.update(|t| *t += 1),
        std::time::Duration::from_millis(REFRESH_MS),
    ) {
        on_cleanup(move || handle.clear());
    }
    let board = server_resource(
        move || {
            (
                toggle.version().get(),
                trigger.version().get(),
                remove.version().get(),
                tick.get(),
            )
        },
        |_| load_board(),
    );

    let feedback = RwSignal::new(None::<Feedback>);
    Effect::new(move |_| match toggle.value().get() {
        Some(Ok(view)) => feedback.set(Some(Feedback::Done(format!(
            "“{}” is {}.",
            view.name,
            if view.policies.enabled {
                "enabled"
            } else {
                "disabled: it fires only when triggered"
            }
        )))),
        Some(Err(error)) => feedback.set(Some(Feedback::Failed(format!(
            "Not changed: {}",
            error.message
        )))),
        None => {}
    });
    Effect::new(move |_| match trigger.value().get() {
        Some(Ok(started)) => feedback.set(Some(Feedback::Started(started))),
        Some(Err(error)) => feedback.set(Some(Feedback::Failed(format!(
            "Not started: {}",
            error.message
        )))),
        None => {}
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => feedback.set(Some(Feedback::Done(
            "Schedule removed; the executions it started stay in the history.".to_owned(),
        ))),
        Some(Err(error)) => feedback.set(Some(Feedback::Failed(format!(
            "Not removed: {}",
            error.message
        )))),
        None => {}
    });
    let confirming = RwSignal::new(None::<String>);
    let operator = crate::me::can(Role::Operator);
    let actions = RowActions {
        operator,
        confirming,
        toggle,
        trigger,
        remove,
    };

    view! {
        <Title text="Schedules" />
        <div class="page-head">
            <div>
                <h1>"Schedules"</h1>
                <p class="muted">
                    "Scenarios that run by themselves: once, after a delay, every N seconds or on a cron calendar. Add one from a scenario's page with “Schedule…”. "
                    {move || match zone.get() {
                        Some(zone) => format!("Times are in your time zone ({zone}), then in UTC."),
                        None => "Times are in UTC.".to_owned(),
                    }}
                </p>
            </div>
        </div>
        <p id="schedule-feedback" role="status">
            {move || feedback.get().map(|said| match said {
                Feedback::Done(text) => view! { <span class="ok-text">{text}</span> }.into_any(),
                Feedback::Failed(text) => view! { <span class="form-error">{text}</span> }.into_any(),
                Feedback::Started(started) => match (started.execution_id, started.suite_id) {
                    (Some(id), _) => view! {
                        <span class="ok-text" id="trigger-feedback">"Started execution "
                            <a href=format!("/executions/{id}") id="triggered-execution">{short(&id)}</a>"."
                        </span>
                    }.into_any(),
                    (None, Some(suite)) => view! { <span class="ok-text" id="trigger-feedback">{format!("Started suite {suite}.")}</span> }.into_any(),
                    (None, None) => view! { <span class="ok-text" id="trigger-feedback">"Started."</span> }.into_any(),
                },
            })}
        </p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(board) => view! {
                        <CalendarStrip upcoming=board.upcoming partial=board.partial capped=board.capped zone />
                        <ScheduleTable schedules=board.schedules zone actions />
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The next 7 days, today first, each with its count of runs and the
/// schedules due that day; in the viewer's days once the page runs (UTC's
/// before).
#[component]
fn CalendarStrip(
    upcoming: Vec<(String, Vec<String>)>,
    partial: bool,
    capped: bool,
    zone: ReadSignal<Option<String>>,
) -> impl IntoView {
    let days = move || {
        let local = zone.get().is_some();
        let first = today(local);
        (0..STRIP_DAYS)
            .filter_map(|offset| first.checked_add(time::Duration::days(offset)))
            .map(|day| {
                // (name, times of day) of each schedule due that day.
                let mut due: Vec<(String, Vec<String>)> = Vec::new();
                for (name, times) in &upcoming {
                    let on_day: Vec<String> = times
                        .iter()
                        .filter(|at| day_of(at, local) == Some(day))
                        // The time alone: the column names the day.
                        .filter_map(|at| time_of_day(at, local))
                        .collect();
                    if !on_day.is_empty() {
                        due.push((name.clone(), on_day));
                    }
                }
                (day, due)
            })
            .collect::<Vec<_>>()
    };
    view! {
        <section aria-labelledby="calendar-title">
            <h2 id="calendar-title">"The next 7 days"</h2>
            <ol class="calendar-strip" id="calendar-strip">
                {move || days().into_iter().enumerate().map(|(index, (day, due))| {
                    let count: usize = due.iter().map(|(_, times)| times.len()).sum();
                    let more = due.len().saturating_sub(NAMED_PER_DAY);
                    let (is_today, busy) = (index == 0, count > 0);
                    view! {
                        <li class="calendar-day" class:calendar-today=is_today class:calendar-busy=busy
                            data-day=day.to_string() data-count=count.to_string()>
                            <span class="calendar-date">{day_label(day)}{(index == 0).then_some(" (today)")}</span>
                            <span class="calendar-count">{match count { 0 => "no runs".to_owned(), 1 => "1 run".to_owned(), n => format!("{n} runs") }}</span>
                            {(!due.is_empty()).then(|| view! {
                                <ul class="calendar-marks">
                                    {due.into_iter().take(NAMED_PER_DAY).map(|(name, times)| {
                                        let title = times.join(", ");
                                        let label = if times.len() == 1 { format!("{name} {title}") } else { format!("{name} ×{}", times.len()) };
                                        view! { <li title=title>{label}</li> }
                                    }).collect_view()}
                                    {(more > 0).then(|| view! { <li class="muted">{format!("+{more} more")}</li> })}
                                </ul>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
            {capped.then(|| view! { <p class="hint" id="calendar-capped">{format!("Counts each schedule's next {UPCOMING_LISTED} runs at most.")}</p> })}
            {partial.then(|| view! { <p class="hint">{format!("Counts the first {MAX_DETAILS} periodic and cron schedules due this week.")}</p> })}
        </section>
    }
}

/// The page's actions, for each row.
#[derive(Clone, Copy)]
struct RowActions {
    operator: bool,
    confirming: RwSignal<Option<String>>,
    toggle: Action<(String, bool), Result<ScheduleView, ApiError>>,
    trigger: Action<String, Result<ScheduleTriggered, ApiError>>,
    remove: Action<String, Result<(), ApiError>>,
}

#[component]
fn ScheduleTable(
    schedules: Vec<ScheduleView>,
    zone: ReadSignal<Option<String>>,
    actions: RowActions,
) -> impl IntoView {
    if schedules.is_empty() {
        return view! {
            <p class="panel" id="no-schedules">"No schedules yet. Open a scenario and choose “Schedule…” to run it on a calendar."</p>
        }
        .into_any();
    }
    view! {
        <section aria-labelledby="schedules-title">
            <h2 id="schedules-title">"All schedules"</h2>
            <div class="table-wrap">
                <table class="table" id="schedules-table">
                    <thead><tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Runs"</th>
                        <th scope="col">"When"</th>
                        <th scope="col">"Next run"</th>
                        <th scope="col">"Last result"</th>
                        <th scope="col">"State"</th>
                        {actions.operator.then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr></thead>
                    <tbody>
                        {schedules.into_iter().map(|view| view! { <ScheduleRow view zone actions /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn ScheduleRow(
    view: ScheduleView,
    zone: ReadSignal<Option<String>>,
    actions: RowActions,
) -> impl IntoView {
    let ScheduleView {
        id,
        name,
        target,
        description,
        options,
        policies,
        next_execution,
        execution_count,
        last_firing,
        ended,
        ..
    } = view;
    let enabled = policies.enabled;
    let next = match (enabled, ended, next_execution) {
        (_, Some(why), _) => {
            view! { <span class="muted">{format!("none: {why}")}</span> }.into_any()
        }
        (false, None, _) => view! { <span class="muted">"none while disabled"</span> }.into_any(),
        (true, None, Some(at)) => view! { <ZonedTime at zone /> }.into_any(),
        (true, None, None) => view! { <span class="muted">"none"</span> }.into_any(),
    };
    let runs = format!(
        "{execution_count} run{} so far · speed ×{}",
        if execution_count == 1 { "" } else { "s" },
        options.speed
    );
    let RowActions {
        operator,
        confirming,
        toggle,
        trigger,
        remove,
    } = actions;
    let row_actions = operator.then(|| {
        let (toggle_id, trigger_id, remove_id) = (id.clone(), id.clone(), id.clone());
        view! {
            <td><div class="row-actions">
                <button type="button" class="button schedule-toggle" id=format!("toggle-{id}")
                    disabled=move || toggle.pending().get()
                    on:click=move |_| { toggle.dispatch((toggle_id.clone(), !enabled)); }>
                    {if enabled { "Disable" } else { "Enable" }}
                </button>
                <button type="button" class="button schedule-trigger" id=format!("trigger-{id}")
                    title="Run it now, whatever its calendar says"
                    disabled=move || trigger.pending().get()
                    on:click=move |_| { trigger.dispatch(trigger_id.clone()); }>
                    "Run now"
                </button>
                <ConfirmButton key=id.clone() id=format!("remove-{id}") label="Remove…"
                    question=format!("Remove “{name}”? It stops firing; the executions it started stay.")
                    yes="Yes, remove" confirming on_confirm=move || { remove.dispatch(remove_id.clone()); } />
            </div></td>
        }
    });
    view! {
        <tr data-schedule=id.clone() data-name=name.clone()>
            <th scope="row">{name.clone()}<div class="muted schedule-runs-count">{runs}</div></th>
            <td class="schedule-target">{target}</td>
            <td class="schedule-when">{description}</td>
            <td class="schedule-next">{next}</td>
            <td class="schedule-last">{last_result(last_firing, zone)}</td>
            <td class="schedule-state">
                {if enabled {
                    view! { <span class="badge badge-enabled">"enabled"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-disabled">"disabled"</span> }.into_any()
                }}
            </td>
            {row_actions}
        </tr>
    }
}

/// The last firing: what became of it, the execution it started, when.
fn last_result(firing: Option<Firing>, zone: ReadSignal<Option<String>>) -> impl IntoView {
    let Some(firing) = firing else {
        return view! { <span class="muted">"not run yet"</span> }.into_any();
    };
    let (word, class) = match firing.result {
        FiringResult::Submitted => ("started", "badge badge-completed"),
        FiringResult::Claimed => ("starting", "badge badge-queued"),
        FiringResult::Skipped => ("skipped", "badge badge-stopped"),
        FiringResult::Failed => ("failed", "badge badge-failed"),
    };
    let manual = firing.reason.as_deref() == Some("trigger");
    let reason = firing
        .reason
        .filter(|reason| reason != "trigger")
        .map(|reason| format!(": {reason}"));
    view! {
        <span class=class>{word}</span>
        {manual.then_some(" by hand")}
        {reason}
        {firing.execution_id.map(|id| view! {
            " · "<a class="schedule-execution" href=format!("/executions/{id}")>{format!("execution {}", short(&id))}</a>
        })}
        {firing.suite_id.map(|id| view! { " · "{format!("suite {}", short(&id))} })}
        <div class="muted"><ZonedTime at=firing.fired_at zone /></div>
    }
    .into_any()
}

/// The first 8 characters of an id, enough to tell executions apart.
fn short(id: &str) -> String {
    id.chars().take(8).collect()
}
