//! OpenAI-compatible routes: chat completions, models, model info.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::{AppState, Caller, error_event, reply};
use crate::gateway::{CallHints, ChatReply, Deployment, GatewayError};
use crate::schema::ChatRequest;

/// The `created` LiteLLM reports for every model.
const MODEL_CREATED: u64 = 1_677_610_602;

pub async fn chat_completions(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GatewayError> {
    let request = parse_chat_request(&body_bytes(&state, body)?)?;
    let reply = state.gateway.chat(&principal, request, call_hints(&headers)?).await?;
    Ok(reply_response(reply))
}

/// LiteLLM's request headers that tune a call.
pub(super) fn call_hints(headers: &HeaderMap) -> Result<CallHints, GatewayError> {
    let timeout = match headers.get("x-litellm-timeout") {
        None => None,
        Some(v) => {
            let text = v.to_str().map(|t| serde_json::Value::String(t.to_string())).ok();
            crate::gateway::seconds(text, "x-litellm-timeout")?
        }
    };
    let end_user = ["x-litellm-end-user-id", "x-litellm-customer-id"]
        .iter()
        .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let trace_parent = crate::telemetry::TraceParent::from_headers(headers);
    Ok(CallHints { timeout, end_user, trace_parent, ..CallHints::default() })
}

/// Azure-style routes carry the model in the path (`AzureOpenAI(azure_deployment=...)`).
pub async fn azure_chat_completions(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GatewayError> {
    let mut fields: Map<String, Value> = match serde_json::from_slice(&body_bytes(&state, body)?) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(GatewayError::invalid("the request body must be a JSON object", Some("request_body")));
        }
        Err(e) => return Err(GatewayError::InvalidJson(e.to_string())),
    };
    fields.insert("model".into(), Value::String(model));
    let request =
        serde_json::from_value(Value::Object(fields)).map_err(|e| GatewayError::invalid(e.to_string(), None))?;
    let reply = state.gateway.chat(&principal, request, call_hints(&headers)?).await?;
    Ok(reply_response(reply))
}

pub(super) fn body_bytes(state: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Bytes, GatewayError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            GatewayError::BodyTooLarge { limit_bytes: state.config.general.max_request_size_bytes }
        } else {
            GatewayError::invalid(format!("could not read the request body: {rejection}"), Some("request_body"))
        }
    })
}

/// Parses the body once; errors say whether it is not JSON or which field is wrong.
fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, GatewayError> {
    let request: ChatRequest = parse_body(body)?;
    if request.messages.is_empty() {
        return Err(GatewayError::invalid("Invalid request: messages must not be empty", Some("messages")));
    }
    Ok(request)
}

/// Parses a JSON body into a route's request type; errors say whether it is not JSON or which
/// field is wrong.
pub(super) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, GatewayError> {
    // Tracking the path costs every request a little; only a body that fails needs it, and it
    // fails the same way the second time.
    if let Ok(request) = serde_json::from_slice(body) {
        return Ok(request);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let request: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return GatewayError::InvalidJson(inner.to_string());
        }
        let param = path.split(['.', '[']).next().filter(|p| !p.is_empty() && *p != "?").map(str::to_string);
        let message =
            if path == "." { format!("Invalid request: {inner}") } else { format!("Invalid request: {path}: {inner}") };
        GatewayError::InvalidRequest { message, param }
    })?;
    de.end().map_err(|e| GatewayError::InvalidJson(e.to_string()))?;
    Ok(request)
}

pub(super) fn reply_response(reply: ChatReply) -> Response {
    reply::response(reply, error_event)
}

