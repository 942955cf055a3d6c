//! gRPC beside REST and the WebSocket, in one run (prints figures; asserts
//! nothing). Run: `cargo bench -p server --bench grpc`
//!
//! Starts the application in-process on 127.0.0.1:0 with a temporary SQLite
//! database and no sandbox (as the API tests do), then:
//! 1. makes two executions without calling any service: the library's
//!    `basic-market-disruption` as a dry run at speed 1,000,000, once with
//!    `repeat: 1` (a small event log) and once with a `repeat` that records
//!    several thousand events;
//! 2. unary latency: `GetExecutionStatus` over one gRPC channel against
//!    `GET /api/v1/scenarios/{id}/status` with one keep-alive `reqwest` client
//!    (its JSON body decoded into `app::api::ExecutionDetail`), sequential calls
//!    in alternating blocks after a warm-up. On the small execution, so that
//!    the protocols are compared rather than the store: both twins read and
//!    fold the execution's whole event log on every call, which a short second
//!    measurement on the large execution shows;
//! 3. streaming throughput: the large execution's whole log replayed K times by
//!    `WatchExecution` (unset `since_seq`, every message decoded) against
//!    `/ws/scenario-execution` (a new connection per run, every message parsed
//!    into `app::api::Event`), alternating; events/s is the median of the runs;
//! 4. payload bytes per event (protobuf `encoded_len`, the WebSocket's text) and
//!    per status response (protobuf against the REST body).

use std::time::{Duration, Instant};

use futures::StreamExt;
use prost::Message as _;
use server::grpc::proto::{
    execute_scenario_request::Source,
    scenario_execution_service_client::ScenarioExecutionServiceClient, ExecuteOptions,
    ExecuteScenarioRequest, ExecutionStatus, ExecutionStatusRequest, WatchRequest,
};
use tokio_tungstenite::tungstenite::Message;
use tonic::transport::Channel;

/// The API tests' app: in-process on 127.0.0.1:0, a temporary database.
#[path = "../tests/api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

type Executions = ScenarioExecutionServiceClient<Channel>;

const SCENARIO: &str = "basic-market-disruption";
/// Runs of the phases in the large execution (each run records about twenty events).
const REPEAT: u32 = 250;
const SPEED: f64 = 1_000_000.0;
/// Sequential status calls per protocol, after `WARM_UP` of each.
const CALLS: usize = 2000;
const WARM_UP: usize = 200;
/// Calls per protocol in one block; the blocks alternate (ABBA…).
const BLOCK: usize = 50;
/// Time for the small execution's calls (the warm-up gets a tenth more): fewer
/// than `CALLS` when a protocol is slow.
const BUDGET: Duration = Duration::from_secs(20);
/// Status calls per protocol on the large execution (store-bound).
const LARGE_CALLS: usize = 40;
/// Whole-log replays per protocol.
const REPLAYS: usize = 9;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 50.0)
}

/// Latencies in µs: p50, p99 and mean.
struct Latency {
    p50: f64,
    p99: f64,
    mean: f64,
}

impl Latency {
    fn of(mut micros: Vec<f64>) -> Self {
        micros.sort_by(f64::total_cmp);
        Latency {
            p50: percentile(&micros, 50.0),
            p99: percentile(&micros, 99.0),
            mean: mean(&micros),
        }
    }
}

fn elapsed_us(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e6
}

/// Runs the scenario as a dry run, waits for its end; its id and final status.
async fn dry_run(client: &mut Executions, repeat: u32) -> (String, ExecutionStatus) {
    let id = client
        .execute_scenario(ExecuteScenarioRequest {
            source: Some(Source::Scenario(SCENARIO.into())),
            parameters: None,
            options: Some(ExecuteOptions {
                speed: SPEED,
                dry_run: true,
                continue_on_failure: false,
                repeat,
                ..ExecuteOptions::default()
            }),
        })
        .await
        .expect("the dry run is accepted")
        .into_inner()
        .execution_id;
    // The watch ends after `execution_finished`.
    let mut stream = client
        .watch_execution(WatchRequest {
            execution_id: id.clone(),
            since_seq: None,
        })
        .await
        .expect("the watch starts")
        .into_inner();
    while stream
        .message()
        .await
        .expect("the watch ends cleanly")
        .is_some()
    {}
    let status = status_grpc(client, &id).await;
    (id, status)
}

async fn status_grpc(client: &mut Executions, id: &str) -> ExecutionStatus {
    client
        .get_execution_status(ExecutionStatusRequest {
            execution_id: id.into(),
        })
        .await
        .expect("status over gRPC")
        .into_inner()
}

