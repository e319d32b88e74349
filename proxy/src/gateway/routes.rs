//! The routing table: deployments, the model groups they form, and public names (groups and
//! `model_group_alias` entries). Replaced whole when models are added or removed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::GatewayError;
use crate::config::{Config, ModelEntry};
use crate::providers::{Provider, ProviderError};
use crate::spend::{Price, price_of};

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
    secrets: Vec<String>,
    weight: f64,
}

impl Deployment {
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
    total_weight: f64,
}

impl ModelGroup {
    fn new(name: &str, deployments: Vec<Arc<Deployment>>) -> ModelGroup {
        let provider_models = deployments.iter().map(|d| d.entry.model.clone()).collect();
        let access_groups = deployments
            .iter()
            .filter_map(|d| d.entry.model_info.get("access_groups").and_then(|g| g.as_array()))
            .flatten()
            .filter_map(|g| g.as_str().map(str::to_string))
            .collect();
        let total_weight = deployments.iter().map(|d| d.weight).sum();
        ModelGroup { name: name.into(), deployments, provider_models, access_groups, total_weight }
    }

    /// Weighted random choice (LiteLLM's simple-shuffle: `weight`, else `rpm`, else `tpm`, else
    /// uniform). A group always has a deployment; `None` only if that ever stopped being true.
    pub(super) fn pick(&self) -> Option<&Arc<Deployment>> {
        if self.deployments.len() <= 1 || self.total_weight <= 0.0 {
            let i = if self.deployments.len() <= 1 { 0 } else { rand::rng().random_range(0..self.deployments.len()) };
            return self.deployments.get(i);
        }
        let mut x = rand::rng().random_range(0.0..self.total_weight);
        for d in &self.deployments {
            if x < d.weight {
                return Some(d);
            }
            x -= d.weight;
        }
        self.deployments.last()
    }
}

/// The routing table; replaced whole when models are added or removed.
pub(super) struct Routes {
    /// Public names (model groups and `model_group_alias` entries) → group.
    pub(super) map: HashMap<String, (Arc<str>, Arc<ModelGroup>)>,
    /// Public names, sorted.
    pub(super) names: Vec<String>,
    /// Every deployment: config.yaml's in file order, then the database's.
    pub(super) deployments: Vec<Arc<Deployment>>,
}

impl Routes {
    pub(super) fn new(deployments: Vec<Arc<Deployment>>, aliases: &BTreeMap<String, String>) -> Routes {
        let mut groups: Vec<(String, Vec<Arc<Deployment>>)> = Vec::new();
        for d in &deployments {
            match groups.iter_mut().find(|(name, _)| *name == d.entry.model_name) {
                Some((_, members)) => members.push(d.clone()),
                None => groups.push((d.entry.model_name.clone(), vec![d.clone()])),
            }
        }
        let mut map = HashMap::new();
        for (name, members) in groups {
            let group = Arc::new(ModelGroup::new(&name, members));
            map.insert(name.clone(), (Arc::from(name.as_str()), group));
        }
        for (alias, target) in aliases {
            if let Some((_, group)) = map.get(target).cloned() {
                map.insert(alias.clone(), (Arc::from(alias.as_str()), group));
            }
        }
        let mut names: Vec<String> = map.keys().cloned().collect();
        names.sort();
        Routes { map, names, deployments }
    }
}

/// A deployment of `entry` served by `provider`, with its time limits, price and weight.
pub(super) fn deployment(
    entry: &ModelEntry,
    provider: Arc<dyn Provider>,
    config: &Config,
    from_db: bool,
) -> Deployment {
    let secs = |s: Option<f64>| s.filter(|v| v.is_finite() && *v > 0.0).map(Duration::from_secs_f64);
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
        secrets: entry.params.secrets(),
        weight,
        provider,
        entry: entry.clone(),
    }
}
