//! `/executions/compare?a=ID&b=ID`: two finished executions side by side, `a`
//! the baseline and `b` judged against it. Verdicts and criteria, each
//! assertion's time to hold, action latencies, the workload's figures before,
//! during and after the chaos, the recovery time, and both timelines on one
//! time axis. Every difference is written as text (`▼ worse`, `+400ms (+50 %)`)
//! as well as coloured.
//!
//! The history's form sends `?pick=ID&pick=ID` (newest first, as the history
//! lists them): the older one becomes `a`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::compare::{Change, ComparedRun, ExecutionComparison, FigureDiff};
use crate::api::describe::format_ms;
use crate::components::compare_timeline::compare_timeline_svg;
use crate::components::{readable_time, set_not_found_status, ErrorPanel, Loading, StatusBadge};
use crate::server_fns::{compare_executions, server_resource};

/// The comparison page.
#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    let pair = Memo::new(move |_| {
        let q = query.read();
        match (q.get("a"), q.get("b")) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                // The history lists newest first: its second pick is the older.
                let picks = q.get_all("pick").unwrap_or_default();
                match picks.as_slice() {
                    [newer, older] => (older.clone(), newer.clone()),
                    _ => (String::new(), String::new()),
                }
            }
        }
    });
    let comparison = server_resource(move || pair.get(), |(a, b)| compare_executions(a, b));
    view! {
        <Title text="Compare executions" />
        <p class="breadcrumbs"><a href="/executions">"Executions"</a>" / compare"</p>
        <h1>"Compare executions"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match comparison.await {
                    Ok(c) => view! { <Comparison c /> }.into_any(),
                    Err(error) => {
                        set_not_found_status(&error);
                        view! {
                            <ErrorPanel error />
                            <p><a href="/executions">"Choose two finished executions in the history"</a></p>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// A change as a table cell: the word and the class that colours it.
fn change_cell(change: Change) -> impl IntoView {
    view! { <td class=format!("cmp-change cmp-{}", change.as_str())>{change.label()}</td> }
}

/// A row's class, so worse and better lines stand out.
fn row_class(change: Change) -> String {
    format!("cmp-row cmp-row-{}", change.as_str())
}

/// The three cells of a figure: `a`, `b` and the difference.
fn figure_cells(figure: &FigureDiff) -> impl IntoView {
    view! {
        <td class="num">{figure.value_text(figure.a)}</td>
        <td class="num">{figure.value_text(figure.b)}</td>
        <td class="num cmp-delta">{figure.delta_text()}</td>
    }
}

fn yes_no(held: Option<bool>) -> &'static str {
    match held {
        Some(true) => "✓ held",
        Some(false) => "✗ did not hold",
        None => "—",
    }
}

#[component]
fn Comparison(c: ExecutionComparison) -> impl IntoView {
    let swap = format!("/executions/compare?a={}&b={}", c.b.id, c.a.id);
    let verdict_line = match c.verdict {
        Change::Better => "B passed where A did not.",
        Change::Worse => "B failed where A passed.",
        _ if c.a.passed => "Both passed.",
        _ => "Neither passed.",
    };
    let svg = compare_timeline_svg(&c);
    let ExecutionComparison {
        a,
        b,
        same_scenario,
        verdict,
        criteria,
        assertions,
        actions,
        workload,
        recovery_ms,
        better,
        worse,
        ..
    } = c;
    view! {
        {(!same_scenario).then(|| view! {
            <p class="panel panel-warn" id="compare-different">
                "These executions ran different scenarios ("{a.scenario_name.clone()}" and "{b.scenario_name.clone()}"): lines are matched by phase and name, so many will be only in one."
            </p>
        })}
        <div class="cmp-heads">
            <RunCard run=a label="A · baseline" role="a" />
            <RunCard run=b label="B" role="b" />
        </div>
        <p class=format!("cmp-summary cmp-{}", verdict.as_str()) id="compare-summary">
            <strong>{verdict_line}</strong>
            {format!(" Against A, B is better on {better} line(s) and worse on {worse}.")}
            " "<a href=swap id="compare-swap">"Swap A and B"</a>
        </p>
        <section aria-labelledby="cmp-timeline-title">
            <h2 id="cmp-timeline-title">"Timelines on one axis"</h2>
            <p class="muted">"Scenario time. Bands are phases as they ran; ◆ actions, ● assertions that held, ✗ those that did not; the green line is the recovery."</p>
            <div class="cmp-timeline-box" inner_html=svg></div>
        </section>
        <section aria-labelledby="cmp-criteria-title">
            <h2 id="cmp-criteria-title">"Success criteria"</h2>
            <div class="table-wrap">
            <table class="table cmp-table" id="compare-criteria">
                <thead><tr><th scope="col">"Criterion"</th><th scope="col">"A"</th><th scope="col">"B"</th><th scope="col">"Change"</th></tr></thead>
                <tbody>
                    {criteria.into_iter().map(|l| view! {
                        <tr class=row_class(l.change)>
                            <th scope="row">{l.name}</th>
                            <td title=l.a_detail.unwrap_or_default()>{yes_no(l.a)}</td>
                            <td title=l.b_detail.unwrap_or_default()>{yes_no(l.b)}</td>
                            {change_cell(l.change)}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
        <section aria-labelledby="cmp-recovery-title">
            <h2 id="cmp-recovery-title">"Recovery time"</h2>
            <div class="table-wrap">
            <table class="table cmp-table" id="compare-recovery">
                <thead><tr><th scope="col">""</th><th scope="col">"A"</th><th scope="col">"B"</th><th scope="col">"Difference"</th><th scope="col">"Change"</th></tr></thead>
                <tbody>
                    <tr class=row_class(recovery_ms.change)>
                        <th scope="row">"From the clear of the chaos"</th>
                        {figure_cells(&recovery_ms)}
                        {change_cell(recovery_ms.change)}
                    </tr>
                </tbody>
            </table>
            </div>
        </section>
        <section aria-labelledby="cmp-assertions-title">
            <h2 id="cmp-assertions-title">"Assertions: outcome and time to hold"</h2>
            <div class="table-wrap">
            <table class="table cmp-table" id="compare-assertions">
                <thead><tr><th scope="col">"Phase"</th><th scope="col">"Assertion"</th><th scope="col">"A"</th><th scope="col">"B"</th><th scope="col">"Difference"</th><th scope="col">"Change"</th></tr></thead>
                <tbody>
                    {assertions.into_iter().map(|l| {
                        let side = |s: &Option<crate::api::compare::AssertionSide>| s.as_ref().map_or("—".to_owned(), |s| match s.time_to_hold_ms {
                            Some(t) => format!("{} in {}", s.outcome, format_ms(t)),
                            None => s.outcome.clone(),
                        });
                        let loop_ = if l.iteration > 1 { format!(" (loop {})", l.iteration) } else { String::new() };
                        view! {
                            <tr class=row_class(l.change)>
                                <td>{format!("{}{loop_}", l.phase)}</td>
                                <th scope="row"><code>{format!("#{} {}", l.index + 1, l.assertion_type)}</code>{l.service.map(|s| format!(" · {s}"))}</th>
                                <td title=l.a.as_ref().map(|s| s.message.clone()).unwrap_or_default()>{side(&l.a)}</td>
                                <td title=l.b.as_ref().map(|s| s.message.clone()).unwrap_or_default()>{side(&l.b)}</td>
                                <td class="num cmp-delta">{l.time_to_hold.delta_text()}</td>
                                {change_cell(l.change)}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
        <section aria-labelledby="cmp-actions-title">
            <h2 id="cmp-actions-title">"Action latencies"</h2>
            <div class="table-wrap">
            <table class="table cmp-table" id="compare-actions">
                <thead><tr><th scope="col">"Phase"</th><th scope="col">"Action"</th><th scope="col">"A"</th><th scope="col">"B"</th><th scope="col">"Difference"</th><th scope="col">"Change"</th></tr></thead>
                <tbody>
                    {actions.into_iter().map(|l| {
                        let refused = |s: &Option<crate::api::compare::ActionSide>| s.as_ref().is_some_and(|s| s.ok != Some(true));
                        let cell = |value: Option<f64>, refused: bool| {
                            let text = l.latency.value_text(value);
                            if refused { format!("✗ {text}") } else { text }
                        };
                        view! {
                            <tr class=row_class(l.change)>
                                <td>{l.phase.clone()}</td>
                                <th scope="row"><code>{format!("{}.{}", l.service, l.action)}</code>{(l.ordinal > 1).then(|| format!(" (call {})", l.ordinal))}</th>
                                <td class="num" title=l.a.as_ref().map(|s| s.message.clone()).unwrap_or_default()>{cell(l.latency.a, refused(&l.a))}</td>
                                <td class="num" title=l.b.as_ref().map(|s| s.message.clone()).unwrap_or_default()>{cell(l.latency.b, refused(&l.b))}</td>
                                <td class="num cmp-delta">{l.latency.delta_text()}</td>
                                {change_cell(l.change)}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
        {(!workload.is_empty()).then(|| view! {
            <section aria-labelledby="cmp-workload-title">
                <h2 id="cmp-workload-title">"Workload before, during and after the chaos"</h2>
                <div class="table-wrap">
                <table class="table cmp-table" id="compare-workload">
                    <thead><tr><th scope="col">"Window"</th><th scope="col">"Figure"</th><th scope="col">"A"</th><th scope="col">"B"</th><th scope="col">"Difference"</th><th scope="col">"Change"</th></tr></thead>
                    <tbody>
                        {workload.into_iter().map(|l| view! {
                            <tr class=row_class(l.figure.change)>
                                <td>{format!("{} chaos", l.window)}</td>
                                <th scope="row">{l.name}</th>
                                {figure_cells(&l.figure)}
                                {change_cell(l.figure.change)}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            </section>
        })}
    }
}

/// One execution's header: which, its state and verdict, when and how fast.
#[component]
fn RunCard(run: ComparedRun, label: &'static str, role: &'static str) -> impl IntoView {
    let verdict_text = if run.passed {
        "✓ PASSED"
    } else {
        "✗ NOT PASSED"
    };
    view! {
        <div class=format!("panel cmp-head cmp-head-{role}") id=format!("compare-{role}")>
            <h2>{label}</h2>
            <p>
                <a href=format!("/executions/{}", run.id)>{run.scenario_name}</a>
                " "<StatusBadge status=run.status />
            </p>
            <p class=if run.passed { "cmp-verdict cmp-verdict-passed" } else { "cmp-verdict cmp-verdict-failed" }>
                <strong>{verdict_text}</strong>" "{run.verdict_summary.unwrap_or_default()}
            </p>
            <p class="card-meta">
                <code>{run.id.clone()}</code>
                <span>{readable_time(&run.created_at)}</span>
                <span class="tag">{format!("speed ×{}", run.speed)}</span>
                {run.dry_run.then(|| view! { <span class="tag tag-warn">"dry run"</span> })}
                <span>{format!("scenario time {}", format_ms(run.scenario_elapsed_ms))}</span>
                {run.duration_ms.map(|d| view! { <span>{format!("wall {}", format_ms(d))}</span> })}
            </p>
        </div>
    }
}
