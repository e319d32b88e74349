//! Who is calling: the key from the request headers, checked against the master key.
//!
//! Keys are compared as SHA-256 digests in constant time; the clear master key is not kept.
//! Virtual keys (issued by the admin API) are found by their SHA-256 in the in-memory
//! [`registry::Registry`].

pub mod access;
pub mod registry;

use std::sync::Arc;

use base64::Engine;
use chrono::Utc;
use http::{HeaderMap, HeaderName};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The master key: every model, every route, no limits.
    Master,
    /// No master key is configured (allowed only on a loopback address): treated as the master.
    Unauthenticated,
    /// A virtual key issued by `/key/generate`.
    Key(Arc<registry::KeyEntry>),
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        match self {
            Principal::Master | Principal::Unauthenticated => true,
            Principal::Key(k) => k.record.metadata.get("role").and_then(|r| r.as_str()) == Some("proxy_admin"),
        }
    }

    pub fn key(&self) -> Option<&Arc<registry::KeyEntry>> {
        match self {
            Principal::Key(k) => Some(k),
            _ => None,
        }
    }
}

impl PartialEq for Principal {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Principal::Master, Principal::Master) | (Principal::Unauthenticated, Principal::Unauthenticated) => true,
            (Principal::Key(a), Principal::Key(b)) => a.record.token == b.record.token,
            _ => false,
        }
    }
}

/// What spend logs record as `api_key` for master-key calls (LiteLLM logs those under an alias too).
pub const MASTER_KEY_SPEND_ID: &str = "litellm-proxy-master-key";

/// A new virtual key: `sk-` and 22 URL-safe random characters, like LiteLLM's.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("sk-{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// `sk-...` and the last four characters: how a key is shown after creation.
pub fn key_name(key: &str) -> String {
    let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("sk-...{tail}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Authentication Error, No api key passed in.")]
    NoKey,
    #[error("Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.")]
    Malformed,
    #[error("Authentication Error, Invalid API key provided.")]
    InvalidKey,
    #[error("Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.")]
    KeyBlocked,
    #[error("Authentication Error - Expired Key. Key Expiry time {expires} and current time {now}")]
    Expired { expires: String, now: String },
    #[error("Authentication Error, Team={0} is blocked. Update via `/team/unblock` if you're an admin.")]
    TeamBlocked(String),
}

/// Headers a key may arrive in after `x-litellm-api-key` and `Authorization`, in LiteLLM's order
/// (Azure, Anthropic, Google, Azure APIM SDKs).
const BARE_KEY_HEADERS: &[&str] = &["api-key", "x-api-key", "x-goog-api-key", "ocp-apim-subscription-key"];

pub struct Authenticator {
    master_key_digest: Option<[u8; 32]>,
    extra_header: Option<HeaderName>,
    registry: Arc<registry::Registry>,
}

impl Authenticator {
    pub fn new(
        master_key: Option<&str>,
        extra_header: Option<&str>,
        registry: Arc<registry::Registry>,
    ) -> Result<Self, String> {
        let extra_header = extra_header
            .map(|h| {
                HeaderName::from_bytes(h.trim().to_ascii_lowercase().as_bytes())
                    .map_err(|_| format!("general_settings.litellm_key_header_name: '{h}' is not a valid header name"))
            })
            .transpose()?;
        Ok(Self { master_key_digest: master_key.map(digest), extra_header, registry })
    }

    /// Whether requests are accepted without a key (no master key configured).
    pub fn is_open(&self) -> bool {
        self.master_key_digest.is_none()
    }

    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, AuthError> {
        let key = presented_key(headers, self.extra_header.as_ref())?;
        let Some(master) = &self.master_key_digest else {
            // Open gateway: a virtual key still counts as itself (its limits and spend apply).
            return match key.map(|k| self.virtual_key(k)) {
                Some(Ok(p)) => Ok(p),
                _ => Ok(Principal::Unauthenticated),
            };
        };
        let key = key.ok_or(AuthError::NoKey)?;
        if bool::from(digest(key).ct_eq(master)) {
            return Ok(Principal::Master);
        }
        self.virtual_key(key)
    }

