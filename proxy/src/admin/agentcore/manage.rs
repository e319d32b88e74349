//! What the admin API does with AgentCore: AgentCore calls combined with the gateway's keys,
//! teams and records (which key is in which credential provider), and the doctor before saving.

use std::future::Future;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::admin::{AdminError, audit};
use crate::auth::registry::KeyEntry;
use crate::aws::agentcore::ProviderKey;
use crate::aws::agentcore::{
    self, DEFAULT_PROVIDER_NAME, HarnessChange, HarnessSpec, HarnessView, KeyRef, LITELLM_PREFIX, LiteLlmModel,
    ProviderRef, ProviderView,
};
use crate::aws::doctor::{self, Draft, Report};
use crate::aws::harness_settings::{HarnessSettings, Invalid, SettingsForm, settings_of};
use crate::aws::provider_secrets::{self, KeySecret, ReadError, SecretRef, check_secret_ref};
use crate::aws::{AgentCore, AwsError, ClearKey, Clients, Target};
use crate::config::Config;
use crate::gateway::Gateway;
use crate::store::agentcore::{ProviderKeyRecord, TurnRecord};
use crate::store::{Store, TeamRecord};

/// The gateway-side operations AgentCore work needs (implemented by the admin API, which owns
/// key and team creation).
pub trait Governance: Send + Sync + 'static {
    /// Creates a key from `/key/generate` fields; its clear value is handed back once.
    fn generate_key(
        &self,
        fields: Map<String, Value>,
    ) -> impl Future<Output = Result<(ClearKey, Arc<KeyEntry>), AdminError>> + Send;
    fn delete_key(&self, token: &str) -> impl Future<Output = Result<(), AdminError>> + Send;
    /// Creates a team from `/team/new` fields.
    fn create_team(&self, fields: Map<String, Value>) -> impl Future<Output = Result<TeamRecord, AdminError>> + Send;
}

/// Everything an AgentCore operation of the admin API can reach. Owned, so that a long
/// operation (the wiring) can run in its own task.
pub struct Env<G> {
    pub gateway: Arc<Gateway>,
    pub store: Store,
    pub config: Arc<Config>,
    pub service: Arc<AgentCore>,
    pub governance: G,
    /// The API base when a request names none: `general_settings.public_url`, else the URL
    /// the request came in on.
    pub default_api_base: Option<String>,
}

/// A credential provider or harness deleted (by name or id), in the region it was in.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub deleted: String,
    pub region: String,
}

/// Why an operation did not happen: an error, or the doctor's findings (before saving).
#[derive(Debug)]
pub enum Failure {
    Error(AdminError),
    Doctor(Box<Report>),
}

impl From<AdminError> for Failure {
    fn from(e: AdminError) -> Self {
        Failure::Error(e)
    }
}

impl From<Failure> for AdminError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Error(e) => e,
            Failure::Doctor(report) => AdminError::DoctorFindings(report),
        }
    }
}

impl From<AwsError> for Failure {
    fn from(e: AwsError) -> Self {
        Failure::Error(e.into())
    }
}

impl<G: Governance> Env<G> {
    pub async fn clients(&self, target: &Target) -> Result<Arc<Clients>, AwsError> {
        self.service.clients(target).await
    }

