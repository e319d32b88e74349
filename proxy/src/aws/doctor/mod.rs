//! The doctor: everything that makes a harness with model source LiteLLM fail against this
//! gateway, found before it fails, each finding with its fix.
//!
//! Checks (ids are stable; the panel and the tests use them):
//! `model_missing`, `model_prefix`, `model_alias`, `model_source`, `key_model_access`, `key_blocked`,
//! `key_expired`, `key_budget`, `api_base_missing`, `api_base_invalid`, `api_base_unreachable`,
//! `api_base_insecure`, `api_base_liveliness`, `provider_missing`, `provider_key_unknown`,
//! `provider_key_deleted`, `provider_other_key`, `provider_secret_unreadable`,
//! `provider_secret_changed`, `harness_missing`, `harness_status`, `harness_failure`,
//! `settings_invalid`, `aws`, and those of the harness's settings (`settings.rs`).

mod settings;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use aws_sdk_bedrockagentcorecontrol::types::Harness;
use serde::Serialize;

use super::agentcore::{self, KeyRef, LITELLM_PREFIX, LiteLlmModel};
use super::harness_settings::{HarnessSettings, settings_of};
use super::provider_secrets::{self, SecretRef};
use super::{AgentCore, AwsError, AwsErrorKind, Clients};
use crate::auth::Principal;
use crate::auth::registry::KeyEntry;
use crate::gateway::{Gateway, governance};
use crate::store::Store;
use crate::store::agentcore::ProviderKeyRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Passed {
    pub check: &'static str,
    pub message: String,
}

/// What was checked.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Subject {
    pub harness_id: Option<String>,
    pub harness_status: Option<String>,
    pub model_id: Option<String>,
    pub alias: Option<String>,
    pub api_base: Option<String>,
    pub credential_provider: Option<String>,
    pub credential_provider_arn: Option<String>,
    pub key: Option<KeyRef>,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Report {
    /// No errors (warnings may remain).
    pub ok: bool,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
    pub passed: Vec<Passed>,
    pub subject: Subject,
}

impl Report {
    fn error(&mut self, check: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        self.findings.push(Finding { check, severity: Severity::Error, message: message.into(), fix: fix.into() });
    }

    fn warning(&mut self, check: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        self.findings.push(Finding { check, severity: Severity::Warning, message: message.into(), fix: fix.into() });
    }

    fn pass(&mut self, check: &'static str, message: impl Into<String>) {
        self.passed.push(Passed { check, message: message.into() });
    }

    fn aws(&mut self, e: &AwsError) {
        self.error("aws", e.to_string(), e.fix.clone());
    }

    fn finish(mut self) -> Report {
        self.errors = self.findings.iter().filter(|f| f.severity == Severity::Error).count();
        self.warnings = self.findings.len() - self.errors;
        self.ok = self.errors == 0;
        self
    }

    /// One line per finding, for messages.
    pub fn summary(&self) -> String {
        self.findings
            .iter()
            .map(|f| format!("[{}] {}: {} Fix: {}", f.check, severity_word(f.severity), f.message, f.fix))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// What the doctor looks at besides AgentCore.
pub struct Ctx<'a> {
    pub gateway: &'a Gateway,
    pub store: &'a Store,
    pub service: &'a AgentCore,
    /// `None` when AWS could not be configured (the error is a finding then).
    pub clients: Result<Arc<Clients>, AwsError>,
    /// SHA-256 hex of the master key, to find it where it must not be.
    pub master_key_hash: Option<String>,
}

/// A harness configuration to check (a draft in a form, or what a harness has).
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// As it would be sent: `litellm_proxy/claude-haiku` (a bare alias is a finding).
    pub model_id: Option<String>,
    pub api_base: Option<String>,
    /// Credential provider by name...
    pub provider_name: Option<String>,
    /// ...or by the ARN a harness holds.
    pub provider_arn: Option<String>,
    /// The key the user expects in the provider: alias, `sk-...` or its hash.
    pub expected_key: Option<String>,
    /// Tools, memory, environment... in clear (a harness's own when checking a harness).
    pub settings: Option<HarnessSettings>,
}

