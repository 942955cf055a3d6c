//! The OpenAPI document is generated from the routes as registered; it lists
//! every API route, each answers on the real router, and every `$ref` resolves.

use serde_json::Value;

use crate::helpers::spawn_app;

/// The seed's paths (DESIGN.md §8) — all of them must be documented.
const SEED_PATHS: [&str; 13] = [
    "/api/v1/scenarios/execute",
    "/api/v1/scenarios/active",
    "/api/v1/scenarios/{id}/status",
    "/api/v1/scenarios/{id}/stop",
    "/api/v1/scenarios/{id}/logs",
    "/api/v1/scenarios/available",
    "/api/v1/scenarios/validate",
    "/api/v1/scenarios/{id}/definition",
    "/api/v1/system/state",
    "/api/v1/metrics/scenario-performance",
    "/debug/execution-timeline",
    "/ws/scenario-execution",
    "/health",
];

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_covers_every_route_and_every_route_answers() {
    let app = spawn_app().await;
    let (status, doc) = app.json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for seed in SEED_PATHS {
        assert!(paths.contains_key(seed), "{seed} is not documented");
    }
    assert!(paths.len() >= 20, "{} paths", paths.len());

    let mut all_refs = Vec::new();
    refs(&doc, &mut all_refs);
    for reference in &all_refs {
        let pointer = reference.trim_start_matches('#');
        assert!(
            doc.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }
    assert!(doc.pointer("/components/schemas/ErrorBody").is_some());

    // Each documented operation is served by the router: a request with a
    // made-up id never falls through to the page router's HTML 404.
    let id = "00000000-0000-0000-0000-000000000000";
    for (path, item) in paths {
        for method in ["get", "post"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            if path.starts_with("/ws/") {
                continue;
            }
            let url = format!("{}{}", app.base, path.replace("{id}", id));
            let request = if method == "get" {
                app.client.get(&url)
            } else {
                app.client.post(&url).json(&serde_json::json!({}))
            };
            let response = request.send().await.unwrap();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            assert!(
                !content_type.starts_with("text/html"),
                "{method} {path} fell through to the page router ({})",
                response.status()
            );
        }
    }
    app.stop().await;
}
