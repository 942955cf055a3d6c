//! An execution's live view state and — in the browser — the WebSocket that
//! feeds it.
//!
//! - [`state`]: the pure fold of typed [`Event`](crate::api::event::Event)s into
//!   what the page shows; it runs on both sides (the server renders the history
//!   it has, the browser applies the same events, then the live ones) and is
//!   unit-tested without a browser.
//! - [`inbox`]: the queue between the socket and the page (batches once a
//!   frame, and when to stop replaying and re-read the state).
//! - `socket` (browser only): the WebSocket, with reconnection and catching up.
//! - [`view`]: the actions and assertions tables and the windowed events log,
//!   each row updated on its own.

pub mod inbox;
#[cfg(test)]
mod inbox_tests;
#[cfg(feature = "hydrate")]
pub mod socket;
pub mod state;
#[cfg(test)]
mod tests;
pub mod view;

pub use state::{
    ActionRow, AssertionResult, AssertionRow, LiveState, LogLine, WorkloadEnd, LOG_KEEP, LOG_PAGE,
};