impl Draft {
    pub fn of_model(model: &LiteLlmModel) -> Draft {
        Draft {
            model_id: Some(model.model_id.clone()),
            api_base: model.api_base.clone(),
            provider_arn: model.api_key_arn.clone(),
            ..Default::default()
        }
    }
}

/// Checks a draft configuration (before saving).
pub async fn check_draft(ctx: &Ctx<'_>, draft: &Draft) -> Report {
    let mut report = Report::default();
    check_all(ctx, draft, &mut report).await;
    report.finish()
}

/// Checks a harness as it is in AgentCore, with `overrides` applied (a form being edited).
pub async fn check_harness(ctx: &Ctx<'_>, harness_id: &str, overrides: &Draft) -> Report {
    let mut report = Report::default();
    report.subject.harness_id = Some(harness_id.to_string());
    let clients = match &ctx.clients {
        Ok(c) => c.clone(),
        Err(e) => {
            report.aws(e);
            check_all(ctx, overrides, &mut report).await;
            return report.finish();
        }
    };
    let harness = match agentcore::get_harness(&clients, harness_id).await {
        Ok(h) => h,
        Err(e) if e.kind == AwsErrorKind::NotFound => {
            report.error(
                "harness_missing",
                format!("harness {harness_id} does not exist in {}: {}", clients.region, e.message),
                "Check the region and profile, or create the harness (the Wire button does it all).",
            );
            check_all(ctx, overrides, &mut report).await;
            return report.finish();
        }
        Err(e) => {
            report.aws(&e);
            return report.finish();
        }
    };
    harness_status(&harness, &mut report);
    let mut draft = overrides.clone();
    if draft.settings.is_none() {
        draft.settings = Some(settings_of(&harness));
    }
    match LiteLlmModel::of(harness.model()) {
        Some(m) => {
            draft.model_id = draft.model_id.or(Some(m.model_id));
            draft.api_base = draft.api_base.or(m.api_base);
            if draft.provider_name.is_none() {
                draft.provider_arn = draft.provider_arn.or(m.api_key_arn);
                if draft.provider_arn.is_none() {
                    report.error(
                        "provider_missing",
                        "the harness's LiteLLM model has no credential provider: it calls the gateway without a key, \
                         and the gateway refuses it",
                        "Pick the credential provider (litellm-proxy) in the harness form.",
                    );
                }
            }
        }
        None if draft.model_id.is_none() => {
            let source = harness.model().map(agentcore::model_view).map(|m| m.source).unwrap_or("none");
            report.warning(
                "model_source",
                format!("the harness's model source is {source}, not LiteLLM: it does not use this gateway"),
                "Pick a model of the gateway in the harness form to switch it to LiteLLM through Switchboard.",
            );
            return report.finish();
        }
        None => {}
    }
    check_all(ctx, &draft, &mut report).await;
    report.finish()
}

fn harness_status(h: &Harness, report: &mut Report) {
    let status = h.status().as_str().to_string();
    report.subject.harness_status = Some(status.clone());
    match status.as_str() {
        "READY" => report.pass("harness_status", "the harness is READY"),
        "CREATING" | "UPDATING" => report.warning(
            "harness_status",
            format!("the harness is {status}"),
            "Wait until it is READY (usually under a minute), then run the doctor again.",
        ),
        other => report.error(
            "harness_status",
            format!("the harness is {other}, not READY"),
            if other.ends_with("FAILED") {
                "Fix the cause in the failure reason, then save the harness again (or delete and recreate it)."
            } else {
                "A harness must be READY to be invoked: recreate it if it is being deleted."
            },
        ),
    }
    if let Some(reason) = h.failure_reason().filter(|r| !r.is_empty()) {
        let fix = if reason.to_ascii_lowercase().contains("role") {
            "Check the execution role: it must exist, trust bedrock-agentcore.amazonaws.com, and you need \
             iam:PassRole on it. Then save the harness again."
        } else {
            "Fix what the failure reason names, then save the harness again."
        };
        report.error("harness_failure", format!("AgentCore reports: {reason}"), fix);
    }
}

