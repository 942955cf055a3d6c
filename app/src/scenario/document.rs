//! The scenario document as written: a tree of [`Node`]s, each with the line and
//! column where it starts, and the paths that name its parts.
//!
//! Parsing produces a [`ScenarioDocument`]; rendering a template rewrites its
//! scalars but keeps their positions, so a diagnostic found after rendering still
//! points into the file the user wrote. Validation reads the typed
//! [`Scenario`](super::model::Scenario) from it and asks it, through
//! [`ScenarioDocument::locate`], where a path is.
//!
//! # Paths
//! A path names keys with `.` and list items with `[i]`. Everything under `spec`
//! is named without the `spec.` prefix (`phases[1].actions[0].parameters.delay_ms`,
//! `duration`, `rollback.actions[0]`), the top-level keys by themselves
//! (`metadata.name`, `parameters[2]`, `spec`). The two never collide: no key of
//! `spec` is also a top-level key.
//!
//! This module knows nothing about scenario semantics.

use super::diagnostic::Position;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// The top-level keys of a scenario or template; every other first path segment
/// is a key of `spec`.
pub const ROOT_KEYS: [&str; 5] = ["apiVersion", "kind", "metadata", "spec", "parameters"];

/// A value of the document with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: NodeValue,
    /// Where it starts in the source.
    pub position: Position,
}

/// The JSON-like values a scenario is made of. Plain YAML scalars are resolved by
/// the YAML 1.2 core schema (`true`, `12`, `0.5`, `null`); quoted ones are strings.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction or exponent (or too big for an `i64`).
    Float(f64),
    /// Text.
    String(String),
    /// A list.
    Sequence(Vec<Node>),
    /// A mapping, in the order written.
    Mapping(Vec<Entry>),
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key's text.
    pub key: String,
    /// Where the key starts.
    pub key_position: Position,
    /// The value.
    pub value: Node,
}

impl Node {
    /// A node holding `value` at `position`.
    pub fn new(value: NodeValue, position: Position) -> Self {
        Self { value, position }
    }

    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The entry for `key`, when this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            NodeValue::Mapping(entries) => entries.iter().find(|entry| entry.key == key),
            _ => None,
        }
    }

    /// The text, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(text) => Some(text),
            _ => None,
        }
    }

    /// Roughly how many bytes the node takes written out: its text and keys,
    /// plus one per node. What the parser's alias bound and the template
    /// renderer's output bound count.
    pub fn weight(&self) -> usize {
        match &self.value {
            NodeValue::String(text) => 1 + text.len(),
            NodeValue::Sequence(items) => items
                .iter()
                .fold(1, |sum, item| sum.saturating_add(item.weight())),
            NodeValue::Mapping(entries) => entries.iter().fold(1, |sum, entry| {
                sum.saturating_add(entry.key.len())
                    .saturating_add(entry.value.weight())
            }),
            _ => 1,
        }
    }

    /// A word for the node's type, for messages ("expected a list, found a string").
    pub fn type_name(&self) -> &'static str {
        match self.value {
            NodeValue::Null => "nothing",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) => "an integer",
            NodeValue::Float(_) => "a number",
            NodeValue::String(_) => "a string",
            NodeValue::Sequence(_) => "a list",
            NodeValue::Mapping(_) => "a mapping",
        }
    }

    /// The value as JSON (non-finite floats, which JSON cannot hold, become null).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Sequence(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Mapping(entries) => Value::Object(
                entries
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// A node holding the JSON `value`, every part placed at `position`.
    pub fn from_json(value: &serde_json::Value, position: Position) -> Self {
        use serde_json::Value;
        let node_value = match value {
            Value::Null => NodeValue::Null,
            Value::Bool(b) => NodeValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => NodeValue::Int(i),
                None => NodeValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => NodeValue::String(s.clone()),
            Value::Array(items) => NodeValue::Sequence(
                items
                    .iter()
                    .map(|item| Node::from_json(item, position))
                    .collect(),
            ),
            Value::Object(map) => NodeValue::Mapping(
                map.iter()
                    .map(|(key, value)| Entry {
                        key: key.clone(),
                        key_position: position,
                        value: Node::from_json(value, position),
                    })
                    .collect(),
            ),
        };
        Node::new(node_value, position)
    }
}

/// Nodes serialise as the plain values they hold (mappings keep their order), so a
/// rendered template can be written back out as YAML or JSON.
impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.value {
            NodeValue::Null => serializer.serialize_unit(),
            NodeValue::Bool(b) => serializer.serialize_bool(*b),
            NodeValue::Int(i) => serializer.serialize_i64(*i),
            NodeValue::Float(f) => serializer.serialize_f64(*f),
            NodeValue::String(s) => serializer.serialize_str(s),
            NodeValue::Sequence(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            NodeValue::Mapping(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for entry in entries {
                    map.serialize_entry(&entry.key, &entry.value)?;
                }
                map.end()
            }
        }
    }
}

/// A parsed scenario or template: the tree as written, with positions.
/// Made by [`parse_scenario`](super::parse::parse_scenario), rewritten by
/// [`render`](super::template::render), read by
/// [`validate`](super::validate::validate).
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioDocument {
    /// The top-level mapping (or whatever the text held instead).
    pub root: Node,
}

impl ScenarioDocument {
    /// The document's `kind` (`Scenario` or `Template`), when it has one.
    pub fn kind(&self) -> Option<&str> {
        self.root.get("kind").and_then(Node::as_str)
    }

    /// Whether the document declares itself a `Template`.
    pub fn is_template(&self) -> bool {
        self.kind() == Some("Template")
    }

    /// The node at `path`, if the document has it.
    pub fn node(&self, path: &str) -> Option<&Node> {
        let segments = parse_path(path)?;
        walk(&self.root, &absolute(&self.root, segments)).ok()
    }

