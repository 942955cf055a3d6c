//! The client every server function calls the server with: the browser's
//! `fetch` (server_fn's [`BrowserClient`]) with header `x-csrf-token` added,
//! holding the viewer's CSRF token from the page's `<meta name="tc-me">`
//! (docs/auth.md, "Browser sessions and CSRF"). The gate refuses a state
//! change made with a session cookie (and a sign-in) without it, with 403;
//! another site's page cannot read the meta, so it cannot send the token.
//!
//! Every `#[server]` names it (`client = CsrfClient`), reads included: one
//! rule, nothing to forget when a server function starts changing state.
//! Where no cookie authenticates (local mode) the meta has no token and no
//! header is sent. On the server, server functions run in place and no client
//! is used.

use std::future::Future;

use futures::{Sink, Stream};
use leptos::server_fn::{
    client::{browser::BrowserClient, Client},
    error::FromServerFnError,
    request::browser::BrowserRequest,
    response::browser::BrowserResponse,
    Bytes,
};

/// [`BrowserClient`] plus the `x-csrf-token` header.
pub struct CsrfClient;

impl<E, IS, OS> Client<E, IS, OS> for CsrfClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(request: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        #[cfg(feature = "hydrate")]
        if let Some(token) = crate::me::from_page().and_then(|me| me.csrf) {
            request.headers().set(crate::api::auth::CSRF_HEADER, &token);
        }
        <BrowserClient as Client<E, IS, OS>>::send(request)
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                impl Sink<Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}
