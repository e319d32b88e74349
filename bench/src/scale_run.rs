//! `bench --scale`: the gateway on a database seeded with many keys and spend rows.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::json;
use switchboard_bench::http;
use switchboard_bench::procfs::CpuSample;
use switchboard_bench::report::{self, Auth, Scenario, Target, Upstream};
use switchboard_bench::scale;

use super::{
    Ctx, LoadSpec, MASTER_KEY, SETTLE, ScaleDb, command_output, create_virtual_key, gateway_memory, loopback, probe,
    psql, request_for, run_oha, versions_line, wait_quiet,
};

/// The scale run: for each database, a seeded copy (made once and kept: seeding takes minutes),
/// the gateway started on it and measured.
pub(super) fn run_scale(ctx: &mut Ctx, mut meta: serde_json::Value, out: &Path) -> anyhow::Result<ExitCode> {
    let seed = scale::Seed { keys: ctx.args.scale_keys, spend_rows: ctx.args.scale_rows, days: ctx.args.scale_days };
    let first_day = command_output("date", &["-u", "-d", &format!("{} days ago", seed.days - 1), "+%F"])
        .ok_or_else(|| anyhow!("date -u -d could not tell the first day"))?;
    if let Some(settings) = meta["settings"].as_object_mut() {
        settings.insert("scale".into(), json!(seed));
    }
    let seeds = out.join("scale-seeds");
    std::fs::create_dir_all(&seeds)?;
    let mut runs = Vec::new();
    for db in ctx.args.scale_db.clone() {
        let run = match db {
            ScaleDb::Sqlite => scale_sqlite(ctx, &seed, &first_day, &seeds),
            ScaleDb::Postgres => scale_postgres(ctx, &seed, &first_day),
        };
        let name = match db {
            ScaleDb::Sqlite => "SQLite",
            ScaleDb::Postgres => "PostgreSQL",
        };
        let run = run.unwrap_or_else(|e| scale::Run {
            database: name.into(),
            seed_seconds: None,
            start_seconds: f64::NAN,
            rss_idle_mb: f64::NAN,
            rss_peak_mb: f64::NAN,
            latencies: Vec::new(),
            call_us_per_request: None,
            call_rate: SCALE_CALL_RATE,
            call_p99_ms: None,
            status: format!("failed: {e:#}"),
        });
        println!("bench: scale on {}: {}", run.database, run.status);
        runs.push(run);
    }
    let md = format!("{}\n\n{}", versions_line(&meta), scale::markdown(&seed, &runs));
    println!("\n{md}");
    std::fs::write(
        out.join("scale.json"),
        serde_json::to_string_pretty(&json!({"meta": meta, "seed": seed, "runs": runs}))? + "\n",
    )?;
    std::fs::write(out.join("scale.md"), &md)?;
    println!("Wrote {} and {}", out.join("scale.json").display(), out.join("scale.md").display());
    Ok(if runs.iter().all(|r| r.status == "ok") { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The rate of the scale run's calls (the scenarios' `switchboard-vkey-openai-2000` compares).
const SCALE_CALL_RATE: u32 = 2000;

fn scale_sqlite(ctx: &mut Ctx, seed: &scale::Seed, first_day: &str, seeds: &Path) -> anyhow::Result<scale::Run> {
    let seeded =
        seeds.join(format!("seed-v{}-{}-{}-{}.sqlite", scale::SEED_VERSION, seed.keys, seed.spend_rows, seed.days));
    let mut seed_seconds = None;
    if !seeded.exists() {
        let making = seeds.join("making.sqlite");
        let _ = std::fs::remove_file(&making);
        let url = format!("sqlite://{}?mode=rwc", making.display());
        // The gateway makes the tables (its migrations); then sqlite3 fills them.
        let scenario = scale_scenario("scale-migrate");
        drop(ctx.start_switchboard(&scenario, Some((&url, None)), 0)?);
        println!("bench: seeding {} (once; kept for the next runs)", seeded.display());
        let started = Instant::now();
        feed("sqlite3", &[making.to_string_lossy().as_ref()], &seed.sqlite_sql(first_day))?;
        seed_seconds = Some(started.elapsed().as_secs_f64());
        std::fs::rename(&making, &seeded)?;
    }
    let copy = ctx.run_dir.join("scale.sqlite");
    std::fs::copy(&seeded, &copy)?;
    // On disk before the gateway starts: else the start is timed against the writeback of
    // the copy's gigabytes.
    std::fs::File::open(&copy)?.sync_all()?;
    let url = format!("sqlite://{}?mode=rwc", copy.display());
    let mut run = scale_measure(ctx, "SQLite", &url, seed)?;
    run.seed_seconds = seed_seconds;
    let _ = std::fs::remove_file(&copy);
    Ok(run)
}

fn scale_postgres(ctx: &mut Ctx, seed: &scale::Seed, first_day: &str) -> anyhow::Result<scale::Run> {
    let server = ctx.args.database_url.clone();
    let schema = format!("bench_scale_v{}_{}_{}_{}", scale::SEED_VERSION, seed.keys, seed.spend_rows, seed.days);
    let sep = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{sep}options=-c%20search_path%3D{schema}");
    let exists = command_output(
        "psql",
        &[&server, "-XAtc", &format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}' AND table_name = 'spend_daily'")],
    )
    .is_some_and(|n| n == "1");
    let mut seed_seconds = None;
    if !exists {
        psql(&server, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        psql(&server, &format!("CREATE SCHEMA {schema}"))?;
        let scenario = scale_scenario("scale-migrate-pg");
        drop(ctx.start_switchboard(&scenario, Some((&url, None)), 0)?);
        println!("bench: seeding schema {schema} (once; kept for the next runs)");
        let started = Instant::now();
        let sql = format!("SET search_path TO {schema};\n{}", seed.postgres_sql(first_day));
        feed("psql", &[&server, "-Xq", "-v", "ON_ERROR_STOP=1"], &sql)?;
        seed_seconds = Some(started.elapsed().as_secs_f64());
    }
    let mut run = scale_measure(ctx, "PostgreSQL", &url, seed)?;
    run.seed_seconds = seed_seconds;
    Ok(run)
}

fn scale_scenario(name: &str) -> Scenario {
    let mut s = Scenario::new(Target::Switchboard, Upstream::Openai, false, Some(SCALE_CALL_RATE), Auth::VirtualKey);
    s.name = name.to_owned();
    s
}

/// Runs `program args` with `input` on its standard input; fails with its error output.
fn feed(program: &str, args: &[&str], input: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {program}"))?;
    child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?.write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("{program} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// Starts the gateway on a seeded database and measures it.
fn scale_measure(ctx: &mut Ctx, database: &str, url: &str, seed: &scale::Seed) -> anyhow::Result<scale::Run> {
    wait_quiet(ctx, Duration::from_secs(ctx.args.wait_quiet));
    let scenario = scale_scenario(&format!("scale-{}", database.to_lowercase()));
    let started = Instant::now();
    let mut gateway = ctx.start_switchboard(&scenario, Some((url, None)), 0)?;
    let start_seconds = started.elapsed().as_secs_f64();
    sleep(Duration::from_secs(1));
    let (rss_idle_mb, _) = gateway_memory(&mut gateway)?;
    println!("bench: {database}: answering {start_seconds:.2} s after its start, RSS {rss_idle_mb:.0} MB");

    let auth = format!("Bearer {MASTER_KEY}");
    let headers = [("Authorization", auth.as_str())];
    let pages = (seed.keys / 50).max(1);
    // Spread over the table without a random source: a fixed stride.
    let pick = |i: u64, n: u64| 1 + (i * 7_919) % n;
    let mut latencies = Vec::new();
    let mut measure = |what: &str, paths: Vec<String>| -> anyhow::Result<()> {
        let mut samples = Vec::new();
        for path in &paths {
            let t = Instant::now();
            let r = http::request(loopback(gateway.port), "GET", path, &headers, None, Duration::from_secs(60))?;
            if r.status != 200 {
                bail!("{path} answered {}: {}", r.status, r.text().chars().take(300).collect::<String>());
            }
            samples.push((t.elapsed().as_secs_f64() * 1000.0, r.body.len()));
        }
        let l = scale::latency(what, &samples);
        println!("bench: {database}: {what}: p50 {:.1} ms, p99 {:.1} ms ({:.0} KB)", l.p50_ms, l.p99_ms, l.kb);
        latencies.push(l);
        Ok(())
    };
    measure(
        "/key/list, a page of 50",
        (0..100).map(|i| format!("/key/list?page={}&size=50", pick(i, pages))).collect(),
    )?;
    measure(
        "/key/list, the panel's page of 50 (whole keys)",
        (0..100).map(|i| format!("/key/list?page={}&size=50&return_full_object=true", pick(i, pages))).collect(),
    )?;
    measure(
        "/key/list, the panel's search (name contains, any case)",
        (0..20)
            .map(|i| format!("/key/list?key_alias=SCALE-{}&substring_matching=true&size=50", pick(i, seed.keys)))
            .collect(),
    )?;
    measure(
        "/key/list, one alias",
        (0..100).map(|i| format!("/key/list?key_alias=scale-{}", pick(i, seed.keys))).collect(),
    )?;
    measure("/key/info", (0..100).map(|i| format!("/key/info?key={}", scale::token(pick(i, seed.keys)))).collect())?;
    measure("/switchboard/stats (today)", (0..20).map(|_| "/switchboard/stats".to_owned()).collect())?;
    measure(
        "/switchboard/spend/daily (30 days, by model)",
        (0..20).map(|_| "/switchboard/spend/daily?days=30".to_owned()).collect(),
    )?;
    measure("/global/spend/keys?limit=10", (0..20).map(|_| "/global/spend/keys?limit=10".to_owned()).collect())?;

    // A call with a virtual key made now, at a fixed rate: the hot path with a million keys.
    let key = create_virtual_key(gateway.port)?.map_err(|skip| anyhow!(skip))?;
    let (path, body) = request_for(&scenario);
    probe(gateway.port, &path, &body, Some(&key), &scenario)?;
    let spec = LoadSpec {
        port: gateway.port,
        more_ports: &[],
        path: &path,
        body: &body,
        key: Some(&key),
        rate: Some(SCALE_CALL_RATE),
    };
    run_oha(ctx, &spec, ctx.args.warmup, false)?;
    sleep(SETTLE);
    let pid = gateway.proc.pid();
    let before = CpuSample::take(pid);
    let load = run_oha(ctx, &spec, ctx.args.duration, true)?.ok_or_else(|| anyhow!("no oha report"))?;
    sleep(SETTLE);
    let after = CpuSample::take(pid);
    let cpu = before.zip(after).and_then(|(b, a)| {
        let (seconds, precise) = b.seconds_until(&a, ctx.ticks_per_second);
        report::cpu(seconds, precise, load.responses, load.seconds)
    });
    let (_, rss_peak_mb) = gateway_memory(&mut gateway)?;
    Ok(scale::Run {
        database: database.into(),
        seed_seconds: None,
        start_seconds,
        rss_idle_mb,
        rss_peak_mb,
        latencies,
        call_us_per_request: cpu.map(|c| c.us_per_request),
        call_rate: SCALE_CALL_RATE,
        call_p99_ms: Some(load.p99_ms),
        status: if load.errors() == 0 { "ok".into() } else { format!("{} calls failed", load.errors()) },
    })
}
