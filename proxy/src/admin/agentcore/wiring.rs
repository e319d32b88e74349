//! One-click wiring of the seed article's chain: team → virtual key → credential provider in
//! AgentCore Identity → harness with model source LiteLLM → READY. Each step reports its progress
//! and result; the first failing step stops the wiring, says why and what to do, and leaves the
//! later steps "not started".

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::manage::{Env, Failure, Governance, HarnessForm, Preflight};
use crate::admin::AdminError;
use crate::auth::access::{ModelFacts, list_allows};
use crate::auth::registry::Field;
use crate::aws::agentcore::{self, DEFAULT_PROVIDER_NAME, HarnessView, KeyRef, ProviderKey, ProviderView};
use crate::aws::doctor::{self, Draft, Report};
use crate::aws::provider_secrets::KeySecret;
use crate::aws::{AwsError, AwsErrorKind, Target};

/// What a streamed wiring sends: each step as it changes, then the result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WireEvent {
    Step { step: Box<Step> },
    Result { result: Box<WireResult> },
}

pub const DEFAULT_TEAM_ALIAS: &str = "agentcore-harness";
pub const DEFAULT_KEY_ALIAS: &str = "agentcore-harness-key";

/// `POST /agentcore/wire`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct WireRequest {
    /// Use this existing team...
    pub team_id: Option<String>,
    /// ...or the team with this alias, created if missing (default `agentcore-harness`).
    pub team_alias: Option<String>,
    /// Models of a new team (default: every model of the gateway, so the harness can switch).
    pub models: Option<Vec<String>>,
    /// Alias of the key generated for the harness (default `agentcore-harness-key`).
    pub key_alias: Option<String>,
    /// More `/key/generate` fields for that key (max_budget, budget_duration, rpm_limit, ...).
    #[serde(default)]
    pub key_settings: Map<String, Value>,
    /// Wire this existing harness instead of creating one.
    pub harness_id: Option<String>,
    /// The harness form (`harness_name`, `execution_role_arn`, `model`, `credential_provider`,
    /// `api_base`, `system_prompt`, `max_tokens`, `temperature`, `top_p`).
    #[serde(flatten)]
    pub harness: HarnessForm,
    /// Go on despite the doctor's errors (for example a loopback API base in a test).
    #[serde(default)]
    pub force: bool,
    /// How long to wait for the harness to be READY (default 60 s, at most 600).
    pub wait_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    NotStarted,
    Running,
    Done,
    Failed,
    /// Done, then undone because a later step failed (a generated key nobody can use).
    RolledBack,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepError {
    pub kind: String,
    pub code: String,
    pub message: String,
    pub status: Option<u16>,
    /// The SDK's account of a failure that never reached AWS (see `AwsError::detail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Step {
    /// `preflight`, `team`, `key`, `provider`, `harness`, `ready`.
    pub id: &'static str,
    pub title: &'static str,
    pub status: StepStatus,
    pub message: Option<String>,
    pub fix: Option<String>,
    pub error: Option<StepError>,
    pub detail: Option<Value>,
}

const STEPS: &[(&str, &str)] = &[
    ("preflight", "Check the configuration (doctor)"),
    ("team", "Team"),
    ("key", "Virtual key"),
    ("provider", "Credential provider in AgentCore Identity"),
    ("harness", "Harness with model source LiteLLM"),
    ("ready", "Harness READY"),
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamRef {
    pub team_id: String,
    pub team_alias: Option<String>,
}

/// The outcome: every step, and what exists now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WireResult {
    pub ok: bool,
    pub message: String,
    pub fix: Option<String>,
    pub region: Option<String>,
    pub steps: Vec<Step>,
    pub team: Option<TeamRef>,
    pub key: Option<KeyRef>,
    pub provider: Option<ProviderView>,
    pub harness: Option<HarnessView>,
    /// The doctor on the wired harness.
    pub doctor: Option<Report>,
}

struct Run<F: FnMut(&Step)> {
    result: WireResult,
    emit: F,
}

impl<F: FnMut(&Step)> Run<F> {
    /// Changes the step `id` (every run holds all of `STEPS`) and reports it.
    fn update(&mut self, id: &str, change: impl FnOnce(&mut Step)) {
        if let Some(step) = self.result.steps.iter_mut().find(|s| s.id == id) {
            change(step);
            (self.emit)(step);
        }
    }

