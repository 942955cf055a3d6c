//! What the proxy costs with no fault: throughput and round-trip latency
//! (p50, p99) through the proxy against a direct connection, in one run, for
//! TCP (64-byte echoes on kept-open connections) and HTTP (a small GET on
//! kept-alive connections), at a fixed 1,000 requests/s and at the most the
//! clients can do. It prints figures and asserts nothing (the machines are
//! shared and noisy): `cargo bench -p fault-proxy --bench overhead`.
//! `OVERHEAD_SECONDS` sets each measurement's length (default 3).

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use bytes::Bytes;
use fault_proxy::{HttpProxy, TcpProxy};
use http_body_util::{BodyExt, Empty};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Clients at once for the "most" runs.
const CLIENTS: usize = 16;
/// Clients sharing the 1,000 requests/s.
const PACED_CLIENTS: usize = 4;

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("OVERHEAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let length = Duration::from_secs(seconds);

    let echo = echo_server().await;
    let tcp_proxy = TcpProxy::start(
        "bench-tcp",
        "127.0.0.1:0".parse().unwrap(),
        echo.to_string(),
    )
    .await
    .unwrap();
    let web = http_server().await;
    let http_proxy = HttpProxy::start(
        "bench-http",
        "127.0.0.1:0".parse().unwrap(),
        web.to_string(),
    )
    .await
    .unwrap();

    println!("fault-proxy overhead, no fault; {seconds} s a measurement; p50/p99 of round trips");
    println!(
        "{:<5} {:<12} {:<7} {:>10} {:>9} {:>9}",
        "proto", "load", "path", "req/s", "p50 µs", "p99 µs"
    );
    for (proto, direct, proxied) in [
        ("tcp", echo, tcp_proxy.address()),
        ("http", web, http_proxy.address()),
    ] {
        for (load, rate) in [("1000/s", Some(1000.0)), ("most", None)] {
            let a = measure(proto, direct, rate, length).await;
            let b = measure(proto, proxied, rate, length).await;
            for (path, figures) in [("direct", &a), ("proxy", &b)] {
                println!(
                    "{:<5} {:<12} {:<7} {:>10.0} {:>9.0} {:>9.0}",
                    proto, load, path, figures.rate, figures.p50, figures.p99
                );
            }
            println!(
                "{:<5} {:<12} {:<7} {:>9.1}% {:>+9.0} {:>+9.0}",
                proto,
                load,
                "added",
                (b.rate / a.rate - 1.0) * 100.0,
                b.p50 - a.p50,
                b.p99 - a.p99
            );
        }
    }
    tcp_proxy.shutdown().await;
    http_proxy.shutdown().await;
}

struct Figures {
    rate: f64,
    p50: f64,
    p99: f64,
}

/// Round trips to `target` for `length`: paced to `rate` a second in total,
/// or as fast as [`CLIENTS`] clients go.
async fn measure(proto: &str, target: SocketAddr, rate: Option<f64>, length: Duration) -> Figures {
    let clients = if rate.is_some() {
        PACED_CLIENTS
    } else {
        CLIENTS
    };
    let interval = rate.map(|r| Duration::from_secs_f64(clients as f64 / r));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let proto = proto.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut ticker = interval.map(|i| {
                let mut t = tokio::time::interval(i);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
            match proto.as_str() {
                "tcp" => {
                    let mut stream = TcpStream::connect(target).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    let message = [7u8; 64];
                    let mut back = [0u8; 64];
                    while started.elapsed() < length {
                        if let Some(t) = ticker.as_mut() {
                            t.tick().await;
                        }
                        let sent = Instant::now();
                        stream.write_all(&message).await.unwrap();
                        stream.read_exact(&mut back).await.unwrap();
                        latencies.push(sent.elapsed());
                    }
                }
                _ => {
                    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
                    let uri: hyper::Uri = format!("http://{target}/").parse().unwrap();
                    while started.elapsed() < length {
                        if let Some(t) = ticker.as_mut() {
                            t.tick().await;
                        }
                        let sent = Instant::now();
                        let response = client.get(uri.clone()).await.unwrap();
                        response.into_body().collect().await.unwrap();
                        latencies.push(sent.elapsed());
                    }
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let took = started.elapsed().as_secs_f64();
    all.sort();
    let at = |q: f64| all[((all.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    Figures {
        rate: all.len() as f64 / took,
        p50: at(0.5),
        p99: at(0.99),
    }
}

async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.set_nodelay(true);
            tokio::spawn(async move {
                let (mut read, mut write) = socket.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    address
}

async fn http_server() -> SocketAddr {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}
