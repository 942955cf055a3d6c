use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{ErrorPanel, Loading};
use crate::server_fns::list_library;

/// The built-in library of scenarios and templates.
#[component]
pub fn Scenarios() -> impl IntoView {
    let library = Resource::new(|| (), |_| list_library());
    view! {
        <Title text="Scenarios" />
        <h1>"Scenarios"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match library.await {
                    Ok(entries) if entries.is_empty() => {
                        view! { <p class="panel">"The library folder has no scenarios."</p> }.into_any()
                    }
                    Ok(entries) => view! {
                        <ul class="cards" id="library">
                            {entries.into_iter().map(|entry| view! {
                                <li class="card">
                                    <h2 class="card-title">{entry.name}</h2>
                                    <p class="card-meta">
                                        <span class="tag">{entry.kind}</span>
                                        {entry.category.map(|c| view! { <span class="tag">{c}</span> })}
                                        <code>{entry.file}</code>
                                    </p>
                                    <p>{entry.description.unwrap_or_default()}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
