//! Virtual keys. The clear key is returned once, by generate and regenerate; only its SHA-256
//! is stored, listed or logged.

use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    AdminError, Core, Fields, LIMIT_FIELDS, access, check_limits, ends_after, merge, next_reset, now, page_by,
    spend_field,
};
use crate::auth::registry::{Field, Keep, KeyEntry, Listed, Registry, RowRef};
use crate::auth::{Principal, generate_key, hash_key, key_name, token_of};
use crate::store::{Entity, KeyRecord, StoreError, UserRecord, Write};

/// Fields `/key/update` may change.
const UPDATABLE: &[&str] = &["key_alias", "models", "aliases", "metadata", "tags", "team_id", "user_id", "blocked"];

pub fn entry_or_404(core: &Core, key: &str) -> Result<Arc<KeyEntry>, AdminError> {
    core.gateway.registry.keys.get(&token_of(key)).ok_or_else(|| AdminError::NotFound("Key not found".into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Blocked,
    Expired,
}

/// A key as the admin API shows it: the record (live spend, next reset) and its status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyView {
    #[serde(flatten)]
    pub record: KeyRecord,
    pub status: KeyStatus,
    /// The key's hash (LiteLLM's name for it in lists).
    pub token_id: String,
}

/// `/key/generate`'s answer: the key, with its clear value (shown this once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GeneratedKey {
    #[serde(flatten)]
    pub view: KeyView,
    /// The clear key (`sk-...`): shown once, never stored.
    pub key: String,
    /// The `duration` the key was asked with.
    #[schema(value_type = Option<String>)]
    pub duration: Option<Value>,
    /// Always null (LiteLLM's budget table is not used).
    #[schema(value_type = Option<Object>)]
    pub litellm_budget_table: Option<Value>,
}

/// A changed key: `key` is its hash (`/key/update`) or its new clear value (`/key/regenerate`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangedKey {
    #[serde(flatten)]
    pub view: KeyView,
    pub key: String,
}

/// `/key/info`'s answer: the key by its hash (a clear key is shown once, at creation).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyInfo {
    pub key: String,
    pub info: KeyView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedKeys {
    pub deleted_keys: Vec<String>,
}

/// A key in `/key/list`: its hash, or the whole key with `return_full_object=true`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ListedKey {
    Hash(String),
    Key(Box<KeyView>),
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<ListedKey>,
    pub total_count: usize,
    pub current_page: usize,
    pub total_pages: usize,
}

/// What the admin API shows of a key: the record with live spend and its status.
pub fn key_view(entry: &KeyEntry) -> KeyView {
    let status = if entry.record.blocked {
        KeyStatus::Blocked
    } else if entry.is_expired(Utc::now()) {
        KeyStatus::Expired
    } else {
        KeyStatus::Active
    };
    KeyView { record: entry.snapshot(), status, token_id: entry.record.token.clone() }
}

/// LiteLLM's refusal of a taken key alias.
fn alias_taken(alias: &str) -> AdminError {
    AdminError::invalid(
        format!("Key with alias '{alias}' already exists. Unique key aliases across all keys are required."),
        Some("key_alias"),
    )
}

/// Whether a key other than `except` has `alias`.
pub fn alias_in_use(registry: &Registry, alias: &str, except: Option<&str>) -> bool {
    registry.keys.with(Field::Alias, alias).iter().any(|k| Some(k.record.token.as_str()) != except)
}

/// A quick answer from memory; the database's unique index decides races (`key_write_error`).
fn check_alias_free(core: &Core, alias: Option<&str>, except: Option<&str>) -> Result<(), AdminError> {
    match alias {
        Some(alias) if alias_in_use(&core.gateway.registry, alias, except) => Err(alias_taken(alias)),
        _ => Ok(()),
    }
}

/// A failed key write: a taken alias (two creates raced) is the client's to fix.
fn key_write_error(e: StoreError, alias: Option<&str>) -> AdminError {
    match (e, alias) {
        (StoreError::Conflict(_), Some(alias)) => alias_taken(alias),
        (e, _) => e.into(),
    }
}

