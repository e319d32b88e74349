//! The admin API's OpenAPI document, generated from the handlers' annotations and the types they
//! take and answer (`/openapi.json`), and a readable reference of it (`/docs`). The panel's
//! TypeScript types are generated from the same document (`ui/src/lib/api.gen.ts`); a test
//! fails when either committed copy is stale.

use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use http::HeaderValue;
use http::header::CONTENT_SECURITY_POLICY;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

use super::admin::ManagementApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard admin API",
        description = "LiteLLM's management API (keys, teams, users, models, spend) and Switchboard's own routes. \
                       Every route takes the master key, or a key with the proxy_admin role (reads: also \
                       proxy_admin_viewer), as `Authorization: Bearer sk-...`. Errors answer in LiteLLM's shape."
    ),
    modifiers(&Conventions),
    tags(
        (name = "keys", description = "Virtual keys: the clear key is shown once, when made"),
        (name = "teams", description = "Teams, their models, limits and members"),
        (name = "users", description = "Internal users"),
        (name = "models", description = "Models stored in the database, beside config.yaml's"),
        (name = "spend", description = "What was spent, by whom, on what"),
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
    doc.info.version = crate::VERSION.to_string();
    doc
}

/// `GET /openapi.json`.
pub async fn json() -> Json<Document> {
    Json(document())
}

/// `GET /docs`: the document as a page (no script: every operation with its parameters and
/// bodies, and the schemas).
pub async fn page() -> Response {
    let mut response = Html(render(&document())).into_response();
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

/// A schema reference as a link, an inline schema as its JSON.
fn schema_ref(schema: &RefOr<utoipa::openapi::schema::Schema>) -> String {
    match schema {
        RefOr::Ref(r) => {
            let name = r.ref_location.rsplit('/').next().unwrap_or_default();
            format!("<a href=\"#schema-{0}\"><code>{0}</code></a>", escape(name))
        }
        RefOr::T(t) => {
            let json = serde_json::to_string(t).unwrap_or_default();
            let names: Vec<String> =
                referenced(&json).into_iter().map(|n| format!("<a href=\"#schema-{0}\">{0}</a>", escape(&n))).collect();
            if names.is_empty() { format!("<code>{}</code>", escape(&json)) } else { names.join(", ") }
        }
    }
}

/// The schema names a JSON text references.
fn referenced(json: &str) -> Vec<String> {
    json.split("#/components/schemas/").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_string).collect()
}

fn render(doc: &Document) -> String {
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=utf-8><title>Switchboard admin API</title><style>\
         body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2933}\
         h2{margin-top:2.5rem;border-bottom:1px solid #d9e2ec}.op{border:1px solid #d9e2ec;border-radius:6px;\
         padding:.6rem 1rem;margin:.8rem 0}.m{font-weight:700;text-transform:uppercase;margin-right:.6rem}\
         .get{color:#0b7285}.post{color:#2b8a3e}.patch{color:#e67700}.delete{color:#c92a2a}\
         code{background:#f0f4f8;padding:0 .25rem;border-radius:3px;word-break:break-all}\
         pre{background:#f0f4f8;padding:.6rem;overflow:auto;font-size:.85rem}</style></head><body>",
    );
    out.push_str(&format!(
        "<h1>{}</h1><p>{}</p><p>Version {} · <a href=\"/openapi.json\">openapi.json</a></p>",
        escape(&doc.info.title),
        escape(doc.info.description.as_deref().unwrap_or_default()),
        escape(&doc.info.version)
    ));
    out.push_str("<h2>Operations</h2>");
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("get", &item.get),
            ("post", &item.post),
            ("patch", &item.patch),
            ("put", &item.put),
            ("delete", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            out.push_str(&format!(
                "<div class=op><div><span class=\"m {method}\">{method}</span><code>{}</code> — {}</div>",
                escape(path),
                escape(op.summary.as_deref().unwrap_or_default())
            ));
            if let Some(params) = &op.parameters
                && !params.is_empty()
            {
                out.push_str("<p>Parameters: ");
                let list: Vec<String> = params
                    .iter()
                    .map(|p| {
                        let description =
                            p.description.as_deref().map(|d| format!(" ({})", escape(d))).unwrap_or_default();
                        format!("<code>{}</code>{description}", escape(&p.name))
                    })
                    .collect();
                out.push_str(&list.join(", "));
                out.push_str("</p>");
            }
            if let Some(body) = &op.request_body {
                for content in body.content.values() {
                    out.push_str(&format!("<p>Body: {}</p>", schema_ref(&content.schema.clone().unwrap_or_default())));
                }
            }
            for (status, response) in &op.responses.responses {
                if let RefOr::T(r) = response {
                    for content in r.content.values() {
                        if let Some(schema) = &content.schema {
                            out.push_str(&format!("<p>{}: {}</p>", escape(status), schema_ref(schema)));
                        }
                    }
                }
            }
            out.push_str("</div>");
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(components) = &doc.components {
        for (name, schema) in &components.schemas {
            let json = serde_json::to_string_pretty(schema).unwrap_or_default();
            out.push_str(&format!("<h3 id=\"schema-{0}\">{0}</h3><pre>{1}</pre>", escape(name), escape(&json)));
        }
    }
    out.push_str("</body></html>");
    out
}
