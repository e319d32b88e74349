//! The routing table: deployments, the model groups they form, and public names (groups,
//! `model_group_alias` entries and wildcard patterns). Replaced whole when models are added or
//! removed; deployments (and what the router learned about them) carry over.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use super::GatewayError;
use super::health::DeploymentHealth;
use super::wildcard::{self, Pattern};
use crate::auth::access::ModelFacts;
use crate::config::{Config, GroupAlias, ModelEntry, infer_provider, positive_duration};
use crate::providers::{Provider, ProviderError, TokenPrices};
use crate::spend::{Price, models_by_provider, price_for, price_of};

/// One deployment of a model group.
pub struct Deployment {
    pub entry: ModelEntry,
    pub provider: Arc<dyn Provider>,
    /// Whole-call limit for non-streamed calls, and the longest silence within a stream.
    pub timeout: Duration,
    /// Limit to the first streamed byte.
    pub stream_timeout: Duration,
    /// USD per token, when known.
    pub price: Option<Price>,
    /// Added through `/model/new` (stored in the database) rather than config.yaml.
    pub from_db: bool,
    /// `litellm_params.max_retries`: retries of calls that start on this deployment.
    pub max_retries: Option<u32>,
    /// `litellm_params.cooldown_time`.
    pub cooldown: Option<Duration>,
    pub health: Arc<DeploymentHealth>,
    secrets: Vec<String>,
    pub(super) weight: f64,
}

impl Deployment {
    /// LiteLLM's `mode` (`chat`, `embedding`, `completion`...): `model_info.mode`, else the
    /// price map's, else `chat`.
    pub fn mode(&self) -> &str {
        self.entry
            .model_info
            .get("mode")
            .and_then(|m| m.as_str())
            .or_else(|| self.price.as_ref().and_then(|p| p.mode.as_deref()))
            .unwrap_or("chat")
    }

    pub(super) fn upstream_error(&self, error: ProviderError) -> GatewayError {
        let error = match error {
            // Providers report a timeout without knowing the limit that fired.
            ProviderError::Timeout(d) if d.is_zero() => ProviderError::Timeout(self.timeout),
            other => other,
        };
        let message = crate::redact::scrub(&error.to_string(), &self.secrets);
        GatewayError::Upstream { provider: self.entry.provider.clone(), error: Box::new(error), message }
    }
}

/// A public model name and the deployments behind it.
pub struct ModelGroup {
    pub name: Arc<str>,
    pub deployments: Vec<Arc<Deployment>>,
    /// `litellm_params.model` of the deployments (for wildcard access rules).
    pub provider_models: Vec<String>,
    /// `model_info.access_groups` of the deployments.
    pub access_groups: Vec<String>,
    /// Set when the name is a wildcard (`*`, `openai/*`).
    pub pattern: Option<Pattern>,
}

impl ModelGroup {
    pub(super) fn new(name: &str, deployments: Vec<Arc<Deployment>>) -> ModelGroup {
        let provider_models = deployments.iter().map(|d| d.entry.model.clone()).collect();
        let access_groups = deployments
            .iter()
            .filter_map(|d| d.entry.model_info.get("access_groups").and_then(|g| g.as_array()))
            .flatten()
            .filter_map(|g| g.as_str().map(str::to_string))
            .collect();
        ModelGroup { name: name.into(), deployments, provider_models, access_groups, pattern: Pattern::new(name) }
    }

    /// What access rules check for a call by this group's own name.
    pub fn facts(&self) -> ModelFacts<'_> {
        ModelFacts { name: &self.name, provider_models: &self.provider_models, access_groups: &self.access_groups }
    }
}

/// A requested name, resolved: the group that serves it and, for a wildcard group, what the
/// `*`s matched.
#[derive(Clone)]
pub struct Route {
    /// The name answers and logs carry: the requested name (or the alias it was asked by).
    pub alias: Arc<str>,
    pub group: Arc<ModelGroup>,
    pub captures: Option<Arc<[String]>>,
}

impl Route {
    /// `litellm_params.model` of `deployment` for this call (wildcards filled in).
    pub fn model_of(&self, deployment: &Deployment) -> String {
        match &self.captures {
            Some(c) => wildcard::fill(&deployment.entry.model, c),
            None => deployment.entry.model.clone(),
        }
    }

    /// The model id the upstream is asked for, when a wildcard decides it.
    pub fn upstream_model(&self, deployment: &Deployment) -> Option<Arc<str>> {
        self.captures.as_ref()?;
        let model = self.model_of(deployment);
        let id = model.strip_prefix(&format!("{}/", deployment.entry.provider)).unwrap_or(&model).to_string();
        Some(id.into())
    }

    /// USD per token of a call on `deployment`: a wildcard call is priced as the model it names.
    pub fn token_prices(&self, deployment: &Deployment) -> Option<TokenPrices> {
        let of = |p: &Price| TokenPrices {
            input: p.input_cost_per_token.unwrap_or(0.0),
            output: p.output_cost_per_token.unwrap_or(0.0),
            cache_read: p.cache_read_input_token_cost,
            cache_write: p.cache_creation_input_token_cost,
        };
        match self.upstream_model(deployment) {
            Some(model) => price_for(&deployment.entry, &model).as_ref().map(of),
            None => deployment.price.as_ref().map(of),
        }
    }

