//! Each file in `app/tests/fixtures/broken/` states in its header the
//! diagnostics it must yield, one per line, in reading order:
//!
//! ```text
//! # expect: <kind> <path> <line>:<column> [text the message or hint contains]
//! # params: k=v,…        (templates: rendered with these first)
//! ```
//!
//! The test checks that exactly those diagnostics come out: kinds, paths and
//! positions, no more and no fewer.

use crate::helpers::{sandbox_catalog, workspace};
use app::scenario::diagnostic::Diagnostic;
use app::scenario::parse::parse_scenario;
use app::scenario::template::{parse_params_kv, render};
use app::scenario::validate::{validate, ValidateOptions};

struct Expectation {
    kind: String,
    path: String,
    line: u32,
    column: u32,
    text: Option<String>,
}

fn expectations(text: &str) -> (Vec<Expectation>, Option<String>) {
    let mut expected = Vec::new();
    let mut params = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# params: ") {
            params = Some(rest.trim().to_owned());
        }
        let Some(rest) = line.strip_prefix("# expect: ") else {
            continue;
        };
        let mut words = rest.splitn(4, ' ');
        let kind = words.next().expect("a kind").to_owned();
        let path = words.next().expect("a path").to_owned();
        let (line, column) = words
            .next()
            .and_then(|position| position.split_once(':'))
            .map(|(l, c)| (l.parse().expect("a line"), c.parse().expect("a column")))
            .expect("line:column");
        let text = words
            .next()
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty());
        expected.push(Expectation {
            kind,
            path,
            line,
            column,
            text,
        });
    }
    (expected, params)
}

/// parse → render (when the file gives params or is a template) → validate.
fn diagnose(text: &str, params: Option<&str>) -> Vec<Diagnostic> {
    let document = match parse_scenario(text) {
        Ok(document) => document,
        Err(diagnostics) => return diagnostics,
    };
    let document = if document.is_template() || params.is_some() {
        let params = parse_params_kv(params.unwrap_or("")).expect("the fixture's params read");
        match render(&document, &params) {
            Ok(rendered) => rendered,
            Err(diagnostics) => return diagnostics,
        }
    } else {
        document
    };
    validate(&document, &sandbox_catalog(), &ValidateOptions::default()).diagnostics
}

#[test]
fn every_broken_fixture_yields_exactly_its_expected_diagnostics() {
    let directory = workspace().join("app/tests/fixtures/broken");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .expect("the fixtures directory exists")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "only {} fixtures", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let (expected, params) = expectations(&text);
        assert!(
            !expected.is_empty(),
            "{} lists no expectation",
            file.display()
        );
        let actual = diagnose(&text, params.as_deref());
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let matches = actual.len() == expected.len()
            && actual.iter().zip(&expected).all(|(a, e)| {
                a.kind.as_str() == e.kind
                    && a.path == e.path
                    && a.line == Some(e.line)
                    && a.column == Some(e.column)
                    && e.text.as_ref().is_none_or(|text| {
                        a.message.contains(text.as_str())
                            || a.hint.as_deref().is_some_and(|h| h.contains(text.as_str()))
                    })
            });
        if !matches {
            let shown: Vec<String> = actual
                .iter()
                .map(|d| {
                    format!(
                        "# expect: {} {} {}:{} | {} | {:?}",
                        d.kind,
                        d.path,
                        d.line.unwrap_or(0),
                        d.column.unwrap_or(0),
                        d.message,
                        d.hint
                    )
                })
                .collect();
            failures.push(format!("{name}: got\n{}", shown.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
