//! An execution's live view state and — in the browser — the WebSocket that
//! feeds it.
//!
//! - [`state`]: the pure fold of typed [`Event`](crate::api::event::Event)s into
//!   what the page shows; it runs on both sides (the server renders the history
//!   it has, the browser applies the same events, then the live ones) and is
//!   unit-tested without a browser.
//! - `socket` (browser only): the WebSocket, with reconnection.

#[cfg(feature = "hydrate")]
pub mod socket;
pub mod state;
#[cfg(test)]
mod tests;

pub use state::{ActionRow, AssertionResult, AssertionRow, LiveState, LogLine, WorkloadEnd};
