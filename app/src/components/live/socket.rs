//! The WebSocket that follows an execution (browser only), reconnecting with
//! backoff when it drops before the execution ends. Each message is one
//! [`Event`], read typed; one the browser cannot read is skipped.
//!
//! Messages wait in an [`Inbox`] and are applied at the next animation frame,
//! as many as fit in [`FRAME_BUDGET_MS`], in one state update: the page renders
//! at most once a frame however fast events come. When the inbox overflows the
//! page stops replaying: it closes the socket, re-reads the execution (the
//! server sends its events with superseded checks left out) and follows on from
//! there.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use leptos::prelude::*;
use leptos::wasm_bindgen::{closure::Closure, JsCast};
use leptos::web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::inbox::{Inbox, Step, CHUNK};
use super::{state::compact, LiveState};
use crate::api::event::Event;

/// Time a frame may spend applying messages; what is left waits for the next.
const FRAME_BUDGET_MS: f64 = 12.0;

/// How the live connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Opening.
    Connecting,
    /// Receiving events.
    Live,
    /// Closed after the execution ended.
    Done,
    /// Dropped while the execution was still going; trying again (attempt n).
    Reconnecting(u32),
    /// Fell behind: re-reading the current state.
    CatchingUp,
}

/// The first retry waits this long; each next one twice as long, up to
/// [`MAX_DELAY_MS`].
const FIRST_DELAY_MS: u64 = 500;
const MAX_DELAY_MS: u64 = 10_000;

/// One open socket and the callbacks it calls (kept alive as long as it is).
struct Connection {
    socket: WebSocket,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_open: Closure<dyn Fn()>,
    _on_close: Closure<dyn Fn(CloseEvent)>,
}

impl Connection {
    fn close(&self) {
        self.socket.set_onclose(None);
        self.socket.set_onmessage(None);
        self.socket.set_onopen(None);
        let _ = self.socket.close();
    }
}

struct Follower {
    id: String,
    state: RwSignal<LiveState>,
    link: RwSignal<Link>,
    on_event: Box<dyn Fn()>,
    /// Failed attempts in a row (0 once a socket opens).
    attempt: Cell<u32>,
    /// The page went away: connect no more.
    stopped: Cell<bool>,
    connection: RefCell<Option<Connection>>,
    retry: RefCell<Option<TimeoutHandle>>,
    /// Messages waiting for the next frame.
    inbox: RefCell<Inbox>,
    /// A re-read is under way.
    catching_up: Cell<bool>,
}

/// Opens `/ws/scenario-execution` for `id` after the events `state` has, and
/// applies its messages to `state` once a frame; `on_event` runs after each batch. When the
/// socket drops before the execution has ended it reconnects, asking only for
/// the events after the last one applied (and [`LiveState::apply`] ignores any
/// it has already). Everything closes when the owner is cleaned up.
pub fn follow(
    id: &str,
    state: RwSignal<LiveState>,
    link: RwSignal<Link>,
    on_event: impl Fn() + 'static,
) {
    let follower = Rc::new(Follower {
        id: id.to_owned(),
        state,
        link,
        on_event: Box::new(on_event),
        attempt: Cell::new(0),
        stopped: Cell::new(false),
        connection: RefCell::new(None),
        retry: RefCell::new(None),
        inbox: RefCell::new(Inbox::default()),
        catching_up: Cell::new(false),
    });
    connect(&follower);
    let held = StoredValue::new_local(follower);
    on_cleanup(move || {
        let _ = held.try_with_value(|f| {
            f.stopped.set(true);
            if let Some(handle) = f.retry.borrow_mut().take() {
                handle.clear();
            }
            if let Some(connection) = f.connection.borrow_mut().take() {
                connection.close();
            }
        });
    });
}

