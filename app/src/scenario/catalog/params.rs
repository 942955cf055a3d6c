//! Parameter schemas ([`ParamSpec`]) and the one checker of a value against
//! them, shared by action parameters, assertion parameters and template values.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::scenario::duration::parse_duration;

/// The type of a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// Text.
    String,
    /// A whole number.
    #[serde(alias = "integer")]
    Int,
    /// Any number (whole numbers are accepted).
    #[serde(alias = "number")]
    Float,
    /// `true` or `false`.
    #[serde(alias = "boolean")]
    Bool,
    /// Duration text: `500ms`, `30s`, `1h30m`.
    Duration,
    /// One of the spec's `values`.
    Enum,
    /// A list; its items have the type `items` (and, with `values`, one of them).
    #[serde(alias = "array")]
    List,
    /// A free-form mapping (checked against `fields` when the spec has them).
    Object,
    /// Anything at all.
    Any,
}

impl ParamType {
    /// "an integer", "a duration"…, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::String => "a string",
            Self::Int => "an integer",
            Self::Float => "a number",
            Self::Bool => "true or false",
            Self::Duration => "a duration",
            Self::Enum => "one of the allowed words",
            Self::List => "a list",
            Self::Object => "a mapping",
            Self::Any => "any value",
        }
    }
}

/// The schema of one parameter of an action, an assertion or a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ParamSpec {
    /// The parameter's name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ParamType,
    /// Whether it must be given.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The value used when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// The smallest number allowed (int and float).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest number allowed (int and float).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The allowed words of an enum, or of a list's items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The type of a list's items (any, when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<ParamType>,
    /// The fields of an object, or of a list's object items, when they are fixed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ssr", schema(no_recursion))]
    pub fields: Vec<ParamSpec>,
    /// What it means, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ParamSpec {
    /// An optional parameter of type `kind` with no constraint.
    pub fn new(name: impl Into<String>, kind: ParamType) -> Self {
        Self {
            name: name.into(),
            kind,
            required: false,
            default: None,
            min: None,
            max: None,
            values: Vec::new(),
            items: None,
            fields: Vec::new(),
            description: None,
        }
    }

    /// The same spec, required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The same spec with a numeric range.
    pub fn range(mut self, min: Option<f64>, max: Option<f64>) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    /// The same spec limited to `values` (an enum's words or a list's items).
    pub fn values(mut self, values: &[&str]) -> Self {
        self.values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// The same spec with list items of type `items`.
    pub fn items(mut self, items: ParamType) -> Self {
        self.items = Some(items);
        self
    }

    /// The same spec with fixed object fields.
    pub fn fields(mut self, fields: Vec<ParamSpec>) -> Self {
        self.fields = fields;
        self
    }

    /// What a valid value looks like: "an integer from 0 to 600000",
    /// "one of `sudden`, `gradual`".
    pub fn describe(&self) -> String {
        let mut text = match self.kind {
            ParamType::Enum if !self.values.is_empty() => {
                format!("one of {}", quoted_list(&self.values))
            }
            ParamType::List => match self.items {
                Some(items) => format!("a list of {}", plural(items)),
                None => "a list".to_owned(),
            },
            kind => kind.describe().to_owned(),
        };
        if self.kind == ParamType::List && !self.values.is_empty() {
            text.push_str(&format!(" from {}", quoted_list(&self.values)));
        }
        match (self.min, self.max) {
            (Some(min), Some(max)) => text.push_str(&format!(" from {min} to {max}")),
            (Some(min), None) => text.push_str(&format!(" of at least {min}")),
            (None, Some(max)) => text.push_str(&format!(" of at most {max}")),
            (None, None) => {}
        }
        text
    }

    /// Checks `value` against the spec; the error says what is wrong in a sentence
    /// fragment ("expected an integer, found the string \"500\"").
    pub fn check(&self, value: &Value) -> Result<(), String> {
        check_value(self.kind, self, value)
    }
}

