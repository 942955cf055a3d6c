//! The TCP proxy: one listener, a connection to the upstream for each client,
//! and two pumps per connection (client → upstream, upstream → client) that
//! pass the data through the active faults in the order they were injected.
//!
//! With no fault a chunk is written as soon as it is read. Faults apply to
//! open connections from their next chunk: a pump reads the current fault
//! list (a `watch` snapshot) for every chunk. Timed endings (`timeout`,
//! `reset_peer`) run on a per-connection watcher that starts a fault's clock
//! when the connection first sees it. A connection whose data was thrown away
//! (`timeout`, `blackhole`) has a gap in its byte stream, so it is closed
//! when that fault is cleared; every other connection is byte-exact
//! pass-through again.

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use rand::Rng as _;
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        tcp::{OwnedReadHalf, OwnedWriteHalf},
        TcpListener, TcpStream,
    },
    sync::mpsc,
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use crate::{
    book::{Faults, Lease},
    effects::{Effect, ProxyMetrics, Tally},
    faults::{parse_tcp, tcp_actions, Direction, Fault, TcpFault},
    proxy::{InjectError, Proxy, StartError},
};

/// An injected TCP fault.
pub type ActiveFault = crate::book::ActiveFault<Fault>;

/// Largest chunk read at once.
const CHUNK: usize = 32 * 1024;
/// Chunks read ahead of the one being delayed (so latency shifts a stream
/// instead of slowing it).
const READ_AHEAD: usize = 64;
/// Longest wait for the upstream to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a listener closed by `refuse` tries its port again once cleared.
const REBIND_EVERY: Duration = Duration::from_millis(200);
/// A running TCP proxy.
pub type TcpProxy = Proxy<Fault>;

impl Proxy<Fault> {
    /// Listens on `listen` and forwards every connection to `upstream`
    /// (`host:port`, resolved for each connection).
    pub async fn start(
        name: impl Into<String>,
        listen: SocketAddr,
        upstream: impl Into<String>,
    ) -> Result<Self, StartError> {
        Self::start_measured(name, listen, upstream, &ProxyMetrics::default()).await
    }

    /// [`Self::start`], counting its traffic in `metrics`.
    pub async fn start_measured(
        name: impl Into<String>,
        listen: SocketAddr,
        upstream: impl Into<String>,
        metrics: &ProxyMetrics,
    ) -> Result<Self, StartError> {
        let name = name.into();
        let upstream: Arc<str> = Arc::from(upstream.into());
        let label = name.clone();
        let actions: Vec<&'static str> = tcp_actions().iter().map(|a| a.name).collect();
        Self::launch(
            name,
            listen,
            &actions,
            metrics,
            move |listener, address, faults, tally, stop| {
                accept_loop(
                    Listener {
                        name: label,
                        address,
                        upstream,
                        faults,
                        tally,
                        stop,
                    },
                    listener,
                )
            },
        )
        .await
    }

    /// Injects `action` with `parameters`, after the faults already active;
    /// `lease` says how long it lives unless renewed, and for whom.
    pub fn inject(
        &self,
        action: &str,
        parameters: Value,
        lease: Lease,
    ) -> Result<ActiveFault, InjectError> {
        let fault = parse_tcp(action, &parameters)?;
        self.add(action, parameters, fault, lease)
    }
}

struct Listener {
    name: String,
    address: SocketAddr,
    upstream: Arc<str>,
    faults: Faults<Fault>,
    tally: Arc<Tally>,
    stop: CancellationToken,
}

fn refusing(faults: &[ActiveFault]) -> bool {
    faults.iter().any(|f| f.fault.kind == TcpFault::Refuse)
}

