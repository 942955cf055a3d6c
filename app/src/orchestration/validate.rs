//! The semantic check: an orchestration against what the server knows — its
//! catalog, library, uploaded scenarios and templates — every problem reported
//! at once, and the [`Orchestration`] when there is no error.
//!
//! After the [structure](super::structure) check:
//! - a library scenario, upload or template named by a step must exist
//!   (`unknown_scenario`, with a "did you mean" hint);
//! - an inline scenario is validated by the scenario validator, its diagnostics
//!   placed in the orchestration's text and their paths prefixed with
//!   `steps[i].scenario.inline.`;
//! - a `config` step's service must be in the catalog and have every action its
//!   faults map to, and the values must be in the actions' ranges (messages name
//!   the seed's keys: `fixed_delay_ms`, not `latency`).

use super::faults::FaultSite;
use super::model::Orchestration;
use super::structure::{read, Collection, SourceSite};
use crate::scenario::catalog::{quoted_list, Catalog};
use crate::scenario::diagnostic::{
    did_you_mean, has_errors, sort_diagnostics, Diagnostic, DiagnosticKind, Position,
};
use crate::scenario::document::{Node, ScenarioDocument};
use crate::scenario::parse::parse_node;
use crate::scenario::template::{render, ParameterValues};
use crate::scenario::validate::{validate, ValidateOptions};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The most names a hint lists before it gives up listing.
const MAX_LISTED: usize = 12;

/// What the server knows, for the semantic check.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Services, their actions and assertion types.
    pub catalog: &'a Catalog,
    /// The library scenarios' names.
    pub library: &'a BTreeSet<String>,
    /// The uploaded scenarios' ids.
    pub uploaded: &'a BTreeSet<String>,
    /// The templates' names.
    pub templates: &'a BTreeSet<String>,
}

/// What validation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrchestrationValidation {
    /// The orchestration: present exactly when there is no error.
    pub orchestration: Option<Orchestration>,
    /// Every error and warning, in reading order.
    pub diagnostics: Vec<Diagnostic>,
}

impl OrchestrationValidation {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }

    /// The orchestration and the warnings, or every diagnostic when there is none.
    pub fn into_result(self) -> Result<(Orchestration, Vec<Diagnostic>), Vec<Diagnostic>> {
        match self.orchestration {
            Some(orchestration) => Ok((orchestration, self.diagnostics)),
            None => Err(self.diagnostics),
        }
    }
}

/// Parses `text`, checks its structure, then checks it against `known`.
pub fn validate_orchestration(text: &str, known: &Known<'_>) -> OrchestrationValidation {
    let root = match parse_node(text) {
        Ok(root) => root,
        Err(diagnostic) => {
            return OrchestrationValidation {
                orchestration: None,
                diagnostics: vec![diagnostic],
            }
        }
    };
    let reading = read(&root);
    let mut checker = Checker {
        known,
        diagnostics: reading.diagnostics,
    };
    for source in reading.sources.iter().flatten() {
        checker.source(source);
    }
    let mut diagnostics = checker.diagnostics;
    sort_diagnostics(&mut diagnostics);
    OrchestrationValidation {
        orchestration: (!has_errors(&diagnostics)).then_some(reading.orchestration),
        diagnostics,
    }
}

