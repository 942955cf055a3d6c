//! gRPC with sign-in on (docs/grpc.md, "Access"): the token comes from the
//! `authorization` metadata and each method has its REST twin's role; refusals
//! are UNAUTHENTICATED or PERMISSION_DENIED; state changes are in the audit log,
//! accepted or refused; health and reflection stay open as `/health` is.

use std::time::{Duration, Instant};

use app::api::auth::{AuditEntry, Role};
use server::grpc::proto::{
    execute_scenario_request::Source,
    scenario_execution_service_client::ScenarioExecutionServiceClient, ExecuteOptions,
    ExecuteScenarioRequest, ExecutionStatusRequest, ListExecutionsRequest,
};
use tonic::{transport::Channel, Code, Request};

use crate::{audit_of, helpers::spawn_app_with, helpers::TestApp, settings, user_with_token};

/// `message` with `authorization: <value>` when given.
fn sent<T>(message: T, authorization: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().expect("metadata value"));
    }
    request
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn dry_run() -> ExecuteScenarioRequest {
    ExecuteScenarioRequest {
        source: Some(Source::Scenario("basic-market-disruption".into())),
        parameters: None,
        options: Some(ExecuteOptions {
            speed: 1_000_000.0,
            dry_run: true,
            ..ExecuteOptions::default()
        }),
    }
}

/// The audit rows of `action` once there are `count` of them (written as calls end).
async fn audit_rows(app: &TestApp, action: &str, count: usize) -> Vec<AuditEntry> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = audit_of(app, action).await;
        if rows.len() >= count || Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn grpc_calls_take_their_token_from_metadata_with_the_roles_of_rest() {
    let app = spawn_app_with(settings("users")).await;
    let viewer = bearer(&user_with_token(&app, "vera", Role::Viewer).await);
    let operator = bearer(&user_with_token(&app, "otto", Role::Operator).await);
    let channel = Channel::from_shared(app.base.clone())
        .expect("a URI")
        .connect()
        .await
        .expect("connects");
    let mut client = ScenarioExecutionServiceClient::new(channel.clone());

    for (authorization, why) in [
        (None, "no token"),
        (Some("Bearer tc_not-a-token"), "unknown token"),
        (Some("Basic dmVyYTpwdw=="), "not a bearer token"),
    ] {
        let refused = client
            .list_active_executions(sent(ListExecutionsRequest {}, authorization))
            .await
            .expect_err(why);
        assert_eq!(refused.code(), Code::Unauthenticated, "{why}: {refused:?}");
    }

    client
        .list_active_executions(sent(ListExecutionsRequest {}, Some(&viewer)))
        .await
        .expect("a viewer reads");
    let refused = client
        .execute_scenario(sent(dry_run(), Some(&viewer)))
        .await
        .expect_err("a viewer does not run scenarios");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("operator"), "{refused:?}");

    let accepted = client
        .execute_scenario(sent(dry_run(), Some(&operator)))
        .await
        .expect("an operator runs scenarios")
        .into_inner();
    let status = client
        .get_execution_status(sent(
            ExecutionStatusRequest {
                execution_id: accepted.execution_id.clone(),
            },
            Some(&viewer),
        ))
        .await
        .expect("a viewer reads it")
        .into_inner();
    assert_eq!(status.started_by, "otto (token t)");
    assert_eq!(status.channel, "api");

    // Open, as /health is.
    let health = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("health needs no token")
        .into_inner();
    assert_eq!(
        health.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );

    // The refused and the accepted run, with who, what and how it ended.
    let rows = audit_rows(&app, "execute", 2).await;
    let row = |actor: &str| {
        rows.iter()
            .find(|r| r.actor == actor)
            .unwrap_or_else(|| panic!("{actor} in {rows:?}"))
    };
    let accepted_row = row("otto (token t)");
    assert_eq!(accepted_row.status, 200);
    assert_eq!(
        accepted_row.target.as_deref(),
        Some("basic-market-disruption")
    );
    assert_eq!(row("vera (token t)").status, 403);
}
