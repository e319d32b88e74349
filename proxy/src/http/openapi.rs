//! The admin API's OpenAPI document, generated from the handlers' annotations and the types they
//! take and answer (`/openapi.json`), and a readable reference of it (`/docs`). The panel's
//! TypeScript types are generated from the same document (`ui/src/lib/api.gen.ts`); a test
//! fails when either committed copy is stale.

use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use http::HeaderValue;
use http::header::CONTENT_SECURITY_POLICY;
use serde_json::Value;
use std::fmt::Write as _;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::admin::{AgentCoreApi, DeployApi, EndUsersApi, ManagementApi};
use super::health::HealthApi;
use super::switchboard::SwitchboardApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard admin API",
        description = "LiteLLM's management API (keys, teams, users, models, spend) and Switchboard's own routes, \
                       with a key as `Authorization: Bearer sk-...`. The master key and proxy_admin keys may call \
                       everything, proxy_admin_viewer keys every read; internal users manage their own keys and team \
                       admins their teams, as in LiteLLM. Errors answer in LiteLLM's shape."
    ),
    modifiers(&Conventions),
    tags(
        (name = "keys", description = "Virtual keys: the clear key is shown once, when made"),
        (name = "teams", description = "Teams, their models, limits and members"),
        (name = "users", description = "Internal users"),
        (name = "customers", description = "Customers (end users): the `user` of a request, its spend, budget and block"),
        (name = "models", description = "Models stored in the database, beside config.yaml's"),
        (name = "spend", description = "What was spent, by whom, on what"),
        (name = "budgets", description = "Budgets with an id, for organizations and their members"),
        (name = "organizations", description = "Organizations: users with a budget and a model list"),
        (name = "audit", description = "The audit log: every admin change, who made it, before and after (secrets masked)"),
        (name = "switchboard", description = "The panel's own: gateway facts, live request feed, charts, logs"),
        (name = "agentcore", description = "Amazon Bedrock AgentCore harnesses wired to this gateway"),
        (name = "deploy", description = "Deploying the gateway to the user's AWS account (CloudFormation)"),
    )
)]
struct AdminApi;

/// Bearer auth on every operation.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("sk-...").build()),
        );
        doc.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// The whole document.
pub fn document() -> Document {
    let mut doc = AdminApi::openapi();
    doc.merge(ManagementApi::openapi());
    doc.merge(AgentCoreApi::openapi());
    doc.merge(DeployApi::openapi());
    doc.merge(EndUsersApi::openapi());
    doc.merge(SwitchboardApi::openapi());
    doc.merge(HealthApi::openapi());
    doc.info.version = crate::VERSION.to_string();
    doc
}

/// `GET /openapi.json`.
pub async fn json() -> Json<Document> {
    Json(document())
}

/// `GET /docs`: the document as a page, without a script: the operations by tag with their
/// parameters, bodies and answers, and every type as TypeScript.
pub async fn page() -> Response {
    let doc = serde_json::to_value(document()).unwrap_or_default();
    let mut response = Html(render(&doc)).into_response();
    response.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Prose of the document: `code` spans as code.
fn prose(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{part}</code>") } else { part.to_string() })
        .collect()
}

/// A schema as a type, its named types linked to their declarations.
fn type_link(schema: &Value) -> String {
    let text = escape(&ts_type(schema, 0));
    let mut out = String::new();
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if word.chars().next().is_some_and(|f| f.is_ascii_uppercase()) && word != "Record" && word != "Array" {
            let _ = write!(out, "<a href=\"#type-{word}\">{word}</a>");
        } else {
            out.push_str(&word);
        }
        word.clear();
        out.push(c);
    }
    out.pop();
    format!("<code>{out}</code>")
}

const METHODS: [&str; 5] = ["get", "post", "patch", "put", "delete"];

