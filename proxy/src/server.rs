//! Binding, serving and shutting down.

use axum::ServiceExt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::admin::Core;
use crate::auth::Authenticator;
use crate::auth::registry::Registry;
use crate::config::{Config, ConfigError};
use crate::gateway::{Gateway, governance};
use crate::http::{AppState, router};
use crate::spend::SpendWriter;
use crate::store::{Store, StoreError, default_sqlite_path, sqlite_url};
use secrecy::ExposeSecret;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {source}{hint}")]
    Bind { addr: SocketAddr, source: std::io::Error, hint: &'static str },
    #[error(
        "no master key: set general_settings.master_key or LITELLM_MASTER_KEY (on 127.0.0.1, `switchboard serve` makes one when neither is set)"
    )]
    NoMasterKey,
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Other(String),
}

/// How long in-flight requests get to finish at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// A gateway serving in the background (used by the CLI and by tests).
pub struct RunningServer {
    pub local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (bounded), and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| {
        let hint = if source.kind() == std::io::ErrorKind::AddrInUse {
            " (the port is taken; pass another with --port)"
        } else {
            ""
        };
        StartError::Bind { addr, source, hint }
    })
}

/// The database a config asks for: `database_url` / `DATABASE_URL`, else the embedded SQLite
/// file in the user's data folder.
pub fn database_url(config: &Config) -> String {
    match &config.general.database_url {
        Some(url) => url.expose_secret().to_string(),
        None => sqlite_url(&default_sqlite_path()),
    }
}

/// Builds the gateway from `config` and serves it on `listener` until shut down.
pub async fn start(config: Config, listener: TcpListener) -> Result<RunningServer, StartError> {
    let local_addr = listener.local_addr().map_err(|e| StartError::Other(e.to_string()))?;
    // Nobody gets in without a key: with none, any web page could drive the admin API.
    let Some(master_key) = config.general.master_key.clone() else {
        return Err(StartError::NoMasterKey);
    };
    let sealing_key = config.general.salt_key.as_ref().unwrap_or(&master_key);
    let store = Store::connect(&database_url(&config)).await?.with_sealing_key(sealing_key)?;
    // Other replicas on the same PostgreSQL database: listening before the snapshot is read,
    // their changes since apply here too.
    let listening = crate::replicas::listen(&database_url(&config), &store).await;
    let (registry, snapshot) = Registry::load(&store).await?;
    let registry = Arc::new(registry);
    let writer =
        SpendWriter::spawn(store.clone(), config.general.spend_flush_interval, config.general.spend_backlog_rows);
    let db_models = snapshot
        .models
        .iter()
        .filter_map(|m| match config.model_entry(&m.model_id, &m.model_name, &m.litellm_params, &m.model_info) {
            Ok(entry) => Some(entry),
            Err(e) => {
                tracing::error!("database model {} ({}) left out: {e}", m.model_id, m.model_name);
                None
            }
        })
        .collect();
    let gateway = Arc::new(Gateway::build(&config, registry.clone(), Some(writer.sink()), db_models).await?);

    let auth = Authenticator::new(&master_key, config.general.key_header_name.as_deref(), registry.clone())
        .map_err(StartError::Other)?;

    // Budget periods end on their own, also for keys nobody is using.
    let roller = {
        let (registry, sink) = (registry.clone(), writer.sink());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                governance::roll_all(&registry, &sink, chrono::Utc::now());
            }
        })
    };

    let config = Arc::new(config);
    let replicas = crate::replicas::shared(&store)
        .then(|| Arc::new(crate::replicas::Peers::new(&crate::time::format_time(chrono::Utc::now()))));
    let follower = replicas.clone().map(|peers| {
        crate::replicas::spawn(listening, database_url(&config), store.clone(), gateway.clone(), config.clone(), peers)
    });
    let router_sync = gateway.share_router_state();
    let telemetry = gateway.telemetry.clone();
    let responses = Arc::new(crate::responses::SavedResponses::new(store.clone()));
    let state = AppState {
        admin: Core::new(gateway.clone(), store.clone(), config.clone()),
        gateway,
        auth: Arc::new(auth),
        store: store.clone(),
        config,
        started: Instant::now(),
        responses: responses.clone(),
        listen: local_addr,
        replicas,
    };
    let app = router(state, local_addr).map_err(StartError::Other)?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (drain_tx, drain_rx) = oneshot::channel::<()>();
        // Streams are many small writes: without TCP_NODELAY, Nagle's algorithm holds each one
        // until the client's delayed ACK (~40 ms).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY not set: {e}");
            }
        });
        let server = axum::serve(listener, app.into_make_service()).with_graceful_shutdown(async move {
            let _ = rx.await;
            let _ = drain_tx.send(());
        });
        let drain_deadline = async move {
            let _ = drain_rx.await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        tokio::select! {
            result = server => {
                if let Err(e) = result {
                    tracing::error!("server stopped: {e}");
                }
            }
            () = drain_deadline => tracing::warn!("shutdown: requests still running after {DRAIN_TIMEOUT:?} were cut off"),
        }
        roller.abort();
        if let Some(sync) = router_sync {
            sync.abort();
        }
        if let Some(follower) = follower {
            follower.abort();
        }
        // Every spend row of the requests served is written before the process goes.
        writer.shutdown().await;
        // Responses answered but not yet written are written before the database closes.
        responses.flush(Duration::from_secs(5)).await;
        store.close().await;
        // The spans still waiting are sent; the exporter blocks its caller until they are.
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(tracing) = &telemetry.tracing {
                tracing.shutdown();
            }
        })
        .await;
    });
    Ok(RunningServer { local_addr, shutdown: Some(tx), task })
}

/// Serves until `signal` completes, then shuts down gracefully.
pub async fn serve_until(config: Config, addr: SocketAddr, signal: impl Future<Output = ()>) -> Result<(), StartError> {
    for warning in &config.warnings {
        tracing::warn!("config: {warning}");
    }
    if config.general.master_key.as_ref().is_some_and(|k| k.expose_secret() == "sk-1234") {
        tracing::warn!(
            "the master key is the publicly known sk-1234; choose a random one before exposing this gateway"
        );
    }
    let listener = bind(addr).await?;
    let models = config.models.len();
    let server = start(config, listener).await?;
    tracing::info!("Switchboard {} listening on {} ({models} deployments)", crate::VERSION, server.base_url());
    signal.await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The desktop app spawns the server from its own tasks.
    #[allow(dead_code)]
    fn start_is_send(config: crate::config::Config, listener: tokio::net::TcpListener) {
        fn assert_send<T: Send>(_: T) {}
        assert_send(super::start(config, listener));
    }
}
