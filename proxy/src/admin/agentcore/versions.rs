//! Harness versions and endpoints in the admin API: the versions with what changed between two,
//! and the endpoints (`DEFAULT` and named ones) created, pointed at a version, deleted.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::manage::{Deleted, Env, Governance};
use crate::admin::{AdminError, audit};
use crate::aws::Target;
use crate::aws::harness_versions::{self as versions, Change, EndpointView, VersionView};

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    pub harness_id: String,
    pub region: String,
    /// Newest first.
    pub versions: Vec<VersionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDiff {
    pub harness_id: String,
    pub from: String,
    pub to: String,
    /// The members that differ, by name (`model.model_id`, `system_prompt`, ...).
    pub changes: Vec<Change>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    pub harness_id: String,
    pub region: String,
    pub endpoints: Vec<EndpointView>,
}

/// A new endpoint: its name, and the version it serves (the latest when left out).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointForm {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
}

/// An endpoint pointed at another version, or described anew.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointChange {
    pub version: Option<String>,
    pub description: Option<String>,
}

fn checked_version(version: Option<&str>) -> Result<Option<&str>, AdminError> {
    let Some(v) = version.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    versions::check_version(v).map_err(|m| AdminError::invalid(m, Some("version")))?;
    Ok(Some(v))
}

impl<G: Governance> Env<G> {
    pub async fn harness_versions(&self, target: &Target, id: &str) -> Result<VersionList, AdminError> {
        let clients = self.clients(target).await?;
        let versions = versions::list_versions(&clients, id).await?;
        Ok(VersionList { harness_id: id.to_string(), region: clients.region.clone(), versions })
    }

    /// What changed from one version of a harness to another.
    pub async fn version_diff(
        &self,
        target: &Target,
        id: &str,
        from: &str,
        to: &str,
    ) -> Result<VersionDiff, AdminError> {
        versions::check_version(from).map_err(|m| AdminError::invalid(m, Some("from")))?;
        versions::check_version(to).map_err(|m| AdminError::invalid(m, Some("to")))?;
        let clients = self.clients(target).await?;
        let (a, b) =
            futures::try_join!(versions::get_version(&clients, id, from), versions::get_version(&clients, id, to))?;
        Ok(VersionDiff {
            harness_id: id.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            changes: versions::diff(&a, &b),
        })
    }

    pub async fn harness_endpoints(&self, target: &Target, id: &str) -> Result<EndpointList, AdminError> {
        let clients = self.clients(target).await?;
        let endpoints = versions::list_endpoints(&clients, id).await?;
        Ok(EndpointList { harness_id: id.to_string(), region: clients.region.clone(), endpoints })
    }

    pub async fn create_endpoint(
        &self,
        target: &Target,
        id: &str,
        form: &EndpointForm,
    ) -> Result<EndpointView, AdminError> {
        versions::check_endpoint_name(&form.name).map_err(|m| AdminError::invalid(m, Some("name")))?;
        let version = checked_version(form.version.as_deref())?;
        let clients = self.clients(target).await?;
        let created = versions::create_endpoint(&clients, id, &form.name, version, form.description.as_deref()).await?;
        self.audit_endpoint("created", id, None, Some(&created)).await;
        Ok(created)
    }

    pub async fn update_endpoint(
        &self,
        target: &Target,
        id: &str,
        name: &str,
        change: &EndpointChange,
    ) -> Result<EndpointView, AdminError> {
        let version = checked_version(change.version.as_deref())?;
        if version.is_none() && change.description.is_none() {
            return Err(AdminError::invalid("nothing to change: give `version` or `description`", Some("version")));
        }
        let clients = self.clients(target).await?;
        let before =
            versions::list_endpoints(&clients, id).await.ok().and_then(|l| l.into_iter().find(|e| e.name == name));
        let updated = versions::update_endpoint(&clients, id, name, version, change.description.as_deref()).await?;
        self.audit_endpoint("updated", id, before.as_ref(), Some(&updated)).await;
        Ok(updated)
    }

    pub async fn delete_endpoint(&self, target: &Target, id: &str, name: &str) -> Result<Deleted, AdminError> {
        let clients = self.clients(target).await?;
        let before =
            versions::list_endpoints(&clients, id).await.ok().and_then(|l| l.into_iter().find(|e| e.name == name));
        versions::delete_endpoint(&clients, id, name).await?;
        self.audit_endpoint("deleted", id, before.as_ref(), None).await;
        Ok(Deleted { deleted: name.to_string(), region: clients.region.clone() })
    }

    async fn audit_endpoint(
        &self,
        action: &str,
        id: &str,
        before: Option<&EndpointView>,
        after: Option<&EndpointView>,
    ) {
        let name = after.or(before).map(|e| e.name.as_str()).unwrap_or_default();
        let object = format!("{id}/endpoints/{name}");
        let change = audit::Outside {
            action,
            table_name: audit::AGENTCORE_HARNESSES,
            object_id: &object,
            before: before.and_then(audit::document),
            after: after.and_then(audit::document),
        };
        audit::record(&self.store, &self.config, change).await;
    }
}
