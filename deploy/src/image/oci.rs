//! The image's config and manifest (OCI image spec v1), written with sorted keys so that the
//! same layer gives the same digests.

use serde_json::json;

use super::{Blob, ImageError, ImageSpec, rootfs};

pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// The port the gateway listens on in the image (the template's container port).
pub const PORT: u16 = 4000;

/// The image config: how the container runs (as deploy/Dockerfile's image does: `switchboard
/// serve` on 0.0.0.0:$PORT as user 10001, SQLite under its home unless a database is set).
pub fn config(spec: &ImageSpec, diff_id: &str) -> Result<Vec<u8>, ImageError> {
    let mut labels = serde_json::Map::new();
    labels.insert("org.opencontainers.image.title".into(), "Switchboard gateway".into());
    labels.insert("org.opencontainers.image.description".into(), "A LiteLLM-compatible LLM gateway".into());
    labels.insert("org.opencontainers.image.version".into(), spec.version.clone().into());
    if let Some(revision) = &spec.revision {
        labels.insert("org.opencontainers.image.revision".into(), revision.clone().into());
    }
    let document = json!({
        "architecture": spec.platform.oci(),
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "User": format!("{uid}:{uid}", uid = rootfs::USER_ID),
            "Entrypoint": [rootfs::BINARY_PATH, "serve", "--host", "0.0.0.0"],
            "Env": [
                "PATH=/usr/local/bin:/usr/bin:/bin",
                format!("PORT={PORT}"),
                format!("HOME={}", rootfs::HOME),
                format!("XDG_DATA_HOME={}", rootfs::HOME),
                format!("SSL_CERT_FILE={}", rootfs::CA_BUNDLE),
            ],
            "ExposedPorts": { format!("{PORT}/tcp"): {} },
            "WorkingDir": rootfs::HOME,
            "Labels": labels,
        },
        "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        "history": [{
            "created": "1970-01-01T00:00:00Z",
            "created_by": format!("switchboard deploy image ({} {})", spec.platform.cpu(), spec.version),
        }],
    });
    serde_json::to_vec(&document).map_err(|e| ImageError::Layer(format!("cannot write the image config: {e}")))
}

pub fn manifest(config: &Blob, layer: &Blob) -> Result<Vec<u8>, ImageError> {
    let document = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": { "mediaType": config.media_type, "digest": config.digest, "size": config.size() },
        "layers": [{ "mediaType": layer.media_type, "digest": layer.digest, "size": layer.size() }],
    });
    serde_json::to_vec(&document).map_err(|e| ImageError::Layer(format!("cannot write the manifest: {e}")))
}
