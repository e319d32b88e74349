//! Wildcard model groups (`model_name: "*"`, `openai/*`, `bedrock/*`...): LiteLLM's pattern
//! routes. The parts of the requested name a pattern's `*`s match fill the `*`s of each
//! deployment's `litellm_params.model`, in order.

use std::collections::HashMap;

/// A `model_name` with at least one `*`.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The literal pieces between the `*`s (`openai/*` → `["openai/", ""]`).
    pieces: Vec<String>,
    /// LiteLLM tries longer, then more complex, patterns first.
    specificity: (usize, usize),
}

impl Pattern {
    pub fn new(model_name: &str) -> Option<Pattern> {
        if !model_name.contains('*') {
            return None;
        }
        let pieces: Vec<String> = model_name.split('*').map(str::to_string).collect();
        Some(Pattern { specificity: (model_name.len(), pieces.len() - 1), pieces })
    }

    pub fn specificity(&self) -> (usize, usize) {
        self.specificity
    }

    /// The parts of `name` the `*`s match, if the whole name matches (each `*` as long as it can
    /// be, like the regex `(.*)` LiteLLM builds).
    pub fn captures(&self, name: &str) -> Option<Vec<String>> {
        let (first, rest) = self.pieces.split_first()?;
        let mut remaining = name.strip_prefix(first.as_str())?;
        let mut captures = Vec::with_capacity(rest.len());
        for (i, piece) in rest.iter().enumerate() {
            let last = i + 1 == rest.len();
            let end = if last {
                if !remaining.ends_with(piece.as_str()) {
                    return None;
                }
                remaining.len() - piece.len()
            } else {
                // Greedy: the last occurrence that leaves room for what follows.
                let tail_min: usize = rest.get(i + 1..).map(|r| r.iter().map(String::len).sum()).unwrap_or(0);
                let searchable = remaining.len().checked_sub(tail_min)?;
                remaining.get(..searchable)?.rfind(piece.as_str())?
            };
            captures.push(remaining.get(..end)?.to_string());
            remaining = remaining.get(end + piece.len()..)?;
        }
        Some(captures)
    }
}

/// `litellm_params.model` with its `*`s replaced by `captures`, in order; a model without `*` is
/// used as written.
pub fn fill(model: &str, captures: &[String]) -> String {
    let mut out = String::with_capacity(model.len() + captures.iter().map(String::len).sum::<usize>());
    let mut captures = captures.iter();
    let mut pieces = model.split('*').peekable();
    while let Some(piece) = pieces.next() {
        out.push_str(piece);
        if pieces.peek().is_some() {
            out.push_str(captures.next().map(String::as_str).unwrap_or("*"));
        }
    }
    out
}

