//! The in-process gateway: start, stop, restart with another config.yaml, and report.
//! Everything the gateway does is `switchboard`'s; this only decides where it listens, which
//! config, database and master key it gets, and when it runs.

use secrecy::{ExposeSecret, SecretString};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU16, Ordering};

use serde::Serialize;
use switchboard::config::{Config, ConfigError};
use switchboard::server::{self, RunningServer, StartError};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// The first port tried when `SWITCHBOARD_PORT` does not name one (LiteLLM's default).
pub const DEFAULT_PORT: u16 = 4000;
/// Ports tried after the first one when it is taken.
const PORT_ATTEMPTS: u16 = 50;

/// What the shell shows: in the title, the menu and the stopped page.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub running: bool,
    /// `http://127.0.0.1:PORT` while running.
    pub url: Option<String>,
    /// The config.yaml in use (none: an empty configuration; models can be added in the panel).
    pub config_path: Option<PathBuf>,
    /// Why the gateway is not running, when it failed to start.
    pub error: Option<String>,
}

pub struct Gateway {
    master_key: SecretString,
    /// The app's SQLite database, used unless the config names a database.
    sqlite_url: String,
    /// Tried first when no port was used yet (0: any free port).
    first_port: AtomicU16,
    /// The config.yaml whose `environment_variables` were applied at startup.
    env_applied_for: Option<PathBuf>,
    state: Mutex<State>,
    /// The running gateway's origin, for synchronous callers (the navigation filter).
    origin: RwLock<Option<String>>,
}

struct State {
    server: Option<RunningServer>,
    config_path: Option<PathBuf>,
    error: Option<String>,
    /// Tried first on the next start, so the panel's address stays the same.
    last_port: Option<u16>,
}

impl Gateway {
    pub fn new(
        master_key: SecretString,
        database: &Path,
        first_port: u16,
        config_path: Option<PathBuf>,
        env_applied_for: Option<PathBuf>,
    ) -> Gateway {
        Gateway {
            master_key,
            sqlite_url: switchboard::store::sqlite_url(database),
            first_port: AtomicU16::new(first_port),
            env_applied_for,
            state: Mutex::new(State { server: None, config_path, error: None, last_port: None }),
            origin: RwLock::new(None),
        }
    }

    pub fn master_key(&self) -> &SecretString {
        &self.master_key
    }

    /// `http://127.0.0.1:PORT` while the gateway runs.
    pub fn origin(&self) -> Option<String> {
        self.origin.read().ok().and_then(|o| o.clone())
    }

    /// The port tried first at the next start.
    pub fn first_port(&self) -> u16 {
        self.first_port.load(Ordering::Relaxed)
    }

    /// Moves the gateway to `port` at its next start (restart): that port first, then the next
    /// free ones. A running gateway stays where it is until then.
    pub async fn set_first_port(&self, port: u16) {
        let mut state = self.state.lock().await;
        if self.first_port.swap(port, Ordering::Relaxed) != port {
            state.last_port = None;
        }
    }

    pub async fn status(&self) -> Status {
        let state = self.state.lock().await;
        state.status()
    }

    /// Starts the gateway with the current config.yaml, unless it runs already. A failure is
    /// reported in the status.
    pub async fn start(&self) -> Status {
        let mut state = self.state.lock().await;
        if state.server.is_none() {
            let path = state.config_path.clone();
            match self.load(path.as_deref()) {
                Ok((config, notices)) => {
                    for n in notices {
                        tracing::warn!("{n}");
                    }
                    if let Err(e) = self.launch(&mut state, config).await {
                        tracing::error!("the gateway did not start: {e}");
                        state.error = Some(e.to_string());
                    }
                }
                Err(e) => {
                    tracing::error!("the gateway did not start: {e}");
                    state.error = Some(e.to_string());
                }
            }
        }
        state.status()
    }

