//! `/audit`: the audit log, newest first — one row for every state-changing
//! request, accepted or refused (docs/auth.md). Filtered by user, action and
//! day through query parameters, like the history, so a filtered view can be
//! linked and renders without JavaScript; paged with `before`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::api::auth::{AuditEntry, AuditOutcome, AuditQuery, AUDIT_ACTIONS};
use crate::components::{query_value, readable_time, ErrorPanel, Loading};
use crate::server_fns::{server_resource, team::get_audit};

/// Rows on one page.
const PAGE_SIZE: u32 = 50;

/// The filters as the address carries them (empty = any).
#[derive(Debug, Clone, PartialEq)]
struct Filter {
    user: String,
    action: String,
    day: String,
    before: Option<i64>,
}

impl Filter {
    /// The address of this filter's page that starts before row `before`.
    fn link(&self, before: Option<i64>) -> String {
        let mut link = "/audit".to_owned();
        let mut sep = '?';
        for (key, value) in [
            ("user", &self.user),
            ("action", &self.action),
            ("day", &self.day),
        ] {
            if !value.is_empty() {
                link.push_str(&format!("{sep}{key}={}", query_value(value)));
                sep = '&';
            }
        }
        if let Some(before) = before {
            link.push_str(&format!("{sep}before={before}"));
        }
        link
    }
}

/// The audit page.
#[component]
pub fn Audit() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let text = |key: &str| q.get(key).map(|v| v.trim().to_owned()).unwrap_or_default();
        Filter {
            user: text("user"),
            action: text("action"),
            day: text("day"),
            before: q.get("before").and_then(|b| b.parse().ok()),
        }
    });
    let page = server_resource(
        move || filter.get(),
        |f| {
            let some = |s: String| (!s.is_empty()).then_some(s);
            get_audit(AuditQuery {
                user: some(f.user),
                action: some(f.action),
                day: some(f.day),
                before: f.before,
                limit: Some(PAGE_SIZE),
            })
        },
    );
    view! {
        <Title text="Audit log" />
        <h1>"Audit log"</h1>
        <p class="muted">"Every state-changing request, accepted or refused: who, from where, what and how it ended. Nothing here can be changed or deleted."</p>
        <Form method="GET" action="/audit" attr:class="filters" attr:role="search" on_form_data=crate::components::drop_empty_fields()>
            <label>"User"
                <input type="search" name="user" id="audit-user" placeholder="exact name" autocomplete="off" spellcheck="false"
                    prop:value=move || filter.get().user />
            </label>
            <label>"Action"
                <input type="search" name="action" id="audit-action" list="audit-actions" placeholder="any action" autocomplete="off" spellcheck="false"
                    prop:value=move || filter.get().action />
                <datalist id="audit-actions">
                    {AUDIT_ACTIONS.into_iter().map(|a| view! { <option value=a></option> }).collect_view()}
                </datalist>
            </label>
            <label>"Day (UTC)"
                <input type="date" name="day" id="audit-day" prop:value=move || filter.get().day />
            </label>
            <button type="submit" class="button" id="audit-filter">"Filter"</button>
            <a class="button" href="/audit" id="audit-clear">"Clear"</a>
        </Form>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(found) => {
                        let f = filter.get_untracked();
                        let newest = f.before.is_some().then(|| f.link(None));
                        let older = found.next_before.map(|before| f.link(Some(before)));
                        view! {
                            <AuditTable entries=found.entries />
                            <nav class="pager" aria-label="Pages">
                                {newest.map(|href| view! { <a class="button" href=href id="audit-newest">"← Newest"</a> })}
                                {older.map(|href| view! { <a class="button" rel="next" href=href id="audit-older">"Older →"</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="panel" id="no-audit">"No rows match."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" id="audit-table">
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"From"</th><th scope="col">"Action"</th>
                    <th scope="col">"Target"</th><th scope="col">"Status"</th><th scope="col">"Outcome"</th>
                </tr></thead>
                <tbody>
                    {entries.into_iter().map(|e| {
                        let (class, outcome) = match e.outcome {
                            AuditOutcome::Accepted => ("badge badge-accepted", "✓ accepted"),
                            AuditOutcome::Refused => ("badge badge-refused", "✗ refused"),
                        };
                        let (action, actor) = (e.action.clone(), e.actor.clone());
                        view! {
                            <tr data-id=e.id data-action=action data-actor=actor>
                                <td><time datetime=e.at.clone()>{readable_time(&e.at)}</time></td>
                                <td>{e.actor}</td>
                                <td><code>{e.address}</code></td>
                                <td><code>{e.action}</code></td>
                                <td class="audit-target">{e.target.unwrap_or_default()}</td>
                                <td>{e.status}</td>
                                <td><span class=class>{outcome}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_link_keeps_the_filters_and_escapes_them() {
        let filter = Filter {
            user: "ana (token ci)".to_owned(),
            action: String::new(),
            day: "2026-12-01".to_owned(),
            before: Some(9),
        };
        assert_eq!(
            filter.link(Some(40)),
            "/audit?user=ana%20%28token%20ci%29&day=2026-12-01&before=40"
        );
        let none = Filter {
            user: String::new(),
            action: String::new(),
            day: String::new(),
            before: None,
        };
        assert_eq!(none.link(None), "/audit");
    }
}
