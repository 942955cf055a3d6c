//! One workload connection: a keep-alive HTTP/1.1 client over a TCP stream,
//! driven by the request that holds it (docs/workload.md, "A client of its
//! own"). A request is bytes composed when the stream was prepared; the
//! response head is parsed with `httparse`, and its body is read to its end
//! (by `Content-Length`, chunked, or until the service closes) and discarded.
//! There is no connection task and no channel: the request's own task writes,
//! reads and parses, so one request is one task woken by its socket.

use std::io;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// The read buffer a connection starts with; it grows for a longer head.
const BUFFER: usize = 4 * 1024;
/// A response head longer than this is refused (a transport failure).
const MAX_HEAD: usize = 64 * 1024;
/// Header fields read per response head, as hyper's default.
const MAX_HEADERS: usize = 100;

/// A connection and its read buffer.
pub(super) struct Connection {
    socket: TcpStream,
    buffer: Vec<u8>,
}

/// How a response ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Answer {
    pub status: u16,
    /// The connection may carry another request: the response was read to
    /// its end, nothing followed it, and neither side asked to close.
    pub reusable: bool,
}

/// How the body of a response is delimited (RFC 9112 §6.3).
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

impl Connection {
    /// A connection to `address` (`host:port`), with `TCP_NODELAY`.
    pub async fn open(address: &str) -> io::Result<Self> {
        let socket = TcpStream::connect(address).await?;
        socket.set_nodelay(true)?;
        Ok(Self {
            socket,
            buffer: vec![0; BUFFER],
        })
    }

    /// Whether an idle connection can still carry a request: the service has
    /// neither closed it nor sent anything unasked. It costs no system call
    /// unless the runtime saw the socket become readable since the last read.
    pub fn is_open(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.socket.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Writes `request` and reads its response to the end; `head_only` for a
    /// `HEAD` request, whose response has no body whatever it says. An error
    /// is a transport failure: the connection is then not to be reused.
    pub async fn exchange(&mut self, request: &[u8], head_only: bool) -> io::Result<Answer> {
        self.socket.write_all(request).await?;
        let mut filled = 0;
        loop {
            let (status, head, framing, keep_alive) = self.head(&mut filled, head_only).await?;
            // Informational answers (100, 103) come before the real one.
            if (100..200).contains(&status) {
                if status == 101 {
                    return Err(invalid(
                        "101 Switching Protocols to a request that asked for no upgrade",
                    ));
                }
                self.buffer.copy_within(head..filled, 0);
                filled -= head;
                continue;
            }
            self.buffer.copy_within(head..filled, 0);
            filled -= head;
            let whole = match framing {
                Framing::None => filled == 0,
                Framing::Length(length) => self.skip(filled, length).await?,
                Framing::Chunked => self.chunks(filled).await?,
                Framing::UntilClose => {
                    // A reset ends such a body too: a service that closes
                    // with unread bytes resets the connection.
                    loop {
                        match self.socket.read(&mut self.buffer).await {
                            Ok(0) => break,
                            Ok(_) => {}
                            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
                            Err(e) => return Err(e),
                        }
                    }
                    false
                }
            };
            return Ok(Answer {
                status,
                reusable: keep_alive && whole,
            });
        }
    }

    /// Reads until `buffer[..filled]` starts with a whole response head: its
    /// status, length, body framing and whether the connection stays open.
    async fn head(
        &mut self,
        filled: &mut usize,
        head_only: bool,
    ) -> io::Result<(u16, usize, Framing, bool)> {
        loop {
            if *filled > 0 {
                let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut fields);
                match response.parse(&self.buffer[..*filled]) {
                    Ok(httparse::Status::Complete(length)) => {
                        let status = response.code.unwrap_or_default();
                        if status < 100 {
                            return Err(invalid("a status below 100"));
                        }
                        let version = response.version.unwrap_or_default();
                        let (framing, close) = framing(status, head_only, response.headers)?;
                        return Ok((status, length, framing, version == 1 && !close));
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(error) => return Err(invalid(&format!("response head: {error}"))),
                }
            }
            self.read_more(filled, MAX_HEAD).await?;
        }
    }

    /// Reads more after `buffer[..filled]`, growing the buffer up to `limit`.
    async fn read_more(&mut self, filled: &mut usize, limit: usize) -> io::Result<()> {
        if *filled == self.buffer.len() {
            if self.buffer.len() >= limit {
                return Err(invalid("a response head or chunk line too long"));
            }
            self.buffer.resize((self.buffer.len() * 2).min(limit), 0);
        }
        match self.socket.read(&mut self.buffer[*filled..]).await? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                *filled += n;
                Ok(())
            }
        }
    }

    /// Discards a body of `length` bytes, the first `filled` of them already
    /// read; whether nothing came after it.
    async fn skip(&mut self, mut filled: usize, length: u64) -> io::Result<bool> {
        let mut left = length;
        loop {
            let taken = u64::try_from(filled).unwrap_or(u64::MAX).min(left);
            left -= taken;
            if left == 0 {
                return Ok(u64::try_from(filled).unwrap_or(u64::MAX) == taken);
            }
            filled = match self.socket.read(&mut self.buffer).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => n,
            };
        }
    }

    /// Discards a chunked body, the first `filled` bytes of it already read;
    /// whether nothing came after its last chunk and trailer.
    async fn chunks(&mut self, mut filled: usize) -> io::Result<bool> {
        // Bytes of chunk data still to discard, then whether its CRLF is due.
        let mut data: u64 = 0;
        let mut crlf = false;
        let mut last = false;
        loop {
            let mut at = 0;
            loop {
                if data > 0 {
                    let taken = u64::try_from(filled - at).unwrap_or(u64::MAX).min(data);
                    data -= taken;
                    at += usize::try_from(taken).unwrap_or(usize::MAX);
                    if data > 0 {
                        break;
                    }
                }
                let rest = &self.buffer[at..filled];
                if crlf {
                    match rest {
                        [b'\r', b'\n', ..] => {
                            at += 2;
                            crlf = false;
                            continue;
                        }
                        [] | [b'\r'] => break,
                        _ => return Err(invalid("chunk data not followed by CRLF")),
                    }
                }
                if last {
                    // The trailer: lines until an empty one.
                    match rest.windows(2).position(|w| w == b"\r\n") {
                        Some(0) => return Ok(at + 2 == filled),
                        Some(end) => at += end + 2,
                        None => break,
                    }
                    continue;
                }
                // httparse reads a size line without digits as 0.
                if rest.first().is_some_and(|b| !b.is_ascii_hexdigit()) {
                    return Err(invalid("chunk size line"));
                }
                match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((length, 0))) => {
                        at += length;
                        last = true;
                    }
                    Ok(httparse::Status::Complete((length, size))) => {
                        at += length;
                        data = size;
                        crlf = true;
                    }
                    Ok(httparse::Status::Partial) => break,
                    Err(_) => return Err(invalid("chunk size line")),
                }
            }
            // What is left unparsed moves to the front, and more is read.
            self.buffer.copy_within(at..filled, 0);
            filled -= at;
            self.read_more(&mut filled, MAX_HEAD).await?;
        }
    }
}

