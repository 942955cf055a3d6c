//! The table-driven test's fixtures and its table of sample requests: for
//! every REST route and server function, a request that a caller the role
//! table lets through must answer with exactly the status given here. A route
//! or server function missing from these tables fails the test.
//!
//! Every request goes through [`Fixtures::call`] or [`Fixtures::call_fn`],
//! which count those whose rule names an audit action, so that the test can
//! check that the audit log holds exactly one row for each.

use std::cell::Cell;

use reqwest::Method;
use serde_json::{json, Value};
use server::auth::rules;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};

use crate::helpers::TestApp;

#[path = "orchestration_samples.rs"]
mod orchestrations;

/// A scenario that waits an hour: it stays running until it is stopped.
pub const WAITING: &str = "apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {name: waiting}\nspec:\n  phases:\n    - {name: wait, duration: 1h}\n";
/// A library scenario.
const LIBRARY_SCENARIO: &str = "network-partition";
/// A library template.
const TEMPLATE: &str = "exchange-disruption";
/// The user the `sign-in` sample signs in as, and their password.
pub const SIGNER: (&str, &str) = ("signer", "signer-password-long");
/// A password the samples give new accounts.
const PASSWORD: &str = "a-long-password-1";

/// A scenario named `name` of one one-second phase.
pub fn scenario(name: &str) -> String {
    format!("apiVersion: chaos.trading/v1\nkind: Scenario\nmetadata: {{name: {name}}}\nspec:\n  phases:\n    - {{name: wait, duration: 1s}}\n")
}

/// A schedule named `name` of a one-second scenario, due in an hour.
pub fn schedule_body(name: &str) -> Value {
    json!({
        "name": name,
        "yaml": scenario("scheduled"),
        "schedule": {"type": "periodic", "interval_seconds": 3600},
        "options": {"speed": 1000.0},
    })
}

/// A recording document named `name`: a clear of the default proxy 1 s in,
/// an hour long.
pub fn recording_body(name: &str) -> Value {
    json!({
        "scenario": {"name": name},
        "events": [{"timestamp": "2026-01-01T00:00:01Z",
                    "event_type": {"type": "ChaosCleared", "service": "market-data-proxy"}}],
        "recording_started": "2026-01-01T00:00:00Z",
        "total_duration_ms": 3_600_000,
    })
}

/// One request of the table and the status it must get.
pub struct Sample {
    /// Path and query.
    pub path: String,
    /// A JSON body, if any.
    pub body: Option<Value>,
    /// The exact status an allowed caller gets.
    pub status: u16,
}

fn read(path: impl Into<String>) -> Sample {
    send(path, None, 200)
}

fn send(path: impl Into<String>, body: Option<Value>, status: u16) -> Sample {
    Sample {
        path: path.into(),
        body,
        status,
    }
}

/// What the samples refer to, made through the API as an admin: executions
/// finished, running and paused, an uploaded scenario, a suite, users and
/// tokens to remove.
pub struct Fixtures<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    /// The admin's token, for making fixtures.
    admin: String,
    /// Two finished executions of one scenario, the older first.
    finished: [String; 2],
    /// An uploaded scenario.
    uploaded: String,
    /// A suite.
    suite: String,
    /// For unique names.
    made: Cell<u32>,
    /// Requests sent whose rule names an audit action.
    audited: Cell<usize>,
}

impl<'a> Fixtures<'a> {
    /// Makes the shared fixtures on `app` with the admin token `admin`.
    pub async fn new(app: &'a TestApp, admin: &str) -> Self {
        let mut fixtures = Self {
            app,
            http: client(),
            admin: admin.to_owned(),
            finished: Default::default(),
            uploaded: String::new(),
            suite: String::new(),
            made: Cell::new(0),
            audited: Cell::new(0),
        };
        fixtures.finished = [fixtures.completed().await, fixtures.completed().await];
        fixtures.uploaded = fixtures.upload().await;
        let suite = fixtures
            .call_as_admin(
                Method::POST,
                "/api/v1/suites",
                "",
                json!({"scenarios": [{"yaml": scenario("suite-member")}], "speed": 1000.0}),
                202,
            )
            .await;
        fixtures.suite = suite["suite_id"].as_str().expect("suite id").to_owned();
        fixtures
    }

