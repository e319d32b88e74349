//! Credential providers whose key is in a Secrets Manager secret of the user's
//! (`apiKeySecretConfig` with `apiKeySecretSource: EXTERNAL`). Like AgentCore Identity, the fake
//! reads the secret when the provider is created or updated (a secret it cannot read is refused)
//! and again whenever a harness needs the key, so a secret rotated in Secrets Manager is followed.
//! The secret is read with `GetSecretValue` (awsJson1.1) from the Secrets Manager endpoint given
//! to [`super::FakeAgentCore::use_secrets_manager`] — moto's in the tests.

use serde_json::{Map, Value, json};

use super::ACCOUNT;

/// Where a provider's key is.
#[derive(Clone)]
pub(super) enum ProviderKey {
    /// Given as `apiKey` (AgentCore keeps it in a secret of its own: source `MANAGED`).
    Stored(String),
    /// In a secret of the user's.
    Secret { secret_id: String, json_key: String, secret_arn: String },
}

impl ProviderKey {
    /// The members GetApiKeyCredentialProvider shows about the key.
    pub(super) fn describe(&self, region: &str, name: &str, out: &mut Map<String, Value>) {
        match self {
            ProviderKey::Stored(_) => {
                out.insert(
                    "apiKeySecretArn".into(),
                    json!({"secretArn": format!("arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:bedrock-agentcore-identity!default/apikey/{name}")}),
                );
                out.insert("apiKeySecretSource".into(), json!("MANAGED"));
            }
            ProviderKey::Secret { json_key, secret_arn, .. } => {
                out.insert("apiKeySecretArn".into(), json!({ "secretArn": secret_arn }));
                out.insert("apiKeySecretJsonKey".into(), json!(json_key));
                out.insert("apiKeySecretSource".into(), json!("EXTERNAL"));
            }
        }
    }
}

/// The secret reference of a Create/Update body, checked: `(secret_id, json_key)`.
pub(super) fn reference(body: &Map<String, Value>) -> Result<Option<(String, String)>, String> {
    let source = body.get("apiKeySecretSource").and_then(Value::as_str);
    if let Some(s) = source
        && s != "MANAGED"
        && s != "EXTERNAL"
    {
        return Err(format!(
            "1 validation error detected: Value '{s}' at 'apiKeySecretSource' failed to satisfy constraint: Member must satisfy enum value set: [MANAGED, EXTERNAL]"
        ));
    }
    let Some(config) = body.get("apiKeySecretConfig").filter(|c| !c.is_null()) else {
        return if source == Some("EXTERNAL") {
            Err("apiKeySecretConfig is required when apiKeySecretSource is EXTERNAL".into())
        } else {
            Ok(None)
        };
    };
    if source != Some("EXTERNAL") {
        return Err("apiKeySecretConfig is only taken with apiKeySecretSource EXTERNAL".into());
    }
    if body.get("apiKey").is_some_and(|k| !k.is_null()) {
        return Err("Specify either apiKey or apiKeySecretConfig, not both".into());
    }
    let member = |m: &str| {
        config
            .get(m)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("1 validation error detected: Value null at 'apiKeySecretConfig.{m}' failed to satisfy constraint: Member must not be null"))
    };
    Ok(Some((member("secretId")?, member("jsonKey")?)))
}

/// Reads `json_key` of a secret: `(the secret's ARN, the key)`.
pub(super) async fn read(
    http: &reqwest::Client,
    endpoint: Option<&str>,
    region: &str,
    secret_id: &str,
    json_key: &str,
) -> Result<(String, String), String> {
    let Some(endpoint) = endpoint else {
        return Err(format!("Unable to retrieve secret {secret_id}: Secrets Manager is not reachable from the fake"));
    };
    let response = http
        .post(endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "secretsmanager.GetSecretValue")
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDAGENTCOREIDENTITY/20260101/{region}/secretsmanager/aws4_request, \
                 SignedHeaders=host, Signature=0"
            ),
        )
        .body(json!({ "SecretId": secret_id }).to_string())
        .send()
        .await
        .map_err(|e| format!("Unable to retrieve secret {secret_id}: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let code = body["__type"].as_str().unwrap_or("Error");
        return Err(format!(
            "Unable to retrieve secret {secret_id}: {code}: {}",
            body["message"].as_str().unwrap_or("")
        ));
    }
    let arn = body["ARN"].as_str().unwrap_or(secret_id).to_string();
    let text = body["SecretString"].as_str().unwrap_or_default();
    let key = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get(json_key).and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| format!("Secret {secret_id} has no JSON key {json_key}"))?;
    Ok((arn, key))
}
