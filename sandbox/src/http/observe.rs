//! Observation (and trading) endpoints under `/api/v1/`, per service.
//!
//! Each handler passes the availability gate first (so chaos on a service
//! affects its API), then reads the world under the lock and answers JSON.
//! docs/sandbox.md documents every endpoint and field.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{execution_id, ApiError, Ctx};
use crate::audit::AuditQuery;
use crate::exchange::{OrderFailure, OrderRequest};
use crate::market_data::SYMBOLS;
use crate::service::Service;
use crate::trading::Submission;

type Q = Query<BTreeMap<String, String>>;
type ApiResult = Result<Json<Value>, ApiError>;

/// The `/api/v1` routes of `service`.
pub fn router(service: Service) -> Router<Ctx> {
    let r = Router::new();
    match service {
        Service::MarketDataSimulator => r
            .route("/api/v1/prices", get(prices))
            .route("/api/v1/prices/{symbol}", get(price))
            .route("/api/v1/prices/{symbol}/history", get(price_history)),
        Service::ExchangeSimulator => r
            .route("/api/v1/books", get(books))
            .route("/api/v1/books/{symbol}", get(book))
            .route("/api/v1/orders", post(place_order).get(list_orders))
            .route("/api/v1/orders/{id}", get(get_order).delete(cancel_order))
            .route("/api/v1/orders/{id}/cancel", post(cancel_order))
            .route("/api/v1/stats", get(order_stats)),
        Service::TradingEngine => r
            .route("/api/v1/strategies", get(strategies))
            .route("/api/v1/strategies/{name}", get(strategy))
            .route("/api/v1/strategies/{name}/start", post(start_strategy))
            .route("/api/v1/strategies/{name}/stop", post(stop_strategy))
            .route("/api/v1/performance", get(performance))
            .route("/api/v1/positions", get(positions)),
        Service::CustodianSimulator => r
            .route("/api/v1/balances", get(balances))
            .route("/api/v1/settlements", get(settlements)),
        Service::RiskMonitor => r
            .route("/api/v1/alerts", get(alerts))
            .route("/api/v1/alerts/active", get(active_alerts))
            .route("/api/v1/positions", get(positions))
            .route("/api/v1/summary", get(risk_summary)),
        Service::AuditCorrelator => r
            .route("/api/v1/events", get(events))
            .route("/api/v1/correlations/{id}", get(correlation)),
    }
}

fn not_found(what: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
}

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", message)
}

fn limit(q: &BTreeMap<String, String>, default: usize) -> Result<usize, ApiError> {
    match q.get("limit") {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| bad_query("`limit` must be a whole number")),
    }
}

fn stamp(ctx: &Ctx, mut v: Value) -> Json<Value> {
    let now = ctx.shared.world().clock.now();
    if let Value::Object(m) = &mut v {
        m.insert("sim_time_s".into(), json!(now));
    }
    Json(v)
}

// ---- market-data-simulator -------------------------------------------------

async fn prices(State(ctx): State<Ctx>) -> ApiResult {
    ctx.pass("get_prices", None).await?;
    let w = ctx.shared.world();
    let chaos = w.chaos_of(Service::MarketDataSimulator);
    let v = json!({"prices": w.market.views(&chaos), "sim_time_s": w.clock.now()});
    Ok(Json(v))
}

async fn price(State(ctx): State<Ctx>, Path(symbol): Path<String>) -> ApiResult {
    ctx.pass("get_price", None).await?;
    let w = ctx.shared.world();
    let chaos = w.chaos_of(Service::MarketDataSimulator);
    let view = w
        .market
        .view(&symbol, &chaos)
        .ok_or_else(|| not_found(format!("unknown symbol `{symbol}`")))?;
    let mut v = json!(view);
    v["sim_time_s"] = json!(w.clock.now());
    Ok(Json(v))
}

async fn price_history(
    State(ctx): State<Ctx>,
    Path(symbol): Path<String>,
    Query(q): Q,
) -> ApiResult {
    ctx.pass("get_history", None).await?;
    let limit = limit(&q, 240)?;
    let w = ctx.shared.world();
    let points = w
        .market
        .history(&symbol, limit)
        .ok_or_else(|| not_found(format!("unknown symbol `{symbol}`")))?;
    let points: Vec<Value> = points
        .into_iter()
        .map(|(t, p)| json!({"sim_time_s": t, "price": p}))
        .collect();
    Ok(Json(
        json!({"symbol": symbol, "interval_s": 60, "points": points}),
    ))
}

