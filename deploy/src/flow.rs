//! Deploy, update, follow, status, destroy and "manage the deployed gateway", through
//! CloudFormation change sets. Long operations return a stream of [`Progress`] items that ends
//! with exactly one `Done`; the work stops when the stream is dropped (CloudFormation carries on,
//! and `follow` picks it up again).

use std::collections::{BTreeMap, HashSet};
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType, Parameter, Tag};
use aws_smithy_types::date_time::Format;
use futures::Stream;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::aws::{AwsTarget, Clients, describe_error, is_missing_stack};
use crate::health::{self, Health};
use crate::image::Platform;
use crate::image::publish::{ImageBuild, default_repository, publish};
use crate::progress::{
    Done, Failure, Operation, Outcome, PlannedChange, Progress, STACK_TYPE, StackEvent, Tracker, is_terminal,
};
use crate::request::{DeployRequest, Validation};
use crate::template::{Parameters, TEMPLATE_YAML, Template, TemplateError};

pub type ProgressStream = Pin<Box<dyn Stream<Item = Progress> + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("the form has errors: {0}")]
    Invalid(Validation),
    #[error("type the stack name ({expected}) to confirm")]
    Confirmation { expected: String },
    #[error("there is no stack named {stack} in {region}")]
    NotFound { stack: String, region: String },
    #[error("{0}")]
    NotReady(String),
    /// A form without an image, where no image can be built.
    #[error("the form names no image (image_uri) and this program cannot build one: {0}")]
    NoImage(String),
    #[error("{0}")]
    Aws(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// How often and how long to poll (shorter in tests).
#[derive(Debug, Clone)]
pub struct FlowOptions {
    pub poll_interval: Duration,
    /// Give up following an operation after this long (CloudFormation keeps going).
    pub operation_timeout: Duration,
    pub change_set_timeout: Duration,
    pub health_attempts: u32,
    pub health_interval: Duration,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            poll_interval: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(3 * 3600),
            change_set_timeout: Duration::from_secs(600),
            health_attempts: 12,
            health_interval: Duration::from_secs(5),
        }
    }
}

impl FlowOptions {
    /// The defaults, with `SWITCHBOARD_DEPLOY_POLL_SECONDS` and
    /// `SWITCHBOARD_DEPLOY_HEALTH_ATTEMPTS` when set (tests against moto shorten both).
    pub fn from_env() -> FlowOptions {
        let mut o = FlowOptions::default();
        if let Some(s) = std::env::var("SWITCHBOARD_DEPLOY_POLL_SECONDS").ok().and_then(|v| v.parse::<f64>().ok()) {
            o.poll_interval = Duration::from_secs_f64(s.clamp(0.05, 60.0));
        }
        if let Some(n) = std::env::var("SWITCHBOARD_DEPLOY_HEALTH_ATTEMPTS").ok().and_then(|v| v.parse().ok()) {
            o.health_attempts = n;
        }
        o
    }
}

/// Who the credentials belong to (STS GetCallerIdentity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub region: String,
}

/// What is deployed under a stack name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StackStatus {
    pub stack_name: String,
    pub region: String,
    pub exists: bool,
    pub stack_id: Option<String>,
    pub status: Option<String>,
    pub status_reason: Option<String>,
    /// An operation is running (follow it with `follow`).
    pub in_progress: bool,
    pub created: Option<String>,
    pub last_updated: Option<String>,
    pub outputs: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
    /// The resources that failed in the last operation, with their reasons.
    pub last_failures: Vec<Failure>,
}

/// How to manage the deployed gateway: its URL and master key (sent to the panel, which needs
/// it to manage that gateway; never printed by `Debug`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Connection {
    pub stack_name: String,
    pub url: String,
    pub alb_dns_name: Option<String>,
    pub master_key_secret_arn: String,
    pub master_key: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("stack_name", &self.stack_name)
            .field("url", &self.url)
            .field("alb_dns_name", &self.alb_dns_name)
            .field("master_key_secret_arn", &self.master_key_secret_arn)
            .field("master_key", &"[REDACTED]")
            .finish()
    }
}

/// A stack as DescribeStacks reports it.
#[derive(Debug, Clone)]
struct StackInfo {
    id: String,
    status: String,
    status_reason: Option<String>,
    created: Option<String>,
    last_updated: Option<String>,
    outputs: BTreeMap<String, String>,
    parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Deployer {
    clients: Clients,
    options: FlowOptions,
}

impl Deployer {
    pub async fn connect(target: &AwsTarget) -> Deployer {
        Deployer { clients: Clients::connect(target).await, options: FlowOptions::from_env() }
    }

