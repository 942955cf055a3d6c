//! From "what the user asked to run" to a validated [`Plan`]: find the text
//! (library name, file, inline YAML, or template + parameters), parse, render,
//! build the catalog, validate. Shared by the CLI, the REST API and the UI.

use std::path::{Path, PathBuf};

use app::scenario::{
    catalog::Catalog,
    diagnostic::{Diagnostic, Severity},
    document::ScenarioDocument,
    parse::parse_scenario,
    plan::Plan,
    template::{render, ParameterValues},
    validate::{validate, ValidateOptions},
};
use serde_json::Value;

use crate::{catalog, config::Config, library};

/// Where a scenario comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A library scenario by `metadata.name` or file name.
    Library(String),
    /// A file.
    File(PathBuf),
    /// YAML or JSON text.
    Text(String),
    /// A library template (by name) or a template file, with its parameters.
    Template {
        /// Name in the library, or a path to a `.yaml` file.
        template: String,
        /// The parameter values.
        parameters: ParameterValues,
    },
}

/// Why there is nothing to validate.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// No library scenario or template has that name.
    #[error("no {kind} named {name:?} in the library (see `test-coordinator list`)")]
    NotFound {
        /// What was looked for.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A scenario ready to run, or the reasons it is not.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// What to call it in messages (file path or name).
    pub origin: String,
    /// The text as written (before rendering).
    pub text: String,
    /// The rendered scenario as YAML (what runs), when it rendered.
    pub rendered: Option<String>,
    /// Template parameters, when it came from a template.
    pub parameters: Option<Value>,
    /// The library id, when it came from the library.
    pub scenario_id: Option<String>,
    /// The plan, when there is no error.
    pub plan: Option<Plan>,
    /// Every error and warning.
    pub diagnostics: Vec<Diagnostic>,
}

impl Prepared {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// How to validate.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrepareOptions {
    /// Strict mode: live capabilities, undeclared parameters are errors.
    pub strict: bool,
}

fn read(path: &Path) -> Result<String, PrepareError> {
    std::fs::read_to_string(path).map_err(|source| PrepareError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_library(file: &library::LibraryFile) -> Result<String, PrepareError> {
    file.text().map_err(|source| PrepareError::Read {
        path: file.location().into(),
        source,
    })
}

/// Finds, parses, renders and validates `source`.
pub async fn prepare(
    config: &Config,
    client: &reqwest::Client,
    source: Source,
    options: PrepareOptions,
) -> Result<Prepared, PrepareError> {
    let (origin, text, scenario_id, parameters) = match source {
        Source::Library(name) => {
            let file = library::find(config, &name, "Scenario").ok_or(PrepareError::NotFound {
                kind: "scenario",
                name: name.clone(),
            })?;
            (file.location(), read_library(&file)?, Some(file.name), None)
        }
        Source::File(path) => (path.display().to_string(), read(&path)?, None, None),
        Source::Text(text) => ("<inline>".to_owned(), text, None, None),
        Source::Template {
            template,
            parameters,
        } => {
            let (origin, text) = if template.ends_with(".yaml") || template.ends_with(".yml") {
                let path = PathBuf::from(&template);
                (path.display().to_string(), read(&path)?)
            } else {
                let file =
                    library::find(config, &template, "Template").ok_or(PrepareError::NotFound {
                        kind: "template",
                        name: template.clone(),
                    })?;
                (file.location(), read_library(&file)?)
            };
            (origin, text, None, Some(parameters))
        }
    };
    let (catalog, mut diagnostics) = if options.strict {
        catalog::live(config, client).await
    } else {
        (catalog::offline(config), Vec::new())
    };
    let parameters_json = parameters
        .as_ref()
        .map(|p| serde_json::to_value(p).unwrap_or(Value::Null));
    let (plan, rendered, mut found) = check(&text, parameters, &catalog, options);
    diagnostics.append(&mut found);
    let plan = if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        None
    } else {
        plan
    };
    Ok(Prepared {
        origin,
        text,
        rendered,
        parameters: parameters_json,
        scenario_id,
        plan,
        diagnostics,
    })
}

/// Parses, renders and validates `text` against `catalog`. A template is
/// rendered with `values` when they are given, and checked as written (with no
/// plan) when they are not; a plain scenario always renders its variables.
pub fn check(
    text: &str,
    values: Option<ParameterValues>,
    catalog: &Catalog,
    options: PrepareOptions,
) -> (Option<Plan>, Option<String>, Vec<Diagnostic>) {
    let document = match parse_scenario(text) {
        Ok(document) => document,
        Err(diagnostics) => return (None, None, diagnostics),
    };
    if document.is_template() && values.is_none() {
        // A template on its own is checked as written; it has no plan until rendered.
        let validation = validate(
            &document,
            catalog,
            &ValidateOptions {
                strict: options.strict,
            },
        );
        return (None, None, validation.diagnostics);
    }
    let rendered: ScenarioDocument = match render(&document, &values.unwrap_or_default()) {
        Ok(rendered) => rendered,
        Err(mut diagnostics) => {
            // Still report what is wrong with the rest of the document.
            let validation = validate(
                &document,
                catalog,
                &ValidateOptions {
                    strict: options.strict,
                },
            );
            diagnostics.extend(validation.diagnostics);
            return (None, None, diagnostics);
        }
    };
    let yaml = serde_yaml::to_string(&rendered.root.to_json()).ok();
    let validation = validate(
        &rendered,
        catalog,
        &ValidateOptions {
            strict: options.strict,
        },
    );
    (validation.plan, yaml, validation.diagnostics)
}

/// `file:line:col: severity kind: message`, then `  hint: …`, like a compiler.
pub fn format_diagnostic(origin: &str, diagnostic: &Diagnostic) -> String {
    let place = match (diagnostic.line, diagnostic.column) {
        (Some(line), Some(column)) => format!("{origin}:{line}:{column}"),
        (Some(line), None) => format!("{origin}:{line}"),
        _ => origin.to_owned(),
    };
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let at = if diagnostic.path.is_empty() {
        String::new()
    } else {
        format!(" (at {})", diagnostic.path)
    };
    let mut out = format!(
        "{place}: {severity}[{}]: {}{at}",
        diagnostic.kind.as_str(),
        diagnostic.message
    );
    if let Some(hint) = &diagnostic.hint {
        out.push_str(&format!("\n  hint: {hint}"));
    }
    out
}
