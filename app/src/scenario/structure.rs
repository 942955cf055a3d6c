//! [`ScenarioDocument`] → [`Scenario`]: the structure check. Every unknown key
//! (with a "did you mean" hint, at the key's position), missing key, value of the
//! wrong shape and unreadable duration is reported, all at once, as a `structure`
//! diagnostic; whatever could be read is still read, so that validation can go on
//! to check the rest.
//!
//! An unrendered `{{ … }}` expression where a duration or a boolean belongs is not
//! an error here: it is *pending* until the template is rendered, and validation
//! skips what depends on it.
//!
//! This module owns the shape of the language (which keys exist where); what the
//! values mean is [`validate`](super::validate)'s job.

use super::catalog::{ParamSpec, ParamType};
use super::diagnostic::{did_you_mean, Diagnostic, DiagnosticKind, Position};
use super::document::{child_path, item_path, Entry, Node, NodeValue, ScenarioDocument};
use super::duration::parse_duration;
use super::model::{
    Action, Assertion, Metadata, ParallelAction, Parameters, Phase, Reporting, Rollback, Scenario,
    ScenarioKind, Spec, API_VERSION,
};
use super::template::contains_expression;
use std::collections::HashSet;
use std::time::Duration;

/// Keys of the top level (see also [`ROOT_KEYS`](super::document::ROOT_KEYS)).
const ROOT: &[&str] = &["apiVersion", "kind", "metadata", "spec", "parameters"];
const METADATA: &[&str] = &[
    "name",
    "description",
    "version",
    "author",
    "tags",
    "category",
];
const SPEC: &[&str] = &[
    "duration",
    "timeout",
    "variables",
    "phases",
    "rollback",
    "success_criteria",
    "reporting",
    "workload",
];
const PHASE: &[&str] = &[
    "name",
    "duration",
    "description",
    "actions",
    "parallel_actions",
    "assertions",
];
const ACTION: &[&str] = &["service", "action", "parameters"];
const PARALLEL_ACTION: &[&str] = &["delay", "service", "action", "parameters"];
const ASSERTION: &[&str] = &["type", "expect", "within", "service", "parameters"];
const ROLLBACK: &[&str] = &["on_failure", "actions"];
const REPORTING: &[&str] = &[
    "generate_timeline",
    "include_performance_impact",
    "correlate_with_audit_logs",
];
const PARAMETER: &[&str] = &[
    "name",
    "type",
    "required",
    "default",
    "min",
    "max",
    "values",
    "items",
    "fields",
    "description",
];

/// Reads the typed scenario. Fails with every structure problem, and with a
/// `template` diagnostic for each duration or flag still holding an unrendered
/// expression (render the template first).
pub fn read_scenario(document: &ScenarioDocument) -> Result<Scenario, Vec<Diagnostic>> {
    let reading = read(document);
    let mut diagnostics = reading.diagnostics;
    for (path, position) in reading.pending_fields {
        diagnostics.push(
            Diagnostic::error(
                DiagnosticKind::Template,
                path,
                "this value is a template expression that has not been rendered",
            )
            .at(Some(position))
            .with_hint("render the template with its parameters first"),
        );
    }
    if diagnostics.is_empty() {
        Ok(reading.scenario)
    } else {
        Err(diagnostics)
    }
}

/// Reads just the metadata (for listings), even of an unrendered template.
pub fn read_metadata(document: &ScenarioDocument) -> Result<Metadata, Vec<Diagnostic>> {
    let mut reader = Reader::default();
    let metadata = match document.root.get("metadata") {
        Some(node) => reader.metadata(node, "metadata"),
        None => {
            reader.missing(&document.root, "", "metadata");
            Metadata::default()
        }
    };
    if reader.diagnostics.is_empty() {
        Ok(metadata)
    } else {
        Err(reader.diagnostics)
    }
}

