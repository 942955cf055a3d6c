//! The library's listings: its files as the API lists them, and the cards of
//! the UI's scenario list (library and uploaded scenarios together).

use app::api::{
    rest::{AvailableScenario, AvailableScenarios, ScenarioSource, TemplateEntry, Templates},
    ui::LibraryCard,
    ApiError, LibraryEntry,
};

use super::Coordinator;
use crate::store::HistoryFilter;

impl Coordinator {
    /// The library's scenarios and templates. Files that do not parse are still
    /// listed (by file name), so a broken file is visible rather than hidden.
    pub fn library(&self) -> Vec<LibraryEntry> {
        self.library
            .files()
            .iter()
            .map(|file| LibraryEntry {
                file: file.file.clone(),
                name: file.name.clone(),
                kind: file.kind.clone(),
                description: file.description.clone(),
                category: file.category.clone(),
            })
            .collect()
    }

    /// The scenarios and templates one can run — library files, then uploaded
    /// scenarios — of `category`, with `tag` (library files only have tags),
    /// whose name or description contains `text` (any case).
    pub async fn available_scenarios(
        &self,
        category: Option<&str>,
        tag: Option<&str>,
        text: Option<&str>,
    ) -> Result<AvailableScenarios, ApiError> {
        let text = text.map(str::to_lowercase);
        let matches = |name: &str, description: Option<&str>| {
            text.as_ref().is_none_or(|t| {
                name.to_lowercase().contains(t)
                    || description.is_some_and(|d| d.to_lowercase().contains(t))
            })
        };
        let in_category =
            |c: Option<&String>| category.is_none_or(|want| c.map(String::as_str) == Some(want));
        let mut scenarios: Vec<AvailableScenario> = self
            .library
            .files()
            .iter()
            .filter(|f| in_category(f.category.as_ref()))
            .filter(|f| tag.is_none_or(|t| f.tags.iter().any(|x| x == t)))
            .filter(|f| matches(&f.name, f.description.as_deref()))
            .map(|f| AvailableScenario {
                name: f.name.clone(),
                kind: f.kind.clone(),
                category: f.category.clone(),
                description: f.description.clone(),
                tags: f.tags.clone(),
                source: ScenarioSource::Library,
                version: None,
            })
            .collect();
        let uploaded = self
            .uploaded_scenarios()
            .await?
            .into_iter()
            .filter(|u| in_category(u.category.as_ref()))
            // Uploaded scenarios have no tags: a tag filter leaves them out.
            .filter(|_| tag.is_none())
            .filter(|u| matches(&u.id, u.description.as_deref()))
            .map(|u| AvailableScenario {
                kind: if u.kind == "template" {
                    "Template"
                } else {
                    "Scenario"
                }
                .to_owned(),
                name: u.id,
                category: u.category,
                description: u.description,
                tags: Vec::new(),
                source: ScenarioSource::Custom,
                version: Some(u.version),
            });
        scenarios.extend(uploaded);
        Ok(AvailableScenarios { scenarios })
    }

    /// The library's templates.
    pub fn templates(&self) -> Templates {
        Templates {
            templates: self
                .library
                .files()
                .iter()
                .filter(|f| f.kind == "Template")
                .map(|f| TemplateEntry {
                    name: f.name.clone(),
                    category: f.category.clone(),
                    description: f.description.clone(),
                    tags: f.tags.clone(),
                })
                .collect(),
        }
    }

    /// Library and uploaded scenarios and templates as cards: each scenario's plan
    /// outline (length, phases, services) and the state of its latest execution.
    pub async fn scenario_cards(&self) -> Result<Vec<LibraryCard>, ApiError> {
        let library = self.library.clone();
        let catalog = self.catalog();
        // Validating every file is CPU work: off the async threads.
        let mut cards = tokio::task::spawn_blocking(move || {
            library
                .files()
                .iter()
                .map(|file| {
                    // A file unreadable at start-up shows as a card without a plan.
                    let text = file.text().unwrap_or_default();
                    card(
                        &text,
                        &catalog,
                        file.name.clone(),
                        file.kind.to_lowercase(),
                        "library",
                        file.category.clone(),
                        file.description.clone(),
                        file.tags.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "validating the library's cards panicked");
            ApiError::internal()
        })?;
        let catalog = self.catalog();
        for stored in self.uploaded_scenarios().await? {
            cards.retain(|c| c.name != stored.id);
            cards.push(card(
                &stored.definition,
                &catalog,
                stored.id,
                stored.kind,
                "custom",
                stored.category,
                stored.description,
                Vec::new(),
            ));
        }
        cards.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.name.cmp(&b.name)));
        for card in &mut cards {
            let latest = self
                .history(HistoryFilter {
                    scenario: Some(card.name.clone()),
                    limit: 1,
                    ..HistoryFilter::default()
                })
                .await?;
            card.last_status = latest.0.into_iter().next().map(|e| e.status);
        }
        Ok(cards)
    }
}

/// A library card from a scenario's text: its plan's outline when it validates.
#[allow(clippy::too_many_arguments)]
fn card(
    text: &str,
    catalog: &app::scenario::catalog::Catalog,
    name: String,
    kind: String,
    source: &str,
    category: Option<String>,
    description: Option<String>,
    tags: Vec<String>,
) -> LibraryCard {
    let plan = app::scenario::validate::validate_text(text, catalog, &Default::default()).plan;
    let mut services: Vec<String> = plan
        .iter()
        .flat_map(|p| &p.phases)
        .flat_map(|phase| {
            let actions = phase
                .actions
                .iter()
                .chain(&phase.parallel_actions)
                .map(|a| a.service.clone());
            let assertions = phase.assertions.iter().filter_map(|a| a.service.clone());
            actions.chain(assertions).collect::<Vec<_>>()
        })
        .collect();
    services.sort();
    services.dedup();
    LibraryCard {
        name,
        kind,
        source: source.to_owned(),
        category,
        description,
        tags,
        duration_ms: plan.as_ref().map(|p| p.total_ms.as_millis() as u64),
        phases: plan.as_ref().map_or(0, |p| p.phases.len()),
        services,
        last_status: None,
    }
}
