//! One kind of record in memory, by id, with what the admin lists read: the records in the order
//! they were made, and (for keys) by team, user and alias. A million keys page in milliseconds
//! without a pass over every key, and the request path still finds a key with one lookup.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hash::BuildHasher;
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hashbrown::{DefaultHashBuilder, HashTable};
use parking_lot::{Mutex, RwLock};

use crate::limits::{BudgetDuration, Counters, parse_duration};
use crate::store::{EndUserRecord, KeyRecord, Limits, OrganizationLimits, TeamMemberLimits, TeamRecord, UserRecord};
use crate::time::{format_time, parse_time};

/// A record with its live counters. Counters outlive record updates.
#[derive(Debug)]
pub struct Tracked<R> {
    pub record: R,
    pub counters: Arc<Counters>,
    pub budget_duration: Option<BudgetDuration>,
    /// Parsed `expires` (keys only).
    pub expires_at: Option<DateTime<Utc>>,
    /// Where the record stands in lists.
    pub listed: Listed,
}

/// A record's place in lists: when it was made, then when it came into the table (records made
/// in the same millisecond keep the order they came in). Kept across updates of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Listed {
    made_ms: i64,
    arrival: u64,
}

/// A field lists filter on by its exact value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Team,
    User,
    Alias,
}

/// What the registry needs to know about a record.
pub trait Governed: Clone {
    fn id(&self) -> &str;
    fn limits(&self) -> &Limits;
    fn limits_mut(&mut self) -> &mut Limits;
    fn spend(&self) -> f64;
    fn set_spend(&mut self, spend: f64);
    fn expires(&self) -> Option<&str> {
        None
    }
    /// When an admin last changed the record (RFC 3339, milliseconds), for those that say.
    fn updated_at(&self) -> Option<&str> {
        None
    }
    /// When the record was made (RFC 3339), for those the registry lists in that order.
    fn created_at(&self) -> Option<&str> {
        None
    }
    /// The value of a field lists filter on, for those the registry indexes by it.
    fn field(&self, _field: Field) -> Option<&str> {
        None
    }
}

macro_rules! governed {
    ($t:ty, $id:ident $(, updated: $updated:ident)? $(, { $($more:tt)* })?) => {
        impl Governed for $t {
            fn id(&self) -> &str {
                &self.$id
            }
            fn limits(&self) -> &Limits {
                &self.limits
            }
            fn limits_mut(&mut self) -> &mut Limits {
                &mut self.limits
            }
            fn spend(&self) -> f64 {
                self.spend
            }
            fn set_spend(&mut self, spend: f64) {
                self.spend = spend;
            }
            $(fn updated_at(&self) -> Option<&str> {
                Some(self.$updated.as_str())
            })?
            $($($more)*)?
        }
    };
}

governed!(TeamRecord, team_id, updated: updated_at);
governed!(UserRecord, user_id, updated: updated_at);
governed!(EndUserRecord, user_id, updated: updated_at);
governed!(OrganizationLimits, organization_id);
governed!(TeamMemberLimits, id);

// Keys are the records that come by the million: listed by when they were made, and found by
// team, user and alias without a pass over all of them.
governed!(KeyRecord, token, updated: updated_at, {
    fn expires(&self) -> Option<&str> {
        self.expires.as_deref()
    }
    fn created_at(&self) -> Option<&str> {
        Some(&self.created_at)
    }
    fn field(&self, field: Field) -> Option<&str> {
        match field {
            Field::Team => self.team_id.as_deref(),
            Field::User => self.user_id.as_deref(),
            Field::Alias => self.key_alias.as_deref(),
        }
    }
});