    fn doctor_ctx(&self, clients: Result<Arc<Clients>, AwsError>) -> doctor::Ctx<'_> {
        doctor::Ctx {
            gateway: &self.gateway,
            store: &self.store,
            service: &self.service,
            clients,
            master_key_hash: self.master_key_hash(),
        }
    }

    pub fn master_key_hash(&self) -> Option<String> {
        self.config.general.master_key.as_ref().map(|k| crate::auth::hash_key(k.expose_secret()))
    }

    /// The records of which key is in which provider, by ARN.
    pub async fn records(&self) -> Result<Vec<ProviderKeyRecord>, AdminError> {
        self.store.provider_keys().await.map_err(AdminError::from)
    }

    fn view(&self, info: &agentcore::ProviderInfo, record: Option<&ProviderKeyRecord>) -> ProviderView {
        ProviderView {
            name: info.name.clone(),
            credential_provider_arn: info.arn.clone(),
            created_time: info.created_time.clone(),
            last_updated_time: info.last_updated_time.clone(),
            key: record.map(|r| KeyRef::of_record(r, &self.gateway.registry)),
            key_secret: info.key_secret.clone().filter(KeySecret::is_external),
        }
    }

    // -----------------------------------------------------------------------
    // Credential providers

    pub async fn list_providers(&self, target: &Target) -> Result<(String, Vec<ProviderView>), AdminError> {
        let clients = self.clients(target).await?;
        let listed = agentcore::list_providers(&clients).await?;
        // The list does not say where each key is kept: details for the first 50 (a failure
        // leaves the summary).
        let providers: Vec<agentcore::ProviderInfo> = futures::stream::iter(listed.into_iter().enumerate())
            .map(|(i, p)| {
                let clients = clients.clone();
                async move {
                    if i < 50
                        && let Ok(Some(full)) = agentcore::get_provider(&clients, &p.name).await
                    {
                        return full;
                    }
                    p
                }
            })
            .buffered(4)
            .collect()
            .await;
        let records = self.records().await?;
        let views = providers
            .iter()
            .map(|p| self.view(p, records.iter().find(|r| r.credential_provider_arn == p.arn)))
            .collect();
        Ok((clients.region.clone(), views))
    }

    /// A free key alias for a key generated for provider `name`.
    fn free_alias(&self, base: &str) -> String {
        let taken = |alias: &str| crate::admin::keys::alias_in_use(&self.gateway.registry, alias, None);
        if !taken(base) {
            return base.to_string();
        }
        (2..1000).map(|n| format!("{base}-{n}")).find(|a| !taken(a)).unwrap_or_else(|| base.to_string())
    }

    /// Which key of this gateway a clear key is; the master key is refused.
    fn gateway_key(&self, key: &ClearKey, field: &'static str, what: &str) -> Result<Arc<KeyEntry>, AdminError> {
        let token = crate::auth::hash_key(key.expose());
        if self.master_key_hash().as_deref() == Some(token.as_str()) {
            return Err(AdminError::invalid(
                format!(
                    "{what} is the master key, which must not be stored in AgentCore: give the harness a virtual key \
                     (generate one for a team here)"
                ),
                Some(field),
            ));
        }
        self.gateway.registry.keys.get(&token).ok_or_else(|| {
            AdminError::invalid(
                format!(
                    "{what} is not a key of this gateway: it must be the sk-... value of one of its virtual keys, or \
                     generate one"
                ),
                Some(field),
            )
        })
    }

    /// The key to store: an existing key given in clear, a new one, or the one a secret of
    /// yours holds (read to learn which key it is; the provider is given the secret).
    pub async fn obtain_key(
        &self,
        clients: &Clients,
        name: &str,
        source: KeySource,
    ) -> Result<(ProviderKey, Arc<KeyEntry>, bool), AdminError> {
        match source {
            KeySource::Existing(key) => {
                let entry = self.gateway_key(&key, "key", "this key")?;
                Ok((ProviderKey::Clear(key), entry, false))
            }
            KeySource::Secret(reference) => {
                check_secret_ref(&reference).map_err(|m| AdminError::invalid(m, Some("secret")))?;
                let key = match provider_secrets::read_key(clients, &reference).await {
                    Ok(key) => key,
                    Err(ReadError::Aws(e)) => return Err(e.into()),
                    Err(e) => return Err(AdminError::invalid(e.message(&reference), Some("secret"))),
                };
                let what = format!("the '{}' of secret {}", reference.json_key, reference.secret_id);
                let entry = self.gateway_key(&key, "secret", &what)?;
                Ok((ProviderKey::Secret(reference), entry, false))
            }
            KeySource::Generate(mut fields) => {
                if !fields.get("key_alias").is_some_and(|a| a.is_string()) {
                    let alias = self.free_alias(&format!("agentcore-{name}"));
                    fields.insert("key_alias".into(), json!(alias));
                }
                let (clear, entry) = self.governance.generate_key(fields).await?;
                Ok((ProviderKey::Clear(clear), entry, true))
            }
        }
    }

    /// Creates a credential provider holding a key (`rotate: false`), or puts a key into an
    /// existing one (`rotate: true`).
    pub async fn store_key(
        &self,
        target: &Target,
        name: &str,
        source: KeySource,
        rotate: bool,
    ) -> Result<StoredKey, AdminError> {
        agentcore::check_provider_name(name).map_err(|m| AdminError::invalid(m, Some("name")))?;
        let clients = self.clients(target).await?;
        let (key, entry, generated) = self.obtain_key(&clients, name, source).await?;
        self.put_key(&clients, name, key, &entry, generated, rotate).await.map_err(|(e, _)| e)
    }

    /// Sends `key` to AgentCore and records which key the provider holds. A key generated for
    /// it is deleted again if AgentCore refuses it (nobody else has its value); the flag says
    /// whether that happened.
    pub async fn put_key(
        &self,
        clients: &Clients,
        name: &str,
        key: ProviderKey,
        entry: &KeyEntry,
        generated: bool,
        rotate: bool,
    ) -> Result<StoredKey, (AdminError, bool)> {
        let result = if rotate {
            agentcore::update_provider(clients, name, &key).await
        } else {
            agentcore::create_provider(clients, name, &key).await
        };
        drop(key);
        let info = match result {
            Ok(info) => info,
            Err(mut e) => {
                let mut rolled_back = false;
                if generated {
                    let alias = entry.record.key_alias.clone().unwrap_or_default();
                    match self.governance.delete_key(&entry.record.token).await {
                        Ok(()) => {
                            rolled_back = true;
                            e.fix.push_str(&format!(
                                " (The key {alias} generated for it was deleted again: its value was only meant for \
                                 AgentCore.)"
                            ));
                        }
                        Err(d) => tracing::error!("agentcore: could not delete the unused key {alias}: {d}"),
                    }
                }
                return Err((e.into(), rolled_back));
            }
        };
        let fail = |e: crate::store::StoreError| (AdminError::from(e), false);
        let previous = self.store.provider_key(&info.arn).await.map_err(fail)?;
        let now = crate::time::format_time(chrono::Utc::now());
        let record = ProviderKeyRecord {
            credential_provider_arn: info.arn.clone(),
            name: info.name.clone(),
            region: clients.region.clone(),
            key_token: entry.record.token.clone(),
            key_alias: entry.record.key_alias.clone(),
            key_name: entry.record.key_name.clone(),
            team_id: entry.record.team_id.clone(),
            created_at: previous.as_ref().map(|p| p.created_at.clone()).unwrap_or_else(|| now.clone()),
            updated_at: now,
        };
        self.store.put_provider_key(&record).await.map_err(fail)?;
        // The record holds the key's hash and masked name, never the key AgentCore was given.
        let change = audit::Outside {
            action: if rotate { "rotated" } else { "created" },
            table_name: audit::AGENTCORE_PROVIDERS,
            object_id: &record.credential_provider_arn,
            before: previous.as_ref().and_then(audit::document),
            after: audit::document(&record),
        };
        audit::record(&self.store, &self.config, change).await;
        tracing::info!(
            target: "switchboard::agentcore",
            provider = %info.name,
            region = %clients.region,
            key = record.key_alias.as_deref().unwrap_or(&record.key_name),
            "{} credential provider",
            if rotate { "rotated the key of" } else { "created" }
        );
        let info = match agentcore::get_provider(clients, name).await {
            Ok(Some(fresh)) => fresh,
            _ => info,
        };
        Ok(StoredKey {
            region: clients.region.clone(),
            provider: self.view(&info, Some(&record)),
            key_generated: generated,
            previous_key: previous
                .filter(|p| p.key_token != record.key_token)
                .map(|p| KeyRef::of_record(&p, &self.gateway.registry)),
        })
    }

    pub async fn delete_provider(&self, target: &Target, name: &str) -> Result<Deleted, AdminError> {
        agentcore::check_provider_name(name).map_err(|m| AdminError::invalid(m, Some("name")))?;
        let clients = self.clients(target).await?;
        let info = agentcore::get_provider(&clients, name).await?;
        agentcore::delete_provider(&clients, name).await?;
        if let Some(info) = info {
            let before = self.store.provider_key(&info.arn).await.map_err(AdminError::from)?;
            self.store.delete_provider_key(&info.arn).await.map_err(AdminError::from)?;
            let change = audit::Outside {
                action: "deleted",
                table_name: audit::AGENTCORE_PROVIDERS,
                object_id: &info.arn,
                // A provider the gateway holds no record of (made elsewhere): its name and ARN.
                before: before
                    .as_ref()
                    .and_then(audit::document)
                    .or_else(|| Some(json!({"name": info.name, "credential_provider_arn": info.arn}))),
                after: None,
            };
            audit::record(&self.store, &self.config, change).await;
        }
        Ok(Deleted { deleted: name.to_string(), region: clients.region.clone() })
    }

    /// The ARN AgentCore gave a provider (never typed by the user).
    pub async fn provider_arn(&self, clients: &Clients, name: &str) -> Result<String, AdminError> {
        agentcore::check_provider_name(name).map_err(|m| AdminError::invalid(m, Some("credential_provider")))?;
        match agentcore::get_provider(clients, name).await? {
            Some(info) => Ok(info.arn),
            None => Err(AwsError {
                operation: "GetApiKeyCredentialProvider".into(),
                kind: crate::aws::AwsErrorKind::NotFound,
                code: "ResourceNotFoundException".into(),
                message: format!("credential provider '{name}' does not exist in {}", clients.region),
                status: Some(404),
                fix: format!(
                    "Create it first with a key of this gateway (POST /agentcore/providers {{\"name\": \"{name}\"}}), \
                     or pick an existing provider."
                ),
                detail: None,
            }
            .into()),
        }
    }

    // -----------------------------------------------------------------------
    // Harnesses

    /// Fills in the credential provider of a harness view, with the key stored in it.
    async fn with_provider(&self, mut view: HarnessView) -> Result<HarnessView, AdminError> {
        if let Some(arn) = view.model.as_ref().and_then(|m| m.api_key_arn.clone()) {
            let record = self.store.provider_key(&arn).await.map_err(AdminError::from)?;
            view.credential_provider = Some(ProviderRef {
                name: agentcore::provider_name_from_arn(&arn).map(str::to_string),
                key: record.as_ref().map(|r| KeyRef::of_record(r, &self.gateway.registry)),
                credential_provider_arn: arn,
            });
        }
        Ok(view)
    }

    /// Harnesses with status, model source and model id.
    pub async fn list_harnesses(&self, target: &Target) -> Result<(String, Vec<HarnessView>), AdminError> {
        let clients = self.clients(target).await?;
        let summaries = agentcore::list_harnesses(&clients).await?;
        let details: Vec<HarnessView> = futures::stream::iter(summaries.into_iter().enumerate())
            .map(|(i, s)| {
                let clients = clients.clone();
                async move {
                    // Details (the model) for the first 50; a failure leaves the summary.
                    if i < 50
                        && let Ok(h) = agentcore::get_harness(&clients, s.harness_id()).await
                    {
                        return agentcore::harness_view(&h);
                    }
                    agentcore::summary_view(&s)
                }
            })
            .buffered(4)
            .collect()
            .await;
        let mut views = Vec::with_capacity(details.len());
        for v in details {
            views.push(self.with_provider(v).await?);
        }
        Ok((clients.region.clone(), views))
    }

    pub async fn harness(&self, target: &Target, id: &str) -> Result<HarnessView, AdminError> {
        let clients = self.clients(target).await?;
        let h = agentcore::get_harness(&clients, id).await?;
        self.with_provider(agentcore::harness_view(&h)).await
    }

    /// `litellm_proxy/<alias>` for a model picked from the gateway's aliases.
    pub fn model_id(&self, model: &str) -> Result<String, AdminError> {
        let alias = model.trim().strip_prefix(LITELLM_PREFIX).unwrap_or(model.trim());
        if self.gateway.group(alias).is_none() {
            return Err(AdminError::invalid(
                format!("the gateway has no model '{alias}'; pick one of: {}", self.gateway.model_names().join(", ")),
                Some("model"),
            ));
        }
        Ok(format!("{LITELLM_PREFIX}{alias}"))
    }

    fn api_base(&self, given: Option<&str>) -> Option<String> {
        given
            .map(|b| b.trim().trim_end_matches('/').to_string())
            .filter(|b| !b.is_empty())
            .or_else(|| self.default_api_base.clone())
    }

    /// Runs the doctor on a draft (a model, or only settings); its errors stop the save unless
    /// forced.
    async fn preflight(
        &self,
        clients: &Arc<Clients>,
        draft: Option<Draft>,
        settings: HarnessSettings,
        mode: Preflight,
    ) -> Result<Option<Report>, Failure> {
        if mode == Preflight::Skip {
            return Ok(None);
        }
        let ctx = self.doctor_ctx(Ok(clients.clone()));
        let report = match draft {
            Some(mut draft) => {
                draft.settings = Some(settings);
                doctor::check_draft(&ctx, &draft).await
            }
            None => doctor::check_settings(&ctx, &settings),
        };
        if !report.ok && mode == Preflight::Block {
            return Err(Failure::Doctor(Box::new(report)));
        }
        Ok(Some(report))
    }

    fn draft(model: &LiteLlmModel, expected_key: Option<&str>) -> Draft {
        let mut draft = Draft::of_model(model);
        draft.expected_key = expected_key.map(str::to_string);
        draft
    }

    pub async fn create_harness(&self, target: &Target, form: &HarnessForm, mode: Preflight) -> Result<Saved, Failure> {
        form.check()?;
        let name = form.harness_name.clone().ok_or_else(|| AdminError::required("harness_name"))?;
        let role = form.execution_role_arn.clone().ok_or_else(|| AdminError::required("execution_role_arn"))?;
        let model = form.model.as_deref().ok_or_else(|| AdminError::required("model"))?;
        let model_id = self.model_id(model)?;
        let clients = self.clients(target).await?;
        let provider = form.credential_provider.as_deref().unwrap_or(DEFAULT_PROVIDER_NAME);
        let arn = self.provider_arn(&clients, provider).await?;
        let model = LiteLlmModel {
            model_id,
            api_key_arn: Some(arn),
            api_base: self.api_base(form.api_base.as_deref()),
            max_tokens: form.max_tokens,
            temperature: form.temperature,
            top_p: form.top_p,
        };
        let settings = form.settings.resolve(None).map_err(settings_error)?;
        let draft = Self::draft(&model, form.expected_key.as_deref());
        let will_hold = HarnessSettings::default().with(&settings);
        let doctor = self.preflight(&clients, Some(draft), will_hold, mode).await?;
        let spec = HarnessSpec {
            harness_name: name,
            execution_role_arn: role,
            model,
            system_prompt: form.system_prompt.clone(),
            settings,
        };
        let h = agentcore::create_harness(&clients, &spec).await?;
        tracing::info!(target: "switchboard::agentcore", harness = %h.harness_id(), region = %clients.region, "created harness");
        let saved = Saved { harness: self.with_provider(agentcore::harness_view(&h)).await?, doctor };
        self.audit_harness("created", &saved.harness.harness_id, None, Some(&saved.harness)).await;
        Ok(saved)
    }

    /// Edits a harness. Model fields are merged into its current LiteLLM configuration, so
    /// switching the model is `{"model": "claude-sonnet"}` alone.
    pub async fn update_harness(
        &self,
        target: &Target,
        id: &str,
        form: &HarnessForm,
        mode: Preflight,
    ) -> Result<Saved, Failure> {
        form.check()?;
        if form.harness_name.is_some() {
            return Err(AdminError::invalid("a harness cannot be renamed", Some("harness_name")).into());
        }
        let clients = self.clients(target).await?;
        let current = agentcore::get_harness(&clients, id).await?;
        let held = settings_of(&current);
        let mut change = HarnessChange {
            system_prompt: form.system_prompt.clone(),
            execution_role_arn: form.execution_role_arn.clone(),
            settings: form.settings.resolve(Some(&held)).map_err(settings_error)?,
            ..Default::default()
        };
        let will_hold = held.with(&change.settings);
        let mut doctor = None;
        if !form.touches_model() && !form.settings.is_empty() {
            doctor = self.preflight(&clients, None, will_hold, mode).await?;
        } else if form.touches_model() {
            let existing = LiteLlmModel::of(current.model());
            let model_id = match (&form.model, &existing) {
                (Some(m), _) => self.model_id(m)?,
                (None, Some(e)) => e.model_id.clone(),
                (None, None) => {
                    return Err(AdminError::invalid(
                        "this harness does not use model source LiteLLM yet: pass `model` (one of the gateway's \
                         models) to switch it",
                        Some("model"),
                    )
                    .into());
                }
            };
            let api_key_arn = match (&form.credential_provider, &existing) {
                (Some(name), _) => Some(self.provider_arn(&clients, name).await?),
                (None, Some(e)) if e.api_key_arn.is_some() => e.api_key_arn.clone(),
                _ => Some(self.provider_arn(&clients, DEFAULT_PROVIDER_NAME).await?),
            };
            let keep = existing.clone().unwrap_or(LiteLlmModel {
                model_id: String::new(),
                api_key_arn: None,
                api_base: None,
                max_tokens: None,
                temperature: None,
                top_p: None,
            });
            let model = LiteLlmModel {
                model_id,
                api_key_arn,
                api_base: form
                    .api_base
                    .as_deref()
                    .map(|b| b.trim().trim_end_matches('/').to_string())
                    .or(keep.api_base)
                    .or_else(|| self.default_api_base.clone()),
                max_tokens: form.max_tokens.or(keep.max_tokens),
                temperature: form.temperature.or(keep.temperature),
                top_p: form.top_p.or(keep.top_p),
            };
            let draft = Self::draft(&model, form.expected_key.as_deref());
            doctor = self.preflight(&clients, Some(draft), will_hold, mode).await?;
            change.model = Some(model);
        }
        let h = agentcore::update_harness(&clients, id, &change).await?;
        tracing::info!(target: "switchboard::agentcore", harness = %id, region = %clients.region, "updated harness");
        let saved = Saved { harness: self.with_provider(agentcore::harness_view(&h)).await?, doctor };
        let before = agentcore::harness_view(&current);
        self.audit_harness("updated", id, Some(&before), Some(&saved.harness)).await;
        Ok(saved)
    }

    pub async fn delete_harness(&self, target: &Target, id: &str) -> Result<Deleted, AdminError> {
        let clients = self.clients(target).await?;
        // What the audit log keeps of it; a harness that cannot be read is deleted all the same.
        let before = agentcore::get_harness(&clients, id).await.ok().map(|h| agentcore::harness_view(&h));
        agentcore::delete_harness(&clients, id).await?;
        self.audit_harness("deleted", id, before.as_ref(), None).await;
        Ok(Deleted { deleted: id.to_string(), region: clients.region.clone() })
    }

    async fn audit_harness(&self, action: &str, id: &str, before: Option<&HarnessView>, after: Option<&HarnessView>) {
        let change = audit::Outside {
            action,
            table_name: audit::AGENTCORE_HARNESSES,
            object_id: id,
            before: before.and_then(audit::document),
            after: after.and_then(audit::document),
        };
        audit::record(&self.store, &self.config, change).await;
    }

    // -----------------------------------------------------------------------
    // Doctor and playground

    pub async fn doctor(&self, target: &Target, request: &DoctorRequest) -> Report {
        let clients = self.clients(target).await;
        let settings = if request.settings.is_empty() {
            None
        } else {
            let held = match (&request.harness_id, &clients) {
                (Some(id), Ok(c)) => agentcore::get_harness(c, id).await.ok().map(|h| settings_of(&h)),
                _ => None,
            };
            match request.settings.check().and_then(|()| request.settings.resolve(held.as_ref())) {
                Ok(change) => Some(held.unwrap_or_default().with(&change)),
                Err(e) => return doctor::invalid_settings(e.field, &e.message),
            }
        };
        let draft = Draft {
            model_id: request.model.clone(),
            api_base: request.api_base.clone(),
            provider_name: request.credential_provider.clone(),
            provider_arn: None,
            expected_key: request.key.clone(),
            settings,
        };
        let ctx = self.doctor_ctx(clients);
        match &request.harness_id {
            Some(id) => doctor::check_harness(&ctx, id, &draft).await,
            None => {
                let mut draft = draft;
                if draft.api_base.is_none() {
                    draft.api_base = self.default_api_base.clone();
                }
                if draft.provider_name.is_none() {
                    draft.provider_name = Some(DEFAULT_PROVIDER_NAME.to_string());
                }
                doctor::check_draft(&ctx, &draft).await
            }
        }
    }

    /// Starts a turn of a harness session, in a trace of its own, and records the turn; the
    /// stream ends with the harness's answer or an error.
    pub async fn invoke(
        &self,
        target: &Target,
        request: &super::TurnRequest<'_>,
    ) -> Result<(Value, TurnRecord, impl Stream<Item = Result<Value, AwsError>> + Send + 'static + use<G>), AdminError>
    {
        let (id, session_id, message) = (request.harness_id, request.session_id, request.message);
        let endpoint = request.endpoint.map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = endpoint {
            crate::aws::harness_versions::check_endpoint_name(e)
                .map_err(|m| AdminError::invalid(m, Some("endpoint")))?;
        }
        if message.trim().is_empty() {
            return Err(AdminError::invalid("message is empty", Some("message")));
        }
        let session = match session_id.filter(|s| !s.is_empty()) {
            Some(s) => {
                agentcore::check_session_id(s).map_err(|m| AdminError::invalid(m, Some("session_id")))?;
                s.to_string()
            }
            None => agentcore::new_session_id(),
        };
        let clients = self.clients(target).await?;
        let latest = agentcore::get_harness(&clients, id).await?;
        // An endpoint serves its version: the model (and key) the turn goes to are that version's.
        let (harness, version) = match endpoint {
            None => (latest, None),
            Some(name) => {
                let endpoints = crate::aws::harness_versions::list_endpoints(&clients, id).await?;
                let Some(live) = endpoints.into_iter().find(|e| e.name == name).and_then(|e| e.live_version) else {
                    return Err(AdminError::NotFound(format!(
                        "harness {id} has no endpoint {name} serving a version; see GET /agentcore/harnesses/{id}/endpoints"
                    )));
                };
                (crate::aws::harness_versions::get_version(&clients, id, &live).await?, Some(live))
            }
        };
        // The key the harness calls this gateway with: its calls in the request log are filed
        // under it.
        let key_token = match agentcore::LiteLlmModel::of(harness.model()).and_then(|m| m.api_key_arn) {
            Some(arn) => self.store.provider_key(&arn).await?.map(|r| r.key_token),
            None => None,
        };
        let (trace_id, trace_parent) = new_trace();
        let mut turn = TurnRecord {
            turn_id: uuid::Uuid::now_v7().to_string(),
            harness_id: harness.harness_id().to_string(),
            harness_arn: harness.arn().to_string(),
            region: clients.region.clone(),
            session_id: session.clone(),
            trace_id,
            key_token,
            message: message.chars().take(500).collect(),
            started_at: crate::time::format_time(chrono::Utc::now()),
            ended_at: None,
            status: "running".into(),
            error: None,
            input_tokens: 0,
            output_tokens: 0,
        };
        self.store.put_turn(&turn).await?;
        let call = agentcore::Invocation {
            harness_arn: harness.arn(),
            session_id: &session,
            trace_parent: &trace_parent,
            endpoint,
        };
        let stream = match agentcore::invoke(&clients, &call, message).await {
            Ok(s) => s,
            Err(e) => {
                turn.ended_at = Some(crate::time::format_time(chrono::Utc::now()));
                turn.status = "error".into();
                turn.error = Some(e.message.clone());
                self.store.put_turn(&turn).await?;
                return Err(e.into());
            }
        };
        let model = harness.model().map(agentcore::model_view);
        let head = json!({
            "type": "session",
            "session_id": session,
            "harness_id": harness.harness_id(),
            "harness_arn": harness.arn(),
            "model_id": model.as_ref().map(|m| m.model_id.clone()),
            "region": clients.region,
            "turn_id": turn.turn_id,
            "trace_id": turn.trace_id,
            "key_token": turn.key_token,
            "endpoint": endpoint.unwrap_or("DEFAULT"),
            "version": version,
        });
        Ok((head, turn, stream))
    }
}

