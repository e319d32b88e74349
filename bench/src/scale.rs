//! The scale run (`bench --scale`): a gateway on a database seeded with many keys and spend
//! rows, met as a user meets it: how long it takes to start, its memory, how fast the admin
//! lists, searches and spend charts answer, and what a call costs there.

use std::fmt::Write;

use serde::Serialize;

/// What the database is seeded with.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Seed {
    pub keys: u64,
    pub spend_rows: u64,
    /// The spend rows spread over this many days, up to today.
    pub days: u64,
}

/// A seeded key's token (the SHA-256 column): its number in hex, 64 digits. (They are not
/// hashes of real keys: they stand for keys nobody calls with.)
pub fn token(n: u64) -> String {
    format!("{n:064x}")
}

const CREATED: &str = "2026-11-01T00:00:00.000Z";

/// In the kept seeds' names: a new seed is made when this changes (when what the seed holds
/// or the gateway's migrations it ran do).
pub const SEED_VERSION: u32 = 3;

impl Seed {
    fn seconds_per_row(&self) -> f64 {
        (self.days * 86_400) as f64 / self.spend_rows.max(1) as f64
    }

    /// Statements that fill a migrated SQLite database (`sqlite3 FILE < sql`). `first_day`:
    /// `YYYY-MM-DD`, the day of the first spend row.
    pub fn sqlite_sql(&self, first_day: &str) -> String {
        let Seed { keys, spend_rows, .. } = *self;
        let step = self.seconds_per_row();
        format!(
            "PRAGMA synchronous = OFF;\n\
             BEGIN;\n\
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {keys})\n\
             INSERT INTO virtual_keys (token, key_alias, team_id, user_id, spend, last_active, data, created_at, updated_at)\n\
             SELECT printf('%064x', x), 'scale-' || x, NULL, NULL, 0.0, NULL,\n\
             json_object('token', printf('%064x', x), 'key_name', 'sk-...' || printf('%04d', x % 10000), 'key_alias', 'scale-' || x,\n\
             'models', json_array(), 'aliases', json_object(), 'max_budget', 100.0, 'rpm_limit', 1000,\n\
             'metadata', json_object(), 'tags', json_array(), 'created_at', '{CREATED}', 'updated_at', '{CREATED}'),\n\
             '{CREATED}', '{CREATED}' FROM c;\n\
             COMMIT;\n\
             BEGIN;\n\
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {spend_rows})\n\
             INSERT INTO spend_logs (request_id, call_type, api_key, key_alias, model, model_id, model_group,\n\
             custom_llm_provider, spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time,\n\
             request_duration_ms, status, metadata)\n\
             SELECT 'scale-' || x, 'acompletion', printf('%064x', 1 + x % {keys}), 'scale-' || (1 + x % {keys}),\n\
             'openai/bench', 'bench', 'bench-openai', 'openai', 0.00002, 10, 10, 20,\n\
             strftime('%Y-%m-%dT%H:%M:%fZ', '{first_day}', '+' || (x * {step}) || ' seconds'),\n\
             strftime('%Y-%m-%dT%H:%M:%fZ', '{first_day}', '+' || (x * {step} + 0.1) || ' seconds'),\n\
             100, CASE WHEN x % 50 = 0 THEN 'failure' ELSE 'success' END, '{{}}' FROM c;\n\
             COMMIT;\n\
             {DAILY};\n"
        )
    }

    /// The same for a migrated PostgreSQL schema (`psql URL < sql`, the schema on the search
    /// path).
    pub fn postgres_sql(&self, first_day: &str) -> String {
        let Seed { keys, spend_rows, .. } = *self;
        let step = self.seconds_per_row();
        format!(
            "INSERT INTO virtual_keys (token, key_alias, team_id, user_id, spend, last_active, data, created_at, updated_at)\n\
             SELECT lpad(to_hex(x), 64, '0'), 'scale-' || x, NULL, NULL, 0, NULL,\n\
             json_build_object('token', lpad(to_hex(x), 64, '0'), 'key_name', 'sk-...' || lpad((x % 10000)::text, 4, '0'),\n\
             'key_alias', 'scale-' || x, 'models', json_build_array(), 'aliases', json_build_object(), 'max_budget', 100.0,\n\
             'rpm_limit', 1000, 'metadata', json_build_object(), 'tags', json_build_array(), 'created_at', '{CREATED}',\n\
             'updated_at', '{CREATED}')::text, '{CREATED}', '{CREATED}' FROM generate_series(1, {keys}) AS x;\n\
             INSERT INTO spend_logs (request_id, call_type, api_key, key_alias, model, model_id, model_group,\n\
             custom_llm_provider, spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time,\n\
             request_duration_ms, status, metadata)\n\
             SELECT 'scale-' || x, 'acompletion', lpad(to_hex(1 + x % {keys}), 64, '0'), 'scale-' || (1 + x % {keys}),\n\
             'openai/bench', 'bench', 'bench-openai', 'openai', 0.00002, 10, 10, 20,\n\
             to_char(timestamp '{first_day}' + x * interval '{step} seconds', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),\n\
             to_char(timestamp '{first_day}' + (x * {step} + 0.1) * interval '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),\n\
             100, CASE WHEN x % 50 = 0 THEN 'failure' ELSE 'success' END, '{{}}' FROM generate_series(1, {spend_rows}) AS x;\n\
             {DAILY};\n\
             ANALYZE;\n"
        )
    }
}

