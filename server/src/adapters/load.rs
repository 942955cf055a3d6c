//! Workload traffic over HTTP (DESIGN.md §7): each stream's address, request
//! line, headers and body are resolved once; a request then costs one body fill
//! and one exchange on a keep-alive HTTP/1.1 connection of the stream's own.
//! Every request carries `X-Execution-Id` and `X-Chaos-Time-Scale`, like
//! actions and checks.
//!
//! The client is one of its own ([`http1`]): a stream has one target, one
//! method, one path and fixed headers, so its requests are bytes composed once,
//! its pool is a stack of idle connections, and a request takes the most
//! recently used one (or opens one; at most the stream's `concurrency` are ever
//! busy) and drives the exchange from its own task. The profiles behind this
//! choice are in docs/workload.md ("The generator's cost").

mod http1;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::scenario::workload::{fill_body, Stream};
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{
    header::{
        HeaderMap, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE,
        TRANSFER_ENCODING, UPGRADE,
    },
    Method, Uri,
};
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};

use self::http1::Connection;
use crate::{
    config::ServiceConfig,
    engine::{figures::Outcome, ExecutionId, LoadSender, StreamSender},
};

/// Prepares workload streams against the configured services.
#[derive(Debug, Clone)]
pub struct HttpLoad {
    services: Arc<BTreeMap<String, ServiceConfig>>,
}

impl HttpLoad {
    /// Streams to `services`, each on connections of its own.
    pub fn new(services: BTreeMap<String, ServiceConfig>) -> Self {
        Self {
            services: Arc::new(services),
        }
    }
}