/// A template's parameter declarations, with the structure problems found in them.
pub(crate) fn read_declarations(node: &Node) -> (Vec<ParamSpec>, Vec<Diagnostic>) {
    let mut reader = Reader::default();
    let declarations = reader.declarations(node, "parameters");
    (declarations, reader.diagnostics)
}

/// What [`read`] found: the scenario as far as it could be read, and why not further.
#[derive(Debug)]
pub(crate) struct Reading {
    /// The scenario; parts that could not be read hold defaults.
    pub scenario: Scenario,
    /// Structure diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// Paths whose value could not be read (or is pending): checks on them would
    /// only repeat the problem.
    pub unsettled: HashSet<String>,
    /// Typed fields holding unrendered expressions, with their positions.
    pub pending_fields: Vec<(String, Position)>,
    /// Whether any string of the document holds an unrendered expression.
    pub has_expressions: bool,
}

/// Reads the scenario as far as possible, collecting every structure problem.
pub(crate) fn read(document: &ScenarioDocument) -> Reading {
    let mut reader = Reader::default();
    let scenario = reader.scenario(&document.root);
    Reading {
        scenario,
        diagnostics: reader.diagnostics,
        unsettled: reader.unsettled,
        pending_fields: reader.pending_fields,
        has_expressions: has_expressions(&document.root),
    }
}

fn has_expressions(node: &Node) -> bool {
    match &node.value {
        NodeValue::String(text) => contains_expression(text),
        NodeValue::Sequence(items) => items.iter().any(has_expressions),
        NodeValue::Mapping(entries) => entries.iter().any(|entry| has_expressions(&entry.value)),
        _ => false,
    }
}

/// Where a value is: made into a path string only when a diagnostic needs one
/// (reading a large scenario would otherwise build thousands of unused paths).
#[derive(Clone, Copy)]
enum Field<'a> {
    /// `parent.key`.
    Key(&'a str, &'a str),
    /// `parent[index]`.
    Item(&'a str, usize),
}

impl Field<'_> {
    fn path(self) -> String {
        match self {
            Field::Key(parent, key) => child_path(parent, key),
            Field::Item(parent, index) => item_path(parent, index),
        }
    }
}

/// The keys of one kind of mapping, with the name used in messages.
struct Shape {
    what: &'static str,
    keys: &'static [&'static str],
    required: &'static [&'static str],
}

#[derive(Default)]
struct Reader {
    diagnostics: Vec<Diagnostic>,
    unsettled: HashSet<String>,
    pending_fields: Vec<(String, Position)>,
}

