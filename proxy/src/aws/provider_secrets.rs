//! Credential providers that take their key from a Secrets Manager secret of the user's
//! (`apiKeySecretConfig` with source `EXTERNAL`) instead of holding it. The gateway reads the
//! secret once to learn which of its keys is in it (by hash; the value is dropped at once), so the
//! doctor and the run view know the provider's key as they do for a key stored in the provider.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{AwsError, AwsErrorKind, ClearKey, Clients};

/// The secret and the JSON key in it that hold the API key.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SecretRef {
    /// The secret's name or ARN.
    #[serde(alias = "secretId")]
    pub secret_id: String,
    /// The member of the secret's JSON that holds the key (`{"api_key": "sk-..."}` → `api_key`).
    #[serde(alias = "jsonKey")]
    pub json_key: String,
}

/// Where a credential provider's key is kept, as AgentCore describes it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KeySecret {
    pub secret_arn: String,
    pub json_key: Option<String>,
    /// `MANAGED` (AgentCore's own secret, holding the key it was given) or `EXTERNAL` (a secret of
    /// yours).
    pub source: String,
}

impl KeySecret {
    pub fn is_external(&self) -> bool {
        self.source == "EXTERNAL"
    }

    /// The reference the secret is read by.
    pub fn reference(&self) -> Option<SecretRef> {
        Some(SecretRef { secret_id: self.secret_arn.clone(), json_key: self.json_key.clone()? })
    }
}

/// Secrets Manager's limits: a secret id of 1–2048 characters; a JSON key that is not empty.
pub fn check_secret_ref(r: &SecretRef) -> Result<(), String> {
    if r.secret_id.trim().is_empty() || r.secret_id.len() > 2048 {
        return Err("secret.secret_id must be the secret's name or ARN (1 to 2048 characters)".into());
    }
    if r.json_key.trim().is_empty() {
        return Err("secret.json_key must name the member of the secret's JSON that holds the key, like api_key".into());
    }
    Ok(())
}

/// Why the key could not be read out of the secret (the secret's values are never named).
#[derive(Debug)]
pub enum ReadError {
    Aws(AwsError),
    /// The secret is not a JSON object (or holds binary data).
    NotJson,
    /// The JSON has no such member, or it is not a string; the members it has.
    NoMember(Vec<String>),
}

impl ReadError {
    pub fn message(&self, r: &SecretRef) -> String {
        match self {
            ReadError::Aws(e) => e.message.clone(),
            ReadError::NotJson => format!(
                "secret {} does not hold a JSON object: store the key as {{\"{}\": \"sk-...\"}}",
                r.secret_id, r.json_key
            ),
            ReadError::NoMember(members) => format!(
                "secret {} has no string member '{}' (its members: {})",
                r.secret_id,
                r.json_key,
                if members.is_empty() { "none".to_string() } else { members.join(", ") }
            ),
        }
    }
}

/// Reads the key a secret holds.
pub async fn read_key(c: &Clients, r: &SecretRef) -> Result<ClearKey, ReadError> {
    let out = c.secrets_manager.get_secret_value().secret_id(&r.secret_id).send().await.map_err(|e| {
        let mut error = AwsError::from_sdk("GetSecretValue", e, &c.secrets);
        error.fix = match error.kind {
            AwsErrorKind::NotFound => format!(
                "Check the secret's name or ARN and that it is in {}: a credential provider reads a secret of its \
                 own region.",
                c.region
            ),
            AwsErrorKind::AccessDenied => "The gateway reads the secret to learn which of its keys is in it: allow \
                                           secretsmanager:GetSecretValue on it (and kms:Decrypt for a customer key) \
                                           to the gateway's AWS identity."
                .into(),
            _ => error.fix,
        };
        ReadError::Aws(error)
    })?;
    let Some(text) = out.secret_string() else { return Err(ReadError::NotJson) };
    let Ok(Value::Object(members)) = serde_json::from_str::<Value>(text) else { return Err(ReadError::NotJson) };
    match members.get(&r.json_key) {
        Some(Value::String(key)) if !key.trim().is_empty() => Ok(ClearKey::new(key.trim().to_string())),
        _ => Err(ReadError::NoMember(members.keys().cloned().collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_checked() {
        assert!(check_secret_ref(&SecretRef { secret_id: "gateway/key".into(), json_key: "api_key".into() }).is_ok());
        assert!(check_secret_ref(&SecretRef { secret_id: " ".into(), json_key: "api_key".into() }).is_err());
        assert!(check_secret_ref(&SecretRef { secret_id: "s".into(), json_key: "".into() }).is_err());
        let body = r#"{"secretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k", "jsonKey": "api_key"}"#;
        let r: SecretRef = serde_json::from_str(body).unwrap();
        assert_eq!(r.json_key, "api_key");
    }
}
