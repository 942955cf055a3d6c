//! Templates: typed `parameters`, `{{ .Parameters.x }}` and `{{ .Variables.x }}`
//! expressions, and the values that fill them (DESIGN.md §2).
//!
//! [`render`] rewrites a [`ScenarioDocument`]'s strings, keeping every node's
//! position, so diagnostics found afterwards still point into the template.
//!
//! # Expressions
//! `{{ operand (+|- operand)* }}` where an operand is `.Parameters.name`,
//! `.Variables.name`, a number (`10`, `-0.5`) or a duration (`10m`, `1h30m`).
//! Durations add to durations (a string variable such as `24h` counts as one),
//! numbers to numbers (integers stay integers). When a whole scalar is one
//! expression the rendered value keeps its type: a float stays a number, a
//! duration becomes its canonical text (`25m`), a list variable stays a list.
//! Inside text, each expression is replaced by its printed form.
//!
//! Variables come from `spec.variables` (plain scenarios have them too); their
//! values may use parameters but not other variables.
//!
//! This module owns expressions and parameter values; it does not validate the
//! rendered scenario.

use super::catalog::{describe_value, quoted_list, ParamSpec, ParamType};
use super::diagnostic::{did_you_mean, Diagnostic, DiagnosticKind, Position};
use super::document::{child_path, item_path, Entry, Node, NodeValue, ScenarioDocument};
use super::duration::{format_duration, parse_duration};
use super::parse::parse_node;
use super::structure::read_declarations;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Whether `text` holds a `{{ … }}` expression (rendered or not, it is checked
/// after rendering).
pub fn contains_expression(text: &str) -> bool {
    text.contains("{{")
}

/// The values given for a template's parameters, by name. Text values (from
/// `k=v`) are converted to each parameter's declared type when rendering.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParameterValues {
    /// Value by parameter name.
    pub values: BTreeMap<String, Value>,
}

impl ParameterValues {
    /// No values: every parameter takes its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same values plus `name = value`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.values.insert(name.into(), value.into());
        self
    }
}

fn template_error(path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(DiagnosticKind::Template, path, message)
}

/// Reads `k=v,k=v` (the seed CLI's `--params`); values are text. Paths in the
/// diagnostics are `params.k`.
pub fn parse_params_kv(text: &str) -> Result<ParameterValues, Vec<Diagnostic>> {
    let mut values = ParameterValues::new();
    let mut diagnostics = Vec::new();
    for pair in text
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
    {
        match pair.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                let name = name.trim();
                if values.values.contains_key(name) {
                    diagnostics.push(template_error(
                        format!("params.{name}"),
                        format!("parameter `{name}` is given twice"),
                    ));
                }
                values
                    .values
                    .insert(name.to_owned(), Value::String(value.trim().to_owned()));
            }
            _ => diagnostics.push(
                template_error("params", format!("{pair:?} is not `name=value`"))
                    .with_hint("write e.g. target_exchange=exchange-simulator,duration=10m"),
            ),
        }
    }
    if diagnostics.is_empty() {
        Ok(values)
    } else {
        Err(diagnostics)
    }
}

/// Reads parameter values from a YAML or JSON mapping; positions in the
/// diagnostics are in that document.
pub fn parse_params_document(text: &str) -> Result<ParameterValues, Vec<Diagnostic>> {
    let node = parse_node(text).map_err(|diagnostic| vec![diagnostic])?;
    match &node.value {
        NodeValue::Null => Ok(ParameterValues::new()),
        NodeValue::Mapping(entries) => Ok(ParameterValues {
            values: entries
                .iter()
                .map(|entry| (entry.key.clone(), entry.value.to_json()))
                .collect(),
        }),
        _ => Err(vec![template_error(
            "params",
            format!(
                "parameter values must be a mapping, found {}",
                node.type_name()
            ),
        )
        .at(Some(node.position))]),
    }
}

/// A value while rendering.
#[derive(Debug, Clone, PartialEq)]
enum Rendered {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(Duration),
    /// A list, mapping or null (from a variable or a list/object parameter).
    Other(Node),
}

impl Rendered {
    fn from_node(node: &Node) -> Self {
        match &node.value {
            NodeValue::String(text) => Self::Text(text.clone()),
            NodeValue::Int(i) => Self::Int(*i),
            NodeValue::Float(f) => Self::Float(*f),
            NodeValue::Bool(b) => Self::Bool(*b),
            _ => Self::Other(node.clone()),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Int(_) => "an integer",
            Self::Float(_) => "a number",
            Self::Bool(_) => "a boolean",
            Self::Duration(_) => "a duration",
            Self::Other(node) => node.type_name(),
        }
    }

