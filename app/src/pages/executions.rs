//! `/executions`: the history, newest first, filtered by part of the scenario's
//! name, state and a range of days through query parameters (server-rendered,
//! works without JavaScript), paged.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::api::{ui::HistoryQuery, ExecutionStatus, ExecutionSummary};
use crate::components::{
    readable_time, submit_form_of, ComparePicker, ErrorPanel, Loading, StatusBadge,
};
use crate::server_fns::{get_history, server_resource};

/// How many executions one page of the history shows.
const PAGE_SIZE: u32 = 20;

/// The execution history.
#[component]
pub fn Executions() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let text = |key: &str| q.get(key).unwrap_or_default();
        let page = q
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1);
        Filter {
            scenario: text("scenario"),
            status: text("status"),
            from: text("from"),
            to: text("to"),
            page,
        }
    });
    let history = server_resource(
        move || filter.get(),
        |f| {
            let some = |s: String| (!s.is_empty()).then_some(s);
            get_history(HistoryQuery {
                scenario: some(f.scenario),
                status: some(f.status),
                from: some(f.from),
                to: some(f.to),
                limit: PAGE_SIZE,
                offset: (f.page - 1) * PAGE_SIZE,
            })
        },
    );
    let page_link = move |page: u32| {
        let f = filter.get();
        let params = [
            ("scenario", f.scenario),
            ("status", f.status),
            ("from", f.from),
            ("to", f.to),
        ];
        let mut link = "/executions?".to_owned();
        for (key, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
            link.push_str(&format!("{key}={}&", crate::components::query_value(value)));
        }
        link.push_str(&format!("page={page}"));
        link
    };
    let date_problem = RwSignal::new(None::<String>);
    view! {
        <Title text="Executions" />
        <h1>"Executions"</h1>
        <Form method="GET" action="/executions" attr:class="filters" attr:role="search" on_form_data=crate::components::drop_empty_fields()>
            <label>"Scenario"
                <input type="search" name="scenario" id="history-scenario" placeholder="part of its name" prop:value=move || filter.get().scenario />
            </label>
            <label>"State"
                <select name="status" id="history-status" on:change:target=move |ev| submit_form_of(&ev.target())>
                    <option value="" selected=move || filter.get().status.is_empty()>"Any state"</option>
                    {ExecutionStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || filter.get().status == s.as_str()>{s.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"From (UTC)"
                <input type="date" name="from" id="history-from" prop:value=move || filter.get().from />
            </label>
            <label>"To (UTC)"
                <input type="date" name="to" id="history-to" prop:value=move || filter.get().to />
            </label>
            <button type="submit" class="button" id="history-filter" on:click=move |ev| check_dates(ev, date_problem)>"Filter"</button>
            <p class="form-error" id="history-date-error" role="alert">{move || date_problem.get()}</p>
        </Form>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(found) => {
                        let page = filter.get_untracked().page;
                        let pages = found.total.div_ceil(u64::from(PAGE_SIZE)).max(1) as u32;
                        view! {
                            <ComparePicker rows=found.rows />
                            <nav class="pager" aria-label="Pages">
                                {(page > 1).then(|| view! { <a class="button" rel="prev" href=page_link(page - 1)>"← Newer"</a> })}
                                <span id="history-page">{format!("Page {page} of {pages} · {} executions", found.total)}</span>
                                {(page < pages).then(|| view! { <a class="button" rel="next" href=page_link(page + 1)>"Older →"</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Stops a Filter click when a date field holds a half-typed or impossible date
/// (the browser then reports it as empty, and the filter would silently ignore
/// it), and says which one.
fn check_dates(ev: leptos::ev::MouseEvent, problem: RwSignal<Option<String>>) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let document = leptos::prelude::document();
        let bad: Vec<&str> = [("history-from", "From"), ("history-to", "To")]
            .into_iter()
            .filter(|(id, _)| {
                document
                    .get_element_by_id(id)
                    .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
                    .is_some_and(|input| !input.check_validity())
            })
            .map(|(_, label)| label)
            .collect();
        if bad.is_empty() {
            problem.set(None);
        } else {
            ev.prevent_default();
            problem.set(Some(format!(
                "The {} date is incomplete or not a real date: finish it (year, month and day) or clear it.",
                bad.join(" and ")
            )));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, problem);
}

/// The history's filters as the address carries them (empty = any).
#[derive(Debug, Clone, PartialEq)]
struct Filter {
    scenario: String,
    status: String,
    from: String,
    to: String,
    page: u32,
}

/// A table of executions, each linking to its page, or a note that there are none.
/// With `pick`, each finished execution gets a checkbox that keeps its id there
/// (the history's compare picker).
#[component]
pub fn ExecutionTable(
    rows: Vec<ExecutionSummary>,
    #[prop(optional)] pick: Option<RwSignal<Vec<String>>>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="panel" id="no-executions">"No executions recorded yet."</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
        <table class="table" id="executions-table">
            <thead>
                <tr>{pick.map(|_| view! { <th scope="col"><span class="visually-hidden">"Compare"</span></th> })}<th scope="col">"Scenario"</th><th scope="col">"State"</th><th scope="col">"Started by"</th><th scope="col">"Submitted"</th><th scope="col">"Ended"</th></tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|e| view! {
                    <tr data-id=e.id.clone()>
                        {pick.map(|picked| pick_cell(picked, &e))}
                        <th scope="row"><a href=format!("/executions/{}", e.id)>{e.scenario_name}</a></th>
                        <td><StatusBadge status=e.status stopped_by=e.stopped_by /></td>
                        <td>{e.started_by}</td>
                        <td><time datetime=e.created_at.clone()>{readable_time(&e.created_at)}</time></td>
                        <td>{e.finished_at.as_deref().map(readable_time).unwrap_or_else(|| "—".to_owned())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

/// A row's compare checkbox: only finished executions can be compared.
fn pick_cell(picked: RwSignal<Vec<String>>, e: &ExecutionSummary) -> impl IntoView {
    let id = e.id.clone();
    let finished = ExecutionStatus::parse(&e.status).is_some_and(ExecutionStatus::is_finished);
    let label = format!(
        "Compare {} of {}",
        e.scenario_name,
        readable_time(&e.created_at)
    );
    let on_change = {
        let id = id.clone();
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            picked.update(|p| {
                p.retain(|x| *x != id);
                if on {
                    p.push(id.clone());
                }
            });
        }
    };
    view! {
        <td class="pick">
            <input type="checkbox" name="pick" value=id class="compare-pick" aria-label=label
                disabled=!finished
                title=if finished { "" } else { "only finished executions can be compared" }
                on:change=on_change />
        </td>
    }
}