/// `/models`: the model groups the key may call, and what its wildcard groups serve
/// (`return_wildcard_routes=true` adds the patterns). `include_model_access_groups=true` adds the
/// names of the access groups it may use, `only_model_access_groups=true` leaves out the models:
/// as in LiteLLM, the groups alone when both are set, nothing when `only_...` comes alone.
pub async fn list_models(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    // As FastAPI reads a bool: true, 1, yes or on, in any case.
    let flag = |name: &str| {
        query.get(name).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"))
    };
    let mut ids = if flag("only_model_access_groups") {
        Vec::new()
    } else {
        state.gateway.listed_models(&principal, flag("return_wildcard_routes"))
    };
    if flag("include_model_access_groups") {
        let mut all: Vec<String> = state
            .gateway
            .model_names()
            .iter()
            .filter_map(|name| state.gateway.group(name))
            .flat_map(|g| g.access_groups.clone())
            .collect();
        all.sort();
        all.dedup();
        let groups = match principal.key() {
            None => all,
            Some(key) => {
                let team = key.record.team_id.as_deref().and_then(|t| state.gateway.registry.teams.get(t));
                crate::auth::access::visible_access_groups(
                    &key.record.models,
                    team.as_ref().map(|t| t.record.models.as_slice()),
                    &all,
                )
            }
        };
        for g in groups {
            if !ids.contains(&g) {
                ids.push(g);
            }
        }
    }
    let data: Vec<Value> = ids
        .iter()
        .map(|name| json!({"id": name, "object": "model", "created": MODEL_CREATED, "owned_by": "openai"}))
        .collect();
    Json(json!({"data": data, "object": "list"}))
}

pub async fn get_model(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(model): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    if state.gateway.listed_models(&principal, true).contains(&model) {
        Ok(Json(json!({"id": model, "object": "model", "created": MODEL_CREATED, "owned_by": "openai"})))
    } else {
        Err(GatewayError::ModelNotFound(model))
    }
}

/// One row per deployment, secrets left out.
pub async fn model_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let visible = state.gateway.models_for(&principal);
    let wanted_id = query.get("litellm_model_id");
    let data: Vec<Value> = state
        .gateway
        .deployments()
        .iter()
        .filter(|d| visible.contains(&d.entry.model_name))
        .filter(|d| wanted_id.is_none_or(|id| *id == d.entry.id))
        .map(|d| deployment_info(d))
        .collect();
    Json(json!({"data": data}))
}

