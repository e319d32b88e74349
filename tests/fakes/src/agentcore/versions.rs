//! Harness versions and endpoints. Every CreateHarness/UpdateHarness makes a version (`1`, `2`,
//! ...) kept as GetHarness shows it; `DEFAULT` is made with the harness and follows its latest
//! version; named endpoints point at the version they are given (the latest when none). An
//! endpoint answers InvokeHarness with `qualifier=<endpoint>` from its version's model and
//! system prompt.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{
    ACCOUNT, FakeState, HarnessRec, aws_error, constraint, json_object, missing, not_found, now_iso, ok, signed_region,
    string_member, validation,
};

pub(super) const DEFAULT_ENDPOINT: &str = "DEFAULT";

pub(super) struct EndpointRec {
    pub name: String,
    pub live_version: u64,
    /// `None` for DEFAULT: it follows the latest version.
    pub target_version: Option<u64>,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A harness version as GetHarness showed it when it was made, and when.
pub(super) struct VersionRec {
    pub version: u64,
    pub harness: Value,
    pub created_at: String,
}

fn endpoint_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn endpoint_json(h: &HarnessRec, e: &EndpointRec) -> Value {
    let mut v = json!({
        "harnessId": h.id,
        "harnessName": h.name,
        "endpointName": e.name,
        "arn": format!("arn:aws:bedrock-agentcore:{}:{ACCOUNT}:harness/{}/endpoint/{}", h.region, h.id, e.name),
        "status": "READY",
        "createdAt": e.created_at,
        "updatedAt": e.updated_at,
        "liveVersion": e.live_version.to_string(),
    });
    if let Some(t) = e.target_version {
        v["targetVersion"] = json!(t.to_string());
    }
    if let Some(d) = &e.description {
        v["description"] = json!(d);
    }
    v
}

/// Records the harness as it is now as a new version; DEFAULT moves to it.
pub(super) fn record_version(h: &mut HarnessRec, harness: Value) {
    let now = now_iso();
    let mut harness = harness;
    // A version is what the harness is once the change settled.
    harness["status"] = json!("READY");
    h.versions.push(VersionRec { version: h.version, harness, created_at: now.clone() });
    let version = h.version;
    let default = h.endpoints.entry(DEFAULT_ENDPOINT.to_string()).or_insert_with(|| EndpointRec {
        name: DEFAULT_ENDPOINT.to_string(),
        live_version: version,
        target_version: None,
        description: None,
        created_at: now.clone(),
        updated_at: now.clone(),
    });
    default.live_version = version;
    default.updated_at = now;
}

/// The model and system prompt an endpoint serves: those of its live version.
pub(super) fn endpoint_config(h: &HarnessRec, endpoint: &str) -> Result<(Value, Value), Response> {
    let Some(e) = h.endpoints.get(endpoint) else {
        return Err(not_found(&format!("Endpoint {endpoint} of harness {} not found", h.id)));
    };
    let Some(v) = h.versions.iter().find(|v| v.version == e.live_version) else {
        return Err(not_found(&format!("Version {} of harness {} not found", e.live_version, h.id)));
    };
    Ok((v.harness["model"].clone(), v.harness["systemPrompt"].clone()))
}

fn version_of(body: &serde_json::Map<String, Value>, h: &HarnessRec) -> Result<Option<u64>, Response> {
    let Some(text) = string_member(body, "targetVersion")? else { return Ok(None) };
    match text.parse::<u64>() {
        Ok(v) if h.versions.iter().any(|r| r.version == v) => Ok(Some(v)),
        _ => Err(validation(&format!("Version {text} of harness {} does not exist", h.id))),
    }
}

/// GetHarness with `?harnessVersion=N`: that version.
pub(super) fn version_json(h: &HarnessRec, query: &HashMap<String, String>) -> Option<Result<Value, Response>> {
    let asked = query.get("harnessVersion")?;
    Some(
        asked
            .parse::<u64>()
            .ok()
            .and_then(|n| h.versions.iter().find(|v| v.version == n))
            .map(|v| v.harness.clone())
            .ok_or_else(|| not_found(&format!("Version {asked} of harness {} not found", h.id))),
    )
}

pub(super) async fn list_versions(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Some(r) = state.fault("ListHarnessVersions") {
        return r;
    }
    let data = state.data();
    let Some(h) = data.harnesses.get(&id).filter(|h| h.region == region) else {
        return not_found(&format!("Harness not found: {id}"));
    };
    let versions: Vec<Value> = h
        .versions
        .iter()
        .rev()
        .map(|v| {
            json!({
                "harnessId": h.id, "harnessName": h.name, "arn": h.arn, "harnessVersion": v.version.to_string(),
                "status": "READY", "createdAt": v.created_at, "updatedAt": v.created_at,
            })
        })
        .collect();
    ok(StatusCode::OK, &json!({ "harnessVersions": versions }))
}

pub(super) async fn list_endpoints(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let data = state.data();
    let Some(h) = data.harnesses.get(&id).filter(|h| h.region == region) else {
        return not_found(&format!("Harness not found: {id}"));
    };
    let endpoints: Vec<Value> = h.endpoints.values().map(|e| endpoint_json(h, e)).collect();
    ok(StatusCode::OK, &json!({ "endpoints": endpoints }))
}

pub(super) async fn create_endpoint(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if let Some(r) = state.fault("CreateHarnessEndpoint") {
        return r;
    }
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let name = match string_member(&body, "endpointName") {
        Ok(Some(n)) => n.to_string(),
        Ok(None) => return missing("endpointName"),
        Err(r) => return r,
    };
    if !endpoint_name_ok(&name) {
        return constraint(&name, "endpointName", "satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,47}");
    }
    let mut data = state.data();
    let Some(h) = data.harnesses.get_mut(&id).filter(|h| h.region == region) else {
        return not_found(&format!("Harness not found: {id}"));
    };
    if h.endpoints.contains_key(&name) {
        return aws_error(StatusCode::CONFLICT, "ConflictException", &format!("Endpoint {name} already exists"));
    }
    let target = match version_of(&body, h) {
        Ok(v) => v.unwrap_or(h.version),
        Err(r) => return r,
    };
    let now = now_iso();
    let e = EndpointRec {
        name: name.clone(),
        live_version: target,
        target_version: Some(target),
        description: body.get("description").and_then(Value::as_str).map(str::to_string),
        created_at: now.clone(),
        updated_at: now,
    };
    let out = json!({ "endpoint": endpoint_json(h, &e) });
    h.endpoints.insert(name, e);
    ok(StatusCode::CREATED, &out)
}

pub(super) async fn get_endpoint(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let data = state.data();
    let Some(h) = data.harnesses.get(&id).filter(|h| h.region == region) else {
        return not_found(&format!("Harness not found: {id}"));
    };
    match h.endpoints.get(&name) {
        Some(e) => ok(StatusCode::OK, &json!({ "endpoint": endpoint_json(h, e) })),
        None => not_found(&format!("Endpoint {name} of harness {id} not found")),
    }
}

pub(super) async fn update_endpoint(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let body = match json_object(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut data = state.data();
    let Some(h) = data.harnesses.get_mut(&id).filter(|h| h.region == region) else {
        return not_found(&format!("Harness not found: {id}"));
    };
    if name == DEFAULT_ENDPOINT && body.contains_key("targetVersion") {
        return validation("The DEFAULT endpoint always points at the latest version");
    }
    let target = match version_of(&body, h) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(e) = h.endpoints.get_mut(&name) else {
        return not_found(&format!("Endpoint {name} of harness {id} not found"));
    };
    if let Some(t) = target {
        e.live_version = t;
        e.target_version = Some(t);
    }
    if let Some(d) = body.get("description").and_then(Value::as_str) {
        e.description = Some(d.to_string());
    }
    e.updated_at = now_iso();
    let Some(e) = h.endpoints.get(&name) else { return not_found(&name) };
    ok(StatusCode::OK, &json!({ "endpoint": endpoint_json(h, e) }))
}

pub(super) async fn delete_endpoint(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    _uri: Uri,
) -> Response {
    let region = match signed_region(&headers) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let mut data = state.data();
    let Some(h) = data.harnesses.get_mut(&id).filter(|h| h.region == region) else {
        return not_found(&format!("Harness not found: {id}"));
    };
    if name == DEFAULT_ENDPOINT {
        return validation("The DEFAULT endpoint cannot be deleted");
    }
    let Some(e) = h.endpoints.remove(&name) else {
        return not_found(&format!("Endpoint {name} of harness {id} not found"));
    };
    let mut out = endpoint_json(h, &e);
    out["status"] = json!("DELETING");
    ok(StatusCode::OK, &json!({ "endpoint": out }))
}
