//! Client mistakes that used to be answered badly: a file name where a library
//! name belongs (500), ids that are paths, huge or case variants, an upload
//! shadowing a library scenario unasked, and error bodies that disagree with the
//! OpenAPI document (`details: null`, `text/plain` from the WebSocket route).

use serde_json::{json, Value};

use crate::helpers::spawn_app;

fn scenario(name: &str) -> String {
    format!("apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: {name:?}\nspec:\n  phases:\n    - {{name: wait, duration: 1m}}\n")
}

async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{status} answered {content_type}: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    let error = body["error"].as_object().unwrap();
    assert!(
        error.get("details").is_none_or(|d| d.is_object()),
        "details is an object or absent, never null: {body}"
    );
    (status, body)
}

#[tokio::test]
async fn a_file_name_as_a_template_or_scenario_is_a_4xx_never_a_500() {
    let app = spawn_app().await;
    for name in [
        "secrets.txt",
        "foo.yaml",
        "missing.yml",
        "..%2F..%2Fetc%2Fpasswd.yaml",
    ] {
        let (status, body) = error_of(
            app.post(&format!("/api/v1/templates/{name}/render"), json!({}))
                .await,
        )
        .await;
        assert!(
            (400..500).contains(&status),
            "render {name}: {status} {body}"
        );
        let (status, body) = error_of(
            app.post("/api/v1/scenarios/execute", json!({"template": name}))
                .await,
        )
        .await;
        assert!(
            (400..500).contains(&status),
            "execute template {name}: {status} {body}"
        );
        let (status, body) = error_of(
            app.post("/api/v1/scenarios/execute", json!({"scenario": name}))
                .await,
        )
        .await;
        assert_eq!(status, 404, "execute scenario {name}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn upload_ids_are_bounded_slugs_without_case_variants() {
    let app = spawn_app().await;
    let upload = |yaml: String| app.post("/api/v1/scenarios/upload", json!({ "yaml": yaml }));
    for bad in [
        ".",
        "..",
        "a/b",
        "x.yaml",
        "Market-Crash",
        &"a".repeat(300),
        &"b".repeat(65),
    ] {
        let (status, body) = error_of(upload(scenario(bad)).await).await;
        assert_eq!(status, 422, "{bad:?}: {body}");
        assert_eq!(body["error"]["kind"], "validation", "{body}");
    }
    let (_, body) = error_of(upload(scenario(&"a".repeat(300))).await).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 64"),
        "{body}"
    );
    assert_eq!(upload(scenario(&"c".repeat(64))).await.status(), 201);
    assert_eq!(upload(scenario("my-check")).await.status(), 201);
    assert_eq!(
        upload(scenario("my-check")).await.status(),
        201,
        "a new version"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_existing_mixed_case_id_refuses_its_case_variants_with_409() {
    // Ids stored before the slug rule may have capitals: a variant is a conflict.
    let app = spawn_app().await;
    let store = crate::helpers::open_store(&app.database).await;
    store
        .insert_scenario_version(&server::store::NewVersion {
            id: "Legacy-Check",
            kind: "scenario",
            category: None,
            description: None,
            definition: &scenario("Legacy-Check"),
        })
        .await
        .unwrap();
    let (status, body) = error_of(
        app.post(
            "/api/v1/scenarios/upload",
            json!({ "yaml": scenario("legacy-check") }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Legacy-Check"),
        "{body}"
    );
    store.close().await;
    app.stop().await;
}

#[tokio::test]
async fn shadowing_a_library_scenario_takes_override_library() {
    let app = spawn_app().await;
    let yaml = scenario("market-crash");
    let (status, body) = error_of(
        app.post("/api/v1/scenarios/upload", json!({ "yaml": yaml }))
            .await,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("override_library"),
        "{body}"
    );
    let (_, listed) = app.json("/api/v1/scenarios/available?q=market-crash").await;
    assert_eq!(listed["scenarios"][0]["source"], "library", "{listed}");

    let saved = app
        .post(
            "/api/v1/scenarios/upload",
            json!({ "yaml": yaml, "override_library": true }),
        )
        .await;
    assert_eq!(saved.status(), 201);
    let (_, definition) = app.json("/api/v1/scenarios/market-crash/definition").await;
    assert_eq!(definition["source"], "custom", "{definition}");
    // Later versions of the uploaded one need no flag: the choice was made.
    let again = app
        .post("/api/v1/scenarios/upload", json!({ "yaml": yaml }))
        .await;
    assert_eq!(again.status(), 201);
    app.stop().await;
}

#[tokio::test]
async fn the_websocket_route_answers_a_plain_get_in_the_error_shape() {
    let app = spawn_app().await;
    let (status, body) = error_of(app.get("/ws/scenario-execution").await).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["kind"], "invalid_request");
    let (status, body) = error_of(
        app.client
            .put(format!("{}/api/v1/scenarios/execute", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405, "{body}");
    app.stop().await;
}

/// A server function called with arguments that do not decode (missing field,
/// not JSON) is the caller's mistake: 400 with kind `invalid_request`, in the
/// server functions' own shape (`{kind, message}`), never a 500. Leptos
/// answers 500 for these; the coordinator corrects the status.
#[tokio::test]
async fn a_server_function_with_arguments_that_do_not_decode_is_a_400() {
    let app = spawn_app().await;
    for (endpoint, body) in [
        ("/api/add-user", r#"{"nope":1}"#),
        ("/api/add-user", "not json"),
        ("/api/execute", r#"{"request":5}"#),
    ] {
        let response = app
            .client
            .post(format!("{}{endpoint}", app.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let error: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{endpoint} {body}: {error}");
        assert_eq!(error["kind"], "invalid_request", "{error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("the call's arguments are not valid"),
            "{error}"
        );
    }
    // An error the function's body returns keeps its own status.
    let response = app
        .client
        .post(format!("{}/api/remove-user", app.base))
        .header("content-type", "application/json")
        .body(r#"{"name":"nobody"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    app.stop().await;
}
