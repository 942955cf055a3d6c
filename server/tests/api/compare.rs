//! Two real executions compared over HTTP: `GET /api/v1/executions/compare`
//! (matched lines, one time axis, the 4xx of client mistakes) and the
//! previous-run lookup the execution page's link uses (a server function).

use app::api::compare::{Change, ExecutionComparison};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with_sandbox, TestApp, SCENARIO_RUNS};

impl TestApp {
    /// Starts `scenario` over the API with `options`; its id.
    async fn start(&self, scenario: &str, options: Value) -> String {
        let response = self
            .post(
                "/api/v1/scenarios/execute",
                json!({"scenario": scenario, "options": options}),
            )
            .await;
        assert_eq!(response.status(), 202);
        let accepted: Value = response.json().await.unwrap();
        accepted["execution_id"].as_str().unwrap().to_owned()
    }

    /// The previous finished run of `id`'s scenario, through the server function.
    async fn previous(&self, id: &str) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/api/previous-execution", self.base))
            .json(&json!({"id": id}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn two_real_runs_compare_line_by_line_on_one_axis_and_mistakes_are_4xx() {
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, _sandbox) = spawn_app_with_sandbox().await;
    let a = app
        .start("basic-market-disruption", json!({"speed": 600}))
        .await;
    app.wait_finished(&a).await;
    let b = app
        .start("basic-market-disruption", json!({"speed": 600}))
        .await;
    app.wait_finished(&b).await;

    let response = app
        .get(&format!("/api/v1/executions/compare?a={a}&b={b}"))
        .await;
    assert_eq!(response.status(), 200);
    let c: ExecutionComparison = response.json().await.expect("typed answer");
    assert_eq!((c.a.id.as_str(), c.b.id.as_str()), (a.as_str(), b.as_str()));
    assert!(c.same_scenario);
    assert!(!c.criteria.is_empty());
    assert_eq!(c.assertions.len(), 5, "the scenario's five assertions");
    assert!(
        c.assertions.iter().all(|l| l.a.is_some() && l.b.is_some()),
        "every assertion matched in both: {:#?}",
        c.assertions
    );
    let inject = c
        .actions
        .iter()
        .find(|l| l.action == "inject_latency")
        .expect("the injection");
    assert_eq!(
        (inject.phase.as_str(), inject.ordinal),
        ("chaos_injection", 1)
    );
    assert!(inject.latency.a.is_some() && inject.latency.b.is_some());
    assert!(!inject.latency.delta_text().is_empty());
    for run in [&c.a, &c.b] {
        assert_eq!(run.phases.len(), 3);
        assert!(run.marks.iter().any(|m| m.offset_ms > 0));
        assert!(c.axis_ms >= run.scenario_elapsed_ms);
    }
    let counted = c
        .assertions
        .iter()
        .map(|l| l.change)
        .chain(c.actions.iter().map(|l| l.change))
        .chain(c.criteria.iter().map(|l| l.change))
        .chain([c.verdict, c.recovery_ms.change])
        .filter(|change| *change == Change::Worse)
        .count();
    assert_eq!(counted, c.worse, "the summary counts the worse lines");

    // The previous run: b's is a; a has none.
    let (status, previous) = app.previous(&b).await;
    assert_eq!(status, 200);
    assert_eq!(previous["id"], a.as_str());
    let (_, none) = app.previous(&a).await;
    assert_eq!(none, Value::Null);
    let (status, _) = app.previous("no-such-execution").await;
    assert_eq!(status, 404);

    // Client mistakes.
    let running = app
        .start("basic-market-disruption", json!({"speed": 1}))
        .await;
    let (_, previous) = app.previous(&running).await;
    assert_eq!(
        previous["id"],
        b.as_str(),
        "the latest finished one before it"
    );
    for (query, status, says) in [
        (format!("a={a}&b={a}"), 400, "same execution"),
        (
            format!("a={a}&b={running}"),
            400,
            "only finished executions",
        ),
        (format!("a=nope&b={b}"), 404, "no execution nope"),
        (
            format!("a={a}&b=00000000-0000-0000-0000-000000000000"),
            404,
            "no execution",
        ),
        (format!("a={a}"), 400, ""),
        ("a=&b=".to_owned(), 400, "give two executions"),
    ] {
        let (got, body) = app
            .json(&format!("/api/v1/executions/compare?{query}"))
            .await;
        assert_eq!(got, status, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{query}: {message}");
    }
    let stop = app
        .post(&format!("/api/v1/scenarios/{running}/stop"), json!({}))
        .await;
    assert_eq!(stop.status(), 200);
    app.stop().await;
}
