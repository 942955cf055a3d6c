//! [`Node`] → [`Orchestration`]: the structure check. Every unknown key (with a
//! "did you mean" hint, at the key's position), missing key, value of the wrong
//! type and bound broken is reported, all at once, with its path
//! (`steps[2].scenario.config.latency.fixed_delay_ms`) and line:column; whatever
//! could be read is still read, so that the [semantic check](super::validate) can
//! go on to check the rest.
//!
//! The `config` block of a step is read by [`faults`](super::faults).
//!
//! This module owns the shape of the document (which keys exist where and what
//! they hold); whether the scenarios and services it names exist is
//! [`validate`](super::validate)'s job. It knows nothing of a server.

use super::faults::FaultSite;
use super::model::{
    Orchestration, Step, StepScenario, MAX_DELAY_BEFORE_SECONDS, MAX_DESCRIPTION_CHARS,
    MAX_ITERATIONS, MAX_MEMBERS, MAX_NAME_CHARS, MAX_STEPS, MAX_STEP_DURATION_SECONDS,
    MAX_STEP_NAME_CHARS, MAX_TAGS, MAX_TAG_CHARS,
};
use super::reader::{key_path, Reader, Shape};
use crate::scenario::catalog::quoted_list;
use crate::scenario::diagnostic::{
    has_errors, sort_diagnostics, Diagnostic, DiagnosticKind, Position,
};
use crate::scenario::document::{item_path, Entry, Node, NodeValue};
use crate::scenario::parse::parse_node;
use serde_json::{Map, Value};
use std::ops::RangeInclusive;

const ROOT: &[&str] = &[
    "name",
    "description",
    "steps",
    "parallel",
    "loop_orchestration",
    "max_iterations",
    "tags",
];
const STEP: &[&str] = &[
    "name",
    "scenario",
    "duration_seconds",
    "delay_before_seconds",
    "continue_on_failure",
];
const SOURCE: &[&str] = &[
    "name",
    "id",
    "version",
    "inline",
    "template",
    "parameters",
    "config",
];
/// The keys of a step's `scenario` that each name a source; a step has exactly one.
const SOURCES: &[&str] = &["name", "id", "inline", "template", "config"];
const SOURCE_HINT: &str = "write one of `name` (a library scenario), `id` (an uploaded one, \
     with an optional `version`), `inline` (a whole scenario written here), `template` (with \
     its `parameters`) or `config` (faults on one service)";

/// Reads an orchestration's structure only (nothing is looked up: the server
/// uses it to import a document before the semantic check). Fails with every
/// error, in reading order; warnings are dropped (see
/// [`validate_orchestration`](super::validate_orchestration), which keeps them).
/// An inline scenario is only checked to be a mapping and not a Template here.
pub fn parse_orchestration(text: &str) -> Result<Orchestration, Vec<Diagnostic>> {
    let root = parse_node(text).map_err(|diagnostic| vec![diagnostic])?;
    let reading = read(&root);
    if has_errors(&reading.diagnostics) {
        let mut diagnostics = reading.diagnostics;
        sort_diagnostics(&mut diagnostics);
        return Err(diagnostics);
    }
    Ok(reading.orchestration)
}

/// Names that would be read as a fixed page or route rather than an
/// orchestration's id (`/orchestrations/new`, `/api/v1/orchestrations/run`).
pub const RESERVED_NAMES: [&str; 4] = ["new", "run", "runs", "validate"];

