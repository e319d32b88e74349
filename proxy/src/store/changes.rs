//! What one replica tells the others sharing its PostgreSQL database (`LISTEN/NOTIFY` on one
//! channel): the records an admin write changed, a spend set anew (a budget period ended), and
//! the spend each flush of the spend writer added. A notice is sent inside the transaction of
//! its write, so the others hear of it when, and only if, the write commits. SQLite has one
//! process: nothing is sent.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::{Entity, Totals, Write};

/// The channel of the replicas using `schema` (NOTIFY reaches every session of the database).
pub fn channel(schema: &str) -> String {
    let channel = format!("switchboard_changes:{schema}");
    if channel.len() <= MAX_CHANNEL {
        return channel;
    }
    // PostgreSQL refuses a longer channel name (and LISTEN would cut it short): a long schema
    // name is named by its hash instead, the same on every replica.
    use sha2::Digest;
    let hash = sha2::Sha256::digest(schema.as_bytes());
    let hex: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("switchboard_changes:{hex}")
}

/// PostgreSQL's longest identifier (NAMEDATALEN - 1), in bytes.
const MAX_CHANNEL: usize = 63;

/// PostgreSQL refuses a payload of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7000;

/// This process, among the replicas: its own notices come back to it and are skipped.
pub fn replica_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::new_v4().simple().to_string())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub from: String,
    #[serde(flatten)]
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// Records to read again (or to drop where they are gone).
    Changed { records: Vec<(Entity, String)> },
    /// An entity's spend and next reset, set rather than added.
    SpendSet { entity: Entity, id: String, spend: f64, reset_at: Option<String> },
    /// A replica says it is up (every few seconds), for the list of replicas.
    Heartbeat { host: String, version: String, started_at: String },
    /// Spend a flush added: per entity, and per (team, user) membership.
    SpendAdded {
        #[serde(default)]
        entities: Vec<(Entity, String, f64)>,
        #[serde(default)]
        members: Vec<(String, String, f64)>,
    },
}

