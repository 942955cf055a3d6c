//! Scenarios: validate, upload (as versions), archive, render, read and copy
//! them, and the scenario page's view.

use app::api::{
    rest::{
        RenderedTemplate, ScenarioDefinition, ScenarioSource, ScenarioVersions, UploadedScenario,
    },
    ui::{SavedScenario, ScenarioVersionText, ScenarioView},
    ApiError, ErrorKind, ValidateRequest, ValidateResponse,
};
use serde_json::json;

use super::{Coordinator, MAX_SCENARIO_BYTES};
use crate::{
    prepare::{prepare, PrepareOptions, Source},
    store::HistoryFilter,
};

impl Coordinator {
    /// Validates scenario text.
    pub async fn validate_scenario(
        &self,
        request: ValidateRequest,
    ) -> Result<ValidateResponse, ApiError> {
        if request.yaml.len() > MAX_SCENARIO_BYTES {
            return Err(ApiError::new(
                ErrorKind::TooLarge,
                "the scenario is larger than 1 MiB",
            ));
        }
        let values = request.parameters.map(|parameters| {
            parameters.into_iter().fold(
                app::scenario::template::ParameterValues::new(),
                |values, (name, value)| values.with(name, value),
            )
        });
        let (catalog, mut diagnostics) = if request.strict {
            crate::catalog::live(&self.config, &self.client).await
        } else {
            (crate::catalog::offline(&self.config), Vec::new())
        };
        let (plan, _, mut found) = crate::prepare::check(
            &request.yaml,
            values,
            &catalog,
            PrepareOptions {
                strict: request.strict,
            },
        );
        diagnostics.append(&mut found);
        let valid = !diagnostics
            .iter()
            .any(|d| d.severity == app::scenario::diagnostic::Severity::Error);
        Ok(ValidateResponse {
            valid,
            diagnostics,
            plan: plan.filter(|_| valid),
        })
    }

    /// The catalog the validator uses (for the browser editor).
    pub fn catalog(&self) -> app::scenario::catalog::Catalog {
        crate::catalog::offline(&self.config)
    }

    /// Saves an uploaded scenario or template as a new version (validated first:
    /// errors refuse it with 422, warnings are returned). Its `metadata.name` must
    /// be an id ([`crate::scenario_id`]), and not a case variant of another (409).
    /// Replacing a library scenario in listings takes `override_library` (else 409).
    pub async fn upload_scenario(
        &self,
        yaml: &str,
        override_library: bool,
    ) -> Result<UploadedScenario, ApiError> {
        if yaml.len() > MAX_SCENARIO_BYTES {
            return Err(ApiError::new(
                ErrorKind::TooLarge,
                "the scenario is larger than 1 MiB",
            ));
        }
        let validation = self
            .validate_scenario(ValidateRequest {
                yaml: yaml.to_owned(),
                strict: false,
                parameters: None,
            })
            .await?;
        let document = app::scenario::parse::parse_scenario(yaml).ok();
        let metadata = document
            .as_ref()
            .and_then(|d| app::scenario::structure::read_metadata(d).ok());
        let (Some(document), Some(metadata), true) =
            (document.as_ref(), metadata, validation.valid)
        else {
            let mut error = ApiError::new(
                ErrorKind::Validation,
                "the scenario does not validate; nothing was saved",
            );
            error.details = json!({ "diagnostics": validation.diagnostics });
            return Err(error);
        };
        let id = metadata.name.clone();
        crate::scenario_id::check_upload_name(&self.store, &self.library, &id, override_library)
            .await?;
        let kind = if document.is_template() {
            "template"
        } else {
            "scenario"
        };
        let version = self
            .store
            .insert_scenario_version(&crate::store::NewVersion {
                id: &id,
                kind,
                category: metadata.category.as_deref(),
                description: metadata.description.as_deref(),
                definition: yaml,
            })
            .await?;
        Ok(UploadedScenario {
            scenario_id: id,
            version,
            kind: kind.to_owned(),
            warnings: validation.diagnostics,
        })
    }

    /// Every version of an uploaded scenario.
    pub async fn scenario_versions(&self, id: &str) -> Result<ScenarioVersions, ApiError> {
        let versions = self.scenario_version_texts(id).await?;
        if versions.is_empty() {
            return Err(ApiError::new(
                ErrorKind::NotFound,
                format!("no uploaded scenario {id:?}"),
            ));
        }
        Ok(ScenarioVersions {
            scenario_id: id.to_owned(),
            versions,
        })
    }

