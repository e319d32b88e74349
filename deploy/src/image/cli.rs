//! `switchboard deploy image`, and the image part of `deploy up` without `--image`: the pushed
//! reference (by digest) is the last line on stdout, progress goes to stderr (`--json`: one
//! object per line on stdout).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::publish::{Publish, PublishEvent, publish};
use super::registry::{Login, PushEvent, Pushed, Reference, check_tag, human_size, short};
use super::{ImageSpec, Platform, ecr};

/// Where and what to push (shared by `deploy image` and `deploy up`).
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Plain HTTP: a registry on this machine (e.g. 127.0.0.1:5000).
    #[arg(long)]
    pub insecure: bool,
    /// The Linux `switchboard` binary to put in the image [default: this program, when it is
    /// `switchboard`].
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// The CA certificates the gateway trusts [default: /etc/ssl/certs/ca-certificates.crt].
    #[arg(long)]
    pub ca_bundle: Option<PathBuf>,
    /// A registry login (not for ECR, whose login comes from the AWS credentials).
    #[arg(long, env = "REGISTRY_USERNAME")]
    pub username: Option<String>,
    #[arg(long, env = "REGISTRY_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// How many images the lifecycle policy of a new ECR repository keeps.
    #[arg(long, default_value_t = ecr::DEFAULT_KEEP)]
    pub keep: u32,
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// Where to push: host[:port]/repository[:tag]. An ECR repository
    /// (<account>.dkr.ecr.<region>.amazonaws.com/<name>) is created when missing.
    #[arg(long)]
    pub repository: String,
    /// The tag [default: the tag in --repository, else the gateway's version].
    #[arg(long)]
    pub tag: Option<String>,
    /// X86_64 or ARM64 (the binary must be built for it) [default: this machine's].
    #[arg(long)]
    pub arch: Option<String>,
    #[command(flatten)]
    pub push: PushArgs,
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

impl PushArgs {
    /// The job: `repository` (its tag, or the version), for `platform`.
    pub fn job(
        &self,
        repository: &str,
        tag: Option<String>,
        platform: Platform,
        profile: Option<String>,
    ) -> Result<Publish, String> {
        let mut reference: Reference = repository.parse()?;
        let mut spec = ImageSpec::for_this_binary(platform).map_err(|e| e.to_string())?;
        match &self.binary {
            Some(binary) => spec.binary = binary.clone(),
            None if spec.binary.file_stem().is_some_and(|n| n == "switchboard") => {}
            None => return Err("pass --binary: the path of a Linux `switchboard` binary to put in the image".into()),
        }
        if let Some(ca) = &self.ca_bundle {
            spec.ca_bundle = ca.clone();
        }
        let tag = tag.or_else(|| reference.tag.take()).unwrap_or_else(|| spec.version.clone());
        check_tag(&tag).map_err(|e| format!("--tag: {e}"))?;
        let login = match (&self.username, &self.password) {
            (Some(username), Some(password)) => Some(Login { username: username.clone(), password: password.clone() }),
            (None, None) => None,
            _ => return Err("--username and --password go together".into()),
        };
        Ok(Publish { spec, reference, tag, insecure: self.insecure, login, keep: self.keep, profile })
    }
}

fn say(json: bool, text: String, value: serde_json::Value) {
    if json {
        println!("{value}");
    } else {
        eprintln!("{text}");
    }
}

/// Publishes, printing each step; the pushed image.
pub async fn publish_printed(job: &Publish, json: bool) -> Result<Pushed, String> {
    let binary = job.spec.binary.display().to_string();
    publish(job, |event| match event {
        PublishEvent::RepositoryCreated { repository, keep } => say(
            json,
            format!("created the ECR repository {repository} (scan on push; keeps the last {keep} images)"),
            serde_json::json!({"event": "repository_created", "repository": repository, "keep": keep}),
        ),
        PublishEvent::Assembled { layer, layer_size, manifest, architecture, version } => say(
            json,
            format!(
                "assembled the image: {binary} {version} for {architecture}, layer {} ({})",
                human_size(layer_size),
                short(&layer)
            ),
            serde_json::json!({"event": "assembled", "layer": layer, "layer_size": layer_size,
                "manifest": manifest, "architecture": architecture}),
        ),
        PublishEvent::Push(PushEvent::Present { what, digest, size }) => say(
            json,
            format!("the {what} is in the registry already ({}, {}): not uploaded", short(&digest), human_size(size)),
            serde_json::json!({"event": "present", "blob": what, "digest": digest, "size": size}),
        ),
        PublishEvent::Push(PushEvent::Uploaded { what, digest, size, seconds }) => say(
            json,
            format!("uploaded the {what} ({}, {}) in {seconds:.1} s", short(&digest), human_size(size)),
            serde_json::json!({"event": "uploaded", "blob": what, "digest": digest, "size": size, "seconds": seconds}),
        ),
        PublishEvent::Push(PushEvent::Pushed { reference, tag }) => say(
            json,
            format!("pushed {}:{tag}", reference.split('@').next().unwrap_or(&reference)),
            serde_json::json!({"event": "pushed", "reference": reference, "tag": tag}),
        ),
    })
    .await
    .map_err(|e| e.to_string())
}

pub async fn run(args: ImageArgs) -> Result<ExitCode, String> {
    let platform = match args.arch.as_deref() {
        Some(arch) => Platform::from_cpu_architecture(arch).ok_or_else(|| format!("--arch {arch}: X86_64 or ARM64"))?,
        None => Platform::host().ok_or("this machine's CPU is neither x86_64 nor arm64: pass --arch")?,
    };
    let job = args.push.job(&args.repository, args.tag, platform, args.profile)?;
    let pushed = publish_printed(&job, args.json).await?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({"event": "done", "reference": pushed.reference, "digest": pushed.digest,
                "uploaded_bytes": pushed.uploaded_bytes, "blobs_uploaded": pushed.blobs_uploaded,
                "blobs_present": pushed.blobs_present})
        );
    } else {
        println!("{}", pushed.reference);
    }
    Ok(ExitCode::SUCCESS)
}
