//! The doctor's checks of what a harness holds beside its model: tools AWS cannot reach, allowed
//! tools that name no tool, AgentCore resources and hook targets in another region, and gateway
//! keys written into environment variables or MCP headers instead of a credential provider.
//!
//! Check ids: `tool_unreachable`, `tool_insecure`, `allowed_tools_unknown`, `resource_region`,
//! `gateway_key_exposed`.

use super::{Ctx, Report, unreachable_reason};
use crate::auth::hash_key;
use crate::aws::harness_settings::{
    BrowserTool, CodeInterpreterTool, HarnessSettings, HookTarget, MemorySpec, ToolConfig, ToolSpec,
};

pub(super) fn check_settings(ctx: &Ctx<'_>, settings: &HarnessSettings, report: &mut Report) {
    check_tools(&settings.tools, report);
    check_allowed_tools(settings, report);
    if let Ok(clients) = &ctx.clients {
        check_regions(settings, &clients.region, report);
    }
    check_exposed_keys(ctx, settings, report);
}

fn label(tool: &ToolSpec) -> String {
    tool.name.clone().unwrap_or_else(|| tool.tool_type.as_str().to_string())
}

fn check_tools(tools: &[ToolSpec], report: &mut Report) {
    let mut unreachable = 0;
    for tool in tools {
        let Some(ToolConfig::RemoteMcp(mcp)) = &tool.config else { continue };
        let Ok(url) = reqwest::Url::parse(&mcp.url) else { continue };
        let host = url.host_str().unwrap_or_default();
        if let Some(reason) = unreachable_reason(host) {
            unreachable += 1;
            report.error(
                "tool_unreachable",
                format!(
                    "tool '{}': MCP server {} is on {host}, {reason}; the harness runs in AWS and cannot reach it",
                    label(tool),
                    mcp.url
                ),
                "Serve the MCP server at a public URL (or behind an AgentCore gateway) and use that URL.",
            );
        } else if url.scheme() == "http" {
            report.warning(
                "tool_insecure",
                format!(
                    "tool '{}': MCP server {} is plain http: its requests and headers travel unencrypted",
                    label(tool),
                    mcp.url
                ),
                "Serve the MCP server over HTTPS and use https://.",
            );
        }
    }
    let remote = tools.iter().filter(|t| matches!(t.config, Some(ToolConfig::RemoteMcp(_)))).count();
    if remote > 0 && unreachable == 0 {
        report.pass("tool_unreachable", format!("{remote} remote MCP server(s) on public hosts"));
    }
}

/// Names in `allowed_tools` that match no tool. A warning only: a harness has built-in tools too,
/// and MCP servers bring tools of their own names.
fn check_allowed_tools(settings: &HarnessSettings, report: &mut Report) {
    let names: Vec<&str> = settings.tools.iter().filter_map(|t| t.name.as_deref()).collect();
    let unknown: Vec<&str> = settings
        .allowed_tools
        .iter()
        .map(String::as_str)
        .filter(|a| {
            !a.contains('*')
                && !names.iter().any(|n| a == n || a.starts_with(&format!("{n}_")) || a.starts_with(&format!("{n}/")))
        })
        .collect();
    if unknown.is_empty() {
        if !settings.allowed_tools.is_empty() {
            report.pass("allowed_tools_unknown", "every allowed tool names one of the harness's tools");
        }
        return;
    }
    let known = if names.is_empty() { "none".to_string() } else { names.join(", ") };
    report.warning(
        "allowed_tools_unknown",
        format!(
            "allowed_tools names {} which no tool of the harness is called (its tools: {known})",
            unknown.join(", ")
        ),
        "Check the spelling against the tools' names, or allow them all with \"*\". (Built-in tools and the tools an \
         MCP server brings have names of their own; ignore this if it names one.)",
    );
}

/// The region in an ARN (`arn:aws:service:<region>:…`).
fn region_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

fn check_regions(settings: &HarnessSettings, region: &str, report: &mut Report) {
    let mut arns: Vec<(String, &str)> = Vec::new();
    for tool in &settings.tools {
        match &tool.config {
            Some(ToolConfig::AgentcoreGateway(g)) => {
                arns.push((format!("tool '{}' (gateway)", label(tool)), &g.gateway_arn))
            }
            Some(ToolConfig::AgentcoreBrowser(BrowserTool { browser_arn: Some(a) })) => {
                arns.push((format!("tool '{}' (browser)", label(tool)), a))
            }
            Some(ToolConfig::AgentcoreCodeInterpreter(CodeInterpreterTool { code_interpreter_arn: Some(a) })) => {
                arns.push((format!("tool '{}' (code interpreter)", label(tool)), a))
            }
            _ => {}
        }
    }
    if let Some(MemorySpec::AgentcoreMemory(m)) = &settings.memory {
        arns.push(("memory".to_string(), &m.arn));
    }
    for hook in &settings.hooks {
        let h = hook.hook();
        let arn = match &h.target {
            Some(HookTarget::Lambda(l)) => &l.arn,
            Some(HookTarget::Sns(t) | HookTarget::EventBridge(t)) => &t.arn,
            None => continue,
        };
        arns.push((format!("hook '{}'", h.name), arn));
    }
    for (what, arn) in arns {
        if let Some(other) = region_of(arn).filter(|r| *r != region) {
            report.warning(
                "resource_region",
                format!("{what} is in {other}, the harness in {region}"),
                format!("AgentCore resources are regional: use one in {region}, or run the harness in {other}."),
            );
        }
    }
}

/// A key of this gateway written in clear where anyone who can read the harness sees it.
fn check_exposed_keys(ctx: &Ctx<'_>, settings: &HarnessSettings, report: &mut Report) {
    let master = ctx.master_key_hash.as_deref();
    let mut places: Vec<(String, &str)> =
        settings.environment_variables.iter().map(|(k, v)| (format!("environment variable {k}"), v.as_str())).collect();
    for tool in &settings.tools {
        if let Some(ToolConfig::RemoteMcp(mcp)) = &tool.config {
            for (h, v) in &mcp.headers {
                places.push((format!("header {h} of tool '{}'", label(tool)), v.as_str()));
            }
        }
    }
    for (place, value) in places {
        let candidate = value.trim().strip_prefix("Bearer ").unwrap_or(value.trim());
        if !candidate.starts_with("sk-") {
            continue;
        }
        let token = hash_key(candidate);
        if master == Some(token.as_str()) {
            report.error(
                "gateway_key_exposed",
                format!("{place} holds the gateway's master key in clear"),
                "Remove it: a harness calls the gateway with the virtual key of its credential provider, and the \
                 master key must never leave the gateway.",
            );
        } else if let Some(key) = ctx.gateway.registry.keys.get(&token) {
            let shown = key.record.key_alias.clone().unwrap_or_else(|| key.record.key_name.clone());
            report.warning(
                "gateway_key_exposed",
                format!("{place} holds the gateway key {shown} in clear; anyone who can read the harness can use it"),
                "Keep keys in a credential provider (AgentCore's token vault), which the harness's model already uses.",
            );
        }
    }
}
