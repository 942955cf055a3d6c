//! The catalog: what the validator checks a scenario against, passed in as data.
//!
//! Services → their kind → the actions they support → each action's parameter
//! schema; and assertion types → the `expect` words and parameters they accept.
//! An [`ActionSpec`] deserialises from exactly what a chaos-API service returns from
//! `GET /chaos/capabilities`, so the server can fill the catalog from live services;
//! [`Catalog::builtin_assertions`] are the types the engine implements, and custom
//! ones from config are added with [`Catalog::add_assertion`].
//!
//! [`ParamSpec`] is also the shape of a template's typed `parameters`, so one
//! checker ([`ParamSpec::check`]) serves action parameters, assertion parameters
//! and template parameter values.
//!
//! This module owns the data and the value checks; it knows nothing of scenarios.

use super::duration::parse_duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

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

/// How a service is driven; decides the actions it has without declaring them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// Speaks the chaos API of DESIGN.md §3; also has `clear_chaos` and
    /// `clear_all_chaos`.
    ChaosApi,
    /// A plain HTTP service: only the `http` action.
    Http,
    /// A local process the coordinator supervises: `start`, `stop`, `kill`, `restart`.
    Process,
}

/// One action a service supports: `GET /chaos/capabilities` returns a list of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionSpec {
    /// The action's name as scenarios write it (`inject_latency`).
    pub name: String,
    /// What it does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Its parameters.
    #[serde(default)]
    pub parameters: Vec<ParamSpec>,
}

impl ActionSpec {
    /// An action with these parameters.
    pub fn new(name: impl Into<String>, parameters: Vec<ParamSpec>) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            parameters,
        }
    }
}

/// A service of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceSpec {
    /// How it is driven.
    pub kind: ServiceKind,
    /// The actions it declares (those implied by its kind come on top).
    #[serde(default)]
    pub actions: Vec<ActionSpec>,
}

/// Whether an assertion type needs the assertion's `service` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceUse {
    /// `service` may be given (and must then name a known service).
    #[default]
    Optional,
    /// `service` must be given.
    Required,
}

/// An assertion type: the `expect` words and parameters it accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssertionSpec {
    /// The accepted `expect` words.
    pub expect: Vec<String>,
    /// Its parameters.
    #[serde(default)]
    pub parameters: Vec<ParamSpec>,
    /// Whether it needs `service`.
    #[serde(default)]
    pub service: ServiceUse,
    /// What it checks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl AssertionSpec {
    /// An assertion type accepting `expect` words and `parameters`.
    pub fn new(expect: &[&str], parameters: Vec<ParamSpec>) -> Self {
        Self {
            expect: expect.iter().map(|word| (*word).to_owned()).collect(),
            parameters,
            service: ServiceUse::Optional,
            description: String::new(),
        }
    }

    /// The same spec, needing `service`.
    pub fn with_service(mut self) -> Self {
        self.service = ServiceUse::Required;
        self
    }
}

/// Everything the validator checks against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Catalog {
    /// Services by name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceSpec>,
    /// Assertion types by name.
    #[serde(default)]
    pub assertions: BTreeMap<String, AssertionSpec>,
}

/// The actions every `process` service has.
pub const PROCESS_ACTIONS: [&str; 4] = ["start", "stop", "kill", "restart"];

/// The actions every `chaos_api` service has (POST `/chaos/clear`).
pub const CLEAR_ACTIONS: [&str; 2] = ["clear_chaos", "clear_all_chaos"];

/// The action every service has: an HTTP request to one of its paths.
pub const HTTP_ACTION: &str = "http";

/// What an action does to the chaos on its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChaosEffect {
    /// It injects chaos (`inject_latency`, `simulate_downtime`, `kill`…).
    Injects,
    /// It takes chaos away (`clear_chaos`, `restore_liquidity`, `restart`…).
    Clears,
    /// Neither: a request or an operation (`http`, `start_strategy`,
    /// `scale_strategies`, a process `start`).
    Neutral,
}

