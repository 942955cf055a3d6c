//! Text → [`ScenarioDocument`]: reads YAML (and JSON, which is read as the YAML
//! it also is) into a tree of positioned [`Node`]s, within fixed bounds.
//!
//! # Why saphyr-parser and not serde_yaml
//! serde_yaml 0.9 (the workspace's YAML crate for config) reports a position only
//! for the first error it meets, and never for the parts of a document that parsed
//! well — but every semantic diagnostic (unknown service, delay past its phase…)
//! needs the line and column of its path, and the editor needs *all* of them at
//! once. `saphyr-parser` is a pure, safe-Rust YAML 1.2 event parser (no C, fine in
//! WASM) that gives a position with every event. This module builds the tree from
//! those events itself, which is also where the bounds are enforced. Scenario
//! *input* therefore goes through one YAML parser only; serde_yaml is used just to
//! write YAML back out.
//!
//! # Bounds
//! - inputs over [`MAX_INPUT_BYTES`] are refused before any parsing;
//! - nesting deeper than [`MAX_DEPTH`] is refused as soon as it is reached;
//! - aliases may copy at most [`MAX_ALIAS_NODES`] nodes and [`MAX_INPUT_BYTES`]
//!   of text in all: a "billion laughs" file, or one long string aliased
//!   thousands of times, is refused in bounded memory;
//! - one document per file, unique keys, keys are scalars.
//!
//! This module owns only the text → tree step; reading the tree as a
//! [`Scenario`](super::model::Scenario) is [`structure`](super::structure)'s job.

use super::diagnostic::{Diagnostic, DiagnosticKind, Position};
use super::document::{Entry, Node, NodeValue, ScenarioDocument};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use std::borrow::Cow;
use std::collections::HashMap;

/// The largest input accepted: 1 MiB.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// The deepest nesting of lists and mappings accepted.
pub const MAX_DEPTH: usize = 64;

/// How many nodes all aliases of a document may copy in total.
pub const MAX_ALIAS_NODES: usize = 10_000;

/// Parses a scenario or template written in YAML or JSON. Errors are `syntax`
/// diagnostics with a position (and only those: whether the tree is a valid
/// scenario is for [`validate`](super::validate::validate) to say, all at once).
pub fn parse_scenario(text: &str) -> Result<ScenarioDocument, Vec<Diagnostic>> {
    parse_node(text)
        .map(|root| ScenarioDocument { root })
        .map_err(|diagnostic| vec![diagnostic])
}

/// Parses any YAML or JSON document (a scenario, a parameter file) into a tree,
/// within the bounds above.
pub fn parse_node(text: &str) -> Result<Node, Diagnostic> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Diagnostic::error(
            DiagnosticKind::Syntax,
            "",
            format!(
                "the document is {} bytes; the limit is {MAX_INPUT_BYTES} bytes (1 MiB)",
                text.len()
            ),
        )
        .with_hint("split it into several scenarios"));
    }
    let mut loader = Loader::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(scan_error)?;
        loader.accept(event, span)?;
    }
    Ok(loader
        .root
        .unwrap_or_else(|| Node::new(NodeValue::Null, start_position())))
}

fn start_position() -> Position {
    Position { line: 1, column: 1 }
}

fn position(span: Span) -> Position {
    Position {
        line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
        column: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
    }
}

fn scan_error(error: ScanError) -> Diagnostic {
    let marker = error.marker();
    Diagnostic::error(
        DiagnosticKind::Syntax,
        "",
        format!("not valid YAML or JSON: {}", error.info()),
    )
    .at(Some(Position {
        line: u32::try_from(marker.line()).unwrap_or(u32::MAX),
        column: u32::try_from(marker.col() + 1).unwrap_or(u32::MAX),
    }))
}

fn syntax(position: Position, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(DiagnosticKind::Syntax, "", message).at(Some(position))
}

/// A list or mapping being read.
struct Frame {
    position: Position,
    anchor: usize,
    /// Nodes in this subtree, counting aliased copies (for the alias bound).
    size: usize,
    body: FrameBody,
}

