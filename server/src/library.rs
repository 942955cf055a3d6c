//! The built-in library: the scenario and template files of the configured
//! folders, found by `metadata.name` (or file name).

use std::path::{Path, PathBuf};

use app::scenario::parse::parse_scenario;

use crate::config::Config;

/// One file of the library.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryFile {
    /// `metadata.name`, or the file stem when it has none.
    pub name: String,
    /// `Scenario` or `Template`.
    pub kind: String,
    /// The file.
    pub path: PathBuf,
    /// `metadata.description`.
    pub description: Option<String>,
    /// `metadata.category`.
    pub category: Option<String>,
    /// `metadata.tags`.
    pub tags: Vec<String>,
}

/// Every `*.yaml` of the library and template folders, sorted by kind then name.
/// Files that do not parse are listed under their file name.
pub fn scan(config: &Config) -> Vec<LibraryFile> {
    let mut files = Vec::new();
    let library = &config.scenarios.library_path;
    let templates = &config.scenarios.templates_path;
    collect(library, true, &mut files);
    if !templates.starts_with(library) {
        collect(templates, false, &mut files);
    }
    files.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    files.dedup_by(|a, b| a.path == b.path);
    files
}

fn collect(folder: &Path, descend: bool, out: &mut Vec<LibraryFile>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if descend {
                collect(&path, false, out);
            }
            continue;
        }
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            continue;
        }
        out.push(describe(&path));
    }
}

fn describe(path: &Path) -> LibraryFile {
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            n.trim_end_matches(".yaml")
                .trim_end_matches(".yml")
                .trim_end_matches(".template")
        })
        .unwrap_or_default()
        .to_owned();
    let document = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| parse_scenario(&text).ok());
    let text = |key: &str| {
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
    LibraryFile {
        name: text("metadata.name").unwrap_or(stem),
        kind: text("kind").unwrap_or_else(|| "Scenario".to_owned()),
        path: path.to_owned(),
        description: text("metadata.description"),
        category: text("metadata.category"),
        tags,
    }
}

/// The library file named `name` (its `metadata.name` or file stem) of `kind`.
pub fn find(config: &Config, name: &str, kind: &str) -> Option<LibraryFile> {
    scan(config).into_iter().find(|f| {
        f.kind == kind
            && (f.name == name
                || f.path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .map(|s| s.trim_end_matches(".template"))
                    == Some(name))
    })
}
