//! The compact form of a record no caller has used since it came into the registry: a million
//! keys, most of them idle, in a fraction of the memory their whole records take (a whole key
//! is about 900 bytes with its counters, strings and index entries; a frozen one about 230, of
//! which its row is a single allocation of about 120).
//! The first call that needs a key thaws it ([`super::table::Table::get`]); it stays whole after.
//!
//! Layout: a fixed head (the row's place in lists, its spend), the id and the three indexed
//! fields, which lists read without thawing the rest, then the record's own body
//! ([`Governed::freeze_body`]). Lengths are LEB128; an id that is a SHA-256 in lowercase hex
//! (every key's) is kept as its 32 bytes; instants in the records' one textual form as 8 bytes.

use super::table::{Field, Governed, Listed};
use crate::store::{KeyRecord, Limits};

/// A frozen row. Only [`Frozen::of`] makes one, so a frozen row always reads back.
#[derive(Debug)]
pub struct Frozen(Box<[u8]>);

/// Offsets of the fixed head.
const SPEND_AT: usize = 16;
const ID_AT: usize = 24;

const ID_TEXT: u8 = 0;
const ID_SHA256_HEX: u8 = 1;

/// What [`Frozen::thaw`] gives a record's [`Governed::thaw`] besides the body.
pub struct Head {
    pub id: String,
    pub spend: f64,
    pub team: Option<String>,
    pub user: Option<String>,
    pub alias: Option<String>,
}

impl Frozen {
    /// `record` frozen at `listed`, or `None` for kinds that are always kept whole.
    pub fn of<R: Governed>(record: &R, listed: Listed) -> Option<Frozen> {
        let mut out = Writer(Vec::with_capacity(160));
        out.0.extend_from_slice(&listed.made_ms.to_le_bytes());
        out.0.extend_from_slice(&listed.arrival.to_le_bytes());
        out.0.extend_from_slice(&record.spend().to_le_bytes());
        let id = record.id();
        match sha256_hex(id) {
            Some(digest) => {
                out.0.push(ID_SHA256_HEX);
                out.0.extend_from_slice(&digest);
            }
            None => {
                out.0.push(ID_TEXT);
                out.str(id);
            }
        }
        for field in [Field::Team, Field::User, Field::Alias] {
            out.opt_str(record.field(field));
        }
        if !record.freeze_body(&mut out) {
            return None;
        }
        Some(Frozen(out.0.into_boxed_slice()))
    }

    pub fn listed(&self) -> Listed {
        Listed { made_ms: i64::from_le_bytes(self.fixed(0)), arrival: u64::from_le_bytes(self.fixed(8)) }
    }

    pub fn spend(&self) -> f64 {
        f64::from_le_bytes(self.fixed(SPEND_AT))
    }

    /// Eight bytes of the fixed head (always there: [`Frozen::of`] wrote them).
    fn fixed(&self, at: usize) -> [u8; 8] {
        self.0.get(at..at + 8).and_then(|b| b.try_into().ok()).unwrap_or_default()
    }

    /// Whether the row's id is `id`.
    pub fn id_is(&self, id: &str) -> bool {
        let mut reader = Reader::at(&self.0, ID_AT);
        match reader.byte() {
            Some(ID_SHA256_HEX) => sha256_hex(id).is_some_and(|digest| reader.take(32) == Some(&digest[..])),
            _ => reader.str() == Some(id),
        }
    }

    /// Calls `f` with the row's id as text.
    pub fn with_id<T>(&self, f: impl FnOnce(&str) -> T) -> T {
        let mut reader = Reader::at(&self.0, ID_AT);
        match reader.byte() {
            Some(ID_SHA256_HEX) => {
                let mut text = [0u8; 64];
                let digest = reader.take(32).unwrap_or_default();
                // Cannot fail: 32 bytes are 64 hex digits.
                let _ = hex::encode_to_slice(digest, &mut text);
                f(std::str::from_utf8(&text).unwrap_or_default())
            }
            _ => f(reader.str().unwrap_or_default()),
        }
    }

    /// The value of an indexed field.
    pub fn field(&self, field: Field) -> Option<&str> {
        let [team, user, alias] = self.fields();
        match field {
            Field::Team => team,
            Field::User => user,
            Field::Alias => alias,
        }
    }

    /// The team, user and alias.
    pub fn fields(&self) -> [Option<&str>; 3] {
        let mut reader = self.past_id();
        let mut next = || reader.opt_str().flatten();
        [next(), next(), next()]
    }

