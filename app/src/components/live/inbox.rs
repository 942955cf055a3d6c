//! The queue between the WebSocket and the page: messages wait here (unparsed)
//! until the next animation frame applies them in one state update. When too
//! many wait — a hidden tab, a long replay after a reconnect, a slow machine —
//! or the events being applied are seconds older than the newest the page has
//! seen arrive, replaying them one by one would only show the past slowly, so
//! the queue is dropped and the page re-reads the execution's current state.
//!
//! Pure bookkeeping, so it is unit-tested without a browser; `socket` does the
//! frames, the parsing and the re-reading.

use std::collections::VecDeque;

/// Messages waiting beyond which the page stops replaying and re-reads the
/// execution: about two seconds of the fastest run the engine makes (its
/// assertions poll at most every 5 ms of real time each).
pub const CATCH_UP_AT: usize = 2_000;

/// How far behind the server (beyond the smallest delay seen, which absorbs any
/// clock difference) the events being applied may be before the page re-reads.
pub const CATCH_UP_LAG_MS: f64 = 2_000.0;

/// At most this many messages are applied in one go before the frame's time
/// budget is checked again.
pub const CHUNK: usize = 64;

/// What the next frame does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing waits.
    Idle,
    /// Apply these messages, oldest first.
    Apply(Vec<String>),
    /// Too many waited: they were dropped; re-read the current state.
    CatchUp,
}

/// Messages received and not yet applied.
#[derive(Debug, Default)]
pub struct Inbox {
    queue: VecDeque<String>,
    /// A frame is already asked for.
    scheduled: bool,
    /// The queue overflowed: drop everything until the state is re-read.
    behind: bool,
    /// The smallest (page clock − event time) seen: the clock difference plus
    /// the quickest delivery.
    skew_ms: Option<f64>,
}

impl Inbox {
    /// Queues one message. Returns whether a frame must be asked for (none is
    /// pending yet); once behind, messages are dropped (the re-read covers them).
    pub fn push(&mut self, message: String) -> bool {
        if self.behind {
            return false;
        }
        self.queue.push_back(message);
        if self.queue.len() > CATCH_UP_AT {
            self.queue.clear();
            self.behind = true;
        }
        !std::mem::replace(&mut self.scheduled, true)
    }

    /// Notes that an event stamped `at_ms` (server clock) is applied at `now_ms`
    /// (page clock); if it is more than [`CATCH_UP_LAG_MS`] later than the
    /// quickest delivery seen, the page is behind: the queue is dropped and
    /// `true` returned (re-read the state).
    pub fn lagging(&mut self, now_ms: f64, at_ms: f64) -> bool {
        let seen = now_ms - at_ms;
        let skew = self.skew_ms.map_or(seen, |s| s.min(seen));
        self.skew_ms = Some(skew);
        if seen - skew > CATCH_UP_LAG_MS {
            self.queue.clear();
            self.behind = true;
        }
        self.behind
    }

    /// Whether the queue overflowed and the state must be re-read.
    pub fn is_behind(&self) -> bool {
        self.behind
    }

    /// Messages waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The next chunk for the frame running now (at most `max` messages).
    pub fn take(&mut self, max: usize) -> Step {
        if self.behind {
            return Step::CatchUp;
        }
        if self.queue.is_empty() {
            return Step::Idle;
        }
        let n = max.min(self.queue.len());
        Step::Apply(self.queue.drain(..n).collect())
    }

    /// The frame is over; returns whether another one is needed (messages are
    /// left because the frame's time ran out).
    pub fn frame_done(&mut self) -> bool {
        self.scheduled = !self.queue.is_empty() && !self.behind;
        self.scheduled
    }

    /// The state was re-read (or the socket replaced): start afresh.
    pub fn reset(&mut self) {
        self.queue.clear();
        self.behind = false;
        self.scheduled = false;
    }
}