    /// A new schedule's id (made as the admin).
    async fn schedule(&self) -> String {
        let made = self
            .call_as_admin(
                Method::POST,
                "/api/v1/schedules",
                "",
                schedule_body(&self.unique("schedule")),
                201,
            )
            .await;
        made["id"].as_str().expect("schedule id").to_owned()
    }

    /// A new imported recording's id (made as the admin): one clear of the
    /// default proxy, whose chaos API answers with the sandbox off.
    async fn recording(&self) -> String {
        let made = self
            .call_as_admin(
                Method::POST,
                "/api/v1/recordings/import",
                "",
                recording_body(&self.unique("recording")),
                201,
            )
            .await;
        made["id"].as_str().expect("recording id").to_owned()
    }

    /// Ends the recording capturing now, if one is (as the admin).
    async fn stop_capturing(&self) {
        self.call(
            Method::POST,
            "/api/chaos/recording/stop",
            "/api/chaos/recording/stop",
            Some(&self.admin),
            None,
        )
        .await;
    }

    /// A recording capturing now (the only one), started as the admin.
    async fn capturing(&self) -> String {
        self.stop_capturing().await;
        let made = self
            .call_as_admin(
                Method::POST,
                "/api/v1/recordings",
                "",
                json!({"name": self.unique("capturing")}),
                201,
            )
            .await;
        made["id"].as_str().expect("recording id").to_owned()
    }

