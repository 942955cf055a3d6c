//! Every file of the built-in library (`scenarios/`), run by the real engine against
//! a fresh sandbox at a high speed: each must complete with every assertion held and
//! leave no chaos behind. Templates run with their defaults (the seed's
//! `exchange-disruption`, which has required parameters, with the seed's own example).
//! Speeds stay at or below 3600: the sandbox's simulation falls behind (and drops
//! sim time) when a loaded 2-core machine cannot keep up, which would make long
//! recovery windows flaky.

use app::{api::ExecutionStatus, scenario::template::ParameterValues};
use server::{
    engine::event::{Event, EventKind},
    prepare::Source,
};

use crate::helpers::{spawn_app_with_sandbox, SCENARIO_RUNS};

/// Runs `source` at `speed` against a sandbox of its own and checks the outcome.
async fn passes(source: Source, speed: f64) {
    let what = format!("{source:?}");
    let _turn = SCENARIO_RUNS.lock().await;
    let (app, sandbox) = spawn_app_with_sandbox().await;
    let (status, events) = app.run(source, speed).await;
    let started = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::AssertionStarted { .. }))
        .count();
    assert_eq!(failed_assertions(&events), Vec::<String>::new(), "{what}");
    assert_eq!(
        status,
        ExecutionStatus::Completed,
        "{what}: {}",
        verdict(&events)
    );
    assert!(started > 0, "{what} checks nothing");
    assert_eq!(
        passed_assertions(&events),
        started,
        "{what}: every planned assertion held"
    );
    // A completed scenario cleans up after itself: no service keeps active chaos.
    for (service, address) in sandbox.services() {
        let status: serde_json::Value = app
            .client
            .get(format!("http://{address}/chaos/status"))
            .send()
            .await
            .expect("the chaos API answers")
            .json()
            .await
            .expect("chaos status is JSON");
        assert_eq!(
            status["active"],
            serde_json::json!([]),
            "{what} left chaos on {service}: {status}"
        );
    }
    // …nor does the fault-injection proxy in front of one of them.
    for service in app.coordinator.config().services.values() {
        if service.proxy.is_none() {
            continue;
        }
        let url = format!(
            "{}{}/status",
            service.chaos_base().as_str().trim_end_matches('/'),
            service.chaos_api_path.as_deref().unwrap_or_default()
        );
        let status: serde_json::Value = app
            .client
            .get(url)
            .send()
            .await
            .expect("the proxies' chaos API answers")
            .json()
            .await
            .expect("chaos status is JSON");
        assert_eq!(
            status["active"],
            serde_json::json!([]),
            "{what} left chaos on {}: {status}",
            service.name
        );
    }
    app.stop().await;
    sandbox.shutdown().await;
}

fn failed_assertions(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::AssertionFinished {
                kind,
                expect,
                result,
                ..
            } if !result.passed => Some(format!("{kind} = {expect}: {}", result.message)),
            _ => None,
        })
        .collect()
}

fn passed_assertions(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::AssertionFinished { result, .. } if result.passed))
        .count()
}

fn verdict(events: &[Event]) -> String {
    events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ExecutionFinished { verdict, .. } => Some(format!("{verdict:?}")),
            _ => None,
        })
        .unwrap_or_default()
}

fn library(name: &str) -> Source {
    Source::Library(name.into())
}

/// A template with `values`; a template given no values at all is only
/// validated, so the templates whose parameters all have defaults are given one
/// default explicitly.
fn template(name: &str, values: &[(&str, &str)]) -> Source {
    Source::Template {
        template: name.into(),
        parameters: values
            .iter()
            .fold(ParameterValues::new(), |p, (k, v)| p.with(*k, *v)),
    }
}

// ---- the seed's own examples, verbatim ----

#[tokio::test]
async fn basic_market_disruption() {
    passes(library("basic-market-disruption"), 600.0).await;
}

#[tokio::test]
async fn stablecoin_depeg_scenario() {
    passes(library("stablecoin-depeg-scenario"), 3600.0).await;
}

#[tokio::test]
async fn exchange_disruption_template_with_the_seed_example() {
    passes(
        template(
            "exchange-disruption",
            &[
                ("target_exchange", "exchange-simulator"),
                ("disruption_type", "latency"),
                ("duration", "10m"),
            ],
        ),
        600.0,
    )
    .await;
}

// ---- the seed's built-in library ----

#[tokio::test]
async fn market_crash() {
    passes(library("market-crash"), 600.0).await;
}

#[tokio::test]
async fn volatility_spike() {
    passes(library("volatility-spike"), 3600.0).await;
}

#[tokio::test]
async fn strategy_runaway() {
    passes(library("strategy-runaway"), 300.0).await;
}

#[tokio::test]
async fn risk_system_test() {
    passes(library("risk-system-test"), 600.0).await;
}

#[tokio::test]
async fn custodian_offline() {
    passes(library("custodian-offline"), 3600.0).await;
}

#[tokio::test]
async fn settlement_cascade_failure() {
    passes(library("settlement-cascade-failure"), 3600.0).await;
}

// ---- N1V1's chaos suite ----

/// The N1V1 scenarios drive a real-time workload (50 orders/s) whose figures
/// judge them: at this speed their chaos phases still see 100+ requests.
const N1V1_SPEED: f64 = 30.0;

#[tokio::test]
async fn network_partition() {
    passes(library("network-partition"), N1V1_SPEED).await;
}

/// Real traffic through the default proxy, real added latency: at speed 4 its
/// 5 s metric windows still hold about 25 reads each.
#[tokio::test]
async fn proxy_latency() {
    passes(library("proxy-latency"), 4.0).await;
}

#[tokio::test]
async fn rate_limit_flood() {
    passes(library("rate-limit-flood"), N1V1_SPEED).await;
}

#[tokio::test]
async fn exchange_downtime() {
    passes(library("exchange-downtime"), N1V1_SPEED).await;
}

#[tokio::test]
async fn database_outage() {
    passes(library("database-outage"), N1V1_SPEED).await;
}

/// N1V1's load stress: real-time rates, so real time (55 s).
#[tokio::test]
async fn load_stress() {
    passes(library("load-stress"), 1.0).await;
}

// ---- seed 003: restart a service and validate its recovery ----

#[tokio::test]
async fn service_restart_recovery() {
    passes(library("service-restart-recovery"), 600.0).await;
}

// ---- templates, with their defaults ----

#[tokio::test]
async fn stablecoin_depeg_template() {
    passes(
        template("stablecoin-depeg", &[("symbol", "USDT-USD")]),
        3600.0,
    )
    .await;
}

#[tokio::test]
async fn market_shock_template() {
    passes(template("market-shock", &[("pattern", "sudden")]), 1200.0).await;
}