impl<R: Governed> Tracked<R> {
    /// The record as the admin API shows it: live spend and next reset.
    pub fn snapshot(&self) -> R {
        let mut r = self.record.clone();
        r.set_spend(self.counters.spend());
        r.limits_mut().budget_reset_at = self.counters.reset_at().map(format_time);
        r
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

type Row<R> = Arc<Tracked<R>>;

/// Which rows a pass over a list keeps.
pub type Keep<'a, R> = &'a dyn Fn(&Tracked<R>) -> bool;

struct Rows<R> {
    /// By id; the id is the record's own (not a second copy of it).
    by_id: HashTable<Row<R>>,
    /// In list order, for the kinds that say when they were made.
    by_listed: BTreeMap<Listed, Row<R>>,
    /// By each [`Field`]'s value (rows without the field are not there): several rows per value.
    by_field: ByField<R>,
    arrivals: u64,
}

/// One kind of record, by id.
pub struct Table<R> {
    rows: RwLock<Rows<R>>,
    hasher: DefaultHashBuilder,
    /// When budget periods end, soonest first, so that ending them visits only the due ones
    /// (not a million keys a second). An id may be there more than once, or for a period since
    /// changed: [`Table::due`] hands out entries, whose counters say whether they are due.
    resets: Mutex<BinaryHeap<Reverse<(i64, String)>>>,
}

impl<R: Governed> Default for Table<R> {
    fn default() -> Self {
        Self {
            rows: RwLock::new(Rows {
                by_id: HashTable::new(),
                by_listed: BTreeMap::new(),
                by_field: ByField { team: BTreeMap::new(), user: BTreeMap::new(), alias: HashTable::new() },
                arrivals: 0,
            }),
            hasher: DefaultHashBuilder::default(),
            resets: Mutex::new(BinaryHeap::new()),
        }
    }
}

/// How many rows a pass over a list reads per lock: the request path's lookups (which share
/// the lock) wait at most for one chunk, not for a million rows.
const CHUNK: usize = 4096;

/// Rows by the value of a field, in list order within a value. Ordered by the value's hash,
/// then the row's place: a team's hundred thousand keys are a range, added and removed in
/// O(log n) (a hash table would probe past all the keys of one value on every insert).
/// Several values may share a hash: readers compare the value.
type ByValue<R> = BTreeMap<(u64, Listed), Row<R>>;

struct ByField<R> {
    team: ByValue<R>,
    user: ByValue<R>,
    /// Aliases are unique (the database's unique index): a hash table, cheaper to fill when a
    /// million keys load.
    alias: HashTable<Row<R>>,
}

impl<R> ByField<R> {
    /// The ordered index of the team or the user.
    fn ordered_mut(&mut self, field: Field) -> &mut ByValue<R> {
        match field {
            Field::User => &mut self.user,
            Field::Team | Field::Alias => &mut self.team,
        }
    }
}

impl<R: Governed> Rows<R> {
    fn find(&self, hash: u64, id: &str) -> Option<&Row<R>> {
        self.by_id.find(hash, |row| row.record.id() == id)
    }

    fn insert(&mut self, hasher: &DefaultHashBuilder, row: Row<R>) {
        let id_hash = hasher.hash_one(row.record.id());
        self.by_id.insert_unique(id_hash, row.clone(), |r| hasher.hash_one(r.record.id()));
        if row.record.created_at().is_some() {
            self.by_listed.insert(row.listed, row.clone());
        }
        for field in [Field::Team, Field::User] {
            if let Some(value) = row.record.field(field) {
                self.by_field.ordered_mut(field).insert((hasher.hash_one(value), row.listed), row.clone());
            }
        }
        if let Some(alias) = row.record.field(Field::Alias) {
            self.by_field.alias.insert_unique(hasher.hash_one(alias), row.clone(), |r| {
                hasher.hash_one(r.record.field(Field::Alias).unwrap_or_default())
            });
        }
    }

    fn remove(&mut self, hasher: &DefaultHashBuilder, id: &str) -> Option<Row<R>> {
        let entry = self.by_id.find_entry(hasher.hash_one(id), |row| row.record.id() == id).ok()?;
        let (row, _) = entry.remove();
        if row.record.created_at().is_some() {
            self.by_listed.remove(&row.listed);
        }
        for field in [Field::Team, Field::User] {
            if let Some(value) = row.record.field(field) {
                self.by_field.ordered_mut(field).remove(&(hasher.hash_one(value), row.listed));
            }
        }
        if let Some(alias) = row.record.field(Field::Alias)
            && let Ok(found) = self.by_field.alias.find_entry(hasher.hash_one(alias), |r| Arc::ptr_eq(r, &row))
        {
            found.remove();
        }
        Some(row)
    }

    fn next_arrival(&mut self) -> u64 {
        self.arrivals += 1;
        self.arrivals
    }
}

fn listed_at<R: Governed>(record: &R, arrival: u64) -> Listed {
    let made_ms = record.created_at().and_then(parse_time).map_or(0, |t| t.timestamp_millis());
    Listed { made_ms, arrival }
}

impl<R: Governed> Table<R> {
    pub fn get(&self, id: &str) -> Option<Arc<Tracked<R>>> {
        let hash = self.hasher.hash_one(id);
        self.rows.read().find(hash, id).cloned()
    }

    /// Inserts or replaces a record. An existing entry's counters are kept (its spend and
    /// windows go on); a new entry starts from the record's spend.
    pub fn put(&self, record: R) -> Arc<Tracked<R>> {
        let budget_duration = record.limits().budget_duration.as_deref().and_then(|d| parse_duration(d).ok());
        let reset_at = record.limits().budget_reset_at.as_deref().and_then(parse_time);
        let expires_at = record.expires().and_then(parse_time);
        let mut rows = self.rows.write();
        let (counters, arrival) = match rows.remove(&self.hasher, record.id()) {
            Some(old) => {
                let c = old.counters.clone();
                if old.record.limits().budget_duration != record.limits().budget_duration
                    || old.record.limits().budget_reset_at != record.limits().budget_reset_at
                {
                    c.set_spend(c.spend(), reset_at);
                }
                (c, old.listed.arrival)
            }
            None => (Arc::new(Counters::new(record.spend(), reset_at)), rows.next_arrival()),
        };
        let listed = listed_at(&record, arrival);
        let entry = Arc::new(Tracked { record, counters, budget_duration, expires_at, listed });
        rows.insert(&self.hasher, entry.clone());
        drop(rows);
        self.schedule(&entry);
        entry
    }

    /// [`Table::put`], unless the entry here was changed after `record` (read from the database
    /// before a change made here): the newer one stays. Whether `record` was put.
    pub fn put_unless_newer(&self, record: R) -> bool {
        let newer_here = self.newer_than(&record);
        if !newer_here {
            self.put(record);
        }
        !newer_here
    }

    /// Whether the entry for `record` here was changed after `record` (both say when).
    pub fn newer_than(&self, record: &R) -> bool {
        self.get(record.id()).is_some_and(
            |here| matches!((here.record.updated_at(), record.updated_at()), (Some(here), Some(read)) if here > read),
        )
    }

    /// Replaces the record `old_id` with `record` under its own id (a regenerated key), keeping
    /// the live counters and the place in lists: calls in flight on the old key are charged to
    /// the new one.
    pub fn replace(&self, old_id: &str, record: R) -> Arc<Tracked<R>> {
        let mut rows = self.rows.write();
        let (counters, arrival) = match rows.remove(&self.hasher, old_id) {
            Some(old) => (old.counters.clone(), old.listed.arrival),
            None => (
                Arc::new(Counters::new(
                    record.spend(),
                    record.limits().budget_reset_at.as_deref().and_then(parse_time),
                )),
                rows.next_arrival(),
            ),
        };
        // The new id may have been here already (a replica told of it first).
        rows.remove(&self.hasher, record.id());
        let entry = Arc::new(Tracked {
            budget_duration: record.limits().budget_duration.as_deref().and_then(|d| parse_duration(d).ok()),
            expires_at: record.expires().and_then(parse_time),
            listed: listed_at(&record, arrival),
            record,
            counters,
        });
        rows.insert(&self.hasher, entry.clone());
        drop(rows);
        self.schedule(&entry);
        entry
    }

    /// The entry for `id`, made from `make` if there is none yet (one lock when it exists).
    pub fn get_or_put(&self, id: &str, make: impl FnOnce() -> R) -> Arc<Tracked<R>> {
        if let Some(entry) = self.get(id) {
            return entry;
        }
        let hash = self.hasher.hash_one(id);
        let mut rows = self.rows.write();
        if let Some(entry) = rows.find(hash, id) {
            return entry.clone();
        }
        let record = make();
        let reset_at = record.limits().budget_reset_at.as_deref().and_then(parse_time);
        let arrival = rows.next_arrival();
        let entry = Arc::new(Tracked {
            budget_duration: record.limits().budget_duration.as_deref().and_then(|d| parse_duration(d).ok()),
            expires_at: None,
            counters: Arc::new(Counters::new(record.spend(), reset_at)),
            listed: listed_at(&record, arrival),
            record,
        });
        rows.insert(&self.hasher, entry.clone());
        drop(rows);
        self.schedule(&entry);
        entry
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Tracked<R>>> {
        self.rows.write().remove(&self.hasher, id)
    }

    /// Notes when the entry's budget period ends (its counters say), for [`Table::due`]. Call
    /// it when something sets a period's end other than [`Table::put`].
    pub fn schedule(&self, entry: &Tracked<R>) {
        if let Some(at) = entry.counters.reset_at() {
            self.resets.lock().push(Reverse((at.timestamp(), entry.record.id().to_string())));
        }
    }

    /// The entries whose budget period may have ended by `now` (each once). Those still in a
    /// period are scheduled again by whoever rolls them ([`Table::schedule`]).
    pub fn due(&self, now: DateTime<Utc>) -> Vec<Arc<Tracked<R>>> {
        let mut ids = Vec::new();
        {
            let mut resets = self.resets.lock();
            while resets.peek().is_some_and(|Reverse((at, _))| *at <= now.timestamp()) {
                if let Some(Reverse((_, id))) = resets.pop() {
                    ids.push(id);
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids.iter().filter_map(|id| self.get(id)).collect()
    }

    /// Room for `n` more rows (a boot with a million keys grows the table once).
    pub fn reserve(&self, n: usize) {
        let mut rows = self.rows.write();
        let hasher = &self.hasher;
        rows.by_id.reserve(n, |r| hasher.hash_one(r.record.id()));
    }

    pub fn len(&self) -> usize {
        self.rows.read().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn all(&self) -> Vec<Arc<Tracked<R>>> {
        self.rows.read().by_id.iter().cloned().collect()
    }

    /// The rows whose `field` is `value`, in list order (oldest first).
    pub fn with(&self, field: Field, value: &str) -> Vec<Arc<Tracked<R>>> {
        let hash = self.hasher.hash_one(value);
        let rows = self.rows.read();
        let is_match = |r: &&Row<R>| r.record.field(field) == Some(value);
        let ordered = match field {
            Field::Team => &rows.by_field.team,
            Field::User => &rows.by_field.user,
            Field::Alias => {
                let mut found: Vec<Row<R>> = rows.by_field.alias.iter_hash(hash).filter(is_match).cloned().collect();
                drop(rows);
                found.sort_unstable_by_key(|r| r.listed);
                return found;
            }
        };
        let (first, last) = (Listed { made_ms: i64::MIN, arrival: 0 }, Listed { made_ms: i64::MAX, arrival: u64::MAX });
        ordered.range((hash, first)..=(hash, last)).map(|(_, row)| row).filter(is_match).cloned().collect()
    }

    /// A page of the rows `keep` accepts (every row without it), in list order (newest first
    /// with `newest_first`): how many rows it accepts in all, and the `take` of them after the
    /// first `skip`. Without `keep` the count is the table's; with it, a pass over the list, a
    /// chunk of rows per lock.
    pub fn page(
        &self,
        newest_first: bool,
        skip: usize,
        take: usize,
        keep: Option<Keep<'_, R>>,
    ) -> (usize, Vec<Arc<Tracked<R>>>) {
        let mut matched = 0usize;
        let mut page = Vec::new();
        let mut after: Option<Listed> = None;
        loop {
            let rows = self.rows.read();
            let range = match after {
                None => (Bound::Unbounded, Bound::Unbounded),
                Some(at) if newest_first => (Bound::Unbounded, Bound::Excluded(at)),
                Some(at) => (Bound::Excluded(at), Bound::Unbounded),
            };
            let mut chunk = rows.by_listed.range(range);
            let mut read = 0;
            while read < CHUNK {
                let next = if newest_first { chunk.next_back() } else { chunk.next() };
                let Some((at, row)) = next else {
                    return (matched, page);
                };
                read += 1;
                after = Some(*at);
                if keep.is_some_and(|keep| !keep(row)) {
                    continue;
                }
                if matched >= skip && page.len() < take {
                    page.push(row.clone());
                }
                matched += 1;
                if keep.is_none() && page.len() == take {
                    return (rows.by_listed.len(), page);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_entries_whose_period_ended_are_due() {
        let table: Table<KeyRecord> = Table::default();
        let key = |token: &str, reset: Option<&str>| KeyRecord {
            token: token.into(),
            limits: crate::store::Limits {
                budget_duration: reset.map(|_| "1d".into()),
                budget_reset_at: reset.map(str::to_string),
                ..Default::default()
            },
            ..Default::default()
        };
        table.put(key("ended", Some("2026-12-01T00:00:00.000Z")));
        table.put(key("later", Some("2026-12-09T00:00:00.000Z")));
        table.put(key("none", None));
        // Put twice: still handed out once.
        table.put(key("ended", Some("2026-12-01T00:00:00.000Z")));
        let now = parse_time("2026-12-05T12:00:00.000Z").unwrap();
        let due: Vec<String> = table.due(now).iter().map(|e| e.record.token.clone()).collect();
        assert_eq!(due, ["ended"]);
        assert!(table.due(now).is_empty(), "handed out; scheduled again by whoever rolls it");
        let ended = table.get("ended").unwrap();
        ended.counters.roll_budget(ended.budget_duration.as_ref(), now);
        table.schedule(&ended);
        assert!(table.due(now).is_empty(), "its next period ends tomorrow");
        let later = parse_time("2026-12-09T00:00:01.000Z").unwrap();
        let due: Vec<String> = table.due(later).iter().map(|e| e.record.token.clone()).collect();
        assert_eq!(due, ["ended", "later"]);
    }

    /// A team of twenty thousand keys (all one value in the team index) next to keys of other
    /// teams: its keys come back in list order, and removing half leaves the other half.
    #[test]
    fn a_big_team_is_a_range_of_its_index() {
        let table: Table<KeyRecord> = Table::default();
        for n in 0..20_000u32 {
            let team = if n % 4 == 3 { format!("small-{n}") } else { "big".to_string() };
            let mut key = made(&format!("k{n:05}"), "2026-11-01T00:00:00.000Z", Some(&team), None);
            key.user_id = Some(format!("user-{}", n % 7));
            table.put(key);
        }
        let big = table.with(Field::Team, "big");
        assert_eq!(big.len(), 15_000);
        assert!(big.windows(2).all(|w| w[0].listed < w[1].listed), "in the order they came");
        assert_eq!(tokens(&table.with(Field::Team, "small-3")), ["k00003"]);
        assert_eq!(table.with(Field::User, "user-0").len(), 2858);
        for row in big.iter().step_by(2) {
            table.remove(&row.record.token);
        }
        assert_eq!(table.with(Field::Team, "big").len(), 7_500);
        assert!(table.with(Field::Team, "big").iter().all(|r| table.get(&r.record.token).is_some()));
        assert_eq!(table.with(Field::User, "user-0").len() + table.with(Field::User, "user-1").len(), 3572);
    }

    /// A panic while the table's lock is held (a bug anywhere) must not lock every key out.
    #[test]
    fn a_panic_under_the_lock_does_not_disable_the_table() {
        let table = Arc::new(Table::<KeyRecord>::default());
        table.put(KeyRecord { token: "k".into(), ..Default::default() });
        let held = table.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = held.rows.write();
            panic!("a bug while the registry is locked");
        })
        .join();
        assert!(panicked.is_err());
        assert!(table.get("k").is_some(), "keys are still found");
        table.put(KeyRecord { token: "k2".into(), ..Default::default() });
        assert_eq!(table.all().len(), 2);
    }

    fn made(token: &str, at: &str, team: Option<&str>, alias: Option<&str>) -> KeyRecord {
        KeyRecord {
            token: token.into(),
            created_at: at.into(),
            team_id: team.map(str::to_string),
            key_alias: alias.map(str::to_string),
            ..Default::default()
        }
    }

    fn tokens(rows: &[Arc<Tracked<KeyRecord>>]) -> Vec<&str> {
        rows.iter().map(|r| r.record.token.as_str()).collect()
    }

    /// A list of a thousand keys, paged from either end, with and without a filter, against
    /// the same list sorted the plain way; and its indexes kept in step by updates, renames,
    /// a replacement and a removal.
    #[test]
    fn pages_come_in_the_order_keys_were_made() {
        let table: Table<KeyRecord> = Table::default();
        // Out of order, and ten keys to a millisecond: those keep the order they came in.
        let mut made_at = Vec::new();
        for n in (0..1000u32).rev() {
            let at = format!("2026-11-01T00:00:{:02}.{:03}Z", n / 100 % 60, n / 10);
            let team = (n % 3 == 0).then_some("t3");
            let token = format!("k{n:04}");
            table.put(made(&token, &at, team, Some(&format!("alias-{n}"))));
            made_at.push((at, token));
        }
        // Oldest first: by time, then arrival (the loop put the higher numbers first).
        let mut by_time: Vec<(String, usize, String)> =
            made_at.into_iter().enumerate().map(|(arrived, (at, token))| (at, arrived, token)).collect();
        by_time.sort();
        let sorted: Vec<String> = by_time.into_iter().map(|(_, _, token)| token).collect();
        let (count, page) = table.page(false, 0, 5, None);
        assert_eq!((count, tokens(&page)), (1000, sorted[..5].iter().map(String::as_str).collect()));
        // Past a chunk boundary, newest first.
        let (count, page) = table.page(true, 4094, 4, None);
        assert_eq!(count, 1000);
        assert!(page.is_empty(), "past the end");
        let (_, page) = table.page(true, 990, 20, None);
        let newest: Vec<&str> = sorted.iter().rev().map(String::as_str).collect();
        assert_eq!(tokens(&page), newest[990..]);
        // With a filter: the count is of the matches.
        let in_t3 = |r: &Tracked<KeyRecord>| r.record.team_id.as_deref() == Some("t3");
        let (count, page) = table.page(true, 10, 3, Some(&in_t3));
        let want_t3: Vec<&str> = newest.iter().copied().filter(|t| t[1..].parse::<u32>().unwrap() % 3 == 0).collect();
        assert_eq!((count, tokens(&page)), (want_t3.len(), want_t3[10..13].to_vec()));
        assert_eq!(tokens(&table.with(Field::Team, "t3")).len(), 334);
        assert_eq!(tokens(&table.with(Field::Alias, "alias-7")), ["k0007"]);
        assert!(table.with(Field::User, "nobody").is_empty());

        // An update keeps the key's place; a new team and alias move it between indexes.
        let first = table.page(false, 0, 1, None).1.remove(0);
        let mut moved = first.record.clone();
        moved.team_id = Some("t9".into());
        moved.key_alias = Some("renamed".into());
        table.put(moved);
        assert_eq!(tokens(&table.page(false, 0, 1, None).1), [first.record.token.as_str()]);
        assert_eq!(tokens(&table.with(Field::Team, "t9")), [first.record.token.as_str()]);
        assert!(table.with(Field::Alias, first.record.key_alias.as_deref().unwrap()).is_empty());
        // A regenerated key takes the old one's place under its new id.
        let mut regenerated = table.get(&first.record.token).unwrap().record.clone();
        regenerated.token = "fresh".into();
        table.replace(&first.record.token, regenerated);
        assert!(table.get(&first.record.token).is_none());
        assert_eq!(tokens(&table.page(false, 0, 1, None).1), ["fresh"]);
        assert_eq!(tokens(&table.with(Field::Team, "t9")), ["fresh"]);
        table.remove("fresh");
        assert!(table.with(Field::Alias, "renamed").is_empty() && table.with(Field::Team, "t9").is_empty());
        assert_eq!((table.len(), table.page(false, 0, 0, None).0), (999, 999));
        assert_eq!(table.all().len(), 999);
    }
}
