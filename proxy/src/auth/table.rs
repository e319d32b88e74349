//! One kind of record in memory, by id, with what the admin lists read: the records in the order
//! they were made, and (for keys) by team, user and alias. A million keys page in milliseconds
//! without a pass over every key, and the request path still finds a key with one lookup.
//! Keys no caller has used yet are kept frozen ([`super::frozen`]) until one needs them.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hash::BuildHasher;
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hashbrown::{DefaultHashBuilder, HashTable};
use parking_lot::{Mutex, RwLock};

use super::frozen::{self, Frozen, Head, Reader, Writer};
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
    pub(super) made_ms: i64,
    pub(super) arrival: u64,
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
    /// Writes what a [`Frozen`] row's head lacks, for the kinds that come by the million;
    /// `false`: this kind is always kept whole.
    fn freeze_body(&self, _out: &mut Writer) -> bool {
        false
    }
    /// The record from a [`Frozen`] row's head and the body [`Governed::freeze_body`] wrote.
    fn thaw(_head: Head, _body: &mut Reader<'_>) -> Option<Self> {
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

// Keys are the records that come by the million: listed by when they were made, found by
// team, user and alias without a pass over all of them, and frozen until a caller needs them.
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
    fn freeze_body(&self, out: &mut Writer) -> bool {
        frozen::freeze_key(self, out);
        true
    }
    fn thaw(head: Head, body: &mut Reader<'_>) -> Option<Self> {
        frozen::thaw_key(head, body)
    }
});

impl<R: Governed> Tracked<R> {
    fn new(record: R, counters: Arc<Counters>, listed: Listed) -> Self {
        Tracked {
            budget_duration: record.limits().budget_duration.as_deref().and_then(|d| parse_duration(d).ok()),
            expires_at: record.expires().and_then(parse_time),
            listed,
            counters,
            record,
        }
    }

    /// With counters that start from the record's spend and next reset.
    fn fresh(record: R, listed: Listed) -> Self {
        let reset_at = record.limits().budget_reset_at.as_deref().and_then(parse_time);
        let counters = Arc::new(Counters::new(record.spend(), reset_at));
        Tracked::new(record, counters, listed)
    }

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

/// A row as it is kept: whole once a caller used it, frozen until then (keys).
enum Slot<R> {
    Whole(Row<R>),
    Frozen(Frozen),
    Free,
}

impl<R: Governed> Slot<R> {
    fn id_is(&self, id: &str) -> bool {
        match self {
            Slot::Whole(row) => row.record.id() == id,
            Slot::Frozen(frozen) => frozen.id_is(id),
            Slot::Free => false,
        }
    }

    fn hash_id(&self, hasher: &DefaultHashBuilder) -> u64 {
        match self {
            Slot::Whole(row) => hasher.hash_one(row.record.id()),
            Slot::Frozen(frozen) => frozen.with_id(|id| hasher.hash_one(id)),
            Slot::Free => 0,
        }
    }

    fn peek(&self) -> Option<RowRef<'_, R>> {
        match self {
            Slot::Whole(row) => Some(RowRef::Whole(row)),
            Slot::Frozen(frozen) => Some(RowRef::Frozen(frozen)),
            Slot::Free => None,
        }
    }

    fn field(&self, field: Field) -> Option<&str> {
        self.peek().and_then(|row| row.field(field))
    }

    /// The team, user and alias (read once from a frozen row).
    fn fields(&self) -> [Option<&str>; 3] {
        match self {
            Slot::Whole(row) => [Field::Team, Field::User, Field::Alias].map(|f| row.record.field(f)),
            Slot::Frozen(frozen) => frozen.fields(),
            Slot::Free => [None; 3],
        }
    }

    fn listed(&self) -> Listed {
        match self {
            Slot::Whole(row) => row.listed,
            Slot::Frozen(frozen) => frozen.listed(),
            Slot::Free => Listed { made_ms: 0, arrival: 0 },
        }
    }

    /// Whether the row is in the list of when records were made (the kinds that say).
    fn in_list_order(&self) -> bool {
        match self {
            Slot::Whole(row) => row.record.created_at().is_some(),
            Slot::Frozen(_) => true,
            Slot::Free => false,
        }
    }

    /// The row: the table's own when whole, a copy thawed for the caller when frozen.
    fn row(&self) -> Option<Row<R>> {
        match self {
            Slot::Whole(row) => Some(row.clone()),
            Slot::Frozen(frozen) => thaw(frozen).map(Arc::new),
            Slot::Free => None,
        }
    }
}