// ---- exchange-simulator ----------------------------------------------------

async fn books(State(ctx): State<Ctx>) -> ApiResult {
    ctx.pass("get_book", None).await?;
    let books = ctx.shared.world().books();
    Ok(stamp(&ctx, json!({"books": books})))
}

async fn book(State(ctx): State<Ctx>, Path(symbol): Path<String>) -> ApiResult {
    ctx.pass("get_book", None).await?;
    let w = ctx.shared.world();
    let chaos = w.chaos_of(Service::ExchangeSimulator);
    let book = w
        .exchange
        .book(&symbol, &w.market, &chaos, true)
        .ok_or_else(|| not_found(format!("unknown symbol `{symbol}`")))?;
    Ok(Json(json!(book)))
}

fn order_response(ctx: &Ctx, sub: Submission) -> (f64, Result<Json<Value>, ApiError>) {
    let latency = sub.latency_ms;
    let result = match sub.result {
        Ok(order) => Ok(Json(json!(order))),
        Err(failure) => {
            let status = match failure {
                OrderFailure::Down | OrderFailure::DatabaseError => StatusCode::SERVICE_UNAVAILABLE,
                OrderFailure::Partitioned => StatusCode::GATEWAY_TIMEOUT,
                OrderFailure::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                OrderFailure::Rejected(_) | OrderFailure::Invalid(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                OrderFailure::NotFound => StatusCode::NOT_FOUND,
                OrderFailure::NotOpen => StatusCode::CONFLICT,
            };
            Err(ApiError::new(status, failure.kind(), failure.message())
                .with_details(json!({"latency_ms": latency, "service": ctx.service.name()})))
        }
    };
    (latency, result)
}

async fn finish_order(ctx: &Ctx, sub: Submission) -> ApiResult {
    let partitioned = matches!(sub.result, Err(OrderFailure::Partitioned));
    if partitioned {
        return Err(ctx.hang().await);
    }
    let scale = ctx.shared.world().clock.scale();
    let (latency, result) = order_response(ctx, sub);
    ctx.wait_sim(latency, scale).await;
    result
}

async fn place_order(State(ctx): State<Ctx>, body: Bytes) -> ApiResult {
    let req: OrderRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter", format!("invalid order: {e}"))
            .with_details(json!({"expected": {"account": "string", "symbol": "BASE-QUOTE", "side": "buy|sell", "type": "market|limit", "quantity": "number", "price": "number (limit)", "client_order_id": "string?"}}))
    })?;
    let sub = ctx.shared.world().place_order(req);
    finish_order(&ctx, sub).await
}

async fn cancel_order(State(ctx): State<Ctx>, Path(id): Path<String>, Query(q): Q) -> ApiResult {
    let sub = ctx
        .shared
        .world()
        .cancel_order(q.get("account").map(String::as_str), &id);
    finish_order(&ctx, sub).await
}

async fn list_orders(State(ctx): State<Ctx>, Query(q): Q) -> ApiResult {
    let account = q.get("account").cloned();
    ctx.pass("list_orders", account.as_deref()).await?;
    let limit = limit(&q, 100)?;
    let orders = ctx
        .shared
        .world()
        .exchange
        .orders(account.as_deref(), limit);
    Ok(stamp(&ctx, json!({"account": account, "orders": orders})))
}

async fn get_order(State(ctx): State<Ctx>, Path(id): Path<String>) -> ApiResult {
    ctx.pass("get_order", None).await?;
    let order = ctx.shared.world().exchange.find(&id).cloned();
    order
        .map(|o| Json(json!(o)))
        .ok_or_else(|| not_found(format!("no order `{id}`")))
}

async fn order_stats(State(ctx): State<Ctx>) -> ApiResult {
    ctx.pass("get_stats", None).await?;
    let stats = ctx.shared.world().exchange.stats();
    Ok(stamp(&ctx, stats))
}

// ---- trading-engine --------------------------------------------------------

