//! The report of a real execution, built from what the store holds, in every
//! format, each checked by a real consumer: `html-validate` (npm, in end2end/) for
//! HTML5, headless Chromium for rendering (screenshot kept in
//! end2end/screenshots/report.png), a JUnit XML parser and a CSV parser.
//!
//! Needs `end2end/node_modules` (`scripts/setup.sh --browser`, or
//! `cd end2end && npm ci`) and `/usr/bin/chromium`; it fails, never skips, without them.

use std::path::{Path, PathBuf};

use app::api::ExecutionStatus;
use server::{
    prepare::Source,
    report::{self, ReportInput},
};
use time::OffsetDateTime;

use crate::helpers::spawn_app_with_sandbox;

fn end2end() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end")
}

/// Runs `html-validate` on `file` with the recommended rules; returns its output.
async fn html_validate(file: &Path, dir: &Path) -> (bool, String) {
    let cli = end2end().join("node_modules/html-validate/bin/html-validate.mjs");
    assert!(
        cli.exists(),
        "html-validate is not installed: run `scripts/setup.sh --browser` or `cd end2end && npm ci` ({})",
        cli.display()
    );
    let config = dir.join("htmlvalidate.json");
    std::fs::write(&config, r#"{"extends": ["html-validate:recommended"]}"#).unwrap();
    let output = tokio::process::Command::new("node")
        .arg(&cli)
        .arg("--config")
        .arg(&config)
        .arg(file)
        .output()
        .await
        .expect("node runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Renders `file` in headless Chromium and writes a screenshot to `png`.
async fn screenshot(file: &Path, png: &Path, dir: &Path) -> String {
    let chromium = Path::new("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "Chromium is not installed: run `scripts/setup.sh --browser`"
    );
    let _ = std::fs::remove_file(png);
    let output = tokio::process::Command::new("timeout")
        .arg("120")
        .arg(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chromium-profile").display()
        ))
        // Nothing may be fetched: any host name would fail to resolve.
        .arg("--host-resolver-rules=MAP * ~NOTFOUND")
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", file.display()))
        .output()
        .await
        .expect("chromium runs");
    format!(
        "status {:?}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn the_report_of_a_real_run_validates_renders_and_parses_in_every_format() {
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let (status, events) = app
        .run(Source::Library("basic-market-disruption".into()), 600.0)
        .await;
    assert_eq!(status, ExecutionStatus::Completed);
    let id = events[0].execution_id;

    // What the audit correlator recorded under this execution's id.
    let audit_url = app.config.services["audit-correlator"].url.clone();
    let audit: serde_json::Value = app
        .client
        .get(format!("{audit_url}api/v1/events?correlation_id={id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let audit_events = audit["events"].as_array().cloned().expect("audit events");

    // The report is made from the store only.
    let store = crate::helpers::open_store(&app.database).await;
    let mut input = ReportInput::from(
        store
            .fetch_recorded_execution(id)
            .await
            .unwrap()
            .expect("stored"),
    );
    // The store keeps every event that was broadcast. Its JSON text may drop the last
    // binary digit of a float (serde_json without `float_roundtrip`), so compare the
    // live events as the store writes them.
    let stored_form: Vec<_> = events
        .iter()
        .map(|e| server::engine::event::Event {
            kind: serde_json::from_str(&serde_json::to_string(&e.kind).unwrap()).unwrap(),
            ..e.clone()
        })
        .collect();
    assert_eq!(
        input.record.events, stored_form,
        "the store holds every event that was broadcast"
    );
    input.audit_events = Some(audit_events);
    // basic-market-disruption does not ask for audit correlation; ask here so that the
    // section is checked against a real audit trail.
    input.record.plan.reporting.correlate_with_audit_logs = true;
    let generated_at = OffsetDateTime::now_utc();
    let report = report::generate(&input, generated_at, &app.config.instance);

    // Every section's figures.
    assert_eq!(report.metadata.instance, "test-coordinator-it");
    assert_eq!(report.scenario.name, "basic-market-disruption");
    assert!(report.scenario.definition.contains("inject_latency"));
    assert_eq!(report.execution.status, "completed");
    assert!(report.execution.passed);
    assert_eq!(report.execution.speed, 600.0);
    assert!(report.execution.scenario_elapsed_ms >= 1_800_000);
    let v = &report.validation_results;
    assert_eq!((v.total, v.passed, v.failed, v.not_decided), (5, 5, 0, 0));
    assert!(v.unexpected_behaviors.is_empty());
    for a in &v.assertions {
        assert!(a.time_to_hold_ms.is_some_and(|t| t <= a.window_ms), "{a:?}");
        assert!(a.attempts >= 1);
    }
    assert_eq!(report.timeline.len(), events.len());
    let phases: Vec<&str> = report
        .metrics
        .phases
        .iter()
        .map(|p| p.outcome.as_str())
        .collect();
    assert_eq!(phases, ["passed", "passed", "passed"]);
    for phase in &report.metrics.phases {
        let duration = phase.duration_ms.expect("finished");
        assert!(
            duration.abs_diff(phase.planned_duration_ms) < 5_000,
            "{phase:?}"
        );
    }
    assert_eq!(report.metrics.actions.len(), 2);
    assert_eq!(report.metrics.action_latency_ms.count, 2);
    assert!(report.metrics.timing_skew_ms.count >= 3 + 2 + 5);
    let services = &report.system_impact.services_affected;
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].service, "exchange-simulator");
    assert_eq!(services[0].cleared_by.as_deref(), Some("clear_chaos"));
    let recovery = services[0].recovery_ms.expect("recovery measured");
    assert!(
        recovery <= 180_000,
        "within the recovery window: {recovery}"
    );
    let latency_alert = report
        .system_impact
        .alerts_generated
        .iter()
        .find(|a| a.alert_type == "execution_latency")
        .expect("the latency alert");
    assert_eq!(latency_alert.source, "audit");
    let raised = latency_alert
        .raised_offset_ms
        .expect("placed on the timeline");
    assert!(
        (295_000..=430_000).contains(&raised),
        "raised in the 2m window: {raised}"
    );
    assert!(latency_alert
        .resolved_offset_ms
        .is_some_and(|r| r > 1_500_000 - 5_000));
    let audit = report.audit.as_ref().expect("asked for");
    assert_eq!((audit.chaos_injected, audit.chaos_confirmed), (1, 1));

    // A report built from the live stream equals the one from history.
    let mut live = input.clone();
    live.record.events = stored_form.clone();
    assert_eq!(
        report::generate(&live, generated_at, &app.config.instance),
        report
    );

    let dir = tempfile::tempdir().unwrap();

    // JSON reads back.
    let json = report::json::render(&report).unwrap();
    let back: report::ExecutionReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);

    // HTML: valid HTML5, self-contained, renders in Chromium.
    let html = report::html::render(&report);
    let html_file = dir.path().join("report.html");
    std::fs::write(&html_file, &html).unwrap();
    let (valid, output) = html_validate(&html_file, dir.path()).await;
    assert!(valid, "html-validate:\n{output}");
    for external in ["src=", "href=", "https://", "@import", "<link", "<script"] {
        assert!(!html.contains(external), "{external} in the page");
    }
    assert_eq!(
        html.matches("http://").count(),
        1,
        "only the SVG namespace, which is never fetched"
    );
    let png = end2end().join("screenshots/report.png");
    std::fs::create_dir_all(png.parent().unwrap()).unwrap();
    let log = screenshot(&html_file, &png, dir.path()).await;
    let image = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot ({e}):\n{log}"));
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG:\n{log}");
    assert!(
        image.len() > 20_000,
        "more than a blank page: {} bytes",
        image.len()
    );

    // JUnit XML: one suite per phase, one case per assertion, no failure.
    let xml = report::junit::render(&report);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("5"));
    assert_eq!(root.attribute("failures"), Some("0"));
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 3);
    let cases: Vec<usize> = suites
        .iter()
        .map(|s| s.children().filter(|n| n.has_tag_name("testcase")).count())
        .collect();
    assert_eq!(cases, [1, 2, 2]);
    assert_eq!(
        root.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        0
    );

    // CSV: both tables parse with the expected rows.
    let rows = |text: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .expect("valid CSV")
    };
    let event_rows = rows(&report::csv::events(&report));
    assert_eq!(event_rows.len(), events.len());
    assert!(event_rows
        .iter()
        .all(|r| r.len() == report::csv::EVENT_COLUMNS.len()));
    let assertion_rows = rows(&report::csv::assertions(&report));
    assert_eq!(assertion_rows.len(), 5);
    assert!(assertion_rows.iter().all(|r| &r[8] == "passed"));

    app.stop().await;
    sandbox.shutdown().await;
}
