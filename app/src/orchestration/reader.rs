//! The reading machinery the structure check is built of: a [`Reader`] that
//! collects diagnostics while it reads typed values (text, flags, whole numbers
//! in a range) and mappings of a known [`Shape`] (unknown keys get a "did you
//! mean" hint at the key, missing ones are reported at their mapping).
//!
//! This module knows nodes and diagnostics, not orchestrations.

use crate::scenario::catalog::quoted_list;
use crate::scenario::diagnostic::{did_you_mean, Diagnostic, DiagnosticKind, Position};
use crate::scenario::document::{Entry, Node, NodeValue};
use std::ops::RangeInclusive;

/// `parent.key` (`key` alone at the top).
pub(super) fn key_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The keys of one kind of mapping, with the name used in messages.
pub(super) struct Shape {
    pub what: &'static str,
    pub keys: &'static [&'static str],
    pub required: &'static [&'static str],
}

/// The reader: collects diagnostics while reading.
#[derive(Default)]
pub(super) struct Reader {
    pub diagnostics: Vec<Diagnostic>,
}

impl Reader {
    pub(super) fn error(
        &mut self,
        kind: DiagnosticKind,
        path: &str,
        position: Position,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(kind, path, message).at(Some(position)));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    pub(super) fn structure(
        &mut self,
        path: &str,
        position: Position,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.error(DiagnosticKind::Structure, path, position, message)
    }

    pub(super) fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        let found = match node.value {
            NodeValue::Float(number) => format!("the number {number}"),
            _ => node.type_name().to_owned(),
        };
        self.structure(
            path,
            node.position,
            format!("expected {expected}, found {found}"),
        );
    }

    /// The entries of a mapping of `shape`, after reporting unknown and missing keys.
    pub(super) fn mapping<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        shape: &Shape,
    ) -> Option<&'n [Entry]> {
        let NodeValue::Mapping(entries) = &node.value else {
            self.wrong_type(node, path, &format!("a mapping ({})", shape.what));
            return None;
        };
        for entry in entries {
            if !shape.keys.contains(&entry.key.as_str()) {
                let hint = did_you_mean(&entry.key, shape.keys.iter().copied())
                    .unwrap_or_else(|| format!("{} takes {}", shape.what, quoted_list(shape.keys)));
                let message = format!("unknown key `{}` in {}", entry.key, shape.what);
                self.structure(&key_path(path, &entry.key), entry.key_position, message)
                    .hint = Some(hint);
            }
        }
        for key in shape.required {
            if node.get(key).is_none() {
                let message = format!("`{key}` is missing from {}", shape.what);
                self.structure(&key_path(path, key), node.position, message);
            }
        }
        Some(entries)
    }

    /// A string (numbers and booleans are not taken for text).
    pub(super) fn text(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            NodeValue::String(text) => Some(text.clone()),
            _ => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    /// A string that is not blank.
    pub(super) fn word(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.text(node, path)?;
        if text.trim().is_empty() {
            let key = path.rsplit('.').next().unwrap_or(path);
            self.structure(path, node.position, format!("`{key}` is empty"));
            return None;
        }
        Some(text)
    }

    /// `true` or `false`; `default` when absent.
    pub(super) fn flag(&mut self, node: Option<&Node>, path: &str, default: bool) -> bool {
        match node.map(|node| (node, &node.value)) {
            None => default,
            Some((_, NodeValue::Bool(value))) => *value,
            Some((node, _)) => {
                self.wrong_type(node, path, "true or false");
                default
            }
        }
    }

    /// A whole number in `range`: a wrong type is a `structure` error, a number out
    /// of range an error of `kind` naming the value and the limit.
    pub(super) fn integer(
        &mut self,
        node: &Node,
        path: &str,
        kind: DiagnosticKind,
        range: RangeInclusive<i64>,
    ) -> Option<i64> {
        let NodeValue::Int(number) = node.value else {
            self.wrong_type(node, path, "an integer");
            return None;
        };
        let key = path.rsplit('.').next().unwrap_or(path);
        if number < *range.start() {
            let message = format!("`{key}` is {number}, below the minimum {}", range.start());
            self.error(kind, path, node.position, message);
            return None;
        }
        if number > *range.end() {
            let message = format!("`{key}` is {number}, above the limit {}", range.end());
            self.error(kind, path, node.position, message);
            return None;
        }
        Some(number)
    }

    /// Any number (a whole one too), finite.
    pub(super) fn number(&mut self, node: &Node, path: &str) -> Option<f64> {
        let number = match node.value {
            #[allow(clippy::cast_precision_loss)] // a ratio or a rate: precision is not at stake
            NodeValue::Int(number) => number as f64,
            NodeValue::Float(number) if number.is_finite() => number,
            _ => {
                self.wrong_type(node, path, "a number");
                return None;
            }
        };
        Some(number)
    }
}