struct Checker<'a> {
    known: &'a Known<'a>,
    diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(
        &mut self,
        kind: DiagnosticKind,
        path: &str,
        position: Position,
        message: String,
        hint: Option<String>,
    ) {
        // The error codes of one block share their probability's position: say
        // a problem with it once.
        let repeated = self
            .diagnostics
            .iter()
            .any(|d| d.path == path && d.message == message);
        if repeated {
            return;
        }
        self.diagnostics.push(
            Diagnostic::error(kind, path, message)
                .at(Some(position))
                .with_optional_hint(hint),
        );
    }

    fn source(&mut self, source: &SourceSite<'_>) {
        match source {
            SourceSite::Named {
                collection,
                name,
                path,
                position,
            } => self.named(*collection, name, path, *position),
            SourceSite::Inline { path, node } => self.inline(path, node),
            SourceSite::Faults {
                service,
                path,
                position,
                faults,
            } => self.faults(service, path, *position, faults),
        }
    }

    /// The names in `collection`, what one is called and its article.
    fn collection(
        &self,
        collection: Collection,
    ) -> (&BTreeSet<String>, &'static str, &'static str) {
        match collection {
            Collection::Library => (self.known.library, "library scenario", "a"),
            Collection::Uploaded => (self.known.uploaded, "uploaded scenario", "an"),
            Collection::Template => (self.known.templates, "template", "a"),
        }
    }

    /// A library scenario, upload or template must exist.
    fn named(&mut self, collection: Collection, name: &str, path: &str, position: Position) {
        let (names, noun, _) = self.collection(collection);
        if names.contains(name) {
            return;
        }
        // Named in the wrong place: say where it is.
        let elsewhere = [
            (Collection::Library, "name"),
            (Collection::Uploaded, "id"),
            (Collection::Template, "template"),
        ]
        .into_iter()
        .filter(|(other, _)| *other != collection)
        .find_map(|(other, key)| {
            let (others, other_noun, article) = self.collection(other);
            others
                .contains(name)
                .then(|| format!("`{name}` is {article} {other_noun}: write `{key}: {name}`"))
        });
        let hint = elsewhere
            .or_else(|| did_you_mean(name, names.iter().map(String::as_str)))
            .unwrap_or_else(|| match names.len() {
                0 => format!("there is no {noun} yet"),
                n if n <= MAX_LISTED => {
                    let all: Vec<&str> = names.iter().map(String::as_str).collect();
                    format!("the {noun}s are {}", quoted_list(&all))
                }
                n => format!("none of the {n} {noun}s is close to it"),
            });
        self.error(
            DiagnosticKind::UnknownScenario,
            path,
            position,
            format!("there is no {noun} `{name}`"),
            Some(hint),
        );
    }

    /// An inline scenario, validated as the scenario validator does a file (plain
    /// variables rendered first); its nodes keep their positions in the
    /// orchestration's text.
    fn inline(&mut self, path: &str, node: &Node) {
        let catalog = self.known.catalog;
        let options = ValidateOptions::default();
        let document = ScenarioDocument { root: node.clone() };
        let diagnostics = match render(&document, &ParameterValues::new()) {
            Ok(rendered) => validate(&rendered, catalog, &options).diagnostics,
            Err(mut diagnostics) => {
                diagnostics.extend(validate(&document, catalog, &options).diagnostics);
                diagnostics
            }
        };
        for mut diagnostic in diagnostics {
            diagnostic.path = if diagnostic.path.is_empty() {
                path.to_owned()
            } else {
                format!("{path}.{}", diagnostic.path)
            };
            if diagnostic.line.is_none() {
                diagnostic = diagnostic.at(Some(node.position));
            }
            self.diagnostics.push(diagnostic);
        }
    }

    /// A `config` step: its service, the actions its faults need and their values.
    fn faults(&mut self, service: &str, path: &str, position: Position, faults: &[FaultSite]) {
        let catalog = self.known.catalog;
        if !catalog.services.contains_key(service) {
            let known: Vec<&str> = catalog.services.keys().map(String::as_str).collect();
            let hint = did_you_mean(service, known.iter().copied()).unwrap_or_else(|| {
                if known.is_empty() {
                    "no services are configured".to_owned()
                } else {
                    format!("the services are {}", quoted_list(&known))
                }
            });
            self.error(
                DiagnosticKind::UnknownService,
                path,
                position,
                format!("unknown service `{service}`"),
                Some(hint),
            );
            return;
        }
        let mut refused: Vec<&str> = Vec::new();
        for site in faults {
            let action = site.fault.action.as_str();
            let Some(spec) = catalog.action(service, action) else {
                if refused.contains(&site.path.as_str()) {
                    continue; // one error per block, not one per error code
                }
                refused.push(&site.path);
                let names = catalog.action_names(service);
                let mut hint = format!("`{service}` supports {}", quoted_list(&names));
                if action == "bandwidth" {
                    hint.push_str("; bandwidth limits need a TCP proxy");
                }
                self.error(
                    DiagnosticKind::UnsupportedAction,
                    &site.path,
                    site.key_position,
                    format!(
                        "`{}` needs the action `{action}`, which `{service}` does not support",
                        site.block
                    ),
                    Some(hint),
                );
                continue;
            };
            if !site.settled {
                continue; // its values are already reported
            }
            let owner = format!("`{service}.{action}`");
            for (name, value) in &site.fault.parameters {
                let Some(origin) = site.parameter(name) else {
                    continue;
                };
                let seed = &origin.seed_key;
                let Some(parameter) = spec.parameters.iter().find(|p| &p.name == name) else {
                    self.diagnostics.push(
                        Diagnostic::warning(
                            DiagnosticKind::InvalidParameter,
                            &origin.path,
                            format!("{owner} does not declare `{name}`, which `{seed}` sets"),
                        )
                        .at(Some(origin.position))
                        .with_hint(format!("the service may refuse it; remove `{seed}`")),
                    );
                    continue;
                };
                if let Err(problem) = parameter.check(value) {
                    let message = if origin.derived {
                        format!("`{seed}` makes {owner}'s `{name}` {value}: {problem}")
                    } else {
                        format!("`{seed}`: {problem}")
                    };
                    let hint = format!("{owner}'s `{name}` takes {}", parameter.describe());
                    let kind = DiagnosticKind::InvalidParameter;
                    self.error(kind, &origin.path, origin.position, message, Some(hint));
                }
            }
            for parameter in spec.parameters.iter().filter(|p| p.required) {
                if !site.fault.parameters.contains_key(&parameter.name) {
                    self.error(
                        DiagnosticKind::InvalidParameter,
                        &site.path,
                        site.key_position,
                        format!(
                            "{owner} needs the parameter `{}`, which `{}` does not set",
                            parameter.name, site.block
                        ),
                        Some(format!(
                            "`{}` takes {}",
                            parameter.name,
                            parameter.describe()
                        )),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