    fn as_duration(&self) -> Option<Duration> {
        match self {
            Self::Duration(duration) => Some(*duration),
            Self::Text(text) => parse_duration(text).ok(),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// What the value costs of the render budget.
    fn weight(&self) -> usize {
        match self {
            Self::Text(text) => 1 + text.len(),
            Self::Other(node) => node.weight(),
            _ => 16,
        }
    }

    /// The printed form, for an expression inside text.
    fn to_text(&self) -> Result<String, String> {
        Ok(match self {
            Self::Text(text) => text.clone(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Duration(duration) => format_duration(*duration),
            Self::Other(node) => match node.value {
                NodeValue::Null => String::new(),
                _ => return Err(format!("{} cannot be put inside text", node.type_name())),
            },
        })
    }

    /// The node a whole-scalar expression becomes.
    fn into_node(self, position: Position) -> Node {
        let value = match self {
            Self::Text(text) => NodeValue::String(text),
            Self::Int(i) => NodeValue::Int(i),
            Self::Float(f) => NodeValue::Float(f),
            Self::Bool(b) => NodeValue::Bool(b),
            Self::Duration(duration) => NodeValue::String(format_duration(duration)),
            Self::Other(node) => return relocate(node, position),
        };
        Node::new(value, position)
    }
}

/// The same tree with every node placed at `position` (a value copied from a
/// variable belongs where the expression was).
fn relocate(mut node: Node, position: Position) -> Node {
    node.position = position;
    match &mut node.value {
        NodeValue::Sequence(items) => {
            for item in items.iter_mut() {
                *item = relocate(item.clone(), position);
            }
        }
        NodeValue::Mapping(entries) => {
            for entry in entries.iter_mut() {
                entry.key_position = position;
                entry.value = relocate(entry.value.clone(), position);
            }
        }
        _ => {}
    }
    node
}

/// The error of an expression that uses a parameter whose value was already
/// reported as missing or wrong: not reported again at every use.
const ALREADY_REPORTED: &str = "";

/// The most text (in bytes, [`Node::weight`]) that expressions may produce in
/// one rendering: as much as a whole scenario may hold. Without it a 100 KB
/// template whose expressions repeat a large variable rendered to 100 MB.
pub const MAX_RENDERED_BYTES: usize = super::parse::MAX_INPUT_BYTES;

/// What is left of [`MAX_RENDERED_BYTES`] while rendering; every substituted
/// value is paid for before it is kept.
struct Budget {
    left: std::cell::Cell<usize>,
    exhausted: std::cell::Cell<bool>,
}

impl Budget {
    fn new() -> Self {
        Self {
            left: std::cell::Cell::new(MAX_RENDERED_BYTES),
            exhausted: std::cell::Cell::new(false),
        }
    }

    /// Pays for `bytes` of output; the first refusal explains, later ones are
    /// [`ALREADY_REPORTED`] so the document gets one diagnostic.
    fn spend(&self, bytes: usize) -> Result<(), String> {
        if self.exhausted.get() {
            return Err(ALREADY_REPORTED.to_owned());
        }
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.exhausted.set(true);
                Err(format!(
                    "the expressions would produce more than {MAX_RENDERED_BYTES} bytes (1 MiB) of text; \
                     a rendered scenario may be no larger than a written one"
                ))
            }
        }
    }
}

/// What expressions can refer to.
struct Scope<'a> {
    /// What the expressions may still produce.
    budget: &'a Budget,
    parameters: &'a BTreeMap<String, Rendered>,
    /// Parameters whose value was reported missing or wrong.
    failed: &'a BTreeSet<String>,
    declared: &'a [ParamSpec],
    /// `None` while rendering the variables themselves.
    variables: Option<&'a BTreeMap<String, Rendered>>,
}

