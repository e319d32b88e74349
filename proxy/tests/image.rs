//! `switchboard deploy image` against a real registry: Debian's `docker-registry` (the reference
//! OCI distribution server) on 127.0.0.1. The image is pushed, read back (manifest, config,
//! layer, digests), unpacked, and its gateway run from the unpacked root alone; a second push
//! uploads nothing; an unreachable or plain-HTTP registry is a clear error.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
#[path = "../../deploy/tests/support/registry.rs"]
mod registry;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use common::{TempDir, free_port};
use registry::{LocalRegistry, wait_for_port};
use serde_json::Value;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn deploy_image(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["deploy", "image"])
        .args(args)
        .env_remove("REGISTRY_USERNAME")
        .env_remove("REGISTRY_PASSWORD")
        .output()
        .unwrap()
}

/// The `--json` lines of a push.
fn events(output: &Output) -> Vec<Value> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "switchboard deploy image failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_image_is_pushed_read_back_and_runs_from_its_own_layer() {
    let dir = TempDir::new("image");
    let registry = LocalRegistry::start(dir.path());
    let repository = format!("{}/team/switchboard", registry.host);

    // Push (a registry on 127.0.0.1 is reached over plain HTTP without --insecure, as by Docker).
    let first = events(&deploy_image(&["--repository", &repository, "--json"]));
    let kinds: Vec<&str> = first.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assembled", "uploaded", "uploaded", "pushed", "done"], "{first:#?}");
    let done = first.last().unwrap();
    let digest = done["digest"].as_str().unwrap().to_string();
    assert_eq!(done["reference"], format!("{repository}@{digest}"), "the reference is by digest");
    assert_eq!(done["blobs_uploaded"], 2);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(first[3]["tag"], version, "tagged with the gateway's version");

    // Read it back as a client would pull it.
    let http = reqwest::Client::new();
    let base = format!("http://{}/v2/team/switchboard", registry.host);
    let response = http.get(format!("{base}/manifests/{version}")).header("Accept", OCI_MANIFEST).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["docker-content-digest"].to_str().unwrap(), digest);
    let manifest_bytes = response.bytes().await.unwrap();
    assert_eq!(sha256(&manifest_bytes), digest, "the digest printed is the manifest's");
    let manifest: Value = serde_json::from_slice(&manifest_bytes).unwrap();
    assert_eq!(manifest["mediaType"], OCI_MANIFEST);
    let by_digest = http.get(format!("{base}/manifests/{digest}")).header("Accept", OCI_MANIFEST).send().await.unwrap();
    assert_eq!(by_digest.status(), 200, "the manifest is there by digest too");

    let blob = |digest: &str| {
        let http = http.clone();
        let url = format!("{base}/blobs/{digest}");
        async move {
            let r = http.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap()
        }
    };
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let config_bytes = blob(config_digest).await;
    assert_eq!(sha256(&config_bytes), config_digest);
    let config: Value = serde_json::from_slice(&config_bytes).unwrap();
    assert_eq!((config["architecture"].as_str(), config["os"].as_str()), (Some("amd64"), Some("linux")));
    let run = &config["config"];
    assert_eq!(run["Entrypoint"], serde_json::json!(["/usr/local/bin/switchboard", "serve", "--host", "0.0.0.0"]));
    assert_eq!(run["User"], "10001:10001", "the gateway does not run as root");
    assert!(run["ExposedPorts"].get("4000/tcp").is_some());
    assert_eq!(run["Labels"]["org.opencontainers.image.version"], version);

    let layer_digest = manifest["layers"][0]["digest"].as_str().unwrap();
    let layer = blob(layer_digest).await;
    assert_eq!(sha256(&layer), layer_digest);
    assert_eq!(manifest["layers"][0]["size"], layer.len());

    // Unpacked, the layer holds everything the gateway needs: it runs with nothing else.
    let root = dir.path().join("rootfs");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(dir.path().join("layer.tar.gz"), &layer).unwrap();
    let untar = Command::new("tar").arg("-xzf").arg(dir.path().join("layer.tar.gz")).arg("-C").arg(&root).status();
    assert!(untar.unwrap().success());
    let diff_id = sha256(&gunzip(&dir.path().join("layer.tar.gz")));
    assert_eq!(config["rootfs"]["diff_ids"][0], diff_id, "the config names the uncompressed layer");
    let env: Vec<(String, String)> = run["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let (k, v) = v.as_str().unwrap().split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let version_line = in_image(&root, &env, &["--version"]).output().unwrap();
    assert!(version_line.status.success(), "{version_line:?}");
    assert_eq!(String::from_utf8_lossy(&version_line.stdout).trim(), format!("switchboard {version}"));

    // The config as the CloudFormation template hands it over: base64 in SWITCHBOARD_CONFIG_B64.
    let config = "model_list:\n  - model_name: from-the-template\n    litellm_params: {model: openai/gpt-4o-mini, api_base: 'http://127.0.0.1:9/v1', api_key: sk-x}\n";
    let port = free_port();
    let mut gateway = in_image(&root, &env, &["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
        .env("LITELLM_MASTER_KEY", "sk-image-test-0123456789")
        .env("SWITCHBOARD_CONFIG_B64", base64::engine::general_purpose::STANDARD.encode(config))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("gateway.log")).unwrap())
        .spawn()
        .unwrap();
    wait_for_port(std::net::Ipv4Addr::LOCALHOST, port, "the gateway from the image");
    let alive = http.get(format!("http://127.0.0.1:{port}/health/liveliness")).send().await.unwrap();
    assert_eq!(alive.status(), 200);
    // What the panel's Status tab shows as the deployed gateway's version.
    let running = switchboard_deploy::health::running_version(&format!("http://127.0.0.1:{port}")).await;
    assert_eq!(running.as_deref(), Some(version));
    let models = http
        .get(format!("http://127.0.0.1:{port}/v1/models"))
        .bearer_auth("sk-image-test-0123456789")
        .send()
        .await
        .unwrap();
    let models: Value = models.json().await.unwrap();
    assert_eq!(models["data"][0]["id"], "from-the-template", "{models}");
    let _ = gateway.kill();
    let _ = gateway.wait();

    // The same build again: nothing to upload, the same digest.
    let second = events(&deploy_image(&["--repository", &repository, "--insecure", "--json"]));
    let kinds: Vec<&str> = second.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assembled", "present", "present", "pushed", "done"], "{second:#?}");
    let done = second.last().unwrap();
    assert_eq!((done["digest"].as_str(), done["uploaded_bytes"].as_u64()), (Some(digest.as_str()), Some(0)));
}

/// The image's gateway, run from the unpacked root: in a chroot as the image's user (as root,
/// which the test machine is), else through the root's own dynamic loader and libraries.
fn in_image(root: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut command = if is_root() {
        let mut c = Command::new("/usr/sbin/chroot");
        c.arg("--userspec=10001:10001").arg(root).arg("/usr/local/bin/switchboard");
        c
    } else {
        let mut c = Command::new(root.join("lib64/ld-linux-x86-64.so.2"));
        c.arg("--library-path").arg(root.join("lib/x86_64-linux-gnu")).arg(root.join("usr/local/bin/switchboard"));
        c
    };
    command.args(args).env_clear().envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !is_root() {
        // Outside a chroot the image's home is under the unpacked root.
        command.env("XDG_DATA_HOME", root.join("var/lib/switchboard")).env("HOME", root.join("var/lib/switchboard"));
    }
    command
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The uncompressed layer (`gzip -dc`).
fn gunzip(file: &Path) -> Vec<u8> {
    let out = Command::new("gzip").arg("-dc").arg(file).output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn an_unreachable_or_plain_http_registry_is_a_clear_error() {
    let dir = TempDir::new("image-errors");
    let closed = free_port();
    let out = deploy_image(&["--repository", &format!("127.0.0.1:{closed}/switchboard"), "--insecure"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("logging in to the registry") && err.contains(&format!("cannot reach http://127.0.0.1:{closed}")),
        "{err}"
    );

    // HTTPS to a plain-HTTP registry that is not on the loopback (this machine's own address).
    match own_address() {
        Some(ip) => {
            let registry = LocalRegistry::start_on(dir.path(), ip);
            let out = deploy_image(&["--repository", &format!("{}/switchboard", registry.host)]);
            assert_eq!(out.status.code(), Some(2));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("needs --insecure"), "HTTPS to a plain HTTP registry says what to do: {err}");
        }
        None => eprintln!("note: this machine has no address but the loopback; HTTPS to plain HTTP not tried"),
    }

    let out = deploy_image(&["--repository", "switchboard:latest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("names no registry"));
}

/// This machine's address on its default route (no packet is sent), unless it has none.
fn own_address() -> Option<std::net::Ipv4Addr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("203.0.113.1:9").ok()?;
    match socket.local_addr().ok()?.ip() {
        std::net::IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip),
        _ => None,
    }
}

#[test]
fn a_config_in_switchboard_config_b64_that_is_not_base64_is_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--port", &free_port().to_string()])
        .env("SWITCHBOARD_CONFIG_B64", "model_list: []")
        .env("LITELLM_MASTER_KEY", "sk-image-test-0123456789")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SWITCHBOARD_CONFIG_B64") && err.contains("not base64"), "{err}");
}