/// The body framing of a response, and whether it asks to close.
fn framing(
    status: u16,
    head_only: bool,
    headers: &[httparse::Header<'_>],
) -> io::Result<(Framing, bool)> {
    let mut close = false;
    let mut length: Option<u64> = None;
    let mut chunked = None;
    for header in headers {
        let value = std::str::from_utf8(header.value).unwrap_or_default();
        if header.name.eq_ignore_ascii_case("connection") {
            close |= value
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("close"));
        } else if header.name.eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            // 1*DIGIT: `u64::from_str` would take a sign too.
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("Content-Length"));
            }
            let value: u64 = value.parse().map_err(|_| invalid("Content-Length"))?;
            if length.is_some_and(|length| length != value) {
                return Err(invalid("two different Content-Length fields"));
            }
            length = Some(value);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked when it is the last coding applied.
            chunked = Some(
                value
                    .rsplit(',')
                    .next()
                    .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked")),
            );
        }
    }
    // Both a length and chunks: read by the chunks (RFC 9112 §6.3), but the
    // connection is not trusted with another request.
    close |= chunked.is_some() && length.is_some();
    let framing = if head_only || (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::None
    } else {
        match (chunked, length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, Some(0)) => Framing::None,
            (None, Some(length)) => Framing::Length(length),
            (None, None) => Framing::UntilClose,
        }
    };
    Ok((framing, close))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::net::TcpListener;

    use super::*;

    const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: t\r\n\r\n";
    const SECOND: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";

    /// A target that reads one request, answers with `pieces` written 2 ms
    /// apart (so the client reads them apart), then answers a second request
    /// with [`SECOND`], unless `hang_up`: then it closes after the first.
    async fn target(pieces: Vec<Vec<u8>>, hang_up: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let address = listener.local_addr().expect("an address").to_string();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("a connection");
            let mut request = Vec::new();
            let mut answers = vec![pieces, vec![SECOND.to_vec()]].into_iter();
            let mut chunk = [0u8; 1024];
            while let Ok(n) = socket.read(&mut chunk).await {
                if n == 0 {
                    return;
                }
                request.extend_from_slice(&chunk[..n]);
                while let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                    request.drain(..end + 4);
                    let Some(pieces) = answers.next() else { return };
                    for piece in pieces {
                        if socket.write_all(&piece).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    if hang_up {
                        return;
                    }
                }
            }
        });
        address
    }

    /// The answer to one request whose response is `pieces`; when it says the
    /// connection is reusable, a second request on it must be answered too.
    async fn answer(pieces: &[&[u8]], head_only: bool, hang_up: bool) -> io::Result<Answer> {
        let pieces = pieces.iter().map(|p| p.to_vec()).collect();
        let address = target(pieces, hang_up).await;
        let mut connection = Connection::open(&address).await.expect("connected");
        let answer = connection.exchange(GET, head_only).await?;
        if answer.reusable {
            assert!(connection.is_open(), "{answer:?}");
            let second = connection
                .exchange(GET, false)
                .await
                .expect("a second answer");
            assert_eq!(
                second,
                Answer {
                    status: 200,
                    reusable: true
                }
            );
        }
        Ok(answer)
    }

    type Case = (&'static str, Vec<&'static [u8]>, bool, bool, Answer);

    fn reusable(status: u16) -> Answer {
        Answer {
            status,
            reusable: true,
        }
    }

    fn last(status: u16) -> Answer {
        Answer {
            status,
            reusable: false,
        }
    }

    #[tokio::test]
    async fn responses_are_read_to_their_end_however_they_are_framed_and_split() {
        // (case, the response's pieces, HEAD, the target hangs up, the answer)
        let cases: Vec<Case> = vec![
            (
                "a length, split in the head and the body",
                vec![b"HTTP/1.1 200 OK\r\nContent-Le", b"ngth: 5\r\n\r\nhe", b"llo"],
                false,
                false,
                reusable(200),
            ),
            (
                "chunks with an extension and a trailer, split anywhere",
                vec![
                    b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                    b"lo\r\n1",
                    b"0;ext=1\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n",
                    b"\r\n",
                ],
                false,
                false,
                reusable(201),
            ),
            (
                "an informational answer before the real one",
                vec![b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", b"HTTP/1.1 204 No Content\r\n\r\n"],
                false,
                false,
                reusable(204),
            ),
            (
                "HEAD: a length but no body",
                vec![b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"],
                true,
                false,
                reusable(200),
            ),
            (
                "asked to close",
                vec![b"HTTP/1.1 503 Service Unavailable\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n"],
                false,
                false,
                last(503),
            ),
            (
                "a body until the service closes",
                vec![b"HTTP/1.1 404 Not Found\r\n\r\nnot", b" here"],
                false,
                true,
                last(404),
            ),
            (
                "HTTP/1.0",
                vec![b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"],
                false,
                false,
                last(200),
            ),
            (
                "both a length and chunks: read by the chunks, then closed",
                vec![b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"],
                false,
                false,
                last(200),
            ),
            (
                "bytes nobody asked for after the body",
                vec![b"HTTP/1.1 302 Found\r\nContent-Length: 2\r\n\r\nokHTTP/1.1"],
                false,
                false,
                last(302),
            ),
        ];
        for (case, pieces, head_only, hang_up, expected) in cases {
            let answer = answer(&pieces, head_only, hang_up).await;
            assert_eq!(answer.expect(case), expected, "{case}");
        }
        // A head longer than the buffer the connection starts with.
        let long = format!(
            "HTTP/1.1 200 OK\r\nSet-Cookie: {}\r\nContent-Length: 0\r\n\r\n",
            "c".repeat(3 * BUFFER)
        );
        let answer = answer(&[long.as_bytes()], false, false).await;
        assert_eq!(answer.expect("a long head"), reusable(200));
    }

    #[tokio::test]
    async fn a_response_that_is_not_whole_http_is_a_transport_failure() {
        let too_long = format!(
            "HTTP/1.1 200 OK\r\nSet-Cookie: {}\r\n\r\n",
            "c".repeat(MAX_HEAD)
        );
        let cases: Vec<(&str, Vec<&[u8]>)> = vec![
            ("not HTTP", vec![b"SSH-2.0-OpenSSH_9.6\r\n\r\n"]),
            ("a head longer than the bound", vec![too_long.as_bytes()]),
            (
                "a body cut short",
                vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
            ),
            (
                "chunks cut short",
                vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"],
            ),
            (
                "a bad chunk size",
                vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
            ),
            (
                "an upgrade nobody asked for",
                vec![b"HTTP/1.1 101 Switching Protocols\r\n\r\n"],
            ),
            (
                "chunk data not followed by CRLF",
                vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n"],
            ),
            (
                "a chunk size line without digits",
                vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n\r\n"],
            ),
            (
                "a status below 100",
                vec![b"HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n"],
            ),
            (
                "a signed length",
                vec![b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok"],
            ),
            (
                "two lengths",
                vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"],
            ),
            ("no answer at all", vec![]),
        ];
        for (case, pieces) in cases {
            let answer = answer(&pieces, false, true).await;
            assert!(answer.is_err(), "{case}: {answer:?}");
        }
    }

    #[tokio::test]
    async fn an_idle_connection_the_service_closed_is_found_closed_before_a_write() {
        let address = target(vec![SECOND.to_vec()], true).await;
        let mut connection = Connection::open(&address).await.expect("connected");
        assert!(connection.is_open(), "open and quiet");
        let answer = connection.exchange(GET, false).await.expect("an answer");
        assert_eq!(answer, reusable(200), "it did not say it would close");
        // The target hangs up once idle; the runtime hears of it within a
        // few polls of its driver.
        let mut polls = 0;
        while connection.is_open() {
            polls += 1;
            assert!(polls < 1000, "never found closed");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
