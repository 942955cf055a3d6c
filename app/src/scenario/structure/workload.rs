//! The shape of `spec.workload` (docs/workload.md): its streams, their rates
//! and the steady state, read like the rest of the document by the parent's
//! [`Reader`].

use super::{Field, Reader, Shape};
use crate::scenario::document::{child_path, item_path, Node, NodeValue};
use crate::scenario::template::contains_expression;
use crate::scenario::workload::{
    Rate, SteadyState, Stream, Workload, DEFAULT_CONCURRENCY, DEFAULT_HOLD, DEFAULT_TIMEOUT,
};

const WORKLOAD: &[&str] = &["streams", "steady_state"];
const STREAM: &[&str] = &[
    "name",
    "service",
    "method",
    "path",
    "headers",
    "body",
    "rate",
    "concurrency",
    "timeout",
    "phases",
];
const RAMP: &[&str] = &["from", "to", "over"];
const STEADY_STATE: &[&str] = &[
    "p95_latency_ms",
    "p99_latency_ms",
    "failure_rate",
    "for",
    "resolution",
];

impl Reader {
    fn number(&mut self, node: Option<&Node>, field: Field<'_>) -> Option<f64> {
        let node = node?;
        match &node.value {
            NodeValue::Int(number) => Some(*number as f64),
            NodeValue::Float(number) => Some(*number),
            NodeValue::String(text) if contains_expression(text) => {
                let path = field.path();
                self.unsettled.insert(path.clone());
                self.pending_fields.push((path, node.position));
                None
            }
            _ => {
                self.wrong_type(node, &field.path(), "a number");
                None
            }
        }
    }

    pub(super) fn workload(&mut self, node: &Node) -> Workload {
        let shape = Shape {
            what: "workload",
            keys: WORKLOAD,
            required: &["streams"],
        };
        if self.mapping(node, "workload", &shape).is_none() {
            return Workload::default();
        }
        let streams = self
            .list(node.get("streams"), "workload.streams")
            .iter()
            .enumerate()
            .map(|(index, stream)| self.stream(stream, &item_path("workload.streams", index)))
            .collect();
        Workload {
            streams,
            steady_state: node
                .get("steady_state")
                .map(|steady| self.steady_state(steady)),
        }
    }

    fn stream(&mut self, node: &Node, path: &str) -> Stream {
        let shape = Shape {
            what: "a workload stream",
            keys: STREAM,
            required: &["name", "service", "path", "rate"],
        };
        let mut stream = Stream {
            name: String::new(),
            service: String::new(),
            method: "GET".to_owned(),
            path: String::new(),
            headers: Default::default(),
            body: None,
            rate: Rate::Constant(0.0),
            concurrency: DEFAULT_CONCURRENCY,
            timeout: DEFAULT_TIMEOUT,
            phases: Vec::new(),
        };
        if self.mapping(node, path, &shape).is_none() {
            return stream;
        }
        stream.name = self
            .loose_text(node.get("name"), Field::Key(path, "name"))
            .unwrap_or_default();
        stream.service = self
            .text(node.get("service"), Field::Key(path, "service"))
            .unwrap_or_default();
        if let Some(method) = self.text(node.get("method"), Field::Key(path, "method")) {
            stream.method = method;
        }
        stream.path = self
            .text(node.get("path"), Field::Key(path, "path"))
            .unwrap_or_default();
        let headers_path = child_path(path, "headers");
        match node.get("headers").map(|node| (node, &node.value)) {
            None | Some((_, NodeValue::Null)) => {}
            Some((_, NodeValue::Mapping(entries))) => {
                for entry in entries {
                    let field = Field::Key(&headers_path, &entry.key);
                    if let Some(value) = self.loose_text(Some(&entry.value), field) {
                        stream.headers.insert(entry.key.clone(), value);
                    }
                }
            }
            Some((node, _)) => self.wrong_type(node, &headers_path, "a mapping of headers"),
        }
        stream.body = node.get("body").map(Node::to_json);
        if let Some(rate) = self.rate(node.get("rate"), path) {
            stream.rate = rate;
        }
        if let Some(concurrency) = node.get("concurrency") {
            match concurrency.value {
                NodeValue::Int(n) if (1..=100_000).contains(&n) => stream.concurrency = n as u32,
                _ => {
                    let message = "`concurrency` is a whole number from 1 to 100000";
                    self.error(
                        &child_path(path, "concurrency"),
                        concurrency.position,
                        message,
                    );
                }
            }
        }
        if let Some(timeout) = self.duration(node.get("timeout"), Field::Key(path, "timeout")) {
            stream.timeout = timeout;
        }
        stream.phases = self.texts(node.get("phases"), &child_path(path, "phases"));
        stream
    }

    fn rate(&mut self, node: Option<&Node>, path: &str) -> Option<Rate> {
        let node = node?;
        let rate_path = child_path(path, "rate");
        if let NodeValue::Mapping(_) = node.value {
            let shape = Shape {
                what: "a ramp",
                keys: RAMP,
                required: &["from", "to", "over"],
            };
            self.mapping(node, &rate_path, &shape)?;
            let from = self.number(node.get("from"), Field::Key(&rate_path, "from"));
            let to = self.number(node.get("to"), Field::Key(&rate_path, "to"));
            let over = self.duration(node.get("over"), Field::Key(&rate_path, "over"));
            return Some(Rate::Ramp {
                from: from?,
                to: to?,
                over: over?,
            });
        }
        self.number(Some(node), Field::Key(path, "rate"))
            .map(Rate::Constant)
    }

    fn steady_state(&mut self, node: &Node) -> SteadyState {
        let path = "workload.steady_state";
        let shape = Shape {
            what: "steady_state",
            keys: STEADY_STATE,
            required: &[],
        };
        let mut steady = SteadyState {
            p95_latency_ms: None,
            p99_latency_ms: None,
            failure_rate: None,
            hold_for: DEFAULT_HOLD,
            resolution: None,
        };
        if self.mapping(node, path, &shape).is_none() {
            return steady;
        }
        steady.p95_latency_ms = self.number(
            node.get("p95_latency_ms"),
            Field::Key(path, "p95_latency_ms"),
        );
        steady.p99_latency_ms = self.number(
            node.get("p99_latency_ms"),
            Field::Key(path, "p99_latency_ms"),
        );
        steady.failure_rate =
            self.number(node.get("failure_rate"), Field::Key(path, "failure_rate"));
        if let Some(hold) = self.duration(node.get("for"), Field::Key(path, "for")) {
            steady.hold_for = hold;
        }
        steady.resolution = self.duration(node.get("resolution"), Field::Key(path, "resolution"));
        steady
    }
}