async fn strategies(State(ctx): State<Ctx>) -> ApiResult {
    ctx.pass("list_strategies", None).await?;
    let w = ctx.shared.world();
    let now = w.clock.now();
    let list: Vec<Value> = w
        .engine
        .strategies()
        .iter()
        .map(|s| s.to_json(now, &w.market))
        .collect();
    Ok(Json(json!({"strategies": list, "sim_time_s": now})))
}

async fn strategy(State(ctx): State<Ctx>, Path(name): Path<String>) -> ApiResult {
    ctx.pass("get_strategy", None).await?;
    let w = ctx.shared.world();
    let now = w.clock.now();
    let s = w
        .engine
        .strategy(&name)
        .ok_or_else(|| not_found(format!("unknown strategy `{name}`")))?;
    Ok(Json(s.to_json(now, &w.market)))
}

async fn start_strategy(
    State(ctx): State<Ctx>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let config: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| bad_query(format!("the body is not valid JSON: {e}")))?
    };
    let params = json!({"strategy": name, "config": config});
    run_action(&ctx, "start_strategy", params, &headers)
}

async fn stop_strategy(
    State(ctx): State<Ctx>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    run_action(&ctx, "stop_strategy", json!({"strategy": name}), &headers)
}

fn run_action(ctx: &Ctx, action: &str, params: Value, headers: &HeaderMap) -> ApiResult {
    let result = ctx
        .shared
        .world()
        .inject(ctx.service, action, &params, execution_id(headers));
    result.map(Json).map_err(super::chaos_error)
}

async fn performance(State(ctx): State<Ctx>) -> ApiResult {
    ctx.pass("get_performance", None).await?;
    let w = ctx.shared.world();
    let now = w.clock.now();
    let running: Vec<_> = w
        .engine
        .strategies()
        .iter()
        .filter(|s| s.state() == crate::trading::StrategyState::Running)
        .collect();
    let per: Vec<Value> = w
        .engine
        .strategies()
        .iter()
        .map(|s| {
            let f = s.figures(now);
            json!({
                "name": s.name(),
                "state": s.state(),
                "p95_latency_ms": f.p95_latency_ms,
                "success_rate": f.success_rate,
                "fill_ratio": f.fill_ratio,
                "orders_per_minute": f.orders_per_minute,
                "degraded": s.degraded(now),
                "normalized": s.normalized(now),
                "adapted": s.adapted(),
            })
        })
        .collect();
    Ok(Json(json!({
        "running": running.len(),
        "degraded": running.is_empty() || running.iter().any(|s| s.degraded(now)),
        "normalized": !running.is_empty() && running.iter().all(|s| s.normalized(now)),
        "adapted": running.iter().any(|s| s.adapted()),
        "strategies": per,
        "sim_time_s": now,
    })))
}

async fn positions(State(ctx): State<Ctx>) -> ApiResult {
    ctx.pass("get_positions", None).await?;
    let w = ctx.shared.world();
    let list: Vec<Value> = w
        .engine
        .strategies()
        .iter()
        .map(|s| {
            json!({
                "strategy": s.name(),
                "account": s.account(),
                "asset": s.asset(),
                "position": s.position(),
                "limit": s.limit(),
                "utilization": if s.limit() > 0.0 { s.position().abs() / s.limit() } else { 0.0 },
                "breached": s.position().abs() > s.limit(),
            })
        })
        .collect();
    let breached = list.iter().any(|p| p["breached"] == json!(true));
    Ok(Json(
        json!({"positions": list, "any_breached": breached, "sim_time_s": w.clock.now()}),
    ))
}

// ---- custodian-simulator ---------------------------------------------------

async fn balances(State(ctx): State<Ctx>, Query(q): Q) -> ApiResult {
    let account = q.get("account").cloned();
    ctx.pass("get_balances", account.as_deref()).await?;
    let v = ctx.shared.world().custodian.balances(account.as_deref());
    Ok(stamp(&ctx, v))
}

async fn settlements(State(ctx): State<Ctx>, Query(q): Q) -> ApiResult {
    ctx.pass("list_settlements", None).await?;
    let limit = limit(&q, 100)?;
    let v = ctx.shared.world().custodian.settlements(
        q.get("state").map(String::as_str),
        q.get("type").map(String::as_str),
        limit,
    );
    Ok(stamp(&ctx, v))
}

