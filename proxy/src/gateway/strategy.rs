//! Which deployment of a group takes a call: LiteLLM's routing strategies over the deployments
//! that are not cooling down.

use std::sync::Arc;
use std::time::Instant;

use rand::Rng;
use rand::seq::IndexedRandom;

use super::GatewayError;
use super::health::Load;
use super::routes::{Deployment, ModelGroup};
use crate::config::{RouterSettings, RoutingStrategy};

/// Picks a deployment for a call to `group`, preferring ones this call has not tried yet.
pub fn pick(
    group: &ModelGroup,
    settings: &RouterSettings,
    stream: bool,
    tried: &[Arc<Deployment>],
) -> Result<Arc<Deployment>, GatewayError> {
    if let [only] = group.deployments.as_slice() {
        // The common case: one deployment, which never cools down and has nobody to share with.
        return if settings.strategy == RoutingStrategy::UsageBased {
            within_limits(group, only.clone())
        } else {
            Ok(only.clone())
        };
    }
    let now = Instant::now();
    let healthy: Vec<&Arc<Deployment>> = group.deployments.iter().filter(|d| !d.health.cooling_down(now)).collect();
    if healthy.is_empty() {
        return Err(no_deployment(group, settings, "cooldown"));
    }
    let untried: Vec<&Arc<Deployment>> =
        healthy.iter().copied().filter(|d| !tried.iter().any(|t| Arc::ptr_eq(t, d))).collect();
    let candidates = if untried.is_empty() { healthy } else { untried };
    let chosen = match settings.strategy {
        RoutingStrategy::SimpleShuffle => weighted(&candidates),
        RoutingStrategy::LeastBusy => lowest(&candidates, |_, load| Some(f64::from(load.in_flight)), 0.0),
        RoutingStrategy::LatencyBased => lowest(
            &candidates,
            |_, load| if stream { load.time_to_first_token } else { load.latency_per_token },
            settings.lowest_latency_buffer,
        ),
        RoutingStrategy::CostBased => lowest(
            &candidates,
            |d, _| {
                Some(
                    d.price
                        .as_ref()
                        .map(|p| p.input_cost_per_token.unwrap_or(0.0) + p.output_cost_per_token.unwrap_or(0.0))
                        .unwrap_or(f64::MAX),
                )
            },
            0.0,
        ),
        RoutingStrategy::UsageBased => {
            let open: Vec<&Arc<Deployment>> =
                candidates.iter().copied().filter(|d| has_room(d, &d.health.load())).collect();
            if open.is_empty() {
                return Err(no_deployment(group, settings, "rpm/tpm limits"));
            }
            lowest(&open, |_, load| Some(load.tokens as f64), 0.0)
        }
    };
    chosen.cloned().ok_or_else(|| GatewayError::Internal(format!("model group {} has no deployment", group.name)))
}

fn within_limits(group: &ModelGroup, only: Arc<Deployment>) -> Result<Arc<Deployment>, GatewayError> {
    if has_room(&only, &only.health.load()) {
        Ok(only)
    } else {
        Err(GatewayError::RateLimited {
            message: format!(
                "No deployments available for selected model, Try again in 60 seconds. Passed model={}. Deployments are at their rpm/tpm limits.",
                group.name
            ),
            retry_after: 60,
        })
    }
}

/// Whether a deployment is below its `rpm` and `tpm` this minute.
fn has_room(d: &Deployment, load: &Load) -> bool {
    d.entry.params.rpm.is_none_or(|rpm| load.requests < rpm) && d.entry.params.tpm.is_none_or(|tpm| load.tokens < tpm)
}

/// LiteLLM's refusal when every deployment of a group is resting or full.
fn no_deployment(group: &ModelGroup, settings: &RouterSettings, why: &str) -> GatewayError {
    let wait = settings.cooldown_time.as_secs().max(1);
    GatewayError::RateLimited {
        message: format!(
            "No deployments available for selected model, Try again in {wait} seconds. Passed model={}. Every deployment is unavailable ({why}).",
            group.name
        ),
        retry_after: wait,
    }
}

/// Weighted random choice (LiteLLM's simple-shuffle: `weight`, else `rpm`, else `tpm`, else
/// uniform).
fn weighted<'a>(candidates: &[&'a Arc<Deployment>]) -> Option<&'a Arc<Deployment>> {
    let total: f64 = candidates.iter().map(|d| d.weight).sum();
    let mut rng = rand::rng();
    if total <= 0.0 || !total.is_finite() {
        return candidates.choose(&mut rng).copied();
    }
    let mut x = rng.random_range(0.0..total);
    for d in candidates {
        if x < d.weight {
            return Some(d);
        }
        x -= d.weight;
    }
    candidates.last().copied()
}

