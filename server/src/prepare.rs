//! From "what the user asked to run" to a validated [`Plan`]: find the text
//! (library name, inline YAML, or template + parameters), parse, render,
//! build the catalog, validate. Shared by the CLI, the REST API and the UI.
//!
//! Nothing here opens a file a caller names: over the network a source is a
//! library name, an uploaded id (resolved to text by the caller) or inline text.
//! Only the CLI reads local files, itself, and hands their text over as
//! [`Source::Local`].

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

use crate::{
    catalog,
    config::Config,
    library::{self, Library},
};

/// Where a scenario comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A library scenario by `metadata.name` or file name.
    Library(String),
    /// YAML or JSON text (inline, or an uploaded scenario's stored text).
    Text(String),
    /// A library template by name, with its parameters.
    Template {
        /// Its name in the library (never a path).
        template: String,
        /// The parameter values.
        parameters: ParameterValues,
    },
    /// Text the CLI read from a local file; the network never builds this.
    Local {
        /// The file's path, for messages.
        origin: String,
        /// Its text.
        text: String,
        /// Parameters when the file is a template to render.
        parameters: Option<ParameterValues>,
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

/// Finds, parses, renders and validates `source`.
pub async fn prepare(
    config: &Config,
    library: &Library,
    client: &reqwest::Client,
    source: Source,
    options: PrepareOptions,
) -> Result<Prepared, PrepareError> {
    let (origin, text, scenario_id, parameters) = match source {
        Source::Library(name) => {
            let file = library
                .find(&name, "Scenario")
                .ok_or(PrepareError::NotFound {
                    kind: "scenario",
                    name: name.clone(),
                })?;
            let text = library_text(file, &name)?;
            (file.location(), text, Some(file.name.clone()), None)
        }
        Source::Text(text) => ("<inline>".to_owned(), text, None, None),
        Source::Template {
            template,
            parameters,
        } => {
            let file = library
                .find(&template, "Template")
                .ok_or(PrepareError::NotFound {
                    kind: "template",
                    name: template.clone(),
                })?;
            let text = library_text(file, &template)?;
            (file.location(), text, None, Some(parameters))
        }
        Source::Local {
            origin,
            text,
            parameters,
        } => (origin, text, None, parameters),
    };
    let (catalog, mut diagnostics) = if options.strict {
        catalog::live(config, client).await
    } else {
        (catalog::offline(config), Vec::new())
    };
    let parameters_json = parameters
        .as_ref()
        .map(|p| serde_json::to_value(p).unwrap_or(Value::Null));
    // `ASSERTION_TIMEOUT`: the window of every assertion without `within`.
    let default_within = config.execution.assertion_timeout;
    let (plan, rendered, mut found) =
        check_with(&text, parameters, &catalog, options, default_within);
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

/// A library file's text. The library is the product's own folder, so an
/// unreadable file is reported as the library entry not being there.
fn library_text(file: &library::LibraryFile, name: &str) -> Result<String, PrepareError> {
    file.text().map_err(|error| {
        tracing::error!(file = %file.location(), %error, "cannot read a library file");
        PrepareError::NotFound {
            kind: "readable library file",
            name: name.to_owned(),
        }
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
    check_with(text, values, catalog, options, None)
}

/// [`check`], with `default_within` the window of an assertion without
/// `within` (`execution.assertion_timeout`; `None`: its phase).
fn check_with(
    text: &str,
    values: Option<ParameterValues>,
    catalog: &Catalog,
    options: PrepareOptions,
    default_within: Option<std::time::Duration>,
) -> (Option<Plan>, Option<String>, Vec<Diagnostic>) {
    let validate_options = ValidateOptions {
        strict: options.strict,
        default_within,
    };
    let document = match parse_scenario(text) {
        Ok(document) => document,
        Err(diagnostics) => return (None, None, diagnostics),
    };
    if document.is_template() && values.is_none() {
        // A template on its own is checked as written; it has no plan until rendered.
        let validation = validate(&document, catalog, &validate_options);
        return (None, None, validation.diagnostics);
    }
    let rendered: ScenarioDocument = match render(&document, &values.unwrap_or_default()) {
        Ok(rendered) => rendered,
        Err(mut diagnostics) => {
            // Still report what is wrong with the rest of the document.
            let validation = validate(&document, catalog, &validate_options);
            diagnostics.extend(validation.diagnostics);
            return (None, None, diagnostics);
        }
    };
    let yaml = serde_yaml::to_string(&rendered.root.to_json()).ok();
    let validation = validate(&rendered, catalog, &validate_options);
    (validation.plan, yaml, validation.diagnostics)
}

/// A template's text rendered with `values` into scenario YAML, without
/// validating it against any catalog: what the CLI sends a remote server when
/// the template is a local file.
pub fn render_text(text: &str, values: ParameterValues) -> Result<String, Vec<Diagnostic>> {
    let document = parse_scenario(text)?;
    let rendered = render(&document, &values)?;
    serde_yaml::to_string(&rendered.root.to_json()).map_err(|error| {
        vec![Diagnostic::error(
            app::scenario::diagnostic::DiagnosticKind::Syntax,
            "",
            format!("the rendered scenario cannot be written as YAML: {error}"),
        )]
    })
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