    pub fn with_options(mut self, options: FlowOptions) -> Deployer {
        self.options = options;
        self
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    pub fn region(&self) -> &str {
        &self.clients.region
    }

    /// Checks the credentials (STS GetCallerIdentity).
    pub async fn whoami(&self) -> Result<Identity, DeployError> {
        let out = self
            .clients
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| DeployError::Aws(describe_error("sts:GetCallerIdentity", &e)))?;
        Ok(Identity {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
            region: self.clients.region.clone(),
        })
    }

    /// Creates or updates the stack for `req` with a change set. A form without an image builds
    /// the gateway's with `build` and pushes it first (`image_repository`, or the account's ECR
    /// repository). Fails at once, before any AWS call, when the form has errors.
    pub fn up(&self, req: &DeployRequest, build: Option<ImageBuild>) -> Result<ProgressStream, DeployError> {
        let validation = req.validate();
        if !validation.is_ok() {
            return Err(DeployError::Invalid(validation));
        }
        let build = match (req.builds_image(), build) {
            (true, Some(build)) => Some(build),
            (true, None) => return Err(DeployError::NoImage("give one".into())),
            (false, _) => None,
        };
        let this = self.clone();
        let req = req.clone();
        Ok(spawn(req.stack_name().to_string(), move |run| Box::pin(async move { this.run_up(run, req, build).await })))
    }

    /// Builds the gateway's image with `build`, pushes it (to `repository`, else where the
    /// running image came from) and rolls the stack's service to it, every other parameter as
    /// it is. ECS replaces the tasks (its circuit breaker rolls a failing deployment back) and
    /// CloudFormation waits until they are healthy.
    pub fn update_image(&self, stack_name: &str, build: ImageBuild, repository: Option<String>) -> ProgressStream {
        let this = self.clone();
        spawn(stack_name.to_string(), move |run| {
            Box::pin(async move { this.run_update_image(run, build, repository).await })
        })
    }

    /// Deletes the stack. `confirm` must be the stack name.
    pub fn down(&self, stack_name: &str, confirm: &str) -> Result<ProgressStream, DeployError> {
        if confirm != stack_name {
            return Err(DeployError::Confirmation { expected: stack_name.to_string() });
        }
        let this = self.clone();
        Ok(spawn(stack_name.to_string(), move |run| Box::pin(async move { this.run_down(run).await })))
    }

    /// Follows the operation running on the stack (after a reload of the panel, say), or reports
    /// the stack's state at once when nothing runs.
    pub fn follow(&self, stack_name: &str) -> ProgressStream {
        let this = self.clone();
        spawn(stack_name.to_string(), move |run| Box::pin(async move { this.run_follow(run).await }))
    }

    pub async fn status(&self, stack_name: &str) -> Result<StackStatus, DeployError> {
        let region = self.clients.region.clone();
        let Some(info) = self.describe(stack_name).await.map_err(DeployError::Aws)? else {
            return Ok(StackStatus {
                stack_name: stack_name.to_string(),
                region,
                exists: false,
                stack_id: None,
                status: None,
                status_reason: None,
                in_progress: false,
                created: None,
                last_updated: None,
                outputs: BTreeMap::new(),
                parameters: BTreeMap::new(),
                last_failures: Vec::new(),
            });
        };
        let events = self.last_operation_events(&info.id, stack_name).await.map_err(DeployError::Aws)?;
        let last_failures = events
            .iter()
            .filter(|e| e.status.ends_with("_FAILED") && !(e.is_stack() && e.logical_id == stack_name))
            .map(|e| Failure {
                logical_id: e.logical_id.clone(),
                resource_type: e.resource_type.clone(),
                status: e.status.clone(),
                reason: e.reason.clone().unwrap_or_default(),
            })
            .collect();
        Ok(StackStatus {
            stack_name: stack_name.to_string(),
            region,
            exists: true,
            stack_id: Some(info.id.clone()),
            in_progress: !is_terminal(&info.status),
            status: Some(info.status),
            status_reason: info.status_reason,
            created: info.created,
            last_updated: info.last_updated,
            outputs: info.outputs,
            parameters: info.parameters,
            last_failures,
        })
    }

