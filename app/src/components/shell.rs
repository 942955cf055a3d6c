//! The frame around every page: brand, navigation, who is signed in (with
//! "Sign out"), and the menu toggle that folds the navigation away on narrow
//! windows. Nobody signed in (the sign-in page, a 404) sees no navigation.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::auth::{AuthMode, Role};
use crate::me::use_me;
use crate::server_fns::team::sign_out;

/// Header with navigation, then the page.
#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let (menu_open, set_menu_open) = signal(false);

    let me = use_me();
    let signed_in = me.principal.is_some();
    let admin = me.can(Role::Admin);

    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Test Coordinator"
            </a>
            {signed_in.then(|| view! {
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
                    <A href="/schedules">"Schedules"</A>
                    <A href="/recordings">"Recordings"</A>
                    <A href="/orchestrations">"Orchestrations"</A>
                    <A href="/services">"Services"</A>
                    <A href="/tokens">"Tokens"</A>
                    <A href="/audit">"Audit"</A>
                    {admin.then(|| view! { <A href="/users">"Users"</A> })}
                </nav>
            })}
            <Viewer />
        </header>
        <main class="content">{children()}</main>
    }
}

/// Who is signed in and their role; "Sign out" for a session (users mode);
/// "Sign in" for nobody. Local mode names the OS user (no sign-in to end).
#[component]
fn Viewer() -> impl IntoView {
    let me = use_me();
    let Some(principal) = me.principal else {
        return (me.mode != AuthMode::Local)
            .then(|| view! { <div class="viewer"><a class="viewer-sign-in" href="/sign-in">"Sign in"</a></div> })
            .into_any();
    };
    let out = Action::new(|_: &()| sign_out());
    Effect::new(move |_| {
        if let Some(Ok(())) = out.value().get() {
            // A full load: the next page is rendered for nobody, with a new CSRF token.
            super::load_page("/sign-in");
        }
    });
    let session = me.mode == AuthMode::Users && principal.token.is_none();
    let title = match me.mode {
        AuthMode::Local => "local mode: no sign-in; every request is the OS user, as admin",
        AuthMode::Users => "signed in",
        AuthMode::Proxy => "signed in through the proxy",
    };
    view! {
        <div class="viewer" id="viewer" title=title>
            <span class="viewer-name" id="viewer-name">{principal.name.clone()}</span>
            <span class="viewer-role" id="viewer-role">{principal.role.as_str()}</span>
            {session.then(|| view! {
                <button type="button" class="button viewer-sign-out" id="sign-out"
                    disabled=move || out.pending().get()
                    on:click=move |_| { out.dispatch(()); }>
                    "Sign out"
                </button>
            })}
            {move || match out.value().get() {
                Some(Err(error)) => Some(view! { <span class="viewer-error" role="alert">{format!("Not signed out: {}", error.message)}</span> }),
                _ => None,
            }}
        </div>
    }
    .into_any()
}
