//! Validation: a [`ScenarioDocument`] checked against a [`Catalog`], every problem
//! reported at once, and a [`Plan`] when there is no error.
//!
//! Validation is not an error enum: [`validate`] returns a [`Validation`] holding
//! every diagnostic (errors and warnings, in reading order, each with its path and
//! position) and the plan, which is there exactly when there is no error and no
//! unrendered `{{ … }}` expression left. A scenario with only warnings has a plan.
//!
//! Checks, after the [structure](super::structure) ones:
//! - services, actions and their parameters against the catalog (undeclared
//!   parameters are warnings, errors in strict mode);
//! - assertion types, `expect` words, `service` and parameters;
//! - timing: the phases fit in `spec.duration`, `spec.duration` fits in
//!   `spec.timeout`, each parallel `delay` is shorter than its phase, and a
//!   `within` longer than its phase is a warning (checked until the phase ends);
//! - unique phase names, known success criteria, valid rollback actions.
//!
//! Values still holding an unrendered template expression are not checked: they
//! are checked once rendered. Strict mode's live part (asking each service for its
//! capabilities) is the server's: it passes the catalog it built from them.

use super::catalog::{quoted_list, Catalog, ParamSpec, ServiceUse, HTTP_ACTION, HTTP_METHODS};
use super::diagnostic::{did_you_mean, has_errors, sort_diagnostics, Diagnostic, DiagnosticKind};
use super::document::{child_path, item_path, ScenarioDocument};
use super::duration::format_duration;
use super::model::{Assertion, Parameters, Phase, ScenarioKind};
use super::parse::parse_scenario;
use super::plan::{plan, Plan, SuccessCriterion};
use super::structure::{read, Reading};
use super::template::{contains_expression, render, ParameterValues};
use super::workload::{Metric, MetricCheck, Rate, Workload, MAX_RATE};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;

/// The assertion type that judges the execution's own workload figures.
pub const METRIC: &str = "metric";

/// How to validate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateOptions {
    /// The seed's strict mode: parameters an action or assertion does not declare
    /// are errors rather than warnings.
    pub strict: bool,
    /// The window of an assertion without `within` (the server passes
    /// `execution.assertion_timeout`); `None`: until its phase ends.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::duration::serde_millis_option"
    )]
    pub default_within: Option<Duration>,
}

/// What validation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// The plan: present when there is no error and nothing left to render.
    pub plan: Option<Plan>,
    /// Every error and warning, in reading order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Validation {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }

    /// The plan and the warnings, or every diagnostic when there is no plan.
    pub fn into_result(self) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
        match self.plan {
            Some(plan) => Ok((plan, self.diagnostics)),
            None => Err(self.diagnostics),
        }
    }
}

/// Validates a parsed (and, for a template, rendered) document against `catalog`.
pub fn validate(
    document: &ScenarioDocument,
    catalog: &Catalog,
    options: &ValidateOptions,
) -> Validation {
    let mut reading = read(document);
    let mut checker = Checker {
        document,
        catalog,
        options,
        unsettled: &reading.unsettled,
        diagnostics: std::mem::take(&mut reading.diagnostics),
        workload: reading.scenario.spec.workload.clone(),
        phase_names: reading
            .scenario
            .spec
            .phases
            .iter()
            .map(|phase| phase.name.clone())
            .collect(),
    };
    checker.check(&reading);
    let mut diagnostics = checker.diagnostics;
    sort_diagnostics(&mut diagnostics);
    let plannable = !has_errors(&diagnostics) && !reading.has_expressions;
    Validation {
        plan: plannable.then(|| plan(reading.scenario, options.default_within)),
        diagnostics,
    }
}

/// What the editor calls on each keystroke: parses `text`, renders a plain
/// scenario's variables, and validates. A template is validated as written (its
/// expressions are checked once rendered), so it has no plan.
pub fn validate_text(text: &str, catalog: &Catalog, options: &ValidateOptions) -> Validation {
    let document = match parse_scenario(text) {
        Ok(document) => document,
        Err(diagnostics) => {
            return Validation {
                plan: None,
                diagnostics,
            }
        }
    };
    if document.is_template() {
        return validate(&document, catalog, options);
    }
    match render(&document, &ParameterValues::new()) {
        Ok(rendered) => validate(&rendered, catalog, options),
        Err(mut diagnostics) => {
            let mut validation = validate(&document, catalog, options);
            validation.plan = None;
            diagnostics.append(&mut validation.diagnostics);
            sort_diagnostics(&mut diagnostics);
            Validation {
                plan: None,
                diagnostics,
            }
        }
    }
}