    fn past_id(&self) -> Reader<'_> {
        let mut reader = Reader::at(&self.0, ID_AT);
        match reader.byte() {
            Some(ID_SHA256_HEX) => {
                reader.take(32);
            }
            _ => {
                reader.str();
            }
        }
        reader
    }

    /// The record, whole again.
    pub fn thaw<R: Governed>(&self) -> Option<R> {
        let id = self.with_id(str::to_string);
        let mut reader = self.past_id();
        let owned = |v: Option<&str>| v.map(str::to_string);
        let head = Head {
            id,
            spend: self.spend(),
            team: owned(reader.opt_str()?),
            user: owned(reader.opt_str()?),
            alias: owned(reader.opt_str()?),
        };
        R::thaw(head, &mut reader)
    }

    /// How many bytes the row takes (its allocation, without malloc's own).
    pub fn size(&self) -> usize {
        self.0.len()
    }
}

/// The 32 bytes of a SHA-256 written as 64 lowercase hex digits (so that it reads back the same).
fn sha256_hex(id: &str) -> Option<[u8; 32]> {
    let mut digest = [0u8; 32];
    let lowercase = id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (id.len() == 64 && lowercase && hex::decode_to_slice(id, &mut digest).is_ok()).then_some(digest)
}

/// Appends a frozen row's parts.
pub struct Writer(Vec<u8>);

impl Writer {
    pub fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    pub fn varint(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                return self.0.push(low);
            }
            self.0.push(low | 0x80);
        }
    }

    pub fn f64(&mut self, x: f64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }

    pub fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    /// `None` is a zero; a value its length plus one.
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.varint(0),
            Some(s) => {
                self.varint(s.len() as u64 + 1);
                self.0.extend_from_slice(s.as_bytes());
            }
        }
    }

    /// An instant as the records write it (`2026-11-01T00:00:00.000Z`): its 17 digits as one
    /// number. Anything else, as text.
    pub fn time(&mut self, s: &str) {
        match time_digits(s) {
            Some(n) => {
                self.byte(1);
                self.0.extend_from_slice(&n.to_le_bytes());
            }
            None => {
                self.byte(0);
                self.str(s);
            }
        }
    }

    pub fn opt_time(&mut self, s: Option<&str>) {
        match s {
            None => self.byte(2),
            Some(s) => self.time(s),
        }
    }

    pub fn strs(&mut self, list: &[String]) {
        self.varint(list.len() as u64);
        for s in list {
            self.str(s);
        }
    }

    /// A JSON object: empty is a zero, else its text.
    pub fn json(&mut self, map: &serde_json::Map<String, serde_json::Value>) {
        if map.is_empty() {
            return self.varint(0);
        }
        // A map of JSON values always writes.
        let text = serde_json::to_vec(map).unwrap_or_default();
        self.varint(text.len() as u64);
        self.0.extend_from_slice(&text);
    }
}

/// Where `YYYY-MM-DDTHH:MM:SS.mmmZ` has its separators; the other 17 places are digits.
const TIME_SEPARATORS: [(usize, u8); 7] =
    [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.'), (23, b'Z')];

fn time_digits(s: &str) -> Option<u64> {
    let bytes = s.as_bytes();
    if bytes.len() != 24 || TIME_SEPARATORS.iter().any(|(at, sep)| bytes.get(*at) != Some(sep)) {
        return None;
    }
    let mut n = 0u64;
    for (at, b) in bytes.iter().enumerate() {
        if TIME_SEPARATORS.iter().any(|(sep_at, _)| *sep_at == at) {
            continue;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

fn time_text(mut n: u64) -> String {
    let mut out = *b"0000-00-00T00:00:00.000Z";
    for at in (0..24).rev() {
        if TIME_SEPARATORS.iter().any(|(sep_at, _)| *sep_at == at) {
            continue;
        }
        if let Some(b) = out.get_mut(at) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a frozen row's parts back; `None` past the end.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn at(bytes: &'a [u8], at: usize) -> Self {
        Reader { bytes, at }
    }

    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let taken = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(taken)
    }

    pub fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }

    pub fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    pub fn str(&mut self) -> Option<&'a str> {
        let len = self.len()?;
        std::str::from_utf8(self.take(len)?).ok()
    }

    /// `Some(None)` for a `None` written by [`Writer::opt_str`].
    pub fn opt_str(&mut self) -> Option<Option<&'a str>> {
        match self.len()? {
            0 => Some(None),
            n => Some(Some(std::str::from_utf8(self.take(n - 1)?).ok()?)),
        }
    }

    pub fn string(&mut self) -> Option<String> {
        self.str().map(str::to_string)
    }

    pub fn opt_string(&mut self) -> Option<Option<String>> {
        Some(self.opt_str()?.map(str::to_string))
    }

    pub fn time(&mut self) -> Option<String> {
        match self.byte()? {
            1 => Some(time_text(u64::from_le_bytes(self.take(8)?.try_into().ok()?))),
            _ => self.string(),
        }
    }

    pub fn opt_time(&mut self) -> Option<Option<String>> {
        match self.bytes.get(self.at)? {
            2 => {
                self.at += 1;
                Some(None)
            }
            _ => self.time().map(Some),
        }
    }

    pub fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.len()?;
        // A count cannot ask for more room than the bytes left could fill.
        let mut list = Vec::with_capacity(n.min(self.bytes.len()));
        for _ in 0..n {
            list.push(self.string()?);
        }
        Some(list)
    }

    pub fn json(&mut self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self.len()? {
            0 => Some(serde_json::Map::new()),
            n => serde_json::from_slice(self.take(n)?).ok(),
        }
    }
}

