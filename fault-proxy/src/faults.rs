//! The faults a TCP proxy injects, their published parameter schemas, and the
//! parsing of a chaos request into one.
//!
//! The names and parameters are Toxiproxy's toxics where it has one
//! (`latency`, `bandwidth`, `timeout`, `reset_peer`, `slow_close`, `slicer`,
//! `limit_data`), plus `blackhole` and `refuse`. Durations are milliseconds,
//! except the slicer's `delay`, which is microseconds as in Toxiproxy. Every
//! number has a bound; a request is checked against the schema
//! (`sandbox::schema`, the chaos API's one validator), so an unknown or
//! out-of-range parameter is refused with every problem at once.

use std::{sync::OnceLock, time::Duration};

use sandbox::schema::{ActionSpec, ParamSpec, ParamType, Problem};
use serde::Serialize;
use serde_json::{json, Value};

/// Which way data flows through a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the client to the upstream service.
    Upstream,
    /// From the upstream service back to the client.
    Downstream,
    /// Both ways.
    Both,
}

impl Direction {
    const NAMES: &'static [&'static str] = &["upstream", "downstream", "both"];

    fn parse(text: &str) -> Option<Self> {
        match text {
            "upstream" => Some(Self::Upstream),
            "downstream" => Some(Self::Downstream),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    /// Whether a fault set on `self` acts on data flowing `flow`
    /// (`Upstream` or `Downstream`).
    pub fn covers(self, flow: Direction) -> bool {
        self == Direction::Both || self == flow
    }
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum TcpFault {
    /// Each chunk is passed on `latency` ± a uniform `jitter` after it was read.
    Latency {
        /// The added delay.
        latency: Duration,
        /// The most the delay varies either way.
        jitter: Duration,
    },
    /// Data is paced to at most this many bytes a second.
    Bandwidth {
        /// The rate.
        bytes_per_second: u64,
    },
    /// Data is thrown away; after `after` (zero: never) the connection closes.
    Timeout {
        /// When the connection closes.
        after: Duration,
    },
    /// After `after`, both sockets are closed with a reset (ECONNRESET).
    ResetPeer {
        /// When the reset comes.
        after: Duration,
    },
    /// A side's close is passed on `delay` later.
    SlowClose {
        /// The delay.
        delay: Duration,
    },
    /// Data is split into small pieces written one by one.
    Slicer {
        /// The pieces' average size in bytes.
        average_size: usize,
        /// How far a piece's size varies either way.
        size_variation: usize,
        /// The pause between pieces.
        delay: Duration,
    },
    /// At most `bytes` pass, then the connection closes.
    LimitData {
        /// The limit, counted per connection from when the fault applies.
        bytes: u64,
    },
    /// New connections are accepted and never forwarded; data is thrown away.
    Blackhole,
    /// The listener closes: new connections are refused.
    Refuse,
}

/// A fault with where and how often it acts.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What it does.
    pub kind: TcpFault,
    /// The data it acts on.
    pub direction: Direction,
    /// The share of connections it acts on, 0 to 1 (Toxiproxy's name).
    pub toxicity: f64,
}

impl Fault {
    /// Whether it throws data away (a connection it touched has a gap, so it
    /// is closed when the fault is cleared).
    pub fn discards(&self) -> bool {
        matches!(self.kind, TcpFault::Timeout { .. } | TcpFault::Blackhole)
    }
}

/// Why a chaos request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultError {
    /// No such action on a TCP proxy.
    #[error("unknown fault `{action}` (supported: {})", supported.join(", "))]
    Unsupported {
        /// What was asked.
        action: String,
        /// What exists.
        supported: Vec<&'static str>,
    },
    /// The parameters do not fit the action's schema.
    #[error("invalid parameters: {}", .0.iter().map(|p| format!("{}: {}", p.parameter, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
}

const MAX_DELAY_MS: f64 = 600_000.0;
const MAX_HOLD_MS: f64 = 3_600_000.0;

fn direction(default: &str) -> ParamSpec {
    ParamSpec::new(
        "direction",
        ParamType::Enum(Direction::NAMES),
        "the data it acts on: upstream (client to service), downstream (service to client) or both",
    )
    .default(json!(default))
}

