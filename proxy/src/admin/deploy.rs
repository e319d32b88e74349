//! Deploying the gateway to the user's AWS account: the work is in `switchboard_deploy`; this is
//! what the admin API adds (the form's choices, a plan with the caller's identity).

use serde::Serialize;
use std::sync::OnceLock;
use switchboard_deploy::health::Health;
use switchboard_deploy::request::{LOG_RETENTION_DAYS, MAX_DESIRED_COUNT, fargate_memory_options};

use switchboard_deploy::image::publish::check_image_build;
use switchboard_deploy::image::{ImageBuild, binary_platform};
use switchboard_deploy::request::Validation;
use switchboard_deploy::{AwsTarget, DeployRequest, Deployer, Identity, Plan, ProgressStream, StackStatus};
use utoipa::ToSchema;

use super::{AdminError, Core, audit};

/// A deployer for `region` (checked first) with the credentials of `profile`.
pub async fn deployer(region: &str, profile: Option<&str>) -> Result<Deployer, AdminError> {
    switchboard_deploy::request::check_region(region).map_err(|e| AdminError::invalid(e, Some("region")))?;
    Ok(Deployer::connect(&AwsTarget::new(region, profile)).await)
}

/// The deploy form's defaults and choices.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Options {
    pub defaults: DeployRequest,
    pub fargate_sizes: Vec<FargateSize>,
    pub cpu_architectures: Vec<String>,
    pub max_desired_count: u32,
    pub log_retention_days: Vec<u32>,
    /// Where the cost estimate's prices come from, and when.
    pub cost_basis: String,
    /// Whether this gateway can build its own image for a form without one.
    pub image_build: ImageBuildInfo,
}

/// What a deploy without an image would build: this gateway's version, from its Linux binary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImageBuildInfo {
    pub available: bool,
    /// The gateway's version: the image's tag, and what an update rolls out.
    pub version: String,
    /// The binary that goes into the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// X86_64 or ARM64: the only CPU it builds for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<String>,
    /// Why it cannot build one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The image builder of this gateway, found once (the binary beside it does not move).
fn builder() -> Result<&'static ImageBuild, &'static str> {
    static BUILDER: OnceLock<Result<ImageBuild, String>> = OnceLock::new();
    BUILDER.get_or_init(|| ImageBuild::for_gateway().map_err(|e| e.to_string())).as_ref().map_err(String::as_str)
}

fn image_build_info() -> ImageBuildInfo {
    let version = crate::VERSION.to_string();
    match builder() {
        Ok(build) => match binary_platform(&build.spec.binary) {
            Ok(platform) => ImageBuildInfo {
                available: true,
                version,
                binary: Some(build.spec.binary.display().to_string()),
                cpu_architecture: Some(
                    if platform == switchboard_deploy::image::Platform::Arm64 { "ARM64" } else { "X86_64" }.into(),
                ),
                reason: None,
            },
            Err(e) => ImageBuildInfo {
                available: false,
                version,
                binary: Some(build.spec.binary.display().to_string()),
                cpu_architecture: None,
                reason: Some(e.to_string()),
            },
        },
        Err(reason) => ImageBuildInfo {
            available: false,
            version,
            binary: None,
            cpu_architecture: None,
            reason: Some(reason.to_string()),
        },
    }
}

/// The form's own checks, and for a form without an image, whether this gateway can build it.
pub fn validate(req: &DeployRequest) -> Validation {
    let mut v = req.validate();
    check_image_build(req, builder(), &mut v);
    v
}

/// A Fargate CPU size and the memory sizes it allows (MiB).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FargateSize {
    pub cpu: u32,
    pub memory: Vec<u32>,
}

/// A checked form: what it would create and cost, and (when asked) who the credentials are.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckedPlan {
    #[serde(flatten)]
    pub plan: Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Why the credentials could not be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_error: Option<String>,
}

/// A stack's state, with one call to its `/health/liveliness` when asked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StackReport {
    #[serde(flatten)]
    pub status: StackStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// The deployed gateway's version (its `/health/readiness`), with `health`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_version: Option<String>,
    /// The replicas the deployed gateway hears (itself included), with `health`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_replicas: Option<u32>,
    /// Whether the deployed replicas reach their Redis (`connected`, `away`), with `health`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_redis: Option<String>,
}

pub fn options() -> Options {
    Options {
        defaults: DeployRequest::default(),
        fargate_sizes: [256, 512, 1024, 2048, 4096]
            .into_iter()
            .map(|cpu| FargateSize { cpu, memory: fargate_memory_options(cpu) })
            .collect(),
        cpu_architectures: vec!["X86_64".into(), "ARM64".into()],
        max_desired_count: MAX_DESIRED_COUNT,
        log_retention_days: LOG_RETENTION_DAYS.to_vec(),
        cost_basis: switchboard_deploy::cost::PRICES_BASIS.to_string(),
        image_build: image_build_info(),
    }
}

