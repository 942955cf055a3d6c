//! A deterministic fuzzer: the seed files and the broken fixtures, mutated by a
//! seeded generator (characters replaced, YAML tokens and template expressions
//! inserted, lines duplicated, swapped, re-indented, truncated), plus random
//! text. Every case runs the whole pipeline; none may panic, and every
//! diagnostic must point inside the text.

use crate::helpers::{read, sandbox_catalog, workspace, SEED_TEMPLATE_PARAMS};
use app::scenario::catalog::Catalog;
use app::scenario::diagnostic::Diagnostic;
use app::scenario::parse::parse_scenario;
use app::scenario::template::{parse_params_document, parse_params_kv, render, ParameterValues};
use app::scenario::validate::{validate, validate_text, ValidateOptions, Validation};

/// A seeded generator (proptest's ChaCha `TestRng`): the same cases on every
/// machine and every run.
struct Random(proptest::test_runner::TestRng);

impl Random {
    fn seeded(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        Self(proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &bytes,
        ))
    }

    fn next(&mut self) -> u64 {
        use proptest::prelude::Rng;
        self.0.next_u64()
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "&b [*a, *a, *a]",
    "!!str ",
    "!!int ",
    "|\n",
    ">\n",
    "'",
    "\"",
    "#",
    "\n",
    "  ",
    "\t",
    "{{",
    "}}",
    "{{ .Parameters.duration + 10m }}",
    "{{ .Variables.depeg_target }}",
    "{{ .Parameters.intensity - 1 }}",
    "{{ .Variables.nope }}",
    "{{ . }}",
    "-1",
    "1e309",
    "0x",
    "0o7",
    "~",
    "null",
    "true",
    "24h",
    "0s",
    "999999999999999999999d",
    "1.5ms",
    "---\n",
    "...\n",
    "? ",
    "<<: *a",
    "\u{feff}",
    "é",
    "𝄞",
    "\\",
    "%YAML 1.2\n",
    "phases",
    "parameters",
    "within",
    "delay",
    "service",
    "action",
    "type",
    "expect",
];

const ALPHABET: &[char] = &[
    'a', 'z', '0', '9', ' ', '\n', ':', '-', '[', ']', '{', '}', '"', '\'', '#', '&', '*', '!',
    '|', '>', '.', ',', '\t', '%', '@', '`', '?', 'é',
];

fn mutate(text: &str, random: &mut Random) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=random.below(4) {
        let at = random.below(chars.len() + 1);
        match random.below(7) {
            0 if !chars.is_empty() => {
                let at = at.min(chars.len() - 1);
                chars[at] = *random.pick(ALPHABET);
            }
            1 => {
                let end = (at + random.below(20)).min(chars.len());
                chars.drain(at..end);
            }
            2 => {
                let token: Vec<char> = random.pick(TOKENS).chars().collect();
                chars.splice(at..at, token);
            }
            3..=5 => {
                let text: String = chars.iter().collect();
                let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
                if lines.is_empty() {
                    continue;
                }
                let i = random.below(lines.len());
                let j = random.below(lines.len());
                match random.below(4) {
                    0 => {
                        let line = lines[i].clone();
                        lines.insert(j, line);
                    }
                    1 => lines.swap(i, j),
                    2 => lines[i].insert_str(0, "  "),
                    _ => {
                        let trimmed = lines[i].strip_prefix("  ").map(str::to_owned);
                        if let Some(trimmed) = trimmed {
                            lines[i] = trimmed;
                        }
                    }
                }
                chars = lines.join("\n").chars().collect();
            }
            _ => chars.truncate(at),
        }
    }
    chars.into_iter().collect()
}

fn random_text(random: &mut Random) -> String {
    let mut text = String::new();
    for _ in 0..random.below(60) {
        if random.below(3) == 0 {
            let token: &&str = random.pick(TOKENS);
            text.push_str(token);
        } else {
            text.push(*random.pick(ALPHABET));
        }
    }
    text
}

