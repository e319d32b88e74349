//! Database models coming and going in the routing table, one change at a time.

use std::sync::Arc;

use super::Gateway;
use super::routes::{Deployment, Routes, deployment};
use crate::config::ModelEntry;
use crate::providers;

/// One change of the database models in the routing table (see [`Gateway::change_models`]).
pub struct ModelChange<'a> {
    pub(super) gateway: &'a Gateway,
    pub(super) _serialized: tokio::sync::MutexGuard<'a, ()>,
}

impl ModelChange<'_> {
    /// Builds (and so validates) a database model's deployment, serving nothing yet.
    pub async fn build(&self, entry: &ModelEntry) -> Result<Arc<Deployment>, String> {
        let g = self.gateway;
        if g.routes.load().deployments.iter().any(|d| d.entry.id == entry.id && !d.from_db) {
            return Err(format!("model id {} belongs to config.yaml and cannot be changed through the API", entry.id));
        }
        let provider = providers::build(entry, &g.clients).await?;
        Ok(Arc::new(deployment(entry, provider, &g.config, true)))
    }

    /// Serves `added` (replacing the deployment with its id).
    pub fn install(&self, added: Arc<Deployment>) {
        let g = self.gateway;
        let current = g.routes.load();
        let mut deployments: Vec<_> =
            current.deployments.iter().filter(|d| d.entry.id != added.entry.id).cloned().collect();
        deployments.push(added);
        g.routes.store(Arc::new(Routes::new(deployments, &g.config.router.model_group_alias)));
    }

    /// Whether `id` is a database model that may be removed.
    pub fn check_removable(&self, id: &str) -> Result<(), String> {
        match self.gateway.routes.load().deployments.iter().find(|d| d.entry.id == id) {
            None => Err(format!("Model with id={id} not found in db")),
            Some(d) if !d.from_db => {
                Err(format!("Model with id={id} comes from config.yaml; edit the file to remove it"))
            }
            Some(_) => Ok(()),
        }
    }

    /// Stops serving a database model.
    pub fn remove(&self, id: &str) {
        let g = self.gateway;
        let deployments = g.routes.load().deployments.iter().filter(|d| d.entry.id != id).cloned().collect();
        g.routes.store(Arc::new(Routes::new(deployments, &g.config.router.model_group_alias)));
    }
}
