//! The TCP proxy on loopback, against real upstreams the tests start: an echo
//! server and a server that sends a fixed number of bytes and closes. Each
//! fault shows its effect as a client sees it; clearing restores byte-exact
//! pass-through; faults stack. Times are asserted only as lower bounds (a
//! delay can only add on a busy machine), never as upper bounds.

use std::{
    io::ErrorKind,
    net::SocketAddr,
    time::{Duration, Instant},
};

use fault_proxy::{FaultError, InjectError, Lease, StartError, TcpProxy};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// An echo server on a free port.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut read, mut write) = socket.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    address
}

/// A server that sends `size` bytes (0, 1, 2, …) to each client and closes.
async fn sending_server(size: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = socket.write_all(&pattern(size)).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    address
}

fn pattern(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

async fn proxy_to(upstream: SocketAddr) -> TcpProxy {
    TcpProxy::start(
        "orders-api",
        "127.0.0.1:0".parse().unwrap(),
        upstream.to_string(),
    )
    .await
    .unwrap()
}

/// Writes `data` through the proxy to the echo server and reads it back;
/// returns how long the round trip took.
async fn round_trip(proxy: &TcpProxy, data: &[u8]) -> Duration {
    let mut client = TcpStream::connect(proxy.address()).await.unwrap();
    let started = Instant::now();
    client.write_all(data).await.unwrap();
    let mut back = vec![0u8; data.len()];
    tokio::time::timeout(Duration::from_secs(20), client.read_exact(&mut back))
        .await
        .expect("the echo came back")
        .unwrap();
    let took = started.elapsed();
    assert_eq!(back, data, "byte-exact");
    took
}

/// Everything the sending server sends, as the client receives it, until EOF
/// or an error.
async fn download(proxy: &TcpProxy) -> (Vec<u8>, Option<ErrorKind>, Duration) {
    let mut client = TcpStream::connect(proxy.address()).await.unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = vec![0u8; 8192];
    let error = loop {
        match tokio::time::timeout(Duration::from_secs(20), client.read(&mut buffer))
            .await
            .expect("the download ends")
        {
            Ok(0) => break None,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(error) => break Some(error.kind()),
        }
    };
    (received, error, started.elapsed())
}

#[tokio::test]
async fn traffic_passes_untouched_until_a_fault_and_again_after_clearing() {
    let proxy = proxy_to(echo_server().await).await;
    let data = pattern(1_000_000);
    round_trip(&proxy, &data).await;

    let fault = proxy
        .inject(
            "latency",
            json!({"latency": 150, "direction": "both"}),
            Lease::default(),
        )
        .unwrap();
    assert_eq!(proxy.book().active().len(), 1);
    let slow = round_trip(&proxy, b"ping").await;
    assert!(slow >= Duration::from_millis(300), "both ways: {slow:?}");

    assert_eq!(proxy.book().clear(Some(&fault.id)), vec![fault.id.clone()]);
    assert!(proxy.book().active().is_empty());
    round_trip(&proxy, &data).await;
    assert!(proxy.book().clear(None).is_empty(), "nothing left to clear");
    proxy.shutdown().await;
}

#[tokio::test]
async fn latency_delays_each_direction_it_is_set_on_and_stacks() {
    let proxy = proxy_to(echo_server().await).await;
    proxy
        .inject(
            "latency",
            json!({"latency": 200, "direction": "upstream"}),
            Lease::default(),
        )
        .unwrap();
    let one = round_trip(&proxy, b"a").await;
    assert!(one >= Duration::from_millis(200), "{one:?}");
    // A second latency stacks after the first.
    proxy
        .inject(
            "latency",
            json!({"latency": 200, "direction": "upstream"}),
            Lease::default(),
        )
        .unwrap();
    let two = round_trip(&proxy, b"b").await;
    assert!(two >= Duration::from_millis(400), "{two:?}");
    // It applies to open connections from their next chunk.
    let mut client = TcpStream::connect(proxy.address()).await.unwrap();
    proxy.book().clear(None);
    let started = Instant::now();
    client.write_all(b"c").await.unwrap();
    let mut back = [0u8; 1];
    client.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"c");
    assert!(
        proxy.book().active().is_empty() && started.elapsed() < Duration::from_secs(5),
        "cleared"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn limit_data_lets_exactly_its_bytes_through_then_closes() {
    let proxy = proxy_to(sending_server(100_000).await).await;
    proxy
        .inject("limit_data", json!({"bytes": 1_000}), Lease::default())
        .unwrap();
    let (received, _, _) = download(&proxy).await;
    assert_eq!(received, pattern(1_000));
    proxy.book().clear(None);
    let (received, error, _) = download(&proxy).await;
    assert_eq!((received.len(), error), (100_000, None));
    assert_eq!(received, pattern(100_000));
    proxy.shutdown().await;
}

#[tokio::test]
async fn reset_peer_resets_the_client_connection() {
    let proxy = proxy_to(echo_server().await).await;
    round_trip(&proxy, b"before").await;
    proxy
        .inject("reset_peer", json!({"timeout": 100}), Lease::default())
        .unwrap();
    let mut client = TcpStream::connect(proxy.address()).await.unwrap();
    client.write_all(b"hello").await.unwrap();
    let mut buffer = [0u8; 64];
    let mut error = None;
    for _ in 0..10 {
        match tokio::time::timeout(Duration::from_secs(10), client.read(&mut buffer))
            .await
            .unwrap()
        {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) => {
                error = Some(e.kind());
                break;
            }
        }
    }
    assert_eq!(error, Some(ErrorKind::ConnectionReset));
    proxy.book().clear(None);
    round_trip(&proxy, b"after").await;
    proxy.shutdown().await;
}

#[tokio::test]
async fn timeout_holds_the_data_and_closes_after_its_time_or_at_clear() {
    let proxy = proxy_to(echo_server().await).await;
    proxy
        .inject("timeout", json!({"timeout": 300}), Lease::default())
        .unwrap();
    let mut client = TcpStream::connect(proxy.address()).await.unwrap();
    let started = Instant::now();
    client.write_all(b"lost").await.unwrap();
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buffer))
        .await
        .unwrap();
    assert!(matches!(read, Ok(0)), "closed without data: {read:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    proxy.book().clear(None);

    // timeout 0 holds the connection until the fault is cleared; then it
    // closes, its data having been thrown away.
    proxy
        .inject("timeout", json!({}), Lease::default())
        .unwrap();
    let mut client = TcpStream::connect(proxy.address()).await.unwrap();
    client.write_all(b"lost").await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(400), client.read(&mut buffer))
            .await
            .is_err(),
        "nothing comes back while held"
    );
    proxy.book().clear(None);
    let read = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buffer))
        .await
        .unwrap();
    assert!(matches!(read, Ok(0)), "closed at clear: {read:?}");
    round_trip(&proxy, b"fresh connections pass").await;
    proxy.shutdown().await;
}

