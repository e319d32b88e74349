//! The commands of the app's own pages: the stopped page (a bundled asset) asks for the
//! gateway's state and starts it; the panel's Settings page, served by the gateway, reads and
//! changes the app's settings. Which page may call which is decided by the capabilities in
//! `capabilities/` (Tauri refuses a command no capability grants to the calling origin); the
//! panel's commands also check that the page is the running gateway's.

use std::path::Path;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State, Webview};

use crate::gateway::Status;
use crate::logging;
use crate::settings::Settings;
use crate::shell::{self, Shell};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    #[serde(flatten)]
    status: Status,
    key_storage: String,
    log_file: String,
}

fn view(shell: &Shell, status: Status) -> StatusView {
    StatusView {
        status,
        key_storage: shell.key_storage.describe(),
        log_file: shell.paths.log_file().display().to_string(),
    }
}

#[tauri::command]
pub async fn gateway_status(shell: State<'_, Shell>) -> Result<StatusView, String> {
    let status = shell.gateway.status().await;
    Ok(view(&shell, status))
}

#[tauri::command]
pub async fn start_gateway(app: AppHandle, shell: State<'_, Shell>) -> Result<StatusView, String> {
    let status = shell.gateway.start().await;
    shell::refresh(&app, &status, false);
    Ok(view(&shell, status))
}

/// What the Settings page shows.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSettingsView {
    version: &'static str,
    gateway: Status,
    /// The port the gateway tries first.
    port: u16,
    /// `SWITCHBOARD_PORT`, when it sets the port (the setting is then not used).
    port_from_environment: Option<String>,
    start_at_login: bool,
    close_to_tray: bool,
    /// Whether the desktop showed the tray icon (without one, closing the window quits).
    tray_available: bool,
    log_level: String,
    log_levels: [&'static str; 5],
    /// `NAME=value` of the environment variable whose filter rules the logs, when one does.
    log_level_from_environment: Option<String>,
    locations: Locations,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Locations {
    data_folder: String,
    database: String,
    master_key: String,
    log_file: String,
    settings_file: String,
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

async fn settings_view(shell: &Shell) -> AppSettingsView {
    let settings = Settings::load(&shell.paths.settings_file());
    let from_env = logging::level_from_environment();
    AppSettingsView {
        version: env!("CARGO_PKG_VERSION"),
        gateway: shell.gateway.status().await,
        port: shell.gateway.first_port(),
        port_from_environment: std::env::var("SWITCHBOARD_PORT").ok(),
        start_at_login: crate::autostart::is_enabled(),
        close_to_tray: shell.close_to_tray.load(Ordering::Relaxed),
        tray_available: shell.tray.get().is_some(),
        log_level: settings.log_level.unwrap_or_else(|| logging::DEFAULT_LEVEL.into()),
        log_levels: logging::LEVELS,
        log_level_from_environment: from_env.map(|(name, value)| format!("{name}={value}")),
        locations: Locations {
            data_folder: display(&shell.paths.data_dir),
            database: display(&shell.paths.database()),
            master_key: shell.key_storage.location(),
            log_file: display(&shell.paths.log_file()),
            settings_file: display(&shell.paths.settings_file()),
        },
    }
}

/// The panel's commands answer only the running gateway's own pages (the capability admits
/// any port of 127.0.0.1; the gateway's port is known only now).
fn from_gateway_page(webview: &Webview, shell: &Shell) -> Result<(), String> {
    let origin = webview.url().map_err(|e| e.to_string())?.origin().ascii_serialization();
    if shell.gateway.origin().as_deref() == Some(origin.as_str()) {
        Ok(())
    } else {
        Err(format!("{origin} is not the gateway's page"))
    }
}

#[tauri::command]
pub async fn app_settings(webview: Webview, shell: State<'_, Shell>) -> Result<AppSettingsView, String> {
    from_gateway_page(&webview, &shell)?;
    Ok(settings_view(&shell).await)
}

/// A change from the Settings page: only the fields present change.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsChange {
    port: Option<u16>,
    log_level: Option<String>,
    start_at_login: Option<bool>,
    close_to_tray: Option<bool>,
}

/// Ports below this one need administrator rights on Linux and macOS.
const FIRST_UNPRIVILEGED_PORT: u16 = 1024;

fn check_port(port: u16) -> Result<(), String> {
    if port < FIRST_UNPRIVILEGED_PORT {
        return Err(format!(
            "port {port} needs administrator rights; choose one from {FIRST_UNPRIVILEGED_PORT} to 65535"
        ));
    }
    Ok(())
}

/// Applies the change (all of it or, on the first refusal, what came before it) and answers
/// the settings as they are now. A new port applies at the gateway's next start (the page
/// offers the restart), everything else at once.
#[tauri::command]
pub async fn change_app_settings(
    app: AppHandle,
    webview: Webview,
    shell: State<'_, Shell>,
    change: SettingsChange,
) -> Result<AppSettingsView, String> {
    from_gateway_page(&webview, &shell)?;
    if let Some(port) = change.port {
        check_port(port)?;
        if let Ok(value) = std::env::var("SWITCHBOARD_PORT") {
            return Err(format!("the port is set by SWITCHBOARD_PORT={value}; unset it to choose the port here"));
        }
        shell.gateway.set_first_port(port).await;
        shell::update_settings(&app, |s| s.port = Some(port))?;
        tracing::info!("the gateway moves to port {port} at its next start");
    }
    if let Some(level) = change.log_level {
        logging::set_level(&level)?;
        shell::update_settings(&app, |s| s.log_level = Some(level.clone()))?;
        tracing::info!("log level: {level}");
    }
    if let Some(wanted) = change.start_at_login {
        shell::set_autostart(&app, wanted)?;
    }
    if let Some(wanted) = change.close_to_tray {
        shell::set_close_to_tray(&app, wanted)?;
    }
    Ok(settings_view(&shell).await)
}

/// Restarts the gateway (reading the config.yaml again, on the port of the settings). The
/// window then shows the panel anew, at the new address when the port changed.
#[tauri::command]
pub async fn restart_gateway(app: AppHandle, webview: Webview, shell: State<'_, Shell>) -> Result<(), String> {
    from_gateway_page(&webview, &shell)?;
    shell::restart(&app);
    Ok(())
}

/// Opens the native file dialog to choose the config.yaml (or, with `clear`, runs without one).
#[tauri::command]
pub async fn choose_config(
    app: AppHandle,
    webview: Webview,
    shell: State<'_, Shell>,
    clear: Option<bool>,
) -> Result<(), String> {
    from_gateway_page(&webview, &shell)?;
    if clear == Some(true) {
        shell::forget_config(&app)
    } else {
        shell::choose_config(&app)
    }
    Ok(())
}

/// Which folder "Open folder" shows.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Folder {
    Data,
    Logs,
    Settings,
}