/// Renders `document` with `values`: substitutes every `{{ … }}` outside the
/// parameter declarations; a rendered template becomes `kind: Scenario` without
/// `parameters`. Fails with every `template` diagnostic (unknown, missing or
/// invalid parameters, bad expressions), each naming the parameter and placed at
/// the declaration or the expression. A plain scenario renders with no values
/// (its `{{ .Variables.x }}` only).
pub fn render(
    document: &ScenarioDocument,
    values: &ParameterValues,
) -> Result<ScenarioDocument, Vec<Diagnostic>> {
    let root = &document.root;
    let mut diagnostics = Vec::new();
    let declarations = match root.get("parameters") {
        Some(node) if document.is_template() => {
            let (declarations, problems) = read_declarations(node);
            diagnostics.extend(problems);
            declarations
        }
        _ => Vec::new(),
    };
    let mut failed = BTreeSet::new();
    let parameters = resolve_parameters(
        document,
        &declarations,
        values,
        &mut failed,
        &mut diagnostics,
    );

    let budget = Budget::new();
    let variables_node = root.get("spec").and_then(|spec| spec.get("variables"));
    let mut variables = BTreeMap::new();
    if let Some(Node {
        value: NodeValue::Mapping(entries),
        ..
    }) = variables_node
    {
        let scope = Scope {
            budget: &budget,
            parameters: &parameters,
            failed: &failed,
            declared: &declarations,
            variables: None,
        };
        for entry in entries {
            let path = child_path("variables", &entry.key);
            let rendered = render_node(&entry.value, &path, &scope, &mut diagnostics);
            variables.insert(entry.key.clone(), Rendered::from_node(&rendered));
        }
    }

    let scope = Scope {
        budget: &budget,
        parameters: &parameters,
        failed: &failed,
        declared: &declarations,
        variables: Some(&variables),
    };
    let rendered_root = match &root.value {
        NodeValue::Mapping(entries) => {
            let mut rendered = Vec::with_capacity(entries.len());
            for entry in entries {
                if entry.key == "parameters" && document.is_template() {
                    continue;
                }
                let value = if entry.key == "kind" && document.is_template() {
                    Node::new(
                        NodeValue::String("Scenario".to_owned()),
                        entry.value.position,
                    )
                } else {
                    render_node(
                        &entry.value,
                        &child_path("", &entry.key),
                        &scope,
                        &mut diagnostics,
                    )
                };
                rendered.push(Entry {
                    value,
                    ..entry.clone()
                });
            }
            Node::new(NodeValue::Mapping(rendered), root.position)
        }
        _ => root.clone(),
    };
    if diagnostics.is_empty() {
        Ok(ScenarioDocument {
            root: rendered_root,
        })
    } else {
        Err(diagnostics)
    }
}

/// Each declared parameter's value: given, else the default; with diagnostics for
/// unknown, missing and invalid ones.
fn resolve_parameters(
    document: &ScenarioDocument,
    declarations: &[ParamSpec],
    values: &ParameterValues,
    failed: &mut BTreeSet<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Rendered> {
    let names: Vec<&str> = declarations.iter().map(|d| d.name.as_str()).collect();
    for name in values.values.keys() {
        if !names.contains(&name.as_str()) {
            let hint = did_you_mean(name, names.iter().copied()).unwrap_or_else(|| {
                if names.is_empty() {
                    "this document takes no parameters".to_owned()
                } else {
                    format!("the parameters are {}", quoted_list(&names))
                }
            });
            diagnostics.push(
                template_error(
                    format!("params.{name}"),
                    format!("there is no parameter `{name}`"),
                )
                .at(document.locate_key("parameters"))
                .with_hint(hint),
            );
        }
    }
    let mut resolved = BTreeMap::new();
    for spec in declarations {
        let path = declaration_path(document, &spec.name);
        let position = document.locate(&path);
        let (value, source) = match (values.values.get(&spec.name), &spec.default) {
            (Some(value), _) => (value, "the value"),
            (None, Some(default)) => (default, "the default"),
            (None, None) if spec.required => {
                failed.insert(spec.name.clone());
                diagnostics.push(
                    template_error(
                        &path,
                        format!("parameter `{}` is required but has no value", spec.name),
                    )
                    .at(position)
                    .with_hint(format!(
                        "give it as {}=… ({})",
                        spec.name,
                        spec.describe()
                    )),
                );
                continue;
            }
            (None, None) => continue,
        };
        match coerce(spec, value) {
            Ok(rendered) => {
                resolved.insert(spec.name.clone(), rendered);
            }
            Err(error) => {
                failed.insert(spec.name.clone());
                diagnostics.push(
                    template_error(
                        &path,
                        format!("{source} of parameter `{}` is wrong: {error}", spec.name),
                    )
                    .at(position)
                    .with_hint(format!(
                        "`{}` takes {}",
                        spec.name,
                        spec.describe()
                    )),
                );
            }
        }
    }
    resolved
}

/// `parameters[i]` of the declaration named `name`.
fn declaration_path(document: &ScenarioDocument, name: &str) -> String {
    let index = match document.root.get("parameters").map(|node| &node.value) {
        Some(NodeValue::Sequence(items)) => items
            .iter()
            .position(|item| item.get("name").and_then(Node::as_str) == Some(name)),
        _ => None,
    };
    index.map_or_else(
        || "parameters".to_owned(),
        |index| item_path("parameters", index),
    )
}

/// `value` as the declared type (text from `k=v` is converted), then checked
/// against the declaration's range and values.
fn coerce(spec: &ParamSpec, value: &Value) -> Result<Rendered, String> {
    let text = value.as_str().map(str::trim);
    let typed = match (spec.kind, text) {
        (ParamType::Int, Some(text)) => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("expected an integer, found {text:?}"))?,
        (ParamType::Float, Some(text)) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("expected a number, found {text:?}"))?,
        (ParamType::Bool, Some(text)) => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(format!("expected true or false, found {text:?}")),
        },
        _ => value.clone(),
    };
    spec.check(&typed)?;
    Ok(match spec.kind {
        ParamType::Duration => Rendered::Duration(
            typed
                .as_str()
                .and_then(|text| parse_duration(text).ok())
                .ok_or_else(|| format!("expected a duration, found {}", describe_value(&typed)))?,
        ),
        ParamType::Float => Rendered::Float(typed.as_f64().unwrap_or_default()),
        ParamType::Int => Rendered::Int(typed.as_i64().unwrap_or_default()),
        ParamType::Bool => Rendered::Bool(typed.as_bool().unwrap_or_default()),
        ParamType::String | ParamType::Enum => {
            Rendered::Text(typed.as_str().unwrap_or_default().to_owned())
        }
        ParamType::List | ParamType::Object | ParamType::Any => {
            Rendered::from_node(&Node::from_json(&typed, Position { line: 1, column: 1 }))
        }
    })
}

