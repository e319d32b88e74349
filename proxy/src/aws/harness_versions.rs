//! Harness versions (ListHarnessVersions, GetHarness of a version) and endpoints
//! (Create/List/Update/DeleteHarnessEndpoint), and how two versions differ.

use aws_sdk_bedrockagentcorecontrol::types::{Harness, HarnessEndpoint, HarnessVersionSummary};
use serde::Serialize;
use serde_json::Value;

use super::agentcore::{harness_view, iso};
use super::{AwsError, Clients};

/// Pages read at most when listing (100 items each).
const MAX_PAGES: usize = 20;

/// One version of a harness.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: String,
    pub status: String,
    pub created_at: Option<String>,
    pub failure_reason: Option<String>,
}

/// A harness endpoint: a name InvokeHarness takes as `qualifier`, serving one version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    pub name: String,
    pub arn: String,
    pub status: String,
    /// The version it serves now.
    pub live_version: Option<String>,
    /// The version it was pointed at (`DEFAULT` has none: it follows the latest).
    pub target_version: Option<String>,
    pub description: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub failure_reason: Option<String>,
}

/// One member that differs between two versions (`model.model_id`, `system_prompt`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub field: String,
    #[schema(value_type = Object)]
    pub from: Value,
    #[schema(value_type = Object)]
    pub to: Value,
}

fn version_view(v: &HarnessVersionSummary) -> VersionView {
    VersionView {
        version: v.harness_version().to_string(),
        status: v.status().as_str().to_string(),
        created_at: iso(v.created_at()),
        failure_reason: v.failure_reason().map(str::to_string),
    }
}

fn endpoint_view(e: &HarnessEndpoint) -> EndpointView {
    EndpointView {
        name: e.endpoint_name().to_string(),
        arn: e.arn().to_string(),
        status: e.status().as_str().to_string(),
        live_version: e.live_version().map(str::to_string),
        target_version: e.target_version().map(str::to_string),
        description: e.description().map(str::to_string),
        created_at: iso(e.created_at()),
        updated_at: iso(e.updated_at()),
        failure_reason: e.failure_reason().map(str::to_string),
    }
}

fn missing(operation: &str) -> AwsError {
    AwsError::configuration(operation, "EmptyResponse", "AgentCore answered without the endpoint", "Try again.")
}

/// A harness's versions, newest first.
pub async fn list_versions(c: &Clients, id: &str) -> Result<Vec<VersionView>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = c
            .control
            .list_harness_versions()
            .harness_id(id)
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListHarnessVersions", e, &c.secrets))?;
        out.extend(page.harness_versions().iter().map(version_view));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.version.parse::<u64>().unwrap_or(0)));
    Ok(out)
}

/// A harness as it was at a version.
pub async fn get_version(c: &Clients, id: &str, version: &str) -> Result<Harness, AwsError> {
    let out = c
        .control
        .get_harness()
        .harness_id(id)
        .harness_version(version)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetHarness", e, &c.secrets))?;
    out.harness().cloned().ok_or_else(|| missing("GetHarness"))
}

/// What differs between two versions of a harness, member by member (the harness's own
/// bookkeeping — version, status, times — left out).
pub fn diff(from: &Harness, to: &Harness) -> Vec<Change> {
    const BOOKKEEPING: &[&str] = &["harness_version", "status", "created_at", "updated_at", "failure_reason"];
    let flat = |h: &Harness| {
        let mut out = std::collections::BTreeMap::new();
        let view = serde_json::to_value(harness_view(h)).unwrap_or(Value::Null);
        flatten("", &view, &mut out);
        out
    };
    let (a, b) = (flat(from), flat(to));
    let mut fields: Vec<&String> = a.keys().chain(b.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| !BOOKKEEPING.contains(&f.as_str()))
        .filter_map(|f| {
            let (x, y) = (a.get(f).cloned().unwrap_or(Value::Null), b.get(f).cloned().unwrap_or(Value::Null));
            (x != y).then(|| Change { field: f.clone(), from: x, to: y })
        })
        .collect()
}

fn flatten(prefix: &str, v: &Value, out: &mut std::collections::BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

pub async fn list_endpoints(c: &Clients, id: &str) -> Result<Vec<EndpointView>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = c
            .control
            .list_harness_endpoints()
            .harness_id(id)
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListHarnessEndpoints", e, &c.secrets))?;
        out.extend(page.endpoints().iter().map(endpoint_view));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn create_endpoint(
    c: &Clients,
    id: &str,
    name: &str,
    version: Option<&str>,
    description: Option<&str>,
) -> Result<EndpointView, AwsError> {
    let out = c
        .control
        .create_harness_endpoint()
        .harness_id(id)
        .endpoint_name(name)
        .set_target_version(version.map(str::to_string))
        .set_description(description.map(str::to_string))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("CreateHarnessEndpoint", e, &c.secrets))?;
    out.endpoint().map(endpoint_view).ok_or_else(|| missing("CreateHarnessEndpoint"))
}

/// Points an endpoint at a version (and/or changes its description).
pub async fn update_endpoint(
    c: &Clients,
    id: &str,
    name: &str,
    version: Option<&str>,
    description: Option<&str>,
) -> Result<EndpointView, AwsError> {
    let out = c
        .control
        .update_harness_endpoint()
        .harness_id(id)
        .endpoint_name(name)
        .set_target_version(version.map(str::to_string))
        .set_description(description.map(str::to_string))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("UpdateHarnessEndpoint", e, &c.secrets))?;
    out.endpoint().map(endpoint_view).ok_or_else(|| missing("UpdateHarnessEndpoint"))
}

pub async fn delete_endpoint(c: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    c.control
        .delete_harness_endpoint()
        .harness_id(id)
        .endpoint_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DeleteHarnessEndpoint", e, &c.secrets))?;
    Ok(())
}

/// `[a-zA-Z][a-zA-Z0-9_]{0,47}`, checked before AgentCore is asked.
pub fn check_endpoint_name(name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 48
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "endpoint name '{name}' must be letters, digits and underscores, starting with a letter, at most 48 characters"
        ))
    }
}

/// A version number as AgentCore writes them (`1`, `2`, ...).
pub fn check_version(version: &str) -> Result<(), String> {
    if !version.is_empty() && version.len() <= 5 && version.bytes().all(|b| b.is_ascii_digit()) && version != "0" {
        Ok(())
    } else {
        Err(format!("version '{version}' is not a harness version (1, 2, ...)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_are_checked() {
        assert!(check_endpoint_name("staging_1").is_ok());
        assert!(check_endpoint_name("1staging").is_err());
        assert!(check_endpoint_name("my-endpoint").is_err());
        assert!(check_version("12").is_ok());
        for bad in ["", "0", "v1", "1.0", "123456"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
