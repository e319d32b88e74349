//! Scrubbing of secrets from text that leaves the process (upstream error messages, logs).
//!
//! The text is upstream-controlled, so the scan works on `str` slices split only where a
//! search found an ASCII marker or a non-token character: every split is on a character
//! boundary whatever the text holds.

/// Replaces every known secret in `text`, and anything that looks like an API key
/// (`sk-...`, `Bearer ...`), with a masked form.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[REDACTED]");
        }
    }
    mask_key_like_tokens(&out)
}

/// Tokens shorter than this are left alone (`sk-short`, `Bearer abc`): they are words, not keys.
const MIN_TOKEN_LEN: usize = 12;

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Where the next key-like token starts in `text`: (byte offset of the marker, marker length
/// to keep in front of the token). An `sk-` token includes its marker; a `Bearer ` token is
/// what follows it.
fn next_marker(text: &str) -> Option<(usize, usize)> {
    match (text.find("sk-"), text.find("Bearer ")) {
        (None, None) => None,
        (Some(s), Some(b)) if b < s => Some((b, "Bearer ".len())),
        (Some(s), _) => Some((s, 0)),
        (None, Some(b)) => Some((b, "Bearer ".len())),
    }
}

/// Masks `sk-` tokens (keeping the last 4 characters, as LiteLLM and OpenAI display keys) and
/// the token after `Bearer `.
fn mask_key_like_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, marker_len)) = next_marker(rest) {
        // `at` and `marker_len` delimit ASCII text found by `find`: both are char boundaries.
        let (before, from_marker) = rest.split_at(at);
        let (marker, after_marker) = from_marker.split_at(marker_len);
        let token_len = after_marker.find(|c: char| !is_token_char(c)).unwrap_or(after_marker.len());
        let (token, tail) = after_marker.split_at(token_len);
        let at_word_start = !before.chars().next_back().is_some_and(is_token_char);
        out.push_str(before);
        out.push_str(marker);
        if at_word_start && token.len() >= MIN_TOKEN_LEN {
            // Token characters are ASCII: the last four bytes are the last four characters.
            let last4 = token.get(token.len() - 4..).unwrap_or_default();
            out.push_str(if marker_len == 0 { "sk-..." } else { "..." });
            out.push_str(last4);
        } else {
            out.push_str(token);
        }
        // Progress: `marker` or `token` is not empty (an `sk-` token holds its marker).
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// What a masked member of a JSON document holds instead of its value.
pub const MASKED: &str = "[REDACTED]";

/// Members holding a SHA-256 of a key, not the key: they identify a record, so they stay.
const HASH_MEMBERS: &[&str] = &["token", "key_token"];

/// Whether a JSON member of this name holds a credential: anything named like a secret, a
/// password, credentials (`vertex_credentials`; a `credential_provider` is a name), a key (`api_key`, `aws_secret_access_key`, `master_key`) or a token
/// (`aws_session_token`), but not `key_alias`, `key_name` or `max_tokens`.
fn is_secret_member(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    // An ARN names where a secret is kept (`api_key_arn`), not the secret.
    if HASH_MEMBERS.contains(&name.as_str()) || name.ends_with("_arn") {
        return false;
    }
    ["secret", "password", "credentials", "api_key", "apikey", "access_key", "private_key", "authorization"]
        .iter()
        .any(|word| name.contains(word))
        || name == "key"
        || name.ends_with("_key")
        || name.ends_with("_token")
}

/// Masks a JSON document in place: the value of every member named like a secret (null stays
/// null, so "not set" still reads as such) and, in any other string, key-like tokens (`sk-...`).
pub fn mask_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(members) => {
            for (name, v) in members.iter_mut() {
                if !v.is_null() && is_secret_member(name) {
                    *v = Value::String(MASKED.into());
                } else {
                    mask_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        Value::String(s) => *s = mask_key_like_tokens(s),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{MASKED, mask_json, scrub};

    #[test]
    fn secret_members_are_masked_and_the_rest_kept() {
        let mut doc = serde_json::json!({
            "token": "3f2a-hash", "key_alias": "ci", "api_key_arn": "arn:aws:x", "credential_provider": {"name": "p"},
            "vertex_credentials": "{...}", "key_name": "sk-...abcd", "max_tokens": 5,
            "litellm_params": {"api_key": "upstream-secret", "aws_secret_access_key": "wJalr",
                               "aws_session_token": "FQoG", "aws_access_key_id": "AKIA", "api_base": null,
                               "model": "openai/gpt-4o"},
            "metadata": {"db_password": "hunter2", "note": "uses sk-abcdefghijklmnop1234", "nested": [{"Secret": 1}]}
        });
        mask_json(&mut doc);
        let text = doc.to_string();
        for secret in ["upstream-secret", "wJalr", "FQoG", "AKIA", "hunter2", "sk-abcdefghijklmnop1234"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(doc["litellm_params"]["api_key"], MASKED);
        assert_eq!(doc["metadata"]["nested"][0]["Secret"], MASKED);
        assert_eq!(doc["litellm_params"]["api_base"], serde_json::Value::Null);
        assert_eq!(doc["token"], "3f2a-hash");
        assert_eq!(doc["key_alias"], "ci");
        assert_eq!(doc["api_key_arn"], "arn:aws:x");
        assert_eq!(doc["credential_provider"]["name"], "p");
        assert_eq!(doc["vertex_credentials"], MASKED);
        assert_eq!(doc["key_name"], "sk-...abcd");
        assert_eq!(doc["max_tokens"], 5);
        assert_eq!(doc["litellm_params"]["model"], "openai/gpt-4o");
    }

    #[test]
    fn known_secrets_and_key_like_tokens_are_masked() {
        let secrets = vec!["AKIDSECRETVALUE".to_string()];
        let text = "Incorrect API key provided: sk-upstream-test-123456. token AKIDSECRETVALUE, header Bearer abcdefghijklmnop";
        let out = scrub(text, &secrets);
        assert!(!out.contains("sk-upstream-test-123456"), "{out}");
        assert!(out.contains("sk-...3456"), "{out}");
        assert!(!out.contains("AKIDSECRETVALUE"), "{out}");
        assert!(!out.contains("abcdefghijklmnop"), "{out}");
        assert!(out.contains("Bearer ...mnop"), "{out}");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for text in ["task-list is fine", "sk-short", "no secrets here", "ends with Bearer ", "Bearer é", "sk-é"] {
            assert_eq!(scrub(text, &[]), text);
        }
    }

    #[test]
    fn non_ascii_after_a_marker_does_not_panic() {
        // Found by a security review: any non-ASCII character right after `Bearer ` panicked.
        assert_eq!(scrub("upstream said: Bearer é", &[]), "upstream said: Bearer é");
        assert_eq!(scrub("Bearer 日本語 sk-日本", &[]), "Bearer 日本語 sk-日本");
        assert_eq!(scrub("Bearer\u{0} Bearer 🦀sk-abcdefghijklmnop", &[]), "Bearer\u{0} Bearer 🦀sk-...mnop");
    }

    proptest! {
        /// Any text: no panic, and text without markers comes back as it was.
        #[test]
        fn never_panics_and_keeps_marker_free_text(text in "\\PC*") {
            let out = scrub(&text, &[]);
            if !text.contains("sk-") && !text.contains("Bearer ") {
                prop_assert_eq!(out, text);
            }
        }

        /// Text built from markers, token characters and multi-byte characters, where slicing
        /// mistakes would show.
        #[test]
        fn never_panics_around_markers(parts in proptest::collection::vec(
            prop_oneof![
                Just("sk-".to_string()), Just("Bearer ".to_string()), Just("é".to_string()),
                Just("🦀".to_string()), Just(" ".to_string()), "[a-zA-Z0-9_-]{0,20}",
            ], 0..12))
        {
            let text: String = parts.concat();
            let _ = scrub(&text, &["é".to_string()]);
        }

        /// A key embedded anywhere never survives.
        #[test]
        fn embedded_keys_are_masked(prefix in "\\PC{0,20}", key in "[a-zA-Z0-9]{12,40}", suffix in "[ .,;:]\\PC{0,20}") {
            let sk = format!("sk-{key}");
            let text = format!("{prefix} {sk}{suffix}");
            let out = scrub(&text, &[]);
            prop_assert!(!out.contains(&sk), "{}", out);
            let bearer = format!("{prefix} Bearer {key}{suffix}");
            let out = scrub(&bearer, &[]);
            prop_assert!(!out.contains(&key), "{}", out);
        }

        /// Configured secrets are removed wherever they appear.
        #[test]
        fn configured_secrets_are_removed(prefix in "\\PC{0,20}", secret in "[A-Za-z0-9/+]{8,30}", suffix in "\\PC{0,20}") {
            prop_assume!(!"[REDACTED]".contains(secret.as_str()));
            let out = scrub(&format!("{prefix}{secret}{suffix}"), std::slice::from_ref(&secret));
            prop_assert!(!out.contains(&secret), "{}", out);
        }
    }
}