    /// Stops the gateway gracefully: in-flight requests finish, spend is written to the database.
    pub async fn stop(&self) -> Status {
        let mut state = self.state.lock().await;
        self.shutdown(&mut state).await;
        state.error = None;
        state.status()
    }

    /// Runs the gateway with `path` (or with no config.yaml). The file is read and validated
    /// first: when it is invalid, the error is returned and the running gateway is left alone.
    /// Returns the new status and notices worth showing.
    pub async fn use_config(&self, path: Option<PathBuf>) -> Result<(Status, Vec<String>), String> {
        let mut state = self.state.lock().await;
        let (config, notices) = self.load(path.as_deref()).map_err(|e| e.to_string())?;
        for n in &notices {
            tracing::warn!("{n}");
        }
        let previous = std::mem::replace(&mut state.config_path, path.clone());
        self.shutdown(&mut state).await;
        if let Err(e) = self.launch(&mut state, config).await {
            let shown = path.as_deref().map_or_else(|| "no config.yaml".into(), |p| p.display().to_string());
            tracing::error!("the gateway did not start with {shown}: {e}");
            // Back to what ran before.
            state.config_path = previous;
            let fallback = match self.load(state.config_path.as_deref()) {
                Ok((config, _)) => self.launch(&mut state, config).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let mut message = format!("The gateway did not start with {shown}:\n{e}");
            match fallback {
                Ok(()) => message.push_str("\n\nIt runs with the previous configuration again."),
                Err(e2) => {
                    message = format!("{message}\n\nThe previous configuration did not start either:\n{e2}");
                    state.error = Some(e2);
                }
            }
            return Err(message);
        }
        Ok((state.status(), notices))
    }

    /// Reads and prepares a configuration: the app's master key and, unless the config names
    /// one, the app's SQLite database.
    fn load(&self, path: Option<&Path>) -> Result<(Config, Vec<String>), ConfigError> {
        let mut config = match path {
            Some(p) => Config::load(p)?,
            None => Config::default(),
        };
        let mut notices = Vec::new();
        for w in &config.warnings {
            notices.push(format!("config: {w}"));
        }
        if !config.environment.is_empty() && path != self.env_applied_for.as_deref() {
            notices.push(format!(
                "environment_variables of {} are applied when Switchboard starts: quit and reopen it to apply them",
                path.map(|p| p.display().to_string()).unwrap_or_default()
            ));
        }
        if config.general.master_key.as_ref().is_some_and(|k| k.expose_secret() != self.master_key.expose_secret()) {
            notices.push(
                "general_settings.master_key (or LITELLM_MASTER_KEY) is not used by the desktop app: \
                 the gateway uses the app's own master key"
                    .into(),
            );
        }
        config.general.master_key = Some(self.master_key.clone());
        if config.general.database_url.is_none() {
            config.general.database_url = Some(self.sqlite_url.clone().into());
        } else {
            tracing::info!("database: the configured database_url (DATABASE_URL), not the app's SQLite file");
        }
        Ok((config, notices))
    }

    async fn launch(&self, state: &mut State, config: Config) -> Result<(), StartError> {
        let listener = self.bind(state.last_port).await?;
        let models = config.models.len();
        let server = start_server(config, listener).await?;
        let url = server.base_url();
        tracing::info!("gateway listening on {url} ({models} deployments); panel at {url}/ui/");
        state.last_port = Some(server.local_addr.port());
        state.server = Some(server);
        state.error = None;
        self.set_origin(Some(url));
        Ok(())
    }

    async fn shutdown(&self, state: &mut State) {
        if let Some(server) = state.server.take() {
            self.set_origin(None);
            tracing::info!("stopping the gateway on {}", server.base_url());
            server.shutdown().await;
            tracing::info!("gateway stopped; spend written to the database");
        }
    }

    /// The first free port: the last one used, then `first_port`, `first_port + 1`, ...
    async fn bind(&self, last_port: Option<u16>) -> Result<TcpListener, StartError> {
        let first_port = self.first_port();
        let candidates: Vec<u16> = if first_port == 0 {
            vec![0]
        } else {
            last_port.into_iter().chain((0..PORT_ATTEMPTS).filter_map(|i| first_port.checked_add(i))).collect()
        };
        let mut taken = None;
        for port in candidates {
            match server::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
                Ok(listener) => return Ok(listener),
                Err(StartError::Bind { addr, source, .. }) if source.kind() == std::io::ErrorKind::AddrInUse => {
                    tracing::info!("{addr} is taken; trying the next port");
                    taken = Some(StartError::Bind { addr, source, hint: "" });
                }
                Err(e) => return Err(e),
            }
        }
        Err(taken.unwrap_or_else(|| StartError::Other("no port to try".into())))
    }

