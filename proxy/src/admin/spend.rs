//! What was spent, by whom, on what: `/spend/logs` and `/global/spend*`. Reads flush the spend
//! writer first, so that the rows of requests that just finished are there.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration as Days, Utc};

use serde::Serialize;
use utoipa::ToSchema;

use super::users::is_plain_key;
use super::{AdminError, Core};
use crate::auth::{Principal, Role};
use crate::store::{DailySpend, SpendFilter, SpendGroup, SpendLog, SpendStats, SpendTotal};
use crate::time::format_time;

/// `/spend/logs`: the rows, or totals per day with `summarize=true` and both dates.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SpendLogs {
    Rows(Vec<SpendLog>),
    Days(Vec<DaySummary>),
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DaySummary {
    /// The day, `YYYY-MM-DD`.
    #[serde(rename = "startTime")]
    pub start_time: String,
    pub spend: f64,
    /// Spend per model group that day.
    pub models: HashMap<String, f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GlobalSpend {
    pub spend: f64,
    /// Always null: the gateway has no global budget.
    pub max_budget: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeySpend {
    /// The key's hash.
    pub api_key: Option<String>,
    pub key_alias: Option<String>,
    pub total_spend: f64,
    pub requests: u64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamSpend {
    pub team_id: Option<String>,
    pub team_alias: Option<String>,
    pub total_spend: f64,
    pub requests: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DaySpend {
    pub date: Option<String>,
    pub total_spend: f64,
    pub requests: u64,
}

/// `/global/spend/teams`, in LiteLLM's shape.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamSpendReport {
    pub daily_spend: Vec<DaySpend>,
    /// Team aliases (else ids), in the order of `total_spend_per_team`.
    pub teams: Vec<Option<String>>,
    pub total_spend_per_team: Vec<TeamSpend>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelSpend {
    pub model: Option<String>,
    pub total_spend: f64,
    pub requests: u64,
    pub total_tokens: u64,
}

async fn flushed(core: &Core) {
    if let Some(sink) = core.gateway.spend_sink() {
        sink.flush().await;
    }
}

/// `/spend/logs`: rows newest first; a key that may not read everything sees only its own rows
/// (an internal user's key: its user's).
/// With both dates and `summarize`, totals per day.
pub async fn logs(
    core: &Core,
    caller: &Principal,
    mut filter: SpendFilter,
    summarize: bool,
) -> Result<SpendLogs, AdminError> {
    flushed(core).await;
    if is_plain_key(caller) {
        // An internal user (or viewer) sees the rows of its user's keys; a key without a role
        // its own rows.
        match (caller.role(), caller.user_id()) {
            (Role::Member | Role::MemberViewer, Some(user)) => filter.user_id = Some(user.to_string()),
            _ => filter.api_key = caller.key().map(|k| k.record.token.clone()),
        }
    }
    let rows = core.store.spend_logs(&filter).await?;
    if summarize && filter.start.is_some() && filter.end.is_some() {
        let mut days: BTreeMap<String, (f64, HashMap<String, f64>)> = BTreeMap::new();
        for r in &rows {
            let day = r.start_time.get(..10).unwrap_or_default().to_string();
            let e = days.entry(day).or_default();
            e.0 += r.spend;
            *e.1.entry(r.model_group.clone()).or_default() += r.spend;
        }
        let days =
            days.into_iter().map(|(start_time, (spend, models))| DaySummary { start_time, spend, models }).collect();
        return Ok(SpendLogs::Days(days));
    }
    Ok(SpendLogs::Rows(rows))
}

async fn totals(core: &Core, group: SpendGroup) -> Result<Vec<SpendTotal>, AdminError> {
    flushed(core).await;
    Ok(core.store.spend_by(group, None).await?)
}

/// `/global/spend`.
pub async fn global(core: &Core) -> Result<GlobalSpend, AdminError> {
    let spend: f64 = totals(core, SpendGroup::Key).await?.iter().map(|t| t.spend).sum();
    Ok(GlobalSpend { spend, max_budget: None })
}

/// `/global/spend/keys`: the `limit` keys that spent most.
pub async fn by_key(core: &Core, limit: usize) -> Result<Vec<KeySpend>, AdminError> {
    Ok(totals(core, SpendGroup::Key)
        .await?
        .into_iter()
        .take(limit)
        .map(|t| KeySpend {
            api_key: t.group,
            key_alias: t.alias,
            total_spend: t.spend,
            requests: t.requests,
            total_tokens: t.tokens,
        })
        .collect())
}

/// `/global/spend/teams`.
pub async fn by_team(core: &Core) -> Result<TeamSpendReport, AdminError> {
    let totals = totals(core, SpendGroup::Team).await?;
    let alias_of = |id: &Option<String>| {
        id.as_deref().and_then(|t| core.gateway.registry.teams.get(t)).and_then(|t| t.record.team_alias.clone())
    };
    let teams: Vec<&SpendTotal> = totals.iter().filter(|t| t.group.is_some()).collect();
    let total_spend_per_team = teams
        .iter()
        .map(|t| TeamSpend {
            team_id: t.group.clone(),
            team_alias: alias_of(&t.group),
            total_spend: t.spend,
            requests: t.requests,
        })
        .collect();
    let names = teams.iter().map(|t| alias_of(&t.group).or(t.group.clone())).collect();
    let daily = core.store.spend_by(SpendGroup::Day, None).await?;
    let daily_spend =
        daily.into_iter().map(|d| DaySpend { date: d.group, total_spend: d.spend, requests: d.requests }).collect();
    Ok(TeamSpendReport { daily_spend, teams: names, total_spend_per_team })
}

/// `/global/spend/models`.
pub async fn by_model(core: &Core) -> Result<Vec<ModelSpend>, AdminError> {
    Ok(totals(core, SpendGroup::Model)
        .await?
        .into_iter()
        .map(|t| ModelSpend { model: t.group, total_spend: t.spend, requests: t.requests, total_tokens: t.tokens })
        .collect())
}

/// Today's figures (since midnight UTC), for the panel's overview.
pub async fn today(core: &Core) -> Result<SpendStats, AdminError> {
    flushed(core).await;
    let midnight = Utc::now().date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now);
    Ok(core.store.stats(&format_time(midnight)).await?)
}

/// Spend per day and `group` over the last `days` days (today included), labelled for charts.
pub async fn daily(core: &Core, group: SpendGroup, days: i64) -> Result<Vec<DailySpend>, AdminError> {
    flushed(core).await;
    let since = Utc::now().date_naive() - Days::days(days - 1);
    let since = since.and_hms_opt(0, 0, 0).map(|t| format_time(t.and_utc())).unwrap_or_default();
    let mut rows = core.store.spend_daily(group, &since).await?;
    let registry = &core.gateway.registry;
    for r in &mut rows {
        r.label = match group {
            SpendGroup::Team => {
                r.group.as_deref().and_then(|t| registry.teams.get(t)).and_then(|t| t.record.team_alias.clone())
            }
            SpendGroup::Key => r.label.take(),
            _ => r.group.clone(),
        };
    }
    Ok(rows)
}
