//! `/executions/{id}/report`: the execution's report in the page — the same
//! self-contained HTML the API serves (so the in-page report and a downloaded
//! one can never differ) — with a download for each format.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The report of one execution.
#[component]
pub fn ReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let report = move |query: &str| format!("/api/v1/scenarios/{}/report?{query}", id());
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
        ></iframe>
    }
}
