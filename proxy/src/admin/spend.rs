//! What was spent, by whom, on what: `/spend/logs` and `/global/spend*`. Reads flush the spend
//! writer first, so that the rows of requests that just finished are there.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration as Days, Utc};

use serde::Serialize;
use utoipa::ToSchema;

use super::users::is_plain_key;
use super::{AdminError, Core};
use crate::auth::{Principal, Role};
use crate::store::{DailySpend, SpendFilter, SpendGroup, SpendLog, SpendReportRow, SpendStats, SpendTotal};
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

pub(super) async fn flushed(core: &Core) {
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

/// `/global/spend`: everything spent (from the table with a few rows a day).
pub async fn global(core: &Core) -> Result<GlobalSpend, AdminError> {
    flushed(core).await;
    let spend: f64 = core.store.spend_by(SpendGroup::Day, None).await?.iter().map(|t| t.spend).sum();
    Ok(GlobalSpend { spend, max_budget: None })
}

/// `/global/spend/keys`: the `limit` keys that spent most.
pub async fn by_key(core: &Core, limit: usize) -> Result<Vec<KeySpend>, AdminError> {
    flushed(core).await;
    Ok(core
        .store
        .top_keys(limit)
        .await?
        .into_iter()
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

/// How `/global/spend/report` groups spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportGroup {
    Team,
    Customer,
    ApiKey,
}

impl ReportGroup {
    pub fn parse(text: Option<&str>) -> Result<ReportGroup, AdminError> {
        match text {
            None | Some("team") => Ok(ReportGroup::Team),
            Some("customer") => Ok(ReportGroup::Customer),
            Some("api_key") => Ok(ReportGroup::ApiKey),
            Some(other) => Err(AdminError::invalid(
                format!("group_by must be one of 'team', 'customer', 'api_key', not '{other}'"),
                Some("group_by"),
            )),
        }
    }
}

/// `/global/spend/report`'s question.
#[derive(Debug, Default)]
pub struct ReportQuery {
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub group_by: Option<String>,
    /// One key's spend (clear or hash), in the `api_key` shape.
    pub api_key: Option<String>,
    /// One user's keys, in the `api_key` shape.
    pub internal_user_id: Option<String>,
}

/// `/global/spend/report`, in LiteLLM's three shapes.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SpendReport {
    Teams(Vec<TeamsOfDay>),
    Customers(Vec<CustomersOfDay>),
    Keys(Vec<KeyReport>),
}

/// A model and key's spend within a team or customer, on one day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportEntry {
    pub model: String,
    /// The key's hash.
    pub api_key: String,
    pub spend: f64,
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamsOfDay {
    /// Midnight UTC of the day (`2024-05-10T00:00:00+00:00`).
    pub group_by_day: String,
    pub teams: Vec<TeamOfDay>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamOfDay {
    /// The team's alias; "Unassigned Team" for spend without one (as LiteLLM names it).
    pub team_name: String,
    pub total_spend: f64,
    pub metadata: Vec<ReportEntry>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomersOfDay {
    pub group_by_day: String,
    pub customers: Vec<CustomerOfDay>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerOfDay {
    /// The request's `user` (end user); null for requests without one.
    pub customer: Option<String>,
    pub total_spend: f64,
    pub metadata: Vec<ReportEntry>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyReport {
    pub api_key: String,
    pub total_cost: f64,
    pub total_input_tokens: u64,
    pub total_output_tokens: u64,
    pub model_details: Vec<ModelReport>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelReport {
    pub model: String,
    pub total_cost: f64,
    pub total_input_tokens: u64,
    pub total_output_tokens: u64,
}

/// A `YYYY-MM-DD` date of the report's query.
fn report_date(field: &str, value: Option<&str>) -> Result<chrono::NaiveDate, AdminError> {
    let text = value.ok_or_else(|| AdminError::invalid("Please provide start_date and end_date", Some(field)))?;
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| AdminError::invalid(format!("{field} must be a date, YYYY-MM-DD: '{text}'"), Some(field)))
}

/// `/global/spend/report`: spend between `start_date` and `end_date` (both days included), per
/// day and team (default), per day and customer, or per key (`group_by=api_key`, or when
/// `api_key` / `internal_user_id` narrow it down, as LiteLLM answers those).
pub async fn report(core: &Core, q: &ReportQuery) -> Result<SpendReport, AdminError> {
    let start = report_date("start_date", q.start_date.as_deref())?;
    let end = report_date("end_date", q.end_date.as_deref())?;
    let group = ReportGroup::parse(q.group_by.as_deref())?;
    let midnight = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| format_time(t.and_utc())).unwrap_or_default();
    let until = end.succ_opt().unwrap_or(end);
    let api_key = q.api_key.as_deref().map(crate::auth::token_of);
    flushed(core).await;
    let rows = core
        .store
        .spend_report(&midnight(start), &midnight(until), q.internal_user_id.as_deref(), api_key.as_deref())
        .await?;
    if group == ReportGroup::ApiKey || api_key.is_some() || q.internal_user_id.is_some() {
        return Ok(SpendReport::Keys(by_key_and_model(&rows)));
    }
    let registry = &core.gateway.registry;
    // Days in order, and within a day the groups in order of first appearance.
    let mut days: BTreeMap<String, DayGroups> = BTreeMap::new();
    for r in &rows {
        let name = match group {
            ReportGroup::Team => Some(
                r.team_id
                    .as_deref()
                    .and_then(|t| registry.teams.get(t))
                    .and_then(|t| t.record.team_alias.clone())
                    .unwrap_or_else(|| "Unassigned Team".into()),
            ),
            _ => r.end_user.clone(),
        };
        let groups = days.entry(r.day.clone()).or_default();
        let index = match groups.iter().position(|(n, _, _)| *n == name) {
            Some(i) => i,
            None => {
                groups.push((name, 0.0, Vec::new()));
                groups.len() - 1
            }
        };
        if let Some((_, total, entries)) = groups.get_mut(index) {
            *total += r.spend;
            entries.push(ReportEntry {
                model: r.model.clone(),
                api_key: r.api_key.clone(),
                spend: r.spend,
                total_tokens: r.total_tokens,
            });
        }
    }
    let day_label = |day: &str| format!("{day}T00:00:00+00:00");
    Ok(match group {
        ReportGroup::Team => SpendReport::Teams(
            days.into_iter()
                .map(|(day, groups)| TeamsOfDay {
                    group_by_day: day_label(&day),
                    teams: groups
                        .into_iter()
                        .map(|(name, total_spend, metadata)| TeamOfDay {
                            team_name: name.unwrap_or_default(),
                            total_spend,
                            metadata,
                        })
                        .collect(),
                })
                .collect(),
        ),
        _ => SpendReport::Customers(
            days.into_iter()
                .map(|(day, groups)| CustomersOfDay {
                    group_by_day: day_label(&day),
                    customers: groups
                        .into_iter()
                        .map(|(customer, total_spend, metadata)| CustomerOfDay { customer, total_spend, metadata })
                        .collect(),
                })
                .collect(),
        ),
    })
}

/// A day's groups (team names or customers): name, total spend, entries.
type DayGroups = Vec<(Option<String>, f64, Vec<ReportEntry>)>;

/// The `api_key` shape: per key (most spent first), per model.
fn by_key_and_model(rows: &[SpendReportRow]) -> Vec<KeyReport> {
    let mut keys: Vec<KeyReport> = Vec::new();
    for r in rows {
        let index = match keys.iter().position(|k| k.api_key == r.api_key) {
            Some(i) => i,
            None => {
                keys.push(KeyReport {
                    api_key: r.api_key.clone(),
                    total_cost: 0.0,
                    total_input_tokens: 0,
                    total_output_tokens: 0,
                    model_details: Vec::new(),
                });
                keys.len() - 1
            }
        };
        let Some(key) = keys.get_mut(index) else { continue };
        key.total_cost += r.spend;
        key.total_input_tokens += r.prompt_tokens;
        key.total_output_tokens += r.completion_tokens;
        match key.model_details.iter_mut().find(|m| m.model == r.model) {
            Some(m) => {
                m.total_cost += r.spend;
                m.total_input_tokens += r.prompt_tokens;
                m.total_output_tokens += r.completion_tokens;
            }
            None => key.model_details.push(ModelReport {
                model: r.model.clone(),
                total_cost: r.spend,
                total_input_tokens: r.prompt_tokens,
                total_output_tokens: r.completion_tokens,
            }),
        }
    }
    keys.sort_by(|a, b| b.total_cost.total_cmp(&a.total_cost));
    keys
}