/// The deployment with the lowest `metric`; deployments without a measurement yet come first
/// (so each gets measured), and ties, or values within `buffer` of the lowest, share at random.
fn lowest<'a>(
    candidates: &[&'a Arc<Deployment>],
    metric: impl Fn(&Deployment, &Load) -> Option<f64>,
    buffer: f64,
) -> Option<&'a Arc<Deployment>> {
    let measured: Vec<(&'a Arc<Deployment>, Option<f64>)> =
        candidates.iter().map(|d| (*d, metric(d, &d.health.load()))).collect();
    let mut rng = rand::rng();
    let unmeasured: Vec<&'a Arc<Deployment>> = measured.iter().filter(|(_, m)| m.is_none()).map(|(d, _)| *d).collect();
    if !unmeasured.is_empty() {
        return unmeasured.choose(&mut rng).copied();
    }
    let best = measured.iter().filter_map(|(_, m)| *m).fold(f64::INFINITY, f64::min);
    let limit = best + best.abs() * buffer;
    let near: Vec<&'a Arc<Deployment>> =
        measured.iter().filter(|(_, m)| m.is_some_and(|v| v <= limit)).map(|(d, _)| *d).collect();
    near.choose(&mut rng).copied()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::future::BoxFuture;

    use super::*;
    use crate::config::Config;
    use crate::gateway::health::Failure;
    use crate::gateway::routes::deployment;
    use crate::providers::{CallOptions, ChatOutput, Provider, ProviderError};
    use crate::schema::ChatRequest;

    /// Strategies never call a provider.
    struct Unused;

    impl Provider for Unused {
        fn chat<'a>(&'a self, _: &'a ChatRequest, _: CallOptions) -> BoxFuture<'a, Result<ChatOutput, ProviderError>> {
            Box::pin(async { Err(ProviderError::InvalidRequest("not called".into())) })
        }
        fn api_base(&self) -> Option<String> {
            None
        }
    }

    /// A group `g` of deployments with the given extra `litellm_params` (YAML flow mappings).
    fn group(params: &[&str]) -> ModelGroup {
        let mut yaml = String::from("model_list:\n");
        for (i, p) in params.iter().enumerate() {
            yaml.push_str(&format!("  - model_name: g\n    litellm_params: {{model: openai/m{i}{p}}}\n"));
        }
        let config = Config::from_yaml(&yaml).unwrap();
        let deployments =
            config.models.iter().map(|e| Arc::new(deployment(e, Arc::new(Unused), &config, false))).collect();
        ModelGroup::new("g", deployments)
    }

    fn settings(strategy: RoutingStrategy) -> RouterSettings {
        RouterSettings { strategy, ..RouterSettings::default() }
    }

    fn picked(g: &ModelGroup, s: &RouterSettings) -> String {
        pick(g, s, false, &[]).unwrap().entry.model.clone()
    }

    #[test]
    fn least_busy_takes_the_deployment_with_fewest_calls_in_flight() {
        let g = group(&["", ""]);
        let busy = g.deployments[0].health.start();
        let s = settings(RoutingStrategy::LeastBusy);
        for _ in 0..10 {
            assert_eq!(picked(&g, &s), "openai/m1");
        }
        drop(busy);
        let _other = g.deployments[1].health.start();
        assert_eq!(picked(&g, &s), "openai/m0");
    }

    #[test]
    fn latency_based_measures_untried_deployments_first_then_takes_the_fastest() {
        let g = group(&["", "", ""]);
        let s = settings(RoutingStrategy::LatencyBased);
        g.deployments[0].health.succeeded(Duration::from_millis(900), false, Some(10));
        g.deployments[1].health.succeeded(Duration::from_millis(100), false, Some(10));
        assert_eq!(picked(&g, &s), "openai/m2", "never measured");
        g.deployments[2].health.succeeded(Duration::from_millis(500), false, Some(10));
        for _ in 0..10 {
            assert_eq!(picked(&g, &s), "openai/m1");
        }
        let buffered = RouterSettings { lowest_latency_buffer: 5.0, ..s };
        let seen: std::collections::HashSet<String> = (0..200).map(|_| picked(&g, &buffered)).collect();
        assert_eq!(seen.len(), 2, "within 5× of the fastest: m1 and m2 share, m0 (9×) does not: {seen:?}");
    }

    #[test]
    fn usage_and_cost_based() {
        let g = group(&[", rpm: 1", ""]);
        let s = settings(RoutingStrategy::UsageBased);
        g.deployments[1].health.add_tokens(500);
        assert_eq!(picked(&g, &s), "openai/m0", "fewest tokens this minute");
        let _call = g.deployments[0].health.start();
        assert_eq!(picked(&g, &s), "openai/m1", "m0 is at its rpm");
        let full = group(&[", rpm: 1"]);
        let _call = full.deployments[0].health.start();
        assert!(matches!(pick(&full, &s, false, &[]), Err(GatewayError::RateLimited { .. })));

        let priced = group(&[", input_cost_per_token: 0.002", ", input_cost_per_token: 0.001"]);
        assert_eq!(picked(&priced, &settings(RoutingStrategy::CostBased)), "openai/m1");
    }

    #[test]
    fn cooling_and_tried_deployments_are_passed_over() {
        let g = group(&["", ""]);
        let s = settings(RoutingStrategy::SimpleShuffle);
        let tried = vec![g.deployments[0].clone()];
        for _ in 0..10 {
            assert_eq!(pick(&g, &s, false, &tried).unwrap().entry.model, "openai/m1", "a retry goes elsewhere");
        }
        let failure = Failure { status: 503, group_has_others: true };
        g.deployments[1].health.failed(failure, &s, None);
        g.deployments[1].health.failed(failure, &s, None);
        for _ in 0..10 {
            assert_eq!(picked(&g, &s), "openai/m0");
        }
        g.deployments[0].health.failed(failure, &s, None);
        g.deployments[0].health.failed(failure, &s, None);
        let err = pick(&g, &s, false, &[]).err().unwrap();
        assert!(
            err.to_string().starts_with("No deployments available for selected model, Try again in 5 seconds"),
            "{err}"
        );
    }
}