    fn start(&mut self, id: &str) {
        self.update(id, |s| s.status = StepStatus::Running);
    }

    fn done(&mut self, id: &str, message: String, detail: Option<Value>) {
        self.update(id, |s| {
            s.status = StepStatus::Done;
            s.message = Some(message);
            s.detail = detail;
        });
    }

    fn fail(&mut self, id: &str, error: &AdminError, detail: Option<Value>) {
        let (message, fix, err) = describe(error);
        self.update(id, |s| {
            s.status = StepStatus::Failed;
            s.message = Some(message);
            s.fix = fix;
            s.error = err;
            s.detail = detail;
        });
    }

    fn failed_with(&mut self, id: &str, message: String, fix: String, detail: Option<Value>) {
        self.update(id, |s| {
            s.status = StepStatus::Failed;
            s.message = Some(message);
            s.fix = Some(fix);
            s.detail = detail;
        });
    }

    /// Ends a failed run: the message names the failed step, what was done, and what was not.
    fn stop(mut self) -> WireResult {
        let steps = &self.result.steps;
        let failed = steps.iter().find(|s| s.status == StepStatus::Failed);
        let done: Vec<String> = steps
            .iter()
            .filter(|s| s.status == StepStatus::Done || s.status == StepStatus::RolledBack)
            .map(|s| format!("{} ({})", s.title, s.message.as_deref().unwrap_or("done")))
            .collect();
        let not_started: Vec<&str> =
            steps.iter().filter(|s| s.status == StepStatus::NotStarted).map(|s| s.title).collect();
        let mut message = match failed {
            Some(f) => format!("Stopped at \"{}\": {}.", f.title, f.message.as_deref().unwrap_or("failed")),
            None => "Stopped.".to_string(),
        };
        if done.is_empty() {
            message.push_str(" Nothing was created or changed.");
        } else {
            message.push_str(&format!(" Done before it: {}.", done.join("; ")));
        }
        if !not_started.is_empty() {
            message.push_str(&format!(" Not started: {}.", not_started.join(", ")));
        }
        self.result.fix = failed.and_then(|f| f.fix.clone());
        self.result.ok = false;
        self.result.message = message;
        self.result
    }
}