fn render_operation(out: &mut String, path: &str, method: &str, op: &Value) {
    let _ = write!(
        out,
        "<div class=op><div><span class=\"m {method}\">{method}</span><code>{}</code> — {}</div>",
        escape(path),
        prose(op["summary"].as_str().unwrap_or_default())
    );
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str("<ul class=params>");
        for p in params {
            let required = if p["required"].as_bool() == Some(true) { "" } else { "?" };
            let _ = write!(
                out,
                "<li><code>{}{required}</code> <span class=in>{}</span> {} {}</li>",
                escape(p["name"].as_str().unwrap_or_default()),
                escape(p["in"].as_str().unwrap_or_default()),
                type_link(&p["schema"]),
                prose(p["description"].as_str().unwrap_or_default())
            );
        }
        out.push_str("</ul>");
    }
    if let Some(content) = op.pointer("/requestBody/content").and_then(Value::as_object) {
        for body in content.values() {
            let _ = write!(out, "<p>Body: {}</p>", type_link(&body["schema"]));
        }
    }
    if let Some(responses) = op["responses"].as_object() {
        for (status, response) in responses {
            for (kind, body) in response["content"].as_object().into_iter().flatten() {
                let stream = if kind == "text/event-stream" { " (server-sent events, one per item)" } else { "" };
                let _ = write!(out, "<p>{}: {}{stream}</p>", escape(status), type_link(&body["schema"]));
            }
        }
    }
    out.push_str("</div>");
}

fn render(doc: &Value) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=utf-8><title>Switchboard admin API</title><style>\
         body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:62rem;padding:0 1rem;color:#1f2933}\
         h2{margin-top:2.5rem;border-bottom:1px solid #d9e2ec}.op{border:1px solid #d9e2ec;border-radius:6px;\
         padding:.6rem 1rem;margin:.8rem 0}.op p{margin:.3rem 0}.m{font-weight:700;text-transform:uppercase;\
         margin-right:.6rem}.get{color:#0b7285}.post{color:#2b8a3e}.patch{color:#e67700}.delete{color:#c92a2a}\
         .in{color:#829ab1;font-size:.85rem}ul.params{margin:.3rem 0;padding-left:1.2rem}\
         code{background:#f0f4f8;padding:0 .25rem;border-radius:3px;overflow-wrap:anywhere}\
         pre{background:#f0f4f8;padding:.6rem;overflow:auto;font-size:.85rem}a{color:#1c7ed6}\
         nav a{margin-right:1rem}</style></head><body>",
    );
    let info = &doc["info"];
    let _ = write!(
        out,
        "<h1>{}</h1><p>{}</p><p>Version {} · <a href=\"/openapi.json\">openapi.json</a></p><nav>",
        escape(info["title"].as_str().unwrap_or_default()),
        prose(info["description"].as_str().unwrap_or_default()),
        escape(info["version"].as_str().unwrap_or_default())
    );
    let tags: Vec<&Value> = doc["tags"].as_array().map(|t| t.iter().collect()).unwrap_or_default();
    for tag in &tags {
        let name = escape(tag["name"].as_str().unwrap_or_default());
        let _ = write!(out, "<a href=\"#tag-{name}\">{name}</a>");
    }
    out.push_str("<a href=\"#types\">types</a></nav>");
    let paths = doc["paths"].as_object();
    for tag in &tags {
        let name = tag["name"].as_str().unwrap_or_default();
        let _ = write!(
            out,
            "<h2 id=\"tag-{0}\">{0}</h2><p>{1}</p>",
            escape(name),
            prose(tag["description"].as_str().unwrap_or_default())
        );
        for (path, item) in paths.into_iter().flatten() {
            for method in METHODS {
                let op = &item[method];
                let tagged = op["tags"].as_array().is_some_and(|t| t.iter().any(|t| t.as_str() == Some(name)));
                if tagged {
                    render_operation(&mut out, path, method, op);
                }
            }
        }
    }
    out.push_str("<h2 id=\"types\">Types</h2>");
    for (name, schema) in doc.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten() {
        let description = schema["description"].as_str().map(prose).unwrap_or_default();
        let _ = write!(
            out,
            "<h3 id=\"type-{0}\">{0}</h3><p>{description}</p><pre>{1}</pre>",
            escape(name),
            escape(&ts_type(schema, 0))
        );
    }
    out.push_str("</body></html>");
    out
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
pub fn typescript(doc: &Value) -> String {
    let mut out = String::from(
        "// Generated from docs/openapi.json by proxy/tests/openapi.rs (`make api-types`): do not edit.\n\
         // The admin API's request and response types, as the gateway's Rust types declare them.\n\n",
    );
    let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) else { return out };
    for (name, schema) in schemas {
        if let Some(description) = schema.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "/** {} */", description.replace("*/", "* /").replace('\n', " "));
        }
        let _ = writeln!(out, "export type {name} = {};\n", ts_type(schema, 0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
