//! `switchboard deploy image`: assemble the gateway's image and push it; the pushed reference
//! (by digest) is the last line on stdout, progress goes to stderr (`--json`: one object per
//! line on stdout).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::registry::{Login, PushEvent, Reference, Registry, human_size, short};
use super::{ImageSpec, Platform, assemble, ecr};
use crate::AwsTarget;
use crate::aws::Clients;

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// Where to push: host[:port]/repository[:tag]. An ECR repository
    /// (<account>.dkr.ecr.<region>.amazonaws.com/<name>) is created when missing.
    #[arg(long)]
    pub repository: String,
    /// The tag [default: the tag in --repository, else the gateway's version].
    #[arg(long)]
    pub tag: Option<String>,
    /// Plain HTTP: a registry on this machine (e.g. 127.0.0.1:5000).
    #[arg(long)]
    pub insecure: bool,
    /// The Linux `switchboard` binary to put in the image [default: this program, when it is
    /// `switchboard`].
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// X86_64 or ARM64 (the binary must be built for it) [default: this machine's].
    #[arg(long)]
    pub arch: Option<String>,
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
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

fn say(json: bool, text: String, value: serde_json::Value) {
    if json {
        println!("{value}");
    } else {
        eprintln!("{text}");
    }
}

pub async fn run(args: ImageArgs) -> Result<ExitCode, String> {
    let mut reference: Reference = args.repository.parse()?;
    let platform = match args.arch.as_deref() {
        Some(arch) => Platform::from_cpu_architecture(arch).ok_or_else(|| format!("--arch {arch}: X86_64 or ARM64"))?,
        None => Platform::host().ok_or("this machine's CPU is neither x86_64 nor arm64: pass --arch")?,
    };
    let mut spec = ImageSpec::for_this_binary(platform).map_err(|e| e.to_string())?;
    match args.binary {
        Some(binary) => spec.binary = binary,
        None if spec.binary.file_stem().is_some_and(|n| n == "switchboard") => {}
        None => return Err("pass --binary: the path of a Linux `switchboard` binary to put in the image".into()),
    }
    if let Some(ca) = args.ca_bundle {
        spec.ca_bundle = ca;
    }
    let tag = args.tag.or_else(|| reference.tag.take()).unwrap_or_else(|| spec.version.clone());
    if let Err(e) = format!("{}/{}:{tag}", reference.registry, reference.repository).parse::<Reference>() {
        return Err(format!("--tag: {e}"));
    }

    let json = args.json;
    let mut login = match (args.username, args.password) {
        (Some(username), Some(password)) => Some(Login { username, password }),
        (None, None) => None,
        _ => return Err("--username and --password go together".into()),
    };
    if let Some((_account, region)) = ecr::parse_host(&reference.registry) {
        let target = AwsTarget::new(&region, args.profile.as_deref());
        let clients = Clients::connect(&target).await;
        let prepared = ecr::prepare(&clients.ecr, &reference, args.keep).await.map_err(|e| e.to_string())?;
        if prepared.created {
            say(
                json,
                format!(
                    "created the ECR repository {} (scan on push; keeps the last {} images)",
                    reference.repository, args.keep
                ),
                serde_json::json!({"event": "repository_created", "repository": reference.repository, "keep": args.keep}),
            );
        }
        login = Some(prepared.login);
    }

    let mut registry = Registry::new(reference, login, args.insecure).map_err(|e| e.to_string())?;
    registry.log_in().await.map_err(|e| e.to_string())?;

    let image = assemble(&spec).map_err(|e| e.to_string())?;
    say(
        json,
        format!(
            "assembled the image: {} {} for {}, layer {} ({})",
            spec.binary.display(),
            spec.version,
            platform.cpu(),
            human_size(image.layer.size()),
            short(&image.layer.digest)
        ),
        serde_json::json!({"event": "assembled", "layer": image.layer.digest, "layer_size": image.layer.size(),
            "config": image.config.digest, "manifest": image.manifest.digest, "architecture": platform.oci()}),
    );
    let pushed = registry
        .push(&image, &tag, |event| match event {
            PushEvent::Present { what, digest, size } => say(
                json,
                format!("the {what} is in the registry already ({}, {}): not uploaded", short(&digest), human_size(size)),
                serde_json::json!({"event": "present", "blob": what, "digest": digest, "size": size}),
            ),
            PushEvent::Uploaded { what, digest, size, seconds } => say(
                json,
                format!("uploaded the {what} ({}, {}) in {seconds:.1} s", short(&digest), human_size(size)),
                serde_json::json!({"event": "uploaded", "blob": what, "digest": digest, "size": size, "seconds": seconds}),
            ),
            PushEvent::Pushed { reference, tag } => say(
                json,
                format!("pushed {}:{tag}", reference.split('@').next().unwrap_or(&reference)),
                serde_json::json!({"event": "pushed", "reference": reference, "tag": tag}),
            ),
        })
        .await
        .map_err(|e| e.to_string())?;
    if json {
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
