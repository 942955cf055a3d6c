//! The table's samples of orchestrations and suite controls (issue 19), and
//! the fixtures they need: a stored orchestration, and runs running or paused.

use reqwest::Method;
use serde_json::{json, Value};

use super::{read, send, Fixtures, Sample};

/// An orchestration named `name` of one step that waits an hour.
pub fn orchestration_body(name: &str) -> Value {
    let waiting = json!({
        "apiVersion": "chaos.trading/v1",
        "kind": "Scenario",
        "metadata": {"name": "waiting-step"},
        "spec": {"phases": [{"name": "wait", "duration": "1h"}]}
    });
    json!({"name": name, "steps": [{"name": "wait", "scenario": {"inline": waiting}}]})
}

/// An import request of orchestration `name`.
pub fn import_body(name: &str) -> Value {
    json!({"content": orchestration_body(name).to_string(), "format": "json"})
}

impl Fixtures<'_> {
    /// A new stored orchestration's id (imported as the admin).
    pub(super) async fn orchestration(&self) -> String {
        let made = self
            .call_as_admin(
                Method::POST,
                "/api/v1/orchestrations",
                "",
                import_body(&self.unique("orchestration")),
                201,
            )
            .await;
        made["id"].as_str().expect("orchestration id").to_owned()
    }

    /// A run (as the admin) whose one step is running now.
    pub(super) async fn running_run(&self) -> String {
        let accepted = self
            .call_as_admin(
                Method::POST,
                "/api/v1/orchestrations/run",
                "",
                json!({"orchestration": orchestration_body(&self.unique("run")), "speed": 1.0}),
                202,
            )
            .await;
        let id = accepted["suite_id"].as_str().expect("run id").to_owned();
        for _ in 0..200 {
            let run = self
                .call_as_admin(Method::GET, "/api/v1/suites/{id}", &id, Value::Null, 200)
                .await;
            if run["members"][0]["status"] == "running" {
                return id;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("run {id} never ran its step");
    }

    /// A run paused now (as the admin).
    pub(super) async fn paused_run(&self) -> String {
        let id = self.running_run().await;
        self.call_as_admin(
            Method::POST,
            "/api/v1/suites/{id}/pause",
            &id,
            Value::Null,
            200,
        )
        .await;
        id
    }

    /// The samples of the orchestration routes and the suite controls.
    pub(super) async fn orchestration_rest_sample(
        &self,
        method: &Method,
        pattern: &str,
    ) -> Option<Sample> {
        let with = |value: &str| pattern.replace("{id}", value);
        let no_body = None;
        Some(match (method.as_str(), pattern) {
            ("GET", "/api/v1/orchestrations") => read(pattern),
            ("GET", "/api/chaos/orchestration/status") => {
                read(format!("{pattern}?run_id={}", self.running_run().await))
            }
            ("GET", "/api/v1/orchestrations/{id}" | "/api/v1/orchestrations/{id}/export") => {
                read(with(&self.orchestration().await))
            }
            ("POST", "/api/v1/orchestrations/validate") => send(
                pattern,
                Some(json!({"content": orchestration_body("checked").to_string()})),
                200,
            ),
            ("POST", "/api/chaos/orchestration/import" | "/api/v1/orchestrations") => {
                send(pattern, Some(import_body(&self.unique("imported"))), 201)
            }
            ("DELETE", "/api/v1/orchestrations/{id}") => {
                send(with(&self.orchestration().await), no_body, 204)
            }
            ("POST", "/api/chaos/orchestration/start" | "/api/v1/orchestrations/run") => send(
                pattern,
                Some(json!({"id": self.orchestration().await, "speed": 1000.0})),
                202,
            ),
            ("POST", "/api/chaos/orchestration/stop") => send(
                format!("{pattern}?run_id={}", self.running_run().await),
                no_body,
                200,
            ),
            (
                "POST",
                "/api/v1/suites/{id}/pause"
                | "/api/v1/suites/{id}/skip"
                | "/api/v1/suites/{id}/stop",
            ) => send(with(&self.running_run().await), no_body, 200),
            ("POST", "/api/v1/suites/{id}/resume") => {
                send(with(&self.paused_run().await), no_body, 200)
            }
            _ => return None,
        })
    }
}

impl Fixtures<'_> {
    /// The arguments of the orchestration and suite-control server functions.
    pub(super) async fn orchestration_fn_sample(&self, endpoint: &str) -> Option<Value> {
        Some(match endpoint {
            "orchestrations" | "orchestration-names" => json!({}),
            "orchestration" => json!({"id": self.orchestration().await, "version": null}),
            "check-orchestration" => json!({"request": {
                "content": orchestration_body("checked").to_string()
            }}),
            "import-orchestration" => json!({"request": import_body(&self.unique("saved"))}),
            "remove-orchestration" => json!({"id": self.orchestration().await}),
            "start-orchestration" => json!({"request": {
                "id": self.orchestration().await,
                "speed": 1000.0
            }}),
            "suite" | "pause-suite" | "stop-suite" => json!({"id": self.running_run().await}),
            "skip-suite-step" => json!({"id": self.running_run().await, "step": null}),
            "resume-suite" => json!({"id": self.paused_run().await}),
            _ => return None,
        })
    }
}
