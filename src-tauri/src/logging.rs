//! Logs of the app and of the gateway it runs: to stderr, to a file in the app's log folder
//! (the previous run's file is kept as `.1`; opened once the app is the only instance), and to
//! the gateway's in-memory ring, which the panel reads at `/switchboard/logs`. The master key is
//! never logged.
//!
//! The level is the Settings page's (`log_level` in `settings.json`, changed while the app
//! runs), unless `SWITCHBOARD_LOG` or `RUST_LOG` names a filter: then that filter rules.

use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// The levels the Settings page offers, quietest first.
pub const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
pub const DEFAULT_LEVEL: &str = "info";

/// The environment variable whose filter overrides the setting, with its value.
pub fn level_from_environment() -> Option<(&'static str, String)> {
    ["SWITCHBOARD_LOG", "RUST_LOG"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(|v| (name, v)))
}

/// The filter for a level of the Settings page. Debug and trace apply to Switchboard's own
/// lines (targets `switchboard*`): the HTTP and AWS libraries' own at that level would bury
/// them, and stay at info.
fn filter_for(level: &str) -> EnvFilter {
    match level {
        "debug" | "trace" => EnvFilter::new(format!("info,switchboard={level}")),
        _ => EnvFilter::new(level),
    }
}

fn initial_filter(level: &str) -> EnvFilter {
    match level_from_environment() {
        Some((_, directives)) => EnvFilter::try_new(&directives).unwrap_or_else(|e| {
            eprintln!("warning: ignoring the log filter {directives:?}: {e}");
            filter_for(DEFAULT_LEVEL)
        }),
        None => filter_for(level),
    }
}

static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

/// Changes the level of every log line from now on (file, stderr, the panel's Logs page).
pub fn set_level(level: &str) -> Result<(), String> {
    if !LEVELS.contains(&level) {
        return Err(format!("unknown log level {level:?}: one of {}", LEVELS.join(", ")));
    }
    if let Some((name, value)) = level_from_environment() {
        return Err(format!("the log filter is set by {name}={value}; unset it to choose the level here"));
    }
    let handle = FILTER.get().ok_or("logging is not set up")?;
    handle.reload(filter_for(level)).map_err(|e| e.to_string())
}

/// Where file log lines go. Until the app knows it is the only instance they are held in
/// memory: a second launch, which hands over to the running app and exits, must not rotate the
/// running app's log file away.
enum Sink {
    Held(Vec<u8>),
    File(std::fs::File),
    Off,
}

/// Enough for the lines of a start; more is dropped rather than held without bound.
const HELD_AT_MOST: usize = 1 << 20;

static SINK: Mutex<Sink> = Mutex::new(Sink::Held(Vec::new()));

struct SinkWriter;

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *sink {
            Sink::Held(held) if held.len() + buf.len() <= HELD_AT_MOST => held.extend_from_slice(buf),
            Sink::Held(_) | Sink::Off => {}
            Sink::File(file) => file.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut *SINK.lock().unwrap_or_else(|e| e.into_inner()) {
            Sink::File(file) => file.flush(),
            _ => Ok(()),
        }
    }
}

/// Logging at `level` to stderr and the gateway's ring from now on; to the file once
/// [`open_file`] names it.
pub fn init(level: &str) {
    let (filter, handle) = reload::Layer::new(initial_filter(level));
    let result = tracing_subscriber::registry()
        .with(filter)
        .with(switchboard::logs::RingLayer)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(|| SinkWriter))
        .try_init();
    match result {
        Ok(()) => {
            let _ = FILTER.set(handle);
        }
        Err(e) => eprintln!("warning: logging was already set up: {e}"),
    }
}

/// Starts the log file (the previous run's kept as `.1`) with the lines logged so far; called
/// once the app is the only instance (again later: nothing to do).
pub fn open_file(file: &Path) {
    if !matches!(*SINK.lock().unwrap_or_else(|e| e.into_inner()), Sink::Held(_)) {
        return;
    }
    let opened = (|| {
        if let Some(dir) = file.parent() {
            crate::paths::create_private_dir(dir)?;
        }
        if file.exists() {
            let _ = std::fs::rename(file, file.with_extension("log.1"));
        }
        std::fs::File::create(file)
    })();
    let mut sink = SINK.lock().unwrap_or_else(|e| e.into_inner());
    let held = match std::mem::replace(&mut *sink, Sink::Off) {
        Sink::Held(held) => held,
        _ => Vec::new(),
    };
    match opened {
        Ok(mut f) => {
            if let Err(e) = f.write_all(&held) {
                eprintln!("warning: cannot write the log file {}: {e}", file.display());
            }
            *sink = Sink::File(f);
        }
        Err(e) => eprintln!("warning: cannot write the log file {}: {e}", file.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::level_filters::LevelFilter;

    #[test]
    fn each_level_filters_at_that_level_and_debug_keeps_libraries_at_info() {
        for (level, most) in LEVELS.into_iter().zip([
            LevelFilter::ERROR,
            LevelFilter::WARN,
            LevelFilter::INFO,
            LevelFilter::DEBUG,
            LevelFilter::TRACE,
        ]) {
            assert_eq!(filter_for(level).max_level_hint(), Some(most), "{level}");
        }
        let debug = filter_for("debug").to_string();
        assert!(debug.contains("switchboard=debug") && debug.contains("info"), "{debug}");
    }

    #[test]
    fn an_unknown_level_is_refused_with_the_choices() {
        let e = set_level("loud").unwrap_err();
        assert!(e.contains("error, warn, info, debug, trace"), "{e}");
    }
}