struct Checker<'a> {
    document: &'a ScenarioDocument,
    catalog: &'a Catalog,
    options: &'a ValidateOptions,
    unsettled: &'a HashSet<String>,
    diagnostics: Vec<Diagnostic>,
    /// The scenario's workload, which `metric` assertions judge.
    workload: Option<Workload>,
    /// The phases' names (streams may be limited to some).
    phase_names: Vec<String>,
}

/// Whether any string in `value` holds an expression (then it is checked later).
fn value_has_expression(value: &Value) -> bool {
    match value {
        Value::String(text) => contains_expression(text),
        Value::Array(items) => items.iter().any(value_has_expression),
        Value::Object(map) => map.values().any(value_has_expression),
        _ => false,
    }
}

/// Whether `text` names something checkable: not empty (a structure error said
/// so) and not an unrendered expression.
fn settled(text: &str) -> bool {
    !text.is_empty() && !contains_expression(text)
}

impl Checker<'_> {
    fn push(&mut self, diagnostic: Diagnostic) {
        let position = self.document.locate(&diagnostic.path);
        self.diagnostics.push(diagnostic.at(position));
    }

    fn error(&mut self, kind: DiagnosticKind, path: &str, message: String, hint: Option<String>) {
        self.push(Diagnostic::error(kind, path, message).with_optional_hint(hint));
    }

    fn check(&mut self, reading: &Reading) {
        let scenario = &reading.scenario;
        if scenario.kind == ScenarioKind::Scenario
            && scenario.spec.phases.is_empty()
            && !self.unsettled.contains("phases")
            && self
                .document
                .root
                .get("spec")
                .and_then(|spec| spec.get("phases"))
                .is_some()
        {
            self.error(
                DiagnosticKind::Structure,
                "phases",
                "a scenario needs at least one phase".to_owned(),
                None,
            );
        }
        let mut names: Vec<&str> = Vec::new();
        for (index, phase) in scenario.spec.phases.iter().enumerate() {
            let path = item_path("phases", index);
            if !phase.name.is_empty() && names.contains(&phase.name.as_str()) {
                self.error(
                    DiagnosticKind::Structure,
                    &child_path(&path, "name"),
                    format!("two phases are named `{}`", phase.name),
                    Some(
                        "phase names must be unique: reports and controls refer to them".to_owned(),
                    ),
                );
            }
            names.push(&phase.name);
            self.check_phase(phase, &path);
        }
        if let Some(workload) = &scenario.spec.workload {
            self.check_workload(workload);
        }
        self.check_timing(reading);
        if let Some(rollback) = &scenario.spec.rollback {
            for (index, action) in rollback.actions.iter().enumerate() {
                let path = item_path("rollback.actions", index);
                self.check_action(&path, &action.service, &action.action, &action.parameters);
            }
        }
        for (index, criterion) in scenario.spec.success_criteria.iter().enumerate() {
            if settled(criterion) && criterion.parse::<SuccessCriterion>().is_err() {
                let known = SuccessCriterion::names();
                let hint = did_you_mean(criterion, known)
                    .unwrap_or_else(|| format!("the known criteria are {}", quoted_list(&known)));
                self.error(
                    DiagnosticKind::Structure,
                    &item_path("success_criteria", index),
                    format!("unknown success criterion `{criterion}`"),
                    Some(hint),
                );
            }
        }
    }

    fn check_phase(&mut self, phase: &Phase, path: &str) {
        for (index, action) in phase.actions.iter().enumerate() {
            let path = item_path(&child_path(path, "actions"), index);
            self.check_action(&path, &action.service, &action.action, &action.parameters);
        }
        for (index, action) in phase.parallel_actions.iter().enumerate() {
            let path = item_path(&child_path(path, "parallel_actions"), index);
            self.check_action(&path, &action.service, &action.action, &action.parameters);
        }
        for (index, assertion) in phase.assertions.iter().enumerate() {
            let path = item_path(&child_path(path, "assertions"), index);
            if !settled(&assertion.assertion_type) {
                continue;
            }
            let Some(spec) = self.catalog.assertions.get(&assertion.assertion_type) else {
                let known = self.catalog.assertions.keys().map(String::as_str);
                let hint = did_you_mean(&assertion.assertion_type, known).unwrap_or_else(|| {
                    let known: Vec<&str> =
                        self.catalog.assertions.keys().map(String::as_str).collect();
                    format!("the assertion types are {}", quoted_list(&known))
                });
                self.error(
                    DiagnosticKind::UnknownAssertion,
                    &child_path(&path, "type"),
                    format!("unknown assertion type `{}`", assertion.assertion_type),
                    Some(hint),
                );
                continue;
            };
            if assertion.assertion_type == METRIC {
                self.check_metric(assertion, &path);
            } else if settled(&assertion.expect) && !spec.expect.contains(&assertion.expect) {
                let accepted = format!(
                    "`{}` accepts {}",
                    assertion.assertion_type,
                    quoted_list(&spec.expect)
                );
                let hint =
                    match did_you_mean(&assertion.expect, spec.expect.iter().map(String::as_str)) {
                        Some(suggestion) => format!("{suggestion} {accepted}"),
                        None => accepted,
                    };
                self.error(
                    DiagnosticKind::UnsupportedExpectation,
                    &child_path(&path, "expect"),
                    format!(
                        "`{}` cannot expect `{}`",
                        assertion.assertion_type, assertion.expect
                    ),
                    Some(hint),
                );
            }
            match &assertion.service {
                Some(service) if settled(service) => {
                    self.check_service(&child_path(&path, "service"), service);
                }
                None if spec.service == ServiceUse::Required => self.error(
                    DiagnosticKind::Structure,
                    &child_path(&path, "service"),
                    format!(
                        "`{}` needs the `service` it checks",
                        assertion.assertion_type
                    ),
                    Some("add e.g. `service: exchange-simulator`".to_owned()),
                ),
                _ => {}
            }
            let owner = format!("assertion `{}`", assertion.assertion_type);
            let parameters_path = child_path(&path, "parameters");
            self.check_parameters(
                &parameters_path,
                &owner,
                &spec.parameters,
                &assertion.parameters,
            );
            if assertion.assertion_type == "http" {
                self.check_call_path(&parameters_path, &assertion.parameters, "assertion");
            }
        }
    }

    /// A `metric` assertion: its expression, and the workload it judges.
    fn check_metric(&mut self, assertion: &Assertion, path: &str) {
        let expect_path = child_path(path, "expect");
        if !settled(&assertion.expect) {
            return;
        }
        let check = match MetricCheck::parse(&assertion.expect) {
            Ok(check) => check,
            Err(message) => {
                self.error(
                    DiagnosticKind::UnsupportedExpectation,
                    &expect_path,
                    message,
                    Some(
                        "write e.g. `p95_latency_ms <= 150`, `failure_rate between 0.9 and 1.0` \
                         or `recovery_time <= 30s`"
                            .to_owned(),
                    ),
                );
                return;
            }
        };
        let workload = self.workload.clone();
        let Some(workload) = workload else {
            self.error(
                DiagnosticKind::Structure,
                &child_path(path, "type"),
                "a `metric` assertion judges the scenario's workload, and there is none".to_owned(),
                Some("add `spec.workload` with at least one stream".to_owned()),
            );
            return;
        };
        if check.metric == Metric::RecoveryTime && workload.steady_state.is_none() {
            self.error(
                DiagnosticKind::Structure,
                &expect_path,
                "`recovery_time` needs a steady state to recover to".to_owned(),
                Some("add `spec.workload.steady_state`, e.g. `{p95_latency_ms: 150, failure_rate: 0.005, for: 5s}`".to_owned()),
            );
        }
        if let Some(Value::String(stream)) = assertion.parameters.get("stream") {
            if settled(stream) && !workload.streams.iter().any(|s| &s.name == stream) {
                let names = workload.streams.iter().map(|s| s.name.as_str());
                let hint = did_you_mean(stream, names).unwrap_or_else(|| {
                    let names: Vec<&str> =
                        workload.streams.iter().map(|s| s.name.as_str()).collect();
                    format!("the streams are {}", quoted_list(&names))
                });
                self.error(
                    DiagnosticKind::Structure,
                    &child_path(&child_path(path, "parameters"), "stream"),
                    format!("the workload has no stream `{stream}`"),
                    Some(hint),
                );
            }
        }
    }

    /// The workload's streams and steady state.
    fn check_workload(&mut self, workload: &Workload) {
        if workload.streams.is_empty() && !self.unsettled.contains("workload.streams") {
            self.error(
                DiagnosticKind::Structure,
                "workload.streams",
                "a workload needs at least one stream".to_owned(),
                None,
            );
        }
        let mut names: Vec<&str> = Vec::new();
        for (index, stream) in workload.streams.iter().enumerate() {
            let path = item_path("workload.streams", index);
            if self.unsettled.contains(&path) {
                continue;
            }
            if !stream.name.is_empty() && names.contains(&stream.name.as_str()) {
                self.error(
                    DiagnosticKind::Structure,
                    &child_path(&path, "name"),
                    format!("two streams are named `{}`", stream.name),
                    Some("stream names must be unique: figures are reported under them".to_owned()),
                );
            }
            names.push(&stream.name);
            if settled(&stream.service) {
                self.check_service(&child_path(&path, "service"), &stream.service);
            }
            if settled(&stream.method) && !HTTP_METHODS.contains(&stream.method.as_str()) {
                self.error(
                    DiagnosticKind::Structure,
                    &child_path(&path, "method"),
                    format!("`{}` is not an HTTP method", stream.method),
                    Some(format!("write one of {}", quoted_list(&HTTP_METHODS))),
                );
            }
            if settled(&stream.path) && !stream.path.starts_with('/') {
                self.error(
                    DiagnosticKind::Structure,
                    &child_path(&path, "path"),
                    format!("the path `{}` does not start with /", stream.path),
                    Some(format!("write `/{}`", stream.path)),
                );
            }
            for (i, phase) in stream.phases.iter().enumerate() {
                if settled(phase) && !self.phase_names.contains(phase) {
                    let hint = did_you_mean(phase, self.phase_names.iter().map(String::as_str))
                        .unwrap_or_else(|| {
                            let names: Vec<&str> =
                                self.phase_names.iter().map(String::as_str).collect();
                            format!("the phases are {}", quoted_list(&names))
                        });
                    self.error(
                        DiagnosticKind::Structure,
                        &item_path(&child_path(&path, "phases"), i),
                        format!("there is no phase `{phase}`"),
                        Some(hint),
                    );
                }
            }
            let rate_path = child_path(&path, "rate");
            if self.unsettled.contains(&rate_path) {
                continue;
            }
            let in_range = |rate: f64| rate.is_finite() && (0.0..=MAX_RATE).contains(&rate);
            let problem = match stream.rate {
                Rate::Constant(rate) if !(in_range(rate) && rate > 0.0) => {
                    Some(format!("the rate {rate}/s is not between 0 and {MAX_RATE}"))
                }
                Rate::Ramp { from, to, .. } if !(in_range(from) && in_range(to) && to > 0.0) => {
                    Some(format!(
                        "the ramp {from}/s → {to}/s is not between 0 and {MAX_RATE} (and must end above 0)"
                    ))
                }
                Rate::Ramp { over, .. } if over.is_zero() => {
                    Some("the ramp lasts 0s".to_owned())
                }
                _ => None,
            };
            if let Some(message) = problem {
                self.error(
                    DiagnosticKind::Structure,
                    &rate_path,
                    message,
                    Some("write requests per second, e.g. `rate: 50`, or `rate: {from: 10, to: 200, over: 1m}`".to_owned()),
                );
            }
            if stream.timeout.is_zero() {
                self.error(
                    DiagnosticKind::Timing,
                    &child_path(&path, "timeout"),
                    "the request timeout is 0s".to_owned(),
                    Some("write e.g. `timeout: 2s`".to_owned()),
                );
            }
        }
        if let Some(steady) = &workload.steady_state {
            let path = "workload.steady_state";
            if steady.p95_latency_ms.is_none()
                && steady.p99_latency_ms.is_none()
                && steady.failure_rate.is_none()
                && !self.unsettled.contains(path)
            {
                self.error(
                    DiagnosticKind::Structure,
                    path,
                    "a steady state needs at least one threshold".to_owned(),
                    Some("set p95_latency_ms, p99_latency_ms or failure_rate".to_owned()),
                );
            }
            for (key, value) in [
                ("p95_latency_ms", steady.p95_latency_ms),
                ("p99_latency_ms", steady.p99_latency_ms),
            ] {
                if value.is_some_and(|ms| !(ms > 0.0 && ms.is_finite())) {
                    self.error(
                        DiagnosticKind::Structure,
                        &child_path(path, key),
                        format!("`{key}` must be a positive number of milliseconds"),
                        None,
                    );
                }
            }
            if steady
                .failure_rate
                .is_some_and(|rate| !(0.0..=1.0).contains(&rate))
            {
                self.error(
                    DiagnosticKind::Structure,
                    &child_path(path, "failure_rate"),
                    "`failure_rate` is a fraction from 0 to 1".to_owned(),
                    Some("0.005 means 0.5 %".to_owned()),
                );
            }
            if steady.hold_for.is_zero() {
                self.error(
                    DiagnosticKind::Timing,
                    &child_path(path, "for"),
                    "the steady state must hold for longer than 0s".to_owned(),
                    Some("write e.g. `for: 5s`".to_owned()),
                );
            }
        }
    }

    /// Reports an unknown service; whether it is known.
    fn check_service(&mut self, path: &str, service: &str) -> bool {
        if self.catalog.services.contains_key(service) {
            return true;
        }
        let known = self.catalog.services.keys().map(String::as_str);
        let hint = did_you_mean(service, known).unwrap_or_else(|| {
            let known: Vec<&str> = self.catalog.services.keys().map(String::as_str).collect();
            if known.is_empty() {
                "no services are configured".to_owned()
            } else {
                format!("the services are {}", quoted_list(&known))
            }
        });
        self.error(
            DiagnosticKind::UnknownService,
            path,
            format!("unknown service `{service}`"),
            Some(hint),
        );
        false
    }

    fn check_action(&mut self, path: &str, service: &str, action: &str, parameters: &Parameters) {
        if !settled(service) {
            return;
        }
        if !self.catalog.services.contains_key(service) {
            self.check_service(&child_path(path, "service"), service);
            return;
        }
        if !settled(action) {
            return;
        }
        let catalog = self.catalog;
        let Some(spec) = catalog.action(service, action) else {
            let names = catalog.action_names(service);
            let hint = did_you_mean(action, names.iter().copied())
                .unwrap_or_else(|| format!("`{service}` supports {}", quoted_list(&names)));
            self.error(
                DiagnosticKind::UnsupportedAction,
                &child_path(path, "action"),
                format!("`{service}` does not support the action `{action}`"),
                Some(hint),
            );
            return;
        };
        let parameters_path = child_path(path, "parameters");
        let owner = format!("`{service}.{action}`");
        self.check_parameters(&parameters_path, &owner, &spec.parameters, parameters);
        if action == HTTP_ACTION {
            self.check_call_path(&parameters_path, parameters, "action");
        }
    }

    /// The `path` an `http` action or assertion calls on its service: a path
    /// of that service, never another URL, and nothing that changes the URL's
    /// meaning once appended to the service's address.
    fn check_call_path(&mut self, parameters_path: &str, parameters: &Parameters, what: &str) {
        let Some(Value::String(target)) = parameters.get("path") else {
            return;
        };
        if !settled(target) {
            return;
        }
        let problem = if !target.starts_with('/') {
            Some(format!("the path {target:?} does not start with `/`"))
        } else if target.starts_with("//") {
            Some(format!("the path {target:?} starts with `//`"))
        } else if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Some(format!(
                "the path {target:?} holds spaces or control characters"
            ))
        } else if target.len() > 2048 {
            Some(format!(
                "the path is {} characters long; the limit is 2048",
                target.len()
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            self.error(
                DiagnosticKind::InvalidParameter,
                &child_path(parameters_path, "path"),
                message,
                Some(format!(
                    "an `http` {what} calls a path of the configured service (e.g. `/health`), never another URL"
                )),
            );
        }
    }

    fn check_parameters(
        &mut self,
        path: &str,
        owner: &str,
        specs: &[ParamSpec],
        parameters: &Parameters,
    ) {
        for (name, value) in parameters {
            let parameter_path = || child_path(path, name);
            let Some(spec) = specs.iter().find(|spec| &spec.name == name) else {
                let names: Vec<&str> = specs.iter().map(|spec| spec.name.as_str()).collect();
                let hint = did_you_mean(name, names.iter().copied()).unwrap_or_else(|| {
                    if names.is_empty() {
                        format!("{owner} takes no parameters")
                    } else {
                        format!("{owner} takes {}", quoted_list(&names))
                    }
                });
                let message = format!("{owner} does not declare the parameter `{name}`");
                let diagnostic = if self.options.strict {
                    Diagnostic::error(DiagnosticKind::InvalidParameter, parameter_path(), message)
                } else {
                    Diagnostic::warning(DiagnosticKind::InvalidParameter, parameter_path(), message)
                };
                self.push(diagnostic.with_hint(hint));
                continue;
            };
            if value_has_expression(value) {
                continue;
            }
            if let Err(problem) = spec.check(value) {
                self.error(
                    DiagnosticKind::InvalidParameter,
                    &parameter_path(),
                    format!("`{name}`: {problem}"),
                    Some(format!("`{name}` takes {}", spec.describe())),
                );
            }
        }
        for spec in specs.iter().filter(|spec| spec.required) {
            if !parameters.contains_key(&spec.name) {
                self.error(
                    DiagnosticKind::InvalidParameter,
                    &child_path(path, &spec.name),
                    format!("{owner} needs the parameter `{}`", spec.name),
                    Some(format!("`{}` takes {}", spec.name, spec.describe())),
                );
            }
        }
    }

    fn check_timing(&mut self, reading: &Reading) {
        let spec = &reading.scenario.spec;
        let mut total = Some(Duration::ZERO);
        for (index, phase) in spec.phases.iter().enumerate() {
            let path = item_path("phases", index);
            let duration_path = child_path(&path, "duration");
            if self.unsettled.contains(&duration_path) || self.unsettled.contains(&path) {
                total = None;
                continue;
            }
            total = total.and_then(|total| total.checked_add(phase.duration));
            if phase.duration.is_zero() {
                self.error(
                    DiagnosticKind::Timing,
                    &duration_path,
                    format!("phase `{}` lasts 0s", phase.name),
                    Some("give the phase a positive duration".to_owned()),
                );
                continue;
            }
            let length = || format_duration(phase.duration);
            for (i, action) in phase.parallel_actions.iter().enumerate() {
                if action.delay < phase.duration {
                    continue;
                }
                let delay_path = child_path(
                    &item_path(&child_path(&path, "parallel_actions"), i),
                    "delay",
                );
                if !self.unsettled.contains(&delay_path) {
                    let length = length();
                    self.error(
                        DiagnosticKind::Timing,
                        &delay_path,
                        format!(
                            "the delay {} is not within phase `{}` ({length})",
                            format_duration(action.delay),
                            phase.name
                        ),
                        Some(format!("a parallel action starts `delay` after its phase starts: make it shorter than {length}")),
                    );
                }
            }
            for (i, assertion) in phase.assertions.iter().enumerate() {
                match assertion.within {
                    Some(within) if within > phase.duration => {
                        let length = length();
                        let within_path =
                            child_path(&item_path(&child_path(&path, "assertions"), i), "within");
                        self.push(
                        Diagnostic::warning(
                            DiagnosticKind::Timing,
                            &within_path,
                            format!(
                                "`within` {} is longer than phase `{}` ({length}); the assertion is checked until the phase ends",
                                format_duration(within),
                                phase.name
                            ),
                        )
                        .with_hint(format!("shorten `within` to at most {length}, or lengthen the phase")),
                        );
                    }
                    _ => {}
                }
            }
        }
        let Some(total) = total else { return };
        let duration = spec
            .duration
            .filter(|_| !self.unsettled.contains("duration"));
        let timeout = spec.timeout.filter(|_| !self.unsettled.contains("timeout"));
        if let Some(duration) = duration {
            if total > duration {
                self.error(
                    DiagnosticKind::Timing,
                    "duration",
                    format!(
                        "the phases last {} in all, longer than `duration` {}",
                        format_duration(total),
                        format_duration(duration)
                    ),
                    Some("shorten the phases or lengthen `duration`".to_owned()),
                );
            }
        }
        if let Some(timeout) = timeout {
            let (length, what) = match duration {
                Some(duration) => (duration, "`duration`"),
                None => (total, "the phases in all"),
            };
            if length > timeout {
                self.error(
                    DiagnosticKind::Timing,
                    "timeout",
                    format!(
                        "`timeout` {} is shorter than {what} ({})",
                        format_duration(timeout),
                        format_duration(length)
                    ),
                    Some("the timeout is the hard stop of the whole execution: make it at least the duration".to_owned()),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