/// The report on settings that do not pass the form's checks.
pub fn invalid_settings(field: &str, message: &str) -> Report {
    let mut report = Report::default();
    report.error("settings_invalid", format!("{field}: {message}"), "Correct the field; AgentCore would refuse it.");
    report.finish()
}

/// Checks only a harness's settings (an edit that leaves the model alone).
pub fn check_settings(ctx: &Ctx<'_>, settings: &HarnessSettings) -> Report {
    let mut report = Report::default();
    settings::check_settings(ctx, settings, &mut report);
    report.finish()
}

async fn check_all(ctx: &Ctx<'_>, draft: &Draft, report: &mut Report) {
    if let Some(s) = &draft.settings {
        settings::check_settings(ctx, s, report);
    }
    let alias = check_model(ctx.gateway, draft.model_id.as_deref(), report);
    let key = check_provider(ctx, draft, report).await;
    if let Some(key) = &key {
        check_key(ctx.gateway, key, alias.as_deref(), report);
    }
    check_api_base(&ctx.service.probe, draft.api_base.as_deref(), report).await;
}

/// The model id: prefix and alias. Returns the alias when the gateway has it.
fn check_model(gateway: &Gateway, model_id: Option<&str>, report: &mut Report) -> Option<String> {
    let names = gateway.model_names();
    let choices = || if names.is_empty() { "none configured".to_string() } else { names.join(", ") };
    let Some(model_id) = model_id.map(str::trim).filter(|m| !m.is_empty()) else {
        report.error("model_missing", "no model id", format!("Pick one of the gateway's models: {}.", choices()));
        return None;
    };
    report.subject.model_id = Some(model_id.to_string());
    let Some(alias) = model_id.strip_prefix(LITELLM_PREFIX) else {
        let bare = model_id.split_once('/').map(|(_, rest)| rest).unwrap_or(model_id);
        let suggestion = if gateway.group(model_id).is_some() { model_id } else { bare };
        let fix = if gateway.group(suggestion).is_some() {
            format!(
                "Use {LITELLM_PREFIX}{suggestion} as the model id (Switchboard adds the prefix when you pick the model)."
            )
        } else {
            format!("Use {LITELLM_PREFIX}<alias> with one of the gateway's models: {}.", choices())
        };
        report.error(
            "model_prefix",
            format!(
                "model id '{model_id}' lacks the {LITELLM_PREFIX} prefix: LiteLLM inside the harness fails with \
                 \"LLM Provider NOT provided ... You passed model={model_id}\""
            ),
            fix,
        );
        return None;
    };
    report.pass("model_prefix", format!("model id has the {LITELLM_PREFIX} prefix"));
    report.subject.alias = Some(alias.to_string());
    if gateway.group(alias).is_none() {
        report.error(
            "model_alias",
            format!("the gateway has no model named '{alias}'"),
            format!("Pick one of the gateway's models: {} (or add '{alias}' to config.yaml / /model/new).", choices()),
        );
        return None;
    }
    report.pass("model_alias", format!("the gateway serves '{alias}'"));
    Some(alias.to_string())
}

