//! The HTML page's tests over the hand-made execution.

use super::*;
use crate::report::{generate, testdata};

fn page() -> String {
    render(&generate(&testdata::input(), testdata::generated_at(), "t"))
}

#[test]
fn hostile_evidence_is_escaped_everywhere() {
    let html = page();
    assert!(!html.contains("<script"), "no script element at all");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/pre&gt;"));
    // The only </pre> are ours: one per <pre>.
    assert_eq!(
        html.matches("<pre>").count(),
        html.matches("</pre>").count()
    );
    assert!(html.contains("# &lt;b&gt;not markup&lt;/b&gt; &amp; &quot;quoted&quot;"));
}

#[test]
fn preformatted_text_keeps_lines_but_no_trailing_whitespace() {
    assert_eq!(
        EscPre("a: 1  \r\n\t<b>\t\nend ").to_string(),
        "a: 1&#32;&#32;\n\t&lt;b&gt;&#9;\nend&#32;"
    );
    assert_eq!(Esc("two\r\nlines").to_string(), "two  lines");
}

#[test]
fn escaping_covers_the_five_characters() {
    assert_eq!(
        Esc("<a href=\"x\">'&'</a>").to_string(),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(Esc("plain é ✓").to_string(), "plain é ✓");
}

#[test]
fn the_page_is_self_contained() {
    let html = page();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    for external in ["src=", "href=", "@import", "url(http", "<link", "<script"] {
        assert!(!html.contains(external), "{external} found");
    }
    // The only URL is the SVG namespace, which is a name, not a fetch.
    assert_eq!(html.matches("http://").count(), 1);
    assert!(html.contains("xmlns=\"http://www.w3.org/2000/svg\""));
}

#[test]
fn the_summary_chart_and_tables_show_the_results() {
    let html = page();
    assert!(html.contains("<title>FAILED: basic-market-disruption — chaos report</title>"));
    assert!(html.contains("✗ FAILED"));
    assert!(html.contains("5 of 6 (1 failed, 0 not decided)"));
    assert!(
        html.contains("3.0s wall clock · 30m1s scenario time"),
        "one duration rule (format_ms)"
    );
    // Phase bands, action markers, assertion windows with marks.
    assert_eq!(html.matches("<g class=\"phase\">").count(), 3);
    assert_eq!(html.matches("class=\"window\"").count(), 5);
    assert_eq!(html.matches("class=\"window window-fail\"").count(), 1);
    assert_eq!(html.matches("<circle").count(), 5);
    assert_eq!(html.matches("class=\"cross\"").count(), 1);
    assert_eq!(html.matches("<polygon").count(), 5);
    assert!(html.contains("recovered in 45s"));
    // Assertion table: six rows, evidence in details/pre.
    assert_eq!(html.matches("<summary>evidence</summary><pre>").count(), 6);
    assert_eq!(
        html.matches("PASS ✓").count() + html.matches("FAIL ✗").count(),
        5 + 1 + 2 + 5
    );
    // System impact and recommendations.
    assert!(html.contains("<td class=\"num\">45s (window 3m)</td>"));
    assert!(html
        .contains("risk_alert (chaos_injection) took 1m50s of its 2m window — close to the limit"));
    assert!(html.contains("they confirm 1 of 1 chaos injections"));
    assert!(html.contains("All 33 events"));
}

#[test]
fn tick_steps_give_a_readable_axis() {
    use app::chart::tick_step;
    assert_eq!(tick_step(1_800_000, 10), 300_000);
    assert_eq!(tick_step(30_000, 10), 5_000);
    assert_eq!(tick_step(133_200_000, 10), 21_600_000);
}

#[test]
fn the_page_follows_the_readers_colour_scheme() {
    let html = page();
    assert!(html.contains("@media screen and (prefers-color-scheme:dark)"));
    assert!(html.contains("color-scheme:dark"));
}

#[test]
fn a_stopped_run_reads_as_stopped_by_whom_not_failed() {
    let mut report = generate(&testdata::input(), testdata::generated_at(), "t");
    report.execution.status = "stopped".into();
    report.execution.stopped_by = Some("cli".into());
    let html = render(&report);
    assert!(html.contains("<title>STOPPED by cli: basic-market-disruption"));
    assert!(html.contains("verdict-stopped\">■ STOPPED by cli"));
    assert!(!html.contains("✗ FAILED"));
}
