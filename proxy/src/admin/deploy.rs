//! Deploying the gateway to the user's AWS account: the work is in `switchboard_deploy`; this is
//! what the admin API adds (the form's choices, a plan with the caller's identity).

use serde_json::{Value, json};
use switchboard_deploy::request::{LOG_RETENTION_DAYS, MAX_DESIRED_COUNT, fargate_memory_options};
use switchboard_deploy::{AwsTarget, DeployRequest, Deployer};

use super::AdminError;

/// A deployer for `region` (checked first) with the credentials of `profile`.
pub async fn deployer(region: &str, profile: Option<&str>) -> Result<Deployer, AdminError> {
    switchboard_deploy::request::check_region(region).map_err(|e| AdminError::invalid(e, Some("region")))?;
    Ok(Deployer::connect(&AwsTarget::new(region, profile)).await)
}

/// The form's defaults and choices.
pub fn options() -> Value {
    let cpu: Vec<Value> =
        [256, 512, 1024, 2048, 4096].iter().map(|c| json!({"cpu": c, "memory": fargate_memory_options(*c)})).collect();
    json!({
        "defaults": DeployRequest::default(),
        "fargate_sizes": cpu,
        "cpu_architectures": ["X86_64", "ARM64"],
        "max_desired_count": MAX_DESIRED_COUNT,
        "log_retention_days": LOG_RETENTION_DAYS,
        "cost_basis": switchboard_deploy::cost::PRICES_BASIS,
    })
}

/// Checks a form (field errors and warnings), lists what it would create and estimates the
/// monthly cost; nothing is created. With `whoami`, also the identity the credentials are.
pub async fn plan(req: &DeployRequest, whoami: bool) -> Result<Value, AdminError> {
    let plan = switchboard_deploy::plan(req);
    let mut out = serde_json::to_value(&plan).map_err(|e| AdminError::Internal(e.to_string()))?;
    if whoami && switchboard_deploy::request::check_region(&req.region).is_ok() {
        let (key, value) = match deployer(&req.region, req.profile.as_deref()).await?.whoami().await {
            Ok(identity) => ("identity", json!(identity)),
            Err(e) => ("identity_error", json!(e.to_string())),
        };
        if let Some(o) = out.as_object_mut() {
            o.insert(key.into(), value);
        }
    }
    Ok(out)
}