// ---- risk-monitor ----------------------------------------------------------

async fn alerts(State(ctx): State<Ctx>, Query(q): Q) -> ApiResult {
    ctx.pass("list_alerts", None).await?;
    let state = q.get("state").map(String::as_str).unwrap_or("all");
    if !["active", "resolved", "all"].contains(&state) {
        return Err(bad_query("`state` must be active, resolved or all"));
    }
    let w = ctx.shared.world();
    let mut list = Vec::new();
    if state != "resolved" {
        list.extend(w.risk.active());
    }
    if state != "active" {
        list.extend(w.risk.resolved());
    }
    list.retain(|a| {
        q.get("type").is_none_or(|t| a.alert_type == t)
            && q.get("subject").is_none_or(|s| &a.subject == s)
    });
    list.sort_by(|a, b| a.id.cmp(&b.id));
    let active = list.iter().filter(|a| a.active).count();
    Ok(Json(json!({
        "alerts": list,
        "active_count": active,
        "resolved_count": list.len() - active,
        "sim_time_s": w.clock.now(),
    })))
}

async fn active_alerts(State(ctx): State<Ctx>) -> ApiResult {
    ctx.pass("list_alerts", None).await?;
    let w = ctx.shared.world();
    let list = w.risk.active();
    Ok(Json(
        json!({"alerts": list, "active_count": list.len(), "sim_time_s": w.clock.now()}),
    ))
}

async fn risk_summary(State(ctx): State<Ctx>) -> ApiResult {
    ctx.pass("get_summary", None).await?;
    let w = ctx.shared.world();
    let active = w.risk.active();
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, usize> = BTreeMap::new();
    for a in &active {
        *by_type.entry(a.alert_type).or_default() += 1;
        let sev = serde_json::to_value(a.severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        *by_severity.entry(sev).or_default() += 1;
    }
    Ok(Json(json!({
        "active_count": active.len(),
        "active_by_type": by_type,
        "active_by_severity": by_severity,
        "escalated": by_type.contains_key("risk_escalation"),
        "resolved_count": w.risk.resolved().len(),
        "thresholds": {
            "execution_latency_p95_ms": crate::risk::LATENCY_THRESHOLD_MS,
            "correlation_breach_deviation": crate::risk::PEG_BREACH,
            "correlation_breach_critical": crate::risk::PEG_CRITICAL,
            "price_divergence": crate::risk::DIVERGENCE,
            "liquidity_crisis_spread_ratio": crate::risk::SPREAD_RATIO,
            "risk_escalation_critical_alerts": crate::risk::ESCALATION_COUNT,
        },
        "symbols": SYMBOLS.iter().map(|s| s.name).collect::<Vec<_>>(),
        "sim_time_s": w.clock.now(),
    })))
}

// ---- audit-correlator ------------------------------------------------------

async fn events(State(ctx): State<Ctx>, Query(q): Q) -> ApiResult {
    ctx.pass("list_events", None).await?;
    let query = AuditQuery {
        correlation_id: q.get("correlation_id").cloned(),
        since: q.get("since").cloned(),
        until: q.get("until").cloned(),
        kind: q.get("kind").cloned(),
        service: q.get("service").cloned(),
        limit: Some(limit(&q, 1_000)?),
    };
    let events = ctx.shared.world().audit.query(&query).map_err(bad_query)?;
    Ok(stamp(
        &ctx,
        json!({"count": events.len(), "events": events}),
    ))
}

async fn correlation(State(ctx): State<Ctx>, Path(id): Path<String>) -> ApiResult {
    ctx.pass("list_events", None).await?;
    let query = AuditQuery {
        correlation_id: Some(id.clone()),
        limit: Some(10_000),
        ..Default::default()
    };
    let events = ctx.shared.world().audit.query(&query).map_err(bad_query)?;
    let mut services: Vec<&str> = events.iter().map(|e| e.service).collect();
    services.sort_unstable();
    services.dedup();
    let mut kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    Ok(Json(json!({
        "correlation_id": id,
        "count": events.len(),
        "services": services,
        "kinds": kinds,
        "first_at": events.first().map(|e| e.at.clone()),
        "last_at": events.last().map(|e| e.at.clone()),
        "events": events,
    })))
}
