//! `switchboard check-config`: every mistake of a file in one report — the file's own and those
//! the providers find — so that a LiteLLM config is fixed in one pass, not one restart per line.

// clippy.toml lets #[test] functions unwrap and index; the helpers beside them may too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::TempDir;

fn check(dir: &TempDir, yaml: &str) -> (bool, String, String) {
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, yaml).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["check-config", "--config"])
        .arg(&path)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", dir.path().join("no-aws-config"))
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_problem_is_in_one_report() {
    let dir = TempDir::new("check-config-bad");
    let (ok, _, stderr) = check(
        &dir,
        r#"
model_list:
  - model_name: gpt
    litellm_params: {model: openai/gpt-4o, timeout: soon}
  - model_name: vertex
    litellm_params: {model: vertex_ai/gemini-pro}
  - model_name: claude
    litellm_params: {model: bedrock/anthropic.claude-3-haiku-20240307-v1:0}
  - model_name: "*"
    litellm_params: {model: "openai/*", api_base: "http://127.0.0.1:9/v1"}
router_settings:
  routing_strategy: fastest-wins
"#,
    );
    assert!(!ok);
    for expected in [
        "model_list[0] (gpt).litellm_params.timeout",
        "router_settings.routing_strategy: 'fastest-wins' is not a routing strategy",
        "model_list[1] (vertex).litellm_params.model: unknown or unsupported provider 'vertex_ai'",
        "model_list[2] (claude).litellm_params.aws_region_name: no AWS region",
    ] {
        assert!(stderr.contains(expected), "missing '{expected}' in:\n{stderr}");
    }
    assert!(!stderr.contains("model_list[3]"), "the wildcard entry is fine: {stderr}");
}

#[test]
fn a_valid_file_lists_its_deployments() {
    let dir = TempDir::new("check-config-good");
    let (ok, stdout, stderr) = check(
        &dir,
        "model_list:\n  - model_name: gpt\n    litellm_params: {model: openai/gpt-4o, api_base: \"http://127.0.0.1:9/v1\"}\n",
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("gpt\topenai/gpt-4o\t"), "{stdout}");
    assert!(stdout.contains("ok: 1 deployments, 1 model names"), "{stdout}");
}