async fn status_rest(client: &reqwest::Client, url: &str) -> app::api::ExecutionDetail {
    let response = client.get(url).send().await.expect("status over REST");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("an ExecutionDetail")
}

/// How many status calls [`unary`] makes.
struct Calls {
    calls: usize,
    warm_up: usize,
    block: usize,
    budget: Duration,
}

/// Up to `calls` sequential status calls per protocol in alternating blocks
/// of `block` (after up to `warm_up` of each), both stopping at the first
/// block boundary after `budget`, so each gets as many calls; the latencies
/// in µs, gRPC's then REST's.
async fn unary(
    grpc: &mut Executions,
    rest: &reqwest::Client,
    id: &str,
    base: &str,
    Calls {
        calls,
        warm_up,
        block,
        budget,
    }: Calls,
) -> (Vec<f64>, Vec<f64>) {
    let url = format!("{base}/api/v1/scenarios/{id}/status");
    let warming = Instant::now();
    for _ in 0..warm_up {
        status_grpc(grpc, id).await;
        status_rest(rest, &url).await;
        if warming.elapsed() > budget / 10 {
            break;
        }
    }
    let started = Instant::now();
    let (mut over_grpc, mut over_rest) = (Vec::with_capacity(calls), Vec::with_capacity(calls));
    let mut round = 0;
    while over_grpc.len() < calls && started.elapsed() < budget {
        let n = block.min(calls - over_grpc.len());
        // A B, then B A: neither always goes first.
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for grpc_turn in order {
            for _ in 0..n {
                let start = Instant::now();
                if grpc_turn {
                    std::hint::black_box(status_grpc(grpc, id).await);
                    over_grpc.push(elapsed_us(start));
                } else {
                    std::hint::black_box(status_rest(rest, &url).await);
                    over_rest.push(elapsed_us(start));
                }
            }
        }
        round += 1;
    }
    (over_grpc, over_rest)
}

/// One whole-log replay over gRPC: (events, seconds, payload bytes).
async fn replay_grpc(client: &mut Executions, id: &str) -> (usize, f64, usize) {
    let start = Instant::now();
    let mut stream = client
        .watch_execution(WatchRequest {
            execution_id: id.into(),
            since_seq: None,
        })
        .await
        .expect("the watch starts")
        .into_inner();
    let (mut events, mut bytes) = (0, 0);
    while let Some(event) = stream.message().await.expect("the watch ends cleanly") {
        events += 1;
        bytes += event.encoded_len();
    }
    (events, start.elapsed().as_secs_f64(), bytes)
}

