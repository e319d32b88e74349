//! LiteLLM's price map (`model_prices_and_context_window.json`), bundled as data.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::config::ModelEntry;

/// `data/model_prices_and_context_window.json` reduced by build.rs to the fields below.
const BUNDLED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/prices.json"));

/// USD per token, and what else `/model/info` shows about a model.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Price {
    #[serde(default)]
    pub input_cost_per_token: Option<f64>,
    #[serde(default)]
    pub output_cost_per_token: Option<f64>,
    #[serde(default)]
    pub cache_read_input_token_cost: Option<f64>,
    #[serde(default)]
    pub cache_creation_input_token_cost: Option<f64>,
    #[serde(default)]
    pub litellm_provider: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub max_input_tokens: Option<u64>,
    #[serde(default)]
    pub max_output_tokens: Option<u64>,
    #[serde(default)]
    pub supports_function_calling: Option<bool>,
    #[serde(default)]
    pub supports_vision: Option<bool>,
}

/// The price map, parsed once per process: `SWITCHBOARD_MODEL_PRICES` if set, else the bundled copy.
pub fn price_map() -> &'static HashMap<String, Price> {
    static MAP: OnceLock<HashMap<String, Price>> = OnceLock::new();
    MAP.get_or_init(|| {
        let from_file = std::env::var_os("SWITCHBOARD_MODEL_PRICES").and_then(|path| match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                tracing::warn!("SWITCHBOARD_MODEL_PRICES={}: {e}; using the bundled price map", path.to_string_lossy());
                None
            }
        });
        match from_file {
            Some(bytes) => parse_full(&bytes),
            // Reduced at build time: every entry fits `Price`.
            None => serde_json::from_slice(BUNDLED).unwrap_or_default(),
        }
    })
}

/// The price map's models of each provider, sorted: what LiteLLM's `models_by_provider` holds
/// and expands wildcard routes with (a few providers gather others, as LiteLLM's do: `openai`
/// lists its text-completion models, `bedrock` its Converse ones, `vertex_ai` every `vertex_ai-*`
/// family; OpenAI chat fine-tunes are left out).
pub fn models_by_provider() -> &'static HashMap<String, Vec<String>> {
    static MAP: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut by_provider: HashMap<String, Vec<String>> = HashMap::new();
        for (name, price) in price_map() {
            let Some(provider) = price.litellm_provider.as_deref() else { continue };
            if provider == "openai" && name.starts_with("ft:") {
                continue;
            }
            let listed_under: Vec<&str> = match provider {
                "text-completion-openai" => vec!["openai", "text-completion-openai"],
                "cohere_chat" => vec!["cohere", "cohere_chat"],
                "bedrock_converse" => vec!["bedrock"],
                "azure_text" => vec!["azure", "azure_text"],
                "ollama" => vec!["ollama", "ollama_chat"],
                "fireworks_ai-embedding-models" => vec!["fireworks_ai"],
                p if p.starts_with("vertex_ai-") => vec!["vertex_ai"],
                p => vec![p],
            };
            let name =
                if provider.starts_with("vertex_ai-") { name.strip_prefix("vertex_ai/").unwrap_or(name) } else { name };
            for p in listed_under {
                by_provider.entry(p.to_string()).or_default().push(name.to_string());
            }
        }
        for models in by_provider.values_mut() {
            models.sort();
            models.dedup();
        }
        by_provider
    })
}

/// A full LiteLLM price map; entries whose fields do not fit (the `sample_spec` documentation
/// entry) are skipped.
fn parse_full(bytes: &[u8]) -> HashMap<String, Price> {
    let raw: HashMap<String, serde_json::Value> = serde_json::from_slice(bytes).unwrap_or_default();
    raw.into_iter().filter_map(|(k, v)| serde_json::from_value::<Price>(v).ok().map(|p| (k, p))).collect()
}

/// The price of a deployment: its own `input/output_cost_per_token` (litellm_params, then
/// model_info), else the map entry of `model_info.base_model`, `provider/model`, `model`, and
/// for Bedrock inference profiles the model without its region prefix.
pub fn price_of(entry: &ModelEntry) -> Option<Price> {
    price_for(entry, &entry.provider_model)
}

