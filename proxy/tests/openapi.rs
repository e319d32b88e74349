//! The admin API's OpenAPI document (`docs/openapi.json`) and the panel's TypeScript types
//! generated from it (`ui/src/lib/api.gen.ts`) are what the code says: this test regenerates
//! both and fails when a committed copy differs. `make api-types` writes them anew.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_committed_api_documents_are_current() {
    let doc = serde_json::to_value(switchboard::http::openapi::document()).unwrap();
    let json = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let ts = switchboard::http::openapi::typescript(&doc);
    let targets = [(repo().join("docs/openapi.json"), json), (repo().join("ui/src/lib/api.gen.ts"), ts)];
    let write = std::env::var_os("SWITCHBOARD_WRITE_API").is_some();
    let mut stale = Vec::new();
    for (path, text) in &targets {
        if write {
            std::fs::write(path, text).unwrap();
        } else if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(stale.is_empty(), "stale (the admin API's types changed): {stale:?}; run `make api-types` and commit them");
}

#[test]
fn every_admin_route_is_described_with_its_answer() {
    let doc = serde_json::to_value(switchboard::http::openapi::document()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for route in
        ["/key/generate", "/key/list", "/team/new", "/user/new", "/model/new", "/spend/logs", "/global/spend/models"]
    {
        let item = paths.get(route).unwrap_or_else(|| panic!("{route} is not in the document"));
        let op = item.get("post").or_else(|| item.get("get")).unwrap();
        assert!(
            op["responses"]["200"]["content"]["application/json"]["schema"].is_object(),
            "{route} has no answer type"
        );
    }
    let key = &doc["components"]["schemas"]["GeneratedKey"];
    assert!(key.to_string().contains("\"key\""), "GeneratedKey names the clear key: {key}");
}

/// utoipa names a schema after its Rust type; two types of one name would silently describe
/// one another. Every `ToSchema` type (or its `#[schema(as = ...)]`) must have its own name.
#[test]
fn schema_names_are_unique() {
    let mut names: Vec<(String, String)> = Vec::new();
    for dir in ["src", "../deploy/src"] {
        let mut stack = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("ToSchema").skip(1) {
                let head: String = piece.lines().take(6).collect::<Vec<_>>().join("\n");
                let renamed = head.split("#[schema(as = ").nth(1).and_then(|r| r.split(')').next());
                let declared = head
                    .split_whitespace()
                    .skip_while(|w| *w != "struct" && *w != "enum")
                    .nth(1)
                    .map(|n| n.trim_end_matches(|c: char| !c.is_alphanumeric()));
                if let Some(name) = renamed.or(declared) {
                    names.push((name.to_string(), path.display().to_string()));
                }
            }
        }
    }
    assert!(names.len() > 80, "only {} schema types found", names.len());
    names.sort();
    let clashes: Vec<_> = names
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| format!("{} in {} and {}", w[0].0, w[0].1, w[1].1))
        .collect();
    assert!(clashes.is_empty(), "schema names used twice: {clashes:?}");
}