async fn accept_loop(mut this: Listener, listener: TcpListener) {
    let mut listener = Some(listener);
    let next_id = AtomicU64::new(1);
    loop {
        let refuse = refusing(&this.faults.borrow_and_update());
        if refuse {
            if listener.take().is_some() {
                tracing::info!(proxy = %this.name, "refusing connections");
            }
        } else if listener.is_none() {
            match TcpListener::bind(this.address).await {
                Ok(bound) => {
                    tracing::info!(proxy = %this.name, "listening again");
                    listener = Some(bound);
                }
                Err(error) => {
                    tracing::warn!(proxy = %this.name, %error, "cannot listen again yet");
                    tokio::select! {
                        () = tokio::time::sleep(REBIND_EVERY) => continue,
                        () = this.stop.cancelled() => return,
                    }
                }
            }
        }
        tokio::select! {
            accepted = async {
                match &listener {
                    Some(listening) => listening.accept().await,
                    None => std::future::pending().await,
                }
            } => {
                match accepted {
                    Ok((client, peer)) => {
                        let _ = client.set_nodelay(true);
                        let connection = Connection {
                            id: next_id.fetch_add(1, Ordering::Relaxed),
                            rolls: Mutex::new(HashMap::new()),
                            end: this.stop.child_token(),
                            reset: AtomicBool::new(false),
                            tainted: AtomicBool::new(false),
                            tally: this.tally.clone(),
                            recorded: Mutex::new(HashSet::new()),
                        };
                        tokio::spawn(serve(Arc::new(connection), client, peer, this.upstream.clone(), this.faults.clone()));
                    }
                    Err(error) => {
                        // Out of descriptors and the like: back off briefly.
                        tracing::warn!(proxy = %this.name, %error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            changed = this.faults.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = this.stop.cancelled() => return,
        }
    }
}

/// One client's connection.
struct Connection {
    id: u64,
    /// Whether each fault (by id) acts on this connection (its toxicity
    /// rolled once).
    rolls: Mutex<HashMap<String, bool>>,
    /// Cancelled when the connection must end (a fault ended it, or the
    /// proxy stops).
    end: CancellationToken,
    /// The end is a reset (linger 0) rather than a close.
    reset: AtomicBool,
    /// Data was thrown away: close when the discarding fault is cleared.
    tainted: AtomicBool,
    /// The proxy's effects.
    tally: Arc<Tally>,
    /// The faults (by id) that have acted on this connection and are counted.
    recorded: Mutex<HashSet<String>>,
}

impl Connection {
    /// Whether `fault` acts on this connection.
    fn hit(&self, fault: &ActiveFault) -> bool {
        // A poisoned lock only means a panic elsewhere; the map is still whole.
        let mut rolls = self.rolls.lock().unwrap_or_else(|e| e.into_inner());
        *rolls.entry(fault.id.clone()).or_insert_with(|| {
            let toxicity = fault.fault.toxicity;
            toxicity >= 1.0 || (toxicity > 0.0 && rand::rng().random::<f64>() < toxicity)
        })
    }

    /// The faults acting on this connection's `flow`, in order.
    fn acting<'a>(
        &'a self,
        faults: &'a [ActiveFault],
        flow: Direction,
    ) -> impl Iterator<Item = &'a ActiveFault> + 'a {
        faults
            .iter()
            .filter(move |f| f.fault.direction.covers(flow) && self.hit(f))
    }

    /// `fault` did `effect` to this connection: counted the first time.
    fn record(&self, fault: &ActiveFault, effect: Effect, delay: Option<Duration>) {
        let first = self
            .recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(fault.id.clone());
        if first {
            self.tally
                .hit(&fault.action, fault.owner.as_deref(), effect, delay);
        }
    }

    /// `fault` failed this connection as `fault_type`.
    fn failed(&self, fault: &ActiveFault, fault_type: &str) {
        let effect = Effect::Fault {
            fault_type: fault_type.to_owned(),
            endpoint: None,
        };
        self.record(fault, effect, None);
    }

    /// `fault` shaped `bytes` of this connection's data.
    fn shaped(&self, fault: &ActiveFault, action: &'static str, bytes: usize) {
        self.record(fault, Effect::Shaping { action }, None);
        self.tally
            .shaped(action, fault.owner.as_deref(), bytes as u64);
    }

    /// No fault acted on it (counted once it ends).
    fn untouched(&self) -> bool {
        self.recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    fn finish(&self, reset: bool) {
        if reset {
            self.reset.store(true, Ordering::Relaxed);
        }
        self.end.cancel();
    }
}

async fn serve(
    connection: Arc<Connection>,
    client: TcpStream,
    peer: SocketAddr,
    upstream: Arc<str>,
    faults: Faults<Fault>,
) {
    let blackholed = |list: &[ActiveFault]| {
        list.iter()
            .any(|f| f.fault.kind == TcpFault::Blackhole && connection.hit(f))
    };
    let holding = faults
        .borrow()
        .iter()
        .find(|f| f.fault.kind == TcpFault::Blackhole && connection.hit(f))
        .cloned();
    if let Some(fault) = holding {
        connection.failed(&fault, "blackhole");
        hold(&connection, client, faults, blackholed).await;
        return;
    }
    let server = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&*upstream)).await {
        Ok(Ok(server)) => server,
        failed => {
            tracing::debug!(connection = connection.id, %peer, ?failed, "upstream unreachable");
            // The client sees the upstream's refusal as a reset.
            let _ = socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO));
            return;
        }
    };
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let watcher = tokio::spawn(watch_timers(connection.clone(), faults.clone()));
    tokio::join!(
        pump(
            connection.clone(),
            client_read,
            server_write,
            Direction::Upstream,
            faults.clone()
        ),
        pump(
            connection.clone(),
            server_read,
            client_write,
            Direction::Downstream,
            faults
        ),
    );
    watcher.abort();
    if connection.untouched() {
        connection.tally.untouched();
    }
}

