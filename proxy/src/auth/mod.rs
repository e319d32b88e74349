//! Who is calling: the key from the request headers, checked against the master key.
//!
//! Keys are compared as SHA-256 digests in constant time; the clear master key is not kept.
//! Virtual keys (issued by the admin API) are found by their SHA-256 in the in-memory
//! [`registry::Registry`].

pub mod access;
mod frozen;
pub mod registry;
mod table;

use std::sync::Arc;

use base64::Engine;
use chrono::Utc;
use http::{HeaderMap, HeaderName};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    /// The master key: every model, every route, no limits.
    Master,
    /// A virtual key issued by `/key/generate`, with the role it acts in.
    Key(Arc<registry::KeyEntry>, Role),
}

/// What a caller may do with the admin API (LiteLLM's user roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `proxy_admin`: everything the master key may do.
    Admin,
    /// `proxy_admin_viewer`: reads everything, changes nothing.
    Viewer,
    /// `internal_user`: manages its own keys (and, as a team's `admin` member, that team's keys
    /// and members), reads its own user and spend.
    Member,
    /// `internal_user_viewer`: reads its own keys, user and spend; changes nothing.
    MemberViewer,
    /// A key without a role (no user, or a user without `user_role`): reads its own key, its
    /// team and its user only, as LiteLLM lets such keys do.
    Plain,
}

impl Role {
    /// The role of a key: its user's `user_role`, or the key's own `metadata.role`
    /// (Switchboard's first way of making an admin key); the stronger of the two.
    pub fn of(key: &registry::KeyEntry, user_role: Option<&str>) -> Role {
        let key_role = key.record.metadata.get("role").and_then(|r| r.as_str());
        let is = |name: &str| user_role == Some(name) || key_role == Some(name);
        if is("proxy_admin") {
            Role::Admin
        } else if is("proxy_admin_viewer") {
            Role::Viewer
        } else if is("internal_user") {
            Role::Member
        } else if is("internal_user_viewer") {
            Role::MemberViewer
        } else {
            Role::Plain
        }
    }

    /// The role as LiteLLM names it in its refusals (`unknown` when there is none).
    pub fn litellm_name(self) -> &'static str {
        match self {
            Role::Admin => "proxy_admin",
            Role::Viewer => "proxy_admin_viewer",
            Role::Member => "internal_user",
            Role::MemberViewer => "internal_user_viewer",
            Role::Plain => "unknown",
        }
    }
}

impl Principal {
    /// May change anything (the master key, or a `proxy_admin`).
    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Master | Principal::Key(_, Role::Admin))
    }

    /// May read anything (admins and `proxy_admin_viewer`s).
    pub fn may_read_all(&self) -> bool {
        matches!(self, Principal::Master | Principal::Key(_, Role::Admin | Role::Viewer))
    }

    /// The role the caller acts in (the master key is an admin).
    pub fn role(&self) -> Role {
        match self {
            Principal::Master => Role::Admin,
            Principal::Key(_, role) => *role,
        }
    }

    /// The user the calling key belongs to.
    pub fn user_id(&self) -> Option<&str> {
        self.key().and_then(|k| k.record.user_id.as_deref())
    }

    pub fn key(&self) -> Option<&Arc<registry::KeyEntry>> {
        match self {
            Principal::Key(k, _) => Some(k),
            Principal::Master => None,
        }
    }
}

impl PartialEq for Principal {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Principal::Master, Principal::Master) => true,
            (Principal::Key(a, _), Principal::Key(b, _)) => a.record.token == b.record.token,
            _ => false,
        }
    }
}

pub use crate::store::MASTER_KEY_SPEND_ID;

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
    master_key_digest: [u8; 32],
    extra_header: Option<HeaderName>,
    registry: Arc<registry::Registry>,
}