impl Reader {
    fn error(
        &mut self,
        path: &str,
        position: Position,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.unsettled.insert(path.to_owned());
        self.diagnostics
            .push(Diagnostic::error(DiagnosticKind::Structure, path, message).at(Some(position)));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    fn missing(&mut self, parent: &Node, parent_path: &str, key: &str) {
        let path = child_path(parent_path, key);
        let message = format!("`{key}` is missing");
        self.error(&path, parent.position, message);
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        let message = format!("expected {expected}, found {}", node.type_name());
        self.error(path, node.position, message);
    }

    /// The entries of a mapping of `shape`, after reporting unknown and missing keys.
    fn mapping<'n>(&mut self, node: &'n Node, path: &str, shape: &Shape) -> Option<&'n [Entry]> {
        let NodeValue::Mapping(entries) = &node.value else {
            self.wrong_type(node, path, &format!("a mapping ({})", shape.what));
            return None;
        };
        for entry in entries {
            if !shape.keys.contains(&entry.key.as_str()) {
                let hint =
                    did_you_mean(&entry.key, shape.keys.iter().copied()).unwrap_or_else(|| {
                        format!(
                            "{} takes {}",
                            shape.what,
                            super::catalog::quoted_list(shape.keys)
                        )
                    });
                let message = format!("unknown key `{}` in {}", entry.key, shape.what);
                let key_path = child_path(path, &entry.key);
                let diagnostic = self.error(&key_path, entry.key_position, message);
                diagnostic.hint = Some(hint);
            }
        }
        for key in shape.required {
            if !entries.iter().any(|entry| entry.key == *key) {
                self.missing(node, path, key);
            }
        }
        Some(entries)
    }

    fn text(&mut self, node: Option<&Node>, field: Field<'_>) -> Option<String> {
        let node = node?;
        match &node.value {
            NodeValue::String(text) => Some(text.clone()),
            _ => {
                self.wrong_type(node, &field.path(), "a string");
                None
            }
        }
    }

    /// Text, also accepting a number or boolean written without quotes
    /// (`version: 1.0`).
    fn loose_text(&mut self, node: Option<&Node>, field: Field<'_>) -> Option<String> {
        let node = node?;
        match &node.value {
            NodeValue::Int(i) => Some(i.to_string()),
            NodeValue::Float(f) => Some(format!("{f:?}")),
            NodeValue::Bool(b) => Some(b.to_string()),
            _ => self.text(Some(node), field),
        }
    }

    fn texts(&mut self, node: Option<&Node>, path: &str) -> Vec<String> {
        self.list(node, path)
            .iter()
            .enumerate()
            .filter_map(|(index, item)| self.text(Some(item), Field::Item(path, index)))
            .collect()
    }

    fn list<'n>(&mut self, node: Option<&'n Node>, path: &str) -> &'n [Node] {
        match node.map(|node| (node, &node.value)) {
            None | Some((_, NodeValue::Null)) => &[],
            Some((_, NodeValue::Sequence(items))) => items,
            Some((node, _)) => {
                self.wrong_type(node, path, "a list");
                &[]
            }
        }
    }

    fn duration(&mut self, node: Option<&Node>, field: Field<'_>) -> Option<Duration> {
        let node = node?;
        match &node.value {
            NodeValue::String(text) if contains_expression(text) => {
                let path = field.path();
                self.unsettled.insert(path.clone());
                self.pending_fields.push((path, node.position));
                None
            }
            NodeValue::String(text) => match parse_duration(text) {
                Ok(duration) => Some(duration),
                Err(error) => {
                    let message = format!("{:?} is not a duration: {}", error.input, error.reason);
                    self.error(&field.path(), node.position, message).hint =
                        Some("write e.g. 500ms, 30s, 5m, 2h, 1d or 1h30m".to_owned());
                    None
                }
            },
            NodeValue::Int(number) => {
                let message = format!("the duration {number} has no unit");
                self.error(&field.path(), node.position, message).hint =
                    Some(format!("write {number}s, {number}m or {number}h"));
                None
            }
            _ => {
                self.wrong_type(node, &field.path(), "a duration such as 5m");
                None
            }
        }
    }

    fn flag(&mut self, node: Option<&Node>, field: Field<'_>) -> bool {
        let Some(node) = node else { return false };
        match &node.value {
            NodeValue::Bool(value) => *value,
            NodeValue::String(text) if contains_expression(text) => {
                let path = field.path();
                self.unsettled.insert(path.clone());
                self.pending_fields.push((path, node.position));
                false
            }
            _ => {
                self.wrong_type(node, &field.path(), "true or false");
                false
            }
        }
    }

    fn parameters(&mut self, node: Option<&Node>, field: Field<'_>) -> Parameters {
        match node.map(|node| (node, &node.value)) {
            None | Some((_, NodeValue::Null)) => Parameters::new(),
            Some((_, NodeValue::Mapping(entries))) => entries
                .iter()
                .map(|entry| (entry.key.clone(), entry.value.to_json()))
                .collect(),
            Some((node, _)) => {
                self.wrong_type(node, &field.path(), "a mapping of parameters");
                Parameters::new()
            }
        }
    }

    fn scenario(&mut self, root: &Node) -> Scenario {
        let shape = Shape {
            what: "a scenario",
            keys: ROOT,
            required: &["apiVersion", "kind", "metadata", "spec"],
        };
        let entries = self.mapping(root, "", &shape);
        let get = |key: &str| entries.and_then(|_| root.get(key));

        if let Some(node) = get("apiVersion") {
            if node.as_str() != Some(API_VERSION) {
                let message = format!("`apiVersion` must be `{API_VERSION}`");
                self.error("apiVersion", node.position, message).hint =
                    Some(format!("write `apiVersion: {API_VERSION}`"));
            }
        }
        let kind = match get("kind") {
            Some(node) => match node.as_str() {
                Some("Scenario") => ScenarioKind::Scenario,
                Some("Template") => ScenarioKind::Template,
                other => {
                    let hint = other.and_then(|word| did_you_mean(word, ["Scenario", "Template"]));
                    let message = "`kind` must be `Scenario` or `Template`";
                    self.error("kind", node.position, message).hint = hint;
                    ScenarioKind::Scenario
                }
            },
            None => ScenarioKind::Scenario,
        };
        let metadata = get("metadata")
            .map(|node| self.metadata(node, "metadata"))
            .unwrap_or_default();
        let parameters = match get("parameters") {
            Some(node) if kind == ScenarioKind::Scenario => {
                self.error(
                    "parameters",
                    node.position,
                    "only a Template declares `parameters`",
                )
                .hint = Some("write `kind: Template`, or remove `parameters`".to_owned());
                Vec::new()
            }
            Some(node) => self.declarations(node, "parameters"),
            None => Vec::new(),
        };
        let spec = get("spec").map(|node| self.spec(node)).unwrap_or_default();
        Scenario {
            api_version: API_VERSION.to_owned(),
            kind,
            metadata,
            parameters,
            spec,
        }
    }

    fn metadata(&mut self, node: &Node, path: &str) -> Metadata {
        let shape = Shape {
            what: "metadata",
            keys: METADATA,
            required: &["name"],
        };
        if self.mapping(node, path, &shape).is_none() {
            return Metadata::default();
        }
        let field = |key| child_path(path, key);
        let name = self
            .loose_text(node.get("name"), Field::Key(path, "name"))
            .unwrap_or_default();
        if node.get("name").is_some() && name.trim().is_empty() {
            self.error(&field("name"), node.position, "`name` is empty");
        }
        Metadata {
            name,
            description: self.loose_text(node.get("description"), Field::Key(path, "description")),
            version: self.loose_text(node.get("version"), Field::Key(path, "version")),
            author: self.loose_text(node.get("author"), Field::Key(path, "author")),
            tags: self.texts(node.get("tags"), &field("tags")),
            category: self.loose_text(node.get("category"), Field::Key(path, "category")),
        }
    }

    /// A template's `parameters`: a list of typed declarations.
    fn declarations(&mut self, node: &Node, path: &str) -> Vec<ParamSpec> {
        let shape = Shape {
            what: "a template parameter",
            keys: PARAMETER,
            required: &["name", "type"],
        };
        let mut declarations: Vec<ParamSpec> = Vec::new();
        for (index, item) in self.list(Some(node), path).iter().enumerate() {
            let item_path = item_path(path, index);
            if self.mapping(item, &item_path, &shape).is_none() {
                continue;
            }
            let spec = match serde_json::from_value::<ParamSpec>(item.to_json()) {
                Ok(spec) => spec,
                Err(error) => {
                    let message = format!("not a parameter declaration: {error}");
                    self.error(&item_path, item.position, message).hint = Some(
                        "types are string, enum, duration, float, int, bool, list and object"
                            .to_owned(),
                    );
                    continue;
                }
            };
            if let Some(problem) = declaration_problem(&spec) {
                self.diagnostics.push(
                    Diagnostic::error(
                        DiagnosticKind::Template,
                        &item_path,
                        format!("parameter `{}`: {problem}", spec.name),
                    )
                    .at(Some(item.position)),
                );
            }
            if declarations.iter().any(|d| d.name == spec.name) {
                let message = format!("parameter `{}` is declared twice", spec.name);
                self.error(&item_path, item.position, message);
            }
            declarations.push(spec);
        }
        declarations
    }

    fn spec(&mut self, node: &Node) -> Spec {
        let shape = Shape {
            what: "spec",
            keys: SPEC,
            required: &["phases"],
        };
        if self.mapping(node, "spec", &shape).is_none() {
            return Spec::default();
        }
        let variables = match node.get("variables") {
            None => Default::default(),
            Some(variables) => match &variables.value {
                NodeValue::Mapping(entries) => entries
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.to_json()))
                    .collect(),
                NodeValue::Null => Default::default(),
                _ => {
                    self.wrong_type(variables, "variables", "a mapping of variables");
                    Default::default()
                }
            },
        };
        let phases = self
            .list(node.get("phases"), "phases")
            .iter()
            .enumerate()
            .map(|(index, phase)| self.phase(phase, &item_path("phases", index)))
            .collect();
        Spec {
            duration: self.duration(node.get("duration"), Field::Key("spec", "duration")),
            timeout: self.duration(node.get("timeout"), Field::Key("spec", "timeout")),
            variables,
            phases,
            rollback: node.get("rollback").map(|rollback| self.rollback(rollback)),
            success_criteria: self.texts(node.get("success_criteria"), "success_criteria"),
            reporting: node
                .get("reporting")
                .map(|reporting| self.reporting(reporting)),
            workload: node.get("workload").map(|workload| self.workload(workload)),
        }
    }

    fn phase(&mut self, node: &Node, path: &str) -> Phase {
        let shape = Shape {
            what: "a phase",
            keys: PHASE,
            required: &["name", "duration"],
        };
        let field = |key| child_path(path, key);
        let mut phase = Phase {
            name: String::new(),
            duration: Duration::ZERO,
            description: None,
            actions: Vec::new(),
            parallel_actions: Vec::new(),
            assertions: Vec::new(),
        };
        if self.mapping(node, path, &shape).is_none() {
            return phase;
        }
        phase.name = self
            .loose_text(node.get("name"), Field::Key(path, "name"))
            .unwrap_or_default();
        match self.duration(node.get("duration"), Field::Key(path, "duration")) {
            Some(duration) => phase.duration = duration,
            None => {
                self.unsettled.insert(field("duration"));
            }
        }
        phase.description =
            self.loose_text(node.get("description"), Field::Key(path, "description"));
        let actions_path = field("actions");
        phase.actions = self
            .list(node.get("actions"), &actions_path)
            .iter()
            .enumerate()
            .map(|(index, action)| self.action(action, &item_path(&actions_path, index)))
            .collect();
        let parallel_path = field("parallel_actions");
        phase.parallel_actions = self
            .list(node.get("parallel_actions"), &parallel_path)
            .iter()
            .enumerate()
            .map(|(index, action)| self.parallel_action(action, &item_path(&parallel_path, index)))
            .collect();
        let assertions_path = field("assertions");
        phase.assertions = self
            .list(node.get("assertions"), &assertions_path)
            .iter()
            .enumerate()
            .map(|(index, assertion)| {
                self.assertion(assertion, &item_path(&assertions_path, index))
            })
            .collect();
        phase
    }

    fn action(&mut self, node: &Node, path: &str) -> Action {
        let shape = Shape {
            what: "an action",
            keys: ACTION,
            required: &["service", "action"],
        };
        if self.mapping(node, path, &shape).is_none() {
            return Action {
                service: String::new(),
                action: String::new(),
                parameters: Parameters::new(),
            };
        }
        Action {
            service: self
                .text(node.get("service"), Field::Key(path, "service"))
                .unwrap_or_default(),
            action: self
                .text(node.get("action"), Field::Key(path, "action"))
                .unwrap_or_default(),
            parameters: self.parameters(node.get("parameters"), Field::Key(path, "parameters")),
        }
    }

    fn parallel_action(&mut self, node: &Node, path: &str) -> ParallelAction {
        let shape = Shape {
            what: "a parallel action",
            keys: PARALLEL_ACTION,
            required: &["delay", "service", "action"],
        };
        let field = |key| child_path(path, key);
        if self.mapping(node, path, &shape).is_none() {
            return ParallelAction {
                delay: Duration::ZERO,
                service: String::new(),
                action: String::new(),
                parameters: Parameters::new(),
            };
        }
        let delay = self.duration(node.get("delay"), Field::Key(path, "delay"));
        if delay.is_none() {
            self.unsettled.insert(field("delay"));
        }
        ParallelAction {
            delay: delay.unwrap_or_default(),
            service: self
                .text(node.get("service"), Field::Key(path, "service"))
                .unwrap_or_default(),
            action: self
                .text(node.get("action"), Field::Key(path, "action"))
                .unwrap_or_default(),
            parameters: self.parameters(node.get("parameters"), Field::Key(path, "parameters")),
        }
    }

    fn assertion(&mut self, node: &Node, path: &str) -> Assertion {
        let shape = Shape {
            what: "an assertion",
            keys: ASSERTION,
            required: &["type", "expect"],
        };
        if self.mapping(node, path, &shape).is_none() {
            return Assertion {
                assertion_type: String::new(),
                expect: String::new(),
                within: None,
                service: None,
                parameters: Parameters::new(),
            };
        }
        Assertion {
            assertion_type: self
                .text(node.get("type"), Field::Key(path, "type"))
                .unwrap_or_default(),
            expect: self
                .text(node.get("expect"), Field::Key(path, "expect"))
                .unwrap_or_default(),
            within: self.duration(node.get("within"), Field::Key(path, "within")),
            service: self.text(node.get("service"), Field::Key(path, "service")),
            parameters: self.parameters(node.get("parameters"), Field::Key(path, "parameters")),
        }
    }

    fn rollback(&mut self, node: &Node) -> Rollback {
        let shape = Shape {
            what: "rollback",
            keys: ROLLBACK,
            required: &[],
        };
        if self.mapping(node, "rollback", &shape).is_none() {
            return Rollback::default();
        }
        let actions = self
            .list(node.get("actions"), "rollback.actions")
            .iter()
            .enumerate()
            .map(|(index, action)| self.action(action, &item_path("rollback.actions", index)))
            .collect();
        Rollback {
            on_failure: self.flag(node.get("on_failure"), Field::Key("rollback", "on_failure")),
            actions,
        }
    }

    fn reporting(&mut self, node: &Node) -> Reporting {
        let shape = Shape {
            what: "reporting",
            keys: REPORTING,
            required: &[],
        };
        if self.mapping(node, "reporting", &shape).is_none() {
            return Reporting::default();
        }
        Reporting {
            generate_timeline: self.flag(
                node.get("generate_timeline"),
                Field::Key("reporting", "generate_timeline"),
            ),
            include_performance_impact: self.flag(
                node.get("include_performance_impact"),
                Field::Key("reporting", "include_performance_impact"),
            ),
            correlate_with_audit_logs: self.flag(
                node.get("correlate_with_audit_logs"),
                Field::Key("reporting", "correlate_with_audit_logs"),
            ),
        }
    }
}

/// What is wrong with a template parameter declaration, if anything.
fn declaration_problem(spec: &ParamSpec) -> Option<String> {
    if spec.kind == ParamType::Enum && spec.values.is_empty() {
        return Some("an enum needs `values`".to_owned());
    }
    if let (Some(min), Some(max)) = (spec.min, spec.max) {
        if min > max {
            return Some(format!("`min` {min} is above `max` {max}"));
        }
    }
    let default = spec.default.as_ref()?;
    if spec.required {
        return Some("a required parameter cannot have a default".to_owned());
    }
    spec.check(default)
        .err()
        .map(|error| format!("the default is wrong: {error}"))
}

mod workload;

#[cfg(test)]
mod tests;