fn describe(error: &AdminError) -> (String, Option<String>, Option<StepError>) {
    match error {
        AdminError::Aws(e) => (
            format!("{}: {}", e.code, e.message),
            Some(e.fix.clone()),
            Some(StepError {
                kind: serde_json::to_value(e.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                code: e.code.clone(),
                message: e.message.clone(),
                status: e.status,
                detail: e.detail.as_deref().map(str::to_string),
            }),
        ),
        other => (other.to_string(), None, None),
    }
}

/// Runs the wiring; `emit` sees every step as it changes.
pub async fn run<G: Governance>(
    env: &Env<G>,
    target: &Target,
    req: WireRequest,
    emit: impl FnMut(&Step),
) -> WireResult {
    let steps = STEPS
        .iter()
        .map(|(id, title)| Step {
            id,
            title,
            status: StepStatus::NotStarted,
            message: None,
            fix: None,
            error: None,
            detail: None,
        })
        .collect();
    let mut run = Run {
        result: WireResult {
            ok: false,
            message: String::new(),
            fix: None,
            region: None,
            steps,
            team: None,
            key: None,
            provider: None,
            harness: None,
            doctor: None,
        },
        emit,
    };
    for s in run.result.steps.clone() {
        (run.emit)(&s);
    }

    // 1. Preflight: the request, the model, the API base (and that it answers).
    run.start("preflight");
    let provider_name = req.harness.credential_provider.clone().unwrap_or_else(|| DEFAULT_PROVIDER_NAME.to_string());
    let checked = (|| {
        req.harness.check()?;
        agentcore::check_provider_name(&provider_name)
            .map_err(|m| AdminError::invalid(m, Some("credential_provider")))?;
        let model = req.harness.model.as_deref().ok_or_else(|| AdminError::required("model"))?;
        let model_id = env.model_id(model)?;
        if req.harness_id.is_none() {
            if req.harness.harness_name.is_none() {
                return Err(AdminError::invalid(
                    "harness_name is required to create a harness (or pass harness_id to wire an existing one)",
                    Some("harness_name"),
                ));
            }
            if req.harness.execution_role_arn.is_none() {
                return Err(AdminError::required("execution_role_arn"));
            }
        }
        if let Some(t) = &req.team_id
            && env.gateway.registry.teams.get(t).is_none()
        {
            return Err(AdminError::invalid(format!("team_id '{t}' does not exist"), Some("team_id")));
        }
        Ok(model_id)
    })();
    let model_id = match checked {
        Ok(m) => m,
        Err(e) => {
            run.fail("preflight", &e, None);
            return run.stop();
        }
    };
    let alias = model_id.trim_start_matches(agentcore::LITELLM_PREFIX).to_string();
    let clients = match env.clients(target).await {
        Ok(c) => c,
        Err(e) => {
            run.fail("preflight", &e.into(), None);
            return run.stop();
        }
    };
    run.result.region = Some(clients.region.clone());
    let api_base =
        req.harness.api_base.clone().map(|b| b.trim_end_matches('/').to_string()).or(env.default_api_base.clone());
    let draft = Draft { model_id: Some(model_id.clone()), api_base: api_base.clone(), ..Default::default() };
    let ctx = doctor::Ctx {
        gateway: &env.gateway,
        store: &env.store,
        service: &env.service,
        clients: Ok(clients.clone()),
        master_key_hash: env.master_key_hash(),
    };
    let report = doctor::check_draft(&ctx, &draft).await;
    let report_json = serde_json::to_value(&report).ok();
    if !report.ok && !req.force {
        let first = report.findings.iter().find(|f| f.severity == doctor::Severity::Error);
        run.failed_with(
            "preflight",
            format!(
                "the doctor found {} problem(s): {}",
                report.errors,
                first.map(|f| f.message.as_str()).unwrap_or("")
            ),
            first.map(|f| f.fix.clone()).unwrap_or_default(),
            report_json,
        );
        return run.stop();
    }
    let note = if report.ok {
        format!("{model_id} at {}", api_base.as_deref().unwrap_or("?"))
    } else {
        format!("{} finding(s) ignored (force)", report.errors)
    };
    run.done("preflight", note, report_json);

    // 2. Team.
    run.start("team");
    let registry = &env.gateway.registry;
    let team_alias = req.team_alias.clone().unwrap_or_else(|| DEFAULT_TEAM_ALIAS.to_string());
    let existing = match &req.team_id {
        Some(id) => registry.teams.get(id),
        None => registry.teams.all().into_iter().find(|t| t.record.team_alias.as_deref() == Some(team_alias.as_str())),
    };
    let team = match existing {
        Some(t) => {
            let group = env.gateway.group(&alias);
            let allowed = group.as_ref().is_none_or(|g| {
                let facts =
                    ModelFacts { name: &g.name, provider_models: &g.provider_models, access_groups: &g.access_groups };
                list_allows(&t.record.models, &facts)
            });
            let shown = t.record.team_alias.clone().unwrap_or_else(|| t.record.team_id.clone());
            if !allowed {
                run.failed_with(
                    "team",
                    format!("team {shown} may not call '{alias}'"),
                    format!("Add '{alias}' to the team's models (/team/update), or choose another team."),
                    None,
                );
                return run.stop();
            }
            run.done("team", format!("using the existing team {shown}"), Some(json!({"team_id": t.record.team_id})));
            t.record.clone()
        }
        None => {
            let models = req.models.clone().unwrap_or_else(|| env.gateway.model_names());
            let mut fields = Map::new();
            fields.insert("team_alias".into(), json!(team_alias));
            fields.insert("models".into(), json!(models));
            match env.governance.create_team(fields).await {
                Ok(t) => {
                    run.done(
                        "team",
                        format!("created team {team_alias} for {}", t.models.join(", ")),
                        Some(json!({"team_id": t.team_id})),
                    );
                    t
                }
                Err(e) => {
                    run.fail("team", &e, None);
                    return run.stop();
                }
            }
        }
    };
    run.result.team = Some(TeamRef { team_id: team.team_id.clone(), team_alias: team.team_alias.clone() });

    // 3. Key, 4. credential provider.
    run.start("key");
    let key_alias = req.key_alias.clone().unwrap_or_else(|| DEFAULT_KEY_ALIAS.to_string());
    let current = match agentcore::get_provider(&clients, &provider_name).await {
        Ok(p) => p,
        Err(e) => {
            run.fail("key", &e.into(), None);
            return run.stop();
        }
    };
    let record = match &current {
        Some(p) => env.store.provider_key(&p.arn).await.ok().flatten(),
        None => None,
    };
    let reusable = record.as_ref().filter(|r| {
        r.key_alias.as_deref() == Some(key_alias.as_str())
            && r.team_id.as_deref() == Some(team.team_id.as_str())
            && registry.keys.get(&r.key_token).is_some()
    });
    if let (Some(r), Some(p)) = (reusable, &current) {
        let key = KeyRef::of_record(r, registry);
        run.done("key", format!("provider {provider_name} already holds key {key_alias}: reused"), None);
        run.start("provider");
        run.done("provider", format!("{provider_name} exists and holds key {key_alias}"), None);
        run.result.key = Some(key.clone());
        run.result.provider = Some(ProviderView {
            name: p.name.clone(),
            credential_provider_arn: p.arn.clone(),
            created_time: p.created_time.clone(),
            last_updated_time: p.last_updated_time.clone(),
            key: Some(key),
            key_secret: p.key_secret.clone().filter(KeySecret::is_external),
        });
    } else {
        if !registry.keys.with(Field::Alias, &key_alias).is_empty() {
            run.failed_with(
                "key",
                format!(
                    "a key with alias {key_alias} exists already, and its value is not known to the gateway (keys \
                     are stored as hashes), so it cannot be put into AgentCore"
                ),
                format!("Choose another key alias, or delete key {key_alias} (/key/delete) and wire again."),
                None,
            );
            return run.stop();
        }
        let mut fields = req.key_settings.clone();
        fields.insert("team_id".into(), json!(team.team_id));
        fields.insert("key_alias".into(), json!(key_alias));
        let (clear, entry) = match env.governance.generate_key(fields).await {
            Ok(k) => k,
            Err(e) => {
                run.fail("key", &e, None);
                return run.stop();
            }
        };
        run.done(
            "key",
            format!(
                "generated key {key_alias} ({}) for team {team_alias}; its value goes to AgentCore only",
                entry.record.key_name
            ),
            Some(json!({"token": entry.record.token, "key_name": entry.record.key_name})),
        );
        run.start("provider");
        let rotate = current.is_some();
        match env.put_key(&clients, &provider_name, ProviderKey::Clear(clear), &entry, true, rotate).await {
            Ok(stored) => {
                let what = if rotate {
                    match &stored.previous_key {
                        Some(p) => format!(
                            "updated {provider_name}: it now holds key {key_alias} (it held {})",
                            p.key_alias.as_deref().unwrap_or(&p.key_name)
                        ),
                        None => format!("updated the existing {provider_name}: it now holds key {key_alias}"),
                    }
                } else {
                    format!("created {provider_name} holding key {key_alias}")
                };
                run.done(
                    "provider",
                    what,
                    Some(json!({"credential_provider_arn": stored.provider.credential_provider_arn})),
                );
                run.result.key = stored.provider.key.clone();
                run.result.provider = Some(stored.provider);
            }
            Err((e, rolled_back)) => {
                if rolled_back {
                    run.update("key", |s| {
                        s.status = StepStatus::RolledBack;
                        s.message = Some(format!(
                            "generated key {key_alias}, then deleted it again: AgentCore did not take it"
                        ));
                    });
                }
                run.fail("provider", &e, None);
                return run.stop();
            }
        }
    }

    // 5. Harness.
    run.start("harness");
    let mut form = req.harness.clone();
    form.model = Some(alias.clone());
    form.credential_provider = Some(provider_name.clone());
    form.api_base = api_base.clone();
    form.expected_key = Some(key_alias.clone());
    let saved = match &req.harness_id {
        Some(id) => {
            form.harness_name = None;
            env.update_harness(target, id, &form, Preflight::Skip).await
        }
        None => env.create_harness(target, &form, Preflight::Skip).await,
    };
    let harness = match saved {
        Ok(s) => s.harness,
        Err(Failure::Error(e)) => {
            let mut fix_extra = None;
            if let AdminError::Aws(a) = &e
                && a.kind == AwsErrorKind::Conflict
                && let Some(name) = &req.harness.harness_name
                && let Ok(list) = agentcore::list_harnesses(&clients).await
                && let Some(h) = list.iter().find(|h| h.harness_name() == name)
            {
                fix_extra = Some(format!(
                    "A harness named {name} exists (id {}): pass \"harness_id\": \"{}\" to wire it instead, or pick \
                     another name.",
                    h.harness_id(),
                    h.harness_id()
                ));
            }
            run.fail("harness", &e, None);
            if let Some(f) = fix_extra {
                run.update("harness", |s| s.fix = Some(f));
            }
            return run.stop();
        }
        Err(Failure::Doctor(r)) => {
            run.failed_with("harness", r.summary(), String::new(), serde_json::to_value(&*r).ok());
            return run.stop();
        }
    };
    let verb = if req.harness_id.is_some() { "updated" } else { "created" };
    run.done(
        "harness",
        format!("{verb} harness {} ({}) with {model_id}", harness.harness_name, harness.harness_id),
        Some(json!({"harness_id": harness.harness_id, "arn": harness.arn, "status": harness.status})),
    );
    let harness_id = harness.harness_id.clone();
    run.result.harness = Some(harness);

    // 6. READY.
    run.start("ready");
    let wait = Duration::from_secs(req.wait_seconds.unwrap_or(60).min(600));
    let deadline = tokio::time::Instant::now() + wait;
    let ready = loop {
        match agentcore::get_harness(&clients, &harness_id).await {
            Ok(h) => {
                let status = h.status().as_str().to_string();
                if status == "READY" || status.ends_with("FAILED") || tokio::time::Instant::now() >= deadline {
                    break Ok(h);
                }
            }
            Err(e) if e.kind == AwsErrorKind::Throttling => {}
            Err(e) => break Err(e),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let h = match ready {
        Ok(h) => h,
        Err(e) => {
            run.fail("ready", &e.into(), None);
            return run.stop();
        }
    };
    let view = agentcore::harness_view(&h);
    let expected = Draft { expected_key: Some(key_alias.clone()), ..Default::default() };
    let report = doctor::check_harness(&ctx, &harness_id, &expected).await;
    if let Some(v) = run.result.harness.as_mut() {
        v.status = view.status.clone();
        v.failure_reason = view.failure_reason.clone();
    }
    run.result.doctor = Some(report.clone());
    match view.status.as_str() {
        "READY" => {
            let note = if report.ok {
                "READY; the doctor found nothing wrong".to_string()
            } else {
                format!("READY; the doctor reports {} finding(s)", report.findings.len())
            };
            run.done("ready", note, serde_json::to_value(&report).ok());
        }
        status => {
            let error = AwsError {
                operation: "GetHarness".into(),
                kind: AwsErrorKind::Service,
                code: status.to_string(),
                message: match &view.failure_reason {
                    Some(r) => format!("the harness is {status}: {r}"),
                    None => format!("the harness is still {status} after {} s", wait.as_secs()),
                },
                status: None,
                fix: ["harness_failure", "harness_status"]
                    .iter()
                    .find_map(|c| report.findings.iter().find(|f| f.check == *c))
                    .map(|f| f.fix.clone())
                    .unwrap_or_else(|| "Check the harness with the doctor in a moment.".into()),
                detail: None,
            };
            run.fail("ready", &error.into(), serde_json::to_value(&report).ok());
            return run.stop();
        }
    }
    let r = &run.result;
    run.result.message = format!(
        "Wired: harness {} ({}) is READY and calls {model_id} at {} with credential provider {provider_name}, which \
         holds key {key_alias} of team {team_alias}.",
        r.harness.as_ref().map(|h| h.harness_name.as_str()).unwrap_or("?"),
        harness_id,
        api_base.as_deref().unwrap_or("?"),
    );
    run.result.ok = true;
    run.result
}
