//! `GET /routes`: the routes the gateway serves, as LiteLLM lists its own (`{"routes": [{path,
//! methods, name, endpoint}]}`), public as in LiteLLM. The admin routes come from the OpenAPI
//! document (every one is described there, `tests/openapi.rs` checks it); the others, which
//! the document leaves out, are listed here.

use axum::Json;
use serde::Serialize;

use super::openapi::document;

/// Routes the OpenAPI document does not describe: method, path, handler name.
const UNDOCUMENTED: &[(&str, &str, &str)] = &[
    ("GET", "/health/liveliness", "liveliness"),
    ("GET", "/health/liveness", "liveliness"),
    ("GET", "/health/readiness", "readiness"),
    ("GET", "/routes", "routes"),
    ("GET", "/openapi.json", "openapi_json"),
    ("GET", "/docs", "docs"),
    ("GET", "/ui/", "ui"),
    ("POST", "/chat/completions", "chat_completions"),
    ("POST", "/v1/chat/completions", "chat_completions"),
    ("POST", "/v1/messages", "anthropic_messages"),
    ("POST", "/v1/messages/count_tokens", "count_tokens"),
    ("POST", "/responses", "create_response"),
    ("POST", "/v1/responses", "create_response"),
    ("GET", "/responses/{id}", "get_response"),
    ("GET", "/v1/responses/{id}", "get_response"),
    ("DELETE", "/responses/{id}", "delete_response"),
    ("DELETE", "/v1/responses/{id}", "delete_response"),
    ("GET", "/responses/{id}/input_items", "list_input_items"),
    ("GET", "/v1/responses/{id}/input_items", "list_input_items"),
    ("POST", "/openai/deployments/{model}/chat/completions", "azure_chat_completions"),
    ("POST", "/engines/{model}/chat/completions", "azure_chat_completions"),
    ("POST", "/embeddings", "embeddings"),
    ("POST", "/v1/embeddings", "embeddings"),
    ("POST", "/openai/deployments/{model}/embeddings", "azure_embeddings"),
    ("POST", "/completions", "completions"),
    ("POST", "/v1/completions", "completions"),
    ("POST", "/openai/deployments/{model}/completions", "azure_completions"),
    ("GET", "/models", "list_models"),
    ("GET", "/v1/models", "list_models"),
    ("GET", "/models/{model}", "get_model"),
    ("GET", "/v1/models/{model}", "get_model"),
    ("GET", "/model/info", "model_info"),
    ("GET", "/v1/model/info", "model_info"),
    // LiteLLM's second name for each /end_user route.
    ("POST", "/customer/new", "new"),
    ("GET", "/customer/info", "info"),
    ("POST", "/customer/update", "update"),
    ("POST", "/customer/delete", "delete"),
    ("GET", "/customer/list", "list"),
    ("POST", "/customer/block", "block"),
    ("POST", "/customer/unblock", "unblock"),
];

#[derive(Debug, Clone, Serialize)]
pub struct RouteInfo {
    pub path: String,
    pub methods: Vec<String>,
    pub name: String,
    /// The handler (LiteLLM's endpoint function name; here the same as `name`).
    pub endpoint: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RouteList {
    pub routes: Vec<RouteInfo>,
}

pub async fn list() -> Json<RouteList> {
    Json(RouteList { routes: all() })
}

/// Every route, the documented ones first in the document's order.
pub fn all() -> Vec<RouteInfo> {
    let route = |path: &str, method: &str, name: &str| RouteInfo {
        path: path.to_string(),
        methods: vec![method.to_string()],
        name: name.to_string(),
        endpoint: name.to_string(),
    };
    let doc = serde_json::to_value(document()).unwrap_or_default();
    let mut routes: Vec<RouteInfo> = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let name = operation.get("operationId").and_then(|o| o.as_str()).unwrap_or(path);
                routes.push(route(path, &method.to_ascii_uppercase(), name));
            }
        }
    }
    routes.extend(UNDOCUMENTED.iter().map(|(method, path, name)| route(path, method, name)));
    routes
}