/// `node` with its strings rendered (keys are left as written).
fn render_node(
    node: &Node,
    path: &str,
    scope: &Scope<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Node {
    match &node.value {
        NodeValue::String(text) if contains_expression(text) => match render_text(text, scope) {
            Ok(rendered) => rendered.into_node(node.position),
            Err(message) => {
                if message != ALREADY_REPORTED {
                    diagnostics.push(template_error(path, message).at(Some(node.position)));
                }
                node.clone()
            }
        },
        NodeValue::Sequence(items) => Node::new(
            NodeValue::Sequence(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        render_node(item, &item_path(path, index), scope, diagnostics)
                    })
                    .collect(),
            ),
            node.position,
        ),
        NodeValue::Mapping(entries) => Node::new(
            NodeValue::Mapping(
                entries
                    .iter()
                    .map(|entry| Entry {
                        value: render_node(
                            &entry.value,
                            &child_path(path, &entry.key),
                            scope,
                            diagnostics,
                        ),
                        ..entry.clone()
                    })
                    .collect(),
            ),
            node.position,
        ),
        _ => node.clone(),
    }
}

/// Renders one string: a whole-scalar expression keeps its type, otherwise the
/// result is text.
fn render_text(text: &str, scope: &Scope<'_>) -> Result<Rendered, String> {
    let trimmed = text.trim();
    if let Some(inner) = trimmed
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
    {
        if !inner.contains("{{") && !inner.contains("}}") {
            let value = evaluate(inner, scope)?;
            scope.budget.spend(value.weight())?;
            return Ok(value);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| "`{{` is never closed by `}}`".to_owned())?;
        let piece = evaluate(&after[..close], scope)?.to_text()?;
        scope.budget.spend(piece.len())?;
        out.push_str(&piece);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(Rendered::Text(out))
}

/// Evaluates the text between `{{` and `}}`.
fn evaluate(expression: &str, scope: &Scope<'_>) -> Result<Rendered, String> {
    let mut chars = expression.trim().chars().peekable();
    let mut value = operand(&mut chars, scope, expression)?;
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(op) = chars.next() else {
            return Ok(value);
        };
        if op != '+' && op != '-' {
            return Err(format!(
                "in `{{{{{expression}}}}}`: expected `+`, `-` or `}}}}`, found `{op}`"
            ));
        }
        let right = operand(&mut chars, scope, expression)?;
        value = combine(value, op, right)
            .map_err(|error| format!("in `{{{{{expression}}}}}`: {error}"))?;
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn operand(chars: &mut Chars<'_>, scope: &Scope<'_>, expression: &str) -> Result<Rendered, String> {
    while chars.next_if(|c| c.is_whitespace()).is_some() {}
    let mut word = String::new();
    if let Some(sign) = chars.next_if_eq(&'-') {
        word.push(sign);
    }
    while let Some(c) = chars.next_if(|c| c.is_alphanumeric() || *c == '.' || *c == '_') {
        word.push(c);
    }
    if word.is_empty() || word == "-" {
        return Err(format!(
            "in `{{{{{expression}}}}}`: expected a value such as .Parameters.name, 10m or 0.5"
        ));
    }
    if let Some(reference) = word.strip_prefix('.') {
        return lookup(reference, scope);
    }
    if let Ok(int) = word.parse::<i64>() {
        return Ok(Rendered::Int(int));
    }
    if let Ok(float) = word.parse::<f64>() {
        if word
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Ok(Rendered::Float(float));
        }
    }
    if word.starts_with('-') {
        return Err(format!(
            "in `{{{{{expression}}}}}`: a duration cannot be negative ({word})"
        ));
    }
    parse_duration(&word).map(Rendered::Duration).map_err(|_| {
        format!("in `{{{{{expression}}}}}`: `{word}` is not a reference, number or duration")
    })
}

/// `.Parameters.x` or `.Variables.x` (the leading dot already taken).
fn lookup(reference: &str, scope: &Scope<'_>) -> Result<Rendered, String> {
    let Some((namespace, name)) = reference.split_once('.') else {
        return Err(format!(
            "`.{reference}` is not a reference: write .Parameters.name or .Variables.name"
        ));
    };
    match namespace {
        "Parameters" => {
            if let Some(value) = scope.parameters.get(name) {
                return Ok(value.clone());
            }
            let declared: Vec<&str> = scope.declared.iter().map(|d| d.name.as_str()).collect();
            if scope.failed.contains(name) {
                return Err(ALREADY_REPORTED.to_owned());
            }
            if declared.contains(&name) {
                return Err(format!("parameter `{name}` has no value and no default"));
            }
            let hint = did_you_mean(name, declared.iter().copied())
                .map(|hint| format!(" ({hint})"))
                .unwrap_or_default();
            Err(format!("there is no parameter `{name}`{hint}"))
        }
        "Variables" => {
            let Some(variables) = scope.variables else {
                return Err(format!(
                    "variables cannot refer to other variables (`.Variables.{name}`)"
                ));
            };
            variables.get(name).cloned().ok_or_else(|| {
                let hint = did_you_mean(name, variables.keys().map(String::as_str))
                    .map(|hint| format!(" ({hint})"))
                    .unwrap_or_default();
                format!("there is no variable `{name}` in spec.variables{hint}")
            })
        }
        other => {
            let hint = did_you_mean(other, ["Parameters", "Variables"])
                .unwrap_or_else(|| "write .Parameters.name or .Variables.name".to_owned());
            Err(format!(
                "`.{other}` is not .Parameters or .Variables: {hint}"
            ))
        }
    }
}

/// `left op right` for durations and numbers.
fn combine(left: Rendered, op: char, right: Rendered) -> Result<Rendered, String> {
    if let (Rendered::Int(a), Rendered::Int(b)) = (&left, &right) {
        let result = if op == '+' {
            a.checked_add(*b)
        } else {
            a.checked_sub(*b)
        };
        return result
            .map(Rendered::Int)
            .ok_or_else(|| "the result overflows".to_owned());
    }
    if let (Some(a), Some(b)) = (left.as_number(), right.as_number()) {
        return Ok(Rendered::Float(if op == '+' { a + b } else { a - b }));
    }
    if let (Some(a), Some(b)) = (left.as_duration(), right.as_duration()) {
        let result = if op == '+' {
            a.checked_add(b)
        } else {
            a.checked_sub(b)
        };
        return result
            .filter(|d| *d <= super::duration::MAX_DURATION)
            .map(Rendered::Duration)
            .ok_or_else(|| {
                format!(
                    "the resulting duration would be negative or longer than {}",
                    format_duration(super::duration::MAX_DURATION)
                )
            });
    }
    Err(format!(
        "cannot {} {} and {} (durations add to durations, numbers to numbers)",
        if op == '+' { "add" } else { "subtract" },
        left.type_name(),
        right.type_name()
    ))
}

#[cfg(test)]
mod tests;
