//! The window's menu bar: Gateway → Start / Stop / Restart, Open panel, Copy base URL,
//! Choose config.yaml…, Quit, and three lines saying where the gateway listens, which config it
//! runs and where the master key is kept. (The menu bar works on every desktop, Xvfb included,
//! where there may be no tray host; the tray icon's menu, `tray`, uses the same item ids.)

use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Wry};

use crate::gateway::Status;
use crate::shell;

/// The items whose label or state follows the gateway.
pub struct Handles {
    start: MenuItem<Wry>,
    stop: MenuItem<Wry>,
    copy_url: MenuItem<Wry>,
    forget_config: MenuItem<Wry>,
    status_line: MenuItem<Wry>,
    config_line: MenuItem<Wry>,
}

pub fn build(app: &AppHandle, key_line: &str) -> tauri::Result<(Menu<Wry>, Handles)> {
    let item = |id: &str, text: &str, accelerator: Option<&str>| MenuItem::with_id(app, id, text, true, accelerator);
    let info = |id: &str, text: &str| MenuItem::with_id(app, id, text, false, None::<&str>);
    let separator = || PredefinedMenuItem::separator(app);

    let start = item("start", "Start gateway", None)?;
    let stop = item("stop", "Stop gateway", None)?;
    let restart = item("restart", "Restart gateway", None)?;
    let open_panel = item("open_panel", "Open panel", Some("CmdOrCtrl+R"))?;
    let copy_url = item("copy_url", "Copy base URL", Some("CmdOrCtrl+Shift+C"))?;
    let choose_config = item("choose_config", "Choose config.yaml…", Some("CmdOrCtrl+O"))?;
    let forget_config = item("forget_config", "Run without config.yaml", None)?;
    let quit = item("quit", "Quit", Some("CmdOrCtrl+Q"))?;
    let status_line = info("status_line", "Gateway: starting…")?;
    let config_line = info("config_line", "Config: none")?;
    let key_line = info("key_line", key_line)?;

    let gateway = Submenu::with_items(
        app,
        "Gateway",
        true,
        &[
            &start,
            &stop,
            &restart,
            &separator()?,
            &open_panel,
            &copy_url,
            &separator()?,
            &choose_config,
            &forget_config,
            &separator()?,
            &status_line,
            &config_line,
            &key_line,
            &separator()?,
            &quit,
        ],
    )?;
    #[cfg(target_os = "macos")]
    let menu = {
        // macOS: the first submenu is the application menu; Edit gives the webview copy/paste.
        let app_menu = Submenu::with_items(app, "Switchboard", true, &[&PredefinedMenuItem::quit(app, None)?])?;
        let edit = Submenu::with_items(
            app,
            "Edit",
            true,
            &[
                &PredefinedMenuItem::cut(app, None)?,
                &PredefinedMenuItem::copy(app, None)?,
                &PredefinedMenuItem::paste(app, None)?,
                &PredefinedMenuItem::select_all(app, None)?,
            ],
        )?;
        Menu::with_items(app, &[&app_menu, &gateway, &edit])?
    };
    #[cfg(not(target_os = "macos"))]
    let menu = Menu::with_items(app, &[&gateway])?;

    Ok((menu, Handles { start, stop, copy_url, forget_config, status_line, config_line }))
}

impl Handles {
    pub fn update(&self, status: &Status) {
        let result = (|| -> tauri::Result<()> {
            self.start.set_enabled(!status.running)?;
            self.stop.set_enabled(status.running)?;
            self.copy_url.set_enabled(status.running)?;
            self.forget_config.set_enabled(status.config_path.is_some())?;
            self.status_line.set_text(match (&status.url, &status.error) {
                (Some(url), _) => format!("Gateway: running on {url}"),
                (None, Some(_)) => "Gateway: did not start (see the window)".to_string(),
                (None, None) => "Gateway: stopped".to_string(),
            })?;
            self.config_line.set_text(match &status.config_path {
                Some(p) => format!("Config: {}", p.display()),
                None => "Config: none (models can be added in the panel)".to_string(),
            })?;
            Ok(())
        })();
        if let Err(e) = result {
            tracing::warn!("cannot update the menu: {e}");
        }
    }
}

pub fn on_event(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        "start" => shell::start(app),
        "stop" => shell::stop(app),
        "restart" => shell::restart(app),
        "open_panel" => shell::open_panel(app),
        "copy_url" => shell::copy_base_url(app),
        "copy_snippet" => shell::copy_snippet(app),
        "open_log" => shell::open_log(app),
        "autostart" => shell::toggle_autostart(app),
        "close_to_tray" => shell::toggle_close_to_tray(app),
        "choose_config" => shell::choose_config(app),
        "forget_config" => shell::forget_config(app),
        "quit" => shell::quit(app),
        _ => {}
    }
}
