//! Logs of the app and of the gateway it runs: to stderr, to a file in the app's log folder
//! (the previous run's file is kept as `.1`; opened once the app is the only instance), and to
//! the gateway's in-memory ring, which the panel reads at `/switchboard/logs`. The master key is
//! never logged.

use std::io::Write;
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

/// Logging to stderr and the gateway's ring from now on; to the file once [`open_file`] names it.
pub fn init() {
    let to_file = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(|| SinkWriter).with_filter(filter());
    let result = tracing_subscriber::registry()
        .with(switchboard::logs::RingLayer.with_filter(filter()))
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_filter(filter()))
        .with(to_file)
        .try_init();
    if let Err(e) = result {
        eprintln!("warning: logging was already set up: {e}");
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
