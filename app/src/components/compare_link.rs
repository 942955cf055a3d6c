//! "Compare with the previous run" on an execution's page: a link to the
//! comparison of this execution (B) with the latest finished run of the same
//! scenario before it (A), or the reason there is none. It looks again when
//! the execution finishes.

use leptos::prelude::*;

use crate::server_fns::{previous_execution, server_resource};

/// The link, for execution `id`; `finished` says whether it has ended (only
/// finished executions compare).
#[component]
pub fn CompareWithPrevious(id: String, #[prop(into)] finished: Signal<bool>) -> impl IntoView {
    let lookup = {
        let id = id.clone();
        server_resource(
            move || finished.get(),
            move |finished| {
                let id = id.clone();
                async move {
                    if finished {
                        previous_execution(id).await.map(Some)
                    } else {
                        Ok(None)
                    }
                }
            },
        )
    };
    let reason = |text: &'static str| {
        view! {
            <span class="compare-previous muted" id="compare-previous" aria-disabled="true">
                "Compare with the previous run — "{text}
            </span>
        }
        .into_any()
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new({
                let id = id.clone();
                async move {
                    match lookup.await {
                        Ok(None) => reason("available once this run has finished"),
                        Ok(Some(None)) => reason("no earlier finished run of this scenario"),
                        Ok(Some(Some(previous))) => view! {
                            <a class="button compare-previous" id="compare-previous"
                                href=format!("/executions/compare?a={}&b={id}", previous.id)
                                title=format!("Compare with the run submitted {}", previous.created_at)>
                                "Compare with the previous run"
                            </a>
                        }.into_any(),
                        Err(_) => reason("the previous run could not be looked up"),
                    }
                }
            })}
        </Transition>
    }
}
