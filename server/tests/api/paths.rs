//! The UI's paths over HTTP: overlapping library names, downloading a scenario's
//! YAML, "Run again" and archiving (server functions).

use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_template_and_a_scenario_with_overlapping_names_each_open_their_own() {
    let app = spawn_app().await;
    let (status, template) = app
        .json("/api/v1/scenarios/stablecoin-depeg/definition")
        .await;
    assert_eq!(status, 200);
    assert_eq!(template["kind"], "Template", "{template}");
    assert_eq!(template["name"], "stablecoin-depeg");
    let (_, scenario) = app
        .json("/api/v1/scenarios/stablecoin-depeg-scenario/definition")
        .await;
    assert_eq!(scenario["kind"], "Scenario");
    assert_eq!(scenario["name"], "stablecoin-depeg-scenario");
    // The page too: the template's form, not the scenario's plan.
    let page = app
        .get("/scenarios/stablecoin-depeg")
        .await
        .text()
        .await
        .unwrap()
        // Leptos's empty hydration markers, which a reader never sees.
        .replace("<!>", "");
    assert!(page.contains(">stablecoin-depeg</h1>"), "{page}");
    assert!(page.contains("A template has no plan until it is rendered"));
    app.stop().await;
}

#[tokio::test]
async fn a_scenario_downloads_as_its_yaml_with_a_safe_file_name() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/scenarios/market-crash/yaml").await;
    assert_eq!(response.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        header(&response, "content-disposition"),
        "attachment; filename=\"market-crash.yaml\""
    );
    assert!(header(&response, "content-type").starts_with("application/yaml"));
    let (_, definition) = app.json("/api/v1/scenarios/market-crash/definition").await;
    assert_eq!(
        response.text().await.unwrap(),
        definition["definition"].as_str().unwrap()
    );
    let template = app.get("/api/v1/scenarios/stablecoin-depeg/yaml").await;
    assert_eq!(
        header(&template, "content-disposition"),
        "attachment; filename=\"stablecoin-depeg.template.yaml\""
    );

    let yaml = |duration: &str| {
        format!("apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: my_export\nspec:\n  phases:\n    - name: wait\n      duration: {duration}\n")
    };
    for duration in ["1m", "2m"] {
        let saved = app
            .post("/api/v1/scenarios/upload", json!({"yaml": yaml(duration)}))
            .await;
        assert_eq!(saved.status(), 201);
    }
    let latest = app.get("/api/v1/scenarios/my_export/yaml").await;
    assert_eq!(
        header(&latest, "content-disposition"),
        "attachment; filename=\"my_export-v2.yaml\""
    );
    assert_eq!(latest.text().await.unwrap(), yaml("2m"));
    let first = app.get("/api/v1/scenarios/my_export/yaml?version=1").await;
    assert_eq!(
        header(&first, "content-disposition"),
        "attachment; filename=\"my_export-v1.yaml\""
    );
    assert_eq!(first.text().await.unwrap(), yaml("1m"));

    // Client mistakes are 4xx in the API's error shape.
    for (path, status) in [
        ("/api/v1/scenarios/no-such-thing/yaml", 404),
        ("/api/v1/scenarios/my_export/yaml?version=9", 404),
        ("/api/v1/scenarios/market-crash/yaml?version=1", 404),
        ("/api/v1/scenarios/my_export/yaml?version=abc", 400),
        ("/api/v1/scenarios/..%2F..%2Fetc/yaml", 404),
    ] {
        let (got, body) = app.json(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn run_again_starts_the_same_text_with_the_same_options() {
    let app = spawn_app().await;
    let options = json!({
        "speed": 3600.0, "dry_run": true, "continue_on_failure": true, "repeat": 2,
        "on_owner_loss": "resume",
    });
    let accepted: Value = app
        .post(
            "/api/v1/scenarios/execute",
            json!({"scenario": "market-crash", "options": options}),
        )
        .await
        .json()
        .await
        .unwrap();
    let first = accepted["execution_id"].as_str().unwrap().to_owned();
    app.wait_finished(&first).await;

    let response = app.post("/api/rerun-execution", json!({"id": first})).await;
    assert_eq!(response.status(), 200);
    let again: Value = response.json().await.unwrap();
    let second = again["execution_id"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let detail = app.wait_finished(&second).await;
    assert_eq!(detail["scenario_name"], "market-crash");
    assert_eq!(detail["options"], options);
    let local = server::auth::local_principal().actor();
    assert_eq!(
        detail["started_by"],
        local.as_str(),
        "run again names who asked"
    );
    assert_eq!(detail["channel"], "ui");
    let (_, before) = app.json(&format!("/api/v1/scenarios/{first}/status")).await;
    assert_eq!(detail["plan"], before["plan"]);

    for id in ["00000000-0000-0000-0000-000000000000", "not-an-id"] {
        let missing = app.post("/api/rerun-execution", json!({"id": id})).await;
        assert_eq!(missing.status(), 404, "{id}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_uploaded_scenario_is_archived_from_the_ui_and_a_library_one_is_not() {
    let app = spawn_app().await;
    let yaml = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata:\n  name: to-archive\nspec:\n  phases:\n    - name: wait\n      duration: 1m\n";
    let saved = app
        .post("/api/v1/scenarios/upload", json!({"yaml": yaml}))
        .await;
    assert_eq!(saved.status(), 201);
    let archived = app
        .post("/api/archive-scenario", json!({"name": "to-archive"}))
        .await;
    assert_eq!(archived.status(), 200);
    let (status, _) = app.json("/api/v1/scenarios/to-archive/definition").await;
    assert_eq!(status, 404);
    let library = app
        .post("/api/archive-scenario", json!({"name": "market-crash"}))
        .await;
    assert_eq!(library.status(), 404);
    let (status, _) = app.json("/api/v1/scenarios/market-crash/definition").await;
    assert_eq!(status, 200);
    app.stop().await;
}