enum FrameBody {
    Sequence(Vec<Node>),
    Mapping {
        entries: Vec<Entry>,
        /// The key read, waiting for its value.
        key: Option<(String, Position)>,
    },
}

/// Builds the tree from parser events.
#[derive(Default)]
struct Loader {
    stack: Vec<Frame>,
    /// Anchored nodes by anchor id, with their size.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes copied by aliases so far.
    copied: usize,
    /// Bytes of text copied by aliases so far ([`Node::weight`]).
    copied_bytes: usize,
    documents: usize,
    root: Option<Node>,
}

impl Loader {
    fn accept(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        let at = position(span);
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(syntax(
                        at,
                        "a file holds one scenario, but this is a second document",
                    )
                    .with_hint("remove the `---` line, or split the file"));
                }
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(frame) = self.waiting_for_key() {
                    return frame.take_key(text.into_owned(), at);
                }
                let value = resolve_scalar(text.clone(), style, tag.as_ref());
                if matches!(value, NodeValue::Float(number) if !number.is_finite()) {
                    // JSON cannot carry it and no bound can be checked against it.
                    return Err(syntax(
                        at,
                        format!("`{text}` is not a finite number"),
                    )
                    .with_hint("write a number between -1.7e308 and 1.7e308, or quote it to make it text"));
                }
                self.complete(Node::new(value, at), anchor, 1)
            }
            Event::Alias(id) => {
                if self.waiting_for_key().is_some() {
                    return Err(syntax(at, "an alias cannot be a key"));
                }
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(syntax(at, "this alias refers to no anchor"));
                };
                self.copied = self.copied.saturating_add(*size);
                if self.copied > MAX_ALIAS_NODES {
                    return Err(syntax(
                        at,
                        format!("aliases expand to more than {MAX_ALIAS_NODES} nodes"),
                    )
                    .with_hint("write the repeated parts out, or use fewer nested aliases"));
                }
                self.copied_bytes = self.copied_bytes.saturating_add(node.weight());
                if self.copied_bytes > MAX_INPUT_BYTES {
                    return Err(syntax(
                        at,
                        format!("aliases expand to more than {MAX_INPUT_BYTES} bytes of text"),
                    )
                    .with_hint("write the repeated parts out, or alias shorter values"));
                }
                let mut copy = node.clone();
                copy.position = at;
                let size = *size;
                self.complete(copy, 0, size)
            }
            Event::SequenceStart(anchor, _) => {
                self.open(at, anchor, FrameBody::Sequence(Vec::new()))
            }
            Event::MappingStart(anchor, _) => self.open(
                at,
                anchor,
                FrameBody::Mapping {
                    entries: Vec::new(),
                    key: None,
                },
            ),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(syntax(at, "unbalanced end of a list or mapping"));
                };
                let value = match frame.body {
                    FrameBody::Sequence(items) => NodeValue::Sequence(items),
                    FrameBody::Mapping { entries, .. } => NodeValue::Mapping(entries),
                };
                self.complete(Node::new(value, frame.position), frame.anchor, frame.size)
            }
        }
    }

    /// The innermost mapping, when it expects a key next.
    fn waiting_for_key(&mut self) -> Option<&mut Frame> {
        self.stack
            .last_mut()
            .filter(|frame| matches!(frame.body, FrameBody::Mapping { key: None, .. }))
    }

    fn open(&mut self, at: Position, anchor: usize, body: FrameBody) -> Result<(), Diagnostic> {
        if self.waiting_for_key().is_some() {
            return Err(syntax(at, "keys must be plain text, not lists or mappings"));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(syntax(at, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.stack.push(Frame {
            position: at,
            anchor,
            size: 1,
            body,
        });
        Ok(())
    }

    /// Hands a finished node to its parent (or makes it the root).
    fn complete(&mut self, node: Node, anchor: usize, size: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        parent.size = parent.size.saturating_add(size);
        match &mut parent.body {
            FrameBody::Sequence(items) => items.push(node),
            FrameBody::Mapping { entries, key } => {
                let (key, key_position) = key
                    .take()
                    .ok_or_else(|| syntax(node.position, "a value without a key"))?;
                entries.push(Entry {
                    key,
                    key_position,
                    value: node,
                });
            }
        }
        Ok(())
    }
}

impl Frame {
    fn take_key(&mut self, text: String, at: Position) -> Result<(), Diagnostic> {
        if let FrameBody::Mapping { entries, key } = &mut self.body {
            if let Some(first) = entries.iter().find(|entry| entry.key == text) {
                return Err(syntax(
                    at,
                    format!(
                        "the key `{text}` appears twice in one mapping (first at line {})",
                        first.key_position.line
                    ),
                ));
            }
            *key = Some((text, at));
        }
        Ok(())
    }
}

/// The value of a scalar: quoted, block and `!!str` scalars are strings; plain ones
/// follow the YAML 1.2 core schema.
fn resolve_scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Cow<'_, Tag>>) -> NodeValue {
    let core_tag = tag
        .filter(|tag| tag.is_yaml_core_schema())
        .map(|tag| tag.suffix.as_str());
    if style != ScalarStyle::Plain || core_tag == Some("str") {
        return NodeValue::String(text.into_owned());
    }
    resolve_plain(&text).unwrap_or_else(|| NodeValue::String(text.into_owned()))
}

/// The YAML 1.2 core schema for plain scalars; `None` for text.
fn resolve_plain(text: &str) -> Option<NodeValue> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(NodeValue::Null),
        "true" | "True" | "TRUE" => return Some(NodeValue::Bool(true)),
        "false" | "False" | "FALSE" => return Some(NodeValue::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(NodeValue::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(NodeValue::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(NodeValue::Float(f64::NAN)),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(NodeValue::Int);
    }
    if let Some(octal) = text.strip_prefix("0o") {
        return i64::from_str_radix(octal, 8).ok().map(NodeValue::Int);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(match text.parse::<i64>() {
            Ok(int) => NodeValue::Int(int),
            Err(_) => NodeValue::Float(text.parse().ok()?),
        });
    }
    if is_core_float(digits) {
        return text.parse().ok().map(NodeValue::Float);
    }
    None
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
fn is_core_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match fraction {
        Some(f) => all_digits(whole) && all_digits(f) && !(whole.is_empty() && f.is_empty()),
        None => !whole.is_empty() && all_digits(whole),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_node(text).expect("parses")
    }

    fn syntax_error(text: &str) -> Diagnostic {
        parse_node(text).expect_err("is refused")
    }

    #[test]
    fn non_finite_numbers_are_refused_where_they_are_written() {
        for (text, word) in [
            ("a:\n  b: 1e309\n", "1e309"),
            ("a: .nan\n", ".nan"),
            ("a: [1, -.inf]\n", "-.inf"),
            ("{\"a\": 1e999}", "1e999"),
        ] {
            let error = parse_node(text).expect_err(text);
            assert!(
                error
                    .message
                    .contains(&format!("`{word}` is not a finite number")),
                "{text}: {}",
                error.message
            );
            assert!(error.line.is_some(), "{text}: placed");
        }
        assert!(parse_node("a: \".nan\"\nb: 1e308\n").is_ok());
    }

    #[test]
    fn one_long_string_aliased_many_times_is_refused_in_bounded_memory() {
        let long = "y".repeat(200_000);
        let aliases = vec!["*a"; 50].join(", ");
        let text = format!("a: &a \"{long}\"\nb: [{aliases}]\n");
        let error = parse_node(&text).expect_err("refused");
        assert!(error.message.contains("bytes of text"), "{}", error.message);
        // A few copies are fine.
        let text = format!("a: &a \"{long}\"\nb: [*a, *a]\n");
        assert!(parse_node(&text).is_ok());
    }

    #[test]
    fn plain_scalars_follow_the_core_schema_and_quoted_ones_stay_text() {
        let node =
            parse("a: 1\nb: 0.5\nc: true\nd: ~\ne: '1'\nf: 30m\ng: -0.05\nh: 1e3\ni: !!str 7\n");
        let value = |key| node.get(key).map(|n| n.value.clone());
        assert_eq!(value("a"), Some(NodeValue::Int(1)));
        assert_eq!(value("b"), Some(NodeValue::Float(0.5)));
        assert_eq!(value("c"), Some(NodeValue::Bool(true)));
        assert_eq!(value("d"), Some(NodeValue::Null));
        assert_eq!(value("e"), Some(NodeValue::String("1".into())));
        assert_eq!(value("f"), Some(NodeValue::String("30m".into())));
        assert_eq!(value("g"), Some(NodeValue::Float(-0.05)));
        assert_eq!(value("h"), Some(NodeValue::Float(1000.0)));
        assert_eq!(value("i"), Some(NodeValue::String("7".into())));
    }

    #[test]
    fn every_node_and_key_has_its_line_and_column() {
        let node = parse("spec:\n  phases:\n    - name: x\n      duration: 5m\n");
        let phase = &node
            .get("spec")
            .and_then(|s| s.get("phases"))
            .map(|p| p.value.clone());
        let Some(NodeValue::Sequence(phases)) = phase else {
            panic!("phases is a list: {phase:?}")
        };
        let entry = phases[0].entry("duration").expect("has duration");
        assert_eq!(entry.key_position, Position { line: 4, column: 7 });
        assert_eq!(
            entry.value.position,
            Position {
                line: 4,
                column: 17
            }
        );
    }

    #[test]
    fn json_reads_as_yaml_with_positions() {
        let node = parse("{\n  \"kind\": \"Scenario\",\n\t\"spec\": {\"duration\": \"5m\"}\n}\n");
        assert_eq!(node.get("kind").and_then(Node::as_str), Some("Scenario"));
        let duration = node
            .get("spec")
            .and_then(|s| s.get("duration"))
            .expect("found");
        assert_eq!(duration.position.line, 3);
    }

    #[test]
    fn anchors_and_aliases_copy_values() {
        let node = parse("a: &x {k: 1}\nb: *x\n");
        assert_eq!(
            node.get("b")
                .and_then(|b| b.get("k"))
                .map(|k| k.value.clone()),
            Some(NodeValue::Int(1))
        );
    }

    #[test]
    fn a_billion_laughs_is_refused_quickly() {
        let mut text = String::from(
            "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            let items = [previous.as_str(); 9].join(",");
            text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        let started = std::time::Instant::now();
        let error = syntax_error(&text);
        assert!(error.message.contains("aliases expand"), "{error}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(syntax_error(&text).message.contains("nested deeper"));
        assert!(parse_node(&format!("{}{}", "[".repeat(60), "]".repeat(60))).is_ok());
    }

    #[test]
    fn inputs_over_one_mebibyte_are_refused_before_parsing() {
        let text = format!("a: \"{}\"", "x".repeat(MAX_INPUT_BYTES));
        assert!(syntax_error(&text).message.contains("1 MiB"));
    }

    #[test]
    fn malformed_text_gives_a_positioned_syntax_error() {
        let error = syntax_error("a: [1, 2\nb: 3\n");
        assert_eq!(error.kind, DiagnosticKind::Syntax);
        assert!(error.line.is_some() && error.column.is_some());
    }

    #[test]
    fn duplicate_keys_and_second_documents_are_refused() {
        assert!(syntax_error("a: 1\nb: 2\na: 3\n")
            .message
            .contains("appears twice"));
        assert!(syntax_error("a: 1\n---\nb: 2\n")
            .message
            .contains("second document"));
        assert!(syntax_error("? [a]\n: 1\n").message.contains("plain text"));
    }

    #[test]
    fn an_empty_text_is_a_null_document() {
        assert_eq!(parse("").value, NodeValue::Null);
        assert_eq!(parse("# only a comment\n").value, NodeValue::Null);
    }
}
