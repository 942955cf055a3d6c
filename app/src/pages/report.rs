//! `/executions/{id}/report`: the execution's report in the page — the same
//! self-contained HTML the API serves (so the in-page report and a downloaded
//! one can never differ) — with a download for each format. The frame takes the
//! report's full height (measured once it loaded, and again when the window is
//! resized), so the page scrolls once instead of a scrolling frame in a
//! scrolling page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The report of one execution.
#[component]
pub fn ReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let report = move |query: &str| format!("/api/v1/scenarios/{}/report?{query}", id());
    let frame = NodeRef::<leptos::html::Iframe>::new();
    #[cfg(feature = "hydrate")]
    {
        // The frame may have loaded before the page hydrated: size it now too.
        Effect::new(move |_| fit_to_content(frame));
        let handle = window_event_listener(leptos::ev::resize, move |_| fit_to_content(frame));
        on_cleanup(move || handle.remove());
    }
    view! {
        <Title text="Report" />
        <p class="breadcrumbs">
            <a href="/executions">"Executions"</a>" / "
            <a href=move || format!("/executions/{}", id())><code>{id}</code></a>" / report"
        </p>
        <h1>"Execution report"</h1>
        <p class="report-links" id="report-downloads">
            "Download: "
            <a href=move || report("format=html&download=true") rel="external" download="">"HTML"</a>" · "
            <a href=move || report("format=json&download=true") rel="external" download="">"JSON"</a>" · "
            <a href=move || report("format=csv&table=events&download=true") rel="external" download="">"CSV (events)"</a>" · "
            <a href=move || report("format=csv&table=assertions&download=true") rel="external" download="">"CSV (assertions)"</a>" · "
            <a href=move || report("format=junit&download=true") rel="external" download="">"JUnit XML"</a>
        </p>
        <iframe
            id="report-frame"
            class="report-frame"
            title="Execution report"
            src=move || report("format=html")
            node_ref=frame
            on:load=move |_| fit_to_content(frame)
        ></iframe>
    }
}

/// Sets the frame's height to its document's (same origin), so it needs no
/// scrollbar of its own. Does nothing before it loaded or outside the browser.
fn fit_to_content(frame: NodeRef<leptos::html::Iframe>) {
    #[cfg(feature = "hydrate")]
    if let Some(frame) = frame.get_untracked() {
        let height = frame
            .content_document()
            .and_then(|d| d.body())
            .map(|body| body.scroll_height())
            .unwrap_or(0);
        if height > 0 {
            // The attribute, not an inline style: the page's policy allows no inline style.
            let _ = frame.set_attribute("height", &(height + 24).to_string());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = frame;
}
