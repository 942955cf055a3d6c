//! The library's listings: its files as the API lists them, and the cards of
//! the UI's scenario list (library and uploaded scenarios together).

use app::api::{ui::LibraryCard, ApiError, LibraryEntry};

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