#[tauri::command]
pub async fn open_folder(webview: Webview, shell: State<'_, Shell>, folder: Folder) -> Result<(), String> {
    from_gateway_page(&webview, &shell)?;
    let dir = match folder {
        Folder::Data => shell.paths.data_dir.clone(),
        Folder::Logs => shell.paths.log_dir.clone(),
        Folder::Settings => shell.paths.config_dir.clone(),
    };
    shell::open_with_desktop(&dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_that_need_administrator_rights_are_refused() {
        assert!(check_port(4000).is_ok());
        assert!(check_port(65535).is_ok());
        let e = check_port(80).unwrap_err();
        assert!(e.contains("administrator rights") && e.contains("1024 to 65535"), "{e}");
    }

    #[test]
    fn a_change_names_only_known_fields() {
        let change: SettingsChange = serde_json::from_str(r#"{"port": 4100, "logLevel": "debug"}"#).unwrap();
        assert_eq!((change.port, change.log_level.as_deref()), (Some(4100), Some("debug")));
        let e = serde_json::from_str::<SettingsChange>(r#"{"prot": 4100}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `prot`"), "{e}");
        assert!(serde_json::from_str::<SettingsChange>(r#"{"port": 70000}"#).is_err());
    }

    /// The panel's capability admits the gateway's pages on any port of 127.0.0.1, and nothing
    /// else: not another host, scheme or name for it.
    #[test]
    fn the_settings_commands_are_granted_to_127_0_0_1_pages_only() {
        use tauri::utils::acl::RemoteUrlPattern;
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/panel.json")).expect("capabilities/panel.json");
        let patterns: Vec<RemoteUrlPattern> = capability["remote"]["urls"]
            .as_array()
            .expect("remote.urls")
            .iter()
            .map(|u| u.as_str().expect("a URL pattern").parse().expect("a valid URL pattern"))
            .collect();
        let admitted = |url: &str| patterns.iter().any(|p| p.test(&url.parse().expect("a URL")));
        for url in ["http://127.0.0.1:4000/ui/", "http://127.0.0.1:4123/ui/#/settings", "http://127.0.0.1:65535/health"]
        {
            assert!(admitted(url), "{url}");
        }
        for url in [
            "http://localhost:4000/ui/",
            "https://127.0.0.1:4000/ui/",
            "http://127.0.0.2:4000/ui/",
            "http://127.0.0.1.example.com:4000/",
            "http://example.com/",
        ] {
            assert!(!admitted(url), "{url}");
        }
        let granted: Vec<&str> =
            capability["permissions"].as_array().expect("permissions").iter().filter_map(|p| p.as_str()).collect();
        assert!(!granted.contains(&"allow-start-gateway") && granted.contains(&"allow-app-settings"), "{granted:?}");
    }
}