impl Authenticator {
    pub fn new(
        master_key: &SecretString,
        extra_header: Option<&str>,
        registry: Arc<registry::Registry>,
    ) -> Result<Self, String> {
        let extra_header = extra_header
            .map(|h| {
                HeaderName::from_bytes(h.trim().to_ascii_lowercase().as_bytes())
                    .map_err(|_| format!("general_settings.litellm_key_header_name: '{h}' is not a valid header name"))
            })
            .transpose()?;
        Ok(Self { master_key_digest: digest(master_key.expose_secret()), extra_header, registry })
    }

    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, AuthError> {
        let key = presented_key(headers, self.extra_header.as_ref())?.ok_or(AuthError::NoKey)?;
        // One digest serves both checks: the master key's, then the stored keys' hex form.
        let digest = digest(key);
        if bool::from(digest.ct_eq(&self.master_key_digest)) {
            return Ok(Principal::Master);
        }
        self.virtual_key(&digest)
    }

    fn virtual_key(&self, digest: &[u8; 32]) -> Result<Principal, AuthError> {
        let mut hex = [0u8; 64];
        let token = hex::encode_to_slice(digest, &mut hex)
            .ok()
            .and_then(|()| std::str::from_utf8(&hex).ok())
            .ok_or(AuthError::InvalidKey)?;
        let entry = self.registry.key(token).ok_or(AuthError::InvalidKey)?;
        if entry.record.blocked {
            return Err(AuthError::KeyBlocked);
        }
        let now = Utc::now();
        if entry.is_expired(now) {
            return Err(AuthError::Expired {
                expires: entry.record.expires.clone().unwrap_or_default(),
                now: crate::time::format_time(now),
            });
        }
        if let Some(team_id) = &entry.record.team_id
            && self.registry.teams.get(team_id).is_some_and(|t| t.record.blocked)
        {
            return Err(AuthError::TeamBlocked(team_id.clone()));
        }
        let user = entry.record.user_id.as_deref().and_then(|u| self.registry.users.get(u));
        let role = Role::of(&entry, user.as_ref().and_then(|u| u.record.user_role.as_deref()));
        Ok(Principal::Key(entry, role))
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// SHA-256 hex of a key: the only form in which keys are stored or logged.
pub fn hash_key(key: &str) -> String {
    hex::encode(digest(key))
}

/// A key given as `sk-...` or as its SHA-256 hex (as the admin API lists keys) → the stored token.
pub fn token_of(key: &str) -> String {
    if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) { key.to_ascii_lowercase() } else { hash_key(key) }
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

    fn authenticator(extra_header: Option<&str>) -> Authenticator {
        Authenticator::new(&SecretString::from("sk-master"), extra_header, Default::default()).unwrap()
    }

    #[test]
    fn every_litellm_header_is_accepted() {
        let auth = authenticator(Some("X-My-Key"));
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
        let auth = authenticator(None);
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
    fn roles_come_from_the_user_or_the_key() {
        use crate::store::KeyRecord;
        let key = |metadata: serde_json::Value| {
            registry::Table::<KeyRecord>::default().put(KeyRecord {
                token: "t".into(),
                metadata: metadata.as_object().cloned().unwrap_or_default(),
                ..Default::default()
            })
        };
        let plain = key(serde_json::json!({}));
        assert_eq!(Role::of(&plain, None), Role::Plain);
        assert_eq!(Role::of(&plain, Some("internal_user")), Role::Member);
        assert_eq!(Role::of(&plain, Some("internal_user_viewer")), Role::MemberViewer);
        assert_eq!(Role::of(&plain, Some("proxy_admin")), Role::Admin);
        assert_eq!(Role::of(&plain, Some("proxy_admin_viewer")), Role::Viewer);
        assert_eq!(Role::of(&key(serde_json::json!({"role": "proxy_admin"})), Some("internal_user")), Role::Admin);
        let viewer = Principal::Key(plain.clone(), Role::Viewer);
        assert!(viewer.may_read_all() && !viewer.is_admin());
        assert!(Principal::Master.is_admin());
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