fn toxicity() -> ParamSpec {
    ParamSpec::new(
        "toxicity",
        ParamType::Float,
        "the share of connections it acts on, 0 to 1",
    )
    .range(0.0, 1.0)
    .default(json!(1.0))
}

/// The faults a TCP proxy offers, as `GET …/chaos/capabilities` publishes them.
pub fn tcp_actions() -> &'static [ActionSpec] {
    static ACTIONS: OnceLock<Vec<ActionSpec>> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        let ms = |name, about| ParamSpec::new(name, ParamType::Int, about);
        vec![
            ActionSpec::new(
                "latency",
                "delay every chunk of data by `latency` ms, ± up to `jitter` ms",
                vec![
                    ms("latency", "the added delay in ms").required().range(0.0, MAX_DELAY_MS),
                    ms("jitter", "the most the delay varies either way, in ms")
                        .range(0.0, MAX_DELAY_MS)
                        .default(json!(0)),
                    direction("downstream"),
                    toxicity(),
                ],
            ),
            ActionSpec::new(
                "bandwidth",
                "limit the data rate to `rate` KB/s (1 KB = 1,000 bytes)",
                vec![
                    ParamSpec::new("rate", ParamType::Int, "the rate in KB/s")
                        .required()
                        .range(1.0, 10_000_000.0),
                    direction("downstream"),
                    toxicity(),
                ],
            ),
            ActionSpec::new(
                "timeout",
                "throw the data away, and close the connection after `timeout` ms (0: hold it open until cleared)",
                vec![
                    ms("timeout", "when the connection closes, in ms; 0 never")
                        .range(0.0, MAX_HOLD_MS)
                        .default(json!(0)),
                    direction("downstream"),
                    toxicity(),
                ],
            ),
            ActionSpec::new(
                "reset_peer",
                "reset the connection (the client sees ECONNRESET) after `timeout` ms",
                vec![
                    ms("timeout", "when the reset comes, in ms")
                        .range(0.0, MAX_HOLD_MS)
                        .default(json!(0)),
                    direction("downstream"),
                    toxicity(),
                ],
            ),
            ActionSpec::new(
                "slow_close",
                "pass a side's close on `delay` ms later",
                vec![
                    ms("delay", "the delay in ms").required().range(0.0, MAX_DELAY_MS),
                    direction("downstream"),
                    toxicity(),
                ],
            ),
            ActionSpec::new(
                "slicer",
                "split the data into pieces of about `average_size` bytes, `delay` µs apart",
                vec![
                    ParamSpec::new("average_size", ParamType::Int, "the pieces' average size in bytes")
                        .required()
                        .range(1.0, 65_536.0),
                    ParamSpec::new(
                        "size_variation",
                        ParamType::Int,
                        "how far a piece's size varies either way, in bytes (less than average_size)",
                    )
                    .range(0.0, 65_535.0)
                    .default(json!(0)),
                    ParamSpec::new("delay", ParamType::Int, "the pause between pieces in µs")
                        .range(0.0, 1_000_000.0)
                        .default(json!(0)),
                    direction("downstream"),
                    toxicity(),
                ],
            ),
            ActionSpec::new(
                "limit_data",
                "let `bytes` bytes through, then close the connection",
                vec![
                    ParamSpec::new("bytes", ParamType::Int, "the limit in bytes, per connection")
                        .required()
                        .range(0.0, (1u64 << 40) as f64),
                    direction("downstream"),
                    toxicity(),
                ],
            ),
            ActionSpec::new(
                "blackhole",
                "accept connections and never forward them; throw open connections' data away",
                vec![direction("both"), toxicity()],
            ),
            ActionSpec::new(
                "refuse",
                "stop listening: new connections are refused until cleared",
                vec![],
            ),
        ]
    })
}

