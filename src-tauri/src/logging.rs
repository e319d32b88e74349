//! Logs of the app and of the gateway it runs: to stderr, to a file in the app's log folder
//! (the previous run's file is kept as `.1`), and to the gateway's in-memory ring, which the
//! panel reads at `/switchboard/logs`. The master key is never logged.

use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

fn filter() -> EnvFilter {
    EnvFilter::try_from_env("SWITCHBOARD_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"))
}

fn open_log_file(file: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = file.parent() {
        crate::paths::create_private_dir(dir)?;
    }
    if file.exists() {
        let _ = std::fs::rename(file, file.with_extension("log.1"));
    }
    std::fs::File::create(file)
}

pub fn init(log_file: &Path) {
    let file = match open_log_file(log_file) {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!("warning: cannot write the log file {}: {e}", log_file.display());
            None
        }
    };
    let to_file = file
        .map(|f| tracing_subscriber::fmt::layer().with_ansi(false).with_writer(Mutex::new(f)).with_filter(filter()));
    let result = tracing_subscriber::registry()
        .with(switchboard::logs::RingLayer.with_filter(filter()))
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter()))
        .with(to_file)
        .try_init();
    if let Err(e) = result {
        eprintln!("warning: logging was already set up: {e}");
    }
}
