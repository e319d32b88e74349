//! Build and push in one call, for `deploy image`, `deploy up` without an image, and (later)
//! the panel: log in first (an unreachable registry or a wrong password fails before the image
//! is assembled), assemble, push; each step reported as it happens.

use super::registry::{Login, PushEvent, Pushed, Reference, Registry};
use super::{Image, ImageError, ImageSpec, assemble, ecr};
use crate::AwsTarget;
use crate::aws::Clients;

#[derive(Debug, Clone)]
pub struct Publish {
    pub spec: ImageSpec,
    pub reference: Reference,
    pub tag: String,
    /// Plain HTTP (a registry on this machine).
    pub insecure: bool,
    /// A registry login (ECR's comes from the AWS credentials).
    pub login: Option<Login>,
    /// Images the lifecycle policy of a new ECR repository keeps.
    pub keep: u32,
    /// The AWS profile for ECR.
    pub profile: Option<String>,
}

/// What [`publish`] did, as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum PublishEvent {
    RepositoryCreated { repository: String, keep: u32 },
    Assembled { layer: String, layer_size: u64, manifest: String, architecture: &'static str, version: String },
    Push(PushEvent),
}

pub async fn publish(job: &Publish, mut on_event: impl FnMut(PublishEvent)) -> Result<Pushed, ImageError> {
    let mut login = job.login.clone();
    if let Some((_account, region)) = ecr::parse_host(&job.reference.registry) {
        let clients = Clients::connect(&AwsTarget::new(&region, job.profile.as_deref())).await;
        let prepared = ecr::prepare(&clients.ecr, &job.reference, job.keep).await?;
        if prepared.created {
            on_event(PublishEvent::RepositoryCreated { repository: job.reference.repository.clone(), keep: job.keep });
        }
        login = Some(prepared.login);
    }
    let mut registry = Registry::new(job.reference.clone(), login, job.insecure)?;
    registry.log_in().await?;
    let spec = job.spec.clone();
    // Reading, compressing and hashing tens of MB: off the async workers.
    let image: Image = tokio::task::spawn_blocking(move || assemble(&spec))
        .await
        .map_err(|e| ImageError::Layer(format!("the assembly stopped: {e}")))??;
    on_event(PublishEvent::Assembled {
        layer: image.layer.digest.clone(),
        layer_size: image.layer.size(),
        manifest: image.manifest.digest.clone(),
        architecture: image.platform.oci(),
        version: image.version.clone(),
    });
    registry.push(&image, &job.tag, |e| on_event(PublishEvent::Push(e))).await
}