/// A new W3C trace for a turn: its id, and the `traceparent` that starts it.
fn new_trace() -> (String, String) {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let (trace, span) = hex.split_at(32);
    (trace.to_string(), format!("00-{trace}-{span}-01"))
}

/// Whether the doctor runs before a save, and whether its errors stop it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preflight {
    /// Errors stop the save (the default).
    Block,
    /// Findings are reported; the save goes ahead (`force: true`).
    Force,
    /// No doctor (the caller ran it already).
    Skip,
}

impl Preflight {
    pub fn forced(force: bool) -> Preflight {
        if force { Preflight::Force } else { Preflight::Block }
    }
}

/// Where the key for a credential provider comes from.
pub enum KeySource {
    /// A key of this gateway, given in clear by the user (the gateway keeps only hashes).
    Existing(ClearKey),
    /// A new key, generated with these `/key/generate` fields (team_id, key_alias, ...).
    Generate(Map<String, Value>),
    /// The key of this gateway a Secrets Manager secret of yours holds.
    Secret(SecretRef),
}

/// A credential provider that now holds a key.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StoredKey {
    pub region: String,
    pub provider: ProviderView,
    /// Whether the key was generated for it (its value went to AgentCore only).
    pub key_generated: bool,
    /// The key the provider held before (rotation), if the gateway knew it.
    pub previous_key: Option<KeyRef>,
}