fn thaw<R: Governed>(frozen: &Frozen) -> Option<Tracked<R>> {
    let Some(record) = frozen.thaw::<R>() else {
        // Frozen::of writes only what reads back; this would be a bug, not bad data.
        tracing::error!("registry: a frozen row did not read back ({} bytes)", frozen.size());
        return None;
    };
    Some(Tracked::fresh(record, frozen.listed()))
}

/// What a list's filter reads of a row without thawing it: its id and indexed fields.
pub enum RowRef<'a, R> {
    Whole(&'a Tracked<R>),
    Frozen(&'a Frozen),
}

impl<'a, R: Governed> RowRef<'a, R> {
    pub fn id_is(&self, id: &str) -> bool {
        match self {
            RowRef::Whole(row) => row.record.id() == id,
            RowRef::Frozen(frozen) => frozen.id_is(id),
        }
    }

    pub fn field(&self, field: Field) -> Option<&'a str> {
        match self {
            RowRef::Whole(row) => row.record.field(field),
            RowRef::Frozen(frozen) => frozen.field(field),
        }
    }
}

/// Which rows a pass over a list keeps.
pub type Keep<'a, R> = &'a dyn Fn(RowRef<'_, R>) -> bool;

/// Where a row is in [`Rows::slots`]: four bytes in every index rather than a pointer's eight.
type At = u32;

struct Rows<R> {
    slots: Vec<Slot<R>>,
    /// Slots of removed rows, for the next ones.
    free: Vec<At>,
    /// By id; the id is the row's own (not a second copy of it).
    by_id: HashTable<At>,
    /// In list order, for the kinds that say when they were made.
    by_listed: BTreeMap<Listed, At>,
    /// By each [`Field`]'s value (rows without the field are not there): several rows per value.
    by_field: ByField,
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
                slots: Vec::new(),
                free: Vec::new(),
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
type ByValue = BTreeMap<(u64, Listed), At>;

struct ByField {
    team: ByValue,
    user: ByValue,
    /// Aliases are unique (the database's unique index): a hash table, cheaper to fill when a
    /// million keys load.
    alias: HashTable<At>,
}

impl ByField {
    /// The ordered index of the team or the user.
    fn ordered_mut(&mut self, field: Field) -> &mut ByValue {
        match field {
            Field::User => &mut self.user,
            Field::Team | Field::Alias => &mut self.team,
        }
    }
}

fn slot_at<R>(slots: &[Slot<R>], at: At) -> Option<&Slot<R>> {
    slots.get(at as usize)
}

impl<R: Governed> Rows<R> {
    fn slot(&self, at: At) -> Option<&Slot<R>> {
        slot_at(&self.slots, at)
    }

    fn find(&self, hash: u64, id: &str) -> Option<At> {
        let slots = &self.slots;
        self.by_id.find(hash, |&at| slot_at(slots, at).is_some_and(|s| s.id_is(id))).copied()
    }

    fn insert(&mut self, hasher: &DefaultHashBuilder, slot: Slot<R>) {
        let at = match self.free.pop() {
            Some(at) => at,
            None => {
                let Ok(at) = At::try_from(self.slots.len()) else {
                    return tracing::error!("registry: more than {} rows of one kind; this one is left out", At::MAX);
                };
                self.slots.push(Slot::Free);
                at
            }
        };
        let Rows { slots, by_id, by_listed, by_field, .. } = self;
        let Some(place) = slots.get_mut(at as usize) else { return };
        *place = slot;
        let Some(slot) = slot_at(slots, at) else { return };
        let listed = slot.listed();
        by_id.insert_unique(slot.hash_id(hasher), at, |&a| slot_at(slots, a).map_or(0, |s| s.hash_id(hasher)));
        if slot.in_list_order() {
            by_listed.insert(listed, at);
        }
        let [team, user, alias] = slot.fields();
        for (field, value) in [(Field::Team, team), (Field::User, user)] {
            if let Some(value) = value {
                by_field.ordered_mut(field).insert((hasher.hash_one(value), listed), at);
            }
        }
        if let Some(alias) = alias {
            by_field.alias.insert_unique(hasher.hash_one(alias), at, |&a| {
                hasher.hash_one(slot_at(slots, a).and_then(|s| s.field(Field::Alias)).unwrap_or_default())
            });
        }
    }

    fn remove(&mut self, hasher: &DefaultHashBuilder, id: &str) -> Option<Slot<R>> {
        let Rows { slots, free, by_id, by_listed, by_field, .. } = self;
        let hash = hasher.hash_one(id);
        let found = by_id.find_entry(hash, |&at| slot_at(slots, at).is_some_and(|s| s.id_is(id))).ok()?;
        let (at, _) = found.remove();
        let slot = slot_at(slots, at)?;
        let listed = slot.listed();
        if slot.in_list_order() {
            by_listed.remove(&listed);
        }
        let [team, user, alias] = slot.fields();
        for (field, value) in [(Field::Team, team), (Field::User, user)] {
            if let Some(value) = value {
                by_field.ordered_mut(field).remove(&(hasher.hash_one(value), listed));
            }
        }
        if let Some(alias) = alias
            && let Ok(found) = by_field.alias.find_entry(hasher.hash_one(alias), |&a| a == at)
        {
            found.remove();
        }
        let taken = std::mem::replace(slots.get_mut(at as usize)?, Slot::Free);
        free.push(at);
        Some(taken)
    }

    /// A new record's row: frozen if its kind freezes, else whole with fresh counters.
    fn place(&mut self, hasher: &DefaultHashBuilder, record: R, listed: Listed) -> Row<R> {
        match Frozen::of(&record, listed) {
            Some(frozen) => {
                self.insert(hasher, Slot::Frozen(frozen));
                Arc::new(Tracked::fresh(record, listed))
            }
            None => {
                let row = Arc::new(Tracked::fresh(record, listed));
                self.insert(hasher, Slot::Whole(row.clone()));
                row
            }
        }
    }

    /// `record` in the place in lists of `old`, the row it replaces (if any): whole, with the
    /// counters `counters` keeps of it, when `old` was whole; else as a new record is placed.
    fn succeed(
        &mut self,
        hasher: &DefaultHashBuilder,
        old: Option<Slot<R>>,
        record: R,
        counters: impl FnOnce(&Tracked<R>, &R) -> Arc<Counters>,
    ) -> Row<R> {
        let arrival = match &old {
            Some(Slot::Whole(old)) => {
                let listed = listed_at(&record, old.listed.arrival);
                let kept = counters(old, &record);
                let entry = Arc::new(Tracked::new(record, kept, listed));
                self.insert(hasher, Slot::Whole(entry.clone()));
                return entry;
            }
            Some(Slot::Frozen(frozen)) => frozen.listed().arrival,
            Some(Slot::Free) | None => self.next_arrival(),
        };
        let listed = listed_at(&record, arrival);
        self.place(hasher, record, listed)
    }

    /// The row at `at`, thawed in place if it was frozen: from now on the table's own.
    fn thaw_in_place(&mut self, at: At) -> Option<Row<R>> {
        let slot = self.slots.get_mut(at as usize)?;
        if let Slot::Frozen(frozen) = slot {
            *slot = Slot::Whole(Arc::new(thaw(frozen)?));
        }
        match slot {
            Slot::Whole(row) => Some(row.clone()),
            Slot::Frozen(_) | Slot::Free => None,
        }
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
    /// The entry for `id`, thawed if it was frozen: the table's own, whose counters the
    /// request path charges.
    pub fn get(&self, id: &str) -> Option<Arc<Tracked<R>>> {
        let hash = self.hasher.hash_one(id);
        {
            let rows = self.rows.read();
            match rows.find(hash, id).and_then(|at| rows.slot(at)) {
                Some(Slot::Whole(row)) => return Some(row.clone()),
                None | Some(Slot::Free) => return None,
                Some(Slot::Frozen(_)) => {}
            }
        }
        let mut rows = self.rows.write();
        let at = rows.find(hash, id)?;
        rows.thaw_in_place(at)
    }

    /// The entry for `id` if a caller already made it whole (a frozen row has no counters to
    /// change: what it holds is what the database has).
    pub fn in_use(&self, id: &str) -> Option<Arc<Tracked<R>>> {
        let rows = self.rows.read();
        match rows.find(self.hasher.hash_one(id), id).and_then(|at| rows.slot(at)) {
            Some(Slot::Whole(row)) => Some(row.clone()),
            _ => None,
        }
    }

    /// Whether there is an entry for `id` (without thawing it).
    pub fn contains(&self, id: &str) -> bool {
        self.rows.read().find(self.hasher.hash_one(id), id).is_some()
    }

    /// Inserts or replaces a record. An entry in use keeps its counters (its spend and windows
    /// go on) and is handed back; otherwise the record is kept frozen if its kind freezes, and
    /// what comes back is a copy with counters of its own: to change counters, [`Table::get`].
    pub fn put(&self, record: R) -> Arc<Tracked<R>> {
        let mut rows = self.rows.write();
        let old = rows.remove(&self.hasher, record.id());
        let entry = rows.succeed(&self.hasher, old, record, |old, record| {
            let c = old.counters.clone();
            if old.record.limits().budget_duration != record.limits().budget_duration
                || old.record.limits().budget_reset_at != record.limits().budget_reset_at
            {
                c.set_spend(c.spend(), record.limits().budget_reset_at.as_deref().and_then(parse_time));
            }
            c
        });
        drop(rows);
        self.schedule(&entry);
        entry
    }

    /// Puts a record read from the database at start-up (frozen if its kind freezes), without
    /// handing back an entry.
    pub fn load(&self, record: R) {
        let mut rows = self.rows.write();
        if rows.find(self.hasher.hash_one(record.id()), record.id()).is_some() {
            drop(rows);
            self.put(record);
            return;
        }
        let reset_at = record.limits().budget_reset_at.as_deref().and_then(parse_time);
        let due = reset_at.map(|at| (at.timestamp(), record.id().to_string()));
        let listed = listed_at(&record, rows.next_arrival());
        match Frozen::of(&record, listed) {
            Some(frozen) => rows.insert(&self.hasher, Slot::Frozen(frozen)),
            None => rows.insert(&self.hasher, Slot::Whole(Arc::new(Tracked::fresh(record, listed)))),
        }
        drop(rows);
        if let Some(due) = due {
            self.resets.lock().push(Reverse(due));
        }
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
        let Some(read) = record.updated_at() else { return false };
        let rows = self.rows.read();
        let id = record.id();
        let here = rows.find(self.hasher.hash_one(id), id).and_then(|at| rows.slot(at));
        let newer = |here: &R| here.updated_at().is_some_and(|here| here > read);
        match here {
            Some(Slot::Whole(row)) => newer(&row.record),
            Some(Slot::Frozen(frozen)) => frozen.thaw::<R>().is_some_and(|here| newer(&here)),
            None | Some(Slot::Free) => false,
        }
    }

    /// Replaces the record `old_id` with `record` under its own id (a regenerated key), keeping
    /// the live counters and the place in lists: calls in flight on the old key are charged to
    /// the new one.
    pub fn replace(&self, old_id: &str, record: R) -> Arc<Tracked<R>> {
        let mut rows = self.rows.write();
        let old = rows.remove(&self.hasher, old_id);
        // The new id may have been here already (a replica told of it first).
        rows.remove(&self.hasher, record.id());
        let entry = rows.succeed(&self.hasher, old, record, |old, _| old.counters.clone());
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
        if let Some(entry) = rows.find(hash, id).and_then(|at| rows.thaw_in_place(at)) {
            return entry;
        }
        let record = make();
        let listed = listed_at(&record, rows.next_arrival());
        let entry = Arc::new(Tracked::fresh(record, listed));
        rows.insert(&self.hasher, Slot::Whole(entry.clone()));
        drop(rows);
        self.schedule(&entry);
        entry
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Tracked<R>>> {
        let removed = self.rows.write().remove(&self.hasher, id)?;
        removed.row()
    }

    /// Notes when the entry's budget period ends (its counters say), for [`Table::due`]. Call
    /// it when something sets a period's end other than [`Table::put`].
    pub fn schedule(&self, entry: &Tracked<R>) {
        if let Some(at) = entry.counters.reset_at() {
            self.resets.lock().push(Reverse((at.timestamp(), entry.record.id().to_string())));
        }
    }

    /// The entries whose budget period may have ended by `now` (each once, thawed). Those
    /// still in a period are scheduled again by whoever rolls them ([`Table::schedule`]).
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
        let Rows { slots, by_id, by_field, .. } = &mut *rows;
        slots.reserve(n);
        let hasher = &self.hasher;
        by_id.reserve(n, |&at| slot_at(slots, at).map_or(0, |s| s.hash_id(hasher)));
        // Most keys have an alias; growing this table rehashes every alias read from its row.
        by_field.alias.reserve(n, |&at| {
            hasher.hash_one(slot_at(slots, at).and_then(|s| s.field(Field::Alias)).unwrap_or_default())
        });
    }

    pub fn len(&self) -> usize {
        self.rows.read().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every row, a chunk of slots per lock, as [`Slot::row`] gives them.
    fn scan(&self, mut visit: impl FnMut(&Slot<R>)) {
        let mut from = 0;
        loop {
            let rows = self.rows.read();
            let Some(chunk) = rows.slots.get(from..) else { return };
            if chunk.is_empty() {
                return;
            }
            chunk.iter().take(CHUNK).for_each(&mut visit);
            from += CHUNK;
        }
    }

    /// Every entry (frozen ones as copies: see [`Table::put`]).
    pub fn all(&self) -> Vec<Arc<Tracked<R>>> {
        let mut all = Vec::new();
        self.scan(|slot| all.extend(slot.row()));
        all
    }

    /// The entries callers made whole (a frozen row was not used since it came in).
    pub fn in_use_all(&self) -> Vec<Arc<Tracked<R>>> {
        let mut all = Vec::new();
        self.scan(|slot| {
            if let Slot::Whole(row) = slot {
                all.push(row.clone());
            }
        });
        all
    }

    /// Every id.
    pub fn ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        self.scan(|slot| match slot {
            Slot::Whole(row) => ids.push(row.record.id().to_string()),
            Slot::Frozen(frozen) => ids.push(frozen.with_id(str::to_string)),
            Slot::Free => {}
        });
        ids
    }

    /// Calls `visit` with every entry: a frozen one thawed for the call only, so that a pass
    /// over a million keys holds one of them whole at a time.
    pub fn each(&self, mut visit: impl FnMut(&Tracked<R>)) {
        self.scan(|slot| match slot {
            Slot::Whole(row) => visit(row),
            Slot::Frozen(frozen) => {
                if let Some(row) = thaw(frozen) {
                    visit(&row);
                }
            }
            Slot::Free => {}
        });
    }

    /// The entries at these places in lists (those still there), in that order.
    pub fn at_places(&self, places: &[Listed]) -> Vec<Arc<Tracked<R>>> {
        let rows = self.rows.read();
        places.iter().filter_map(|p| rows.by_listed.get(p).and_then(|&at| rows.slot(at)).and_then(Slot::row)).collect()
    }

    /// The rows whose `field` is `value`, in list order (oldest first).
    pub fn with(&self, field: Field, value: &str) -> Vec<Arc<Tracked<R>>> {
        let hash = self.hasher.hash_one(value);
        let rows = self.rows.read();
        let matching = |at: &At| rows.slot(*at).filter(|s| s.field(field) == Some(value));
        let ordered = match field {
            Field::Team => &rows.by_field.team,
            Field::User => &rows.by_field.user,
            Field::Alias => {
                let mut found: Vec<Row<R>> =
                    rows.by_field.alias.iter_hash(hash).filter_map(matching).filter_map(Slot::row).collect();
                drop(rows);
                found.sort_unstable_by_key(|r| r.listed);
                return found;
            }
        };
        let (first, last) = (Listed { made_ms: i64::MIN, arrival: 0 }, Listed { made_ms: i64::MAX, arrival: u64::MAX });
        ordered.range((hash, first)..=(hash, last)).filter_map(|(_, at)| matching(at)).filter_map(Slot::row).collect()
    }

    /// A page of the rows `keep` accepts (every row without it), in list order (newest first
    /// with `newest_first`): how many rows it accepts in all, and the `take` of them after the
    /// first `skip`. Without `keep` the count is the table's; with it, a pass over the list, a
    /// chunk of rows per lock, reading frozen rows without thawing them.
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
                let Some((listed, at)) = next else {
                    return (matched, page);
                };
                read += 1;
                after = Some(*listed);
                let Some(slot) = rows.slot(*at) else { continue };
                if keep.is_some_and(|keep| !slot.peek().is_some_and(keep)) {
                    continue;
                }
                if matched >= skip && page.len() < take {
                    page.extend(slot.row());
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

    /// Keys come in frozen; the first `get` thaws one for good (its counters then go on across
    /// updates), lists read frozen keys without thawing them, and everything a list, a removal
    /// or a budget reset hands out has the key's values.
    #[test]
    fn idle_keys_stay_frozen_until_a_caller_needs_them() {
        let table: Table<KeyRecord> = Table::default();
        let digest = |n: u32| format!("{n:064x}");
        for n in 0..10u32 {
            let mut key = made(&digest(n), &format!("2026-11-01T00:00:0{n}.000Z"), Some("t"), Some(&format!("a{n}")));
            key.spend = f64::from(n);
            key.limits.max_budget = Some(10.0);
            if n == 9 {
                key.limits.budget_duration = Some("1d".into());
                key.limits.budget_reset_at = Some("2026-12-01T00:00:00.000Z".into());
            }
            table.load(key);
        }
        let whole = |t: &Table<KeyRecord>| t.in_use_all().len();
        assert_eq!((table.len(), whole(&table)), (10, 0), "all frozen");
        assert!(table.contains(&digest(3)) && !table.contains(&digest(10)));
        assert_eq!(whole(&table), 0, "contains does not thaw");

        // Lists: a filter reads the frozen rows; the page's rows come back with their values.
        let odd_alias = |r: RowRef<'_, KeyRecord>| r.field(Field::Alias).is_some_and(|a| a.ends_with(['1', '3', '5']));
        let (count, page) = table.page(true, 1, 5, Some(&odd_alias));
        assert_eq!(count, 3);
        assert_eq!(tokens(&page), [digest(3), digest(1)]);
        assert_eq!(page[0].counters.spend(), 3.0);
        assert_eq!(page[0].record.limits.max_budget, Some(10.0));
        assert_eq!(table.with(Field::Team, "t").len(), 10);
        assert_eq!(tokens(&table.with(Field::Alias, "a4")), [digest(4)]);
        let mut ids = table.ids();
        ids.sort();
        assert_eq!(ids, (0..10).map(digest).collect::<Vec<_>>());
        let mut seen = 0;
        table.each(|k| seen += k.counters.spend() as u32);
        assert_eq!(seen, 45);
        let places: Vec<Listed> = page.iter().map(|k| k.listed).collect();
        assert_eq!(tokens(&table.at_places(&places)), [digest(3), digest(1)]);
        assert_eq!(whole(&table), 0, "lists hand out copies");

        // The request path's lookup thaws the key, once.
        let called = table.get(&digest(2)).unwrap();
        assert!(Arc::ptr_eq(&called, &table.get(&digest(2)).unwrap()));
        assert!(Arc::ptr_eq(&called, &table.in_use(&digest(2)).unwrap()));
        called.counters.add_spend(0.5);
        assert_eq!(whole(&table), 1);
        // An update keeps the counters of a key in use, and its place.
        let mut renamed = called.snapshot();
        renamed.key_alias = Some("renamed".into());
        let updated = table.put(renamed);
        assert!(Arc::ptr_eq(&updated.counters, &called.counters));
        assert_eq!(updated.listed, called.listed);
        assert_eq!(tokens(&table.with(Field::Alias, "renamed")), [digest(2)]);
        assert!(table.with(Field::Alias, "a2").is_empty());
        // An update of a frozen key keeps it frozen, with the new values and its place.
        let mut blocked = table.with(Field::Alias, "a5").remove(0).snapshot();
        blocked.blocked = true;
        let place = table.with(Field::Alias, "a5")[0].listed;
        table.put(blocked);
        assert_eq!(whole(&table), 1);
        let again = table.with(Field::Alias, "a5").remove(0);
        assert!(again.record.blocked);
        assert_eq!(again.listed, place);

        // A budget period that ended hands the key out thawed; a removal hands out its values.
        let due = table.due(parse_time("2026-12-05T00:00:00.000Z").unwrap());
        assert_eq!(tokens(&due), [digest(9)]);
        assert!(Arc::ptr_eq(&due[0], &table.get(&digest(9)).unwrap()));
        let removed = table.remove(&digest(7)).unwrap();
        assert_eq!((removed.record.key_alias.as_deref(), removed.counters.spend()), (Some("a7"), 7.0));
        assert!(table.get(&digest(7)).is_none() && table.with(Field::Alias, "a7").is_empty());
        assert_eq!(table.len(), 9);
        // The removed key's slot goes to the next one.
        table.load(made("short-id", "2026-11-02T00:00:00.000Z", None, Some("a7")));
        assert_eq!(tokens(&table.with(Field::Alias, "a7")), ["short-id"]);
        assert_eq!(tokens(&table.page(true, 0, 1, None).1), ["short-id"]);
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
        let in_t3 = |r: RowRef<'_, KeyRecord>| r.field(Field::Team) == Some("t3");
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