    /// Archives an uploaded scenario (its versions and executions are kept).
    pub async fn archive_scenario(&self, id: &str) -> Result<(), ApiError> {
        if self.store.archive_scenario(id).await? {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorKind::NotFound,
                format!("no uploaded scenario {id:?} (library scenarios cannot be archived)"),
            ))
        }
    }

    /// The uploaded scenarios, latest versions.
    pub async fn uploaded_scenarios(&self) -> Result<Vec<crate::store::StoredScenario>, ApiError> {
        self.store.list_scenarios().await.map_err(ApiError::from)
    }

    /// Renders a template with parameters; diagnostics when it does not render.
    pub async fn render_template(
        &self,
        name: &str,
        parameters: serde_json::Map<String, serde_json::Value>,
    ) -> Result<RenderedTemplate, ApiError> {
        let mut values = app::scenario::template::ParameterValues::new();
        for (key, value) in parameters {
            values = values.with(key, value);
        }
        let prepared = prepare(
            &self.config,
            &self.library,
            &self.client,
            Source::Template {
                template: name.to_owned(),
                parameters: values,
            },
            PrepareOptions::default(),
        )
        .await?;
        Ok(RenderedTemplate {
            template: name.to_owned(),
            valid: !prepared.has_errors(),
            rendered: prepared.rendered,
            diagnostics: prepared.diagnostics,
            plan: prepared.plan,
        })
    }

    /// A scenario's text by id: an uploaded scenario's latest (or given) version,
    /// else the library file of that name.
    pub async fn scenario_definition_version(
        &self,
        name: &str,
        version: Option<i64>,
    ) -> Result<ScenarioDefinition, ApiError> {
        if let Some(stored) = self.store.fetch_scenario(name, version).await? {
            return Ok(ScenarioDefinition {
                name: stored.id,
                kind: stored.kind,
                category: stored.category,
                description: stored.description,
                tags: None,
                source: ScenarioSource::Custom,
                version: Some(stored.version),
                updated_at: Some(stored.updated_at),
                definition: stored.definition,
            });
        }
        if version.is_some() {
            return Err(ApiError::new(
                ErrorKind::NotFound,
                format!("no uploaded scenario {name:?} with that version"),
            ));
        }
        self.scenario_definition(name).await
    }

    /// A library scenario's text by name.
    pub async fn scenario_definition(&self, name: &str) -> Result<ScenarioDefinition, ApiError> {
        let file = self.library.find_any(name).ok_or_else(|| {
            ApiError::new(
                ErrorKind::NotFound,
                format!("no scenario or template named {name:?}"),
            )
        })?;
        let text = file.text().map_err(|error| {
            tracing::error!(%error, file = %file.location(), "cannot read a library file");
            ApiError::internal()
        })?;
        Ok(ScenarioDefinition {
            name: file.name.clone(),
            kind: file.kind.clone(),
            category: file.category.clone(),
            description: file.description.clone(),
            tags: Some(file.tags.clone()),
            source: ScenarioSource::Library,
            version: None,
            updated_at: None,
            definition: text,
        })
    }

    /// A scenario's text, validation, plan and recent executions.
    pub async fn scenario_view(&self, name: &str) -> Result<ScenarioView, ApiError> {
        let definition = self.scenario_definition_version(name, None).await?;
        let validation = self
            .validate_scenario(ValidateRequest {
                yaml: definition.definition.clone(),
                strict: false,
                parameters: None,
            })
            .await?;
        let recent = self
            .history(HistoryFilter {
                scenario: Some(name.to_owned()),
                limit: 10,
                ..HistoryFilter::default()
            })
            .await?
            .0;
        Ok(ScenarioView {
            name: definition.name,
            kind: definition.kind,
            source: definition.source.as_str().to_owned(),
            category: definition.category,
            description: definition.description,
            // Uploaded scenarios have no tags listed.
            tags: definition.tags.unwrap_or_default(),
            version: definition.version,
            definition: definition.definition,
            plan: validation.plan,
            diagnostics: validation.diagnostics,
            recent,
        })
    }

    /// Saves a copy of scenario `name` (library or uploaded, latest version) as the
    /// uploaded scenario `new_name`, whose `metadata.name` is rewritten in place so
    /// the text keeps its comments and layout. `new_name` must not name a scenario
    /// or template yet (409).
    pub async fn duplicate_scenario(
        &self,
        name: &str,
        new_name: &str,
    ) -> Result<SavedScenario, ApiError> {
        let taken = self.store.fetch_scenario(new_name, None).await?.is_some()
            || self.library.find_any(new_name).is_some();
        if taken {
            return Err(ApiError::new(
                ErrorKind::Conflict,
                format!("a scenario named {new_name:?} exists already; choose another name"),
            ));
        }
        let source = self.scenario_definition_version(name, None).await?;
        let copy = rename_scenario(&source.definition, new_name).ok_or_else(|| {
            ApiError::new(
                ErrorKind::Validation,
                format!("{name:?} has no metadata.name to rewrite, so it cannot be copied"),
            )
        })?;
        let saved = self.upload_scenario(&copy, false).await?;
        Ok(SavedScenario {
            scenario_id: saved.scenario_id,
            version: saved.version,
        })
    }
    /// Saves the editor's text. Saving the editor of a library scenario under
    /// that same name (`opened_from`) is the explicit choice to replace it; any
    /// other library name is refused.
    pub async fn save_scenario(
        &self,
        yaml: &str,
        opened_from: Option<String>,
    ) -> Result<SavedScenario, ApiError> {
        let name = app::scenario::parse::parse_scenario(yaml)
            .ok()
            .and_then(|d| app::scenario::structure::read_metadata(&d).ok())
            .map(|m| m.name);
        let override_library = opened_from.is_some() && name == opened_from;
        let saved = self.upload_scenario(yaml, override_library).await?;
        Ok(SavedScenario {
            scenario_id: saved.scenario_id,
            version: saved.version,
        })
    }

    /// Every version of an uploaded scenario with its text (none for a library one).
    pub async fn scenario_version_texts(
        &self,
        name: &str,
    ) -> Result<Vec<ScenarioVersionText>, ApiError> {
        let versions = self.store.list_scenario_versions(name).await?;
        Ok(versions
            .into_iter()
            .map(|v| ScenarioVersionText {
                version: v.version,
                created_at: v.created_at,
                definition: v.definition,
            })
            .collect())
    }
}

