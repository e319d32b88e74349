//! Build and push in one call, for `deploy image`, and for `deploy up` and the panel's deploy and
//! update without an image: log in first (an unreachable registry or a wrong password fails
//! before the image is assembled), assemble, push; each step reported as it happens.

use super::registry::{Login, PushEvent, Pushed, Reference, Registry, check_tag, human_size, short};
use super::{Image, ImageError, ImageSpec, Platform, assemble, ecr};
use crate::AwsTarget;
use crate::aws::Clients;
use crate::progress::{ImageStep, Progress};
use crate::request::{DeployRequest, Validation};

/// An image to build and push when deploying, to a repository settled then (the default needs
/// the account's id).
#[derive(Debug, Clone)]
pub struct ImageBuild {
    /// The platform is the stack's (set when deploying).
    pub spec: ImageSpec,
    /// Plain HTTP (a registry on this machine is reached so anyway).
    pub insecure: bool,
    pub login: Option<Login>,
    /// Images the lifecycle policy of a new ECR repository keeps.
    pub keep: u32,
}

impl ImageBuild {
    /// The gateway binary found by [`super::gateway_binary`], no login, ECR's default policy.
    pub fn for_gateway() -> Result<ImageBuild, ImageError> {
        let platform = Platform::host().unwrap_or(Platform::Amd64);
        Ok(ImageBuild {
            spec: ImageSpec::for_gateway(platform)?,
            insecure: false,
            login: None,
            keep: ecr::DEFAULT_KEEP,
        })
    }

    /// The job of pushing to `repository` (`host[:port]/name[:tag]`; the tag defaults to the
    /// gateway's version) with the credentials of `profile` for ECR.
    pub fn job(&self, repository: &str, tag: Option<String>, profile: Option<String>) -> Result<Publish, String> {
        let mut reference: Reference = repository.parse()?;
        let tag = tag.or_else(|| reference.tag.take()).unwrap_or_else(|| self.spec.version.clone());
        check_tag(&tag).map_err(|e| format!("tag: {e}"))?;
        Ok(Publish {
            spec: self.spec.clone(),
            reference,
            tag,
            insecure: self.insecure,
            login: self.login.clone(),
            keep: self.keep,
            profile,
        })
    }
}

/// Adds to `v` what stops `builder` (or its absence, `Err` with the reason) from building the
/// image of a form that has none: no binary, or one for the other CPU.
pub fn check_image_build(req: &DeployRequest, builder: Result<&ImageBuild, &str>, v: &mut Validation) {
    if !req.builds_image() {
        return;
    }
    let build = match builder {
        Ok(build) => build,
        Err(reason) => return v.error("image_uri", format!("give an image: this gateway cannot build one ({reason})")),
    };
    let wanted = Platform::from_cpu_architecture(req.cpu_architecture.as_str());
    match super::binary_platform(&build.spec.binary) {
        Err(e) => v.error("image_uri", format!("give an image: {e}")),
        Ok(found) if Some(found) != wanted => v.error(
            "cpu_architecture",
            format!(
                "this gateway builds {} images (its binary is for {}): choose {}, or give an image built for {}",
                found.cpu(),
                found.cpu(),
                if found == Platform::Amd64 { "X86_64" } else { "ARM64" },
                wanted.map_or("it", Platform::cpu)
            ),
        ),
        Ok(_) => {}
    }
}

/// The repository a deploy pushes to when none is named: the account's ECR repository named
/// after the stack's prefix (made when missing).
pub fn default_repository(account: &str, region: &str, name_prefix: &str) -> String {
    format!("{account}.dkr.ecr.{region}.amazonaws.com/{}", name_prefix.to_ascii_lowercase())
}

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

impl PublishEvent {
    /// One sentence for the user.
    pub fn text(&self, binary: &str) -> String {
        match self {
            PublishEvent::RepositoryCreated { repository, keep } => {
                format!("Created the ECR repository {repository} (scan on push; keeps the last {keep} images).")
            }
            PublishEvent::Assembled { layer, layer_size, architecture, version, .. } => format!(
                "Assembled the image: {binary} {version} for {architecture}, layer {} ({}).",
                human_size(*layer_size),
                short(layer)
            ),
            PublishEvent::Push(PushEvent::Present { what, digest, size }) => {
                format!(
                    "The {what} is in the registry already ({}, {}): not uploaded.",
                    short(digest),
                    human_size(*size)
                )
            }
            PublishEvent::Push(PushEvent::Uploading { what, size, sent, .. }) => {
                format!("Uploading the {what}: {} of {}.", human_size(*sent), human_size(*size))
            }
            PublishEvent::Push(PushEvent::Uploaded { what, digest, size, seconds }) => {
                format!("Uploaded the {what} ({}, {}) in {seconds:.1} s.", short(digest), human_size(*size))
            }
            PublishEvent::Push(PushEvent::Pushed { reference, tag }) => {
                format!("Pushed {}:{tag}.", reference.split('@').next().unwrap_or(reference))
            }
        }
    }

    /// The item of a deploy's progress stream.
    pub fn progress(&self, binary: &str) -> Progress {
        let text = self.text(binary);
        let item = |step, blob: Option<&str>, digest: Option<&str>, size: Option<u64>, reference: Option<&str>| {
            Progress::Image {
                step,
                text: text.clone(),
                blob: blob.map(str::to_string),
                digest: digest.map(str::to_string),
                size,
                sent: None,
                reference: reference.map(str::to_string),
            }
        };
        match self {
            PublishEvent::RepositoryCreated { repository, .. } => {
                item(ImageStep::RepositoryCreated, None, None, None, Some(repository))
            }
            PublishEvent::Assembled { layer, layer_size, .. } => {
                item(ImageStep::Assembled, Some("layer"), Some(layer), Some(*layer_size), None)
            }
            PublishEvent::Push(PushEvent::Present { what, digest, size }) => {
                item(ImageStep::Present, Some(what), Some(digest), Some(*size), None)
            }
            PublishEvent::Push(PushEvent::Uploading { what, digest, size, sent }) => {
                let mut p = item(ImageStep::Uploading, Some(what), Some(digest), Some(*size), None);
                if let Progress::Image { sent: s, .. } = &mut p {
                    *s = Some(*sent);
                }
                p
            }
            PublishEvent::Push(PushEvent::Uploaded { what, digest, size, .. }) => {
                item(ImageStep::Uploaded, Some(what), Some(digest), Some(*size), None)
            }
            PublishEvent::Push(PushEvent::Pushed { reference, .. }) => {
                item(ImageStep::Pushed, None, None, None, Some(reference))
            }
        }
    }
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
