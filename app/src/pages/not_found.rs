use leptos::prelude::*;
use leptos_meta::Title;

/// Any path the router does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        // Answer 404, not 200, for unknown pages rendered on the server.
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found" />
        <h1>"Page not found"</h1>
        <p>"There is nothing at this address. " <a href="/">"Back to the dashboard"</a></p>
    }
}
