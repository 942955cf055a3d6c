use super::*;

#[test]
fn stat_lines_parse_even_with_spaces_in_the_command_name() {
    let stat = "4242 (test coord) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 7 0 12345 104857600 2560 18446744073709551615";
    let stats = parse_stat(stat, 1_700_000_000.0).unwrap();
    assert_eq!(stats.cpu_seconds, 3.0);
    assert_eq!(stats.threads, 7);
    assert_eq!(stats.start_time_seconds, 1_700_000_123.45);
    assert_eq!(stats.virtual_bytes, 104_857_600);
    assert_eq!(stats.resident_bytes, 2560 * 4096);
}

#[test]
fn requests_errors_and_durations_are_exported_per_route() {
    let metrics = Metrics::new();
    metrics.observe_request("GET", "/health", 200, 0.001);
    metrics.observe_request("GET", "/health", 200, 0.002);
    metrics.observe_request("POST", "/api/v1/scenarios/execute", 503, 0.01);
    let text = metrics.encode();
    assert!(
        text.contains(
            r#"test_coordinator_http_requests_total{method="GET",route="/health",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"test_coordinator_http_request_errors_total{method="POST",route="/api/v1/scenarios/execute"} 1"#), "{text}");
    assert!(
        !text.contains(r#"test_coordinator_http_request_errors_total{method="GET""#),
        "{text}"
    );
    assert!(text.contains(r#"test_coordinator_http_request_duration_seconds_count{method="GET",route="/health"} 2"#), "{text}");
    assert!(text.contains("process_resident_memory_bytes "), "{text}");
    assert!(text.trim_end().ends_with("# EOF"));
}

#[test]
fn unknown_methods_are_counted_as_other_and_long_labels_are_capped() {
    let metrics = Metrics::new();
    metrics.observe_request("FOOBAR", "/health", 200, 0.001);
    metrics.observe_request("get", "/health", 200, 0.001);
    let long = "x".repeat(300);
    metrics.observe_request("GET", &long, 404, 0.001);
    let text = metrics.encode();
    assert!(
        text.contains(
            r#"test_coordinator_http_requests_total{method="other",route="/health",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(!text.contains("FOOBAR"), "{text}");
    let capped = format!("{}…", "x".repeat(MAX_LABEL_CHARS - 1));
    assert!(text.contains(&format!(r#"route="{capped}""#)), "{text}");
    assert!(!text.contains(&"x".repeat(MAX_LABEL_CHARS)), "{text}");
}

#[test]
fn every_metric_family_has_help_text_in_the_classic_format() {
    let metrics = Metrics::new();
    metrics.observe_request("GET", "/health", 200, 0.001);
    let text = metrics.encode_classic();
    assert_eq!(families_without_help(&text), Vec::<String>::new(), "{text}");
    assert!(
        text.contains("# HELP test_coordinator_http_requests_total "),
        "{text}"
    );
    assert!(
        text.contains("# TYPE test_coordinator_http_requests_total counter"),
        "{text}"
    );
    assert!(!text.contains("# EOF"), "{text}");
    // The OpenMetrics text names the family without _total, as it should.
    assert!(metrics
        .encode()
        .contains("# TYPE test_coordinator_http_requests counter"));
}