/// A key's body: what [`Frozen`]'s head does not hold, in the order [`thaw_key`] reads it.
pub fn freeze_key(key: &KeyRecord, out: &mut Writer) {
    out.str(&key.key_name);
    let limits = &key.limits;
    out.opt_str(limits.budget_duration.as_deref());
    out.opt_time(limits.budget_reset_at.as_deref());
    out.opt_time(key.expires.as_deref());
    out.opt_str(key.created_by.as_deref());
    out.opt_time(key.last_active.as_deref());
    out.time(&key.created_at);
    out.time(&key.updated_at);
    let present = [
        key.blocked,
        limits.max_budget.is_some(),
        limits.soft_budget.is_some(),
        limits.tpm_limit.is_some(),
        limits.rpm_limit.is_some(),
        limits.max_parallel_requests.is_some(),
    ];
    out.byte(present.iter().enumerate().fold(0u8, |bits, (at, set)| bits | (u8::from(*set) << at)));
    for x in [limits.max_budget, limits.soft_budget].into_iter().flatten() {
        out.f64(x);
    }
    for n in [limits.tpm_limit, limits.rpm_limit, limits.max_parallel_requests].into_iter().flatten() {
        out.varint(n);
    }
    out.strs(&key.models);
    out.strs(&key.tags);
    out.json(&key.aliases);
    out.json(&key.metadata);
}

