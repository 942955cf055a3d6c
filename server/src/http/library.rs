//! The library over REST: the scenarios and templates one can run, filtered.
//! Handlers only translate HTTP to a [`Coordinator`] call and back.

use std::collections::BTreeMap;

use axum::{
    extract::{Query, State},
    Json,
};
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::Result;
use crate::state::AppState;

/// The routes of this resource, each registered with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(available_scenarios))
        .routes(routes!(list_templates))
}

/// `?category=&tag=&q=`
#[utoipa::path(get, path = "/api/v1/scenarios/available", tag = "scenarios",
    params(("category" = Option<String>, Query), ("tag" = Option<String>, Query), ("q" = Option<String>, Query, description = "text in name or description")),
    responses((status = 200, description = "`{scenarios: [...]}`", body = Object)))]
async fn available_scenarios(
    State(s): State<AppState>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Json<Value>> {
    let text = q.get("q").map(|t| t.to_lowercase());
    let matches = |name: &str, description: Option<&str>| {
        text.as_ref().is_none_or(|t| {
            name.to_lowercase().contains(t) || description.unwrap_or("").to_lowercase().contains(t)
        })
    };
    let uploaded: Vec<Value> = s
        .coordinator
        .uploaded_scenarios()
        .await?
        .into_iter()
        .filter(|u| q.get("category").is_none_or(|c| u.category.as_deref() == Some(c.as_str())))
        .filter(|_| !q.contains_key("tag"))
        .filter(|u| matches(&u.id, u.description.as_deref()))
        .map(|u| json!({ "name": u.id, "kind": if u.kind == "template" { "Template" } else { "Scenario" }, "category": u.category, "description": u.description, "tags": [], "source": "custom", "version": u.version }))
        .collect();
    let mut list: Vec<Value> = s
        .coordinator
        .library
        .files()
        .iter()
        .filter(|f| q.get("category").is_none_or(|c| f.category.as_deref() == Some(c.as_str())))
        .filter(|f| q.get("tag").is_none_or(|t| f.tags.iter().any(|x| x == t)))
        .filter(|f| matches(&f.name, f.description.as_deref()))
        .map(|f| json!({ "name": f.name, "kind": f.kind, "category": f.category, "description": f.description, "tags": f.tags, "source": "library" }))
        .collect();
    list.extend(uploaded);
    Ok(Json(json!({ "scenarios": list })))
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "scenarios", responses((status = 200, description = "`{templates: [...]}`", body = Object)))]
async fn list_templates(State(s): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = s
        .coordinator
        .library
        .files()
        .iter()
        .filter(|f| f.kind == "Template")
        .map(|f| json!({ "name": f.name, "category": f.category, "description": f.description, "tags": f.tags }))
        .collect();
    Json(json!({ "templates": list }))
}
