//! `/scenarios`: the library — built-in and uploaded scenarios and templates as
//! cards, searched by text and filtered by category through query parameters, so
//! the server renders any filtered view and it works without JavaScript; in the
//! browser the list filters as the user types. Below the cards, the
//! orchestrations that chain them (`/orchestrations`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::Form,
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};

use crate::api::{auth::Role, ui::LibraryCard};
use crate::components::{format_ms, submit_form_of, ErrorPanel, Loading, StatusBadge};
use crate::server_fns::{list_scenario_cards, server_resource};

/// Whether `card` matches the search text and category.
fn matches(card: &LibraryCard, q: &str, category: &str) -> bool {
    let q = q.trim().to_lowercase();
    let category_ok = category.is_empty() || card.category.as_deref() == Some(category);
    let text_ok = q.is_empty()
        || card.name.to_lowercase().contains(&q)
        || card
            .description
            .as_deref()
            .unwrap_or_default()
            .to_lowercase()
            .contains(&q)
        || card.tags.iter().any(|t| t.to_lowercase().contains(&q))
        || card.services.iter().any(|s| s.contains(&q));
    category_ok && text_ok
}

/// The library page.
#[component]
pub fn Scenarios() -> impl IntoView {
    let cards = server_resource(|| (), |_| list_scenario_cards());
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let category = Memo::new(move |_| query.read().get("category").unwrap_or_default());
    let navigate = use_navigate();
    let operator = crate::me::can(Role::Operator);
    // As the user types, the address follows (replace, not push), so the filtered
    // view can be shared and the server renders the same thing.
    let on_search = move |value: String| {
        let mut url = format!("/scenarios?q={}", urlencode(&value));
        let c = category.get_untracked();
        if !c.is_empty() {
            url.push_str(&format!("&category={}", urlencode(&c)));
        }
        navigate(
            &url,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };

    view! {
        <Title text="Scenarios" />
        <div class="page-head">
            <h1>"Scenarios"</h1>
            {operator.then(|| view! { <div class="page-actions"><a class="button button-primary" href="/scenarios/new" id="new-scenario">"New scenario"</a></div> })}
        </div>
        <Suspense fallback=Loading>
            {move || { let on_search = on_search.clone(); Suspend::new(async move {
                match cards.await {
                    Ok(all) => {
                        let mut categories: Vec<String> = all.iter().filter_map(|c| c.category.clone()).collect();
                        categories.sort();
                        categories.dedup();
                        let all = StoredValue::new(all);
                        view! {
                            <Form method="GET" action="/scenarios" attr:class="filters" attr:role="search" on_form_data=crate::components::drop_empty_fields()>
                                <label>"Search"
                                    <input type="search" name="q" id="library-search" placeholder="name, description, tag, service"
                                        prop:value=move || q.get()
                                        on:input:target=move |ev| on_search(ev.target().value()) />
                                </label>
                                <label>"Category"
                                    <select name="category" id="library-category" on:change:target=move |ev| submit_form_of(&ev.target())>
                                        <option value="" selected=move || category.get().is_empty()>"All categories"</option>
                                        {categories.into_iter().map(|c| {
                                            let (value, label, attr) = (c.clone(), c.clone(), c);
                                            view! { <option value=attr selected=move || category.get() == value>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                                <button type="submit" class="button">"Filter"</button>
                            </Form>
                            {move || {
                                let shown: Vec<LibraryCard> = all.with_value(|all| all.iter().filter(|c| matches(c, &q.get(), &category.get())).cloned().collect());
                                if shown.is_empty() {
                                    return view! { <p class="panel" id="no-match">"Nothing in the library matches. " <a href="/scenarios">"Show everything"</a></p> }.into_any();
                                }
                                view! {
                                    <p class="muted" id="library-count" aria-live="polite">{format!("{} shown", shown.len())}</p>
                                    <ul class="cards" id="library">
                                        {shown.into_iter().map(|card| view! { <Card card /> }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}}
        </Suspense>
        <super::orchestrations::OrchestrationLinks />
    }
}

#[component]
fn Card(card: LibraryCard) -> impl IntoView {
    let href = format!("/scenarios/{}", card.name);
    view! {
        <li class="card" data-name=card.name.clone()>
            <h2 class="card-title"><a href=href>{card.name.clone()}</a></h2>
            <p class="card-meta">
                <span class="tag">{card.kind.clone()}</span>
                {(card.source == "custom").then(|| view! { <span class="tag">"custom"</span> })}
                {card.category.clone().map(|c| view! { <span class="tag">{c}</span> })}
                {card.last_status.clone().map(|s| view! { <span>"last: "</span><StatusBadge status=s /> })}
            </p>
            <p>{card.description.clone().unwrap_or_default()}</p>
            {card.duration_ms.map(|ms| view! {
                <p class="card-stats">
                    <span>{format!("{} long", format_ms(ms))}</span>
                    <span>{format!("{} phase{}", card.phases, if card.phases == 1 { "" } else { "s" })}</span>
                </p>
            })}
            {(!card.services.is_empty()).then(|| view! {
                <p class="card-stats"><span>"touches: "{card.services.join(", ")}</span></p>
            })}
        </li>
    }
}

/// Percent-encodes a query value.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
