//! The two commands of the app's own stopped page (a bundled asset). The panel, served by the
//! gateway, is a remote page and gets no IPC: Tauri refuses app commands from remote origins
//! unless a capability allows them, and none does.

use serde::Serialize;
use tauri::{AppHandle, State};

use crate::gateway::Status;
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