    /// The deployed gateway's URL and master key (read from Secrets Manager).
    pub async fn connection(&self, stack_name: &str) -> Result<Connection, DeployError> {
        let info = self.describe(stack_name).await.map_err(DeployError::Aws)?.ok_or_else(|| DeployError::NotFound {
            stack: stack_name.to_string(),
            region: self.clients.region.clone(),
        })?;
        if !matches!(info.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE") {
            return Err(DeployError::NotReady(format!("{stack_name} is {}: no gateway to manage yet", info.status)));
        }
        let output = |k: &str| {
            info.outputs.get(k).filter(|v| !v.is_empty()).cloned().ok_or_else(|| {
                DeployError::NotReady(format!("{stack_name} has no {k} output (was it deployed by Switchboard?)"))
            })
        };
        let url = output("ServiceUrl")?;
        let arn = output("MasterKeySecretArn")?;
        let secret = self
            .clients
            .secrets
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .map_err(|e| DeployError::Aws(describe_error("secretsmanager:GetSecretValue", &e)))?;
        let master_key = secret
            .secret_string()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| DeployError::NotReady(format!("the secret {arn} holds no text")))?
            .to_string();
        Ok(Connection {
            stack_name: stack_name.to_string(),
            url,
            alb_dns_name: info.outputs.get("AlbDnsName").cloned(),
            master_key_secret_arn: arn,
            master_key,
        })
    }

    // ------------------------------------------------------------------ operations

