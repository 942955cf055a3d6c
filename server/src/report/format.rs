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