#[tokio::test]
async fn blackhole_accepts_and_never_answers_until_cleared() {
    let proxy = proxy_to(echo_server().await).await;
    proxy
        .inject("blackhole", json!({}), Lease::default())
        .unwrap();
    let mut client = TcpStream::connect(proxy.address()).await.unwrap();
    client.write_all(b"anyone?").await.unwrap();
    let mut buffer = [0u8; 16];
    assert!(
        tokio::time::timeout(Duration::from_millis(400), client.read(&mut buffer))
            .await
            .is_err(),
        "no answer"
    );
    proxy.book().clear(None);
    let read = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buffer))
        .await
        .unwrap();
    assert!(matches!(read, Ok(0) | Err(_)), "closed at clear: {read:?}");
    round_trip(&proxy, b"back").await;
    proxy.shutdown().await;
}

#[tokio::test]
async fn refuse_closes_the_port_and_clearing_opens_it_again() {
    let proxy = proxy_to(echo_server().await).await;
    proxy.inject("refuse", json!({}), Lease::default()).unwrap();
    let mut refused = false;
    for _ in 0..50 {
        match TcpStream::connect(proxy.address()).await {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                refused = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert!(refused, "connections are refused");
    proxy.book().clear(None);
    let mut back = false;
    for _ in 0..100 {
        if TcpStream::connect(proxy.address()).await.is_ok() {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(back, "listening again");
    round_trip(&proxy, b"open").await;
    proxy.shutdown().await;
}

#[tokio::test]
async fn bandwidth_paces_the_data_and_slicer_cuts_it_without_changing_it() {
    let proxy = proxy_to(sending_server(50_000).await).await;
    proxy
        .inject("bandwidth", json!({"rate": 100}), Lease::default())
        .unwrap();
    let (received, error, took) = download(&proxy).await;
    assert_eq!((received, error), (pattern(50_000), None));
    // 50 KB at 100 KB/s: half a second at least.
    assert!(took >= Duration::from_millis(450), "{took:?}");
    proxy.book().clear(None);

    proxy
        .inject(
            "slicer",
            json!({"average_size": 10, "size_variation": 5, "delay": 1000}),
            Lease::default(),
        )
        .unwrap();
    let (received, error, took) = download(&proxy).await;
    assert_eq!((received, error), (pattern(50_000), None));
    // ≥ 3,334 pieces of at most 15 bytes, 1 ms apart.
    assert!(took >= Duration::from_secs(3), "{took:?}");
    proxy.shutdown().await;
}

#[tokio::test]
async fn slow_close_passes_the_close_on_late() {
    let proxy = proxy_to(sending_server(10).await).await;
    proxy
        .inject("slow_close", json!({"delay": 300}), Lease::default())
        .unwrap();
    let (received, error, took) = download(&proxy).await;
    assert_eq!((received, error), (pattern(10), None));
    assert!(took >= Duration::from_millis(300), "{took:?}");
    proxy.shutdown().await;
}

#[tokio::test]
async fn stacked_faults_compose_in_injection_order() {
    let proxy = proxy_to(sending_server(10_000).await).await;
    proxy
        .inject("latency", json!({"latency": 200}), Lease::default())
        .unwrap();
    proxy
        .inject("limit_data", json!({"bytes": 500}), Lease::default())
        .unwrap();
    let (received, _, took) = download(&proxy).await;
    assert_eq!(received, pattern(500), "limited");
    assert!(took >= Duration::from_millis(200), "and delayed: {took:?}");
    proxy.shutdown().await;
}

#[tokio::test]
async fn toxicity_picks_about_that_share_of_connections() {
    let proxy = proxy_to(sending_server(100).await).await;
    proxy
        .inject(
            "limit_data",
            json!({"bytes": 0, "toxicity": 0.5}),
            Lease::default(),
        )
        .unwrap();
    let mut cut = 0;
    for _ in 0..200 {
        let (received, _, _) = download(&proxy).await;
        if received.is_empty() {
            cut += 1;
        } else {
            assert_eq!(received, pattern(100));
        }
    }
    // Binomial(200, 0.5): 100 ± 7; ±40 is over five deviations.
    assert!((60..=140).contains(&cut), "{cut} of 200 cut");
    proxy.shutdown().await;
}

#[tokio::test]
async fn bad_requests_are_refused_and_the_proxy_keeps_passing_traffic() {
    let proxy = proxy_to(echo_server().await).await;
    for (action, body) in [
        ("explode", json!({})),
        ("latency", json!({"latency": -1})),
        ("latency", json!({"latency": 10, "toxicity": 1.5})),
        ("bandwidth", json!("fast")),
    ] {
        let refused = proxy
            .inject(action, body.clone(), Lease::default())
            .unwrap_err();
        assert!(
            matches!(
                refused,
                InjectError::Fault(FaultError::Unsupported { .. } | FaultError::Invalid(_))
            ),
            "{action} {body}: {refused}"
        );
    }
    assert!(proxy.book().active().is_empty());
    for _ in 0..fault_proxy::MAX_FAULTS {
        proxy
            .inject("latency", json!({"latency": 0}), Lease::default())
            .unwrap();
    }
    assert!(matches!(
        proxy.inject("latency", json!({"latency": 0}), Lease::default()),
        Err(InjectError::TooMany)
    ));
    round_trip(&proxy, b"still passing").await;
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_taken_port_is_a_start_error_naming_the_service() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = taken.local_addr().unwrap();
    let error = TcpProxy::start("orders-api", address, "127.0.0.1:1")
        .await
        .err()
        .expect("refused");
    assert!(matches!(error, StartError::Bind { .. }));
    let text = error.to_string();
    assert!(
        text.contains("orders-api") && text.contains(&address.to_string()),
        "{text}"
    );
}

#[tokio::test]
async fn an_upstream_that_is_down_resets_the_client_and_the_proxy_goes_on() {
    // A port nobody listens on: bound but never listening, held for the
    // test's life so that no parallel test's `bind(0)` is handed it.
    let held = tokio::net::TcpSocket::new_v4().unwrap();
    held.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let down = held.local_addr().unwrap();
    let proxy = proxy_to(down).await;
    for _ in 0..3 {
        let (received, error, _) = download(&proxy).await;
        assert!(received.is_empty());
        assert!(
            matches!(error, Some(ErrorKind::ConnectionReset) | None),
            "{error:?}"
        );
    }
    proxy.shutdown().await;
}

#[tokio::test]
async fn a_fault_with_a_lease_clears_itself_when_nobody_renews_it() {
    let proxy = proxy_to(sending_server(10_000).await).await;
    let lease = Lease {
        ttl: Some(Duration::from_millis(500)),
        owner: Some("execution-1".into()),
    };
    let injected = Instant::now();
    proxy
        .inject("limit_data", json!({"bytes": 10}), lease)
        .unwrap();
    let (received, _, _) = download(&proxy).await;
    assert_eq!(received, pattern(10), "the fault acts while leased");
    // Renewed once, it outlives its first lease.
    assert_eq!(
        proxy
            .book()
            .renew("execution-1", Duration::from_millis(800))
            .len(),
        1
    );
    while !proxy.book().active().is_empty() {
        assert!(
            injected.elapsed() < Duration::from_secs(10),
            "the lease ran out"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        injected.elapsed() >= Duration::from_millis(800),
        "not before its renewed lease"
    );
    let (received, error, _) = download(&proxy).await;
    assert_eq!(
        (received, error),
        (pattern(10_000), None),
        "pass-through again"
    );
    proxy.shutdown().await;
}