/// Checks a form (field errors and warnings), lists what it would create and estimates the
/// monthly cost; nothing is created. With `whoami`, also the identity the credentials are.
pub async fn plan(req: &DeployRequest, whoami: bool) -> Result<CheckedPlan, AdminError> {
    let mut checked = CheckedPlan {
        plan: switchboard_deploy::plan_checked(req, validate(req)),
        identity: None,
        identity_error: None,
    };
    if whoami && switchboard_deploy::request::check_region(&req.region).is_ok() {
        match deployer(&req.region, req.profile.as_deref()).await?.whoami().await {
            Ok(identity) => checked.identity = Some(identity),
            Err(e) => checked.identity_error = Some(e.to_string()),
        }
    }
    Ok(checked)
}

/// A stack's state (and its health when `health`).
pub async fn status(d: &Deployer, stack: &str, health: bool) -> Result<StackReport, AdminError> {
    let status = d.status(stack).await?;
    let (health, running) = match status.outputs.get("ServiceUrl") {
        Some(url) if health => {
            let checked = switchboard_deploy::health::check(url, 1, std::time::Duration::ZERO).await;
            let running = if checked.ok { switchboard_deploy::health::running(url).await } else { None };
            (Some(checked), running.unwrap_or_default())
        }
        _ => (None, Default::default()),
    };
    Ok(StackReport {
        status,
        health,
        running_version: running.version,
        running_replicas: running.replicas,
        running_redis: running.redis,
    })
}

/// Starts creating or updating the stack of `req`, and records it in the audit log (`created`
/// or `updated`, with the stack as it was and the form it is deployed with).
/// A form without an image builds this gateway's and pushes it first (check the form with
/// [`validate`] before).
pub async fn up(core: &Core, d: &Deployer, req: &DeployRequest) -> Result<ProgressStream, AdminError> {
    // Only for the audit log: a stack that cannot be described is taken as new, and `up` says
    // what is wrong with the credentials.
    let before = d.status(req.stack_name()).await.ok().filter(|s| s.exists);
    let progress = d.up(req, builder().ok().cloned())?;
    let change = audit::Outside {
        action: if before.is_some() { "updated" } else { "created" },
        table_name: audit::DEPLOY_STACKS,
        object_id: req.stack_name(),
        before: before.as_ref().and_then(audit::document),
        after: audited_form(req),
    };
    audit::record(&core.store, &core.config, change).await;
    Ok(progress)
}

/// Starts building this gateway's image and rolling the deployed stack to it (every other
/// parameter as deployed), and records it in the audit log.
pub async fn update(
    core: &Core,
    d: &Deployer,
    stack: &str,
    repository: Option<String>,
) -> Result<ProgressStream, AdminError> {
    let build = builder().map_err(|reason| {
        AdminError::invalid(format!("this gateway cannot build its image: {reason}"), Some("image_uri"))
    })?;
    if let Some(r) = repository.as_deref().filter(|r| !r.trim().is_empty()) {
        r.parse::<switchboard_deploy::image::registry::Reference>()
            .map_err(|e| AdminError::invalid(e, Some("image_repository")))?;
    }
    let before = d.status(stack).await.ok().filter(|s| s.exists);
    let progress = d.update_image(stack, build.clone(), repository);
    let change = audit::Outside {
        action: "updated",
        table_name: audit::DEPLOY_STACKS,
        object_id: stack,
        before: before.as_ref().and_then(audit::document),
        after: Some(serde_json::json!({"image": format!("built from Switchboard {}", crate::VERSION)})),
    };
    audit::record(&core.store, &core.config, change).await;
    Ok(progress)
}

/// Starts deleting the stack (`confirm` must repeat its name), and records it in the audit log.
pub async fn down(core: &Core, d: &Deployer, stack: &str, confirm: &str) -> Result<ProgressStream, AdminError> {
    let before = d.status(stack).await.ok().filter(|s| s.exists);
    let progress = d.down(stack, confirm)?;
    let change = audit::Outside {
        action: "deleted",
        table_name: audit::DEPLOY_STACKS,
        object_id: stack,
        before: before.as_ref().and_then(audit::document),
        after: None,
    };
    audit::record(&core.store, &core.config, change).await;
    Ok(progress)
}

/// The deploy form as the audit log keeps it: the config.yaml it carries may hold provider keys
/// in clear, under any name, so the log says only that one was sent.
fn audited_form(req: &DeployRequest) -> Option<serde_json::Value> {
    let mut form = audit::document(req)?;
    if let Some(config) = form.get_mut("models_config").filter(|c| !c.is_null()) {
        *config = serde_json::Value::String(crate::redact::MASKED.into());
    }
    Some(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audited_form_leaves_the_config_out() {
        let mut req =
            DeployRequest { models_config: Some("upstream_token: plain-upstream-secret".into()), ..Default::default() };
        let form = audited_form(&req).unwrap();
        assert_eq!(form["models_config"], crate::redact::MASKED);
        assert!(!form.to_string().contains("plain-upstream-secret"));
        assert_eq!(form["name_prefix"], req.name_prefix.as_str());
        req.models_config = None;
        assert_eq!(audited_form(&req).unwrap()["models_config"], serde_json::Value::Null);
    }
}
