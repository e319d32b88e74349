//! The gateway's layering (docs/architecture.md), checked on the source: a module may use only
//! modules of a lower layer. A `crate::x` path in code (comments aside) is a use of `x`.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Layers from the bottom up. Modules of one layer do not use each other either.
const LAYERS: &[&[&str]] = &[
    &["time", "redact", "limits", "schema", "http_client"],
    &["store"],
    &["master_key", "logs"],
    &["config"],
    &["auth", "providers", "spend", "telemetry"],
    &["gateway"],
    &["aws", "messages", "responses", "replicas"],
    &["admin"],
    &["http"],
    &["server"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules a source file names with `crate::<module>`, outside comments.
fn used_modules(source: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                used.insert(name);
            }
            rest = after;
        }
    }
    used
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let own = layer_of(&module)
            .unwrap_or_else(|| panic!("{module} (from {}) has no layer in LAYERS", relative.display()));
        checked += 1;
        for used in used_modules(&std::fs::read_to_string(file).unwrap()) {
            if used == module || used == "VERSION" {
                continue;
            }
            match layer_of(&used) {
                Some(layer) if layer < own => {}
                _ => violations.push(format!("{} uses crate::{used}", relative.display())),
            }
        }
    }
    assert!(checked > 50, "only {checked} files were read");
    assert!(violations.is_empty(), "uses against the layering:\n{}", violations.join("\n"));
}

#[test]
fn the_check_sees_an_upward_use() {
    let used =
        used_modules("use crate::http::status_of; // crate::admin in a comment\nlet x = crate::aws::Target::new();");
    assert_eq!(used.into_iter().collect::<Vec<_>>(), ["aws", "http"]);
}
