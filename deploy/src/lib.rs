//! Deploys the Switchboard gateway to AWS: ECS Fargate behind an Application Load Balancer, its
//! master key in Secrets Manager, PostgreSQL on RDS (optional, on by default) and ElastiCache
//! Redis (optional), from one CloudFormation template (`deploy/template.yaml`) and a form.
//!
//! - [`DeployRequest`] is the form; [`plan`] validates it and shows what would be created and
//!   what it roughly costs, without any AWS call.
//! - [`Deployer`] creates or updates the stack through a change set, follows it, destroys it and
//!   reads the deployed gateway's URL and master key; long operations are [`Progress`] streams.
//! - [`image`] assembles the gateway's container image without a container engine and pushes
//!   it (to ECR, made when missing, or any registry).
//! - [`cli`] is `switchboard deploy up|status|follow|down|connection|validate|render|image`.

pub mod aws;
pub mod cli;
pub mod cost;
pub mod flow;
pub mod health;
pub mod image;
pub mod progress;
pub mod request;
pub mod template;

use serde::Serialize;

pub use aws::{AwsTarget, StaticCredentials};
pub use cost::{CostEstimate, estimate};
pub use flow::{Connection, DeployError, Deployer, FlowOptions, Identity, ProgressStream, StackStatus};
pub use progress::{Done, Failure, ImageStep, Operation, Outcome, Progress, StackEvent};
pub use request::{DeployRequest, FieldIssue, Network, Validation};
pub use template::{Resource, TEMPLATE_YAML, Template};

/// What a form would deploy: checked, with the stack's parameters, resources and cost.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub ok: bool,
    pub stack_name: String,
    pub region: String,
    pub errors: Vec<FieldIssue>,
    pub warnings: Vec<FieldIssue>,
    /// The CloudFormation parameters (empty when the form has errors).
    pub parameters: std::collections::BTreeMap<String, String>,
    /// The resources CloudFormation would create (empty when the form has errors).
    pub resources: Vec<Resource>,
    pub estimate: CostEstimate,
}

/// Validates a form and describes what it would create; no AWS call.
pub fn plan(req: &DeployRequest) -> Plan {
    plan_checked(req, req.validate())
}

/// [`plan`] with the form's `validation` (which a caller may have added to).
pub fn plan_checked(req: &DeployRequest, mut validation: Validation) -> Plan {
    let (parameters, resources) = if validation.is_ok() {
        let parameters = req.parameters();
        match Template::get().and_then(|t| t.active_resources(&parameters)) {
            Ok(resources) => (parameters, resources),
            Err(e) => {
                validation.errors.push(FieldIssue { field: "template".into(), message: e.to_string() });
                (Default::default(), Vec::new())
            }
        }
    } else {
        (Default::default(), Vec::new())
    };
    Plan {
        ok: validation.is_ok(),
        stack_name: req.stack_name().to_string(),
        region: req.region.clone(),
        errors: validation.errors,
        warnings: validation.warnings,
        parameters,
        resources,
        estimate: estimate(req),
    }
}
