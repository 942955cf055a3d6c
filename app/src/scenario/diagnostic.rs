//! Diagnostics: what parsing, rendering and validation say about a scenario.
//!
//! Validation is not an error enum: every step returns a list of [`Diagnostic`]s so
//! that the editor and the CLI can show every problem at once. A diagnostic names
//! the place by its `path` (`phases[1].actions[0].parameters.delay_ms`) and, when
//! the scenario came from text, by line and column.
//!
//! This module owns the diagnostic types and the "did you mean" suggestion; it does
//! not know the scenario model.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What sort of problem a [`Diagnostic`] reports (DESIGN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticKind {
    /// The text is not well-formed YAML/JSON, or breaks a size, depth or alias limit.
    Syntax,
    /// A key is unknown or missing, or a value has the wrong shape.
    Structure,
    /// An action or assertion names a service the catalog does not have.
    UnknownService,
    /// A service does not support the named action.
    UnsupportedAction,
    /// A parameter has the wrong type, is out of range, missing or undeclared.
    InvalidParameter,
    /// An assertion `type` the catalog does not have.
    UnknownAssertion,
    /// An assertion's `expect` word is not one its type accepts.
    UnsupportedExpectation,
    /// Durations, delays and deadlines that do not fit together.
    Timing,
    /// A template parameter or `{{ … }}` expression is wrong.
    Template,
    /// An orchestration step names a library scenario, uploaded scenario or
    /// template that does not exist.
    UnknownScenario,
}

impl DiagnosticKind {
    /// The snake_case name, as serialised and as the CLI prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Syntax => "syntax",
            Self::Structure => "structure",
            Self::UnknownService => "unknown_service",
            Self::UnsupportedAction => "unsupported_action",
            Self::InvalidParameter => "invalid_parameter",
            Self::UnknownAssertion => "unknown_assertion",
            Self::UnsupportedExpectation => "unsupported_expectation",
            Self::Timing => "timing",
            Self::Template => "template",
            Self::UnknownScenario => "unknown_scenario",
        }
    }
}

impl fmt::Display for DiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a diagnostic stops the scenario from running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The scenario cannot be planned or run.
    Error,
    /// Worth knowing; the scenario still runs.
    Warning,
}

/// A place in the source text: 1-based line and 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    /// Line, counting from 1.
    pub line: u32,
    /// Column in characters, counting from 1.
    pub column: u32,
}

/// One problem found in a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// What sort of problem.
    pub kind: DiagnosticKind,
    /// Error or warning.
    pub severity: Severity,
    /// Where in the document: `metadata.name`, `duration` (paths under `spec`
    /// leave out the `spec.` prefix), `phases[1].actions[0].parameters.delay_ms`;
    /// empty for the whole document.
    pub path: String,
    /// Line in the source, from 1, when known.
    pub line: Option<u32>,
    /// Column in the source, from 1, when known.
    pub column: Option<u32>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error of `kind` at `path`.
    pub fn error(
        kind: DiagnosticKind,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(kind, Severity::Error, path.into(), message.into())
    }

    /// A warning of `kind` at `path`.
    pub fn warning(
        kind: DiagnosticKind,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(kind, Severity::Warning, path.into(), message.into())
    }

    fn new(kind: DiagnosticKind, severity: Severity, path: String, message: String) -> Self {
        Self {
            kind,
            severity,
            path,
            line: None,
            column: None,
            message,
            hint: None,
        }
    }

    /// The same diagnostic with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same diagnostic with a hint when there is one.
    pub fn with_optional_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    /// The same diagnostic placed at `position` (unchanged when `None`).
    pub fn at(mut self, position: Option<Position>) -> Self {
        if let Some(position) = position {
            self.line = Some(position.line);
            self.column = Some(position.column);
        }
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `3:7: error[structure] phases[0].duraton: unknown key … (hint: …)`: the form
/// the CLI prefixes with the file name.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, "{line}:{column}: ")?;
        }
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}[{}]", self.kind)?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Whether any of `diagnostics` is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Orders diagnostics by position (unplaced ones last), keeping the order of
/// discovery among equals, so output is stable and reads top to bottom.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| (d.line.is_none(), d.line, d.column));
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a
/// plausible typo (at most a third of the word's length, and at least 1).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// "did you mean `x`?" for the closest candidate, if any.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|candidate| format!("did you mean `{candidate}`?"))
}

/// Levenshtein distance between two strings, by characters, case-insensitively
/// (a capitalised key is a typo too).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("duration", "duration"), 0);
        assert_eq!(edit_distance("duraton", "duration"), 1);
        assert_eq!(edit_distance("durations", "duration"), 1);
        assert_eq!(edit_distance("Duration", "duration"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn a_close_typo_gets_a_suggestion_and_a_distant_word_does_not() {
        let keys = ["name", "duration", "description", "actions"];
        assert_eq!(
            did_you_mean("duraton", keys).as_deref(),
            Some("did you mean `duration`?")
        );
        assert_eq!(closest("acions", keys), Some("actions"));
        assert_eq!(closest("banana", keys), None);
    }

    #[test]
    fn diagnostics_serialise_with_snake_case_kinds() {
        let diagnostic = Diagnostic::error(
            DiagnosticKind::UnsupportedExpectation,
            "phases[0].assertions[0].expect",
            "nope",
        )
        .at(Some(Position { line: 3, column: 9 }))
        .with_hint("use `healthy`");
        let json = serde_json::to_value(&diagnostic).expect("serialises");
        assert_eq!(json["kind"], "unsupported_expectation");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["line"], 3);
        let back: Diagnostic = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, diagnostic);
    }

    #[test]
    fn display_reads_like_a_compiler_message() {
        let diagnostic = Diagnostic::warning(DiagnosticKind::Timing, "phases[1]", "too long")
            .at(Some(Position { line: 2, column: 5 }))
            .with_hint("shorten it");
        assert_eq!(
            diagnostic.to_string(),
            "2:5: warning[timing] phases[1]: too long (hint: shorten it)"
        );
    }

    #[test]
    fn sorting_puts_diagnostics_in_reading_order_and_unplaced_ones_last() {
        let at = |line| Some(Position { line, column: 1 });
        let mut diagnostics = vec![
            Diagnostic::error(DiagnosticKind::Structure, "c", "c"),
            Diagnostic::error(DiagnosticKind::Structure, "b", "b").at(at(9)),
            Diagnostic::error(DiagnosticKind::Structure, "a", "a").at(at(2)),
        ];
        sort_diagnostics(&mut diagnostics);
        let paths: Vec<_> = diagnostics.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["a", "b", "c"]);
        assert!(has_errors(&diagnostics));
    }
}