/// A deployment as `/model/info` and `/health` show it: configuration without secrets.
pub fn deployment_info(d: &Deployment) -> Value {
    let p = &d.entry.params;
    let mut params = Map::new();
    params.insert("model".into(), json!(d.entry.model));
    let optional = [
        ("api_base", p.api_base.as_ref().map(|v| json!(v))),
        ("api_version", p.api_version.as_ref().map(|v| json!(v))),
        ("aws_region_name", p.aws_region_name.as_ref().map(|v| json!(v))),
        ("aws_profile_name", p.aws_profile_name.as_ref().map(|v| json!(v))),
        ("aws_bedrock_runtime_endpoint", p.aws_bedrock_runtime_endpoint.as_ref().map(|v| json!(v))),
        ("timeout", p.timeout.map(|v| json!(v))),
        ("stream_timeout", p.stream_timeout.map(|v| json!(v))),
        ("max_retries", p.max_retries.map(|v| json!(v))),
        ("rpm", p.rpm.map(|v| json!(v))),
        ("tpm", p.tpm.map(|v| json!(v))),
        ("weight", p.weight.map(|v| json!(v))),
        ("input_cost_per_token", p.input_cost_per_token.map(|v| json!(v))),
        ("output_cost_per_token", p.output_cost_per_token.map(|v| json!(v))),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            params.insert(key.into(), v);
        }
    }
    for (k, v) in &p.default_request_params {
        params.insert(k.clone(), v.clone());
    }
    let mut info = d.entry.model_info.clone();
    info.insert("id".into(), json!(d.entry.id));
    info.insert("db_model".into(), json!(d.from_db));
    info.insert("litellm_provider".into(), json!(d.entry.provider));
    info.insert("mode".into(), json!(d.mode()));
    if let Some(c) = p.input_cost_per_token {
        info.insert("input_cost_per_token".into(), json!(c));
    }
    if let Some(c) = p.output_cost_per_token {
        info.insert("output_cost_per_token".into(), json!(c));
    }
    json!({"model_name": d.entry.model_name, "litellm_params": params, "model_info": info})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_say_what_is_wrong() {
        let err = parse_chat_request(b"{not json").err().unwrap();
        assert!(matches!(err, GatewayError::InvalidJson(_)), "{err:?}");
        let err = parse_chat_request(br#"{"model":"m"}"#).err().unwrap();
        assert!(err.to_string().contains("missing field `messages`"), "{err}");
        let err = parse_chat_request(br#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#).err().unwrap();
        assert!(err.to_string().contains("messages[0].role"), "{err}");
        let err = parse_chat_request(br#"{"model":"m","messages":[]}"#).err().unwrap();
        assert!(err.to_string().contains("messages must not be empty"), "{err}");
        let err =
            parse_chat_request(br#"{"model":"m","messages":[{"role":"user","content":"x"}]} trailing"#).err().unwrap();
        assert!(matches!(err, GatewayError::InvalidJson(_)), "{err:?}");
    }

    #[test]
    fn deep_nesting_and_huge_numbers_are_refused_cleanly() {
        let deep = format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":{}x{}}}]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse_chat_request(deep.as_bytes()).is_err());
        let huge = br#"{"model":"m","max_tokens":1e999999,"messages":[{"role":"user","content":"x"}]}"#;
        assert!(parse_chat_request(huge).is_err());
        let big_int =
            br#"{"model":"m","max_tokens":99999999999999999999999,"messages":[{"role":"user","content":"x"}]}"#;
        assert!(parse_chat_request(big_int).is_err());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// JSON values of any shape (for mutating fields of a valid request).
        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                "\\PC{0,16}".prop_map(Value::from),
            ];
            leaf.prop_recursive(4, 24, 5, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    proptest::collection::btree_map("\\PC{0,8}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        const FIELDS: &[&str] = &[
            "model",
            "messages",
            "stream",
            "stream_options",
            "temperature",
            "top_p",
            "max_tokens",
            "stop",
            "tools",
            "tool_choice",
            "user",
            "n",
        ];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            /// Any bytes: a request or a 400 that says what is wrong, never a panic.
            #[test]
            fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
                if let Err(e) = parse_chat_request(&bytes) {
                    prop_assert!(matches!(e, GatewayError::InvalidJson(_) | GatewayError::InvalidRequest { .. }), "{:?}", e);
                }
            }

            /// A valid request with one field replaced by any value: parsed, or refused naming
            /// the field.
            #[test]
            fn any_field_value_parses_or_names_the_field(field in proptest::sample::select(FIELDS), value in json_value()) {
                let mut request = serde_json::json!({
                    "model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": false
                });
                request[field] = value;
                let body = serde_json::to_vec(&request).unwrap();
                match parse_chat_request(&body) {
                    Ok(parsed) => prop_assert!(!parsed.messages.is_empty()),
                    Err(GatewayError::InvalidRequest { message, .. }) => prop_assert!(!message.is_empty()),
                    Err(other) => prop_assert!(false, "unexpected error {:?}", other),
                }
            }

            /// Text of any kind in messages survives parsing and serializing unchanged.
            #[test]
            fn message_text_round_trips(text in "\\PC*", name in "\\PC{1,10}") {
                let body = serde_json::to_vec(&serde_json::json!({
                    "model": name, "messages": [{"role": "user", "content": text}]
                })).unwrap();
                let parsed = parse_chat_request(&body).unwrap();
                let back = serde_json::to_value(&parsed).unwrap();
                prop_assert_eq!(back["messages"][0]["content"].as_str(), Some(text.as_str()));
                prop_assert_eq!(back["model"].as_str(), Some(name.as_str()));
            }
        }
    }
}