/// The payloads telling of `writes`, each under PostgreSQL's limit.
pub fn written(writes: &[Write<'_>]) -> Vec<String> {
    let records: Vec<(Entity, String)> = writes
        .iter()
        .map(|w| {
            let (entity, id) = w.target();
            (entity, id.to_string())
        })
        .collect();
    payloads(records, |records| What::Changed { records })
}

/// The payload of this replica's heartbeat.
pub fn heartbeat(host: &str, started_at: &str) -> Vec<String> {
    let what = What::Heartbeat {
        host: host.to_string(),
        version: crate::VERSION.to_string(),
        started_at: started_at.to_string(),
    };
    serde_json::to_string(&Notice { from: replica_id().to_string(), what }).into_iter().collect()
}

/// The payload of a spend set anew.
pub fn spend_set(entity: Entity, id: &str, spend: f64, reset_at: Option<&str>) -> Vec<String> {
    let what = What::SpendSet { entity, id: id.to_string(), spend, reset_at: reset_at.map(str::to_string) };
    serde_json::to_string(&Notice { from: replica_id().to_string(), what }).into_iter().collect()
}

/// The payloads of what a flush added.
pub fn spend_added(totals: &Totals) -> Vec<String> {
    let mut entities: Vec<(Entity, String, f64)> = Vec::new();
    entities.extend(totals.keys.iter().map(|(id, (spend, _))| (Entity::Key, id.clone(), *spend)));
    entities.extend(totals.teams.iter().map(|(id, spend)| (Entity::Team, id.clone(), *spend)));
    entities.extend(totals.users.iter().map(|(id, spend)| (Entity::User, id.clone(), *spend)));
    entities.extend(totals.end_users.iter().map(|(id, (spend, _))| (Entity::EndUser, id.clone(), *spend)));
    entities.extend(totals.organizations.iter().map(|(id, spend)| (Entity::Organization, id.clone(), *spend)));
    let mut out = payloads(entities, |entities| What::SpendAdded { entities, members: Vec::new() });
    let members: Vec<(String, String, f64)> =
        totals.team_members.iter().map(|((team, user), spend)| (team.clone(), user.clone(), *spend)).collect();
    out.extend(payloads(members, |members| What::SpendAdded { entities: Vec::new(), members }));
    out
}

/// `items` cut into notices of at most [`MAX_PAYLOAD`] bytes each.
fn payloads<T: Serialize>(items: Vec<T>, what: impl Fn(Vec<T>) -> What) -> Vec<String> {
    let mut out = Vec::new();
    let mut batch = Vec::new();
    let mut size = 0;
    let from = replica_id();
    let envelope = 100 + from.len();
    for item in items {
        let item_size = serde_json::to_string(&item).map_or(0, |s| s.len() + 1);
        if !batch.is_empty() && envelope + size + item_size > MAX_PAYLOAD {
            out.extend(serde_json::to_string(&Notice {
                from: from.to_string(),
                what: what(std::mem::take(&mut batch)),
            }));
            size = 0;
        }
        size += item_size;
        batch.push(item);
    }
    if !batch.is_empty() {
        out.extend(serde_json::to_string(&Notice { from: from.to_string(), what: what(batch) }));
    }
    out
}

/// Sends `payloads` on `channel` within `conn`'s transaction.
pub async fn send(conn: &mut sqlx::AnyConnection, channel: &str, payloads: &[String]) -> Result<(), sqlx::Error> {
    for payload in payloads {
        sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_schema_gets_a_channel_postgres_takes() {
        assert_eq!(channel("public"), "switchboard_changes:public");
        let long = "bench_switchboard_vkey_openai_2replicas_2000_123456789";
        let named = channel(long);
        assert!(named.len() <= MAX_CHANNEL, "{named}");
        assert_eq!(named, channel(long), "the same on every replica");
        assert_ne!(named, channel(&format!("{long}0")));
    }
    use crate::store::records::KeyRecord;

    #[test]
    fn a_large_write_is_cut_under_postgres_s_limit_and_read_back_whole() {
        let keys: Vec<KeyRecord> =
            (0..400).map(|i| KeyRecord { token: format!("{i:064x}"), ..Default::default() }).collect();
        let writes: Vec<Write<'_>> = keys.iter().map(Write::Key).collect();
        let payloads = written(&writes);
        assert!(payloads.len() > 1, "{} bytes in one", payloads[0].len());
        let mut back = Vec::new();
        for p in &payloads {
            assert!(p.len() < MAX_PAYLOAD + 200, "{}", p.len());
            let notice: Notice = serde_json::from_str(p).unwrap();
            assert_eq!(notice.from, replica_id());
            let What::Changed { records } = notice.what else { panic!("{p}") };
            back.extend(records);
        }
        assert_eq!(back.len(), 400);
        assert_eq!(back[399], (Entity::Key, format!("{:064x}", 399)));
    }

    #[test]
    fn spend_added_names_each_entity_and_membership() {
        let mut totals = Totals::default();
        totals.keys.insert("k".into(), (0.25, "t".into()));
        totals.teams.insert("team".into(), 0.5);
        totals.team_members.insert(("team".into(), "u".into()), 0.5);
        let notices: Vec<Notice> = spend_added(&totals).iter().map(|p| serde_json::from_str(p).unwrap()).collect();
        assert_eq!(notices.len(), 2);
        let What::SpendAdded { entities, .. } = &notices[0].what else { panic!() };
        assert!(
            entities.contains(&(Entity::Key, "k".into(), 0.25))
                && entities.contains(&(Entity::Team, "team".into(), 0.5))
        );
        let What::SpendAdded { members, .. } = &notices[1].what else { panic!() };
        assert_eq!(members, &[("team".to_string(), "u".to_string(), 0.5)]);
        assert!(spend_added(&Totals::default()).is_empty());
    }
}
