//! Scrubbing of secrets from text that leaves the process (upstream error messages, logs).

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

/// Masks `sk-` tokens (keeping the last 4 characters, as LiteLLM and OpenAI display keys) and
/// the token after `Bearer `.
fn mask_key_like_tokens(text: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let sk = rest.find("sk-");
        let bearer = rest.find("Bearer ");
        let (at, skip) = match (sk, bearer) {
            (None, None) => break,
            (Some(s), Some(b)) if b < s => (b, 7),
            (Some(s), _) => (s, 0),
            (None, Some(b)) => (b, 7),
        };
        let boundary_ok = at == 0 || !rest[..at].chars().next_back().is_some_and(is_token_char);
        let token_start = at + skip;
        let token_len = rest[token_start..].find(|c: char| !is_token_char(c)).unwrap_or(rest.len() - token_start);
        let token = &rest[token_start..token_start + token_len];
        out.push_str(&rest[..token_start]);
        if boundary_ok && token.len() >= 12 {
            let tail: String = token.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            let head = if skip == 0 { "sk-" } else { "" };
            out.push_str(&format!("{head}...{tail}"));
        } else if token.is_empty() {
            // Nothing to mask; step past the marker so the scan moves on.
            out.push_str(&rest[token_start..(token_start + 1).min(rest.len())]);
            rest = &rest[(token_start + 1).min(rest.len())..];
            continue;
        } else {
            out.push_str(token);
        }
        rest = &rest[token_start + token_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn known_secrets_and_key_like_tokens_are_masked() {
        let secrets = vec!["AKIDSECRETVALUE".to_string()];
        let text = "Incorrect API key provided: sk-upstream-test-123456. token AKIDSECRETVALUE, header Bearer abcdefghijklmnop";
        let out = scrub(text, &secrets);
        assert!(!out.contains("sk-upstream-test-123456"), "{out}");
        assert!(out.contains("sk-...3456"), "{out}");
        assert!(!out.contains("AKIDSECRETVALUE"), "{out}");
        assert!(!out.contains("abcdefghijklmnop"), "{out}");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for text in ["task-list is fine", "sk-short", "no secrets here", "ends with Bearer "] {
            assert_eq!(scrub(text, &[]), text);
        }
    }
}