/// One whole-log replay over a new WebSocket: (events, seconds, text bytes).
async fn replay_ws(ws_url: &str) -> (usize, f64, usize) {
    let start = Instant::now();
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .expect("the WebSocket connects");
    let (mut events, mut bytes) = (0, 0);
    while let Some(message) = socket.next().await {
        let Message::Text(text) = message.expect("a WebSocket message") else {
            continue;
        };
        bytes += text.len();
        let event: app::api::Event = serde_json::from_str(&text).expect("an event");
        events += 1;
        if event.kind.name() == "execution_finished" {
            break;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let _ = socket.close(None).await;
    (events, seconds, bytes)
}

fn print_latency(label: &str, latency: &Latency) {
    println!(
        "   {label:<6} p50 {:8.1} µs   p99 {:8.1} µs   mean {:8.1} µs",
        latency.p50, latency.p99, latency.mean
    );
}

fn print_ratio(grpc: &Latency, rest: &Latency) {
    println!(
        "   gRPC/REST  p50 {:.2}   p99 {:.2}   mean {:.2}",
        grpc.p50 / rest.p50,
        grpc.p99 / rest.p99,
        grpc.mean / rest.mean
    );
}

#[tokio::main]
async fn main() {
    let begun = Instant::now();
    let app = helpers::spawn_app().await;
    let base = app.base.clone();
    let channel = Channel::from_shared(base.clone())
        .expect("the app's address is a URI")
        .connect()
        .await
        .expect("gRPC connects to the HTTP port");
    let mut grpc = Executions::new(channel);
    let rest = reqwest::Client::new();
    println!("app: {base} (in-process, SQLite in a temporary folder, no sandbox)");

    // 1. Executions that called nothing.
    let made = Instant::now();
    let (small, small_status) = dry_run(&mut grpc, 1).await;
    let (large, large_status) = dry_run(&mut grpc, REPEAT).await;
    let events_of = |s: &ExecutionStatus| s.progress.as_ref().map_or(0, |p| p.events);
    let state = |s: &ExecutionStatus| s.status().as_str_name();
    let total_events = events_of(&large_status);
    println!(
        "\n1. dry runs of {SCENARIO} at speed {SPEED:.0} (made in {:.2} s)",
        made.elapsed().as_secs_f64()
    );
    println!(
        "   small: repeat 1     {:6} events  {}",
        events_of(&small_status),
        state(&small_status)
    );
    println!(
        "   large: repeat {REPEAT:<5} {total_events:6} events  {}",
        state(&large_status)
    );

    // 2. Unary latency.
    let (g, r) = unary(
        &mut grpc,
        &rest,
        &small,
        &base,
        Calls {
            calls: CALLS,
            warm_up: WARM_UP,
            block: BLOCK,
            budget: BUDGET,
        },
    )
    .await;
    let made_calls = g.len();
    let (g, r) = (Latency::of(g), Latency::of(r));
    println!(
        "\n2. status of the small execution: {made_calls} sequential calls each (of {CALLS}, {} s budget) after a warm-up, blocks of {BLOCK} alternating",
        BUDGET.as_secs()
    );
    print_latency("gRPC", &g);
    print_latency("REST", &r);
    print_ratio(&g, &r);
    let (lg, lr) = unary(
        &mut grpc,
        &rest,
        &large,
        &base,
        Calls {
            calls: LARGE_CALLS,
            warm_up: 5,
            block: 10,
            budget: BUDGET,
        },
    )
    .await;
    let (lg, lr) = (Latency::of(lg), Latency::of(lr));
    println!(
        "   the same on the large execution ({total_events} events read and folded per call; {LARGE_CALLS} calls each):"
    );
    print_latency("gRPC", &lg);
    print_latency("REST", &lr);
    print_ratio(&lg, &lr);
    let proto_bytes = status_grpc(&mut grpc, &small).await.encoded_len();
    let json_bytes = rest
        .get(format!("{base}/api/v1/scenarios/{small}/status"))
        .send()
        .await
        .expect("status over REST")
        .bytes()
        .await
        .expect("a body")
        .len();
    println!(
        "   response payload: protobuf {proto_bytes} B, JSON {json_bytes} B ({:.2})",
        proto_bytes as f64 / json_bytes as f64
    );

    // 3. Streaming throughput.
    let ws_url = format!(
        "{}/ws/scenario-execution?execution_id={large}",
        base.replace("http://", "ws://")
    );
    replay_grpc(&mut grpc, &large).await;
    replay_ws(&ws_url).await;
    let (mut grpc_rates, mut ws_rates) = (Vec::new(), Vec::new());
    let (mut grpc_bytes, mut ws_bytes) = (0.0, 0.0);
    let (mut grpc_events, mut ws_events) = (0, 0);
    for run in 0..REPLAYS {
        for grpc_turn in if run % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        } {
            if grpc_turn {
                let (events, seconds, bytes) = replay_grpc(&mut grpc, &large).await;
                grpc_rates.push(events as f64 / seconds);
                grpc_bytes = bytes as f64 / events as f64;
                grpc_events = events;
            } else {
                let (events, seconds, bytes) = replay_ws(&ws_url).await;
                ws_rates.push(events as f64 / seconds);
                ws_bytes = bytes as f64 / events as f64;
                ws_events = events;
            }
        }
    }
    let (grpc_rate, ws_rate) = (median(&grpc_rates), median(&ws_rates));
    println!(
        "\n3. whole-log replay of the large execution, {REPLAYS} runs each alternating (median; min–max)"
    );
    let range = |rates: &[f64]| {
        let mut sorted = rates.to_vec();
        sorted.sort_by(f64::total_cmp);
        (sorted[0], sorted[sorted.len() - 1])
    };
    let (gmin, gmax) = range(&grpc_rates);
    let (wmin, wmax) = range(&ws_rates);
    println!(
        "   gRPC WatchExecution   {grpc_rate:9.0} events/s  ({gmin:.0}–{gmax:.0}; {grpc_events} events a run, {:.1} ms)",
        grpc_events as f64 / grpc_rate * 1e3
    );
    println!(
        "   WebSocket             {ws_rate:9.0} events/s  ({wmin:.0}–{wmax:.0}; {ws_events} events a run, {:.1} ms)",
        ws_events as f64 / ws_rate * 1e3
    );
    println!("   gRPC/WebSocket events/s {:.2}", grpc_rate / ws_rate);

    // 4. Bytes per event.
    println!("\n4. payload per event (framing not counted: gRPC 5 B a message, WebSocket 2–4 B)");
    println!(
        "   protobuf {grpc_bytes:.1} B   JSON text {ws_bytes:.1} B   ({:.2})",
        grpc_bytes / ws_bytes
    );

    if tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .is_err()
    {
        eprintln!("(the app did not stop within 10 s)");
    }
    println!("\ntotal {:.1} s", begun.elapsed().as_secs_f64());
}