    /// A replay of a new recording as the admin, `speed` as given; its
    /// execution id once it is `state`.
    async fn replay(&self, speed: Value, state: &str) -> String {
        let recording = self.recording().await;
        let started = self
            .call_as_admin(
                Method::POST,
                "/api/v1/replays",
                "",
                json!({"recording_id": recording, "speed": speed}),
                202,
            )
            .await;
        let id = started["execution_id"]
            .as_str()
            .expect("execution id")
            .to_owned();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let path = format!("/api/v1/replays/{id}");
            let (_, view) = self
                .call(
                    Method::GET,
                    "/api/v1/replays/{id}",
                    &path,
                    Some(&self.admin),
                    None,
                )
                .await;
            let view: Value = serde_json::from_str(&view).unwrap_or_default();
            if view["status"] == state {
                return id;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "replay {id} never became {state}: {view}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// A realtime replay (an hour long) running now.
    async fn running_replay(&self) -> String {
        self.replay(json!("realtime"), "running").await
    }

    /// A realtime replay paused now (as the admin).
    async fn paused_replay(&self) -> String {
        let id = self.running_replay().await;
        self.call_as_admin(
            Method::POST,
            "/api/v1/replays/{id}/pause",
            &id,
            Value::Null,
            200,
        )
        .await;
        id
    }

    /// How many requests sent so far the audit log must hold a row for.
    pub fn audited(&self) -> usize {
        self.audited.get()
    }

    /// A name not used before, starting with `prefix`.
    fn unique(&self, prefix: &str) -> String {
        self.made.set(self.made.get() + 1);
        format!("{prefix}-{}", self.made.get())
    }

    /// The sample of REST route `method` `pattern` for the caller with `token`;
    /// `None` when the table has none (the test fails).
    pub async fn rest_sample(&self, method: &Method, pattern: &str, token: &str) -> Option<Sample> {
        let with = |value: &str| pattern.replace("{id}", value).replace("{name}", value);
        let [older, newer] = &self.finished;
        let no_body = None;
        Some(match (method.as_str(), pattern) {
            (
                "GET",
                "/health"
                | "/metrics"
                | "/api/openapi.json"
                | "/api/v1/me"
                | "/api/v1/scenarios/active"
                | "/api/v1/executions"
                | "/api/v1/scenarios/available"
                | "/api/v1/templates"
                | "/api/v1/catalog"
                | "/api/v1/reports/summary"
                | "/api/v1/metrics/scenario-performance"
                | "/api/v1/system/state"
                | "/api/v1/services"
                | "/api/v1/suites"
                | "/api/v1/tokens"
                | "/api/v1/audit"
                | "/api/v1/users",
            ) => read(pattern),
            (
                "GET",
                "/api/v1/scenarios/{id}/status"
                | "/api/v1/scenarios/{id}/logs"
                | "/api/v1/scenarios/{id}/report",
            ) => read(with(older)),
            ("GET", "/api/v1/executions/compare") => read(format!("{pattern}?a={older}&b={newer}")),
            ("GET", "/debug/execution-timeline") => read(format!("{pattern}?execution_id={older}")),
            ("GET", "/ws/scenario-execution") => {
                send(format!("{pattern}?execution_id={older}"), no_body, 101)
            }
            (
                "GET",
                "/api/v1/scenarios/{id}/definition"
                | "/api/v1/scenarios/{id}/yaml"
                | "/api/v1/scenarios/{id}/versions",
            ) => read(with(&self.uploaded)),
            ("GET", "/api/v1/suites/{id}") => read(with(&self.suite)),
            ("POST", "/api/v1/scenarios/execute") => {
                send(pattern, Some(json!({"yaml": WAITING})), 202)
            }
            (
                "POST",
                "/api/v1/scenarios/{id}/stop"
                | "/api/v1/scenarios/{id}/pause"
                | "/api/v1/scenarios/{id}/skip",
            ) => send(with(&self.running().await), no_body, 200),
            ("POST", "/api/v1/scenarios/{id}/resume") => {
                send(with(&self.paused().await), no_body, 200)
            }
            ("POST", "/api/v1/scenarios/validate") => {
                send(pattern, Some(json!({"yaml": scenario("checked")})), 200)
            }
            ("POST", "/api/v1/templates/{id}/render") => {
                send(with(TEMPLATE), Some(json!({"parameters": {}})), 200)
            }
            ("POST", "/api/v1/scenarios/upload") => {
                let yaml = scenario(&self.unique("uploaded"));
                send(pattern, Some(json!({ "yaml": yaml })), 201)
            }
            ("DELETE", "/api/v1/scenarios/{id}/definition") => {
                send(with(&self.upload().await), no_body, 204)
            }
            ("POST", "/api/v1/services/clear-chaos") => {
                send(pattern, Some(json!({"all": true})), 200)
            }
            // The default proxy in front of market data (its chaos API
            // answers even with the sandbox off); a 1 s fault.
            ("POST", "/api/v1/services/{name}/chaos") => send(
                with("market-data-proxy"),
                Some(json!({"action": "latency", "parameters": {"latency": 1}, "ttl": "1s"})),
                200,
            ),
            ("POST", "/api/v1/suites") => send(
                pattern,
                Some(json!({"scenarios": [{"yaml": scenario("member")}], "speed": 1000.0})),
                202,
            ),
            ("GET", "/api/v1/schedules" | "/api/chaos/schedules") => read(pattern),
            ("GET", "/api/v1/schedules/{id}" | "/api/chaos/schedule/{id}") => {
                read(with(&self.schedule().await))
            }
            ("POST", "/api/v1/schedules/preview") => send(
                pattern,
                Some(
                    json!({"schedule": {"type": "cron", "expression": "0 2 * * 1-5", "time_zone": "Europe/Berlin"}}),
                ),
                200,
            ),
            ("POST", "/api/v1/schedules" | "/api/chaos/schedule") => {
                send(pattern, Some(schedule_body(&self.unique("schedule"))), 201)
            }
            ("DELETE", "/api/v1/schedules/{id}" | "/api/chaos/schedule/{id}") => {
                send(with(&self.schedule().await), no_body, 204)
            }
            (
                "POST",
                "/api/v1/schedules/{id}/enable"
                | "/api/v1/schedules/{id}/disable"
                | "/api/chaos/schedule/{id}/enable"
                | "/api/chaos/schedule/{id}/disable",
            ) => send(with(&self.schedule().await), no_body, 200),
            ("POST", "/api/v1/schedules/{id}/trigger" | "/api/chaos/schedule/{id}/trigger") => {
                send(with(&self.schedule().await), no_body, 202)
            }
            (
                "GET",
                "/api/chaos/recording/status"
                | "/api/v1/recordings/status"
                | "/api/v1/recordings"
                | "/api/chaos/replay/status"
                | "/api/v1/replays",
            ) => read(pattern),
            ("GET", "/api/v1/recordings/{id}" | "/api/v1/recordings/{id}/export") => {
                read(with(&self.recording().await))
            }
            ("POST", "/api/chaos/recording/export") => {
                send(pattern, Some(json!({"id": self.recording().await})), 200)
            }
            ("POST", "/api/v1/recordings/{id}/scenario") => {
                send(with(&self.recording().await), Some(json!({})), 200)
            }
            ("POST", "/api/chaos/recording/start" | "/api/v1/recordings") => {
                self.stop_capturing().await;
                send(pattern, Some(json!({"name": self.unique("started")})), 201)
            }
            ("POST", "/api/chaos/recording/stop" | "/api/v1/recordings/{id}/stop") => {
                send(with(&self.capturing().await), no_body, 200)
            }
            ("POST", "/api/v1/recordings/import") => {
                send(pattern, Some(recording_body(&self.unique("imported"))), 201)
            }
            ("DELETE", "/api/v1/recordings/{id}") => {
                send(with(&self.recording().await), no_body, 204)
            }
            ("POST", "/api/chaos/replay/start" | "/api/v1/replays") => send(
                pattern,
                Some(json!({"recording_id": self.recording().await, "speed": "fast"})),
                202,
            ),
            ("GET", "/api/v1/replays/{id}") => {
                read(with(&self.replay(json!("fast"), "completed").await))
            }
            (
                "POST",
                "/api/chaos/replay/pause"
                | "/api/v1/replays/{id}/pause"
                | "/api/chaos/replay/stop"
                | "/api/v1/replays/{id}/stop",
            ) => send(with(&self.running_replay().await), no_body, 200),
            ("POST", "/api/chaos/replay/resume" | "/api/v1/replays/{id}/resume") => {
                send(with(&self.paused_replay().await), no_body, 200)
            }
            ("POST", "/api/v1/tokens") => send(pattern, Some(json!({"name": "made-here"})), 201),
            ("DELETE", "/api/v1/tokens/{id}") => {
                send(with(&self.own_token(token).await), no_body, 204)
            }
            ("POST", "/api/v1/users") => {
                let user =
                    json!({"name": self.unique("new"), "role": "viewer", "password": PASSWORD});
                send(pattern, Some(user), 201)
            }
            ("DELETE", "/api/v1/users/{name}") => send(with(&self.user().await), no_body, 204),
            _ => return self.orchestration_rest_sample(method, pattern).await,
        })
    }

    /// The arguments of server function `endpoint` for the caller with
    /// `token` (every server function answers 200); `None` when the table has
    /// none (the test fails).
    pub async fn server_fn_sample(&self, endpoint: &str, token: &str) -> Option<Value> {
        let [older, newer] = &self.finished;
        Some(match endpoint {
            "me" | "sign-out" | "overview" | "services" | "library" | "scenario-cards"
            | "catalog" | "active" | "service-states" | "active-progress" | "tokens" | "users" => {
                json!({})
            }
            "executions" => json!({"limit": 5}),
            "history" => json!({"query": {"limit": 10, "offset": 0}}),
            "audit" => json!({"query": {}}),
            "scenario" => json!({ "name": LIBRARY_SCENARIO }),
            "execution" | "previous-execution" => json!({ "id": newer }),
            "compare" => json!({"a": older, "b": newer}),
            "scenario-versions" => json!({"name": self.uploaded}),
            "sign-in" => json!({"request": {"name": SIGNER.0, "password": SIGNER.1}}),
            "create-token" => json!({"request": {"name": "made-here"}}),
            "revoke-token" => json!({"id": self.own_token(token).await}),
            "execute" => json!({"request": {"yaml": WAITING}}),
            "control" => json!({"id": self.running().await, "command": "stop"}),
            "rerun-execution" => json!({ "id": older }),
            "save-scenario" => {
                json!({"yaml": scenario(&self.unique("saved")), "opened_from": null})
            }
            "duplicate-scenario" => {
                json!({"name": self.uploaded, "new_name": self.unique("copy")})
            }
            "archive-scenario" => json!({"name": self.upload().await}),
            "clear-chaos" => json!({ "service": null }),
            "inject-chaos" => json!({
                "service": "market-data-proxy",
                "request": {"action": "latency", "parameters": {"latency": 1}, "ttl": "1s"}
            }),
            "add-user" => {
                json!({"user": {"name": self.unique("new"), "role": "viewer", "password": PASSWORD}})
            }
            "remove-user" => json!({"name": self.user().await}),
            "schedules" => json!({}),
            "schedule" | "trigger-schedule" | "remove-schedule" => {
                json!({"id": self.schedule().await})
            }
            "preview-schedule" => json!({"request": {
                "schedule": {"type": "cron", "expression": "0 2 * * 1-5", "time_zone": "Europe/Berlin"}
            }}),
            "create-schedule" => json!({"request": schedule_body(&self.unique("schedule"))}),
            "set-schedule-enabled" => json!({"id": self.schedule().await, "enabled": false}),
            "recordings" | "recording-status" => json!({}),
            "recording" | "remove-recording" => json!({"id": self.recording().await}),
            "recording-scenario" => json!({
                "id": self.recording().await,
                "shape": {"skip_initial_delay": true, "event_types": ["ChaosCleared"]}
            }),
            "start-recording" => {
                self.stop_capturing().await;
                json!({"request": {
                    "name": self.unique("recording"),
                    "services": ["market-data-proxy"],
                    "max_events": 100
                }})
            }
            "stop-recording" => json!({"id": self.capturing().await}),
            "import-recording" => json!({
                "text": recording_body(&self.unique("imported")).to_string()
            }),
            "start-replay" => json!({"request": {
                "recording_id": self.recording().await,
                "speed": "fast"
            }}),
            "replay" => json!({"execution_id": self.replay(json!("fast"), "completed").await}),
            "pause-replay" | "stop-replay" => {
                json!({"execution_id": self.running_replay().await})
            }
            "resume-replay" => json!({"execution_id": self.paused_replay().await}),
            _ => return self.orchestration_fn_sample(endpoint).await,
        })
    }

    /// Sends REST route `method` `pattern` as `path` (the WebSocket as a
    /// handshake) with `token`: the status and the body's text.
    pub async fn call(
        &self,
        method: Method,
        pattern: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, String) {
        if rules::rest_rule(&method, pattern, true).is_some_and(|r| r.action.is_some()) {
            self.audited.set(self.audited.get() + 1);
        }
        let url = format!("{}{path}", self.app.base);
        if pattern.starts_with("/ws/") {
            return handshake(&url, token).await;
        }
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Calls server function `endpoint` with `body` and `token`, with the
    /// pre-sign-in double submit so that only roles decide: the status and text.
    pub async fn call_fn(
        &self,
        endpoint: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (u16, String) {
        if rules::server_fn_rule(endpoint).is_some_and(|r| r.action.is_some()) {
            self.audited.set(self.audited.get() + 1);
        }
        let mut request = self
            .http
            .post(format!("{}/api/{endpoint}", self.app.base))
            .header("cookie", "tc_csrf=double-submit")
            .header("x-csrf-token", "double-submit")
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Route `method` `pattern` with `{id}` (or `{name}`) `id`, as the admin,
    /// which must answer `status`; the answer's JSON.
    async fn call_as_admin(
        &self,
        method: Method,
        pattern: &str,
        id: &str,
        body: Value,
        status: u16,
    ) -> Value {
        let path = pattern.replace("{id}", id).replace("{name}", id);
        let body = (!body.is_null()).then_some(body);
        let (got, text) = self
            .call(
                method.clone(),
                pattern,
                &path,
                Some(&self.admin),
                body.as_ref(),
            )
            .await;
        assert_eq!(got, status, "fixture {method} {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Starts `request` as the admin and waits until the execution is `state`.
    async fn execution(&self, request: Value, state: &str) -> String {
        let accepted = self
            .call_as_admin(Method::POST, "/api/v1/scenarios/execute", "", request, 202)
            .await;
        let id = accepted["execution_id"]
            .as_str()
            .expect("execution id")
            .to_owned();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let path = format!("/api/v1/scenarios/{id}/status");
            let (_, detail) = self
                .call(
                    Method::GET,
                    "/api/v1/scenarios/{id}/status",
                    &path,
                    Some(&self.admin),
                    None,
                )
                .await;
            let detail: Value = serde_json::from_str(&detail).unwrap_or_default();
            if detail["status"] == state {
                return id;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{id} never got {state}: {detail}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// An execution that ended (completed).
    async fn completed(&self) -> String {
        let request = json!({"yaml": scenario("quick"), "options": {"speed": 1000.0}});
        self.execution(request, "completed").await
    }

    /// An execution running (for an hour, unless stopped).
    async fn running(&self) -> String {
        self.execution(json!({ "yaml": WAITING }), "running").await
    }

    /// An execution paused.
    async fn paused(&self) -> String {
        let id = self.running().await;
        let pattern = "/api/v1/scenarios/{id}/pause";
        self.call_as_admin(Method::POST, pattern, &id, Value::Null, 200)
            .await;
        id
    }

    /// A new uploaded scenario's name.
    async fn upload(&self) -> String {
        let name = self.unique("upload");
        let body = json!({ "yaml": scenario(&name) });
        self.call_as_admin(Method::POST, "/api/v1/scenarios/upload", "", body, 201)
            .await;
        name
    }

    /// A new viewer's name.
    async fn user(&self) -> String {
        let name = self.unique("user");
        let body = json!({"name": name, "role": "viewer", "password": PASSWORD});
        self.call_as_admin(Method::POST, "/api/v1/users", "", body, 201)
            .await;
        name
    }

    /// The id of a new token of the caller with `token`.
    async fn own_token(&self, token: &str) -> String {
        let (status, text) = self
            .call(
                Method::POST,
                "/api/v1/tokens",
                "/api/v1/tokens",
                Some(token),
                Some(&json!({"name": "spare"})),
            )
            .await;
        assert_eq!(status, 201, "fixture token: {text}");
        let created: Value = serde_json::from_str(&text).unwrap();
        created["info"]["id"].as_str().unwrap().to_owned()
    }
}

/// An HTTP client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A WebSocket handshake to `url` (http) with `token`: 101, or the refusal's
/// status and body.
async fn handshake(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = url.replacen("http", "ws", 1).into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => (response.status().as_u16(), String::new()),
        Err(tungstenite::Error::Http(response)) => (
            response.status().as_u16(),
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned(),
        ),
        Err(error) => panic!("WebSocket handshake to {url}: {error}"),
    }
}