/// The user record a key or team mention needs (LiteLLM creates a user on first mention, and
/// adds the team to it): `None` when it exists as it should. Written by the caller, with the
/// key or team, in one transaction.
pub(super) fn user_to_ensure(core: &Core, user_id: &str, team: Option<&str>) -> Option<UserRecord> {
    let existing = core.gateway.registry.users.get(user_id);
    let mut changed = existing.is_none();
    let mut user = existing.map(|u| u.snapshot()).unwrap_or_else(|| UserRecord {
        user_id: user_id.to_string(),
        user_role: Some("internal_user".into()),
        created_at: now(),
        ..Default::default()
    });
    if let Some(t) = team
        && !user.teams.iter().any(|x| x == t)
    {
        user.teams.push(t.to_string());
        changed = true;
    }
    changed.then(|| {
        user.updated_at = now();
        user
    })
}

/// A key checked and ready to be written: the clear key (shown once) and its record.
pub(super) struct NewKey {
    pub clear: String,
    pub record: KeyRecord,
}

/// Checks generate-style fields and builds the key, writing nothing.
pub(super) fn prepare_key(core: &Core, fields: &Fields, created_by: &Principal) -> Result<NewKey, AdminError> {
    check_limits(fields)?;
    let str_field = |f: &str| fields.get(f).and_then(Value::as_str).map(str::to_string);
    let key = match str_field("key") {
        Some(k) if k.starts_with("sk-") && k.len() >= 16 => k,
        Some(_) => {
            return Err(AdminError::invalid("key must start with 'sk-' and be at least 16 characters", Some("key")));
        }
        None => generate_key(),
    };
    let token = hash_key(&key);
    if core.gateway.registry.keys.get(&token).is_some() {
        return Err(AdminError::invalid("this key already exists", Some("key")));
    }
    let team_id = str_field("team_id");
    if let Some(t) = &team_id
        && core.gateway.registry.teams.get(t).is_none()
    {
        return Err(AdminError::invalid(
            format!("team_id '{t}' does not exist; create it with /team/new"),
            Some("team_id"),
        ));
    }
    check_alias_free(core, str_field("key_alias").as_deref(), None)?;
    let created = now();
    let base = KeyRecord {
        token,
        key_name: key_name(&key),
        created_at: created.clone(),
        updated_at: created,
        // As LiteLLM records it: the creating key's user, when it has one.
        created_by: Some(match (created_by.user_id(), created_by.key()) {
            (Some(user), _) => user.to_string(),
            (None, Some(_)) => "admin key".into(),
            (None, None) => "master key".into(),
        }),
        ..Default::default()
    };
    let mut all_fields: Vec<&str> = UPDATABLE.to_vec();
    all_fields.extend_from_slice(LIMIT_FIELDS);
    all_fields.push("spend");
    let mut record: KeyRecord = merge(&base, fields, &all_fields)?;
    if let Some(d) = str_field("duration").filter(|d| d != "-1") {
        record.expires = Some(ends_after("duration", &d)?);
    }
    if let Some(d) = &record.limits.budget_duration {
        record.limits.budget_reset_at = Some(next_reset(d)?);
    }
    Ok(NewKey { clear: key, record })
}

/// A key just made: `/key/generate`'s answer (with the clear key, shown once) and the live entry.
pub struct Generated {
    pub answer: GeneratedKey,
    pub entry: Arc<KeyEntry>,
}