    /// `litellm_params.model` of the deployments for this call, which access rules also match
    /// (a wildcard call as the model it resolves to, so `openai/*` on a key allows `gpt-4o`
    /// through a `*` group). Borrowed for a plain group: no copy per request.
    pub fn provider_models(&self) -> std::borrow::Cow<'_, [String]> {
        match &self.captures {
            Some(_) => std::borrow::Cow::Owned(self.group.deployments.iter().map(|d| self.model_of(d)).collect()),
            None => std::borrow::Cow::Borrowed(&self.group.provider_models),
        }
    }

    pub fn facts<'a>(&'a self, provider_models: &'a [String]) -> ModelFacts<'a> {
        ModelFacts { name: &self.alias, provider_models, access_groups: &self.group.access_groups }
    }
}

/// The routing table; replaced whole when models are added or removed.
pub(super) struct Routes {
    /// Public names (model groups and `model_group_alias` entries) → group.
    pub(super) map: HashMap<String, (Arc<str>, Arc<ModelGroup>)>,
    /// Wildcard groups, most specific first (LiteLLM's order).
    patterns: Vec<Arc<ModelGroup>>,
    /// Listed names, sorted (hidden aliases and wildcards left out).
    pub(super) names: Vec<String>,
    /// Wildcard groups in config order, with the names `/v1/models` lists for each (LiteLLM's
    /// expansion from the price map), worked out once per table.
    pub(super) wildcard_listings: Vec<(Arc<ModelGroup>, Vec<String>)>,
    /// Every deployment: config.yaml's in file order, then the database's.
    pub(super) deployments: Vec<Arc<Deployment>>,
}

impl Routes {
    pub(super) fn new(deployments: Vec<Arc<Deployment>>, aliases: &BTreeMap<String, GroupAlias>) -> Routes {
        let mut groups: Vec<(String, Vec<Arc<Deployment>>)> = Vec::new();
        for d in &deployments {
            match groups.iter_mut().find(|(name, _)| *name == d.entry.model_name) {
                Some((_, members)) => members.push(d.clone()),
                None => groups.push((d.entry.model_name.clone(), vec![d.clone()])),
            }
        }
        let mut map = HashMap::new();
        let mut patterns = Vec::new();
        let mut wildcard_listings = Vec::new();
        for (name, members) in groups {
            let group = Arc::new(ModelGroup::new(&name, members));
            if group.pattern.is_some() {
                patterns.push(group.clone());
                let mut listed: Vec<String> = Vec::new();
                for d in &group.deployments {
                    listed.extend(wildcard::known_models(&name, &d.entry.model, models_by_provider()));
                }
                wildcard_listings.push((group.clone(), listed));
            }
            map.insert(name.clone(), (Arc::from(name.as_str()), group));
        }
        patterns.sort_by_key(|g| std::cmp::Reverse(g.pattern.as_ref().map(Pattern::specificity)));
        let mut names: Vec<String> =
            map.iter().filter(|(_, (_, g))| g.pattern.is_none()).map(|(name, _)| name.clone()).collect();
        for (alias, target) in aliases {
            if let Some((_, group)) = map.get(&target.model).cloned() {
                map.insert(alias.clone(), (Arc::from(alias.as_str()), group));
                if !target.hidden {
                    names.push(alias.clone());
                }
            }
        }
        names.sort();
        names.dedup();
        Routes { map, patterns, names, wildcard_listings, deployments }
    }

    /// The group serving `name`: an exact name or alias first, then the most specific wildcard
    /// that matches it as written or with the provider LiteLLM infers (`gpt-4o` → `openai/gpt-4o`).
    pub(super) fn resolve(&self, name: &str) -> Option<Route> {
        if let Some((alias, group)) = self.map.get(name)
            && group.pattern.is_none()
        {
            return Some(Route { alias: alias.clone(), group: group.clone(), captures: None });
        }
        let inferred = infer_provider(name).map(|p| format!("{p}/{name}"));
        for candidate in std::iter::once(name).chain(inferred.as_deref()) {
            for group in &self.patterns {
                if let Some(captures) = group.pattern.as_ref().and_then(|p| p.captures(candidate)) {
                    return Some(Route { alias: name.into(), group: group.clone(), captures: Some(captures.into()) });
                }
            }
        }
        None
    }
}

/// A deployment of `entry` served by `provider`, with its time limits, price and weight.
pub(super) fn deployment(
    entry: &ModelEntry,
    provider: Arc<dyn Provider>,
    config: &Config,
    from_db: bool,
) -> Deployment {
    let secs = |s: Option<f64>| s.and_then(positive_duration);
    let timeout = secs(entry.params.timeout).or(config.router.timeout).unwrap_or(config.litellm.request_timeout);
    let weight = entry
        .params
        .weight
        .or(entry.params.rpm.map(|r| r as f64))
        .or(entry.params.tpm.map(|t| t as f64))
        .unwrap_or(1.0);
    Deployment {
        stream_timeout: secs(entry.params.stream_timeout).unwrap_or(timeout),
        timeout,
        price: price_of(entry),
        from_db,
        max_retries: entry.params.max_retries,
        cooldown: secs(entry.params.cooldown_time),
        health: Arc::default(),
        secrets: entry.params.secrets(),
        weight,
        provider,
        entry: entry.clone(),
    }
}