/// Why `name` cannot name an orchestration; `None` when it can. A name is 1 to
/// [`MAX_NAME_CHARS`] characters of `a-z`, `0-9`, `-` and `_`, starting with a
/// letter or digit: the rule the server applies to uploaded scenarios' ids, as
/// it makes the orchestration's id from the name.
pub fn name_problem(name: &str) -> Option<String> {
    let length = name.chars().count();
    if name.is_empty() {
        return Some("`name` is empty".to_owned());
    }
    if length > MAX_NAME_CHARS {
        return Some(format!(
            "the name is {length} characters long; the limit is {MAX_NAME_CHARS}"
        ));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if !name.chars().all(allowed) {
        return Some(format!(
            "the name {name:?} holds characters other than lowercase letters, digits, '-' and '_'"
        ));
    }
    if RESERVED_NAMES.contains(&name) {
        return Some(format!(
            "the name {name:?} is taken by a page or route (`/orchestrations/{name}`); choose another"
        ));
    }
    if name.starts_with(['-', '_']) {
        return Some(format!(
            "the name {name:?} starts with {:?}; it must start with a letter or digit",
            &name[..1]
        ));
    }
    None
}

/// Which set of the server's scenarios a step names one of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Collection {
    /// `name`: the library.
    Library,
    /// `id`: the uploaded scenarios.
    Uploaded,
    /// `template`: the templates.
    Template,
}

/// What a step's scenario names, with where, for the semantic check.
pub(super) enum SourceSite<'n> {
    /// A library scenario, an upload or a template, by name.
    Named {
        collection: Collection,
        name: String,
        path: String,
        position: Position,
    },
    /// A scenario written in the step: its node keeps the positions of the text.
    Inline { path: String, node: &'n Node },
    /// Faults on a service.
    Faults {
        service: String,
        path: String,
        position: Position,
        faults: Vec<FaultSite>,
    },
}

/// What [`read`] found: the orchestration as far as it could be read, why not
/// further, and what each step's scenario names.
pub(super) struct Reading<'n> {
    /// The orchestration; parts that could not be read hold placeholders.
    pub orchestration: Orchestration,
    /// Structure diagnostics (and the loop warning).
    pub diagnostics: Vec<Diagnostic>,
    /// One per step, in order: `None` when its scenario could not be read.
    pub sources: Vec<Option<SourceSite<'n>>>,
}

/// Reads the orchestration as far as possible, collecting every structure problem.
pub(super) fn read(root: &Node) -> Reading<'_> {
    let mut reader = Reader::default();
    let mut sources = Vec::new();
    let orchestration = reader.orchestration(root, &mut sources);
    Reading {
        orchestration,
        diagnostics: reader.diagnostics,
        sources,
    }
}

/// A step's scenario that could not be read (never returned: there is an error).
pub(super) fn placeholder() -> StepScenario {
    StepScenario::Library {
        name: String::new(),
    }
}