/// The credential provider and the key the gateway stored in it.
async fn check_provider(ctx: &Ctx<'_>, draft: &Draft, report: &mut Report) -> Option<Arc<KeyEntry>> {
    let name = draft
        .provider_name
        .clone()
        .or_else(|| draft.provider_arn.as_deref().and_then(agentcore::provider_name_from_arn).map(str::to_string))?;
    report.subject.credential_provider = Some(name.clone());
    let clients = match &ctx.clients {
        Ok(c) => c,
        Err(e) => {
            report.aws(e);
            return None;
        }
    };
    let info = match agentcore::get_provider(clients, &name).await {
        Ok(Some(info)) => info,
        Ok(None) => {
            report.error(
                "provider_missing",
                format!("credential provider '{name}' does not exist in {}", clients.region),
                format!(
                    "Create it with a key of this gateway (POST /agentcore/providers {{\"name\": \"{name}\"}}, or \
                     the Wire button), or pick an existing provider."
                ),
            );
            return None;
        }
        Err(e) => {
            report.aws(&e);
            return None;
        }
    };
    report.pass("provider_missing", format!("credential provider '{name}' exists"));
    report.subject.credential_provider_arn = Some(info.arn.clone());
    let record = match ctx.store.provider_key(&info.arn).await {
        Ok(r) => r,
        Err(e) => {
            report.error("provider_key_unknown", format!("the gateway's database failed: {e}"), "Try again.");
            return None;
        }
    };
    let rotate = format!("Rotate it to a key of this gateway: POST /agentcore/providers/{name}/rotate.");
    // A key in a secret of the user's may have been changed there: the secret says which key it is now.
    let record = match info.key_secret.as_ref().filter(|s| s.is_external()).and_then(|s| s.reference()) {
        Some(secret) => match secret_record(ctx, clients, &info, &secret, record, report).await {
            Some(r) => Some(r),
            None => return None,
        },
        None => record,
    };
    let Some(record) = record else {
        report.warning(
            "provider_key_unknown",
            format!(
                "credential provider '{name}' holds a key this gateway did not store (created in the console or by \
                 another gateway), so its key cannot be checked"
            ),
            rotate,
        );
        return None;
    };
    let registry = &ctx.gateway.registry;
    let key_ref = KeyRef::of_record(&record, registry);
    report.subject.key = Some(key_ref.clone());
    let shown = record.key_alias.clone().unwrap_or_else(|| record.key_name.clone());
    if let Some(expected) = draft.expected_key.as_deref().filter(|e| !e.is_empty()) {
        let token = crate::auth::token_of(expected);
        if record.key_alias.as_deref() != Some(expected) && record.key_token != token {
            report.error(
                "provider_other_key",
                format!("credential provider '{name}' holds key {shown}, not {expected}"),
                format!(
                    "Rotate provider '{name}' to {expected} (POST /agentcore/providers/{name}/rotate), or pick the \
                     provider that holds it."
                ),
            );
        } else {
            report.pass("provider_other_key", format!("credential provider '{name}' holds key {shown}"));
        }
    }
    let Some(entry) = registry.keys.get(&record.key_token) else {
        report.error(
            "provider_key_deleted",
            format!(
                "credential provider '{name}' holds key {shown}, which is no longer a key of this gateway (deleted or \
                 regenerated): the harness's calls are refused"
            ),
            rotate,
        );
        return None;
    };
    report.pass("provider_key_deleted", format!("credential provider '{name}' holds key {shown} of this gateway"));
    Some(entry)
}

/// The key a provider's secret holds now, as a record; `None` (with the finding) when it cannot
/// be told or is no key of this gateway.
async fn secret_record(
    ctx: &Ctx<'_>,
    clients: &Clients,
    info: &agentcore::ProviderInfo,
    secret: &SecretRef,
    recorded: Option<ProviderKeyRecord>,
    report: &mut Report,
) -> Option<ProviderKeyRecord> {
    let where_ = format!("secret {} ('{}')", secret.secret_id, secret.json_key);
    let token = match provider_secrets::read_key(clients, secret).await {
        Ok(key) => crate::auth::hash_key(key.expose()),
        Err(e) => {
            report.warning(
                "provider_secret_unreadable",
                format!(
                    "credential provider '{}' reads its key from {where_}, which the gateway cannot read: {}",
                    info.name,
                    e.message(secret)
                ),
                "Allow secretsmanager:GetSecretValue on the secret to the gateway's AWS identity, so that it can check \
                 the key the harness will use.",
            );
            return recorded;
        }
    };
    if recorded.as_ref().is_some_and(|r| r.key_token == token) {
        report.pass("provider_secret_changed", format!("{where_} still holds the key the gateway recorded"));
        return recorded;
    }
    let Some(entry) = ctx.gateway.registry.keys.get(&token) else {
        report.error(
            "provider_key_deleted",
            format!("{where_} of credential provider '{}' holds a value that is not a key of this gateway: the harness's calls are refused", info.name),
            "Put the sk-... value of a key of this gateway in the secret (or rotate the provider to another secret).",
        );
        return None;
    };
    let shown = entry.record.key_alias.clone().unwrap_or_else(|| entry.record.key_name.clone());
    if recorded.is_some() {
        report.warning(
            "provider_secret_changed",
            format!("{where_} now holds key {shown}, not the key the gateway recorded for '{}'", info.name),
            format!(
                "Nothing to fix if it was rotated on purpose; rotate the provider to the secret again (POST \
                 /agentcore/providers/{}/rotate with the secret) so that the gateway's views follow.",
                info.name
            ),
        );
    }
    let now = crate::time::format_time(chrono::Utc::now());
    Some(ProviderKeyRecord {
        credential_provider_arn: info.arn.clone(),
        name: info.name.clone(),
        region: clients.region.clone(),
        key_token: token,
        key_alias: entry.record.key_alias.clone(),
        key_name: entry.record.key_name.clone(),
        team_id: entry.record.team_id.clone(),
        created_at: recorded.as_ref().map(|r| r.created_at.clone()).unwrap_or_else(|| now.clone()),
        updated_at: now,
    })
}

