//! `switchboard deploy image`, and the image part of `deploy up` without `--image`: the pushed
//! reference (by digest) is the last line on stdout, progress goes to stderr (`--json`: one
//! object per line on stdout).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::publish::{ImageBuild, Publish, PublishEvent, publish};
use super::registry::{Login, PushEvent, Pushed};
use super::{ImageSpec, Platform, ecr, gateway_binary};

/// Where and what to push (shared by `deploy image` and `deploy up`).
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Plain HTTP, for a registry without TLS (one on this machine, 127.0.0.1 or localhost, is
    /// always reached so, as Docker does).
    #[arg(long)]
    pub insecure: bool,
    /// The Linux `switchboard` binary to put in the image [default: $SWITCHBOARD_IMAGE_BINARY,
    /// else this program when it is `switchboard`, else the `switchboard` beside it].
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
    /// The image to build for `platform`: `--binary`, or the gateway binary found.
    pub fn build(&self, platform: Platform) -> Result<ImageBuild, String> {
        let binary = match &self.binary {
            Some(binary) => binary.clone(),
            None => gateway_binary().map_err(|e| format!("{e}; or pass --binary"))?,
        };
        let mut spec = ImageSpec::with_binary(binary, platform);
        if let Some(ca) = &self.ca_bundle {
            spec.ca_bundle = ca.clone();
        }
        let login = match (&self.username, &self.password) {
            (Some(username), Some(password)) => Some(Login { username: username.clone(), password: password.clone() }),
            (None, None) => None,
            _ => return Err("--username and --password go together".into()),
        };
        Ok(ImageBuild { spec, insecure: self.insecure, login, keep: self.keep })
    }
}

/// Publishes, printing each step (text on stderr, or JSON lines on stdout); the pushed image.
pub async fn publish_printed(job: &Publish, json: bool) -> Result<Pushed, String> {
    let binary = job.spec.binary.display().to_string();
    let terminal = std::io::stderr().is_terminal();
    publish(job, |event| {
        if json {
            println!("{}", event_json(&event));
            return;
        }
        match event {
            // A line every half second is noise in a log; a terminal shows it in place.
            PublishEvent::Push(PushEvent::Uploading { .. }) if terminal => eprint!("\r{}", event.text(&binary)),
            PublishEvent::Push(PushEvent::Uploading { .. }) => {}
            PublishEvent::Push(PushEvent::Uploaded { .. }) if terminal => eprintln!("\r\x1b[K{}", event.text(&binary)),
            _ => eprintln!("{}", event.text(&binary)),
        }
    })
    .await
    .map_err(|e| e.to_string())
}

/// `deploy image --json`'s line for a step.
fn event_json(event: &PublishEvent) -> serde_json::Value {
    match event {
        PublishEvent::RepositoryCreated { repository, keep } => {
            serde_json::json!({"event": "repository_created", "repository": repository, "keep": keep})
        }
        PublishEvent::Assembled { layer, layer_size, manifest, architecture, .. } => serde_json::json!({
            "event": "assembled", "layer": layer, "layer_size": layer_size, "manifest": manifest,
            "architecture": architecture}),
        PublishEvent::Push(PushEvent::Present { what, digest, size }) => {
            serde_json::json!({"event": "present", "blob": what, "digest": digest, "size": size})
        }
        PublishEvent::Push(PushEvent::Uploading { what, digest, size, sent }) => {
            serde_json::json!({"event": "uploading", "blob": what, "digest": digest, "size": size, "sent": sent})
        }
        PublishEvent::Push(PushEvent::Uploaded { what, digest, size, seconds }) => serde_json::json!({
            "event": "uploaded", "blob": what, "digest": digest, "size": size, "seconds": seconds}),
        PublishEvent::Push(PushEvent::Pushed { reference, tag }) => {
            serde_json::json!({"event": "pushed", "reference": reference, "tag": tag})
        }
    }
}

pub async fn run(args: ImageArgs) -> Result<ExitCode, String> {
    let platform = match args.arch.as_deref() {
        Some(arch) => Platform::from_cpu_architecture(arch).ok_or_else(|| format!("--arch {arch}: X86_64 or ARM64"))?,
        None => Platform::host().ok_or("this machine's CPU is neither x86_64 nor arm64: pass --arch")?,
    };
    let job = args.push.build(platform)?.job(&args.repository, args.tag, args.profile)?;
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
