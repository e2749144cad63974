//! The committed OpenAPI document matches the code; `UPDATE_OPENAPI=1` rewrites it.

use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::spawn_app;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json")
}

#[test]
fn the_committed_openapi_document_is_current() {
    let generated = rappu_gateway::http::openapi_document()
        .to_pretty_json()
        .expect("serialize")
        + "\n";
    let path = committed_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test -p rappu-tests --test api openapi` and commit it"
    );
}

#[tokio::test]
async fn the_served_document_is_the_generated_one_and_docs_work_offline() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: serde_json::Value = response.json().await.unwrap();
    let generated = serde_json::to_value(rappu_gateway::http::openapi_document()).unwrap();
    assert_eq!(served, generated);
    // Swagger UI reads the document from there (it is served once serialized, not by
    // utoipa-swagger-ui's own route).
    let initializer = app.get("/docs/swagger-initializer.js", None).await;
    assert_eq!(initializer.status(), 200);
    let script = initializer.text().await.unwrap();
    assert!(
        script.contains("\"url\": \"/openapi.json\""),
        "Swagger UI is pointed at /openapi.json: {script}"
    );
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(
        !html.contains("cdn") && !html.contains("unpkg"),
        "docs must not need the internet"
    );
    app.stop().await;
}

/// The committed document as JSON.
fn document() -> Value {
    serde_json::to_value(rappu_gateway::http::openapi_document()).unwrap()
}

/// `$ref` resolved against the document's components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

/// Whether `value` is valid against `schema` (the parts of JSON Schema the document uses);
/// `Err` names the first place it is not.
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    let fail = |why: &str| Err(format!("{at}: {why} ({value})"));
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array()
            && !options.iter().any(|o| validate(doc, o, value, at).is_ok())
        {
            return fail(&format!("matches no {key} option"));
        }
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        validate(doc, part, value, at)?;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = types.is_empty()
        || types.contains(&kind)
        || (kind == "integer" && types.contains(&"number"));
    if !fits {
        return fail(&format!("is {kind}, not {types:?}"));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return fail("is not one of the enum's values");
    }
    if let Value::String(s) = value {
        let chars = s.chars().count() as u64;
        if schema["maxLength"].as_u64().is_some_and(|m| chars > m) {
            return fail("is too long");
        }
        if schema["minLength"].as_u64().is_some_and(|m| chars < m) {
            return fail("is too short");
        }
        if let Some(pattern) = schema["pattern"].as_str()
            && !regex::Regex::new(pattern).unwrap().is_match(s)
        {
            return fail(&format!("does not match {pattern}"));
        }
    }
    if let Some(n) = value.as_f64()
        && (schema["maximum"].as_f64().is_some_and(|m| n > m)
            || schema["minimum"].as_f64().is_some_and(|m| n < m))
    {
        return fail("is out of range");
    }
    if let Value::Array(items) = value {
        if schema["maxItems"]
            .as_u64()
            .is_some_and(|m| items.len() as u64 > m)
        {
            return fail("has too many items");
        }
        for (i, item) in items.iter().enumerate() {
            if schema.get("items").is_some() {
                validate(doc, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Value::Object(fields) = value {
        for required in schema["required"].as_array().into_iter().flatten() {
            if !fields.contains_key(required.as_str().unwrap()) {
                return fail(&format!("lacks {required}"));
            }
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (name, field) in fields {
                match properties.get(name) {
                    Some(p) => validate(doc, p, field, &format!("{at}.{name}"))?,
                    None if schema["additionalProperties"] == Value::Bool(false) => {
                        return fail(&format!("has unknown field {name}"));
                    }
                    None => {}
                }
            }
        }
    }
    Ok(())
}

/// Strings a client would see as `"string"`: no example above them, no enum or format.
fn placeholders(
    doc: &Value,
    schema: &Value,
    at: &str,
    seen: &mut Vec<String>,
    out: &mut Vec<String>,
) {
    if let Some(r) = schema["$ref"].as_str() {
        if seen.iter().any(|s| s == r) {
            return;
        }
        seen.push(r.to_owned());
    }
    let schema = resolve(doc, schema);
    if schema.get("example").is_some() || schema.get("examples").is_some() {
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for option in schema[key].as_array().into_iter().flatten() {
            placeholders(doc, option, at, seen, out);
        }
    }
    let is_string = schema["type"] == "string"
        || schema["type"]
            .as_array()
            .is_some_and(|t| t.contains(&Value::from("string")));
    let described = schema.get("enum").is_some()
        || schema.get("const").is_some()
        || ["date-time", "date", "binary"].contains(&schema["format"].as_str().unwrap_or(""));
    if is_string && !described {
        out.push(at.to_owned());
    }
    if schema.get("items").is_some() {
        placeholders(doc, &schema["items"], &format!("{at}[]"), seen, out);
    }
    for (name, p) in schema["properties"].as_object().into_iter().flatten() {
        placeholders(doc, p, &format!("{at}.{name}"), seen, out);
    }
}

/// Every operation: `(method, path, operation)`.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

#[test]
fn every_operation_has_realistic_examples_and_every_example_fits_its_schema() {
    let doc = document();
    let mut missing = Vec::new();
    let mut seen = Vec::new();
    for (method, path, op) in operations(&doc) {
        let name = format!("{method} {path}");
        for p in op["parameters"].as_array().into_iter().flatten() {
            let example = p.get("example").or_else(|| p["schema"].get("example"));
            match example {
                None if p["schema"].get("enum").is_none() => {
                    missing.push(format!("{name}: parameter {}", p["name"]));
                }
                Some(example) => validate(
                    &doc,
                    &p["schema"],
                    example,
                    &format!("{name} {}", p["name"]),
                )
                .unwrap_or_else(|e| missing.push(e)),
                None => {}
            }
        }
        for (media, content) in op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let schema = resolve(&doc, &content["schema"]);
            match content.get("example").or_else(|| schema.get("example")) {
                None => missing.push(format!("{name}: {media} body")),
                Some(example) if media.ends_with("json") => {
                    validate(&doc, &content["schema"], example, &format!("{name} body"))
                        .unwrap_or_else(|e| missing.push(e));
                }
                Some(_) => {}
            }
            if content.get("example").is_none() {
                placeholders(
                    &doc,
                    &content["schema"],
                    &format!("{name} body"),
                    &mut seen,
                    &mut missing,
                );
            }
        }
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            let response = match response["$ref"].as_str() {
                Some(r) => {
                    &doc["components"]["responses"][r.trim_start_matches("#/components/responses/")]
                }
                None => response,
            };
            for content in response["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, c)| c)
            {
                placeholders(
                    &doc,
                    &content["schema"],
                    &format!("{name} {status}"),
                    &mut seen,
                    &mut missing,
                );
            }
        }
    }
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if let Some(example) = schema.get("example") {
            validate(&doc, schema, example, name).unwrap_or_else(|e| missing.push(e));
        } else if schema.get("enum").is_none() {
            missing.push(format!("schema {name} has no example"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_limit_a_client_must_keep_is_in_the_schema() {
    let doc = document();
    let mut unbounded = Vec::new();
    fn walk(doc: &Value, schema: &Value, at: &str, depth: usize, out: &mut Vec<String>) {
        let schema = resolve(doc, schema);
        if depth > 8 {
            return;
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for option in schema[key].as_array().into_iter().flatten() {
                walk(doc, option, at, depth + 1, out);
            }
        }
        let has = |k: &str| schema.get(k).is_some();
        let types = schema["type"].to_string();
        if types.contains("string")
            && !(has("maxLength") || has("pattern") || has("enum") || has("const") || has("format"))
        {
            out.push(format!("{at}: a string without maxLength or pattern"));
        }
        if types.contains("array") && !has("maxItems") {
            out.push(format!("{at}: an array without maxItems"));
        }
        if types.contains("integer") && !has("maximum") && !has("enum") {
            out.push(format!("{at}: an integer without maximum"));
        }
        if schema.get("items").is_some() {
            walk(doc, &schema["items"], &format!("{at}[]"), depth + 1, out);
        }
        for (name, p) in schema["properties"].as_object().into_iter().flatten() {
            walk(doc, p, &format!("{at}.{name}"), depth + 1, out);
        }
    }
    for (method, path, op) in operations(&doc) {
        let name = format!("{method} {path}");
        // Headers are bounded by the server's header limit (`server.max_header_bytes`, 431).
        for p in op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] != "header")
        {
            walk(
                &doc,
                &p["schema"],
                &format!("{name} {}", p["name"]),
                0,
                &mut unbounded,
            );
        }
        for (_, content) in op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            walk(
                &doc,
                &content["schema"],
                &format!("{name} body"),
                0,
                &mut unbounded,
            );
        }
    }
    assert!(unbounded.is_empty(), "{}", unbounded.join("\n"));
}