    fn set_origin(&self, origin: Option<String>) {
        if let Ok(mut o) = self.origin.write() {
            *o = origin;
        }
    }

    /// For the very end of the process: stops a gateway still running.
    pub async fn stop_for_exit(&self) {
        let mut state = self.state.lock().await;
        self.shutdown(&mut state).await;
    }
}

/// `server::start`, on a blocking thread of the same runtime: its future is not `Send` (it
/// holds references to the store across awaits), and Tauri's commands and tasks must be.
async fn start_server(config: Config, listener: TcpListener) -> Result<RunningServer, StartError> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(server::start(config, listener)))
        .await
        .map_err(|e| StartError::Other(format!("the gateway's start was interrupted: {e}")))?
}

impl State {
    fn status(&self) -> Status {
        Status {
            running: self.server.is_some(),
            url: self.server.as_ref().map(RunningServer::base_url),
            config_path: self.config_path.clone(),
            error: self.error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("switchboard-app-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn starts_on_the_next_free_port_and_keeps_running_on_an_invalid_config() {
        let dir = temp_dir("gateway");
        // Take a port, and ask for it.
        let blocker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = blocker.local_addr().unwrap().port();
        let gateway =
            Gateway::new(secrecy::SecretString::from("sk-test-key"), &dir.join("db.sqlite"), taken, None, None);

        let status = gateway.start().await;
        assert!(status.running, "{status:?}");
        let url = status.url.clone().unwrap();
        assert_ne!(url, format!("http://127.0.0.1:{taken}"));
        assert_eq!(gateway.origin().as_deref(), Some(url.as_str()));

        let bad = dir.join("bad.yaml");
        std::fs::write(&bad, "model_list: 3\n").unwrap();
        let err = gateway.use_config(Some(bad)).await.unwrap_err();
        assert!(err.contains("model_list"), "{err}");
        let after = gateway.status().await;
        assert!(after.running);
        assert_eq!(after.url.as_deref(), Some(url.as_str()));
        assert_eq!(after.config_path, None);

        let good = dir.join("good.yaml");
        std::fs::write(
            &good,
            "model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o, api_base: 'http://127.0.0.1:9', api_key: x}\n",
        )
        .unwrap();
        let (status, _) = gateway.use_config(Some(good.clone())).await.unwrap();
        assert_eq!(status.url.as_deref(), Some(url.as_str()), "the address stays the same across restarts");
        assert_eq!(status.config_path.as_deref(), Some(good.as_path()));

        // Another port from the next start on: the running gateway stays until restarted.
        let wanted = {
            let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            free.local_addr().unwrap().port()
        };
        gateway.set_first_port(wanted).await;
        assert_eq!(gateway.status().await.url.as_deref(), Some(url.as_str()));
        let (moved, _) = gateway.use_config(Some(good.clone())).await.unwrap();
        assert_eq!(moved.url, Some(format!("http://127.0.0.1:{wanted}")), "restarted on the port asked for");

        let stopped = gateway.stop().await;
        assert!(!stopped.running);
        assert_eq!(gateway.origin(), None);
        assert!(dir.join("db.sqlite").exists());
        drop(blocker);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