fn assert_inside(text: &str, diagnostics: &[Diagnostic]) {
    let lines = u32::try_from(text.lines().count())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    for diagnostic in diagnostics {
        if let Some(line) = diagnostic.line {
            assert!(
                line >= 1 && line <= lines,
                "line {line} of {lines} for {diagnostic} in\n{text}"
            );
        }
        assert!(diagnostic.column.is_none_or(|column| column >= 1));
    }
}

fn check_validation(text: &str, validation: &Validation) {
    assert_inside(text, &validation.diagnostics);
    if let Some(plan) = &validation.plan {
        assert!(
            !validation.has_errors(),
            "a plan despite errors for\n{text}"
        );
        let _ = plan.timeline_text();
        let json = serde_json::to_string(plan).expect("a plan serialises");
        assert!(serde_json::from_str::<app::scenario::plan::Plan>(&json).is_ok());
    }
}

/// The whole pipeline on one input.
fn exercise(text: &str, catalog: &Catalog, params: &ParameterValues, strict: bool) {
    let options = ValidateOptions {
        strict,
        ..ValidateOptions::default()
    };
    check_validation(text, &validate_text(text, catalog, &options));
    if let Ok(document) = parse_scenario(text) {
        check_validation(text, &validate(&document, catalog, &options));
        match render(&document, params) {
            Ok(rendered) => check_validation(text, &validate(&rendered, catalog, &options)),
            Err(diagnostics) => assert_inside(text, &diagnostics),
        }
    }
}

fn corpus() -> Vec<String> {
    let mut corpus = vec![
        read("scenarios/basic-market-disruption.yaml"),
        read("scenarios/stablecoin-depeg.yaml"),
        read("scenarios/templates/exchange-disruption.template.yaml"),
    ];
    let broken = workspace().join("app/tests/fixtures/broken");
    let mut files: Vec<_> = std::fs::read_dir(broken)
        .expect("fixtures exist")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    files.sort();
    corpus.extend(
        files
            .iter()
            .map(|file| std::fs::read_to_string(file).expect("readable")),
    );
    corpus
}

#[test]
fn parsing_rendering_and_validating_never_panic_on_mutated_scenarios() {
    let catalog = sandbox_catalog();
    let corpus = corpus();
    let seed_params = parse_params_kv(SEED_TEMPLATE_PARAMS).expect("reads");
    let mut random = Random::seeded(0x5EED_CAFE_F00D_D00D);
    for case in 0..4_000 {
        let base = random.pick(&corpus).clone();
        let text = mutate(&base, &mut random);
        let params = if case % 3 == 0 {
            parse_params_kv(&random_text(&mut random)).unwrap_or_default()
        } else {
            seed_params.clone()
        };
        exercise(&text, &catalog, &params, case % 2 == 0);
    }
}

#[test]
fn parsing_never_panics_on_random_text_and_parameter_strings() {
    let catalog = sandbox_catalog();
    let mut random = Random::seeded(0xDEAD_BEEF_1234_5678);
    for _ in 0..2_000 {
        let text = random_text(&mut random);
        exercise(&text, &catalog, &ParameterValues::new(), false);
        if let Err(diagnostics) = parse_params_document(&text) {
            assert_inside(&text, &diagnostics);
        }
        let _ = parse_params_kv(&text);
    }
}

#[test]
fn a_yaml_bomb_is_refused_in_bounded_memory_in_every_entry_point() {
    let mut bomb = String::from("apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: lol}\nspec:\n  variables:\n    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..12 {
        let items = vec![format!("*a{}", level - 1); 10].join(", ");
        bomb.push_str(&format!("    a{level}: &a{level} [{items}]\n"));
    }
    bomb.push_str("  phases: []\n");
    let (peak, error) = crate::peak::peak_bytes(|| parse_scenario(&bomb).expect_err("refused"));
    // Refused after a few thousand copies: a few MiB at most, not gigabytes.
    assert!(peak < 16 << 20, "{peak} bytes");
    assert!(
        error[0].message.contains("aliases expand"),
        "{:?}",
        error[0]
    );
    let validation = validate_text(&bomb, &sandbox_catalog(), &ValidateOptions::default());
    assert_eq!(validation.diagnostics.len(), 1);
    assert!(parse_params_document(&bomb).is_err());
}