/// A blackholed new connection: never forwarded; whatever the client sends is
/// thrown away until it leaves, the fault is cleared (then it is closed: it
/// has lost data) or the proxy stops.
async fn hold(
    connection: &Connection,
    mut client: TcpStream,
    mut faults: Faults<Fault>,
    blackholed: impl Fn(&[ActiveFault]) -> bool,
) {
    let mut sink = vec![0u8; CHUNK];
    loop {
        tokio::select! {
            read = client.read(&mut sink) => if matches!(read, Ok(0) | Err(_)) { return },
            changed = faults.changed() => {
                if changed.is_err() || !blackholed(&faults.borrow_and_update()) { return }
            }
            () = connection.end.cancelled() => return,
        }
    }
}

/// Ends the connection when a `timeout` (with a time) or `reset_peer` fault's
/// clock runs out, its clock starting when the connection first sees it; and
/// closes a tainted connection once nothing discards its data any more.
async fn watch_timers(connection: Arc<Connection>, mut faults: Faults<Fault>) {
    let mut started: HashSet<String> = HashSet::new();
    loop {
        let list = faults.borrow_and_update().clone();
        if connection.tainted.load(Ordering::Relaxed)
            && !list.iter().any(|f| f.fault.discards() && connection.hit(f))
        {
            connection.finish(false);
            return;
        }
        for fault in list.iter().filter(|f| connection.hit(f)) {
            let (after, reset) = match fault.fault.kind {
                TcpFault::ResetPeer { after } => (after, true),
                TcpFault::Timeout { after } if !after.is_zero() => (after, false),
                _ => continue,
            };
            if !started.insert(fault.id.clone()) {
                continue;
            }
            let (connection, fault, mut faults) =
                (connection.clone(), fault.clone(), faults.clone());
            tokio::spawn(async move {
                tokio::select! {
                    () = tokio::time::sleep(after) => {
                        if faults.borrow_and_update().iter().any(|f| f.id == fault.id) {
                            connection.failed(&fault, if reset { "reset_peer" } else { "timeout" });
                            connection.finish(reset);
                        }
                    }
                    () = connection.end.cancelled() => {}
                }
            });
        }
        if faults.changed().await.is_err() {
            return;
        }
    }
}

