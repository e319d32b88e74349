//! `switchboard deploy ...` (also the `switchboard-deploy` binary): the deploy form as flags (or
//! a JSON file of it), progress printed as it arrives, `--json` for one JSON object per line.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use futures::StreamExt;

use crate::progress::{Done, ImageStep, Outcome, Progress};
use crate::request::{DeployRequest, Network};
use crate::{AwsTarget, DeployError, Deployer, FlowOptions, ProgressStream, Template, plan};

#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Create or update the gateway's stack (a CloudFormation change set) and follow it.
    Up(UpArgs),
    /// What is deployed: status, outputs, the last failures.
    Status(StackArgs),
    /// Follow the operation running on the stack until it ends.
    Follow(StackArgs),
    /// Delete the stack and everything it created (asks for the stack name unless --yes).
    Down(DownArgs),
    /// The deployed gateway's URL and master key secret (the key itself with --show-key).
    Connection(ConnectionArgs),
    /// Check a form and show the resources and a cost estimate, without calling AWS.
    Validate(FormArgs),
    /// Print the CloudFormation parameters of a form (AWS CLI format), or the template with the
    /// form's conditions applied (--resolved).
    Render(RenderArgs),
    /// Print the CloudFormation template.
    Template,
    /// Build the gateway's container image (no Docker needed) and push it to a registry; prints
    /// the pushed reference by digest.
    Image(crate::image::cli::ImageArgs),
    /// Build this version's image, push it and roll the deployed service to it (every other
    /// setting as deployed); follows the rollout until the new tasks are healthy.
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Where to push [default: the repository of the image running now].
    #[arg(long)]
    pub repository: Option<String>,
    #[command(flatten)]
    pub push: crate::image::cli::PushArgs,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    #[arg(long, env = "AWS_REGION")]
    pub region: Option<String>,
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct StackArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The stack (the deploy's name prefix).
    #[arg(long, default_value = "switchboard")]
    pub stack: String,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub polling: PollArgs,
}

#[derive(Debug, Args)]
pub struct PollArgs {
    /// Seconds between two looks at CloudFormation [default: 5, or SWITCHBOARD_DEPLOY_POLL_SECONDS].
    #[arg(long)]
    pub poll_seconds: Option<f64>,
    /// How many times to call /health/liveliness after a deploy, 5 s apart [default: 12, or
    /// SWITCHBOARD_DEPLOY_HEALTH_ATTEMPTS].
    #[arg(long)]
    pub health_attempts: Option<u32>,
}

impl PollArgs {
    fn options(&self) -> FlowOptions {
        let mut o = FlowOptions::from_env();
        if let Some(s) = self.poll_seconds {
            o.poll_interval = Duration::from_secs_f64(s.clamp(0.05, 60.0));
        }
        if let Some(n) = self.health_attempts {
            o.health_attempts = n;
        }
        o
    }
}

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Do not ask for the stack name.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ConnectionArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// Print the master key too.
    #[arg(long)]
    pub show_key: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub form: FormArgs,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub polling: PollArgs,
    /// Without --image (nor image_uri in --form), the gateway's image is built and pushed here
    /// first, and deployed by digest [default: the form's image_repository, else the account's
    /// ECR repository named after --name-prefix, created when missing].
    #[arg(long)]
    pub repository: Option<String>,
    #[command(flatten)]
    pub push: crate::image::cli::PushArgs,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub form: FormArgs,
    /// The template with the form's conditions applied (JSON), instead of the parameters.
    #[arg(long)]
    pub resolved: bool,
}