/// The price of `entry` when it calls `provider_model` (a wildcard deployment calls the model
/// the request named).
pub fn price_for(entry: &ModelEntry, provider_model: &str) -> Option<Price> {
    let map = price_map();
    let info_cost = |k: &str| entry.model_info.get(k).and_then(serde_json::Value::as_f64);
    let base_model = entry.model_info.get("base_model").and_then(|v| v.as_str());
    let model = provider_model.strip_prefix("converse/").unwrap_or(provider_model);
    let without_region =
        model.split_once('.').filter(|(r, _)| matches!(*r, "us" | "eu" | "apac" | "global" | "jp" | "au"));
    let mut candidates: Vec<String> = Vec::new();
    // LiteLLM prices a base model under the deployment's provider first (`gpt-4o-mini` of an
    // Azure deployment is `azure/gpt-4o-mini`, which Azure prices apart from OpenAI).
    if let Some(base) = base_model {
        if !base.contains('/') {
            candidates.push(format!("{}/{base}", entry.provider));
        }
        candidates.push(base.to_string());
    }
    candidates.push(format!("{}/{}", entry.provider, model));
    candidates.push(model.to_string());
    if let Some((_, bare)) = without_region {
        candidates.push(format!("{}/{}", entry.provider, bare));
        candidates.push(bare.to_string());
    }
    let mut price = candidates.iter().find_map(|k| map.get(k)).cloned();
    let input = entry.params.input_cost_per_token.or_else(|| info_cost("input_cost_per_token"));
    let output = entry.params.output_cost_per_token.or_else(|| info_cost("output_cost_per_token"));
    let cache_read = info_cost("cache_read_input_token_cost");
    let cache_write = info_cost("cache_creation_input_token_cost");
    if input.is_some() || output.is_some() || cache_read.is_some() || cache_write.is_some() {
        let p = price.get_or_insert_with(Price::default);
        p.input_cost_per_token = input.or(p.input_cost_per_token);
        p.output_cost_per_token = output.or(p.output_cost_per_token);
        p.cache_read_input_token_cost = cache_read.or(p.cache_read_input_token_cost);
        p.cache_creation_input_token_cost = cache_write.or(p.cache_creation_input_token_cost);
    }
    price
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn entry(yaml_params: &str) -> ModelEntry {
        let c =
            Config::from_yaml(&format!("model_list:\n  - model_name: m\n    litellm_params: {yaml_params}\n")).unwrap();
        c.models[0].clone()
    }

    #[test]
    fn bundled_map_knows_the_seed_models() {
        let p = price_of(&entry("{model: bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0}")).unwrap();
        assert_eq!(p.input_cost_per_token, Some(1.1e-6));
        assert_eq!(p.output_cost_per_token, Some(5.5e-6));
        assert_eq!(p.cache_read_input_token_cost, Some(1.1e-7), "prompt-cache prices come along");
        assert_eq!(p.cache_creation_input_token_cost, Some(1.375e-6));
        let p = price_of(&entry("{model: openai/gpt-4o-mini}")).unwrap();
        assert_eq!(p.input_cost_per_token, Some(1.5e-7));
        let p = price_of(&entry("{model: azure/gpt-4o-mini}")).unwrap();
        assert_eq!((p.input_cost_per_token, p.output_cost_per_token), (Some(1.5e-7), Some(6e-7)));
        let p = price_of(&entry("{model: gemini/gemini-2.5-flash}")).unwrap();
        assert_eq!((p.input_cost_per_token, p.output_cost_per_token), (Some(3e-7), Some(2.5e-6)));
        assert!(price_map().len() > 1000);
    }

    #[test]
    fn models_by_provider_gathers_as_litellm_does() {
        let by = models_by_provider();
        let openai = &by["openai"];
        assert!(openai.iter().any(|m| m == "gpt-4o-mini"));
        assert!(!openai.iter().any(|m| m == "ft:gpt-4o-2024-08-06"), "chat fine-tunes are not listed");
        assert!(openai.iter().any(|m| m == "ft:davinci-002"), "text-completion models are (LiteLLM's sets)");
        assert!(openai.windows(2).all(|w| w[0] < w[1]), "sorted, each once");
        assert!(by["bedrock"].iter().any(|m| m == "anthropic.claude-haiku-4-5-20251001-v1:0"));
        assert!(by["anthropic"].iter().any(|m| m.starts_with("claude-")));
    }

    #[test]
    fn user_named_deployments_are_priced_by_their_base_model() {
        let c = Config::from_yaml(
            "model_list:\n  - model_name: m\n    litellm_params: {model: azure/prod-chat}\n    model_info: {base_model: text-embedding-3-small}\n",
        )
        .unwrap();
        let p = price_of(&c.models[0]).unwrap();
        assert_eq!(p.input_cost_per_token, Some(2.2e-8), "Azure's price of the base model, not OpenAI's 2e-8");
        assert!(price_of(&entry("{model: azure/prod-chat}")).is_none());
    }

    #[test]
    fn deployment_prices_override_the_map() {
        let p = price_of(&entry("{model: openai/gpt-4o-mini, input_cost_per_token: 0.5, output_cost_per_token: 1.5}"))
            .unwrap();
        assert_eq!((p.input_cost_per_token, p.output_cost_per_token), (Some(0.5), Some(1.5)));
        assert!(price_of(&entry("{model: openai/no-such-model-anywhere}")).is_none());
    }
}