/// The names LiteLLM lists for a wildcard group (its `get_known_models_from_wildcard`): the
/// models `by_provider` holds for the deployment's provider, kept to those a partial pattern
/// names (`openai/gpt-4*`, else the pattern's text is put before each), under the pattern's prefix
/// (`*` of `openai/*` → `openai/gpt-4o`; `myprefix/*` → `myprefix/gpt-4o`, a model's own provider
/// prefix replaced rather than doubled). A pattern without `/` lists nothing.
pub fn known_models(wildcard: &str, deployment_model: &str, by_provider: &HashMap<String, Vec<String>>) -> Vec<String> {
    let expanded = if wildcard == "*" && deployment_model.contains('*') && deployment_model.contains('/') {
        deployment_model
    } else {
        wildcard
    };
    let Some((prefix, suffix)) = expanded.split_once('/') else { return Vec::new() };
    let provider = deployment_model.split_once('/').map_or(deployment_model, |(p, _)| p);
    let Some(models) = by_provider.get(provider) else { return Vec::new() };
    let mut models: Vec<String> = models.clone();
    if suffix != "*" {
        let model_prefix = suffix.replace('*', "");
        let repeated = deployment_model.ends_with(&format!("/{suffix}"));
        if repeated || models.iter().any(|m| m.starts_with(&model_prefix)) {
            models.retain(|m| m.starts_with(&model_prefix));
        } else {
            models = models.iter().map(|m| format!("{model_prefix}{m}")).collect();
        }
    }
    let own_prefix = format!("{prefix}/");
    models
        .into_iter()
        .map(|m| {
            if m.starts_with(&own_prefix) {
                return m;
            }
            match m.split_once('/') {
                Some((lead, rest)) if by_provider.contains_key(lead) => format!("{own_prefix}{rest}"),
                _ => format!("{own_prefix}{m}"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(pattern: &str, name: &str) -> Option<Vec<String>> {
        Pattern::new(pattern).unwrap().captures(name)
    }

    #[test]
    fn litellm_examples() {
        assert_eq!(caps("*", "gpt-3.5-turbo-0125"), Some(vec!["gpt-3.5-turbo-0125".to_string()]));
        assert_eq!(caps("openai/*", "openai/gpt-4o"), Some(vec!["gpt-4o".to_string()]));
        assert_eq!(caps("openai/*", "groq/llama"), None);
        assert_eq!(
            caps("llmengine/*::static::*", "llmengine/foo::bar::static::baz"),
            Some(vec!["foo::bar".to_string(), "baz".to_string()])
        );
        assert_eq!(fill("openai/*::static::*", &["a".to_string(), "b".to_string()]), "openai/a::static::b");
        assert_eq!(fill("openai/*", &["gpt-4o".to_string()]), "openai/gpt-4o");
        assert_eq!(fill("bedrock/*", &["us.anthropic.claude".to_string()]), "bedrock/us.anthropic.claude");
        assert_eq!(fill("openai/gpt-4o", &["x".to_string()]), "openai/gpt-4o");
    }

    #[test]
    fn captures_are_greedy_and_the_whole_name_must_match() {
        assert_eq!(caps("a*-*", "a-b-c"), Some(vec!["-b".to_string(), "c".to_string()]));
        assert_eq!(caps("*-mini", "gpt-4o-mini"), Some(vec!["gpt-4o".to_string()]));
        assert_eq!(caps("*-mini", "gpt-4o-mini-2024"), None);
        assert_eq!(caps("x*y", "xy"), Some(vec![String::new()]));
        assert_eq!(caps("x*y", "x"), None);
    }

    #[test]
    fn more_specific_patterns_rank_higher() {
        assert!(Pattern::new("openai/*").unwrap().specificity() > Pattern::new("*").unwrap().specificity());
    }

    #[test]
    fn wildcard_groups_list_what_litellm_lists() {
        let by: HashMap<String, Vec<String>> = [
            ("openai".to_string(), vec!["gpt-4o".to_string(), "gpt-4o-mini".to_string(), "o3".to_string()]),
            ("ollama".to_string(), vec!["ollama/gemma3:1b".to_string()]),
            ("bedrock".to_string(), vec!["us.anthropic.claude".to_string()]),
        ]
        .into_iter()
        .collect();
        let list = |w: &str, m: &str| known_models(w, m, &by);
        assert_eq!(list("*", "openai/*"), ["openai/gpt-4o", "openai/gpt-4o-mini", "openai/o3"]);
        assert_eq!(list("openai/*", "openai/*"), ["openai/gpt-4o", "openai/gpt-4o-mini", "openai/o3"]);
        assert_eq!(list("team-a/*", "openai/*"), ["team-a/gpt-4o", "team-a/gpt-4o-mini", "team-a/o3"]);
        assert_eq!(list("openai/gpt-4o*", "openai/gpt-4o*"), ["openai/gpt-4o", "openai/gpt-4o-mini"]);
        assert_eq!(list("openai/ft-*", "openai/*"), ["openai/ft-gpt-4o", "openai/ft-gpt-4o-mini", "openai/ft-o3"]);
        assert_eq!(list("ollama_server1/*", "ollama/*"), ["ollama_server1/gemma3:1b"], "not ollama_server1/ollama/...");
        assert_eq!(list("bedrock/*", "bedrock/*"), ["bedrock/us.anthropic.claude"]);
        assert!(list("*", "*").is_empty(), "a pattern without a provider lists nothing");
        assert!(list("acme/*", "acme/*").is_empty(), "a provider the price map does not know lists nothing");
    }
}
