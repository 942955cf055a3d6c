//! The frame around every page: brand, navigation, and the menu toggle that
//! folds the navigation away on narrow windows.

use leptos::prelude::*;
use leptos_router::components::A;

/// Header with navigation, then the page.
///
/// Once the WASM has hydrated, `<body>` carries `data-hydrated="true"`: browser
/// tests wait for it before they click, because a click before hydration is lost.
#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let (menu_open, set_menu_open) = signal(false);
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            // An attribute, not a signal: tests and CSS read it from outside Leptos.
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Test Coordinator"
            </a>
            <button
                id="menu-toggle"
                class="menu-toggle"
                aria-controls="main-nav"
                aria-expanded=move || menu_open.get().to_string()
                on:click=move |_| set_menu_open.update(|open| *open = !*open)
            >
                {move || if menu_open.get() { "Close menu" } else { "Menu" }}
            </button>
            <nav
                id="main-nav"
                class="nav"
                class:nav-open=menu_open
                aria-label="Main"
                // Following a link (the click bubbles up from it) folds the menu.
                on:click=move |_| set_menu_open.set(false)
            >
                <A href="/" exact=true>"Dashboard"</A>
                <A href="/scenarios">"Scenarios"</A>
                <A href="/executions">"Executions"</A>
                <A href="/services">"Services"</A>
            </nav>
        </header>
        <main class="content">{children()}</main>
    }
}