impl Reader {
    fn orchestration<'n>(
        &mut self,
        root: &'n Node,
        sources: &mut Vec<Option<SourceSite<'n>>>,
    ) -> Orchestration {
        let mut orchestration = Orchestration {
            name: String::new(),
            description: None,
            steps: Vec::new(),
            parallel: false,
            loop_orchestration: false,
            max_iterations: 1,
            tags: Vec::new(),
        };
        let shape = Shape {
            what: "an orchestration",
            keys: ROOT,
            required: &["name", "steps"],
        };
        if self.mapping(root, "", &shape).is_none() {
            return orchestration;
        }
        if let Some(node) = root.get("name") {
            if let Some(name) = self.text(node, "name") {
                if let Some(problem) = name_problem(&name) {
                    self.structure("name", node.position, problem).hint = Some(
                        "write e.g. `market-chaos-drill`: the server makes the orchestration's id from it"
                            .to_owned(),
                    );
                }
                orchestration.name = name;
            }
        }
        orchestration.description = root
            .get("description")
            .filter(|node| node.value != NodeValue::Null)
            .and_then(|node| self.bounded_text(node, "description", MAX_DESCRIPTION_CHARS));
        if let Some(node) = root.get("steps") {
            orchestration.steps = self.steps(node, sources);
        }
        orchestration.parallel = self.flag(root.get("parallel"), "parallel", false);
        orchestration.loop_orchestration =
            self.flag(root.get("loop_orchestration"), "loop_orchestration", false);
        if let Some(node) = root.get("max_iterations") {
            let range = 1..=i64::from(MAX_ITERATIONS);
            let iterations = self.integer(node, "max_iterations", DiagnosticKind::Structure, range);
            if let Some(iterations) = iterations.and_then(|i| u32::try_from(i).ok()) {
                orchestration.max_iterations = iterations;
                self.iterations(&orchestration, node.position);
            }
        }
        orchestration.tags = self.tags(root.get("tags"));
        orchestration
    }

    /// The loop warning and the bound on executions per run.
    fn iterations(&mut self, orchestration: &Orchestration, position: Position) {
        let iterations = orchestration.max_iterations;
        if iterations > 1 && !orchestration.loop_orchestration {
            self.diagnostics.push(
                Diagnostic::warning(
                    DiagnosticKind::Structure,
                    "max_iterations",
                    "max_iterations is ignored unless loop_orchestration is true",
                )
                .at(Some(position))
                .with_hint("add `loop_orchestration: true`, or remove `max_iterations`"),
            );
        }
        let members = orchestration.member_count();
        if members > MAX_MEMBERS {
            let steps = orchestration.steps.len();
            self.structure(
                "max_iterations",
                position,
                format!("{steps} steps × {iterations} iterations make {members} executions, above the limit {MAX_MEMBERS}"),
            )
            .hint = Some("lower `max_iterations` or split the orchestration".to_owned());
        }
    }

    /// Text of at most `limit` characters.
    fn bounded_text(&mut self, node: &Node, path: &str, limit: usize) -> Option<String> {
        let text = self.text(node, path)?;
        let length = text.chars().count();
        if length > limit {
            let key = path.rsplit('.').next().unwrap_or(path);
            let message = format!("`{key}` is {length} characters long; the limit is {limit}");
            self.structure(path, node.position, message);
        }
        Some(text)
    }

    fn tags(&mut self, node: Option<&Node>) -> Vec<String> {
        let items = match node.map(|node| (node, &node.value)) {
            None | Some((_, NodeValue::Null)) => return Vec::new(),
            Some((_, NodeValue::Sequence(items))) => items,
            Some((node, _)) => {
                self.wrong_type(node, "tags", "a list of tags");
                return Vec::new();
            }
        };
        if items.len() > MAX_TAGS {
            if let Some(node) = node {
                let message = format!("there are {} tags; the limit is {MAX_TAGS}", items.len());
                self.structure("tags", node.position, message);
            }
        }
        let mut tags = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let path = item_path("tags", index);
            let Some(tag) = self.text(item, &path) else {
                continue;
            };
            let length = tag.chars().count();
            if tag.is_empty() || length > MAX_TAG_CHARS {
                let message = format!(
                    "the tag {tag:?} is {length} characters long; a tag has 1 to {MAX_TAG_CHARS}"
                );
                self.structure(&path, item.position, message);
            }
            tags.push(tag);
        }
        tags
    }

    fn steps<'n>(
        &mut self,
        node: &'n Node,
        sources: &mut Vec<Option<SourceSite<'n>>>,
    ) -> Vec<Step> {
        let NodeValue::Sequence(items) = &node.value else {
            self.wrong_type(node, "steps", "a list of steps");
            return Vec::new();
        };
        if items.is_empty() {
            self.structure(
                "steps",
                node.position,
                "an orchestration needs at least one step",
            );
        }
        if items.len() > MAX_STEPS {
            let message = format!("there are {} steps; the limit is {MAX_STEPS}", items.len());
            self.structure("steps", node.position, message).hint =
                Some("split it into several orchestrations".to_owned());
        }
        let mut steps: Vec<Step> = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let path = item_path("steps", index);
            let (step, source) = self.step(item, &path);
            if !step.name.is_empty() && steps.iter().any(|other| other.name == step.name) {
                let position = item.get("name").map_or(item.position, |name| name.position);
                self.structure(
                    &key_path(&path, "name"),
                    position,
                    format!("two steps are named `{}`", step.name),
                )
                .hint =
                    Some("step names must be unique: runs and reports refer to them".to_owned());
            }
            steps.push(step);
            sources.push(source);
        }
        steps
    }

    fn step<'n>(&mut self, node: &'n Node, path: &str) -> (Step, Option<SourceSite<'n>>) {
        let mut step = Step {
            name: String::new(),
            scenario: placeholder(),
            duration_seconds: None,
            delay_before_seconds: 0,
            continue_on_failure: false,
        };
        let shape = Shape {
            what: "a step",
            keys: STEP,
            required: &["name", "scenario"],
        };
        if self.mapping(node, path, &shape).is_none() {
            return (step, None);
        }
        if let Some(name) = node.get("name") {
            let name_path = key_path(path, "name");
            if let Some(text) = self.word(name, &name_path) {
                let length = text.chars().count();
                if length > MAX_STEP_NAME_CHARS {
                    let message = format!(
                        "the step name is {length} characters long; the limit is {MAX_STEP_NAME_CHARS}"
                    );
                    self.structure(&name_path, name.position, message);
                }
                step.name = text;
            }
        }
        let seconds = |reader: &mut Self, key: &str, range: RangeInclusive<i64>| {
            let node = node.get(key)?;
            let number =
                reader.integer(node, &key_path(path, key), DiagnosticKind::Structure, range);
            number.and_then(|number| u64::try_from(number).ok())
        };
        let longest = i64::try_from(MAX_STEP_DURATION_SECONDS).unwrap_or(i64::MAX);
        step.duration_seconds = seconds(self, "duration_seconds", 1..=longest);
        let longest = i64::try_from(MAX_DELAY_BEFORE_SECONDS).unwrap_or(i64::MAX);
        step.delay_before_seconds = seconds(self, "delay_before_seconds", 0..=longest).unwrap_or(0);
        step.continue_on_failure = self.flag(
            node.get("continue_on_failure"),
            &key_path(path, "continue_on_failure"),
            false,
        );
        let Some(scenario) = node.get("scenario") else {
            return (step, None);
        };
        let (source, site) = self.source(scenario, &key_path(path, "scenario"));
        step.scenario = source;
        if scenario.get("config").is_some() && node.get("duration_seconds").is_none() {
            self.structure(
                &key_path(path, "duration_seconds"),
                node.position,
                "a `config` step needs `duration_seconds`: its faults last that long",
            )
            .hint = Some("add e.g. `duration_seconds: 60`".to_owned());
        }
        (step, site)
    }

    fn source<'n>(&mut self, node: &'n Node, path: &str) -> (StepScenario, Option<SourceSite<'n>>) {
        match &node.value {
            NodeValue::String(_) => match self.word(node, path) {
                Some(name) => library(name, path, node.position),
                None => (placeholder(), None),
            },
            NodeValue::Mapping(_) => self.source_mapping(node, path),
            _ => {
                self.wrong_type(node, path, "a scenario name or a mapping");
                (placeholder(), None)
            }
        }
    }

    fn source_mapping<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
    ) -> (StepScenario, Option<SourceSite<'n>>) {
        let shape = Shape {
            what: "a step's scenario",
            keys: SOURCE,
            required: &[],
        };
        let Some(entries) = self.mapping(node, path, &shape) else {
            return (placeholder(), None);
        };
        let given: Vec<&Entry> = entries
            .iter()
            .filter(|entry| SOURCES.contains(&entry.key.as_str()))
            .collect();
        let source = match given.as_slice() {
            [] => {
                let message = format!("a step's `scenario` needs one of {}", quoted_list(SOURCES));
                self.structure(path, node.position, message).hint = Some(SOURCE_HINT.to_owned());
                return (placeholder(), None);
            }
            [first, second, ..] => {
                let message = format!(
                    "`scenario` has both `{}` and `{}`; a step runs exactly one of {}",
                    first.key,
                    second.key,
                    quoted_list(SOURCES)
                );
                self.structure(&key_path(path, &second.key), second.key_position, message)
                    .hint = Some(SOURCE_HINT.to_owned());
                return (placeholder(), None);
            }
            [source] => *source,
        };
        for (companion, owner) in [("version", "id"), ("parameters", "template")] {
            if let Some(entry) = node.entry(companion) {
                if source.key != owner {
                    let message = format!(
                        "`{companion}` goes with `{owner}` only, not with `{}`",
                        source.key
                    );
                    self.structure(&key_path(path, companion), entry.key_position, message);
                }
            }
        }
        let value = &source.value;
        let value_path = key_path(path, &source.key);
        match source.key.as_str() {
            "name" => match self.word(value, &value_path) {
                Some(name) => library(name, &value_path, value.position),
                None => (placeholder(), None),
            },
            "id" => {
                let version = node.get("version").and_then(|version| {
                    let version_path = key_path(path, "version");
                    self.integer(
                        version,
                        &version_path,
                        DiagnosticKind::Structure,
                        1..=i64::MAX,
                    )
                });
                match self.word(value, &value_path) {
                    Some(id) => {
                        let site = SourceSite::Named {
                            collection: Collection::Uploaded,
                            name: id.clone(),
                            path: value_path,
                            position: value.position,
                        };
                        (StepScenario::Uploaded { id, version }, Some(site))
                    }
                    None => (placeholder(), None),
                }
            }
            "template" => {
                let parameters = self.parameters(node.get("parameters"), path);
                match self.word(value, &value_path) {
                    Some(template) => {
                        let site = SourceSite::Named {
                            collection: Collection::Template,
                            name: template.clone(),
                            path: value_path,
                            position: value.position,
                        };
                        let scenario = StepScenario::Template {
                            template,
                            parameters,
                        };
                        (scenario, Some(site))
                    }
                    None => (placeholder(), None),
                }
            }
            "inline" => self.inline(value, &value_path),
            _ => self.config(value, &value_path),
        }
    }

    /// A template's `parameters`: a mapping of values.
    fn parameters(&mut self, node: Option<&Node>, path: &str) -> Map<String, Value> {
        match node.map(|node| (node, &node.value)) {
            None | Some((_, NodeValue::Null)) => Map::new(),
            Some((_, NodeValue::Mapping(entries))) => entries
                .iter()
                .map(|entry| (entry.key.clone(), entry.value.to_json()))
                .collect(),
            Some((node, _)) => {
                let path = key_path(path, "parameters");
                self.wrong_type(node, &path, "a mapping of parameter values");
                Map::new()
            }
        }
    }

    fn inline<'n>(&mut self, node: &'n Node, path: &str) -> (StepScenario, Option<SourceSite<'n>>) {
        if !matches!(node.value, NodeValue::Mapping(_)) {
            self.wrong_type(
                node,
                path,
                "a mapping (a whole scenario: apiVersion, kind, metadata, spec)",
            );
            return (placeholder(), None);
        }
        if let Some(kind) = node.get("kind") {
            if kind.as_str() == Some("Template") {
                self.structure(
                    &key_path(path, "kind"),
                    kind.position,
                    "an inline scenario cannot be a Template",
                )
                .hint = Some(
                    "run a template with `template: <its name>` and its `parameters`".to_owned(),
                );
                return (placeholder(), None);
            }
        }
        let site = SourceSite::Inline {
            path: path.to_owned(),
            node,
        };
        let definition = node.to_json();
        (StepScenario::Inline { definition }, Some(site))
    }
}

/// A library scenario named by `name`, with its site.
fn library<'n>(
    name: String,
    path: &str,
    position: Position,
) -> (StepScenario, Option<SourceSite<'n>>) {
    let site = SourceSite::Named {
        collection: Collection::Library,
        name: name.clone(),
        path: path.to_owned(),
        position,
    };
    (StepScenario::Library { name }, Some(site))
}

#[cfg(test)]
mod tests;