pub fn thaw_key(head: Head, body: &mut Reader<'_>) -> Option<KeyRecord> {
    let key_name = body.string()?;
    let budget_duration = body.opt_string()?;
    let budget_reset_at = body.opt_time()?;
    let expires = body.opt_time()?;
    let created_by = body.opt_string()?;
    let last_active = body.opt_time()?;
    let created_at = body.time()?;
    let updated_at = body.time()?;
    let bits = body.byte()?;
    let set = |at: u8| bits & (1 << at) != 0;
    let mut float = |at| if set(at) { body.f64().map(Some) } else { Some(None) };
    let (max_budget, soft_budget) = (float(1)?, float(2)?);
    let mut count = |at| if set(at) { body.varint().map(Some) } else { Some(None) };
    let (tpm_limit, rpm_limit, max_parallel_requests) = (count(3)?, count(4)?, count(5)?);
    Some(KeyRecord {
        token: head.id,
        key_name,
        key_alias: head.alias,
        team_id: head.team,
        user_id: head.user,
        models: body.strings()?,
        tags: body.strings()?,
        aliases: body.json()?,
        metadata: body.json()?,
        limits: Limits {
            max_budget,
            soft_budget,
            budget_duration,
            budget_reset_at,
            tpm_limit,
            rpm_limit,
            max_parallel_requests,
        },
        spend: head.spend,
        expires,
        blocked: set(0),
        created_at,
        updated_at,
        created_by,
        last_active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(made_ms: i64, arrival: u64) -> Listed {
        Listed { made_ms, arrival }
    }

    fn round_trip(key: &KeyRecord) -> KeyRecord {
        let frozen = Frozen::of(key, listed(-5, u64::MAX)).expect("keys freeze");
        assert_eq!(frozen.listed(), listed(-5, u64::MAX));
        assert_eq!(frozen.spend().to_bits(), key.spend.to_bits());
        assert!(frozen.id_is(&key.token));
        assert!(!frozen.id_is(&format!("{}0", key.token)));
        assert_eq!(frozen.id_is(""), key.token.is_empty());
        assert_eq!(frozen.with_id(str::to_string), key.token);
        assert_eq!(frozen.field(Field::Team), key.team_id.as_deref());
        assert_eq!(frozen.field(Field::User), key.user_id.as_deref());
        assert_eq!(frozen.field(Field::Alias), key.key_alias.as_deref());
        frozen.thaw().expect("a frozen key thaws")
    }

    /// Every field, set and unset, in odd shapes, comes back as it was.
    #[test]
    fn keys_come_back_as_they_were() {
        let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let mut metadata = serde_json::Map::new();
        metadata.insert("role".into(), "proxy_admin".into());
        metadata.insert("nested".into(), serde_json::json!({"a": [1, 2.5, null, "é"]}));
        let mut aliases = serde_json::Map::new();
        aliases.insert("gpt".into(), "bedrock-claude".into());
        let full = KeyRecord {
            token: digest.into(),
            key_name: "sk-...AbCd".into(),
            key_alias: Some("ünïcode alias 🚀".into()),
            team_id: Some(String::new()),
            user_id: Some("user@example.com".into()),
            models: vec!["a".into(), String::new(), "x".repeat(300)],
            aliases,
            limits: Limits {
                max_budget: Some(f64::MAX),
                soft_budget: Some(-0.0),
                budget_duration: Some("30d".into()),
                budget_reset_at: Some("2026-12-31T00:00:00.000Z".into()),
                tpm_limit: Some(u64::MAX),
                rpm_limit: Some(0),
                max_parallel_requests: Some(127),
            },
            spend: 1e-12,
            expires: Some("2027-01-01T00:00:00+02:00".into()),
            blocked: true,
            metadata,
            tags: vec!["prod".into()],
            created_at: "2026-11-01T09:08:07.654Z".into(),
            updated_at: "not a time".into(),
            created_by: Some("admin".into()),
            last_active: Some("2026-12-06T23:59:59.999Z".into()),
        };
        assert_eq!(round_trip(&full), full);
        // Upper-case hex, a short id, an empty id: kept as text, and still found.
        for token in [digest.to_uppercase(), "k0001".into(), String::new(), format!("{digest}0")] {
            let key = KeyRecord { token, ..Default::default() };
            assert_eq!(round_trip(&key), key);
        }
        let bare = KeyRecord { token: digest.into(), ..Default::default() };
        assert_eq!(round_trip(&bare), bare);
    }

    /// The seed of the scale bench's keys: an alias, a budget, an rpm limit, two instants.
    #[test]
    fn a_typical_key_is_small() {
        let key = KeyRecord {
            token: "00000000000000000000000000000000000000000000000000000000000f4240".into(),
            key_name: "sk-...0000".into(),
            key_alias: Some("scale-1000000".into()),
            limits: Limits { max_budget: Some(100.0), rpm_limit: Some(1000), ..Default::default() },
            created_at: "2026-11-01T00:00:00.000Z".into(),
            updated_at: "2026-11-01T00:00:00.000Z".into(),
            ..Default::default()
        };
        let frozen = Frozen::of(&key, listed(0, 1)).unwrap();
        assert!(frozen.size() <= 128, "{} bytes", frozen.size());
        assert_eq!(frozen.thaw::<KeyRecord>().unwrap(), key);
    }

    #[test]
    fn instants_keep_their_text() {
        for text in ["2026-11-01T00:00:00.000Z", "9999-99-99T99:99:99.999Z", "0000-00-00T00:00:00.000Z"] {
            assert_eq!(time_digits(text).map(time_text).as_deref(), Some(text));
        }
        for text in ["2026-11-01T00:00:00Z", "2026-11-01T00:00:00.000+00:00", "2026-11-01 00:00:00.000Z", "２026"] {
            assert_eq!(time_digits(text), None, "{text}");
        }
    }

    /// A reader past the end, or on bytes that are not what it reads, says so: no panic.
    #[test]
    fn short_or_bad_bytes_read_as_none() {
        let key = KeyRecord { token: "k".into(), key_alias: Some("a".into()), ..Default::default() };
        let frozen = Frozen::of(&key, listed(0, 0)).unwrap();
        for end in 0..frozen.0.len() {
            let cut = Frozen(frozen.0.get(..end).unwrap().into());
            assert!(cut.thaw::<KeyRecord>().is_none(), "cut at {end}");
            let _ = (cut.listed(), cut.spend(), cut.id_is("k"), cut.field(Field::Alias), cut.with_id(str::len));
        }
        let mut reader = Reader::at(&[0xff; 11], 0);
        assert_eq!(reader.varint(), None, "more than 64 bits");
        let mut reader = Reader::at(&[0x02, 0xff, 0xfe], 0);
        assert_eq!(reader.str(), None, "not UTF-8");
    }
}