fn connect(follower: &Rc<Follower>) {
    if follower.stopped.get() {
        return;
    }
    // The previous socket has closed; drop it (never from inside its own callback).
    if let Some(old) = follower.connection.borrow_mut().take() {
        old.close();
    }
    let location = window().location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().unwrap_or_default();
    let since = follower
        .state
        .with_untracked(|s| s.last_seq)
        .map(|seq| format!("&since={seq}"))
        .unwrap_or_default();
    let url = format!(
        "{scheme}://{host}/ws/scenario-execution?execution_id={}{since}",
        follower.id
    );
    let Ok(socket) = WebSocket::new(&url) else {
        retry_later(follower);
        return;
    };
    let weak = Rc::downgrade(follower);
    let on_message = Closure::<dyn Fn(MessageEvent)>::new({
        let weak = weak.clone();
        move |message: MessageEvent| {
            let Some(f) = weak.upgrade() else { return };
            let Some(text) = message.data().as_string() else {
                return;
            };
            let schedule = f.inbox.borrow_mut().push(text);
            if f.inbox.borrow().is_behind() {
                // Not from inside this socket's own callback: it is closed there.
                let f = f.clone();
                leptos::task::spawn_local(async move { catch_up(f).await });
            } else if schedule {
                let weak = Rc::downgrade(&f);
                request_animation_frame(move || {
                    if let Some(f) = weak.upgrade() {
                        flush(&f);
                    }
                });
            }
        }
    });
    let on_open = Closure::<dyn Fn()>::new({
        let weak = weak.clone();
        move || {
            if let Some(f) = weak.upgrade() {
                f.attempt.set(0);
                f.link.set(Link::Live);
            }
        }
    });
    let on_close = Closure::<dyn Fn(CloseEvent)>::new(move |_: CloseEvent| {
        let Some(f) = weak.upgrade() else { return };
        // What came before the close (the end, often) counts first.
        flush(&f);
        if f.catching_up.get() || f.inbox.borrow().is_behind() {
            return;
        }
        if f.state.with_untracked(|s| s.finished) {
            f.link.set(Link::Done);
        } else {
            retry_later(&f);
        }
    });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    *follower.connection.borrow_mut() = Some(Connection {
        socket,
        _on_message: on_message,
        _on_open: on_open,
        _on_close: on_close,
    });
}

/// Applies what waits, for at most [`FRAME_BUDGET_MS`], in one state update;
/// asks for another frame if messages are left.
fn flush(follower: &Rc<Follower>) {
    if follower.stopped.get() || follower.catching_up.get() {
        return;
    }
    let started = now();
    let mut behind = false;
    follower.state.maybe_update(|state| {
        let mut applied = false;
        loop {
            let step = follower.inbox.borrow_mut().take(CHUNK);
            match step {
                Step::Idle => break,
                Step::CatchUp => {
                    behind = true;
                    break;
                }
                Step::Apply(messages) => {
                    let mut latest = None;
                    for text in messages {
                        if let Ok(event) = serde_json::from_str::<Event>(&text) {
                            state.apply(&event);
                            applied = true;
                            latest = Some(event.at);
                        }
                    }
                    let at_ms = latest.map(|at| (at.unix_timestamp_nanos() / 1_000_000) as f64);
                    if let Some(at_ms) = at_ms {
                        if follower.inbox.borrow_mut().lagging(now(), at_ms) {
                            behind = true;
                            break;
                        }
                    }
                    if now() - started > FRAME_BUDGET_MS {
                        break;
                    }
                }
            }
        }
        applied
    });
    if behind {
        let f = follower.clone();
        leptos::task::spawn_local(async move { catch_up(f).await });
        return;
    }
    let link = if follower.state.with_untracked(|s| s.finished) {
        Link::Done
    } else {
        Link::Live
    };
    if follower.link.get_untracked() != link {
        follower.link.set(link);
    }
    (follower.on_event)();
    if follower.inbox.borrow_mut().frame_done() {
        let weak = Rc::downgrade(follower);
        request_animation_frame(move || {
            if let Some(f) = weak.upgrade() {
                flush(&f);
            }
        });
    }
}

/// Jumps to the current state: closes the socket, re-reads the execution and
/// follows on from its latest event.
async fn catch_up(follower: Rc<Follower>) {
    if follower.stopped.get() || follower.catching_up.replace(true) {
        return;
    }
    follower.link.set(Link::CatchingUp);
    if let Some(connection) = follower.connection.borrow_mut().take() {
        connection.close();
    }
    follower.inbox.borrow_mut().reset();
    let read = crate::server_fns::get_live_execution(follower.id.clone()).await;
    follower.catching_up.set(false);
    if follower.stopped.get() {
        return;
    }
    match read {
        Ok(live) => {
            let fresh = LiveState::new(live.detail.status.as_str(), &compact(live.events));
            let finished = fresh.finished;
            follower.state.set(fresh);
            (follower.on_event)();
            if finished {
                follower.link.set(Link::Done);
            } else {
                connect(&follower);
            }
        }
        Err(_) => retry_later(&follower),
    }
}

fn now() -> f64 {
    leptos::web_sys::js_sys::Date::now()
}

/// Schedules the next attempt, waiting longer after each failure in a row.
fn retry_later(follower: &Rc<Follower>) {
    if follower.stopped.get() {
        return;
    }
    let attempt = follower.attempt.get() + 1;
    follower.attempt.set(attempt);
    follower.link.set(Link::Reconnecting(attempt));
    let delay = FIRST_DELAY_MS
        .saturating_mul(1 << (attempt - 1).min(10))
        .min(MAX_DELAY_MS);
    let weak: Weak<Follower> = Rc::downgrade(follower);
    if let Ok(handle) = set_timeout_with_handle(
        move || {
            if let Some(f) = weak.upgrade() {
                f.retry.borrow_mut().take();
                connect(&f);
            }
        },
        Duration::from_millis(delay),
    ) {
        *follower.retry.borrow_mut() = Some(handle);
    }
}