/// What `action` does to the chaos on its service, by its name: the report's
/// chaos windows and the workload's recovery time both start from this.
pub fn chaos_effect(action: &str) -> ChaosEffect {
    match action {
        HTTP_ACTION | "start" | "start_strategy" | "stop_strategy" | "scale_strategies" => {
            ChaosEffect::Neutral
        }
        "restore_liquidity" | "resume_normal_settlement" | "restart" | "price_recovery" => {
            ChaosEffect::Clears
        }
        clear if clear.starts_with("clear") => ChaosEffect::Clears,
        _ => ChaosEffect::Injects,
    }
}

impl Catalog {
    /// A catalog with the built-in assertion types and no services yet.
    pub fn new() -> Self {
        Self {
            services: BTreeMap::new(),
            assertions: Self::builtin_assertions(),
        }
    }

    /// Adds (or replaces) a service.
    pub fn add_service(&mut self, name: impl Into<String>, service: ServiceSpec) {
        self.services.insert(name.into(), service);
    }

    /// Adds (or replaces) an assertion type, such as a custom one from config.
    pub fn add_assertion(&mut self, name: impl Into<String>, assertion: AssertionSpec) {
        self.assertions.insert(name.into(), assertion);
    }

    /// The action `action` of `service`, declared or implied by the service's kind;
    /// `None` when the service or the action is unknown.
    pub fn action(&self, service: &str, action: &str) -> Option<Cow<'_, ActionSpec>> {
        let spec = self.services.get(service)?;
        if let Some(declared) = spec.actions.iter().find(|a| a.name == action) {
            return Some(Cow::Borrowed(declared));
        }
        implied_action(spec.kind, action).map(Cow::Owned)
    }

    /// Every action name `service` supports, declared first.
    pub fn action_names(&self, service: &str) -> Vec<&str> {
        let Some(spec) = self.services.get(service) else {
            return Vec::new();
        };
        let mut names: Vec<&str> = spec.actions.iter().map(|a| a.name.as_str()).collect();
        let implied: &[&str] = match spec.kind {
            ServiceKind::ChaosApi => &CLEAR_ACTIONS,
            ServiceKind::Process => &PROCESS_ACTIONS,
            ServiceKind::Http => &[],
        };
        for name in implied.iter().chain(std::iter::once(&HTTP_ACTION)) {
            if !names.contains(name) {
                names.push(name);
            }
        }
        names
    }

    /// The assertion types the engine implements (DESIGN.md §4), with their
    /// accepted `expect` words and parameters.
    pub fn builtin_assertions() -> BTreeMap<String, AssertionSpec> {
        use ParamType::{Float, Int, List, Object, String as Text};
        let p = ParamSpec::new;
        let fraction = |name: &'static str| p(name, Float).range(Some(0.0), Some(1.0));
        let strategy = || p("strategy", Text);
        let health = || {
            vec![
                p("required_services", List).items(Text),
                p("health_check_passes", Int).range(Some(1.0), None),
            ]
        };
        let comparison = ["==", "!=", "<", "<=", ">", ">="];
        let mut all_ops = comparison.to_vec();
        all_ops.extend(["contains", "matches"]);
        let alert_type = || p("alert_type", ParamType::Enum).values(&ALERT_TYPES);
        let table = [
            (
                "system_health",
                AssertionSpec::new(&["all_services_healthy", "healthy"], health()),
            ),
            (
                "system_recovery",
                AssertionSpec::new(
                    &["normal_operations", "all_services_healthy", "recovered"],
                    health(),
                ),
            ),
            (
                "service_health",
                AssertionSpec::new(&["healthy", "down"], vec![]).with_service(),
            ),
            (
                "http",
                AssertionSpec::new(
                    &["ok"],
                    vec![
                        p("method", ParamType::Enum).values(&HTTP_METHODS),
                        p("path", Text).required(),
                        p("status", Int).range(Some(100.0), Some(599.0)),
                        p("checks", List).items(Object).fields(vec![
                            p("pointer", Text).required(),
                            p("op", ParamType::Enum).values(&all_ops).required(),
                            p("value", ParamType::Any),
                        ]),
                        p("max_latency_ms", Float).range(Some(0.0), None),
                    ],
                ),
            ),
            (
                "metric",
                AssertionSpec {
                    description: "the execution's own workload figures (spec.workload): \
                        `expect` is an expression such as `p95_latency_ms <= 150`, \
                        `failure_rate between 0.9 and 1.0` or `recovery_time <= 30s`"
                        .to_owned(),
                    ..AssertionSpec::new(
                        &[],
                        vec![
                            p("window", ParamType::Duration),
                            p("stream", Text),
                            p("min_requests", Int).range(Some(1.0), None),
                        ],
                    )
                },
            ),
            (
                "prometheus",
                AssertionSpec::new(
                    &["holds"],
                    vec![
                        p("query", Text).required(),
                        p("op", ParamType::Enum).values(&comparison),
                        p("value", Float).required(),
                    ],
                ),
            ),
            (
                "risk_alert",
                AssertionSpec::new(
                    &[
                        "alert_generated",
                        "execution_latency_alert",
                        "position_limit_breach_alert",
                        "correlation_breach_alert",
                        "price_divergence_alert",
                        "settlement_delay_alert",
                        "liquidity_crisis_alert",
                        "risk_escalation_alert",
                    ],
                    vec![
                        alert_type(),
                        p("severity", ParamType::Enum)
                            .values(&["low", "medium", "high", "critical"]),
                    ],
                ),
            ),
            (
                "alert_resolution",
                AssertionSpec::new(&["alerts_cleared"], vec![alert_type()]),
            ),
            (
                "strategy_active",
                AssertionSpec::new(
                    &[
                        "arbitrage_running",
                        "market_making_running",
                        "momentum_running",
                        "running",
                    ],
                    vec![strategy()],
                ),
            ),
            (
                "trading_performance",
                AssertionSpec::new(
                    &["degraded_execution", "normal_execution", "within_limits"],
                    vec![
                        p("max_latency_ms", Float).range(Some(0.0), None),
                        fraction("min_success_rate"),
                        strategy(),
                    ],
                ),
            ),
            (
                "trading_adaptation",
                AssertionSpec::new(&["strategy_adjusts"], vec![strategy()]),
            ),
            (
                "trading_impact",
                AssertionSpec::new(&["degraded_performance"], vec![strategy()]),
            ),
            (
                "price_divergence",
                AssertionSpec::new(
                    &["usdt_depegged", "depegged", "diverged"],
                    vec![p("symbol", Text), p("min_deviation", Float)],
                ),
            ),
            (
                "price_recovery",
                AssertionSpec::new(
                    &["usdt_repeg", "repegged", "recovered"],
                    vec![p("symbol", Text), p("max_deviation", Float)],
                ),
            ),
            (
                "liquidity_crisis",
                AssertionSpec::new(
                    &["wider_spreads"],
                    vec![p("symbols", List).items(Text), p("min_factor", Float)],
                ),
            ),
            (
                "position_limits",
                AssertionSpec::new(&["limits_breached", "within_limits"], vec![strategy()]),
            ),
            (
                "emergency_procedures",
                AssertionSpec::new(&["risk_escalation"], vec![]),
            ),
            (
                "arbitrage_opportunity",
                AssertionSpec::new(&["increased_activity"], vec![p("min_increase", Float)]),
            ),
            (
                "performance_recovery",
                AssertionSpec::new(
                    &["strategy_performance_normalized", "normal_operations"],
                    vec![strategy(), p("tolerance", Float)],
                ),
            ),
            (
                "system_stabilization",
                AssertionSpec::new(&["normal_operations"], vec![]),
            ),
            (
                "exchange_health",
                AssertionSpec::new(&["healthy", "degraded", "down"], vec![]).with_service(),
            ),
            (
                "audit_correlation",
                AssertionSpec::new(
                    &["events_correlated"],
                    vec![
                        fraction("correlation_threshold"),
                        p("expected_event_count", Int).range(Some(0.0), None),
                    ],
                ),
            ),
        ];
        table
            .into_iter()
            .map(|(name, spec)| (name.to_owned(), spec))
            .collect()
    }
}

