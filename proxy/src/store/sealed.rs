//! Provider secrets of models added through the API (`api_key`, AWS keys) are stored encrypted:
//! AES-256-GCM under SHA-256 of `LITELLM_SALT_KEY` (else the master key), written as
//! `v2:gcm:` + base64url(nonce ‖ ciphertext ‖ tag) — the format LiteLLM's AES mode writes, so a
//! value sealed by one can be read by the other with the same key.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

const PREFIX: &str = "v2:gcm:";

/// `litellm_params` members that hold credentials.
pub const SECRET_PARAMS: &[&str] = &["api_key", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"];

/// LiteLLM writes padded base64url; accept both.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "cannot decrypt {0}: it was stored under another key (LITELLM_SALT_KEY, or the master key when that is not set, changed); enter it again"
    )]
    WrongKey(String),
    #[error("{0} is not a stored secret")]
    Malformed(String),
    #[error("cannot encrypt: {0}")]
    Crypto(String),
}

pub struct Sealer {
    key: LessSafeKey,
}

impl Sealer {
    pub fn new(secret: &SecretString) -> Result<Sealer, SealError> {
        let digest = Sha256::digest(secret.expose_secret().as_bytes());
        let key = UnboundKey::new(&AES_256_GCM, &digest).map_err(|e| SealError::Crypto(e.to_string()))?;
        Ok(Sealer { key: LessSafeKey::new(key) })
    }

    pub fn seal(&self, clear: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|e| SealError::Crypto(e.to_string()))?;
        let mut in_out = clear.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut in_out)
            .map_err(|e| SealError::Crypto(e.to_string()))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&in_out);
        Ok(format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE.encode(sealed)))
    }

    /// The clear value of a sealed one; `field` names it in errors.
    pub fn open(&self, sealed: &str, field: &str) -> Result<String, SealError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or_else(|| SealError::Malformed(field.to_string()))?;
        let bytes = BASE64.decode(encoded).map_err(|_| SealError::Malformed(field.to_string()))?;
        let (nonce, ciphertext) =
            bytes.split_at_checked(NONCE_LEN).ok_or_else(|| SealError::Malformed(field.to_string()))?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Malformed(field.to_string()))?;
        let mut in_out = ciphertext.to_vec();
        let clear = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut in_out)
            .map_err(|_| SealError::WrongKey(field.to_string()))?;
        String::from_utf8(clear.to_vec()).map_err(|_| SealError::Malformed(field.to_string()))
    }

    /// Seals the secret members of `litellm_params` that are not sealed yet. References to the
    /// environment (`os.environ/NAME`) are not secrets and stay readable.
    pub fn seal_params(&self, params: &mut Map<String, Value>) -> Result<(), SealError> {
        for field in SECRET_PARAMS {
            if let Some(Value::String(v)) = params.get_mut(*field)
                && needs_sealing(v)
            {
                *v = self.seal(v)?;
            }
        }
        Ok(())
    }

    /// Opens the sealed members of `litellm_params`.
    pub fn open_params(&self, params: &mut Map<String, Value>) -> Result<(), SealError> {
        for field in SECRET_PARAMS {
            if let Some(Value::String(v)) = params.get_mut(*field)
                && is_sealed(v)
            {
                *v = self.open(v, &format!("litellm_params.{field}"))?;
            }
        }
        Ok(())
    }
}

pub fn is_sealed(value: &str) -> bool {
    value.starts_with(PREFIX)
}

/// A clear secret (not sealed, not an environment reference).
pub fn needs_sealing(value: &str) -> bool {
    !value.is_empty() && !is_sealed(value) && !value.starts_with("os.environ/")
}

/// Whether a model's parameters hold a sealed secret.
pub fn has_sealed_secret(params: &Map<String, Value>) -> bool {
    SECRET_PARAMS.iter().any(|f| params.get(*f).and_then(Value::as_str).is_some_and(is_sealed))
}

/// Whether a stored model still holds a clear secret (written before secrets were sealed).
pub fn has_clear_secret(params: &Map<String, Value>) -> bool {
    SECRET_PARAMS.iter().any(|f| params.get(*f).and_then(Value::as_str).is_some_and(needs_sealing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(key: &str) -> Sealer {
        Sealer::new(&SecretString::from(key)).unwrap()
    }

    #[test]
    fn round_trip_and_wrong_key() {
        let s = sealer("sk-salt");
        let sealed = s.seal("sk-upstream-secret").unwrap();
        assert!(sealed.starts_with("v2:gcm:") && !sealed.contains("upstream"), "{sealed}");
        assert_ne!(sealed, s.seal("sk-upstream-secret").unwrap(), "a fresh nonce each time");
        assert_eq!(s.open(&sealed, "api_key").unwrap(), "sk-upstream-secret");
        let err = sealer("sk-other").open(&sealed, "api_key").unwrap_err();
        assert!(matches!(err, SealError::WrongKey(_)), "{err}");
        assert!(matches!(s.open("v2:gcm:!!", "api_key"), Err(SealError::Malformed(_))));
        assert!(matches!(s.open("v2:gcm:", "api_key"), Err(SealError::Malformed(_))));
    }

    #[test]
    fn reads_what_litellm_writes() {
        // Written by LiteLLM 1.108.7: `_encrypt_aes_gcm(value="sk-upstream-from-litellm",
        // signing_key="sk-1234")` (general_settings.encryption_algorithm: aes-256-gcm).
        let from_litellm = "v2:gcm:ktRh4npdzhJqCjcwiW-yAo4GdFrZSy-xk9KDsX85U4RYFNAfYlZ3-1z9L61NfEsPhjVftA==";
        let s = sealer("sk-1234");
        assert_eq!(s.open(from_litellm, "api_key").unwrap(), "sk-upstream-from-litellm");
        assert_eq!(s.open(from_litellm.trim_end_matches('='), "api_key").unwrap(), "sk-upstream-from-litellm");
    }

    #[test]
    fn params_seal_only_secrets_and_not_environment_references() {
        let s = sealer("k");
        let mut params: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "model": "openai/gpt-4o", "api_key": "sk-clear", "aws_secret_access_key": "os.environ/AWS_SECRET",
            "api_base": "http://x"
        }))
        .unwrap();
        assert!(has_clear_secret(&params));
        s.seal_params(&mut params).unwrap();
        assert!(!has_clear_secret(&params));
        assert!(is_sealed(params["api_key"].as_str().unwrap()));
        assert_eq!(params["aws_secret_access_key"], "os.environ/AWS_SECRET");
        assert_eq!(params["api_base"], "http://x");
        let once = params.clone();
        s.seal_params(&mut params).unwrap();
        assert_eq!(params, once, "sealing twice changes nothing");
        s.open_params(&mut params).unwrap();
        assert_eq!(params["api_key"], "sk-clear");
    }
}
