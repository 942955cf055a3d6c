//! The gate's pure helpers: bearer parsing, proxy trust, audit targets.

use super::*;

#[test]
fn bearer_takes_only_the_bearer_scheme() {
    assert_eq!(bearer(&HeaderValue::from_static("Bearer abc")), Some("abc"));
    assert_eq!(
        bearer(&HeaderValue::from_static("bearer  abc ")),
        Some("abc")
    );
    assert_eq!(bearer(&HeaderValue::from_static("Basic abc")), None);
    assert_eq!(bearer(&HeaderValue::from_static("Bearer ")), None);
}

#[test]
fn targets_come_from_the_arguments_the_use_case_names() {
    let t = |v: Value| target_of(&v);
    assert_eq!(
        t(serde_json::json!({"id": "e1", "command": "stop"})),
        Some("e1".into())
    );
    assert_eq!(
        t(serde_json::json!({"name": "a", "new_name": "b"})),
        Some("a -> b".into())
    );
    assert_eq!(
        t(serde_json::json!({"service": "orders"})),
        Some("orders".into())
    );
    assert_eq!(
        t(serde_json::json!({"request": {"scenario": "s"}})),
        Some("s".into())
    );
    assert_eq!(
        t(serde_json::json!({"user": {"name": "bob"}})),
        Some("bob".into())
    );
    assert_eq!(
        t(serde_json::json!({"yaml": "x: 1\nname: \"flaky\"\n"})),
        Some("flaky".into())
    );
    // REST bodies: a scenario to run, an account or a token to create.
    assert_eq!(
        t(serde_json::json!({"scenario": "market-crash", "options": {"speed": 60}})),
        Some("market-crash".into())
    );
    assert_eq!(
        t(serde_json::json!({"template": "latency-sweep", "parameters": {}})),
        Some("latency-sweep".into())
    );
    assert_eq!(
        t(serde_json::json!({"name": "ci", "role": "operator"})),
        Some("ci".into())
    );
    assert_eq!(t(serde_json::json!({"service": null})), None);
}

#[test]
fn forwarded_for_is_believed_from_trusted_proxies_only() {
    let proxy = ProxyConfig {
        trusted: vec!["10.0.0.0/8".parse().unwrap()],
        user_header: "x-forwarded-user".into(),
        email_header: "x-forwarded-email".into(),
        groups_header: "x-forwarded-groups".into(),
        groups: Default::default(),
        default_role: None,
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        HeaderValue::from_static("203.0.113.9, 10.0.0.2"),
    );
    let peer: IpAddr = "10.0.0.1".parse().unwrap();
    assert_eq!(
        client_address(&headers, Some(peer), true, &proxy),
        "203.0.113.9"
    );
    assert_eq!(
        client_address(&headers, Some(peer), false, &proxy),
        "10.0.0.1"
    );
}

#[test]
fn secrets_compare_equal_only_when_equal() {
    assert!(same_secret("abc", "abc"));
    assert!(!same_secret("abc", "abd"));
    assert!(!same_secret("abc", "ab"));
}
