//! The formats a report is rendered in, and the one function that renders it:
//! pure, so the REST handler, the CLI and the suite's JUnit share it.

use app::api::{ApiError, ErrorKind};

use super::ExecutionReport;

/// The formats a report is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The report model as JSON.
    Json,
    /// One self-contained HTML page.
    Html,
    /// One row per event.
    CsvEvents,
    /// One row per assertion.
    CsvAssertions,
    /// JUnit XML, one test case per assertion.
    Junit,
}

impl Format {
    /// `format` (`json`, `html`, `csv`, `junit`) and, for CSV, `table` (`events`, `assertions`).
    pub fn parse(format: Option<&str>, table: Option<&str>) -> Result<Self, ApiError> {
        match (format.unwrap_or("json"), table) {
            ("json", _) => Ok(Self::Json),
            ("html", _) => Ok(Self::Html),
            ("csv", None | Some("events")) => Ok(Self::CsvEvents),
            ("csv", Some("assertions")) => Ok(Self::CsvAssertions),
            ("junit", _) => Ok(Self::Junit),
            (f, t) => Err(ApiError::new(
                ErrorKind::InvalidRequest,
                format!("unknown report format {f:?}{}: use json, html, csv (table=events|assertions) or junit", t.map(|t| format!(" with table {t:?}")).unwrap_or_default()),
            )),
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Html => "text/html; charset=utf-8",
            Self::CsvEvents | Self::CsvAssertions => "text/csv; charset=utf-8",
            Self::Junit => "application/xml",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Html => "html",
            Self::CsvEvents | Self::CsvAssertions => "csv",
            Self::Junit => "xml",
        }
    }

    /// What the file holds, the last part of its name (`events.csv`).
    fn file_suffix(self) -> &'static str {
        match self {
            Self::Json => "report.json",
            Self::Html => "report.html",
            Self::CsvEvents => "events.csv",
            Self::CsvAssertions => "assertions.csv",
            Self::Junit => "junit.xml",
        }
    }

    /// The download's file name: the scenario, the execution's short id and what
    /// it holds (`stablecoin-depeg-f77b628a-events.csv`), so the two CSV tables,
    /// and reports of different runs, never share a name. Only `[A-Za-z0-9._-]`.
    pub fn file_name(self, scenario: &str, execution_id: &str) -> String {
        let safe = |text: &str| -> String {
            text.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '-'
                    }
                })
                .collect()
        };
        let scenario = safe(scenario);
        let scenario = scenario.trim_matches(|c| c == '-' || c == '.');
        let id: String = safe(execution_id).chars().take(8).collect();
        let scenario = if scenario.is_empty() {
            "execution"
        } else {
            scenario
        };
        format!("{scenario}-{id}-{}", self.file_suffix())
    }
}

/// Renders `report` in `format`.
pub fn render(report: &ExecutionReport, format: Format) -> Result<String, ApiError> {
    Ok(match format {
        Format::Json => super::json::render(report).map_err(|error| {
            tracing::error!(%error, "cannot serialise a report");
            ApiError::internal()
        })?,
        Format::Html => super::html::render(report),
        Format::CsvEvents => super::csv::events(report),
        Format::CsvAssertions => super::csv::assertions(report),
        Format::Junit => super::junit::render(report),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_download_has_its_own_descriptive_name() {
        let id = "f77b628a-7394-4d6b-ae1e-7a501d6c9835";
        let names: Vec<String> = [
            Format::Json,
            Format::Html,
            Format::CsvEvents,
            Format::CsvAssertions,
            Format::Junit,
        ]
        .into_iter()
        .map(|f| f.file_name("stablecoin-depeg-scenario", id))
        .collect();
        assert_eq!(names[2], "stablecoin-depeg-scenario-f77b628a-events.csv");
        assert_eq!(
            names[3],
            "stablecoin-depeg-scenario-f77b628a-assertions.csv"
        );
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert_eq!(
            Format::Junit.file_name("a \"b\"/c", id),
            "a--b--c-f77b628a-junit.xml",
            "nothing that could break the header or a path"
        );
        assert_eq!(
            Format::Html.file_name("", id),
            "execution-f77b628a-report.html"
        );
    }
}
