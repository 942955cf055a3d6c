//! Downloading a scenario's text: `GET /api/v1/scenarios/{id}/yaml`. Its query,
//! the file name it answers with and the link the UI draws are defined here once,
//! so the server's `Content-Disposition` and the page's link cannot disagree.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

/// The query of `GET /api/v1/scenarios/{id}/yaml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ScenarioFileQuery {
    /// An uploaded scenario's version (default: latest).
    pub version: Option<i64>,
}

/// The longest file name offered, before `.yaml`.
const MAX_STEM_CHARS: usize = 100;

/// The file name a scenario downloads as: `market-crash.yaml`,
/// `my-outage-v3.yaml` (an uploaded version), `market-shock.template.yaml`.
/// Only ASCII letters, digits, `-` and `_` survive from the name (anything else
/// becomes `-`), so the name is safe in a header and on every file system: no
/// path, no leading dot, no quote.
pub fn scenario_file_name(name: &str, kind: &str, version: Option<i64>) -> String {
    let mut stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(MAX_STEM_CHARS)
        .collect();
    let trimmed = stem.trim_matches('-');
    stem = if trimmed.is_empty() {
        "scenario".to_owned()
    } else {
        trimmed.to_owned()
    };
    if let Some(version) = version {
        stem.push_str(&format!("-v{version}"));
    }
    if kind.eq_ignore_ascii_case("template") {
        stem.push_str(".template");
    }
    format!("{stem}.yaml")
}

/// The `Content-Disposition` value of a download named `file_name` (already safe:
/// see [`scenario_file_name`]).
pub fn attachment(file_name: &str) -> String {
    format!("attachment; filename=\"{file_name}\"")
}

/// Characters kept as they are in a path segment; the rest are percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A name as one URL path segment (`a b/c` → `a%20b%2Fc`).
pub fn path_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// The link that downloads scenario `name` (an uploaded `version`, or the latest).
pub fn scenario_download_path(name: &str, version: Option<i64>) -> String {
    let mut path = format!("/api/v1/scenarios/{}/yaml", path_segment(name));
    if let Some(version) = version {
        path.push_str(&format!("?version={version}"));
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_say_what_they_hold() {
        assert_eq!(
            scenario_file_name("market-crash", "Scenario", None),
            "market-crash.yaml"
        );
        assert_eq!(
            scenario_file_name("my_outage", "scenario", Some(3)),
            "my_outage-v3.yaml"
        );
        assert_eq!(
            scenario_file_name("market-shock", "Template", None),
            "market-shock.template.yaml"
        );
        for hostile in ["../../etc/passwd", "a\"b\r\nX-Evil: 1", "..", "", "日本"] {
            let name = scenario_file_name(hostile, "Scenario", None);
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{name}"
            );
            assert!(!name.starts_with('.') && !name.starts_with('-'), "{name}");
            assert!(name.ends_with(".yaml"));
        }
        assert_eq!(scenario_file_name("..", "Scenario", None), "scenario.yaml");
        assert_eq!(
            scenario_file_name(&"x".repeat(500), "Scenario", None).len(),
            MAX_STEM_CHARS + ".yaml".len()
        );
        assert_eq!(attachment("a.yaml"), "attachment; filename=\"a.yaml\"");
    }

    #[test]
    fn download_links_encode_the_name() {
        assert_eq!(
            scenario_download_path("market-crash", None),
            "/api/v1/scenarios/market-crash/yaml"
        );
        assert_eq!(
            scenario_download_path("a b/c?d", Some(2)),
            "/api/v1/scenarios/a%20b%2Fc%3Fd/yaml?version=2"
        );
    }
}
