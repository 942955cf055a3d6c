//! The teams REST API (`/api/v1/me`, `users`, `tokens`, `audit`): the first
//! admin made with the bootstrap token, and each documented refusal.

use reqwest::Method;
use serde_json::{json, Value};

use crate::{
    audit_of, helpers::spawn_app_with, helpers::TestApp, samples::client, settings, token_for,
};
use app::api::auth::Role;

/// REST calls to an app as the caller with a token (or nobody).
pub struct Api<'a>(pub &'a TestApp, pub Option<&'a str>);

impl Api<'_> {
    /// `method` `path` with `body`: the status and the JSON answer.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = client().request(method, format!("{}{path}", self.0.base));
        if let Some(token) = self.1 {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(Method::POST, path, Some(body)).await
    }
}

/// A refused request: the caller's token, method, path, body; the status,
/// error kind and a part of the message it must get.
type Case<'a> = (
    &'a str,
    Method,
    &'a str,
    Option<Value>,
    u16,
    &'a str,
    &'a str,
);

/// The error kind and message of an answer.
fn error(answer: &Value) -> (&str, &str) {
    let text = |key: &str| answer["error"][key].as_str().unwrap_or_default();
    (text("kind"), text("message"))
}

#[tokio::test]
async fn the_teams_api_makes_the_first_admin_with_the_bootstrap_token_and_says_what_is_wrong() {
    let app = spawn_app_with(settings("users")).await;
    let bootstrap = app
        .coordinator
        .ensure_bootstrap_token()
        .await
        .unwrap()
        .expect("no admin yet");
    let (status, me) = Api(&app, None).get("/api/v1/me").await;
    assert_eq!(
        (status, &me["mode"], &me["principal"]),
        (200, &json!("users"), &Value::Null)
    );

    // The bootstrap token creates the first admin, and nothing else.
    let boot = Api(&app, Some(&bootstrap));
    let (status, answer) = boot.get("/api/v1/users").await;
    assert_eq!(status, 403);
    assert!(
        error(&answer).1.contains("only creates the first admin"),
        "{answer}"
    );
    let run = json!({ "yaml": crate::samples::WAITING });
    assert_eq!(boot.post("/api/v1/scenarios/execute", run).await.0, 403);
    assert_eq!(
        boot.post("/api/v1/tokens", json!({"name": "x"})).await.0,
        403
    );
    let root = json!({"name": "root", "role": "admin", "password": "root-password-long"});
    let (status, answer) = boot.post("/api/v1/users", root).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        (&answer["name"], &answer["role"]),
        (&json!("root"), &json!("admin"))
    );
    let (status, answer) = boot.get("/api/v1/me").await;
    assert_eq!(
        (status, error(&answer).1),
        (401, "token revoked"),
        "creating an admin revoked it"
    );
    let added = audit_of(&app, "add-user").await;
    assert_eq!(
        (
            added[0].actor.as_str(),
            added[0].status,
            added[0].target.as_deref()
        ),
        ("bootstrap", 201, Some("root")),
        "the row names the account the body created"
    );

    let admin = token_for(&app, "root", Role::Admin, "admin").await.0;
    let (status, me) = Api(&app, Some(&admin)).get("/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(
        me["principal"],
        json!({"name": "root", "role": "admin", "via": "token", "token": "admin"})
    );
    let bob = json!({"name": "bob", "role": "operator", "password": "bob-password-long"});
    assert_eq!(
        Api(&app, Some(&admin))
            .post("/api/v1/users", bob.clone())
            .await
            .0,
        201
    );
    let bob_token = token_for(&app, "bob", Role::Operator, "ci").await.0;
    let roots = format!(
        "/api/v1/tokens/{}",
        token_for(&app, "root", Role::Admin, "other").await.1
    );
    let user = |name: &str, role: &str, password: &str| json!({"name": name, "role": role, "password": password});

    // Each mistake: its status, kind, and the field or reason in its message.
    let (a, b) = (admin.as_str(), bob_token.as_str());
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        (a, Method::POST, "/api/v1/users", Some(bob), 409, "conflict", "already exists"),
        (a, Method::POST, "/api/v1/users", Some(user("Bad Name", "viewer", "long-enough-pw")), 400, "invalid_request", "name"),
        (a, Method::POST, "/api/v1/users", Some(user("carol", "viewer", "short")), 400, "invalid_request", "password"),
        (a, Method::POST, "/api/v1/users", Some(user("carol", "chief", "long-enough-pw")), 400, "invalid_request", "role"),
        (a, Method::DELETE, "/api/v1/users/ghost", None, 404, "not_found", "no user ghost"),
        (a, Method::DELETE, "/api/v1/users/root", None, 409, "conflict", "last admin"),
        (b, Method::POST, "/api/v1/users", Some(user("eve", "admin", "long-enough-pw")), 403, "insufficient_role", "needs the admin role"),
        (b, Method::POST, "/api/v1/tokens", Some(json!({"name": "up", "role": "admin"})), 403, "insufficient_role", "at most operator"),
        (b, Method::POST, "/api/v1/tokens", Some(json!({"name": "theirs", "user": "root"})), 403, "insufficient_role", "only an admin"),
        (b, Method::POST, "/api/v1/tokens", Some(json!({"name": "CI"})), 400, "invalid_request", "name"),
        (b, Method::POST, "/api/v1/tokens", Some(json!({"name": "ci", "expires_in": "soon"})), 400, "invalid_request", "expires_in"),
        (a, Method::POST, "/api/v1/tokens", Some(json!({"name": "ci", "user": "ghost"})), 404, "not_found", "no user ghost"),
        (b, Method::DELETE, &roots, None, 404, "not_found", "no token"),
        (b, Method::GET, "/api/v1/audit?limit=0", None, 400, "invalid_request", "limit"),
        (b, Method::GET, "/api/v1/audit?day=yesterday", None, 400, "invalid_request", "day"),
        (b, Method::GET, "/api/v1/audit?colour=red", None, 400, "invalid_request", "colour"),
    ];
    for (token, method, path, body, status, kind, text) in cases {
        let what = format!("{method} {path}");
        let (got, answer) = Api(&app, Some(token)).send(method, path, body).await;
        assert_eq!((got, error(&answer).0), (status, kind), "{what}: {answer}");
        assert!(
            error(&answer).1.contains(text),
            "{what}: {answer} lacks {text:?}"
        );
    }

    // What worked is there: bob lists only his own token; the log by user.
    let bob = Api(&app, Some(&bob_token));
    let (status, tokens) = bob.get("/api/v1/tokens").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = tokens
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["ci"], "a user lists only their own");
    let (status, page) = bob.get("/api/v1/audit?user=bob&limit=5").await;
    assert_eq!(status, 200);
    let entries = page["entries"].as_array().unwrap();
    assert!(!entries.is_empty() && entries.len() <= 5, "{page}");
    assert!(
        entries.iter().all(|e| e["actor"] == "bob (token ci)"),
        "{page}"
    );
    app.stop().await;
}