/// Writes prepared keys with the other records of the same change, in one transaction, then
/// serves them.
pub(super) async fn save_new_keys(
    core: &Core,
    keys: Vec<NewKey>,
    others: &[Write<'_>],
    fields: &Fields,
) -> Result<Vec<Generated>, AdminError> {
    let mut writes: Vec<Write> = others.to_vec();
    writes.extend(keys.iter().map(|k| Write::Key(&k.record)));
    let alias = keys.iter().find_map(|k| k.record.key_alias.as_deref());
    core.write(&writes, None).await.map_err(|e| key_write_error(e, alias))?;
    Ok(keys
        .into_iter()
        .map(|new| {
            let entry = core.gateway.registry.keys.put(new.record);
            let answer = GeneratedKey {
                view: key_view(&entry),
                key: new.clear,
                duration: fields.get("duration").cloned(),
                litellm_budget_table: None,
            };
            Generated { answer, entry }
        })
        .collect())
}

/// `/key/generate`: a key from generate-style fields (and the user it names, on first mention).
/// A non-admin makes keys for itself only (see `access::check_new_key`).
pub async fn generate(core: &Core, fields: &Fields, created_by: &Principal) -> Result<Generated, AdminError> {
    let mut fields = fields.clone();
    access::check_new_key(core, created_by, &mut fields)?;
    let fields = &fields;
    let new = prepare_key(core, fields, created_by)?;
    let user = new.record.user_id.as_deref().and_then(|u| user_to_ensure(core, u, new.record.team_id.as_deref()));
    let others: Vec<Write> = user.iter().map(Write::User).collect();
    let mut saved = save_new_keys(core, vec![new], &others, fields).await?;
    if let Some(user) = user {
        core.gateway.registry.users.put(user);
    }
    saved.pop().ok_or_else(|| AdminError::Internal("the new key was not saved".into()))
}

/// The key a body names: `key` (clear or hash), else `key_alias`.
fn named_key(core: &Core, fields: &Fields) -> Result<Arc<KeyEntry>, AdminError> {
    if let Some(k) = fields.get("key").and_then(Value::as_str) {
        return entry_or_404(core, k);
    }
    if let Some(alias) = fields.get("key_alias").and_then(Value::as_str) {
        let keys = &core.gateway.registry.keys;
        // The table's own entry (a frozen key thawed), whose counters a change of spend sets:
        // a list hands out copies.
        return keys
            .with(Field::Alias, alias)
            .into_iter()
            .find_map(|k| keys.get(&k.record.token))
            .ok_or_else(|| AdminError::NotFound(format!("no key with alias '{alias}'")));
    }
    Err(AdminError::invalid("name the key: `key` (sk-... or its hash) or `key_alias`", Some("key")))
}

/// `/key/update`. A non-admin changes its own keys, and those of teams it administers.
pub async fn update(core: &Core, caller: &Principal, fields: &Fields) -> Result<ChangedKey, AdminError> {
    check_limits(fields)?;
    let entry = named_key(core, fields)?;
    let current = entry.snapshot();
    access::check_key_change(core, caller, &current, "/key/update")?;
    access::check_key_update(core, caller, &current, fields)?;
    if let Some(alias) = fields.get("key_alias").and_then(Value::as_str)
        && fields.contains_key("key")
    {
        check_alias_free(core, Some(alias), Some(&current.token))?;
    }
    if let Some(t) = fields.get("team_id").and_then(Value::as_str)
        && core.gateway.registry.teams.get(t).is_none()
    {
        return Err(AdminError::invalid(format!("team_id '{t}' does not exist"), Some("team_id")));
    }
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    if !fields.contains_key("key") {
        allowed.retain(|f| *f != "key_alias");
    }
    let mut record: KeyRecord = merge(&current, fields, &allowed)?;
    match fields.get("duration") {
        Some(Value::Null) => record.expires = None,
        Some(Value::String(d)) if d == "-1" => record.expires = None,
        Some(Value::String(d)) => record.expires = Some(ends_after("duration", d)?),
        _ => {}
    }
    if fields.contains_key("budget_duration") {
        record.limits.budget_reset_at = record.limits.budget_duration.as_deref().map(next_reset).transpose()?;
    }
    let spend_change = spend_field(fields)?;
    record.updated_at = now();
    core.write(&[Write::Key(&record)], None).await.map_err(|e| key_write_error(e, record.key_alias.as_deref()))?;
    let entry = core.gateway.registry.keys.put(record);
    if let Some(s) = spend_change {
        core.set_spend(Entity::Key, &entry.record.token, &entry.counters, s).await;
    }
    Ok(ChangedKey { view: key_view(&entry), key: entry.record.token.clone() })
}

/// `/key/delete`: keys named by key (clear or hash) or alias; returns the names deleted. A
/// non-admin deletes its own keys and those of teams it administers; one key it may not delete
/// and none is deleted.
pub async fn delete(
    core: &Core,
    caller: &Principal,
    keys: &[String],
    key_aliases: &[String],
) -> Result<DeletedKeys, AdminError> {
    let registry = &core.gateway.registry;
    let mut tokens = Vec::new();
    let mut deleted = Vec::new();
    for k in keys {
        if let Some(e) = registry.keys.get(&token_of(k)) {
            tokens.push(e.record.token.clone());
            deleted.push(k.clone());
        }
    }
    for alias in key_aliases {
        for e in registry.keys.with(Field::Alias, alias) {
            tokens.push(e.record.token.clone());
            deleted.push(alias.clone());
        }
    }
    if tokens.is_empty() {
        return Err(AdminError::NotFound("none of the keys exist".into()));
    }
    for t in &tokens {
        if let Some(e) = registry.keys.get(t) {
            access::check_key_change(core, caller, &e.record, "/key/delete")?;
        }
    }
    let writes: Vec<Write> = tokens.iter().map(|t| Write::Delete(Entity::Key, t)).collect();
    core.commit(&writes).await?;
    for t in &tokens {
        registry.keys.remove(t);
    }
    Ok(DeletedKeys { deleted_keys: deleted })
}

/// `/key/info`: a key by its clear value or hash, else the caller's own. A key that may not read
/// everything reads itself, its user's keys and the keys of teams it administers.
pub fn info(core: &Core, caller: &Principal, asked: Option<&str>) -> Result<KeyInfo, AdminError> {
    let entry = match (asked, caller) {
        (Some(k), _) => entry_or_404(core, k)?,
        (None, Principal::Key(own, _)) => own.clone(),
        (None, _) => return Err(AdminError::invalid("pass ?key=sk-... (or its hash)", Some("key"))),
    };
    if !access::may_see_key(core, caller, &entry.record) {
        return Err(AdminError::Forbidden(format!(
            "You are not allowed to access this key's info. Your role={}",
            caller.role().litellm_name()
        )));
    }
    let mut info = key_view(&entry);
    info.record.token = String::new();
    Ok(KeyInfo { key: entry.record.token.clone(), info })
}

/// `/key/list`'s filters and page.
#[derive(Debug, Default)]
pub struct KeyQuery {
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub key_alias: Option<String>,
    pub key_hash: Option<String>,
    /// `key_alias` and `user_id` match any key whose own contains them, ignoring case (LiteLLM's
    /// `substring_matching`): the panel's search box.
    pub substring: bool,
    pub sort: KeySort,
    pub ascending: bool,
    pub page: usize,
    pub size: usize,
    /// Whole keys instead of their hashes.
    pub full: bool,
    /// For a non-admin: also the keys of teams it administers.
    pub include_team_keys: bool,
}

/// What `/key/list` sorts by (`sort_by`): when keys were made, unless asked otherwise.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum KeySort {
    #[default]
    CreatedAt,
    UpdatedAt,
    Spend,
    MaxBudget,
    KeyAlias,
    Expires,
    LastActive,
}