    fn virtual_key(&self, key: &str) -> Result<Principal, AuthError> {
        let entry = self.registry.key(&hash_key(key)).ok_or(AuthError::InvalidKey)?;
        if entry.record.blocked {
            return Err(AuthError::KeyBlocked);
        }
        let now = Utc::now();
        if entry.is_expired(now) {
            return Err(AuthError::Expired {
                expires: entry.record.expires.clone().unwrap_or_default(),
                now: registry::format_time(now),
            });
        }
        if let Some(team_id) = &entry.record.team_id
            && self.registry.teams.get(team_id).is_some_and(|t| t.record.blocked)
        {
            return Err(AuthError::TeamBlocked(team_id.clone()));
        }
        Ok(Principal::Key(entry))
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// SHA-256 hex of a key: the only form in which keys are stored or logged.
pub fn hash_key(key: &str) -> String {
    hex::encode(digest(key))
}

/// The key a request carries, following LiteLLM's header precedence.
pub fn presented_key<'h>(headers: &'h HeaderMap, extra: Option<&HeaderName>) -> Result<Option<&'h str>, AuthError> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());

    if let Some(v) = value("x-litellm-api-key") {
        return Ok(Some(strip_scheme(v).unwrap_or(v)));
    }
    if let Some(v) = value("authorization") {
        return strip_scheme(v).map(Some).ok_or(AuthError::Malformed);
    }
    for name in BARE_KEY_HEADERS {
        if let Some(v) = value(name) {
            return Ok(Some(v));
        }
    }
    if let Some(name) = extra
        && let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
    {
        return Ok(Some(strip_scheme(v).unwrap_or(v)));
    }
    Ok(None)
}

/// `Bearer <key>` (any case) or `Basic <key>` → `<key>`.
fn strip_scheme(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("basic"))
        .then(|| rest.trim())
        .filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn every_litellm_header_is_accepted() {
        let auth = Authenticator::new(Some("sk-master"), Some("X-My-Key"), Default::default()).unwrap();
        for h in [
            ("authorization", "Bearer sk-master"),
            ("authorization", "bearer sk-master"),
            ("x-litellm-api-key", "sk-master"),
            ("x-litellm-api-key", "Bearer sk-master"),
            ("api-key", "sk-master"),
            ("x-api-key", "sk-master"),
            ("x-goog-api-key", "sk-master"),
            ("ocp-apim-subscription-key", "sk-master"),
            ("x-my-key", "sk-master"),
        ] {
            assert_eq!(auth.authenticate(&headers(&[h])), Ok(Principal::Master), "{h:?}");
        }
    }

    #[test]
    fn missing_malformed_and_wrong_keys() {
        let auth = Authenticator::new(Some("sk-master"), None, Default::default()).unwrap();
        assert_eq!(auth.authenticate(&headers(&[])), Err(AuthError::NoKey));
        assert_eq!(auth.authenticate(&headers(&[("authorization", "sk-master")])), Err(AuthError::Malformed));
        assert_eq!(auth.authenticate(&headers(&[("authorization", "Bearer sk-other")])), Err(AuthError::InvalidKey));
        assert_eq!(
            auth.authenticate(&headers(&[("x-litellm-api-key", "sk-master"), ("authorization", "Bearer upstream")])),
            Ok(Principal::Master),
            "x-litellm-api-key wins so clients can keep Authorization for something else"
        );
    }

    #[test]
    fn without_master_key_everyone_is_let_in() {
        let auth = Authenticator::new(None, None, Default::default()).unwrap();
        assert!(auth.is_open());
        assert_eq!(auth.authenticate(&headers(&[])), Ok(Principal::Unauthenticated));
    }

    #[test]
    fn generated_keys_look_like_litellm_keys() {
        let k = generate_key();
        assert!(k.starts_with("sk-") && k.len() == 25, "{k}");
        assert_ne!(k, generate_key());
        assert_eq!(key_name("sk-abcdefgh1234"), "sk-...1234");
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(hash_key("sk-1234"), "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b");
    }
}