/// The alert types of the risk monitor.
pub const ALERT_TYPES: [&str; 7] = [
    "execution_latency",
    "position_limit_breach",
    "correlation_breach",
    "price_divergence",
    "settlement_delay",
    "liquidity_crisis",
    "risk_escalation",
];

/// The methods of `http` actions and assertions.
pub const HTTP_METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// The actions a service of `kind` has without declaring them.
fn implied_action(kind: ServiceKind, action: &str) -> Option<ActionSpec> {
    use ParamType::{Int, Object, String as Text};
    if action == HTTP_ACTION {
        return Some(ActionSpec::new(
            HTTP_ACTION,
            vec![
                ParamSpec::new("method", ParamType::Enum).values(&HTTP_METHODS),
                ParamSpec::new("path", Text).required(),
                ParamSpec::new("body", ParamType::Any),
                ParamSpec::new("headers", Object),
                ParamSpec::new("expect_status", Int).range(Some(100.0), Some(599.0)),
            ],
        ));
    }
    let implied = match kind {
        ServiceKind::ChaosApi => CLEAR_ACTIONS.contains(&action),
        ServiceKind::Process => PROCESS_ACTIONS.contains(&action),
        ServiceKind::Http => false,
    };
    implied.then(|| ActionSpec::new(action, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_action_spec_reads_the_capabilities_json_of_a_service() {
        let spec: ActionSpec = serde_json::from_value(json!({
            "name": "inject_latency",
            "description": "Slow down operations",
            "parameters": [
                {"name": "delay_ms", "type": "int", "required": true, "min": 0, "max": 600000, "description": "ms"},
                {"name": "operations", "type": "list", "items": "string", "values": ["place_order", "cancel_order"]},
                {"name": "pattern", "type": "enum", "values": ["sudden", "gradual"]},
                {"name": "duration", "type": "duration"},
                {"name": "config", "type": "object"}
            ]
        }))
        .expect("capabilities JSON deserialises");
        assert_eq!(spec.parameters.len(), 5);
        assert!(spec.parameters[0].required);
        assert!(!spec.parameters[1].required, "required defaults to false");
        assert_eq!(spec.parameters[1].items, Some(ParamType::String));
        assert_eq!(spec.parameters[0].max, Some(600_000.0));
    }

    #[test]
    fn values_are_checked_against_type_range_and_allowed_words() {
        let delay = ParamSpec::new("delay_ms", ParamType::Int).range(Some(0.0), Some(600_000.0));
        assert!(delay.check(&json!(500)).is_ok());
        assert!(delay
            .check(&json!("500"))
            .unwrap_err()
            .contains("expected an integer"));
        assert!(delay
            .check(&json!(700_000))
            .unwrap_err()
            .contains("above the maximum"));
        assert!(delay.check(&json!(1.5)).is_err());

        let rate = ParamSpec::new("rate", ParamType::Float).range(Some(0.0), Some(1.0));
        assert!(rate.check(&json!(1)).is_ok(), "floats accept integers");
        assert!(rate
            .check(&json!(-0.1))
            .unwrap_err()
            .contains("below the minimum"));

        let pattern = ParamSpec::new("pattern", ParamType::Enum).values(&["sudden", "gradual"]);
        assert!(pattern.check(&json!("sudden")).is_ok());
        assert!(pattern
            .check(&json!("slow"))
            .unwrap_err()
            .contains("`sudden`, `gradual`"));

        let ops = ParamSpec::new("operations", ParamType::List)
            .items(ParamType::String)
            .values(&["place_order"]);
        assert!(ops.check(&json!(["place_order"])).is_ok());
        assert!(ops.check(&json!(["fly"])).unwrap_err().contains("item 0"));

        let duration = ParamSpec::new("duration", ParamType::Duration);
        assert!(duration.check(&json!("1h30m")).is_ok());
        assert!(duration.check(&json!("soon")).is_err());
    }

    #[test]
    fn object_items_are_checked_against_their_fields() {
        let checks = &Catalog::builtin_assertions()["http"].parameters[3];
        assert!(checks
            .check(&json!([{"pointer": "/status", "op": "==", "value": "ok"}]))
            .is_ok());
        assert!(checks
            .check(&json!([{"pointer": "/status", "op": "~"}]))
            .is_err());
        assert!(checks
            .check(&json!([{"op": "=="}]))
            .unwrap_err()
            .contains("pointer"));
        assert!(checks
            .check(&json!([{"pointer": "/a", "op": "==", "x": 1}]))
            .unwrap_err()
            .contains("`x`"));
    }

    #[test]
    fn kinds_imply_their_actions() {
        let mut catalog = Catalog::new();
        catalog.add_service(
            "exchange",
            ServiceSpec {
                kind: ServiceKind::ChaosApi,
                actions: vec![ActionSpec::new("inject_latency", vec![])],
            },
        );
        catalog.add_service(
            "worker",
            ServiceSpec {
                kind: ServiceKind::Process,
                actions: vec![],
            },
        );
        assert!(catalog.action("exchange", "clear_all_chaos").is_some());
        assert!(catalog.action("exchange", "http").is_some());
        assert!(catalog.action("exchange", "restart").is_none());
        assert!(catalog.action("worker", "restart").is_some());
        assert!(catalog.action("worker", "clear_chaos").is_none());
        assert!(catalog.action("nowhere", "http").is_none());
        assert_eq!(
            catalog.action_names("exchange"),
            ["inject_latency", "clear_chaos", "clear_all_chaos", "http"]
        );
    }

    #[test]
    fn the_builtin_assertions_are_the_engine_s_types() {
        let assertions = Catalog::builtin_assertions();
        assert_eq!(assertions.len(), 22);
        assert!(
            assertions["metric"].expect.is_empty(),
            "metric takes an expression"
        );
        assert!(assertions["risk_alert"]
            .expect
            .contains(&"correlation_breach_alert".to_owned()));
        assert_eq!(assertions["service_health"].service, ServiceUse::Required);
        let mut catalog = Catalog::new();
        catalog.add_assertion("queue_depth", AssertionSpec::new(&["below"], vec![]));
        assert!(catalog.assertions.contains_key("queue_depth"));
        let json = serde_json::to_string(&catalog).expect("serialises");
        assert_eq!(
            serde_json::from_str::<Catalog>(&json).expect("reads"),
            catalog
        );
    }

    #[test]
    fn actions_inject_clear_or_leave_chaos_alone() {
        for action in [
            "inject_latency",
            "simulate_downtime",
            "kill",
            "stablecoin_depeg",
        ] {
            assert_eq!(chaos_effect(action), ChaosEffect::Injects, "{action}");
        }
        for action in [
            "clear_chaos",
            "clear_all_chaos",
            "restore_liquidity",
            "restart",
        ] {
            assert_eq!(chaos_effect(action), ChaosEffect::Clears, "{action}");
        }
        for action in ["http", "start", "start_strategy", "scale_strategies"] {
            assert_eq!(chaos_effect(action), ChaosEffect::Neutral, "{action}");
        }
    }
}