/// The deploy form: a JSON file (`--form`), then the flags given.
#[derive(Debug, Args)]
pub struct FormArgs {
    /// A JSON deploy form (the panel's format; see deploy/README.md).
    #[arg(long)]
    pub form: Option<PathBuf>,
    #[arg(long, env = "AWS_REGION")]
    pub region: Option<String>,
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Names the stack and its resources.
    #[arg(long)]
    pub name_prefix: Option<String>,
    /// The gateway image [default for `up`: built and pushed first, see --repository].
    #[arg(long)]
    pub image: Option<String>,
    /// X86_64 or ARM64 (must match the image).
    #[arg(long)]
    pub arch: Option<String>,
    /// Fargate CPU units (256, 512, 1024, 2048, 4096).
    #[arg(long)]
    pub cpu: Option<u32>,
    /// Fargate memory, MiB.
    #[arg(long)]
    pub memory: Option<u32>,
    #[arg(long)]
    pub desired_count: Option<u32>,
    /// No RDS: keys and spend in SQLite inside the task.
    #[arg(long)]
    pub no_rds: bool,
    #[arg(long)]
    pub db_instance_class: Option<String>,
    /// An ElastiCache Redis node.
    #[arg(long)]
    pub redis: bool,
    #[arg(long)]
    pub cache_node_type: Option<String>,
    /// A new VPC with this CIDR (the default: 10.0.0.0/16).
    #[arg(long, conflicts_with = "vpc_id")]
    pub vpc_cidr: Option<String>,
    /// An existing VPC (with --public-subnets and --private-subnets).
    #[arg(long, requires_all = ["public_subnets", "private_subnets"])]
    pub vpc_id: Option<String>,
    #[arg(long, value_delimiter = ',')]
    pub public_subnets: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    pub private_subnets: Vec<String>,
    #[arg(long)]
    pub certificate_arn: Option<String>,
    #[arg(long)]
    pub domain_name: Option<String>,
    /// An existing secret with the master key (default: generate one).
    #[arg(long)]
    pub master_key_secret_arn: Option<String>,
    /// A LiteLLM config.yaml for the gateway (default: the seed's two Bedrock aliases).
    #[arg(long)]
    pub models_config: Option<PathBuf>,
    #[arg(long)]
    pub log_retention_days: Option<u32>,
}

