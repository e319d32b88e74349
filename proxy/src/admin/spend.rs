//! What was spent, by whom, on what: `/spend/logs` and `/global/spend*`. Reads flush the spend
//! writer first, so that the rows of requests that just finished are there.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration as Days, Utc};

use serde_json::{Value, json};

use super::users::is_plain_key;
use super::{AdminError, Core};
use crate::auth::Principal;
use crate::store::{SpendFilter, SpendGroup, SpendTotal};
use crate::time::format_time;

async fn flushed(core: &Core) {
    if let Some(sink) = core.gateway.spend_sink() {
        sink.flush().await;
    }
}

/// `/spend/logs`: rows newest first; a key that may not read everything sees only its own rows.
/// With both dates and `summarize`, totals per day.
pub async fn logs(
    core: &Core,
    caller: &Principal,
    mut filter: SpendFilter,
    summarize: bool,
) -> Result<Value, AdminError> {
    flushed(core).await;
    if is_plain_key(caller) {
        filter.api_key = caller.key().map(|k| k.record.token.clone());
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
        let out: Vec<Value> = days
            .into_iter()
            .map(|(day, (spend, models))| json!({"startTime": day, "spend": spend, "models": models}))
            .collect();
        return Ok(Value::Array(out));
    }
    Ok(serde_json::to_value(rows).unwrap_or_default())
}

async fn totals(core: &Core, group: SpendGroup) -> Result<Vec<SpendTotal>, AdminError> {
    flushed(core).await;
    Ok(core.store.spend_by(group, None).await?)
}

/// `/global/spend`.
pub async fn global(core: &Core) -> Result<Value, AdminError> {
    let total: f64 = totals(core, SpendGroup::Key).await?.iter().map(|t| t.spend).sum();
    Ok(json!({"spend": total, "max_budget": Value::Null}))
}

/// `/global/spend/keys`: the `limit` keys that spent most.
pub async fn by_key(core: &Core, limit: usize) -> Result<Value, AdminError> {
    let rows: Vec<Value> = totals(core, SpendGroup::Key)
        .await?
        .into_iter()
        .take(limit)
        .map(|t| json!({"api_key": t.group, "key_alias": t.alias, "total_spend": t.spend, "requests": t.requests, "total_tokens": t.tokens}))
        .collect();
    Ok(Value::Array(rows))
}

/// `/global/spend/teams`.
pub async fn by_team(core: &Core) -> Result<Value, AdminError> {
    let totals = totals(core, SpendGroup::Team).await?;
    let alias_of = |id: &Option<String>| {
        id.as_deref().and_then(|t| core.gateway.registry.teams.get(t)).and_then(|t| t.record.team_alias.clone())
    };
    let per_team: Vec<Value> = totals
        .iter()
        .filter(|t| t.group.is_some())
        .map(|t| json!({"team_id": t.group, "team_alias": alias_of(&t.group), "total_spend": t.spend, "requests": t.requests}))
        .collect();
    let names: Vec<Value> =
        totals.iter().filter(|t| t.group.is_some()).map(|t| json!(alias_of(&t.group).or(t.group.clone()))).collect();
    let daily = core.store.spend_by(SpendGroup::Day, None).await?;
    let daily: Vec<Value> =
        daily.iter().map(|d| json!({"date": d.group, "total_spend": d.spend, "requests": d.requests})).collect();
    Ok(json!({"daily_spend": daily, "teams": names, "total_spend_per_team": per_team}))
}

/// `/global/spend/models`.
pub async fn by_model(core: &Core) -> Result<Value, AdminError> {
    let rows: Vec<Value> = totals(core, SpendGroup::Model)
        .await?
        .into_iter()
        .map(|t| json!({"model": t.group, "total_spend": t.spend, "requests": t.requests, "total_tokens": t.tokens}))
        .collect();
    Ok(Value::Array(rows))
}

/// Today's figures (since midnight UTC), for the panel's overview.
pub async fn today(core: &Core) -> Result<Value, AdminError> {
    flushed(core).await;
    let midnight = Utc::now().date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now);
    let stats = core.store.stats(&format_time(midnight)).await?;
    Ok(serde_json::to_value(stats).unwrap_or_default())
}

/// Spend per day and `group` over the last `days` days (today included), labelled for charts.
pub async fn daily(core: &Core, group: SpendGroup, days: i64) -> Result<Value, AdminError> {
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
    Ok(serde_json::to_value(rows).unwrap_or_default())
}
