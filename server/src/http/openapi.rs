//! Finishing touches on the generated OpenAPI document, where the derive cannot
//! say what the handlers do: a 400 on every operation that reads parameters or a
//! body (axum refuses what does not parse, and `json_errors` gives it the API's
//! error shape), a 403 on every operation (the request guard), and "exactly
//! one of" request rules as `oneOf`.

use utoipa::openapi::{
    content::ContentBuilder,
    response::ResponseBuilder,
    schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type},
    OpenApi, Ref, RefOr,
};

/// Applies every rule below to `document`.
pub fn finish(document: &mut OpenApi) {
    document_bad_requests(document);
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

/// Adds `response` under `status` to every operation for which `applies`
/// (given whether the operation reads parameters or a body) holds, unless it
/// documents that status already.
fn add_to_operations(
    document: &mut OpenApi,
    status: &str,
    response: &utoipa::openapi::Response,
    applies: impl Fn(bool) -> bool,
) {
    for item in document.paths.paths.values_mut() {
        let shared_parameters = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let reads_input = shared_parameters
                || operation.request_body.is_some()
                || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            if applies(reads_input) {
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
    add_to_operations(document, "400", &response, |reads_input| reads_input);
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
    fn every_operation_with_input_documents_400_and_execute_says_exactly_one_source() {
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