    async fn run_up(&self, run: &mut Run, mut req: DeployRequest, build: Option<ImageBuild>) -> Result<Done, Halt> {
        let operation = self.ready_for_change(run).await?;
        run.operation = Some(operation);
        if let Some(build) = build {
            let platform = Platform::from_cpu_architecture(req.cpu_architecture.as_str())
                .ok_or_else(|| Halt::Error(format!("no image can be built for {}", req.cpu_architecture.as_str())))?;
            let repository = match req.image_repository() {
                Some(r) => r.to_string(),
                None => self.default_repository(&req.name_prefix).await?,
            };
            req.image_uri = self.build_image(run, &build, platform, &repository).await?;
        }
        let params = req.parameters();
        let template_resources =
            Template::get().and_then(|t| t.active_resources(&params)).map_err(|e| Halt::Error(e.to_string()))?.len();
        let parameters =
            params.iter().map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build()).collect();
        self.change(run, operation, parameters, template_resources).await
    }

    async fn run_update_image(
        &self,
        run: &mut Run,
        build: ImageBuild,
        repository: Option<String>,
    ) -> Result<Done, Halt> {
        let stack_name = run.stack_name.clone();
        let Some(info) = self.describe(&stack_name).await? else {
            return Ok(run.done(
                Outcome::NotFound,
                &format!("There is no stack named {stack_name} in {}: deploy it first.", self.clients.region),
            ));
        };
        run.stack_id = Some(info.id.clone());
        if !matches!(info.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE") {
            return Err(Halt::Error(format!(
                "{stack_name} is {}: only a deployed gateway is updated (wait for it to settle, or deploy it from the form)",
                info.status
            )));
        }
        run.operation = Some(Operation::Update);
        let parameter = |k: &str| info.parameters.get(k).map(String::as_str).unwrap_or_default();
        let platform = Platform::from_cpu_architecture(parameter("CpuArchitecture")).ok_or_else(|| {
            Halt::Error(format!("{stack_name} has no CpuArchitecture parameter (was it deployed by Switchboard?)"))
        })?;
        let repository = match repository.filter(|r| !r.trim().is_empty()) {
            Some(r) => r,
            None => match repository_of(parameter("ImageUri")) {
                Some(r) => r,
                None => self.default_repository(parameter("NamePrefix")).await?,
            },
        };
        let image = self.build_image(run, &build, platform, &repository).await?;
        // Every other parameter keeps its value (NoEcho ones too, which read back as `****`).
        let parameters = info
            .parameters
            .keys()
            .map(|k| match k.as_str() {
                "ImageUri" => Parameter::builder().parameter_key(k).parameter_value(&image).build(),
                _ => Parameter::builder().parameter_key(k).use_previous_value(true).build(),
            })
            .collect();
        self.change(run, Operation::Update, parameters, 0).await
    }

    /// Whether the stack can take a change set now, and which: creates a missing stack (or one
    /// whose first deploy was rolled back: it is deleted first), updates a settled one.
    async fn ready_for_change(&self, run: &mut Run) -> Result<Operation, Halt> {
        let stack_name = run.stack_name.clone();
        match self.describe(&stack_name).await? {
            None => Ok(Operation::Create),
            Some(s) if s.status == "REVIEW_IN_PROGRESS" => Ok(Operation::Create),
            Some(s) if s.status == "ROLLBACK_COMPLETE" => {
                run.emit(Progress::Message {
                    text: format!(
                        "The last deploy of {stack_name} failed and was rolled back; deleting the empty stack before deploying again."
                    ),
                })
                .await?;
                self.delete_and_wait(&s.id).await?;
                Ok(Operation::Create)
            }
            Some(s) if !is_terminal(&s.status) => Err(Halt::Error(format!(
                "{stack_name} is busy ({}); wait for it to finish (follow it, or look at its status) and deploy again",
                s.status
            ))),
            Some(s) if s.status.ends_with("_FAILED") => Err(Halt::Error(format!(
                "{stack_name} is in {} and cannot be updated{}; destroy it (or repair it in the CloudFormation console) first",
                s.status,
                s.status_reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ))),
            Some(_) => Ok(Operation::Update),
        }
    }

    /// The account's ECR repository named after the stack's prefix (the account from STS).
    async fn default_repository(&self, name_prefix: &str) -> Result<String, Halt> {
        let me = self.whoami().await.map_err(|e| Halt::Error(format!("{e}; or name the image repository")))?;
        Ok(default_repository(&me.account, &self.clients.region, name_prefix))
    }

    /// Builds and pushes the gateway's image for `platform` to `repository`, each step in the
    /// progress stream; the image by digest.
    async fn build_image(
        &self,
        run: &mut Run,
        build: &ImageBuild,
        platform: Platform,
        repository: &str,
    ) -> Result<String, Halt> {
        let mut build = build.clone();
        build.spec.platform = platform;
        let job = build
            .job(repository, None, self.clients.profile.clone())
            .map_err(|e| Halt::Error(format!("the image repository {repository:?}: {e}")))?;
        run.emit(Progress::Message {
            text: format!(
                "Building the gateway's image ({} for {}) and pushing it to {repository}.",
                job.spec.version,
                platform.cpu()
            ),
        })
        .await?;
        let binary = job.spec.binary.display().to_string();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let publishing = async move { publish(&job, move |e| drop(tx.send(e.progress(&binary)))).await };
        tokio::pin!(publishing);
        // Dropping the stream drops `publishing` too: the push stops at once.
        let pushed = loop {
            tokio::select! {
                biased;
                Some(item) = rx.recv() => run.emit(item).await?,
                pushed = &mut publishing => break pushed,
            }
        };
        while let Ok(item) = rx.try_recv() {
            run.emit(item).await?;
        }
        let pushed = pushed.map_err(|e| Halt::Error(format!("{e}. Nothing was deployed.")))?;
        run.image = Some(pushed.reference.clone());
        Ok(pushed.reference)
    }

    /// Creates the change set of `operation` with `parameters`, shows it, runs it and follows
    /// it to its end (`template_resources`: what a create counts for its progress).
    async fn change(
        &self,
        run: &mut Run,
        operation: Operation,
        parameters: Vec<Parameter>,
        template_resources: usize,
    ) -> Result<Done, Halt> {
        let stack_name = run.stack_name.clone();
        let cfn = &self.clients.cloudformation;
        let change_set_name =
            format!("switchboard-{}", SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs());
        let created = cfn
            .create_change_set()
            .stack_name(&stack_name)
            .change_set_name(&change_set_name)
            .change_set_type(if operation == Operation::Create { ChangeSetType::Create } else { ChangeSetType::Update })
            .description("Switchboard gateway (switchboard deploy)")
            .template_body(TEMPLATE_YAML)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .tags(Tag::builder().key("switchboard:stack").value(&stack_name).build())
            .send()
            .await
            .map_err(|e| Halt::Error(describe_error("cloudformation:CreateChangeSet", &e)))?;
        let change_set_id = created.id().unwrap_or(&change_set_name).to_string();
        let stack_id = created.stack_id().unwrap_or(&stack_name).to_string();
        run.stack_id = Some(stack_id.clone());

        let changes = match self.wait_change_set(&change_set_id).await? {
            Ok(changes) => changes,
            Err(reason) => {
                let _ = cfn.delete_change_set().change_set_name(&change_set_id).send().await;
                if is_no_change(&reason) {
                    let info = self.describe(&stack_id).await?;
                    let mut done =
                        run.done(Outcome::NoChanges, "Nothing to change: the deployed gateway matches the form.");
                    if let Some(info) = info {
                        done.stack_status = Some(info.status);
                        done.outputs = info.outputs;
                    }
                    done.health = self.health(&done.outputs).await;
                    return Ok(done);
                }
                if operation == Operation::Create {
                    // Leave no empty REVIEW_IN_PROGRESS stack behind.
                    let _ = cfn.delete_stack().stack_name(&stack_id).send().await;
                }
                return Err(Halt::Error(format!("CloudFormation refused the change: {reason}")));
            }
        };
        let total = if operation == Operation::Create { template_resources } else { changes.len() };
        run.emit(Progress::Plan {
            operation,
            stack_name: stack_name.clone(),
            stack_id: stack_id.clone(),
            change_set_id: Some(change_set_id.clone()),
            changes,
            total,
        })
        .await?;

        let marker = self.newest_event_id(&stack_id).await?;
        cfn.execute_change_set()
            .change_set_name(&change_set_id)
            .send()
            .await
            .map_err(|e| Halt::Error(describe_error("cloudformation:ExecuteChangeSet", &e)))?;
        let mut tracker = Tracker::new(operation, &stack_name, total);
        let status = self.follow_events(run, &stack_id, &mut tracker, marker).await?;
        self.finish(run, &tracker, &stack_id, &status).await
    }

    async fn run_down(&self, run: &mut Run) -> Result<Done, Halt> {
        let stack_name = run.stack_name.clone();
        run.operation = Some(Operation::Delete);
        let Some(info) = self.describe(&stack_name).await? else {
            return Ok(run.done(
                Outcome::NotFound,
                &format!("There is no stack named {stack_name} in {}: nothing to delete.", self.clients.region),
            ));
        };
        run.stack_id = Some(info.id.clone());
        let resources = self.stack_resources(&info.id).await?;
        let total = resources.len();
        run.emit(Progress::Plan {
            operation: Operation::Delete,
            stack_name: stack_name.clone(),
            stack_id: info.id.clone(),
            change_set_id: None,
            changes: resources
                .into_iter()
                .map(|(logical_id, resource_type)| PlannedChange {
                    action: "Remove".into(),
                    logical_id,
                    resource_type,
                    replacement: None,
                })
                .collect(),
            total,
        })
        .await?;
        let mut tracker = Tracker::new(Operation::Delete, &stack_name, total);
        let marker = if info.status == "DELETE_IN_PROGRESS" {
            // Already being deleted: replay from the start of that deletion.
            self.operation_start_marker(&info.id, &stack_name, Operation::Delete).await?
        } else {
            let marker = self.newest_event_id(&info.id).await?;
            self.clients
                .cloudformation
                .delete_stack()
                .stack_name(&info.id)
                .send()
                .await
                .map_err(|e| Halt::Error(describe_error("cloudformation:DeleteStack", &e)))?;
            marker
        };
        let status = self.follow_events(run, &info.id, &mut tracker, marker).await?;
        let mut done = self.finish(run, &tracker, &info.id, &status).await?;
        if done.outcome == Outcome::Deleted
            && let Some(own) = info.parameters.get("MasterKeySecretArn").filter(|a| !a.is_empty())
        {
            done.message.push_str(&format!(" The master key secret you supplied ({own}) is yours and was kept."));
        }
        Ok(done)
    }

    async fn run_follow(&self, run: &mut Run) -> Result<Done, Halt> {
        let stack_name = run.stack_name.clone();
        let Some(info) = self.describe(&stack_name).await? else {
            return Ok(run.done(
                Outcome::NotFound,
                &format!("There is no stack named {stack_name} in {}.", self.clients.region),
            ));
        };
        run.stack_id = Some(info.id.clone());
        let operation = if info.status.starts_with("DELETE") {
            Operation::Delete
        } else if info.status.starts_with("CREATE")
            || info.status.starts_with("ROLLBACK")
            || info.status == "REVIEW_IN_PROGRESS"
        {
            Operation::Create
        } else {
            Operation::Update
        };
        run.operation = Some(operation);
        let total = match operation {
            Operation::Create => {
                let params: Parameters = info
                    .parameters
                    .iter()
                    .filter(|(_, v)| v.as_str() != NO_ECHO_MASK)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Template::get().ok().and_then(|t| t.active_resources(&params).ok()).map(|r| r.len())
            }
            _ => None,
        };
        let total = match total {
            Some(n) => n,
            None => self.stack_resources(&info.id).await?.len(),
        };
        let mut tracker = Tracker::new(operation, &stack_name, total);
        let marker = self.operation_start_marker(&info.id, &stack_name, operation).await?;
        let status = self.follow_events(run, &info.id, &mut tracker, marker).await?;
        self.finish(run, &tracker, &info.id, &status).await
    }

    /// Streams the events after `marker` until the stack settles; returns its final status.
    async fn follow_events(
        &self,
        run: &mut Run,
        stack_id: &str,
        tracker: &mut Tracker,
        marker: Option<String>,
    ) -> Result<String, Halt> {
        let deadline = Instant::now() + self.options.operation_timeout;
        let mut seen = HashSet::new();
        loop {
            for e in self.new_events(stack_id, marker.as_deref(), &seen).await? {
                seen.insert(e.event_id.clone());
                let progress = tracker.observe(&e);
                run.emit(Progress::Event { event: e, progress }).await?;
            }
            let status = self.describe(stack_id).await?.map(|s| s.status).unwrap_or_else(|| "DELETE_COMPLETE".into());
            // Until the operation's first event, a settled status is the one from before it.
            if is_terminal(&status) && (tracker.started() || status == "DELETE_COMPLETE") {
                for e in self.new_events(stack_id, marker.as_deref(), &seen).await? {
                    seen.insert(e.event_id.clone());
                    let progress = tracker.observe(&e);
                    run.emit(Progress::Event { event: e, progress }).await?;
                }
                return Ok(status);
            }
            if Instant::now() > deadline {
                return Err(Halt::Error(format!(
                    "stopped following after {} minutes; the stack is still {status} (CloudFormation carries on: follow it again)",
                    self.options.operation_timeout.as_secs() / 60
                )));
            }
            tokio::time::sleep(self.options.poll_interval).await;
        }
    }

    async fn finish(&self, run: &Run, tracker: &Tracker, stack_id: &str, status: &str) -> Result<Done, Halt> {
        let (outcome, message) = tracker.outcome(status);
        let mut done = run.done(outcome, &message);
        done.stack_status = Some(status.to_string());
        done.failure = tracker.root_failure().cloned();
        done.failures = tracker.failures().to_vec();
        if outcome == Outcome::Succeeded {
            if let Some(info) = self.describe(stack_id).await? {
                done.outputs = info.outputs;
            }
            done.health = self.health(&done.outputs).await;
        }
        Ok(done)
    }

    async fn health(&self, outputs: &BTreeMap<String, String>) -> Option<Health> {
        let url = outputs.get("ServiceUrl").filter(|u| !u.is_empty())?;
        Some(health::check(url, self.options.health_attempts, self.options.health_interval).await)
    }

    // ------------------------------------------------------------------ CloudFormation calls

    /// DescribeStacks by name or id; `None` when there is no such stack.
    async fn describe(&self, name_or_id: &str) -> Result<Option<StackInfo>, String> {
        let out = match self.clients.cloudformation.describe_stacks().stack_name(name_or_id).send().await {
            Ok(out) => out,
            Err(e) if is_missing_stack(&e) => return Ok(None),
            Err(e) => return Err(describe_error("cloudformation:DescribeStacks", &e)),
        };
        let Some(s) = out.stacks().first() else { return Ok(None) };
        let status = s.stack_status().map(|s| s.as_str().to_string()).unwrap_or_default();
        Ok(Some(StackInfo {
            id: s.stack_id().unwrap_or(name_or_id).to_string(),
            status,
            status_reason: s.stack_status_reason().map(str::to_string),
            created: s.creation_time().and_then(|t| t.fmt(Format::DateTime).ok()),
            last_updated: s.last_updated_time().and_then(|t| t.fmt(Format::DateTime).ok()),
            outputs: s
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value().unwrap_or_default().to_string())))
                .collect(),
            parameters: s
                .parameters()
                .iter()
                .filter_map(|p| {
                    Some((p.parameter_key()?.to_string(), p.parameter_value().unwrap_or_default().to_string()))
                })
                .collect(),
        }))
    }

    /// Waits for a change set to be computed: its changes, or why it failed.
    async fn wait_change_set(&self, id: &str) -> Result<Result<Vec<PlannedChange>, String>, Halt> {
        let cfn = &self.clients.cloudformation;
        let deadline = Instant::now() + self.options.change_set_timeout;
        loop {
            let out = cfn
                .describe_change_set()
                .change_set_name(id)
                .send()
                .await
                .map_err(|e| Halt::Error(describe_error("cloudformation:DescribeChangeSet", &e)))?;
            match out.status() {
                Some(ChangeSetStatus::CreateComplete) => break,
                Some(ChangeSetStatus::Failed) => {
                    return Ok(Err(out.status_reason().unwrap_or("the change set failed").to_string()));
                }
                _ if Instant::now() > deadline => {
                    return Err(Halt::Error("CloudFormation did not compute the change set in time".into()));
                }
                _ => tokio::time::sleep(self.options.poll_interval.min(Duration::from_secs(2))).await,
            }
        }
        let mut changes = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = cfn
                .describe_change_set()
                .change_set_name(id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| Halt::Error(describe_error("cloudformation:DescribeChangeSet", &e)))?;
            for c in out.changes() {
                let Some(r) = c.resource_change() else { continue };
                changes.push(PlannedChange {
                    action: r.action().map(|a| a.as_str().to_string()).unwrap_or_default(),
                    logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                    resource_type: r.resource_type().unwrap_or_default().to_string(),
                    replacement: r.replacement().map(|x| x.as_str().to_string()),
                });
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(Ok(changes))
    }

    /// Events newer than `marker` (newest first from the API) not yet `seen`, in time order.
    async fn new_events(
        &self,
        stack_id: &str,
        marker: Option<&str>,
        seen: &HashSet<String>,
    ) -> Result<Vec<StackEvent>, Halt> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        'pages: loop {
            let page = self
                .clients
                .cloudformation
                .describe_stack_events()
                .stack_name(stack_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| Halt::Error(describe_error("cloudformation:DescribeStackEvents", &e)))?;
            for e in page.stack_events() {
                let id = e.event_id().unwrap_or_default();
                if Some(id) == marker || seen.contains(id) {
                    break 'pages;
                }
                out.push(convert_event(e));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        out.reverse();
        Ok(out)
    }

    async fn newest_event_id(&self, stack_id: &str) -> Result<Option<String>, Halt> {
        let page = self
            .clients
            .cloudformation
            .describe_stack_events()
            .stack_name(stack_id)
            .send()
            .await
            .map_err(|e| Halt::Error(describe_error("cloudformation:DescribeStackEvents", &e)))?;
        Ok(page.stack_events().first().and_then(|e| e.event_id()).map(str::to_string))
    }

    /// The id of the event just before the stack's last "<OPERATION>_IN_PROGRESS", so that
    /// following replays the whole running operation.
    async fn operation_start_marker(
        &self,
        stack_id: &str,
        stack_name: &str,
        op: Operation,
    ) -> Result<Option<String>, Halt> {
        let events = self.recent_events(stack_id).await?;
        let start = format!(
            "{}_IN_PROGRESS",
            match op {
                Operation::Create => "CREATE",
                Operation::Update => "UPDATE",
                Operation::Delete => "DELETE",
            }
        );
        let at = events.iter().position(|e| e.is_stack() && e.logical_id == stack_name && e.status == start);
        Ok(at.and_then(|i| events.get(i + 1)).map(|e| e.event_id.clone()))
    }

    /// The events of the stack's last operation, newest first.
    async fn last_operation_events(&self, stack_id: &str, stack_name: &str) -> Result<Vec<StackEvent>, String> {
        let events = self.recent_events(stack_id).await?;
        let end = events
            .iter()
            .position(|e| {
                e.is_stack()
                    && e.logical_id == stack_name
                    && e.status.ends_with("_IN_PROGRESS")
                    && e.reason.as_deref() == Some("User Initiated")
            })
            .map_or(events.len(), |i| i + 1);
        Ok(events.into_iter().take(end).collect())
    }

    /// The newest page of events (up to 100), newest first.
    async fn recent_events(&self, stack_id: &str) -> Result<Vec<StackEvent>, String> {
        let page = self
            .clients
            .cloudformation
            .describe_stack_events()
            .stack_name(stack_id)
            .send()
            .await
            .map_err(|e| describe_error("cloudformation:DescribeStackEvents", &e))?;
        Ok(page.stack_events().iter().map(convert_event).collect())
    }

    /// (logical id, type) of every resource of the stack.
    async fn stack_resources(&self, stack_id: &str) -> Result<Vec<(String, String)>, Halt> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .clients
                .cloudformation
                .list_stack_resources()
                .stack_name(stack_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| Halt::Error(describe_error("cloudformation:ListStackResources", &e)))?;
            for r in page.stack_resource_summaries() {
                let status = r.resource_status().map(|s| s.as_str()).unwrap_or_default();
                if status == "DELETE_COMPLETE" || r.logical_resource_id().is_none_or(str::is_empty) {
                    continue;
                }
                out.push((
                    r.logical_resource_id().unwrap_or_default().to_string(),
                    r.resource_type().unwrap_or_default().to_string(),
                ));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Deletes a stack and waits until it is gone (used for a rolled-back stack before a new deploy).
    async fn delete_and_wait(&self, stack_id: &str) -> Result<(), Halt> {
        self.clients
            .cloudformation
            .delete_stack()
            .stack_name(stack_id)
            .send()
            .await
            .map_err(|e| Halt::Error(describe_error("cloudformation:DeleteStack", &e)))?;
        let deadline = Instant::now() + self.options.operation_timeout;
        loop {
            match self.describe(stack_id).await? {
                None => return Ok(()),
                Some(s) if s.status == "DELETE_COMPLETE" => return Ok(()),
                Some(s) if s.status == "DELETE_FAILED" => {
                    return Err(Halt::Error(format!(
                        "could not delete the rolled-back stack: {}",
                        s.status_reason.unwrap_or_default()
                    )));
                }
                Some(_) if Instant::now() > deadline => {
                    return Err(Halt::Error("the rolled-back stack is still being deleted".into()));
                }
                Some(_) => tokio::time::sleep(self.options.poll_interval).await,
            }
        }
    }
}

fn convert_event(e: &aws_sdk_cloudformation::types::StackEvent) -> StackEvent {
    StackEvent {
        event_id: e.event_id().unwrap_or_default().to_string(),
        logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
        physical_id: e.physical_resource_id().unwrap_or_default().to_string(),
        resource_type: e.resource_type().unwrap_or(STACK_TYPE).to_string(),
        status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        reason: e.resource_status_reason().filter(|r| !r.is_empty()).map(str::to_string),
        timestamp: e.timestamp().and_then(|t| t.fmt(Format::DateTime).ok()).unwrap_or_default(),
    }
}

/// The repository an image reference names (`host/name[:tag][@digest]` → `host/name`), when it
/// names a registry host.
fn repository_of(image: &str) -> Option<String> {
    let name = image.split('@').next().unwrap_or_default();
    let reference: crate::image::registry::Reference = name.parse().ok()?;
    Some(format!("{}/{}", reference.registry, reference.repository))
}

/// How DescribeStacks shows the value of a NoEcho parameter.
const NO_ECHO_MASK: &str = "****";

/// CloudFormation's reasons for a change set that changes nothing.
fn is_no_change(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

// ---------------------------------------------------------------------- streaming

/// Why a running operation stopped early.
enum Halt {
    /// The stream was dropped: nobody listens any more.
    Gone,
    Error(String),
}

impl From<String> for Halt {
    fn from(e: String) -> Self {
        Halt::Error(e)
    }
}

/// The state of one streamed operation.
struct Run {
    tx: mpsc::Sender<Progress>,
    stack_name: String,
    operation: Option<Operation>,
    stack_id: Option<String>,
    /// The image this run built and pushed.
    image: Option<String>,
}

impl Run {
    async fn emit(&self, p: Progress) -> Result<(), Halt> {
        self.tx.send(p).await.map_err(|_| Halt::Gone)
    }

    fn done(&self, outcome: Outcome, message: &str) -> Done {
        Done {
            outcome,
            operation: self.operation,
            stack_name: self.stack_name.clone(),
            stack_id: self.stack_id.clone(),
            stack_status: None,
            message: message.to_string(),
            failure: None,
            failures: Vec::new(),
            outputs: BTreeMap::new(),
            health: None,
            image: self.image.clone(),
        }
    }
}

/// Runs `work` in a task and returns its progress stream, which ends with one `Done` (an error
/// becomes a `Done` with outcome `error`). Dropping the stream stops the work at its next item.
fn spawn<F>(stack_name: String, work: F) -> ProgressStream
where
    F: for<'a> FnOnce(&'a mut Run) -> BoxFuture<'a, Result<Done, Halt>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let mut run = Run { tx, stack_name, operation: None, stack_id: None, image: None };
        let done = match work(&mut run).await {
            Ok(done) => done,
            Err(Halt::Gone) => return,
            Err(Halt::Error(message)) => run.done(Outcome::Error, &message),
        };
        let _ = run.tx.send(Progress::Done(done)).await;
    });
    Box::pin(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) }))
}
