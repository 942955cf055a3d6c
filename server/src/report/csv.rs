//! The CSV format: two RFC 4180 tables (CRLF line ends, a header row, fields with
//! a comma, quote, CR or LF quoted and inner quotes doubled) — [`events`], one row
//! per timeline event, and [`assertions`], one row per assertion. Offsets are
//! scenario milliseconds; payloads and evidence are compact JSON in one field.

use std::fmt::Write as _;

use super::schema::ExecutionReport;

/// Columns of [`events`].
pub const EVENT_COLUMNS: [&str; 11] = [
    "seq",
    "at",
    "iteration",
    "offset_ms",
    "planned_ms",
    "skew_ms",
    "phase_index",
    "phase",
    "kind",
    "summary",
    "details",
];

/// Columns of [`assertions`].
pub const ASSERTION_COLUMNS: [&str; 20] = [
    "iteration",
    "phase_index",
    "phase",
    "index",
    "path",
    "type",
    "expect",
    "service",
    "outcome",
    "passed",
    "attempts",
    "window_start_ms",
    "deadline_ms",
    "window_ms",
    "first_check_ms",
    "last_check_ms",
    "time_to_hold_ms",
    "window_used_percent",
    "message",
    "evidence",
];

/// One row per timeline event.
pub fn events(report: &ExecutionReport) -> String {
    let mut out = String::with_capacity(report.timeline.len() * 160);
    row(&mut out, EVENT_COLUMNS.iter().map(|c| (*c).to_owned()));
    for event in &report.timeline {
        row(
            &mut out,
            [
                event.seq.to_string(),
                event.at.clone(),
                event.iteration.to_string(),
                opt(event.offset_ms),
                opt(event.planned_ms),
                opt(event.skew_ms),
                opt(event.phase_index),
                event.phase.clone().unwrap_or_default(),
                event.kind.clone(),
                event.summary.clone(),
                event.details.to_string(),
            ],
        );
    }
    out
}

/// One row per assertion.
pub fn assertions(report: &ExecutionReport) -> String {
    let mut out = String::new();
    row(&mut out, ASSERTION_COLUMNS.iter().map(|c| (*c).to_owned()));
    for a in &report.validation_results.assertions {
        row(
            &mut out,
            [
                a.iteration.to_string(),
                a.phase_index.to_string(),
                a.phase.clone(),
                a.index.to_string(),
                a.path.clone(),
                a.assertion_type.clone(),
                a.expect.clone(),
                a.service.clone().unwrap_or_default(),
                a.outcome.as_str().to_owned(),
                a.passed.to_string(),
                a.attempts.to_string(),
                a.window_start_ms.to_string(),
                a.deadline_ms.to_string(),
                a.window_ms.to_string(),
                opt(a.first_check_ms),
                opt(a.last_check_ms),
                opt(a.time_to_hold_ms),
                opt(a.window_used_percent),
                a.message.clone(),
                if a.evidence.is_null() {
                    String::new()
                } else {
                    a.evidence.to_string()
                },
            ],
        );
    }
    out
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn row(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, &field);
    }
    out.push_str("\r\n");
}

/// Appends one field, quoted when RFC 4180 requires it.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        for c in field.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        let _ = write!(out, "{field}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{generate, testdata};

    fn report() -> ExecutionReport {
        generate(&testdata::input(), testdata::generated_at(), "t")
    }

    fn parse(text: &str) -> Vec<csv::StringRecord> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .expect("valid CSV")
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let mut out = String::new();
        row(
            &mut out,
            ["plain", "a,b", "say \"hi\"", "two\r\nlines", ""].map(str::to_owned),
        );
        assert_eq!(
            out,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",\r\n"
        );
    }

    #[test]
    fn the_events_table_has_one_row_per_event_and_round_trips_hostile_text() {
        let report = report();
        let text = events(&report);
        assert!(text.ends_with("\r\n"));
        let rows = parse(&text);
        assert_eq!(rows.len(), 1 + report.timeline.len());
        assert_eq!(rows[0].iter().collect::<Vec<_>>(), EVENT_COLUMNS);
        assert!(rows.iter().all(|r| r.len() == EVENT_COLUMNS.len()));
        let parallel = &rows[16];
        assert_eq!(&parallel[8], "action_started");
        assert_eq!(
            (&parallel[3], &parallel[4], &parallel[5]),
            ("900600", "900000", "600")
        );
        let failed = rows
            .iter()
            .find(|r| r[9].contains("price_divergence=usdt_depegged failed"))
            .unwrap();
        let details: serde_json::Value = serde_json::from_str(&failed[10]).unwrap();
        assert_eq!(
            details["result"]["message"],
            "not met within its window: USDT-USD deviation 0.01% < 20% <script>"
        );
    }

    #[test]
    fn the_assertions_table_has_one_row_per_assertion() {
        let report = report();
        let rows = parse(&assertions(&report));
        assert_eq!(rows.len(), 1 + 6);
        assert_eq!(rows[0].iter().collect::<Vec<_>>(), ASSERTION_COLUMNS);
        let risk = &rows[2];
        assert_eq!(
            (&risk[5], &risk[8], &risk[10], &risk[16], &risk[17]),
            ("risk_alert", "passed", "12", "110000", "91.67")
        );
        let failed = &rows[4];
        assert_eq!(&failed[8], "failed");
        assert_eq!(&failed[16], "", "no time to hold");
        assert!(failed[19].contains("</pre>"));
    }
}
