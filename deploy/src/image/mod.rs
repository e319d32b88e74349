//! The gateway's container image, made without a container engine (as `ko` does for Go): one
//! layer with the `switchboard` binary and what it needs to run ([`rootfs`]), an OCI image
//! config and manifest ([`oci`]), pushed over the OCI distribution API ([`registry`]) to any
//! registry, or to Amazon ECR after creating the repository and logging in ([`ecr`]).

pub mod cli;
pub mod ecr;
pub mod oci;
pub mod publish;
pub mod registry;
pub mod rootfs;

pub use publish::{ImageBuild, PublishEvent};
pub use rootfs::binary_platform;

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// The CPU an image is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Amd64,
    Arm64,
}

impl Platform {
    /// The form's `cpu_architecture` (ECS's `X86_64` / `ARM64`).
    pub fn from_cpu_architecture(value: &str) -> Option<Platform> {
        match value {
            "X86_64" => Some(Platform::Amd64),
            "ARM64" => Some(Platform::Arm64),
            _ => None,
        }
    }

    /// The machine this program runs on.
    pub fn host() -> Option<Platform> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Platform::Amd64),
            "aarch64" => Some(Platform::Arm64),
            _ => None,
        }
    }

    /// The OCI `architecture`.
    pub fn oci(self) -> &'static str {
        match self {
            Platform::Amd64 => "amd64",
            Platform::Arm64 => "arm64",
        }
    }

    /// As people say it.
    pub fn cpu(self) -> &'static str {
        match self {
            Platform::Amd64 => "x86_64",
            Platform::Arm64 => "arm64",
        }
    }
}

/// What goes into an image.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// A Linux `switchboard` binary for `platform`.
    pub binary: PathBuf,
    pub platform: Platform,
    /// The gateway's version (a label, and the tag pushed).
    pub version: String,
    /// The source commit, when known (a label).
    pub revision: Option<String>,
    /// The CA certificates the gateway trusts (Debian's bundle by default).
    pub ca_bundle: PathBuf,
}

impl ImageSpec {
    /// The gateway binary that goes into the image, found by [`gateway_binary`], for `platform`.
    pub fn for_gateway(platform: Platform) -> Result<ImageSpec, ImageError> {
        Ok(ImageSpec::with_binary(gateway_binary()?, platform))
    }

    pub fn with_binary(binary: PathBuf, platform: Platform) -> ImageSpec {
        ImageSpec {
            binary,
            platform,
            version: env!("CARGO_PKG_VERSION").to_string(),
            revision: option_env!("SWITCHBOARD_SOURCE_COMMIT").map(str::to_string),
            ca_bundle: PathBuf::from(rootfs::CA_BUNDLE),
        }
    }
}

/// Names the Linux gateway binary to put in images instead of the ones found beside the program.
pub const IMAGE_BINARY_ENV: &str = "SWITCHBOARD_IMAGE_BINARY";

/// The Linux `switchboard` binary for images: `SWITCHBOARD_IMAGE_BINARY`; else this program
/// when it is `switchboard`; else the `switchboard` beside it (the desktop packages install the
/// gateway's command beside the app, so the app builds images of its own version).
pub fn gateway_binary() -> Result<PathBuf, ImageError> {
    if let Some(path) = std::env::var_os(IMAGE_BINARY_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(ImageError::Binary(format!("{IMAGE_BINARY_ENV} names {}, which is not a file", path.display())))
        };
    }
    let this =
        std::env::current_exe().map_err(|e| ImageError::Binary(format!("cannot tell where this program is: {e}")))?;
    if this.file_stem().is_some_and(|n| n == "switchboard") {
        return Ok(this);
    }
    let beside = this.with_file_name("switchboard");
    if beside.is_file() {
        return Ok(beside);
    }
    Err(ImageError::Binary(format!(
        "no Linux `switchboard` binary to put in the image: none beside {} and {IMAGE_BINARY_ENV} is not set \
         (or give an image you built)",
        this.display()
    )))
}

/// Content and its address.
#[derive(Debug, Clone)]
pub struct Blob {
    pub media_type: &'static str,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Shared, not copied, by each request that sends it.
    pub bytes: bytes::Bytes,
}

impl Blob {
    pub fn new(media_type: &'static str, bytes: Vec<u8>) -> Blob {
        Blob { media_type, digest: sha256_digest(&bytes), bytes: bytes.into() }
    }

    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// An assembled image: its layer, config and manifest.
#[derive(Debug, Clone)]
pub struct Image {
    pub layer: Blob,
    pub config: Blob,
    pub manifest: Blob,
    pub platform: Platform,
    pub version: String,
}

/// Builds the image in memory (the gateway binary is the bulk: tens of MB).
pub fn assemble(spec: &ImageSpec) -> Result<Image, ImageError> {
    let fs = rootfs::collect(&spec.binary, spec.platform, &spec.ca_bundle)?;
    let tar = fs.tar()?;
    let diff_id = sha256_digest(&tar);
    let layer = Blob::new(oci::LAYER_MEDIA_TYPE, rootfs::gzip(&tar)?);
    drop(tar);
    let config = Blob::new(oci::CONFIG_MEDIA_TYPE, oci::config(spec, &diff_id)?);
    let manifest = Blob::new(oci::MANIFEST_MEDIA_TYPE, oci::manifest(&config, &layer)?);
    Ok(Image { layer, config, manifest, platform: spec.platform, version: spec.version.clone() })
}

/// What went wrong, naming the step; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the gateway binary: {0}")]
    Binary(String),
    #[error("assembling the image: {0}")]
    Layer(String),
    #[error("{step}: {message}")]
    Registry { step: String, message: String },
    #[error("Amazon ECR, {step}: {message}")]
    Ecr { step: String, message: String },
}