fn check_key(gateway: &Gateway, key: &Arc<KeyEntry>, alias: Option<&str>, report: &mut Report) {
    let registry = &gateway.registry;
    let shown = key.record.key_alias.clone().unwrap_or_else(|| key.record.key_name.clone());
    let team = key.record.team_id.as_deref().and_then(|t| registry.teams.get(t));
    if key.record.blocked {
        report.error(
            "key_blocked",
            format!("key {shown} is blocked"),
            "Unblock it (/key/unblock), or rotate the provider to another key.",
        );
    } else if let Some(t) = team.as_ref().filter(|t| t.record.blocked) {
        report.error(
            "key_blocked",
            format!(
                "the team of key {shown} ({}) is blocked",
                t.record.team_alias.as_deref().unwrap_or(&t.record.team_id)
            ),
            "Unblock the team (/team/unblock), or rotate the provider to a key of another team.",
        );
    } else {
        report.pass("key_blocked", format!("key {shown} is not blocked"));
    }
    if key.is_expired(chrono::Utc::now()) {
        report.error(
            "key_expired",
            format!("key {shown} expired at {}", key.record.expires.as_deref().unwrap_or("?")),
            "Extend it (/key/update with a new duration), or rotate the provider to another key.",
        );
    } else {
        report.pass("key_expired", format!("key {shown} has not expired"));
    }
    let mut over = Vec::new();
    if let Some(max) = key.record.limits.max_budget
        && key.counters.spend() >= max
    {
        over.push(format!("key {shown} spent {:.4} of its {max} budget", key.counters.spend()));
    }
    if let Some(t) = &team
        && let Some(max) = t.record.limits.max_budget
        && t.counters.spend() >= max
    {
        over.push(format!("its team spent {:.4} of its {max} budget", t.counters.spend()));
    }
    if let Some(u) = key.record.user_id.as_deref().and_then(|u| registry.users.get(u))
        && let Some(max) = u.record.limits.max_budget
        && u.counters.spend() >= max
    {
        over.push(format!("its user spent {:.4} of a {max} budget", u.counters.spend()));
    }
    if over.is_empty() {
        report.pass("key_budget", format!("key {shown} is within budget"));
    } else {
        report.error(
            "key_budget",
            over.join("; "),
            "Raise max_budget (/key/update, /team/update), wait for the budget period to reset, or rotate the \
             provider to another key.",
        );
    }
    let Some(alias) = alias else { return };
    let Some(group) = gateway.group(alias) else { return };
    match governance::check_access(registry, &Principal::Key(key.clone(), crate::auth::Role::Member), &group.facts()) {
        Ok(()) => report.pass("key_model_access", format!("key {shown} may call '{alias}'")),
        Err(_) => {
            let whose = if team.is_some() { "the key's team (/team/update) or the key" } else { "the key" };
            report.error(
                "key_model_access",
                format!("key {shown} is not allowed to call '{alias}'"),
                format!("Add '{alias}' to the models of {whose} (/key/update), or pick a model it may call."),
            );
        }
    }
}

