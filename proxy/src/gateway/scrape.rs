//! What `/metrics` reports beside the call series: budgets left and deployment states, read
//! from the live registry and router when Prometheus scrapes (never on the request path).

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use super::Gateway;
use crate::auth::registry::{Governed, Tracked};
use crate::store::KeyRecord;
use crate::telemetry::metrics::{BudgetGauge, DeploymentGauge, RedisGauge, Snapshot};

impl Gateway {
    /// LiteLLM's metrics in Prometheus's text format.
    pub fn render_metrics(&self) -> Result<String, String> {
        let snapshot = self.metrics_snapshot();
        self.telemetry.metrics.render(&snapshot).map_err(|e| format!("could not render the metrics: {e}"))
    }

    fn metrics_snapshot(&self) -> Snapshot {
        let now = Instant::now();
        let registry = &self.registry;
        let deployments = self
            .deployments()
            .iter()
            .map(|d| DeploymentGauge {
                litellm_model_name: d.entry.model.clone(),
                model_id: d.entry.id.clone(),
                api_base: d.entry.params.api_base.clone().unwrap_or_default(),
                api_provider: d.entry.provider.clone(),
                state: d.health.state(now),
                rpm_limit: d.entry.params.rpm,
                tpm_limit: d.entry.params.tpm,
            })
            .collect();
        Snapshot {
            teams: budgets(&registry.teams.all(), |t| t.team_alias.clone()),
            keys: budgets(&self.keys_with_budget_gauges(), |k| k.key_alias.clone()),
            users: budgets(&registry.users.all(), |_| None),
            deployments,
            redis: self.shared_limits().map(|l| RedisGauge { up: l.is_up(), fallbacks: l.fallbacks() }),
        }
    }
}

impl Gateway {
    /// The keys `/metrics` reports budgets of: those that made a call since the gateway started,
    /// as LiteLLM sets a key's gauges when it calls, or every key with
    /// `prometheus_initialize_budget_metrics`.
    fn keys_with_budget_gauges(&self) -> Vec<Arc<Tracked<KeyRecord>>> {
        if self.config.telemetry.all_key_budgets {
            return self.registry.keys.all();
        }
        // A call thaws its key: a key still frozen has not called.
        let mut keys = self.registry.keys.in_use_all();
        keys.retain(|k| k.counters.called_since_start());
        keys
    }
}

/// The entities with a budget (LiteLLM reports those; the others have no "remaining").
fn budgets<R: Governed>(rows: &[Arc<Tracked<R>>], alias: impl Fn(&R) -> Option<String>) -> Vec<BudgetGauge> {
    let now = Utc::now();
    rows.iter()
        .filter_map(|row| {
            let max_budget = row.record.limits().max_budget?;
            Some(BudgetGauge {
                id: row.record.id().to_string(),
                alias: alias(&row.record).unwrap_or_default(),
                max_budget,
                spend: row.counters.spend(),
                hours_to_reset: row.counters.reset_at().map(|at| (at - now).num_seconds().max(0) as f64 / 3600.0),
            })
        })
        .collect()
}
