//! Who is looking at the page (docs/auth.md): the viewer ([`Me`]) as the
//! server's gate found them, for hiding what their role may not use and for
//! the CSRF token their server-function calls carry.
//!
//! The server renders the viewer into the document's
//! `<meta name="tc-me" content="{json}">` ([`MeMeta`], in the shell) and
//! provides the same value as context while it renders the app
//! ([`provide_me`]); the browser reads that meta once when it hydrates. Both
//! sides render from one value, so a hidden button never makes the hydrated
//! page differ from the server's. Signing in or out reloads the page, so the
//! viewer never changes while a page lives.

use leptos::prelude::*;

use crate::api::auth::{AuthMode, Me, Role, ME_META};

/// The viewer of the page being rendered or hydrated. Nobody (users mode, no
/// principal) when it cannot be known, so nothing privileged is shown.
pub fn current() -> Me {
    #[cfg(feature = "ssr")]
    let found = crate::ssr::request_facts().map(|facts| facts.me);
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let found = from_page();
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let found: Option<Me> = None;
    found.unwrap_or_else(nobody)
}

/// Nobody signed in, in users mode.
fn nobody() -> Me {
    Me {
        mode: AuthMode::Users,
        principal: None,
        csrf: None,
    }
}

/// The viewer the server wrote into this document's `tc-me` meta.
#[cfg(feature = "hydrate")]
pub fn from_page() -> Option<Me> {
    let meta = document()
        .query_selector(&format!("meta[name=\"{ME_META}\"]"))
        .ok()
        .flatten()?;
    let json = meta.get_attribute("content")?;
    serde_json::from_str(&json).ok()
}

/// `<meta name="tc-me" content="{json of the viewer}">`, for the document's head.
#[component]
pub fn MeMeta() -> impl IntoView {
    let json = serde_json::to_string(&current()).unwrap_or_default();
    view! { <meta name=ME_META content=json /> }
}

/// Makes the viewer the context every page and component reads ([`use_me`]).
pub fn provide_me() {
    provide_context(current());
}

/// The viewer (see [`provide_me`]).
pub fn use_me() -> Me {
    use_context::<Me>().unwrap_or_else(nobody)
}

/// Whether the viewer's role is at least `role` (always, in local mode, where
/// everyone is the admin).
pub fn can(role: Role) -> bool {
    use_me().can(role)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::auth::{Principal, Via};

    #[test]
    fn a_viewer_that_cannot_be_known_may_do_nothing() {
        let me = nobody();
        assert!(Role::ALL.iter().all(|role| !me.can(*role)));
    }

    #[test]
    fn the_meta_round_trips_the_viewer_and_its_csrf_token() {
        let me = Me {
            mode: AuthMode::Users,
            principal: Some(Principal::new("ana", Role::Operator, Via::Session)),
            csrf: Some("c5rf".to_owned()),
        };
        let json = serde_json::to_string(&me).unwrap();
        let back: Me = serde_json::from_str(&json).unwrap();
        assert_eq!(back, me);
        assert!(back.can(Role::Operator) && !back.can(Role::Admin));
    }
}