/// A chunk read, and when.
type Chunk = (Instant, Vec<u8>);

/// Moves data one way: a reader that reads ahead, and a writer that passes
/// each chunk through the faults acting on `flow`.
async fn pump(
    connection: Arc<Connection>,
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    flow: Direction,
    mut faults: Faults<Fault>,
) {
    // The fast path, while the proxy has no fault: read, write, no hop.
    let mut buffer = vec![0u8; CHUNK];
    let ended_by_fault = loop {
        if !faults.borrow_and_update().is_empty() {
            break false;
        }
        tokio::select! {
            read = from.read(&mut buffer) => match read {
                Ok(0) | Err(_) => {
                    let _ = to.shutdown().await;
                    return;
                }
                Ok(n) => {
                    if to.write_all(&buffer[..n]).await.is_err() {
                        connection.finish(false);
                        return;
                    }
                }
            },
            changed = faults.changed() => if changed.is_err() { return },
            () = connection.end.cancelled() => break true,
        }
    };
    drop(buffer);
    // Once a fault has been seen, the staged pump: a reader that reads ahead
    // and a writer that passes each chunk through the faults.
    let ended_by_fault = ended_by_fault || {
        let (chunks, mut read) = mpsc::channel::<Chunk>(READ_AHEAD);
        let reader = async move {
            loop {
                let mut buffer = vec![0u8; CHUNK];
                match from.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        buffer.truncate(n);
                        if chunks.send((Instant::now(), buffer)).await.is_err() {
                            return;
                        }
                    }
                }
            }
        };
        let writer = async {
            let mut sent: HashMap<String, u64> = HashMap::new();
            while let Some((read_at, data)) = read.recv().await {
                let list = faults.borrow().clone();
                if !forward(&connection, &list, flow, read_at, data, &mut to, &mut sent).await {
                    return;
                }
            }
            // The source closed: pass the close on (later under slow_close).
            let list = faults.borrow().clone();
            let slowest = connection
                .acting(&list, flow)
                .filter_map(|f| match f.fault.kind {
                    TcpFault::SlowClose { delay } => Some((delay, f)),
                    _ => None,
                })
                .max_by_key(|(delay, _)| *delay);
            if let Some((delay, fault)) = slowest {
                connection.failed(fault, "slow_close");
                tokio::time::sleep(delay).await;
            }
            let _ = to.shutdown().await;
        };
        tokio::select! {
            _ = async { tokio::join!(reader, writer) } => false,
            () = connection.end.cancelled() => true,
        }
    };
    if ended_by_fault && connection.reset.load(Ordering::Relaxed) {
        // Closed with linger 0 the socket sends a reset; `forget` keeps the
        // write half from sending a FIN first as it drops.
        let _ = socket2::SockRef::from(to.as_ref()).set_linger(Some(Duration::ZERO));
        to.forget();
    }
}

