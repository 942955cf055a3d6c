use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_reports_every_field_of_the_seed() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["service"], "test-coordinator");
    assert_eq!(body["instance"], "test-coordinator-it");
    assert_eq!(body["environment"], "test");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["checks"]["database"], "ok");
    let timestamp = body["timestamp"].as_str().unwrap();
    time::OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
        .expect("timestamp is RFC 3339");
    // Which replica answered, on which database, owning how much.
    assert_eq!(body["replica"]["id"], app.engine.owner().id.to_string());
    let backend = match app.config.database {
        server::store::Database::Sqlite(_) => "sqlite",
        server::store::Database::Postgres(_) => "postgres",
    };
    assert_eq!(body["replica"]["database_backend"], backend);
    assert_eq!(body["replica"]["owned_executions"], 0);
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_per_route_with_errors_and_durations() {
    let app = spawn_app().await;
    for _ in 0..3 {
        assert_eq!(app.get("/health").await.status(), 200);
    }
    let classic = app.get("/metrics").await;
    assert!(classic.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let classic = classic.text().await.unwrap();
    assert_eq!(
        server::metrics::families_without_help(&classic),
        Vec::<String>::new(),
        "{classic}"
    );
    let response = app
        .client
        .get(format!("{}/metrics", app.base))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = app.without_replica_label(&response.text().await.unwrap());
    assert!(
        text.contains(
            r#"test_coordinator_http_requests_total{method="GET",route="/health",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"test_coordinator_http_request_duration_seconds_count{method="GET",route="/health"} 3"#),
        "{text}"
    );
    for name in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
    // Every sample line is `name{labels} value`, as Prometheus's parser expects.
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line {line:?}"));
        assert!(value.parse::<f64>().is_ok(), "bad value in {line:?}");
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad name in {line:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn pages_are_rendered_on_the_server_with_real_data() {
    let app = spawn_app().await;
    let services = app.get("/services").await;
    assert_eq!(services.status(), 200);
    let html = services.text().await.unwrap();
    assert!(html.contains("<h1>Services</h1>"), "{html}");
    assert!(html.contains("exchange-simulator"));
    assert!(html.contains("http://127.0.0.1:18080"));

    let scenarios = app.get("/scenarios").await.text().await.unwrap();
    assert!(
        scenarios.contains("stablecoin-depeg-scenario"),
        "the library is listed"
    );
    assert!(
        scenarios.contains("exchange-disruption"),
        "templates are listed"
    );

    let missing = app.get("/nowhere").await;
    assert_eq!(missing.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn server_functions_answer_with_the_backend_data() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/api/services", app.base))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let services: Vec<app::api::ServiceInfo> = response.json().await.unwrap();
    let names: Vec<_> = services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "audit-correlator",
            "custodian-simulator",
            "exchange-simulator",
            "market-data-proxy",
            "market-data-simulator",
            "risk-monitor",
            "trading-engine"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn an_execution_and_its_events_outlive_a_restart_on_the_same_database() {
    let app = spawn_app().await;
    let yaml = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: kept}\nspec:\n  phases:\n    - {name: wait, duration: 1m}\n";
    let accepted: Value = app
        .client
        .post(format!("{}/api/v1/scenarios/execute", app.base))
        .json(&serde_json::json!({"yaml": yaml, "options": {"dry_run": true}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = accepted["execution_id"].as_str().unwrap().to_owned();
    app.engine.wait_idle().await;
    let (_, before) = app.json(&format!("/api/v1/scenarios/{id}/logs")).await;
    let database = app.database.clone();
    let _dir = app.stop().await;

    let mut settings = server::config::Settings::default();
    settings.test_coordinator.database = database;
    let again = crate::helpers::spawn_app_with(settings).await;
    let (status, detail) = again.json(&format!("/api/v1/scenarios/{id}/status")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["status"], "completed");
    let (_, after) = again.json(&format!("/api/v1/scenarios/{id}/logs")).await;
    assert_eq!(after["events"], before["events"], "every event, unchanged");
    assert!(after["events"].as_array().is_some_and(|e| e.len() > 3));
    again.stop().await;
}

/// `system/state` probes every service at once: each `/health` of this target
/// waits until all of them have arrived, so probes made one after another
/// would each time out (3 s) and report the services unhealthy.
#[tokio::test]
async fn system_state_probes_every_service_at_once() {
    use std::sync::Arc;
    let mut settings = server::config::Settings::default();
    let count = settings.services.len();
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let router = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let barrier = barrier.clone();
            async move {
                // Bounded: a sequential prober gives up long before this.
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(20), barrier.wait()).await;
                axum::Json(serde_json::json!({"status": "healthy"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let target = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    for service in settings.services.values_mut() {
        service.url = url.clone();
    }
    let app = crate::helpers::spawn_app_with(settings).await;
    let (status, state) = app.json("/api/v1/system/state").await;
    assert_eq!(status, 200);
    let services = state["services"].as_array().unwrap();
    assert_eq!(services.len(), count);
    assert!(count >= 2, "the test needs several services");
    for service in services {
        assert_eq!(service["healthy"], true, "{service}");
    }
    app.stop().await;
    target.abort();
}

#[tokio::test]
async fn the_bundle_is_served_precompressed_from_its_hashed_directory_and_cached_for_good() {
    // A site as scripts/build-site.sh leaves it, with stand-in contents.
    let site = tempfile::tempdir().unwrap();
    let hash = "0123abcd4567ef89";
    let bundle = site.path().join("pkg").join(hash);
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(site.path().join("pkg/current"), format!("{hash}\n")).unwrap();
    std::fs::write(bundle.join("test-coordinator.js"), "export default 1;").unwrap();
    std::fs::write(bundle.join("test-coordinator.js.br"), "brotli copy").unwrap();
    std::fs::write(bundle.join("test-coordinator.js.gz"), "gzip copy").unwrap();
    let mut settings = server::config::Settings::default();
    settings.test_coordinator.site_root = site.path().to_path_buf();
    let app = crate::helpers::spawn_app_with(settings).await;

    let page = app.get("/").await.text().await.unwrap();
    assert!(
        page.contains(&format!("/pkg/{hash}/test-coordinator.js")),
        "the page loads this build's bundle"
    );
    assert!(page.contains(&format!("href=\"/pkg/{hash}/test-coordinator.css\"")));
    let url = format!("{}/pkg/{hash}/test-coordinator.js", app.base);
    for (accepts, encoding, body) in [
        ("br, gzip", Some("br"), "brotli copy"),
        ("gzip", Some("gzip"), "gzip copy"),
        ("identity", None, "export default 1;"),
    ] {
        let response = app
            .client
            .get(&url)
            .header("accept-encoding", accepts)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{accepts}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("content-encoding").as_deref(), encoding, "{accepts}");
        assert_eq!(
            header("cache-control").as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        assert!(header("content-type").is_some_and(|t| t.contains("javascript")));
        assert_eq!(
            response.text().await.unwrap(),
            body,
            "the file's own copy, as built"
        );
    }
    // Another build's address is not this one's.
    let old = app.get("/pkg/ffffffffffffffff/test-coordinator.js").await;
    assert_eq!(old.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_renders_without_probing_any_service() {
    // Every service is one that counts its connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let probed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = probed.clone();
    let hanging = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(socket);
        }
    });
    let mut settings = server::config::Settings::default();
    for service in settings.services.values_mut() {
        service.url = url.clone();
        service.timeout = "60s".into();
    }
    let app = crate::helpers::spawn_app_with(settings).await;
    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"health-title\""), "the section is there");
    assert!(
        !page.contains("id=\"service-health\""),
        "its chips are filled in by the browser"
    );
    assert_eq!(
        probed.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "rendering the first page asked no service anything"
    );
    hanging.abort();
    app.stop().await;
}
