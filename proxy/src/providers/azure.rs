//! Azure OpenAI (`azure/<deployment>`): the OpenAI wire format at Azure's paths. Only where the
//! upstream is and how it authenticates differ from OpenAI, so this module configures an
//! [`OpenAiProvider`] and everything else (forwarding, streams with usage, error mapping,
//! embeddings, text completions) is shared with it.
//!
//! As LiteLLM configures it: `api_base` (or `AZURE_API_BASE`) is the resource endpoint
//! `https://<resource>.openai.azure.com`; `api_version` (or `AZURE_API_VERSION`) goes in every
//! query; `api_key` (or `AZURE_API_KEY`) is sent as `api-key`, or a Microsoft Entra ID token
//! (`azure_ad_token`, `AZURE_AD_TOKEN`) as `Authorization: Bearer`.

use std::sync::Arc;

use http::HeaderName;
use http::header::AUTHORIZATION;
use secrecy::ExposeSecret;

use super::SharedClients;
use super::openai::{ModelUrl, OpenAiProvider, Operation, Upstream, Urls, secret_header};
use crate::config::ModelEntry;
use crate::http_client::uri_of;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `{base}/openai/deployments/{deployment}/{operation}?api-version={version}`.
fn deployment_url(base: &reqwest::Url, version: &str, deployment: &str, op: Operation) -> Result<reqwest::Url, String> {
    let mut url = base.clone();
    let operation: &[&str] = match op {
        Operation::Chat => &["chat", "completions"],
        Operation::Embeddings => &["embeddings"],
        Operation::Completions => &["completions"],
    };
    // Segments are percent-encoded as they are added: a deployment name cannot change the path.
    url.path_segments_mut()
        .map_err(|()| "the api_base cannot be a base URL".to_string())?
        .pop_if_empty()
        .extend(["openai", "deployments", deployment])
        .extend(operation);
    url.query_pairs_mut().append_pair("api-version", version);
    Ok(url)
}

pub fn build(entry: &ModelEntry, clients: &SharedClients) -> Result<OpenAiProvider, String> {
    let label = entry.label();
    let field = |name: &str| format!("{label}.litellm_params.{name}");
    let api_base = entry.params.api_base.clone().or_else(|| env("AZURE_API_BASE")).ok_or_else(|| {
        format!(
            "{}: required for azure/ models (https://<resource>.openai.azure.com), or set AZURE_API_BASE",
            field("api_base")
        )
    })?;
    // LiteLLM takes the resource endpoint with or without the `/openai` path.
    let api_base = api_base.trim_end_matches('/').trim_end_matches("/openai").to_string();
    let base = reqwest::Url::parse(&api_base)
        .map_err(|e| format!("{}: '{api_base}' is not a valid URL ({e})", field("api_base")))?;
    let api_version = entry.params.api_version.clone().or_else(|| env("AZURE_API_VERSION")).ok_or_else(|| {
        format!("{}: required for azure/ models (e.g. \"2024-10-21\"), or set AZURE_API_VERSION", field("api_version"))
    })?;
    let key = entry.params.api_key.as_ref().map(|k| k.expose_secret().to_string()).or_else(|| env("AZURE_API_KEY"));
    let token =
        entry.params.azure_ad_token.as_ref().map(|k| k.expose_secret().to_string()).or_else(|| env("AZURE_AD_TOKEN"));
    // A key wins over a token, as in LiteLLM.
    let auth = match (key, token) {
        (Some(key), _) => (HeaderName::from_static("api-key"), secret_header(&key, &field("api_key"))?),
        (None, Some(token)) => (AUTHORIZATION, secret_header(&format!("Bearer {token}"), &field("azure_ad_token"))?),
        (None, None) => {
            return Err(format!(
                "{}: required for azure/ models (or azure_ad_token; or set AZURE_API_KEY / AZURE_AD_TOKEN)",
                field("api_key")
            ));
        }
    };
    let deployment = entry.provider_model.as_str();
    let own = |op| {
        deployment_url(&base, &api_version, deployment, op)
            .and_then(|url| uri_of(&url))
            .map_err(|e| format!("{}: '{api_base}': {e}", field("api_base")))
    };
    let urls = Urls {
        chat: own(Operation::Chat)?,
        embeddings: own(Operation::Embeddings)?,
        completions: own(Operation::Completions)?,
    };
    let model_url: ModelUrl = Arc::new(move |deployment: &str, op| deployment_url(&base, &api_version, deployment, op));
    let upstream = Upstream { api_base, urls, model_url: Some(model_url), auth: Some(auth), extra_headers: Vec::new() };
    Ok(OpenAiProvider::with_upstream(entry, clients, upstream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_paths_carry_the_version_and_encode_the_name() {
        let base = reqwest::Url::parse("https://res.openai.azure.com").unwrap();
        let url = deployment_url(&base, "2024-10-21", "gpt-4o-mini", Operation::Chat).unwrap();
        assert_eq!(
            url.as_str(),
            "https://res.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"
        );
        let url = deployment_url(&base, "v", "a/../b", Operation::Embeddings).unwrap();
        assert_eq!(url.as_str(), "https://res.openai.azure.com/openai/deployments/a%2F..%2Fb/embeddings?api-version=v");
    }
}
