//! Embeds the built panel (`ui/dist`) when it exists, so that one binary serves `/ui/`.
//! Without a build, the gateway serves a page that says how to make one.
//!
//! Also reduces LiteLLM's price map (3 MB of JSON, kept as data in `data/`) to the fields the
//! gateway reads, so that the binary carries and parses a fraction of it.

// A build script reports a failure by panicking: that is how cargo shows it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Whether a JSON value has the type a field needs.
type Fits = fn(&serde_json::Value) -> bool;

/// The price-map fields `spend::prices::Price` reads, with the JSON type each must have.
const PRICE_FIELDS: &[(&str, Fits)] = &[
    ("input_cost_per_token", serde_json::Value::is_number),
    ("output_cost_per_token", serde_json::Value::is_number),
    ("cache_read_input_token_cost", serde_json::Value::is_number),
    ("cache_creation_input_token_cost", serde_json::Value::is_number),
    ("litellm_provider", serde_json::Value::is_string),
    ("mode", serde_json::Value::is_string),
    ("max_tokens", serde_json::Value::is_u64),
    ("max_input_tokens", serde_json::Value::is_u64),
    ("max_output_tokens", serde_json::Value::is_u64),
    ("supports_function_calling", serde_json::Value::is_boolean),
    ("supports_vision", serde_json::Value::is_boolean),
];

fn compact_price_map(manifest: &Path, out_dir: &Path) {
    let source = manifest.join("data/model_prices_and_context_window.json");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source).expect("read the price map");
    let full: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).expect("the price map is JSON");
    let mut compact = serde_json::Map::new();
    for (model, entry) in full {
        let Some(fields) = entry.as_object() else { continue };
        let kept: serde_json::Map<String, serde_json::Value> = PRICE_FIELDS
            .iter()
            .filter_map(|(name, fits)| fields.get(*name).filter(|v| fits(v)).map(|v| (name.to_string(), v.clone())))
            .collect();
        if !kept.is_empty() {
            compact.insert(model, serde_json::Value::Object(kept));
        }
    }
    let bytes = serde_json::to_vec(&compact).expect("serialize the price map");
    std::fs::write(out_dir.join("prices.json"), bytes).expect("write prices.json");
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    compact_price_map(&manifest, &out_dir);
    let dist = manifest.join("../ui/dist");
    // A path that does not exist would make cargo run this script (and rebuild the gateway) on
    // every build: before the panel is built, watch ui/ for dist/ to appear.
    let watched = if dist.exists() { dist.clone() } else { manifest.join("../ui") };
    println!("cargo:rerun-if-changed={}", watched.display());
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let mut code = String::from(
        "/// Files of the built panel: (path under /ui/, contents).\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for (rel, abs) in &files {
        let _ = writeln!(code, "    ({rel:?}, include_bytes!({abs:?})),");
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("ui_assets.rs"), code).expect("write ui_assets.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let abs = path.canonicalize().unwrap_or(path.clone()).to_string_lossy().to_string();
            files.push((rel, abs));
        }
    }
}