/// The daily tables from the log, as the migration that made them fills them.
const DAILY: &str = "INSERT INTO spend_daily \
     SELECT substr(start_time, 1, 10), api_key, COALESCE(team_id, ''), COALESCE(user_id, ''), COALESCE(end_user, ''), \
     model, model_group, MAX(key_alias), SUM(spend), COUNT(*), SUM(CASE WHEN status = 'failure' THEN 1 ELSE 0 END), \
     SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens) FROM spend_logs \
     GROUP BY substr(start_time, 1, 10), api_key, COALESCE(team_id, ''), COALESCE(user_id, ''), COALESCE(end_user, ''), \
     model, model_group;\n\
     INSERT INTO spend_days SELECT day, model_group, team_id, SUM(spend), SUM(requests), SUM(failures), \
     SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens) FROM spend_daily GROUP BY day, model_group, team_id;\n\
     INSERT INTO spend_keys SELECT api_key, MAX(key_alias), SUM(spend), SUM(requests), SUM(total_tokens) \
     FROM spend_daily GROUP BY api_key";

/// Latencies of one kind of admin request, asked one after the other.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub what: String,
    pub requests: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Mean body size.
    pub kb: f64,
}

/// `samples`: (milliseconds, body bytes) per request.
pub fn latency(what: &str, samples: &[(f64, usize)]) -> Latency {
    let mut ms: Vec<f64> = samples.iter().map(|s| s.0).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| -> f64 {
        if ms.is_empty() {
            return f64::NAN;
        }
        let i = ((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1;
        ms[i]
    };
    let bytes: usize = samples.iter().map(|s| s.1).sum();
    Latency {
        what: what.to_owned(),
        requests: samples.len(),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: ms.last().copied().unwrap_or(f64::NAN),
        kb: bytes as f64 / 1024.0 / samples.len().max(1) as f64,
    }
}

/// One database's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub database: String,
    pub seed_seconds: Option<f64>,
    pub start_seconds: f64,
    pub rss_idle_mb: f64,
    pub rss_peak_mb: f64,
    pub latencies: Vec<Latency>,
    /// Gateway CPU per call with a virtual key at the run's rate.
    pub call_us_per_request: Option<f64>,
    pub call_rate: u32,
    pub call_p99_ms: Option<f64>,
    pub status: String,
}

pub fn markdown(seed: &Seed, runs: &[Run]) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "{} keys, {} spend rows over {} days.\n",
        thousands(seed.keys),
        thousands(seed.spend_rows),
        seed.days
    );
    let _ = writeln!(md, "| | {} |", runs.iter().map(|r| r.database.as_str()).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(md, "|---|{}", "---|".repeat(runs.len()));
    let row = |md: &mut String, label: &str, f: &dyn Fn(&Run) -> String| {
        let _ = writeln!(md, "| {label} | {} |", runs.iter().map(f).collect::<Vec<_>>().join(" | "));
    };
    row(&mut md, "status", &|r| r.status.clone());
    row(&mut md, "seeding", &|r| r.seed_seconds.map_or("reused".into(), |s| format!("{s:.0} s")));
    row(&mut md, "start (spawn to answering)", &|r| format!("{:.2} s", r.start_seconds));
    row(&mut md, "RSS idle / peak", &|r| format!("{:.0} / {:.0} MB", r.rss_idle_mb, r.rss_peak_mb));
    let names: Vec<String> =
        runs.first().map(|r| r.latencies.iter().map(|l| l.what.clone()).collect()).unwrap_or_default();
    for name in names {
        row(&mut md, &format!("{name}: p50 / p99 (body)"), &|r| {
            r.latencies
                .iter()
                .find(|l| l.what == name)
                .map_or("-".into(), |l| format!("{:.1} / {:.1} ms ({:.0} KB)", l.p50_ms, l.p99_ms, l.kb))
        });
    }
    row(&mut md, "a call (virtual key): gateway CPU, p99", &|r| match (r.call_us_per_request, r.call_p99_ms) {
        (Some(us), Some(p99)) => format!("{us:.1} µs/req at {} req/s, p99 {p99:.2} ms", r.call_rate),
        _ => "-".into(),
    });
    md
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_sizes() {
        let samples: Vec<(f64, usize)> = (1..=100).map(|i| (i as f64, 1024)).collect();
        let l = latency("x", &samples);
        assert_eq!((l.p50_ms, l.p99_ms, l.max_ms, l.kb), (50.0, 99.0, 100.0, 1.0));
        assert!(latency("none", &[]).p99_ms.is_nan());
    }

    #[test]
    fn seeded_tokens_match_both_databases() {
        assert_eq!(token(255).len(), 64);
        assert!(token(255).ends_with("ff"));
        let seed = Seed { keys: 10, spend_rows: 100, days: 30 };
        assert!(seed.sqlite_sql("2026-11-06").contains("printf('%064x', x)"));
        assert!(seed.postgres_sql("2026-11-06").contains("lpad(to_hex(x), 64, '0')"));
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