fn plural(kind: ParamType) -> &'static str {
    match kind {
        ParamType::String => "strings",
        ParamType::Int => "integers",
        ParamType::Float => "numbers",
        ParamType::Bool => "booleans",
        ParamType::Duration => "durations",
        ParamType::Enum => "words",
        ParamType::List => "lists",
        ParamType::Object => "mappings",
        ParamType::Any => "values",
    }
}

/// `` `a`, `b`, `c` ``.
pub(crate) fn quoted_list<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|word| format!("`{}`", word.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "the string \"x\"", "the number 3"…, for messages.
pub(crate) fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

fn check_value(kind: ParamType, spec: &ParamSpec, value: &Value) -> Result<(), String> {
    let mismatch = || {
        format!(
            "expected {}, found {}",
            spec_kind_text(kind, spec),
            describe_value(value)
        )
    };
    match kind {
        ParamType::Any => Ok(()),
        ParamType::String => value.as_str().map(|_| ()).ok_or_else(mismatch),
        ParamType::Bool => value.as_bool().map(|_| ()).ok_or_else(mismatch),
        ParamType::Int => {
            if value.is_i64() || value.is_u64() {
                check_range(spec, value.as_f64().unwrap_or(0.0))
            } else {
                Err(mismatch())
            }
        }
        ParamType::Float => match value.as_f64() {
            Some(number) => check_range(spec, number),
            None => Err(mismatch()),
        },
        ParamType::Duration => match value.as_str() {
            Some(text) => parse_duration(text)
                .map(|_| ())
                .map_err(|error| error.to_string()),
            None => Err(mismatch()),
        },
        ParamType::Enum => match value.as_str() {
            Some(word) if spec.values.is_empty() || spec.values.iter().any(|v| v == word) => Ok(()),
            Some(word) => Err(format!(
                "{word:?} is not one of {}",
                quoted_list(&spec.values)
            )),
            None => Err(mismatch()),
        },
        ParamType::List => {
            let Some(items) = value.as_array() else {
                return Err(mismatch());
            };
            for (index, item) in items.iter().enumerate() {
                if !spec.values.is_empty() {
                    match item.as_str() {
                        Some(word) if spec.values.iter().any(|v| v == word) => continue,
                        _ => {
                            return Err(format!(
                                "item {index} ({}) is not one of {}",
                                describe_value(item),
                                quoted_list(&spec.values)
                            ))
                        }
                    }
                }
                let item_kind = spec.items.unwrap_or(ParamType::Any);
                let item_spec = ParamSpec {
                    min: None,
                    max: None,
                    ..ParamSpec::new("", item_kind).fields(spec.fields.clone())
                };
                check_value(item_kind, &item_spec, item)
                    .map_err(|error| format!("item {index}: {error}"))?;
            }
            Ok(())
        }
        ParamType::Object => {
            let Some(object) = value.as_object() else {
                return Err(mismatch());
            };
            if spec.fields.is_empty() {
                return Ok(());
            }
            for field in &spec.fields {
                match object.get(&field.name) {
                    Some(inner) => field
                        .check(inner)
                        .map_err(|error| format!("field `{}`: {error}", field.name))?,
                    None if field.required => {
                        return Err(format!("field `{}` is missing", field.name))
                    }
                    None => {}
                }
            }
            match object
                .keys()
                .find(|key| !spec.fields.iter().any(|f| &f.name == *key))
            {
                Some(key) => Err(format!(
                    "field `{key}` is not one of {}",
                    quoted_list(
                        &spec
                            .fields
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                    )
                )),
                None => Ok(()),
            }
        }
    }
}

fn spec_kind_text(kind: ParamType, spec: &ParamSpec) -> String {
    if kind == spec.kind {
        spec.describe()
    } else {
        kind.describe().to_owned()
    }
}

fn check_range(spec: &ParamSpec, number: f64) -> Result<(), String> {
    if let Some(min) = spec.min {
        if number < min {
            return Err(format!("{number} is below the minimum {min}"));
        }
    }
    if let Some(max) = spec.max {
        if number > max {
            return Err(format!("{number} is above the maximum {max}"));
        }
    }
    Ok(())
}
