//! The admin API's OpenAPI document (`docs/openapi.json`) and the panel's TypeScript types
//! generated from it (`ui/src/lib/api.gen.ts`) are what the code says: this test regenerates
//! both and fails when a committed copy differs. `make api-types` writes them anew.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A TypeScript type for a JSON schema.
fn ts_type(schema: &Value, indent: usize) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or("unknown").to_string();
    }
    for (key, joiner) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list.iter().map(|s| ts_type(s, indent)).collect();
            let parts: Vec<String> = parts
                .into_iter()
                .map(|p| if p.contains(" | ") && joiner == " & " && !p.starts_with('{') { format!("({p})") } else { p })
                .collect();
            let mut out = parts.join(joiner);
            if has_properties(schema) {
                out = format!("{out} & {}", object_type(schema, indent));
            }
            return out;
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| if v.is_null() { "null".to_string() } else { v.to_string() })
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ if has_properties(schema) => vec!["object"],
        _ => return "unknown".to_string(),
    };
    let mut out: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "string" => "string".to_string(),
            "integer" | "number" => "number".to_string(),
            "boolean" => "boolean".to_string(),
            "null" => "null".to_string(),
            "array" => {
                let item = schema.get("items").map(|i| ts_type(i, indent)).unwrap_or_else(|| "unknown".into());
                if item.contains(' ') { format!("Array<{item}>") } else { format!("{item}[]") }
            }
            "object" => object_type(schema, indent),
            _ => "unknown".to_string(),
        })
        .collect();
    out.dedup();
    out.join(" | ")
}

fn has_properties(schema: &Value) -> bool {
    schema.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty())
}

fn object_type(schema: &Value, indent: usize) -> String {
    let Some(properties) = schema.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty()) else {
        return match schema.get("additionalProperties") {
            Some(extra) if extra.is_object() => format!("Record<string, {}>", ts_type(extra, indent)),
            _ => "Record<string, unknown>".to_string(),
        };
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let pad = "  ".repeat(indent + 1);
    let mut out = String::from("{\n");
    for (name, property) in properties {
        if let Some(description) = property.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "{pad}/** {} */", description.replace("*/", "* /").replace('\n', " "));
        }
        let optional = if required.contains(&name.as_str()) { "" } else { "?" };
        let key = if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            name.clone()
        } else {
            format!("{name:?}")
        };
        let _ = writeln!(out, "{pad}{key}{optional}: {};", ts_type(property, indent + 1));
    }
    out.push_str(&"  ".repeat(indent));
    out.push('}');
    out
}

/// `ui/src/lib/api.gen.ts`: one exported type per schema of the document.
fn typescript(doc: &Value) -> String {
    let mut out = String::from(
        "// Generated from docs/openapi.json by proxy/tests/openapi.rs (`make api-types`): do not edit.\n\
         // The admin API's request and response types, as the gateway's Rust types declare them.\n\n",
    );
    let schemas = doc["components"]["schemas"].as_object().expect("the document has schemas");
    for (name, schema) in schemas {
        if let Some(description) = schema.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "/** {} */", description.replace("*/", "* /").replace('\n', " "));
        }
        let _ = writeln!(out, "export type {name} = {};\n", ts_type(schema, 0));
    }
    out
}

#[test]
fn the_committed_api_documents_are_current() {
    let doc = serde_json::to_value(switchboard::http::openapi::document()).unwrap();
    let json = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let ts = typescript(&doc);
    let targets = [(repo().join("docs/openapi.json"), json), (repo().join("ui/src/lib/api.gen.ts"), ts)];
    let write = std::env::var_os("SWITCHBOARD_WRITE_API").is_some();
    let mut stale = Vec::new();
    for (path, text) in &targets {
        if write {
            std::fs::write(path, text).unwrap();
        } else if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(stale.is_empty(), "stale (the admin API's types changed): {stale:?}; run `make api-types` and commit them");
}

#[test]
fn every_admin_route_is_described_with_its_answer() {
    let doc = serde_json::to_value(switchboard::http::openapi::document()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for route in
        ["/key/generate", "/key/list", "/team/new", "/user/new", "/model/new", "/spend/logs", "/global/spend/models"]
    {
        let item = paths.get(route).unwrap_or_else(|| panic!("{route} is not in the document"));
        let op = item.get("post").or_else(|| item.get("get")).unwrap();
        assert!(
            op["responses"]["200"]["content"]["application/json"]["schema"].is_object(),
            "{route} has no answer type"
        );
    }
    let key = &doc["components"]["schemas"]["GeneratedKey"];
    assert!(key.to_string().contains("\"key\""), "GeneratedKey names the clear key: {key}");
}

#[test]
fn typescript_of_the_shapes_the_document_uses() {
    let schema = serde_json::json!({
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string", "description": "A."},
            "b": {"type": ["integer", "null"]},
            "c": {"type": "array", "items": {"$ref": "#/components/schemas/X"}},
            "d": {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/Y"}]},
            "e": {"type": "string", "enum": ["on", "off"]},
            "f": {"type": "object", "additionalProperties": {"type": "number"}}
        }
    });
    assert_eq!(
        ts_type(&schema, 0),
        "{\n  /** A. */\n  a: string;\n  b?: number | null;\n  c?: X[];\n  d?: string | Y;\n  e?: \"on\" | \"off\";\n  f?: Record<string, number>;\n}"
    );
}