/// Why AWS cannot reach a host, if it cannot.
pub fn unreachable_reason(host: &str) -> Option<&'static str> {
    let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ip_reason(ip);
    }
    if host == "localhost" || host.ends_with(".localhost") {
        Some("a loopback name")
    } else if host.ends_with(".local") {
        Some("a local (mDNS) name")
    } else if host.ends_with(".internal") || host.ends_with(".lan") || host.ends_with(".home.arpa") {
        Some("a private DNS name")
    } else if !host.contains('.') {
        Some("a single-label host name that public DNS cannot resolve")
    } else {
        None
    }
}

fn ip_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_reason(v4);
            }
            v6_reason(v6)
        }
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if ip.is_unspecified() || ip.is_broadcast() || o[0] == 0 {
        Some("not a routable address")
    } else if o[0] == 100 && (64..128).contains(&o[1]) {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_documentation() || o[0] >= 224 {
        Some("not a routable address")
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some("not a routable address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a private (unique local) address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("not a routable address")
    } else {
        None
    }
}

async fn check_api_base(probe: &reqwest::Client, api_base: Option<&str>, report: &mut Report) {
    let deploy = "Deploy the gateway to AWS (the Deploy page) and use its URL, or expose this gateway at a public \
                  URL (a load balancer or a tunnel) and set it as general_settings.public_url (SWITCHBOARD_PUBLIC_URL)";
    let Some(base) = api_base.map(str::trim).filter(|b| !b.is_empty()) else {
        report.error(
            "api_base_missing",
            "no LiteLLM API base: the harness does not know where the gateway is",
            format!("{deploy}, or type the gateway's public URL."),
        );
        return;
    };
    report.subject.api_base = Some(base.to_string());
    let url = match reqwest::Url::parse(base) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host_str().is_some() => u,
        _ => {
            report.error(
                "api_base_invalid",
                format!("API base '{base}' is not an http(s) URL"),
                "Use the gateway's URL, like https://gateway.example.com.",
            );
            return;
        }
    };
    let host = url.host_str().unwrap_or_default().to_string();
    match unreachable_reason(&host) {
        Some(reason) => report.error(
            "api_base_unreachable",
            format!("API base {base}: {host} is {reason}; a harness runs in AWS and cannot reach it"),
            format!("{deploy}."),
        ),
        None => report.pass("api_base_unreachable", format!("{host} is a public host name or address")),
    }
    if url.scheme() == "http" {
        report.warning(
            "api_base_insecure",
            format!("API base {base} is plain http: the virtual key travels unencrypted"),
            "Serve the gateway over HTTPS (a load balancer with a certificate) and use https://.",
        );
    } else {
        report.pass("api_base_insecure", "the API base uses https");
    }
    // The health route is at the root, also when the API base ends in /v1.
    let mut health = url.clone();
    let path = health.path().trim_end_matches('/').trim_end_matches("/v1").to_string();
    health.set_path(&format!("{path}/health/liveliness"));
    health.set_query(None);
    match probe.get(health.clone()).send().await {
        Ok(r) if r.status().is_success() => {
            report.pass("api_base_liveliness", format!("{health} answers {}", r.status().as_u16()))
        }
        Ok(r) => report.error(
            "api_base_liveliness",
            format!("{health} answered {} instead of 200", r.status()),
            if r.status().is_redirection() {
                "Use the URL it redirects to (https://...) as the API base."
            } else {
                "Check that the API base is this gateway's URL (not a path below it)."
            },
        ),
        Err(e) => report.error(
            "api_base_liveliness",
            format!("{health} does not answer from here: {}", error_text(&e)),
            "Check that the gateway runs at that URL and that this machine can reach it (DNS, firewall, security \
             group).",
        ),
    }
}

fn error_text(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::unreachable_reason;

    #[test]
    fn hosts_aws_cannot_reach() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.10",
            "169.254.169.254",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "0.0.0.0",
            "localhost",
            "gateway.localhost",
            "my-mac.local",
            "ip-10-0-0-1.ec2.internal",
            "gateway",
            "100.64.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(unreachable_reason(host).is_some(), "{host}");
        }
        for host in ["litellm-harness-123.us-east-1.elb.amazonaws.com", "54.12.3.4", "172.32.0.1", "2600:1f18::1"] {
            assert_eq!(unreachable_reason(host), None, "{host}");
        }
    }
}
