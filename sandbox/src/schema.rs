//! Parameter schemas of chaos actions and the validation of request bodies
//! against them.
//!
//! A schema is what `GET /chaos/capabilities` publishes and what
//! `POST /chaos/{action}` checks. Validation reports every problem at once
//! and refuses unknown parameters, so a typo is never silently ignored.
//! Depends on nothing but `serde_json`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

/// The type of one parameter.
#[derive(Debug, Clone)]
pub enum ParamType {
    /// Any text.
    String,
    /// A whole number.
    Int,
    /// A number (ints accepted).
    Float,
    /// `true` or `false`.
    Bool,
    /// Text like `500ms`, `30s`, `5m`, `2h`, `1d`, `1h30m` (a bare number is seconds).
    Duration,
    /// One of `values`.
    Enum(&'static [&'static str]),
    /// A list of strings, optionally restricted to `values`.
    StringList(Option<&'static [&'static str]>),
    /// A free-form JSON object.
    Object,
}

impl ParamType {
    fn name(&self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::Duration => "duration",
            ParamType::Enum(_) => "enum",
            ParamType::StringList(_) => "list",
            ParamType::Object => "object",
        }
    }
}

/// One declared parameter of an action.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// Its name in the JSON body.
    pub name: &'static str,
    /// Its type.
    pub ty: ParamType,
    /// Whether the body must carry it.
    pub required: bool,
    /// Inclusive lower bound for numbers.
    pub min: Option<f64>,
    /// Inclusive upper bound for numbers.
    pub max: Option<f64>,
    /// The value used when it is absent (informational; published as is).
    pub default: Option<Value>,
    /// What it does.
    pub description: &'static str,
}

impl ParamSpec {
    /// An optional parameter without bounds or default.
    pub fn new(name: &'static str, ty: ParamType, description: &'static str) -> Self {
        ParamSpec {
            name,
            ty,
            required: false,
            min: None,
            max: None,
            default: None,
            description,
        }
    }

    /// Marks it required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Sets inclusive numeric bounds.
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    /// Sets the published default.
    pub fn default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }

    /// The capabilities JSON of this parameter.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.ty.name()));
        m.insert("required".into(), json!(self.required));
        match &self.ty {
            ParamType::Enum(values) => {
                m.insert("values".into(), json!(values));
            }
            ParamType::StringList(values) => {
                m.insert("items".into(), json!("string"));
                if let Some(values) = values {
                    m.insert("values".into(), json!(values));
                }
            }
            _ => {}
        }
        if let Some(min) = self.min {
            m.insert("min".into(), number(min));
        }
        if let Some(max) = self.max {
            m.insert("max".into(), number(max));
        }
        if let Some(default) = &self.default {
            m.insert("default".into(), default.clone());
        }
        m.insert("description".into(), json!(self.description));
        Value::Object(m)
    }
}

fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// One action a service accepts.
#[derive(Debug, Clone)]
pub struct ActionSpec {
    /// The action name (`inject_latency`); its URL segment uses hyphens.
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    /// Its parameters.
    pub params: Vec<ParamSpec>,
    /// The action it is a shorthand of (`latency` → `inject_latency`): the same
    /// effect, with the templates' `intensity` parameter instead of the full one.
    pub alias_of: Option<&'static str>,
}

impl ActionSpec {
    /// An action with the given parameters.
    pub fn new(name: &'static str, description: &'static str, params: Vec<ParamSpec>) -> Self {
        ActionSpec {
            name,
            description,
            params,
            alias_of: None,
        }
    }

    /// This action as a shorthand of `action` (listed as `alias_of`).
    pub fn alias_of(mut self, action: &'static str) -> Self {
        self.alias_of = Some(action);
        self
    }

