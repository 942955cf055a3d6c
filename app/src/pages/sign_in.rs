//! `/sign-in` (open to anyone): a name and password open a session, then the
//! page asked for (`?next=`) loads. The gate sends anonymous page loads here in
//! users mode. In local mode there is no sign-in, and the page says so; behind
//! an SSO proxy, the proxy signs people in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{AuthMode, Credentials};
use crate::components::load_page;
use crate::me::use_me;
use crate::server_fns::team::sign_in;

/// Where to go after signing in: `next` when it is a path on this site (one
/// leading `/`, not `//host` nor `/\host`, which browsers read as another
/// site), else the dashboard.
pub fn after_sign_in(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The sign-in page.
#[component]
pub fn SignIn() -> impl IntoView {
    let me = use_me();
    let query = use_query_map();
    let next = move || after_sign_in(query.read().get("next").as_deref());
    let body = match (me.mode, me.principal) {
        (AuthMode::Local, _) => view! {
            <p class="panel" id="sign-in-off">
                "Sign-in is off: this server runs in local mode, where every request is the OS user running it, as admin. "
                <a href="/">"Go to the dashboard"</a>
            </p>
        }
        .into_any(),
        (_, Some(principal)) => view! {
            <p class="panel" id="signed-in-already">
                {format!("You are signed in as {} ({}). ", principal.name, principal.role)}
                <a href=next>"Continue"</a>
            </p>
        }
        .into_any(),
        (AuthMode::Proxy, None) => view! {
            <p class="panel panel-error" role="alert" id="sign-in-proxy">
                "This server signs people in through its single sign-on proxy; there is no password here. Open it through the proxy's address."
            </p>
        }
        .into_any(),
        (AuthMode::Users, None) => view! { <SignInForm next=Signal::derive(next) /> }.into_any(),
    };
    view! {
        <Title text="Sign in" />
        <div class="sign-in">
            <h1>"Sign in"</h1>
            {body}
        </div>
    }
}

#[component]
fn SignInForm(next: Signal<String>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let attempt = Action::new(|credentials: &Credentials| sign_in(credentials.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = attempt.value().get() {
            // A full load, so the page is rendered for the new session (its CSRF token).
            load_page(&next.get_untracked());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        attempt.dispatch(Credentials {
            name: name.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        });
    };
    let error = move || match attempt.value().get() {
        Some(Err(error)) => Some(error.message),
        _ => None,
    };
    view! {
        <form class="panel form-stack" id="sign-in-form" on:submit=submit>
            <label for="sign-in-name">"Name"</label>
            <input id="sign-in-name" name="name" type="text" required autocomplete="username" autocapitalize="none" spellcheck="false" autofocus
                prop:value=move || name.get() on:input:target=move |ev| name.set(ev.target().value()) />
            <label for="sign-in-password">"Password"</label>
            <input id="sign-in-password" name="password" type="password" required autocomplete="current-password"
                prop:value=move || password.get() on:input:target=move |ev| password.set(ev.target().value()) />
            <p class="form-error" id="sign-in-error" role="alert">{error}</p>
            <button type="submit" class="button button-primary" id="sign-in-submit"
                disabled=move || attempt.pending().get() || matches!(attempt.value().get(), Some(Ok(_)))>
                {move || if attempt.pending().get() { "Signing in…" } else { "Sign in" }}
            </button>
        </form>
        <p class="hint">"No account? An admin adds one on the Users page, or with "<code>"test-coordinator users add"</code>" on the server."</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_a_path_on_this_site() {
        assert_eq!(
            after_sign_in(Some("/executions?status=failed")),
            "/executions?status=failed"
        );
        assert_eq!(after_sign_in(Some("/")), "/");
        assert_eq!(after_sign_in(None), "/");
        assert_eq!(after_sign_in(Some("")), "/");
        assert_eq!(after_sign_in(Some("https://evil.example/")), "/");
        assert_eq!(after_sign_in(Some("//evil.example/x")), "/");
        assert_eq!(after_sign_in(Some("/\\evil.example")), "/");
        assert_eq!(after_sign_in(Some("javascript:alert(1)")), "/");
        assert_eq!(after_sign_in(Some("/x\n")), "/");
    }
}
