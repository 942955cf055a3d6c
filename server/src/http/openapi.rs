//! Finishing touches on the generated OpenAPI document, where the derive cannot
//! say what the handlers do: a 400 on every operation that reads parameters or a
//! body (axum refuses what does not parse, and `json_errors` gives it the API's
//! error shape), a 401 and a 403 on every operation the role table
//! (`auth::rules`) closes to anonymous callers, a 403 on every operation (the
//! request guard), and "exactly one of" request rules as `oneOf`.

use axum::http::Method;
use utoipa::openapi::{
    content::ContentBuilder,
    response::ResponseBuilder,
    schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type},
    OpenApi, Ref, RefOr,
};

/// Applies every rule below to `document`.
pub fn finish(document: &mut OpenApi) {
    document_bad_requests(document);
    // Before the guard's 403, whose description is for open routes.
    document_access(document);
    document_guard_refusals(document);
    exactly_one_of(
        document,
        "ExecuteRequest",
        &["scenario", "scenario_id", "yaml", "template"],
    );
}

/// An error response with the API's error body.
fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// What [`add_to_operations`] tells its predicate about an operation.
struct Place<'a> {
    method: Method,
    path: &'a str,
    /// It has parameters or a request body.
    reads_input: bool,
}

/// Adds `response` under `status` to every operation for which `applies`
/// holds, unless it documents that status already.
fn add_to_operations(
    document: &mut OpenApi,
    status: &str,
    response: &utoipa::openapi::Response,
    applies: impl Fn(&Place) -> bool,
) {
    for (path, item) in document.paths.paths.iter_mut() {
        let shared_parameters = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
        let operations = [
            (Method::GET, &mut item.get),
            (Method::PUT, &mut item.put),
            (Method::POST, &mut item.post),
            (Method::DELETE, &mut item.delete),
            (Method::PATCH, &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let reads_input = shared_parameters
                || operation.request_body.is_some()
                || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let place = Place {
                method,
                path,
                reads_input,
            };
            if applies(&place) {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| RefOr::T(response.clone()));
            }
        }
    }
}

/// Adds a 400 (the API's error body) to each operation that has parameters or a
/// request body and does not document one yet.
fn document_bad_requests(document: &mut OpenApi) {
    let response = error_response("the request is malformed: a path or query value, or a body, that does not parse as documented");
    add_to_operations(document, "400", &response, |place| place.reads_input);
}

/// Adds a 401 and a 403 to each operation whose rule in the role table needs
/// a role (as the table reads with `auth.open_metrics: false`, the stricter).
fn document_access(document: &mut OpenApi) {
    let needs_role = |place: &Place| {
        crate::auth::rules::rest_rule(&place.method, place.path, false)
            .is_some_and(|rule| rule.access.role().is_some())
    };
    let unauthenticated = error_response("`unauthorized`: nobody is signed in, or the session or API token is unknown, expired or revoked (the message says which, e.g. \"token revoked\"); not in local mode");
    add_to_operations(document, "401", &unauthenticated, needs_role);
    let forbidden = error_response("`insufficient_role`: the caller's role is below the one this route needs (the message names it; docs/auth.md); or `forbidden`: refused by the request guard (another site's Origin or Sec-Fetch-Site, a Host the server does not answer for, a state change sent as a form or text body; details.rule says which) or a missing CSRF token");
    add_to_operations(document, "403", &forbidden, needs_role);
}

/// Adds a 403 to every operation: the request guard (`http::guard`) refuses a
/// request from another site, with a Host the server does not answer for, or a
/// state change sent as a form or text body, before any handler runs.
fn document_guard_refusals(document: &mut OpenApi) {
    let response = error_response("refused by the request guard: another site's Origin or Sec-Fetch-Site, a Host the server does not answer for, or a state change sent as a form or text body (details.rule says which)");
    add_to_operations(document, "403", &response, |_| true);
}