impl KeySort {
    const NAMES: [(&str, KeySort); 7] = [
        ("created_at", KeySort::CreatedAt),
        ("updated_at", KeySort::UpdatedAt),
        ("spend", KeySort::Spend),
        ("max_budget", KeySort::MaxBudget),
        ("key_alias", KeySort::KeyAlias),
        ("expires", KeySort::Expires),
        ("last_active", KeySort::LastActive),
    ];

    pub fn parse(name: &str) -> Result<KeySort, AdminError> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, sort)| *sort).ok_or_else(|| {
            let valid: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
            AdminError::invalid(format!("Invalid sort_by: {name}. Valid: {}", valid.join(", ")), Some("sort_by"))
        })
    }

    /// What a key sorts by (keys that tie keep the order they were made in).
    fn value(self, key: &KeyEntry) -> SortValue {
        let k = &key.record;
        let text = |t: &Option<String>| SortValue::Text(t.clone());
        match self {
            KeySort::CreatedAt => SortValue::Number(0.0),
            KeySort::UpdatedAt => SortValue::Text(Some(k.updated_at.clone())),
            KeySort::Spend => SortValue::Number(key.counters.spend()),
            KeySort::MaxBudget => SortValue::Number(k.limits.max_budget.unwrap_or(f64::INFINITY)),
            KeySort::KeyAlias => text(&k.key_alias),
            KeySort::Expires => text(&k.expires),
            KeySort::LastActive => text(&k.last_active),
        }
    }
}

/// A key's value in a [`KeySort`]: numbers in their total order, texts with none first.
#[derive(Debug, Clone)]
enum SortValue {
    Number(f64),
    Text(Option<String>),
}

