//! The JSON format: the [`ExecutionReport`] schema (documented in
//! [`super::schema`]) as pretty-printed JSON, and its [`Summary`].

use super::{schema::ExecutionReport, summary::Summary};

/// The report as pretty JSON.
pub fn render(report: &ExecutionReport) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report)
}

/// The summary over several executions as pretty JSON.
pub fn render_summary(summary: &Summary) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{generate, summarize, testdata};

    #[test]
    fn the_json_has_every_section_and_reads_back() {
        let report = generate(&testdata::input(), testdata::generated_at(), "t");
        let text = render(&report).unwrap();
        assert!(
            text.starts_with("{\n  \"metadata\": {"),
            "pretty: {}",
            &text[..40]
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        for section in [
            "metadata",
            "scenario",
            "execution",
            "system_impact",
            "validation_results",
            "timeline",
            "metrics",
            "audit",
            "recommendations",
        ] {
            assert!(value.get(section).is_some(), "{section} missing");
        }
        assert_eq!(
            value["validation_results"]["assertions"][1]["type"],
            "risk_alert"
        );
        assert_eq!(
            value["validation_results"]["assertions"][1]["time_to_hold_ms"],
            110_000
        );
        assert_eq!(
            value["system_impact"]["services_affected"][0]["recovery_ms"],
            45_000
        );
        assert_eq!(value["metrics"]["timing_skew_ms"]["p99"], 600.0);
        assert_eq!(value["recommendations"][0]["severity"], "critical");
        let back: ExecutionReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn the_summary_is_the_n1v1_shape() {
        let report = generate(&testdata::input(), testdata::generated_at(), "t");
        let text = render_summary(&summarize(&[report])).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["test_run"]["total_executions"], 1);
        assert_eq!(value["results"]["failed_executions"], 1);
        assert_eq!(value["results"]["pass_rate_percent"], 0.0);
        assert_eq!(value["results"]["average_recovery_time_ms"], 45_000.0);
    }
}