impl FormArgs {
    pub fn request(&self) -> Result<DeployRequest, String> {
        let mut r = match &self.form {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => DeployRequest::default(),
        };
        if let Some(v) = &self.region {
            r.region = v.clone();
        }
        if let Some(v) = &self.profile {
            r.profile = Some(v.clone()).filter(|p| !p.is_empty());
        }
        if let Some(v) = &self.name_prefix {
            r.name_prefix = v.clone();
        }
        if let Some(v) = &self.image {
            r.image_uri = v.clone();
        }
        if let Some(v) = &self.arch {
            r.cpu_architecture = serde_json::from_value(serde_json::Value::String(v.clone()))
                .map_err(|_| format!("--arch {v}: X86_64 or ARM64"))?;
        }
        if let Some(v) = self.cpu {
            r.cpu = v;
        }
        if let Some(v) = self.memory {
            r.memory = v;
        }
        if let Some(v) = self.desired_count {
            r.desired_count = v;
        }
        if self.no_rds {
            r.enable_rds = false;
        }
        if let Some(v) = &self.db_instance_class {
            r.db_instance_class = v.clone();
        }
        if self.redis {
            r.enable_redis = true;
            // With shared limits, two tasks (one per AZ) unless told otherwise.
            if self.desired_count.is_none() && r.desired_count == 1 {
                r.desired_count = 2;
            }
        }
        if let Some(v) = &self.cache_node_type {
            r.cache_node_type = v.clone();
        }
        if let Some(v) = &self.vpc_cidr {
            r.network = Network::New { vpc_cidr: v.clone() };
        }
        if let Some(v) = &self.vpc_id {
            r.network = Network::Existing {
                vpc_id: v.clone(),
                public_subnet_ids: self.public_subnets.clone(),
                private_subnet_ids: self.private_subnets.clone(),
            };
        }
        if let Some(v) = &self.certificate_arn {
            r.certificate_arn = Some(v.clone());
        }
        if let Some(v) = &self.domain_name {
            r.domain_name = Some(v.clone());
        }
        if let Some(v) = &self.master_key_secret_arn {
            r.master_key_secret_arn = Some(v.clone());
        }
        if let Some(path) = &self.models_config {
            r.models_config = Some(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        if let Some(v) = self.log_retention_days {
            r.log_retention_days = v;
        }
        Ok(r)
    }
}

/// Runs one `deploy` subcommand. Exit codes: 0 done, 1 the operation failed, 2 bad input.
pub async fn run(cmd: DeployCommand) -> ExitCode {
    match run_inner(cmd).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run_inner(cmd: DeployCommand) -> Result<ExitCode, String> {
    match cmd {
        DeployCommand::Template => {
            print!("{}", crate::TEMPLATE_YAML);
            Ok(ExitCode::SUCCESS)
        }
        DeployCommand::Image(args) => crate::image::cli::run(args).await,
        DeployCommand::Validate(form) => {
            let p = plan(&form.request()?);
            println!("{}", serde_json::to_string_pretty(&p).unwrap_or_default());
            Ok(if p.ok { ExitCode::SUCCESS } else { ExitCode::from(2) })
        }
        DeployCommand::Render(args) => {
            let req = args.form.request()?;
            let v = req.validate();
            if !v.is_ok() {
                return Err(format!("the form has errors: {v}"));
            }
            if req.builds_image() {
                return Err(
                    "render needs an image (--image, or image_uri in --form): without one, `deploy up` builds it first"
                        .into(),
                );
            }
            let params = req.parameters();
            let out = if args.resolved {
                Template::get().and_then(|t| t.resolve(&params)).map_err(|e| e.to_string())?
            } else {
                serde_json::Value::Array(
                    params.iter().map(|(k, v)| serde_json::json!({"ParameterKey": k, "ParameterValue": v})).collect(),
                )
            };
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        DeployCommand::Up(args) => {
            let mut req = args.form.request()?;
            if let Some(r) = &args.repository {
                req.image_repository = Some(r.clone());
            }
            // The form is checked before anything is built or pushed.
            let v = req.validate();
            for w in &v.warnings {
                eprintln!("warning: {}: {}", w.field, w.message);
            }
            if !v.is_ok() {
                return Err(format!("the form has errors: {v}"));
            }
            let build = if req.builds_image() { Some(args.push.build(image_platform(&req)?)?) } else { None };
            let deployer = Deployer::connect(&AwsTarget::new(&req.region, req.profile.as_deref()))
                .await
                .with_options(args.polling.options());
            let stream = deployer.up(&req, build).map_err(|e| e.to_string())?;
            Ok(print_stream(stream, args.json).await)
        }
        DeployCommand::Update(args) => {
            let deployer = connect(&args.stack).await?;
            // The stack's own CPU is applied when it is read; the binary must match it.
            let build = args.push.build(crate::image::Platform::host().unwrap_or(crate::image::Platform::Amd64))?;
            let stream = deployer.update_image(&args.stack.stack, build, args.repository.clone());
            Ok(print_stream(stream, args.stack.json).await)
        }
        DeployCommand::Follow(args) => {
            let deployer = connect(&args).await?;
            Ok(print_stream(deployer.follow(&args.stack), args.json).await)
        }
        DeployCommand::Status(args) => {
            let deployer = connect(&args).await?;
            let s = deployer.status(&args.stack).await.map_err(|e| e.to_string())?;
            if args.json {
                println!("{}", serde_json::to_string(&s).unwrap_or_default());
            } else if !s.exists {
                println!("{}: not deployed in {}", s.stack_name, s.region);
            } else {
                println!("{} ({}): {}", s.stack_name, s.region, s.status.as_deref().unwrap_or("?"));
                if let Some(r) = &s.status_reason {
                    println!("  {r}");
                }
                for (k, v) in &s.outputs {
                    println!("  {k} = {v}");
                }
                for f in &s.last_failures {
                    println!("  failed: {} ({}) {}: {}", f.logical_id, f.resource_type, f.status, f.reason);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DeployCommand::Connection(args) => {
            let deployer = connect(&args.stack).await?;
            let c = deployer.connection(&args.stack.stack).await.map_err(|e| e.to_string())?;
            if args.stack.json {
                let mut v = serde_json::to_value(&c).unwrap_or_default();
                if !args.show_key
                    && let Some(o) = v.as_object_mut()
                {
                    o.insert("master_key".into(), serde_json::Value::Null);
                }
                println!("{v}");
            } else {
                println!("LITELLM_PROXY_URL={}", c.url);
                println!("master key secret: {}", c.master_key_secret_arn);
                if args.show_key {
                    println!("LITELLM_MASTER_KEY={}", c.master_key);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DeployCommand::Down(args) => {
            let deployer = connect(&args.stack).await?;
            let stack = &args.stack.stack;
            let confirm = if args.yes {
                stack.clone()
            } else {
                eprint!(
                    "This deletes {stack} in {} and everything it created. Type the stack name to confirm: ",
                    deployer.region()
                );
                let _ = std::io::stderr().flush();
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
                line.trim().to_string()
            };
            let stream = match deployer.down(stack, &confirm) {
                Ok(s) => s,
                Err(DeployError::Confirmation { expected }) => {
                    eprintln!("not confirmed (expected {expected:?}): nothing deleted");
                    return Ok(ExitCode::from(1));
                }
                Err(e) => return Err(e.to_string()),
            };
            Ok(print_stream(stream, args.stack.json).await)
        }
    }
}

/// The CPU of the image a form without one builds.
fn image_platform(req: &DeployRequest) -> Result<crate::image::Platform, String> {
    crate::image::Platform::from_cpu_architecture(req.cpu_architecture.as_str())
        .ok_or_else(|| format!("no image can be built for {}", req.cpu_architecture.as_str()))
}

async fn connect(args: &StackArgs) -> Result<Deployer, String> {
    let target = &args.target;
    let region = target.region.clone().filter(|r| !r.is_empty()).ok_or("--region (or AWS_REGION) is required")?;
    Ok(Deployer::connect(&AwsTarget::new(&region, target.profile.as_deref()))
        .await
        .with_options(args.polling.options()))
}

async fn print_stream(mut stream: ProgressStream, json: bool) -> ExitCode {
    let mut code = ExitCode::from(1);
    while let Some(item) = stream.next().await {
        if json {
            println!("{}", serde_json::to_string(&item).unwrap_or_default());
        } else {
            print_item(&item);
        }
        if let Progress::Done(done) = &item {
            code = exit_code(done);
        }
    }
    code
}

fn exit_code(done: &Done) -> ExitCode {
    match done.outcome {
        Outcome::Succeeded | Outcome::NoChanges | Outcome::Deleted | Outcome::NotFound => ExitCode::SUCCESS,
        Outcome::RolledBack | Outcome::Failed | Outcome::Error => ExitCode::from(1),
    }
}

fn print_item(item: &Progress) {
    match item {
        Progress::Message { text } => println!("{text}"),
        // A line every half second is noise in a log; the upload's end says how long it took.
        Progress::Image { step: ImageStep::Uploading, .. } => {}
        Progress::Image { text, .. } => println!("{text}"),
        Progress::Plan { operation, stack_name, changes, total, .. } => {
            println!("{operation:?} {stack_name}: {} changes, {total} resources to follow", changes.len());
            for c in changes {
                let replace =
                    c.replacement.as_deref().filter(|r| *r != "False").map(|r| format!(" (replacement: {r})"));
                println!("  {:<7} {} ({}){}", c.action, c.logical_id, c.resource_type, replace.unwrap_or_default());
            }
        }
        Progress::Event { event, progress } => {
            let reason = event.reason.as_deref().map(|r| format!("  {r}")).unwrap_or_default();
            println!(
                "[{:>3.0}%] {:<28} {} ({}){reason}",
                progress * 100.0,
                event.status,
                event.logical_id,
                event.resource_type
            );
        }
        Progress::Done(done) => {
            println!("{}", done.message);
            if let Some(f) = &done.failure {
                println!("  failed: {} ({}) {}: {}", f.logical_id, f.resource_type, f.status, f.reason);
            }
            if let Some(image) = &done.image {
                println!("  image = {image}");
            }
            for (k, v) in &done.outputs {
                println!("  {k} = {v}");
            }
            if let Some(h) = &done.health {
                if h.ok {
                    println!("  {} -> {} {}", h.url, h.status.unwrap_or_default(), h.body.as_deref().unwrap_or(""));
                } else {
                    println!(
                        "  {} did not answer 200 after {} attempts: {}",
                        h.url,
                        h.attempts,
                        h.error.clone().or(h.status.map(|s| format!("status {s}"))).unwrap_or_default()
                    );
                }
            }
        }
    }
}