impl LoadSender for HttpLoad {
    fn prepare(
        &self,
        stream: &Stream,
        execution_id: ExecutionId,
        speed: f64,
    ) -> Result<Arc<dyn StreamSender>, String> {
        let service = self
            .services
            .get(&stream.service)
            .ok_or_else(|| format!("service {:?} is not configured", stream.service))?;
        let method = Method::from_bytes(stream.method.as_bytes())
            .map_err(|_| format!("{:?} is not an HTTP method", stream.method))?;
        if method == Method::CONNECT {
            // A 2xx would turn the connection into a tunnel.
            return Err(format!(
                "stream {:?}: workload streams do not send CONNECT",
                stream.name
            ));
        }
        let url = format!(
            "{}{}",
            service.url.as_str().trim_end_matches('/'),
            stream.path
        );
        let url = url::Url::parse(&url).map_err(|e| format!("{url}: {e}"))?;
        if url.scheme() != "http" {
            return Err(format!(
                "{url}: workload streams speak plain HTTP (http://), as the services' own calls do"
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Not echoed: the URL holds a secret.
            return Err(format!(
                "service {:?}: workload streams do not send credentials from the service URL; give the stream an Authorization header",
                stream.service
            ));
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(format!("{url} names no host"));
        };
        let authority = &url[url::Position::BeforeHost..url::Position::AfterPort];
        let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let _: Uri = target
            .parse()
            .map_err(|_| format!("{target:?} is not a request path"))?;
        let mut headers = HeaderMap::new();
        let header = |name: &str, value: &str| -> Result<(HeaderName, HeaderValue), String> {
            Ok((
                HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| format!("{name:?} is not a header name"))?,
                HeaderValue::from_str(value)
                    .map_err(|_| format!("{value:?} is not a valid value for header {name}"))?,
            ))
        };
        for (name, value) in [
            ("Host", authority.to_owned()),
            ("X-Execution-Id", execution_id.to_string()),
            ("X-Chaos-Time-Scale", speed.to_string()),
        ] {
            let (name, value) = header(name, &value)?;
            headers.insert(name, value);
        }
        for (name, value) in &stream.headers {
            let (name, value) = header(name, value)?;
            if name == CONTENT_LENGTH || name == TRANSFER_ENCODING || name == UPGRADE {
                return Err(format!(
                    "stream {:?}: the {name} header is the coordinator's to set (the body's length; no upgrades)",
                    stream.name
                ));
            }
            headers.insert(name, value);
        }
        if stream.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        // The request line and headers, ending before the body's length.
        let mut head = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
        for (name, value) in &headers {
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        // A body without placeholders is serialised once, with its request.
        let body = match &stream.body {
            Some(body) if body.to_string().contains("${") => Body::Template(body.clone()),
            Some(body) => Body::Fixed(request(&head, &method, body.to_string().as_bytes())),
            None => Body::Fixed(request(&head, &method, b"")),
        };
        // A stream that says `Connection: close` sends no second request on
        // a connection (RFC 9112 §9.6), whatever the service answers.
        let closes = headers.get(CONNECTION).is_some_and(|value| {
            value
                .to_str()
                .unwrap_or_default()
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"))
        });
        Ok(Arc::new(HttpStream {
            inner: Arc::new(Inner {
                address: format!("{host}:{port}"),
                closes,
                head_only: method == Method::HEAD,
                method,
                head,
                body,
                timeout: stream.timeout,
                stream: stream.name.clone(),
                execution_id: execution_id.to_string(),
                idle: Mutex::new(Vec::new()),
                returned: Notify::new(),
                connecting: Semaphore::new(MAX_CONNECTING),
            }),
        }))
    }

    fn own_thread(&self) -> bool {
        true
    }
}

/// A whole request: `head`, the body's length, and the body. The length is
/// left out only for an empty body of a method that expects none (RFC 9110
/// §8.6), as curl and hyper do.
fn request(head: &[u8], method: &Method, body: &[u8]) -> Bytes {
    let mut request = Vec::with_capacity(head.len() + 24 + body.len());
    request.extend_from_slice(head);
    let expects_body = !matches!(
        *method,
        Method::GET
            | Method::HEAD
            | Method::DELETE
            | Method::OPTIONS
            | Method::TRACE
            | Method::CONNECT
    );
    if !body.is_empty() || expects_body {
        request.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    Bytes::from(request)
}

enum Body {
    /// The whole request, the same for every one.
    Fixed(Bytes),
    /// A body with `${…}` placeholders, filled for each request.
    Template(Value),
}

struct HttpStream {
    inner: Arc<Inner>,
}

struct Inner {
    /// `host:port`, resolved when a connection opens.
    address: String,
    method: Method,
    /// The request line and every header, up to the body's length.
    head: Vec<u8>,
    /// Whether the stream's own headers say `Connection: close`.
    closes: bool,
    /// Whether the method is `HEAD`, whose responses have no body.
    head_only: bool,
    body: Body,
    timeout: Duration,
    stream: String,
    execution_id: String,
    /// Connections with nothing in flight, most recently used last.
    idle: Mutex<Vec<Connection>>,
    /// Told when a connection goes back on `idle`.
    returned: Notify,
    /// Connections being opened, at most [`MAX_CONNECTING`].
    connecting: Semaphore,
}

/// At most this many connections of one stream are being opened at once. A
/// request that finds no idle connection opens one if it may, or else takes
/// the first that goes idle: a stall of the target then does not turn into
/// thousands of simultaneous connects, whose SYNs overflow its listen backlog
/// and come back only after the kernel's one-second retransmission
/// (docs/workload.md, "The generator's cost").
const MAX_CONNECTING: usize = 64;

impl StreamSender for HttpStream {
    fn send(&self, seq: u64) -> BoxFuture<'static, Outcome> {
        let inner = self.inner.clone();
        let request = match &inner.body {
            Body::Fixed(request) => request.clone(),
            Body::Template(body) => {
                let body = fill_body(body, seq, &inner.stream, &inner.execution_id).to_string();
                request(&inner.head, &inner.method, body.as_bytes())
            }
        };
        Box::pin(async move {
            tokio::time::timeout(inner.timeout, inner.exchange(request))
                .await
                .unwrap_or(Outcome::Timeout)
        })
    }
}

impl Inner {
    /// One request and its whole response; the connection goes back to the
    /// stack only once the response is read to its end. A request is written
    /// once at most: a connection the service closed while it was idle is
    /// found closed before anything is written on it.
    async fn exchange(&self, request: Bytes) -> Outcome {
        let Some(mut connection) = self.checkout().await else {
            return Outcome::Transport;
        };
        match connection.exchange(&request, self.head_only).await {
            Ok(answer) => {
                if answer.reusable && !self.closes {
                    self.idle
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(connection);
                    self.returned.notify_one();
                }
                Outcome::of_status(answer.status)
            }
            Err(_) => Outcome::Transport,
        }
    }

    /// An idle connection, or a new one once fewer than [`MAX_CONNECTING`]
    /// are being opened, whichever comes first.
    async fn checkout(&self) -> Option<Connection> {
        loop {
            // Listening before looking: a connection returned in between
            // still wakes this request.
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            if let Some(connection) = self.idle_connection() {
                return Some(connection);
            }
            let permit = tokio::select! {
                biased;
                () = &mut returned => continue,
                permit = self.connecting.acquire() => permit,
            };
            // A connection that goes idle while this one is being opened is
            // taken instead (the connect is abandoned), as pooled clients do.
            tokio::select! {
                biased;
                connection = Connection::open(&self.address) => {
                    drop(permit);
                    return connection.ok();
                }
                () = &mut returned => {}
            }
        }
    }

    /// The most recently used idle connection that is still open (the others,
    /// closed by the service while idle, are dropped on the way).
    fn idle_connection(&self) -> Option<Connection> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(connection) = idle.pop() {
            if connection.is_open() {
                return Some(connection);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::TcpListener,
    };

    use super::*;

    /// A bare HTTP/1.1 target: answers every request `200 ok` (closing the
    /// connection after each when `close`, saying so unless `silently`; never
    /// answering when `mute`), and keeps the connections it accepted and the
    /// requests it read.
    struct Target {
        url: String,
        connections: Arc<AtomicUsize>,
        requests: Arc<Mutex<Vec<String>>>,
    }

    async fn target(close: bool, silently: bool, mute: bool) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (connections.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        // One whole request: the head, then content-length bytes.
                        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                        if buffer.len() < end + 4 + length {
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                            continue;
                        }
                        let body = String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]);
                        seen.lock().unwrap().push(format!("{head}\r\n\r\n{body}"));
                        buffer.drain(..end + 4 + length);
                        if mute {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        let reply = if close && !silently {
                            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                        } else {
                            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
                        };
                        if socket.write_all(reply.as_bytes()).await.is_err() || close {
                            return;
                        }
                    }
                });
            }
        });
        Target {
            url,
            connections,
            requests,
        }
    }

    fn load(url: &str) -> HttpLoad {
        let service = ServiceConfig::plain("target", url.parse().unwrap());
        HttpLoad::new(BTreeMap::from([("target".to_owned(), service)]))
    }

    fn stream(extra: serde_json::Value) -> Stream {
        let mut stream = serde_json::json!({
            "name": "orders", "service": "target", "path": "/orders?side=buy", "rate": 10,
        });
        if let (Some(stream), Some(extra)) = (stream.as_object_mut(), extra.as_object()) {
            stream.extend(extra.clone());
        }
        serde_json::from_value(stream).unwrap()
    }

    #[tokio::test]
    async fn one_keep_alive_connection_carries_sequential_requests_with_the_streams_headers() {
        let target = target(false, false, false).await;
        let id = ExecutionId::new();
        let sender = load(&target.url)
            .prepare(
                &stream(serde_json::json!({
                    "method": "POST",
                    "headers": {"X-Team": "risk"},
                    "body": {"order": "o-${seq}", "from": "${stream}"},
                })),
                id,
                2.0,
            )
            .unwrap();
        for seq in 0..50 {
            assert_eq!(sender.send(seq).await, Outcome::Success, "request {seq}");
        }
        assert_eq!(target.connections.load(Ordering::SeqCst), 1);
        let requests = target.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 50);
        let first = &requests[0];
        assert!(
            first.starts_with("post /orders?side=buy http/1.1"),
            "{first}"
        );
        let host = target.url.trim_start_matches("http://");
        for line in [
            format!("host: {host}"),
            format!("x-execution-id: {id}"),
            "x-chaos-time-scale: 2".to_owned(),
            "x-team: risk".to_owned(),
            "content-type: application/json".to_owned(),
        ] {
            assert!(first.lines().any(|l| l == line), "{line:?} in {first}");
        }
        assert!(
            first.ends_with(r#"{"from":"orders","order":"o-0"}"#),
            "{first}"
        );
        assert!(
            requests[49].ends_with(r#""order":"o-49"}"#),
            "{}",
            requests[49]
        );
    }

    #[tokio::test]
    async fn concurrent_requests_open_no_more_connections_than_were_in_flight_and_reuse_them() {
        let target = target(false, false, false).await;
        let sender = load(&target.url)
            .prepare(&stream(serde_json::json!({})), ExecutionId::new(), 1.0)
            .unwrap();
        for round in 0..3 {
            let outcomes = futures::future::join_all((0..16).map(|seq| sender.send(seq))).await;
            assert!(
                outcomes.iter().all(|o| *o == Outcome::Success),
                "{outcomes:?}"
            );
            let opened = target.connections.load(Ordering::SeqCst);
            assert!(
                (1..=16).contains(&opened),
                "round {round}: {opened} connections"
            );
        }
        assert_eq!(target.requests.lock().unwrap().len(), 48);
    }

    /// Sends `count` requests one after the other to a target that closes
    /// each connection after its answer (`silently`: without saying so); every
    /// one must succeed, each on a connection of its own.
    async fn one_connection_each(silently: bool, count: u64) {
        let target = target(true, silently, false).await;
        let sender = load(&target.url)
            .prepare(&stream(serde_json::json!({})), ExecutionId::new(), 1.0)
            .unwrap();
        for seq in 0..count {
            assert_eq!(sender.send(seq).await, Outcome::Success, "request {seq}");
        }
        let opened = target.connections.load(Ordering::SeqCst);
        assert_eq!(opened, usize::try_from(count).unwrap());
    }

    #[tokio::test]
    async fn a_stream_that_says_connection_close_sends_each_request_on_a_new_connection() {
        let target = target(false, false, false).await;
        let sender = load(&target.url)
            .prepare(
                &stream(serde_json::json!({"headers": {"Connection": "close"}})),
                ExecutionId::new(),
                1.0,
            )
            .expect("prepared");
        for seq in 0..5 {
            assert_eq!(sender.send(seq).await, Outcome::Success, "request {seq}");
        }
        assert_eq!(target.connections.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_target_that_closes_each_connection_is_still_answered_on_a_new_one() {
        one_connection_each(false, 20).await;
    }

    #[tokio::test]
    async fn a_target_that_hangs_up_without_saying_so_fails_no_request() {
        // Each connection looks reusable and is closed right after its answer:
        // a request that finds it closed as it is taken goes on a new one.
        one_connection_each(true, 50).await;
    }

    #[tokio::test]
    async fn a_request_without_an_answer_ends_at_the_streams_timeout() {
        let target = target(false, false, true).await;
        let sender = load(&target.url)
            .prepare(
                &stream(serde_json::json!({"timeout": "100ms"})),
                ExecutionId::new(),
                1.0,
            )
            .unwrap();
        assert_eq!(sender.send(0).await, Outcome::Timeout);
        // A closed port is a transport failure, not a timeout. Bound but never
        // listening, and held, so no parallel test's `bind(0)` is handed it.
        let closed = tokio::net::TcpSocket::new_v4().unwrap();
        closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        let sender = load(&url)
            .prepare(&stream(serde_json::json!({})), ExecutionId::new(), 1.0)
            .unwrap();
        assert_eq!(sender.send(0).await, Outcome::Transport);
    }

    #[tokio::test]
    async fn a_target_that_accepts_no_more_connections_answers_on_the_one_it_has() {
        // A listen backlog of one, one connection accepted and served, answering
        // after 5 ms: every other connect waits on the kernel's SYN
        // retransmission (a second, then three). Requests take the connection
        // as it goes idle instead of waiting on their own connects.
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        let loopback = "127.0.0.1:0".parse().expect("an address");
        socket.bind(loopback).expect("bound on loopback");
        let listener = socket.listen(1).expect("listening");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("one connection");
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                    buffer.drain(..end + 4);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    let reply = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    if socket.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
        });
        let sender = load(&url)
            .prepare(
                &stream(serde_json::json!({"timeout": "2s"})),
                ExecutionId::new(),
                1.0,
            )
            .expect("prepared");
        let outcomes = futures::future::join_all((0..150).map(|seq| sender.send(seq))).await;
        let answered = outcomes.iter().filter(|o| **o == Outcome::Success).count();
        // A connect or two completes into the backlog and is never accepted:
        // its request waits for its timeout.
        assert!(answered >= 145, "{answered} of 150 answered: {outcomes:?}");
        served.abort();
    }

    #[test]
    fn https_an_unknown_service_and_a_bad_header_are_refused_before_sending() {
        let refused =
            |load: HttpLoad, stream: Stream| match load.prepare(&stream, ExecutionId::new(), 1.0) {
                Ok(_) => panic!("prepared"),
                Err(why) => why,
            };
        let why = refused(load("https://example.test"), stream(serde_json::json!({})));
        assert!(why.contains("plain HTTP"), "{why}");
        let why = refused(
            load("http://127.0.0.1:1"),
            stream(serde_json::json!({"service": "elsewhere"})),
        );
        assert!(why.contains("not configured"), "{why}");
        let why = refused(
            load("http://127.0.0.1:1"),
            stream(serde_json::json!({"headers": {"X-Bad": "a\nb"}})),
        );
        assert!(why.contains("X-Bad"), "{why}");
        let why = refused(
            load("http://127.0.0.1:1"),
            stream(serde_json::json!({"headers": {"Content-Length": "5"}})),
        );
        assert!(
            why.contains("content-length header is the coordinator's"),
            "{why}"
        );
        let why = refused(
            load("http://127.0.0.1:1"),
            stream(serde_json::json!({"method": "CONNECT"})),
        );
        assert!(why.contains("CONNECT"), "{why}");
        let why = refused(
            load("http://ops:s3cret@127.0.0.1:1"),
            stream(serde_json::json!({})),
        );
        assert!(
            why.contains("Authorization header") && !why.contains("s3cret"),
            "{why}"
        );
    }
}