    /// Where `path` is in the source: the position of its value, or, when the path
    /// goes further than the document (a missing key), of the deepest part that
    /// exists. `None` for a path that does not parse.
    pub fn locate(&self, path: &str) -> Option<Position> {
        let segments = parse_path(path)?;
        Some(match walk(&self.root, &absolute(&self.root, segments)) {
            Ok(node) => node.position,
            Err(deepest) => deepest.position,
        })
    }

    /// Where the key that ends `path` is written (for unknown or misplaced keys);
    /// falls back to [`locate`](Self::locate) when the path ends in an index.
    pub fn locate_key(&self, path: &str) -> Option<Position> {
        let segments = absolute(&self.root, parse_path(path)?);
        if let Some((Segment::Key(key), parent)) = segments.split_last() {
            if let Ok(node) = walk(&self.root, parent) {
                if let Some(entry) = node.entry(key) {
                    return Some(entry.key_position);
                }
            }
        }
        self.locate(path)
    }
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `a.b[2].c` into segments; `None` if brackets do not hold a number.
fn parse_path(path: &str) -> Option<Vec<Segment>> {
    let mut segments = Vec::new();
    for part in path.split('.').filter(|part| !part.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            segments.push(Segment::Key(key.to_owned()));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped.find(']')?;
            segments.push(Segment::Index(stripped[..close].parse().ok()?));
            rest = &stripped[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(segments)
}

/// Adds the implied `spec` in front of a path that does not start at a top-level key.
fn absolute(root: &Node, mut segments: Vec<Segment>) -> Vec<Segment> {
    let starts_at_root = match segments.first() {
        None => true,
        Some(Segment::Index(_)) => true,
        Some(Segment::Key(key)) => ROOT_KEYS.contains(&key.as_str()) || root.get(key).is_some(),
    };
    if !starts_at_root {
        segments.insert(0, Segment::Key("spec".to_owned()));
    }
    segments
}

/// Follows `segments` from `node`: the node reached, or the deepest one reached.
fn walk<'n>(node: &'n Node, segments: &[Segment]) -> Result<&'n Node, &'n Node> {
    let mut current = node;
    for segment in segments {
        let next = match (segment, &current.value) {
            (Segment::Key(key), NodeValue::Mapping(_)) => current.get(key),
            (Segment::Index(index), NodeValue::Sequence(items)) => items.get(*index),
            _ => None,
        };
        current = next.ok_or(current)?;
    }
    Ok(current)
}

/// `parent.key`, leaving out the `spec.` prefix (see the module docs).
pub fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() || parent == "spec" {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub fn item_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, column: u32) -> Position {
        Position { line, column }
    }

    fn sample() -> ScenarioDocument {
        let action = Node::new(
            NodeValue::Mapping(vec![Entry {
                key: "service".into(),
                key_position: at(4, 9),
                value: Node::new(NodeValue::String("exchange".into()), at(4, 18)),
            }]),
            at(4, 9),
        );
        let phase = Node::new(
            NodeValue::Mapping(vec![Entry {
                key: "actions".into(),
                key_position: at(3, 7),
                value: Node::new(NodeValue::Sequence(vec![action]), at(4, 7)),
            }]),
            at(3, 7),
        );
        let spec = Node::new(
            NodeValue::Mapping(vec![Entry {
                key: "phases".into(),
                key_position: at(2, 3),
                value: Node::new(NodeValue::Sequence(vec![phase]), at(3, 5)),
            }]),
            at(2, 3),
        );
        ScenarioDocument {
            root: Node::new(
                NodeValue::Mapping(vec![Entry {
                    key: "spec".into(),
                    key_position: at(1, 1),
                    value: spec,
                }]),
                at(1, 1),
            ),
        }
    }

    #[test]
    fn paths_split_into_keys_and_indexes() {
        assert_eq!(
            parse_path("phases[1].actions[0].parameters.delay_ms"),
            Some(vec![
                Segment::Key("phases".into()),
                Segment::Index(1),
                Segment::Key("actions".into()),
                Segment::Index(0),
                Segment::Key("parameters".into()),
                Segment::Key("delay_ms".into()),
            ])
        );
        assert_eq!(parse_path("a[x]"), None);
        assert_eq!(parse_path(""), Some(vec![]));
    }

    #[test]
    fn paths_under_spec_are_found_without_the_spec_prefix() {
        let document = sample();
        assert_eq!(
            document.locate("phases[0].actions[0].service"),
            Some(at(4, 18))
        );
        assert_eq!(
            document.locate("spec.phases[0].actions[0].service"),
            Some(at(4, 18))
        );
        assert_eq!(
            document.locate_key("phases[0].actions[0].service"),
            Some(at(4, 9))
        );
    }

    #[test]
    fn a_missing_path_points_at_the_deepest_part_that_exists() {
        let document = sample();
        assert_eq!(
            document.locate("phases[0].actions[0].parameters.x"),
            Some(at(4, 9))
        );
        assert_eq!(document.locate("phases[7]"), Some(at(3, 5)));
    }

    #[test]
    fn child_paths_drop_the_spec_prefix() {
        assert_eq!(child_path("spec", "phases"), "phases");
        assert_eq!(child_path("", "metadata"), "metadata");
        assert_eq!(child_path("metadata", "name"), "metadata.name");
        assert_eq!(item_path("phases", 2), "phases[2]");
    }

    #[test]
    fn nodes_convert_to_json_and_back() {
        let json = serde_json::json!({"a": [1, 2.5, "x", true, null]});
        let node = Node::from_json(&json, at(1, 1));
        assert_eq!(node.to_json(), json);
        assert_eq!(serde_json::to_value(&node).expect("serialises"), json);
    }
}