/// A saved harness and the doctor's report made before saving.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub harness: HarnessView,
    pub doctor: Option<Report>,
}

/// The harness form: create (`harness_name`, `execution_role_arn`, `model` required) or edit.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct HarnessForm {
    pub harness_name: Option<String>,
    pub execution_role_arn: Option<String>,
    /// A gateway alias (`claude-haiku`); `litellm_proxy/claude-haiku` is taken too.
    pub model: Option<String>,
    /// Credential provider name (default `litellm-proxy`); its ARN comes from AgentCore.
    pub credential_provider: Option<String>,
    pub api_base: Option<String>,
    pub system_prompt: Option<String>,
    pub max_tokens: Option<i32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// The key the provider should hold (alias or hash), for the doctor.
    #[serde(alias = "key_alias")]
    pub expected_key: Option<String>,
    /// Tools, skills, memory, truncation, limits, environment.
    #[serde(flatten)]
    pub settings: SettingsForm,
}

fn settings_error(e: Invalid) -> AdminError {
    AdminError::invalid(e.message, Some(e.field))
}

impl HarnessForm {
    /// Checks made before anything is sent.
    pub fn check(&self) -> Result<(), AdminError> {
        if let Some(name) = &self.harness_name {
            agentcore::check_harness_name(name).map_err(|m| AdminError::invalid(m, Some("harness_name")))?;
        }
        if let Some(role) = &self.execution_role_arn {
            agentcore::check_execution_role(role).map_err(|m| AdminError::invalid(m, Some("execution_role_arn")))?;
        }
        if let Some(t) = self.max_tokens
            && t < 1
        {
            return Err(AdminError::invalid("max_tokens must be at least 1", Some("max_tokens")));
        }
        if let Some(t) = self.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(AdminError::invalid("temperature must be between 0 and 2", Some("temperature")));
        }
        if let Some(p) = self.top_p
            && !(0.0..=1.0).contains(&p)
        {
            return Err(AdminError::invalid("top_p must be between 0 and 1", Some("top_p")));
        }
        if let Some(b) = &self.api_base
            && !(b.starts_with("http://") || b.starts_with("https://"))
        {
            return Err(AdminError::invalid(
                format!("api_base '{b}' must be an http(s) URL (the gateway's public URL)"),
                Some("api_base"),
            ));
        }
        if let Some(p) = &self.credential_provider {
            agentcore::check_provider_name(p).map_err(|m| AdminError::invalid(m, Some("credential_provider")))?;
        }
        self.settings.check().map_err(settings_error)
    }

    fn touches_model(&self) -> bool {
        self.model.is_some()
            || self.credential_provider.is_some()
            || self.api_base.is_some()
            || self.max_tokens.is_some()
            || self.temperature.is_some()
            || self.top_p.is_some()
    }
}

/// `POST /agentcore/doctor`: a harness (with fields overridden), or a draft.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DoctorRequest {
    pub harness_id: Option<String>,
    /// The model id as it would be sent (`litellm_proxy/claude-haiku`; a bare alias is a finding).
    pub model: Option<String>,
    pub api_base: Option<String>,
    pub credential_provider: Option<String>,
    /// The key the provider should hold: alias, or hash.
    #[serde(alias = "key_alias")]
    pub key: Option<String>,
    /// Settings being edited (over the harness's own when `harness_id` is given).
    #[serde(flatten)]
    pub settings: SettingsForm,
}
