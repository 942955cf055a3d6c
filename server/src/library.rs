//! The library: the built-in scenario and template files, embedded in the binary
//! at build time (`build.rs`), plus the `*.yaml` of the configured folders
//! (`scenarios.library_path`, `scenarios.templates_path`), found by
//! `metadata.name` (or file name). A configured file whose kind and name equal a
//! built-in one replaces it; the others are added. So a server started anywhere
//! has the whole built-in library, and an operator can still add or override.
//!
//! The library is read once, when the coordinator (or a CLI command) starts,
//! into a [`Library`] that requests share: a listing or a lookup never scans
//! the folders again. A changed folder takes a restart.

use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};

use app::scenario::parse::parse_scenario;

use crate::config::Config;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/library.rs"));
}

/// Where a library file's text lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// Built into the binary.
    Embedded(&'static str),
    /// A file of a configured folder, read when asked for.
    Disk(PathBuf),
}

/// One file of the library.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryFile {
    /// `metadata.name`, or the file stem when it has none.
    pub name: String,
    /// `Scenario` or `Template`.
    pub kind: String,
    /// The file's path under its folder (`market-crash.yaml`,
    /// `templates/market-shock.template.yaml`), for listings.
    pub file: String,
    /// Built in, or on disk.
    pub origin: Origin,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.tags`.
    pub tags: Vec<String>,
    /// The text, read when the library was loaded (`None`: it could not be read).
    text: Option<String>,
}

impl LibraryFile {
    /// The file's text, as read when the library was loaded.
    pub fn text(&self) -> std::io::Result<String> {
        self.text.clone().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "{} could not be read when the library was loaded",
                    self.location()
                ),
            )
        })
    }

    /// What to call the file in messages: its path, or `built-in:<file>`.
    pub fn location(&self) -> String {
        match &self.origin {
            Origin::Embedded(_) => format!("built-in:{}", self.file),
            Origin::Disk(path) => path.display().to_string(),
        }
    }

    /// The file name without `.yaml`/`.yml`/`.template`.
    fn stem(&self) -> &str {
        let name = self.file.rsplit('/').next().unwrap_or(&self.file);
        name.trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .trim_end_matches(".template")
    }
}

/// The built-in files, described once.
fn built_in() -> &'static [LibraryFile] {
    static FILES: OnceLock<Vec<LibraryFile>> = OnceLock::new();
    FILES.get_or_init(|| {
        embedded::FILES
            .iter()
            .map(|(file, text)| describe((*file).to_owned(), Origin::Embedded(text), Some(text)))
            .collect()
    })
}

/// Every file of the library, sorted by kind then name: the built-in ones, then
/// the configured folders', a configured file replacing a built-in one of the
/// same kind and name. Files that do not parse are listed under their file name.
pub fn scan(config: &Config) -> Vec<LibraryFile> {
    let mut on_disk = Vec::new();
    let library = &config.scenarios.library_path;
    let templates = &config.scenarios.templates_path;
    collect(library, library, true, &mut on_disk);
    if !templates.starts_with(library) {
        collect(templates, templates, false, &mut on_disk);
    }
    on_disk.dedup_by(|a, b| a.origin == b.origin);
    let mut files: Vec<LibraryFile> = built_in()
        .iter()
        .filter(|b| !on_disk.iter().any(|d| d.kind == b.kind && d.name == b.name))
        .cloned()
        .collect();
    files.append(&mut on_disk);
    files.sort_by(|a, b| (&a.kind, &a.name, &a.file).cmp(&(&b.kind, &b.name, &b.file)));
    files
}

fn collect(root: &Path, folder: &Path, descend: bool, out: &mut Vec<LibraryFile>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // `orchestrations/` holds orchestration documents, not scenarios.
            if descend && !path.ends_with("orchestrations") {
                collect(root, &path, false, out);
            }
            continue;
        }
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            continue;
        }
        let file = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).ok();
        out.push(describe(file, Origin::Disk(path), text.as_deref()));
    }
}

fn describe(file: String, origin: Origin, text: Option<&str>) -> LibraryFile {
    let document = text.and_then(|text| parse_scenario(text).ok());
    let field = |key: &str| {
        document
            .as_ref()
            .and_then(|d| d.node(key))
            .and_then(|n| n.as_str())
            .map(str::to_owned)
    };
    let tags = document
        .as_ref()
        .and_then(|d| d.node("metadata.tags"))
        .map(|n| n.to_json())
        .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
        .unwrap_or_default();
    let mut described = LibraryFile {
        name: String::new(),
        kind: field("kind").unwrap_or_else(|| "Scenario".to_owned()),
        file,
        origin,
        description: field("metadata.description"),
        category: field("metadata.category"),
        tags,
        text: text.map(str::to_owned),
    };
    described.name = field("metadata.name").unwrap_or_else(|| described.stem().to_owned());
    described
}

/// The library as loaded once: shared by every request (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Library {
    files: std::sync::Arc<Vec<LibraryFile>>,
}

impl Library {
    /// Reads the built-in files and the configured folders ([`scan`]).
    pub fn load(config: &Config) -> Self {
        Self {
            files: std::sync::Arc::new(scan(config)),
        }
    }

    /// Every file, sorted by kind then name.
    pub fn files(&self) -> &[LibraryFile] {
        &self.files
    }

    /// The file named `name` (its `metadata.name` or file stem) of `kind`.
    pub fn find(&self, name: &str, kind: &str) -> Option<&LibraryFile> {
        let of_kind = || self.files.iter().filter(|f| f.kind == kind);
        of_kind()
            .find(|f| f.name == name)
            .or_else(|| of_kind().find(|f| f.stem() == name))
    }

    /// The scenario or template named `name`. An exact `metadata.name` wins over
    /// a file stem whatever the kind: the template `stablecoin-depeg` is found by
    /// its name, not shadowed by the scenario file `stablecoin-depeg.yaml` (whose
    /// name is `stablecoin-depeg-scenario`). Between two exact names, the scenario.
    pub fn find_any(&self, name: &str) -> Option<&LibraryFile> {
        let named = |kind: &str| self.files.iter().find(|f| f.kind == kind && f.name == name);
        let by_stem = |kind: &str| {
            self.files
                .iter()
                .find(|f| f.kind == kind && f.stem() == name)
        };
        named("Scenario")
            .or_else(|| named("Template"))
            .or_else(|| by_stem("Scenario"))
            .or_else(|| by_stem("Template"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with(library: &Path) -> Config {
        let mut settings = crate::config::Settings::default();
        settings.scenarios.library_path = library.to_owned();
        settings.scenarios.templates_path = library.join("templates");
        settings.validate().expect("default settings are valid")
    }

    #[test]
    fn the_built_in_library_is_there_without_any_folder() {
        let config = config_with(Path::new("/nonexistent/test-coordinator-library"));
        let files = scan(&config);
        let library = Library::load(&config);
        let scenario = library
            .find("stablecoin-depeg-scenario", "Scenario")
            .expect("the built-in stablecoin scenario");
        assert_eq!(scenario.location(), "built-in:stablecoin-depeg.yaml");
        assert!(scenario
            .text()
            .unwrap()
            .contains("stablecoin-depeg-scenario"));
        assert!(library.find("exchange-disruption", "Template").is_some());
        // Overlapping names: each opens its own file; a stem only when no name matches.
        let template = library.find_any("stablecoin-depeg").expect("the template");
        assert_eq!(template.kind, "Template");
        assert_eq!(template.file, "templates/stablecoin-depeg.template.yaml");
        let scenario = library.find_any("stablecoin-depeg-scenario").unwrap();
        assert_eq!(scenario.kind, "Scenario");
        assert_eq!(library.find_any("market-crash").unwrap().kind, "Scenario");
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
            .unwrap()
            .count()
            - 2 // templates/ and orchestrations/
            + std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/templates"))
                .unwrap()
                .count();
        assert_eq!(files.len(), on_disk);
    }

    #[test]
    fn a_configured_file_overrides_the_built_in_one_of_that_name_and_adds_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.yaml"),
            "apiVersion: chaos.testing/v1\nkind: Scenario\nmetadata:\n  name: stablecoin-depeg-scenario\n  description: overridden\nspec: {}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("extra.yaml"),
            "apiVersion: chaos.testing/v1\nkind: Scenario\nmetadata:\n  name: my-extra\nspec: {}\n",
        )
        .unwrap();
        let config = config_with(dir.path());
        let built_in_count = scan(&config_with(Path::new("/nonexistent"))).len();
        let files = scan(&config);
        assert_eq!(files.len(), built_in_count + 1);
        let library = Library::load(&config);
        let overridden = library
            .find("stablecoin-depeg-scenario", "Scenario")
            .unwrap();
        assert_eq!(overridden.description.as_deref(), Some("overridden"));
        assert_eq!(
            overridden.origin,
            Origin::Disk(dir.path().join("mine.yaml"))
        );
        assert_eq!(overridden.file, "mine.yaml");
        assert!(library.find("my-extra", "Scenario").is_some());
    }
}