/// `text` with the value of `metadata.name` replaced by `new_name` (quoted), the
/// rest untouched; `None` when the text does not parse or has no such value.
fn rename_scenario(text: &str, new_name: &str) -> Option<String> {
    let document = app::scenario::parse::parse_scenario(text).ok()?;
    let position = document.root.get("metadata")?.get("name")?.position;
    let line_index = usize::try_from(position.line).ok()?.checked_sub(1)?;
    let column = usize::try_from(position.column).ok()?.checked_sub(1)?;
    let mut lines: Vec<&str> = text.split('\n').collect();
    let line = *lines.get(line_index)?;
    let start = line.char_indices().nth(column).map(|(i, _)| i)?;
    let rest = &line[start..];
    let length = match rest.chars().next()? {
        quote @ ('"' | '\'') => 1 + rest[1..].find(quote)? + 1,
        _ => rest
            .find(" #")
            .or_else(|| rest.find(','))
            .or_else(|| rest.find('}'))
            .unwrap_or(rest.len()),
    };
    let value = rest[..length].trim_end();
    let replaced = format!(
        "{}{}{}",
        &line[..start],
        serde_json::to_string(new_name).ok()?,
        &line[start + value.len()..]
    );
    lines[line_index] = &replaced;
    Some(lines.join("\n"))
}

#[cfg(test)]
mod rename_tests {
    use super::rename_scenario;

    #[test]
    fn renaming_rewrites_only_the_metadata_name() {
        let yaml = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: \"basic\"  # the id\n  description: \"name: basic\"\nspec:\n  duration: 1m\n";
        let renamed = rename_scenario(yaml, "basic-copy").unwrap();
        assert_eq!(
            renamed,
            yaml.replacen("\"basic\"  #", "\"basic-copy\"  #", 1)
        );
        let plain = "kind: Scenario\nmetadata:\n  name: basic\n";
        assert_eq!(
            rename_scenario(plain, "b2").unwrap(),
            "kind: Scenario\nmetadata:\n  name: \"b2\"\n"
        );
        let json = r#"{"kind": "Scenario", "metadata": {"name": "basic", "category": "x"}}"#;
        assert_eq!(
            rename_scenario(json, "b2").unwrap(),
            r#"{"kind": "Scenario", "metadata": {"name": "b2", "category": "x"}}"#
        );
        assert_eq!(rename_scenario("kind: Scenario\n", "b2"), None);
    }
}