/// The fault `action` with `body`'s parameters (`reset-peer` and
/// `reset_peer` are the same action).
pub fn parse_tcp(action: &str, body: &Value) -> Result<Fault, FaultError> {
    let action = action.replace('-', "_");
    let Some(spec) = tcp_actions().iter().find(|a| a.name == action) else {
        return Err(FaultError::Unsupported {
            action,
            supported: tcp_actions().iter().map(|a| a.name).collect(),
        });
    };
    let params = spec.validate(body).map_err(FaultError::Invalid)?;
    let ms = |name: &str| Duration::from_millis(params.number(name).unwrap_or(0.0) as u64);
    let whole = |name: &str| params.number(name).unwrap_or(0.0) as u64;
    let kind = match spec.name {
        "latency" => TcpFault::Latency {
            latency: ms("latency"),
            jitter: ms("jitter"),
        },
        "bandwidth" => TcpFault::Bandwidth {
            bytes_per_second: whole("rate") * 1000,
        },
        "timeout" => TcpFault::Timeout {
            after: ms("timeout"),
        },
        "reset_peer" => TcpFault::ResetPeer {
            after: ms("timeout"),
        },
        "slow_close" => TcpFault::SlowClose { delay: ms("delay") },
        "slicer" => {
            let (average_size, size_variation) = (
                whole("average_size") as usize,
                whole("size_variation") as usize,
            );
            if size_variation >= average_size {
                return Err(FaultError::Invalid(vec![Problem::new(
                    "size_variation",
                    format!("must be less than average_size ({average_size})"),
                )]));
            }
            TcpFault::Slicer {
                average_size,
                size_variation,
                delay: Duration::from_micros(whole("delay")),
            }
        }
        "limit_data" => TcpFault::LimitData {
            bytes: whole("bytes"),
        },
        "blackhole" => TcpFault::Blackhole,
        _ => TcpFault::Refuse,
    };
    let default_direction = if kind == TcpFault::Blackhole {
        Direction::Both
    } else {
        Direction::Downstream
    };
    Ok(Fault {
        kind,
        direction: params
            .text("direction")
            .and_then(Direction::parse)
            .unwrap_or(default_direction),
        toxicity: params.number("toxicity").unwrap_or(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_becomes_its_fault_with_defaults() {
        assert_eq!(
            parse_tcp("latency", &json!({"latency": 250, "jitter": 10})).unwrap(),
            Fault {
                kind: TcpFault::Latency {
                    latency: Duration::from_millis(250),
                    jitter: Duration::from_millis(10)
                },
                direction: Direction::Downstream,
                toxicity: 1.0
            }
        );
        let reset =
            parse_tcp("reset-peer", &json!({"direction": "both", "toxicity": 0.5})).unwrap();
        assert_eq!(
            reset.kind,
            TcpFault::ResetPeer {
                after: Duration::ZERO
            }
        );
        assert_eq!((reset.direction, reset.toxicity), (Direction::Both, 0.5));
        assert_eq!(
            parse_tcp("blackhole", &json!({})).unwrap().direction,
            Direction::Both
        );
        assert_eq!(
            parse_tcp("bandwidth", &json!({"rate": 64})).unwrap().kind,
            TcpFault::Bandwidth {
                bytes_per_second: 64_000
            }
        );
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let unknown = parse_tcp("explode", &json!({})).unwrap_err();
        assert!(
            matches!(&unknown, FaultError::Unsupported { supported, .. } if supported.contains(&"limit_data")),
            "{unknown}"
        );
        for (action, body, parameter) in [
            ("latency", json!({"latency": -5}), "latency"),
            ("latency", json!({}), "latency"),
            (
                "latency",
                json!({"latency": 5, "toxicity": 1.5}),
                "toxicity",
            ),
            (
                "latency",
                json!({"latency": 5, "direction": "sideways"}),
                "direction",
            ),
            ("latency", json!({"latency": 5, "colour": "red"}), "colour"),
            (
                "slicer",
                json!({"average_size": 10, "size_variation": 10}),
                "size_variation",
            ),
            ("bandwidth", json!({"rate": 0}), "rate"),
        ] {
            match parse_tcp(action, &body) {
                Err(FaultError::Invalid(problems)) => assert!(
                    problems.iter().any(|p| p.parameter == parameter),
                    "{action} {body}: {problems:?}"
                ),
                other => panic!("{action} {body}: {other:?}"),
            }
        }
    }

    #[test]
    fn every_action_publishes_its_schema() {
        let names: Vec<_> = tcp_actions().iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "latency",
                "bandwidth",
                "timeout",
                "reset_peer",
                "slow_close",
                "slicer",
                "limit_data",
                "blackhole",
                "refuse"
            ]
        );
        let latency = tcp_actions()[0].to_json();
        assert_eq!(latency["parameters"][0]["name"], "latency");
        assert_eq!(latency["parameters"][0]["required"], true);
    }
}