impl Ord for SortValue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (SortValue::Number(a), SortValue::Number(b)) => a.total_cmp(b),
            (SortValue::Text(a), SortValue::Text(b)) => a.cmp(b),
            (SortValue::Number(_), SortValue::Text(_)) => Ordering::Less,
            (SortValue::Text(_), SortValue::Number(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for SortValue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SortValue {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for SortValue {}

/// Whether `haystack` holds `needle`, ignoring case.
fn contains_folded(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        return n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// `/key/list`: every key for readers of everything; for others, as LiteLLM: their user's keys
/// (and with `include_team_keys`, the keys of teams they administer). Keys are read from the
/// registry's indexes: a page of a million keys, or of a team's, without sorting them all.
pub fn list(core: &Core, caller: &Principal, q: &KeyQuery) -> Result<KeyList, AdminError> {
    let scope =
        access::key_list_scope(core, caller, q.user_id.as_deref(), q.team_id.as_deref(), q.key_hash.as_deref())?;
    let table = &core.gateway.registry.keys;
    let exact = |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| have == Some(w));
    let text = |want: &Option<String>, have: Option<&str>| match want {
        Some(w) if q.substring => have.is_some_and(|h| contains_folded(h, w)),
        _ => exact(want, have),
    };
    // Reads only what a frozen key shows without thawing: the panel's search passes over a
    // million keys.
    let keep = |k: RowRef<'_, KeyRecord>| {
        let (team, user) = (k.field(Field::Team), k.field(Field::User));
        exact(&q.team_id, team)
            && text(&q.user_id, user)
            && text(&q.key_alias, k.field(Field::Alias))
            && q.key_hash.as_deref().is_none_or(|h| k.id_is(h))
            && scope.as_ref().is_none_or(|s| {
                user == Some(s.user_id.as_str())
                    || (q.include_team_keys && team.is_some_and(|t| s.admin_teams.iter().any(|a| a == t)))
            })
    };
    // The fewest keys that hold every match, oldest first; `None`: all of them.
    let candidates: Option<Vec<Arc<KeyEntry>>> = if let Some(hash) = &q.key_hash {
        Some(table.get(hash).into_iter().collect())
    } else if let Some(alias) = q.key_alias.as_ref().filter(|_| !q.substring) {
        Some(table.with(Field::Alias, alias))
    } else if let Some(user) = q.user_id.as_ref().filter(|_| !q.substring) {
        Some(table.with(Field::User, user))
    } else if let Some(team) = &q.team_id {
        Some(table.with(Field::Team, team))
    } else if let Some(s) = &scope {
        let mut own = table.with(Field::User, &s.user_id);
        if q.include_team_keys {
            own.extend(s.admin_teams.iter().flat_map(|t| table.with(Field::Team, t)));
        }
        own.sort_unstable_by_key(|k| k.listed);
        own.dedup_by_key(|k| k.listed);
        Some(own)
    } else {
        None
    };
    let size = q.size.clamp(1, 1000);
    let skip = (q.page.max(1) - 1).saturating_mul(size);
    let unfiltered = q.key_alias.is_none() && q.user_id.is_none();
    let (total_count, current) = match (q.sort, candidates) {
        (KeySort::CreatedAt, None) => {
            let keep: Keep<'_, KeyRecord> = &keep;
            table.page(!q.ascending, skip, size, (!unfiltered).then_some(keep))
        }
        (KeySort::CreatedAt, Some(mut found)) => {
            found.retain(|k| keep(RowRef::Whole(k)));
            if !q.ascending {
                found.reverse();
            }
            (found.len(), found.into_iter().skip(skip).take(size).collect())
        }
        (sort, Some(mut found)) => {
            found.retain(|k| keep(RowRef::Whole(k)));
            let count = found.len();
            let valued: Vec<_> = found.into_iter().map(|k| ((sort.value(&k), k.listed), k)).collect();
            let (on_page, _) = page_by(valued, q.page, size, |(a, _), (b, _)| {
                let order = a.cmp(b);
                if q.ascending { order } else { order.reverse() }
            });
            (count, on_page.into_iter().map(|(_, k)| k).collect())
        }
        (sort, None) => {
            // Every key: sorted by its value and place alone (frozen keys thawed one at a time),
            // then the page's keys read.
            let mut found: Vec<(SortValue, Listed)> = Vec::new();
            table.each(|k| {
                if keep(RowRef::Whole(k)) {
                    found.push((sort.value(k), k.listed));
                }
            });
            let count = found.len();
            let (on_page, _) = page_by(found, q.page, size, |a, b| {
                let order = a.cmp(b);
                if q.ascending { order } else { order.reverse() }
            });
            let places: Vec<Listed> = on_page.into_iter().map(|(_, place)| place).collect();
            (count, table.at_places(&places))
        }
    };
    let keys_on_page = current
        .iter()
        .map(|k| if q.full { ListedKey::Key(Box::new(key_view(k))) } else { ListedKey::Hash(k.record.token.clone()) })
        .collect();
    Ok(KeyList {
        keys: keys_on_page,
        total_count,
        current_page: q.page.max(1),
        total_pages: total_count.div_ceil(size).max(1),
    })
}

/// `/key/regenerate`: a new clear key (given, or made) replaces `key`, keeping its spend and
/// settings (with the changes `fields` asks for). A non-admin regenerates the keys it may update.
pub async fn regenerate(core: &Core, caller: &Principal, key: &str, fields: &Fields) -> Result<ChangedKey, AdminError> {
    let old = entry_or_404(core, key)?;
    access::check_key_change(core, caller, &old.record, "/key/regenerate")?;
    access::check_key_update(core, caller, &old.record, fields)?;
    let new_key = match fields.get("new_key").and_then(Value::as_str) {
        Some(k) if k.starts_with("sk-") && k.len() >= 16 => k.to_string(),
        Some(_) => return Err(AdminError::invalid("new_key must start with 'sk-'", Some("new_key"))),
        None => generate_key(),
    };
    check_limits(fields)?;
    let mut allowed: Vec<&str> = UPDATABLE.to_vec();
    allowed.extend_from_slice(LIMIT_FIELDS);
    allowed.retain(|f| *f != "key_alias");
    let mut record: KeyRecord = merge(&old.snapshot(), fields, &allowed)?;
    record.token = hash_key(&new_key);
    record.key_name = key_name(&new_key);
    record.updated_at = now();
    if let Some(Value::String(d)) = fields.get("duration") {
        record.expires = Some(ends_after("duration", d)?);
    }
    if core.gateway.registry.keys.get(&record.token).is_some() {
        return Err(AdminError::invalid("new_key is already a key", Some("new_key")));
    }
    // The new key (with the old one's spend) replaces the old one in one transaction: a failure
    // leaves the old key working. The audit log gets two `rotated` rows, one per hash: the old
    // key's history ends there and the new key's starts.
    core.commit_as("rotated", &[Write::Delete(Entity::Key, &old.record.token), Write::Key(&record)]).await?;
    let entry = core.gateway.registry.keys.replace(&old.record.token, record);
    Ok(ChangedKey { view: key_view(&entry), key: new_key })
}

/// `/key/block` and `/key/unblock` (for admins, and the admins of the key's team or its
/// organization).
pub async fn set_blocked(
    core: &Core,
    caller: &Principal,
    fields: &Fields,
    blocked: bool,
) -> Result<KeyView, AdminError> {
    let entry = named_key(core, fields)?;
    access::check_key_admin(core, caller, &entry.record, if blocked { "/key/block" } else { "/key/unblock" })?;
    let mut record = entry.snapshot();
    record.blocked = blocked;
    record.updated_at = now();
    core.commit_as(if blocked { "blocked" } else { "unblocked" }, &[Write::Key(&record)]).await?;
    let entry = core.gateway.registry.keys.put(record);
    Ok(key_view(&entry))
}

/// Deletes one key by its stored token.
pub async fn delete_token(core: &Core, token: &str) -> Result<(), AdminError> {
    core.commit(&[Write::Delete(Entity::Key, token)]).await?;
    core.gateway.registry.keys.remove(token);
    Ok(())
}

/// The keys of a team or a user (`field`: [`Field::Team`], [`Field::User`]), oldest first, as
/// their views show them.
pub(super) fn keys_of(core: &Core, field: Field, id: &str) -> Vec<KeyView> {
    core.gateway.registry.keys.with(field, id).iter().map(|k| key_view(k)).collect()
}