    /// The capabilities JSON of this action (`alias_of` only when it is one).
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "name": self.name,
            "description": self.description,
            "parameters": self.params.iter().map(ParamSpec::to_json).collect::<Vec<_>>(),
        });
        if let (Some(alias_of), Some(map)) = (self.alias_of, out.as_object_mut()) {
            map.insert("alias_of".to_owned(), json!(alias_of));
        }
        out
    }

    /// Checks `body` against the schema, returning the typed parameters or
    /// every problem found.
    pub fn validate(&self, body: &Value) -> Result<Params, Vec<Problem>> {
        let empty = Map::new();
        let object = match body {
            Value::Null => &empty,
            Value::Object(m) => m,
            _ => {
                return Err(vec![Problem::new(
                    "",
                    "the body must be a JSON object of parameters",
                )])
            }
        };
        let mut problems = Vec::new();
        for key in object.keys() {
            if !self.params.iter().any(|p| p.name == key) {
                let known: Vec<_> = self.params.iter().map(|p| p.name).collect();
                problems.push(Problem::new(
                    key,
                    format!(
                        "unknown parameter `{key}` for `{}` (accepted: {})",
                        self.name,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
        let mut values = BTreeMap::new();
        for spec in &self.params {
            match object.get(spec.name) {
                None | Some(Value::Null) => {
                    if spec.required {
                        problems.push(Problem::new(spec.name, "required parameter is missing"));
                    }
                }
                Some(raw) => match check(spec, raw) {
                    Ok(v) => {
                        values.insert(spec.name.to_string(), v);
                    }
                    Err(message) => problems.push(Problem::new(spec.name, message)),
                },
            }
        }
        if problems.is_empty() {
            Ok(Params { values })
        } else {
            Err(problems)
        }
    }
}

/// One problem found in a request body.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    /// The parameter concerned (empty for the body as a whole).
    pub parameter: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem with `parameter`.
    pub fn new(parameter: &str, message: impl Into<String>) -> Self {
        Problem {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }
}

/// A validated parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// `string` or `enum`.
    Text(String),
    /// `int`, `float` (as f64).
    Number(f64),
    /// `bool`.
    Bool(bool),
    /// `duration`, in seconds.
    Seconds(f64),
    /// `list` of strings.
    List(Vec<String>),
    /// `object`.
    Object(Map<String, Value>),
}

/// The typed parameters of one validated request.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, ParamValue>,
}

impl Params {
    /// A number parameter, if present.
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.values.get(name) {
            Some(ParamValue::Number(x)) => Some(*x),
            _ => None,
        }
    }

    /// A text or enum parameter, if present.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(ParamValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// A duration parameter in sim seconds, if present.
    pub fn seconds(&self, name: &str) -> Option<f64> {
        match self.values.get(name) {
            Some(ParamValue::Seconds(s)) => Some(*s),
            _ => None,
        }
    }

    /// A bool parameter, if present.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.values.get(name) {
            Some(ParamValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// A list parameter, if present.
    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.values.get(name) {
            Some(ParamValue::List(l)) => Some(l),
            _ => None,
        }
    }

    /// An object parameter, if present.
    pub fn object(&self, name: &str) -> Option<&Map<String, Value>> {
        match self.values.get(name) {
            Some(ParamValue::Object(m)) => Some(m),
            _ => None,
        }
    }
}

fn check(spec: &ParamSpec, raw: &Value) -> Result<ParamValue, String> {
    let value = match &spec.ty {
        ParamType::String => match raw {
            Value::String(s) => ParamValue::Text(s.clone()),
            _ => return Err("expected a string".into()),
        },
        ParamType::Int => {
            let x = as_number(raw).ok_or("expected an integer")?;
            if x.fract() != 0.0 {
                return Err(format!("expected an integer, got {x}"));
            }
            ParamValue::Number(x)
        }
        ParamType::Float => ParamValue::Number(as_number(raw).ok_or("expected a number")?),
        ParamType::Bool => match raw {
            Value::Bool(b) => ParamValue::Bool(*b),
            Value::String(s) if s == "true" || s == "false" => ParamValue::Bool(s == "true"),
            _ => return Err("expected true or false".into()),
        },
        ParamType::Duration => match raw {
            Value::String(s) => ParamValue::Seconds(parse_duration(s)?),
            Value::Number(n) => {
                let secs = n.as_f64().ok_or("expected a duration")?;
                if secs < 0.0 {
                    return Err("a duration cannot be negative".into());
                }
                ParamValue::Seconds(secs)
            }
            _ => return Err("expected a duration like 30s, 5m, 2h or 1h30m".into()),
        },
        ParamType::Enum(values) => match raw {
            Value::String(s) if values.contains(&s.as_str()) => ParamValue::Text(s.clone()),
            _ => return Err(format!("expected one of: {}", values.join(", "))),
        },
        ParamType::StringList(allowed) => {
            let items: Vec<String> = match raw {
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or("expected a list of strings")?,
                Value::String(s) => vec![s.clone()],
                _ => return Err("expected a list of strings".into()),
            };
            if let Some(allowed) = allowed {
                let bad: Vec<_> = items
                    .iter()
                    .filter(|i| !allowed.contains(&i.as_str()))
                    .cloned()
                    .collect();
                if !bad.is_empty() {
                    return Err(format!(
                        "unknown value(s) {}; expected any of: {}",
                        bad.join(", "),
                        allowed.join(", ")
                    ));
                }
            }
            ParamValue::List(items)
        }
        ParamType::Object => match raw {
            Value::Object(m) => ParamValue::Object(m.clone()),
            _ => return Err("expected a JSON object".into()),
        },
    };
    if let ParamValue::Number(x) | ParamValue::Seconds(x) = value {
        if let Some(min) = spec.min {
            if x < min {
                return Err(format!("{x} is below the minimum {min}"));
            }
        }
        if let Some(max) = spec.max {
            if x > max {
                return Err(format!("{x} is above the maximum {max}"));
            }
        }
    }
    Ok(value)
}

/// A JSON number, or a string holding one (template rendering may quote
/// numbers, e.g. `"{{ .Variables.depeg_target }}"`).
fn as_number(raw: &Value) -> Option<f64> {
    match raw {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// Parses `500ms`, `30s`, `5m`, `2h`, `1d` and sums like `1h30m` (or a bare
/// number of seconds) into seconds.
pub fn parse_duration(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = text.parse::<f64>() {
        return if secs >= 0.0 && secs.is_finite() {
            Ok(secs)
        } else {
            Err(format!("invalid duration `{text}`"))
        };
    }
    let bad = || format!("invalid duration `{text}` (use e.g. 500ms, 30s, 5m, 2h, 1d, 1h30m)");
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let amount: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            _ => return Err(bad()),
        };
        total += amount * factor;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latency() -> ActionSpec {
        ActionSpec::new(
            "inject_latency",
            "",
            vec![
                ParamSpec::new("delay_ms", ParamType::Int, "")
                    .required()
                    .range(0.0, 600_000.0),
                ParamSpec::new(
                    "operations",
                    ParamType::StringList(Some(&["place_order", "cancel_order"])),
                    "",
                ),
                ParamSpec::new("duration", ParamType::Duration, ""),
            ],
        )
    }

    #[test]
    fn durations_parse_in_every_unit_and_as_sums() {
        assert_eq!(parse_duration("500ms"), Ok(0.5));
        assert_eq!(parse_duration("30s"), Ok(30.0));
        assert_eq!(parse_duration("5m"), Ok(300.0));
        assert_eq!(parse_duration("2h"), Ok(7200.0));
        assert_eq!(parse_duration("1d"), Ok(86_400.0));
        assert_eq!(parse_duration("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration("12"), Ok(12.0));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn a_valid_body_yields_typed_parameters() {
        let params = latency()
            .validate(&json!({"delay_ms": 500, "operations": ["place_order"], "duration": "5m"}))
            .expect("valid body");
        assert_eq!(params.number("delay_ms"), Some(500.0));
        assert_eq!(
            params.list("operations"),
            Some(&["place_order".to_string()][..])
        );
        assert_eq!(params.seconds("duration"), Some(300.0));
    }

    #[test]
    fn unknown_missing_and_out_of_range_parameters_are_all_reported() {
        let problems = latency()
            .validate(&json!({"delay": 5, "operations": ["fly"]}))
            .expect_err("invalid body");
        let names: Vec<_> = problems.iter().map(|p| p.parameter.as_str()).collect();
        assert!(names.contains(&"delay"));
        assert!(names.contains(&"delay_ms"));
        assert!(names.contains(&"operations"));
        let too_big = latency()
            .validate(&json!({"delay_ms": 700_000}))
            .expect_err("out of range");
        assert_eq!(too_big[0].parameter, "delay_ms");
    }

    #[test]
    fn numbers_may_arrive_as_strings_but_not_as_fractions_for_ints() {
        assert!(latency().validate(&json!({"delay_ms": "250"})).is_ok());
        assert!(latency().validate(&json!({"delay_ms": 2.5})).is_err());
    }

    #[test]
    fn an_empty_body_is_an_empty_object() {
        let spec = ActionSpec::new("clear", "", vec![]);
        assert!(spec.validate(&Value::Null).is_ok());
        assert!(spec.validate(&json!([1])).is_err());
    }
}