/// Passes one chunk through the faults; false when the connection ends.
async fn forward(
    connection: &Connection,
    faults: &[ActiveFault],
    flow: Direction,
    read_at: Instant,
    mut data: Vec<u8>,
    to: &mut OwnedWriteHalf,
    sent: &mut HashMap<String, u64>,
) -> bool {
    // Latencies add up, each counted from when the chunk was read, so a
    // stream is shifted rather than slowed.
    let mut due = read_at;
    let mut rate = None;
    let mut slices = None;
    let mut last = false;
    for fault in connection.acting(faults, flow) {
        match &fault.fault.kind {
            TcpFault::Latency { latency, jitter } => {
                let delay = jittered(*latency, *jitter);
                connection.record(fault, Effect::Latency { endpoint: None }, Some(delay));
                due += delay;
                tokio::time::sleep_until(due).await;
            }
            TcpFault::Bandwidth { bytes_per_second } => {
                connection.shaped(fault, "bandwidth", data.len());
                rate = Some(rate.map_or(*bytes_per_second, |r: u64| r.min(*bytes_per_second)));
            }
            TcpFault::Timeout { .. } | TcpFault::Blackhole => {
                let what = if fault.fault.kind == TcpFault::Blackhole {
                    "blackhole"
                } else {
                    "timeout"
                };
                connection.failed(fault, what);
                connection.tainted.store(true, Ordering::Relaxed);
                return true;
            }
            TcpFault::Slicer {
                average_size,
                size_variation,
                delay,
            } => {
                connection.shaped(fault, "slicer", data.len());
                slices = Some((*average_size, *size_variation, *delay));
            }
            TcpFault::LimitData { bytes } => {
                let so_far = sent.entry(fault.id.clone()).or_default();
                let room = bytes.saturating_sub(*so_far);
                if (data.len() as u64) >= room {
                    connection.failed(fault, "limit_data");
                    data.truncate(room as usize);
                    last = true;
                }
                *so_far += data.len() as u64;
            }
            TcpFault::ResetPeer { .. } | TcpFault::SlowClose { .. } | TcpFault::Refuse => {}
        }
    }
    if write(to, &data, rate, slices).await.is_err() {
        connection.finish(false);
        return false;
    }
    if last {
        let _ = to.flush().await;
        connection.finish(false);
        return false;
    }
    true
}

/// `latency` moved by up to `jitter` either way, never below zero.
pub(crate) fn jittered(latency: Duration, jitter: Duration) -> Duration {
    if jitter.is_zero() {
        return latency;
    }
    let spread = jitter.as_secs_f64();
    let offset = rand::rng().random_range(-spread..=spread);
    Duration::from_secs_f64((latency.as_secs_f64() + offset).max(0.0))
}

/// Writes `data`, in slices and paced to `rate` bytes a second when asked.
async fn write(
    to: &mut OwnedWriteHalf,
    data: &[u8],
    rate: Option<u64>,
    slices: Option<(usize, usize, Duration)>,
) -> std::io::Result<()> {
    let pieces: Vec<&[u8]> = match slices {
        Some((average, variation, _)) => slice(data, average, variation),
        None => vec![data],
    };
    let pause = slices.map(|(_, _, delay)| delay).unwrap_or_default();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 && !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        match rate {
            // At most 100 ms worth at a time, each followed by its share of time.
            Some(rate) => {
                let step = (rate / 10).max(1) as usize;
                for part in piece.chunks(step) {
                    let started = Instant::now();
                    to.write_all(part).await?;
                    let due = Duration::from_secs_f64(part.len() as f64 / rate as f64);
                    tokio::time::sleep_until(started + due).await;
                }
            }
            None => to.write_all(piece).await?,
        }
    }
    Ok(())
}

/// `data` cut into pieces of `average` ± `variation` bytes.
fn slice(data: &[u8], average: usize, variation: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut rest = data;
    let mut rng = rand::rng();
    while !rest.is_empty() {
        let size = if variation == 0 {
            average
        } else {
            rng.random_range(average - variation..=average + variation)
        }
        .clamp(1, rest.len());
        let (piece, tail) = rest.split_at(size);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_the_data_in_order_within_their_bounds() {
        let data: Vec<u8> = (0..=255).cycle().take(10_000).collect();
        let pieces = slice(&data, 100, 40);
        assert_eq!(pieces.concat(), data);
        assert!(pieces[..pieces.len() - 1]
            .iter()
            .all(|p| (60..=140).contains(&p.len())));
        assert_eq!(slice(&data, 7, 0).len(), 10_000usize.div_ceil(7));
    }

    #[test]
    fn jitter_stays_within_its_bounds_and_never_goes_negative() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_millis(10), Duration::from_millis(20));
            assert!(d <= Duration::from_millis(30));
        }
        assert_eq!(
            jittered(Duration::from_millis(5), Duration::ZERO),
            Duration::from_millis(5)
        );
    }
}
