//! The `Set-Cookie` values of a session. The session cookie is `HttpOnly` and
//! `SameSite=Lax`; `Secure` when the request came over https (or
//! `auth.secure_cookies: always`).

use app::api::auth::{CSRF_COOKIE, SESSION_COOKIE};

use crate::{config::auth::SecureCookies, service::auth::OpenedSession, service::Coordinator};

/// Whether cookies for a request that `came_over_https` carry `Secure`.
pub fn secure(setting: SecureCookies, came_over_https: bool) -> bool {
    match setting {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => came_over_https,
    }
}

fn attributes(secure: bool) -> &'static str {
    if secure {
        "; Path=/; Secure"
    } else {
        "; Path=/"
    }
}

/// The cookies that carry a session just opened: the session secret, and the
/// pre-sign-in CSRF cookie cleared (the session has its own token).
pub fn session(coordinator: &Coordinator, opened: &OpenedSession, secure: bool) -> Vec<String> {
    let max_age = coordinator.config.auth.session_ttl.as_secs();
    vec![
        format!(
            "{SESSION_COOKIE}={}; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
            opened.secret,
            attributes(secure)
        ),
        format!(
            "{CSRF_COOKIE}=; SameSite=Strict; Max-Age=0{}",
            attributes(secure)
        ),
    ]
}

/// The cookie that carries a pre-sign-in CSRF token (double submit: a page on
/// another site can neither read it nor set the header).
pub fn csrf(token: &str, secure: bool) -> String {
    format!(
        "{CSRF_COOKIE}={token}; SameSite=Strict{}",
        attributes(secure)
    )
}

/// The cookies that end a session.
pub fn cleared(secure: bool) -> Vec<String> {
    vec![format!(
        "{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Max-Age=0{}",
        attributes(secure)
    )]
}