/// Makes the component `name` also require exactly one of `fields` to be a
/// string (a `null` one counts as absent, as serde reads it).
fn exactly_one_of(document: &mut OpenApi, name: &str, fields: &[&str]) {
    let Some(schema) = document
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut(name))
    else {
        return;
    };
    let mut choice = OneOfBuilder::new().description(Some(format!(
        "exactly one of {}",
        fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )));
    for field in fields {
        choice = choice.item(
            ObjectBuilder::new()
                .property(*field, ObjectBuilder::new().schema_type(Type::String))
                .required(*field),
        );
    }
    let original = std::mem::replace(schema, RefOr::T(Schema::Object(Default::default())));
    *schema = AllOfBuilder::new().item(original).item(choice).into();
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_documents_its_400_401_and_403_and_execute_says_exactly_one_source() {
        let document = serde_json::to_value(super::super::openapi()).unwrap();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let has_input = operation.get("requestBody").is_some()
                    || operation["parameters"]
                        .as_array()
                        .is_some_and(|p| !p.is_empty());
                if has_input {
                    assert!(
                        operation["responses"].get("400").is_some(),
                        "{method} {path} reads input but documents no 400"
                    );
                }
                assert!(
                    operation["responses"].get("403").is_some(),
                    "{method} {path} does not document the request guard's 403"
                );
                let needs_role = crate::auth::rules::rest_rule(
                    &method.to_uppercase().parse().unwrap(),
                    path,
                    false,
                )
                .unwrap_or_else(|| panic!("{method} {path} has no rule"))
                .access
                .role()
                .is_some();
                assert_eq!(
                    operation["responses"].get("401").is_some(),
                    needs_role,
                    "{method} {path}: a 401 exactly when a role is needed"
                );
            }
        }
        let execute = &document["components"]["schemas"]["ExecuteRequest"];
        let choices = execute["allOf"][1]["oneOf"].as_array().unwrap();
        let required: Vec<&str> = choices
            .iter()
            .map(|c| c["required"][0].as_str().unwrap())
            .collect();
        assert_eq!(required, ["scenario", "scenario_id", "yaml", "template"]);
        let error = &document["components"]["schemas"]["ApiError"];
        let required: Vec<&str> = error["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert!(
            !required.contains(&"details"),
            "details is left out when empty: {error}"
        );
    }

    #[test]
    fn types_of_one_name_keep_components_of_their_own() {
        // utoipa names a component after its type: a second type of the same
        // name would silently replace the first (the report's audit events and
        // the teams audit log both have an `AuditEntry`).
        let document = serde_json::to_value(super::super::openapi()).unwrap();
        let schemas = &document["components"]["schemas"];
        let item = |schema: &str, field: &str| {
            let reference = schemas[schema]["properties"][field]["items"]["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("{schema}.{field}: {}", schemas[schema]))
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned();
            schemas[&reference]["properties"].clone()
        };
        assert!(item("AuditPage", "entries").get("actor").is_some());
        assert!(item("AuditSection", "events").get("service").is_some());
    }

    use utoipa::openapi::{
        content::ContentBuilder,
        path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder},
        response::{ResponseBuilder, ResponsesBuilder},
        schema::{ObjectBuilder, Schema, SchemaType, Type},
        OpenApi, OpenApiBuilder, RefOr,
    };

    /// The JSON answers whose schema is still a bare object, with why. Empty
    /// this list as they get types; the test fails when an entry is stale.
    const NOT_TYPED_YET: [&str; 0] = [];

    /// `schema`, followed through a `$ref` into the document's components.
    fn resolve<'a>(document: &'a OpenApi, schema: &'a RefOr<Schema>) -> Option<&'a Schema> {
        match schema {
            RefOr::T(schema) => Some(schema),
            RefOr::Ref(reference) => {
                let name = reference.ref_location.rsplit('/').next()?;
                let found = document.components.as_ref()?.schemas.get(name)?;
                resolve(document, found)
            }
        }
    }

    /// Every 2xx answer (but a 204) of `document` that does not describe its
    /// body: no content, a content with no schema, or a JSON body whose schema
    /// is an object without properties (`type: object` and nothing else).
    fn undescribed_responses(document: &OpenApi) -> Vec<String> {
        let mut found = Vec::new();
        for (path, item) in &document.paths.paths {
            let operations = [
                ("get", &item.get),
                ("put", &item.put),
                ("post", &item.post),
                ("delete", &item.delete),
                ("patch", &item.patch),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                for (status, response) in &operation.responses.responses {
                    if !status.starts_with('2') || status == "204" {
                        continue;
                    }
                    let place = format!("{method} {path} {status}");
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if response.content.is_empty() {
                        found.push(format!("{place} (no content)"));
                    }
                    for (media, content) in &response.content {
                        let RefOr::T(content) = content else { continue };
                        let schema = content.schema.as_ref().and_then(|s| resolve(document, s));
                        let bare = match schema {
                            None => true,
                            Some(Schema::Object(object)) if media.contains("json") => {
                                object.properties.is_empty()
                                    && matches!(
                                        object.schema_type,
                                        SchemaType::Type(Type::Object) | SchemaType::AnyValue
                                    )
                            }
                            Some(_) => false,
                        };
                        if bare {
                            found.push(format!("{place} {media}"));
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_success_answer_has_a_schema_and_no_json_one_is_a_bare_object() {
        let found = undescribed_responses(&super::super::openapi());
        assert_eq!(
            found, NOT_TYPED_YET,
            "2xx answers without a described body (give the handler a DTO deriving ToSchema)"
        );
    }

    #[test]
    fn the_check_finds_a_bare_object_and_a_missing_schema() {
        let answer = |content: Option<ContentBuilder>| {
            let mut response = ResponseBuilder::new().description("x");
            if let Some(content) = content {
                response = response.content("application/json", content.build());
            }
            let operation = OperationBuilder::new()
                .responses(ResponsesBuilder::new().response("200", response.build()))
                .build();
            PathItem::new(HttpMethod::Get, operation)
        };
        let bare =
            ContentBuilder::new().schema(Some(ObjectBuilder::new().schema_type(Type::Object)));
        let typed = ContentBuilder::new().schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("id", ObjectBuilder::new().schema_type(Type::String)),
        ));
        let document = OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path("/bare", answer(Some(bare)))
                    .path("/none", answer(None))
                    .path("/typed", answer(Some(typed))),
            )
            .build();
        assert_eq!(
            undescribed_responses(&document),
            [
                "get /bare 200 application/json",
                "get /none 200 (no content)"
            ]
        );
    }
}
