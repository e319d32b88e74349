//! What the menu, the window and the stopped page do: each action calls the gateway
//! controller, then shows the result (title, menu, page). No logic of the gateway's own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use secrecy::{ExposeSecret, SecretString};

use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::gateway::{Gateway, Status};
use crate::master_key::KeyStorage;
use crate::menu;
use crate::paths::Paths;
use crate::settings::{Placement, Settings};

/// Labels of the main window: `main`, then `main-2`, ... when it is rebuilt for a new origin.
const MAIN_WINDOW: &str = "main";

/// When `run` began: the start of the app's own timing log.
pub static STARTED: OnceLock<std::time::Instant> = OnceLock::new();
/// Whether the first load of the panel was logged.
static PANEL_TIMED: AtomicBool = AtomicBool::new(false);
/// The bundled page shown while the gateway is stopped.
const LOCAL_PAGE: &str = "index.html";

/// The app's state, managed by Tauri.
pub struct Shell {
    pub gateway: Arc<Gateway>,
    pub paths: Paths,
    pub key_storage: KeyStorage,
    pub menu: OnceLock<menu::Handles>,
    /// The tray icon, when the desktop could make one.
    pub tray: OnceLock<crate::tray::Tray>,
    /// Closing the window hides it (the gateway keeps running) while there is a tray icon.
    pub close_to_tray: AtomicBool,
    /// Where the first window opens (remembered from the last run).
    pub placement: Option<Placement>,
    /// The gateway origin the window's session injection was made for (`None`: none yet).
    window_origin: Mutex<Option<String>>,
    windows_made: AtomicU32,
    #[cfg(not(target_os = "linux"))]
    clipboard: std::sync::Mutex<Option<arboard::Clipboard>>,
}

impl Shell {
    pub fn new(
        gateway: Arc<Gateway>,
        paths: Paths,
        key_storage: KeyStorage,
        close_to_tray: bool,
        placement: Option<Placement>,
    ) -> Shell {
        Shell {
            gateway,
            paths,
            key_storage,
            menu: OnceLock::new(),
            tray: OnceLock::new(),
            close_to_tray: AtomicBool::new(close_to_tray),
            placement,
            window_origin: Mutex::new(None),
            windows_made: AtomicU32::new(0),
            #[cfg(not(target_os = "linux"))]
            clipboard: std::sync::Mutex::new(None),
        }
    }
}

/// The panel's address on a running gateway.
pub fn panel_url(base: &str) -> Option<Url> {
    Url::parse(&format!("{base}/ui/")).ok()
}

/// The bundled page's address (Tauri serves app assets on its own scheme).
fn local_page_url() -> Option<Url> {
    let base = if cfg!(any(windows, target_os = "android")) { "http://tauri.localhost/" } else { "tauri://localhost/" };
    Url::parse(base).and_then(|u| u.join(LOCAL_PAGE)).ok()
}

fn is_local_page(url: &Url) -> bool {
    url.scheme() == "tauri" || url.host_str() == Some("tauri.localhost")
}

/// Sets `window.__SWITCHBOARD__` before the panel's scripts run, so the panel skips its sign-in:
/// only on a page whose origin is exactly the gateway's (scheme, host and port). Another local
/// server, on another port of 127.0.0.1, never sees the key. Without a running gateway the
/// script injects nothing; the window is rebuilt when the gateway's origin changes.
fn init_script(master_key: &SecretString, gateway_origin: Option<&str>) -> String {
    let Some(origin) = gateway_origin else { return String::new() };
    let json = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let (key, origin) = (json(master_key.expose_secret()), json(origin));
    format!(
        r#"(function () {{
  if (location.origin !== {origin}) return;
  Object.defineProperty(window, "__SWITCHBOARD__", {{
    value: Object.freeze({{ url: location.origin, masterKey: {key}, desktop: true }}),
    enumerable: false, configurable: false, writable: false
  }});
}})();"#
    )
}

/// Opens the main window on the panel (or on the stopped page), at `placement` when given.
pub fn create_window(
    app: &AppHandle,
    status: &Status,
    menu: tauri::menu::Menu<tauri::Wry>,
    placement: Option<Placement>,
) -> tauri::Result<()> {
    let shell = app.state::<Shell>();
    let url = match status.url.as_deref().and_then(panel_url) {
        Some(u) => WebviewUrl::External(u),
        None => WebviewUrl::App(LOCAL_PAGE.into()),
    };
    let gateway = shell.gateway.clone();
    let made = shell.windows_made.fetch_add(1, Ordering::Relaxed);
    let label = if made == 0 { MAIN_WINDOW.to_string() } else { format!("{MAIN_WINDOW}-{}", made + 1) };
    *shell.window_origin.lock().unwrap_or_else(|e| e.into_inner()) = status.url.clone();
    let (width, height) = placement.map_or((1200.0, 760.0), |p| (p.width, p.height));
    let mut builder = WebviewWindowBuilder::new(app, label, url);
    if let Some(p) = placement {
        builder = builder.position(p.x, p.y);
    }
    builder
        .title(title(status))
        .inner_size(width, height)
        .min_inner_size(640.0, 420.0)
        .menu(menu)
        .on_page_load(|_, payload| {
            // The start's figure: from `run` to the panel's first load (its scripts have run:
            // the signed-in Overview is on screen, its figures still loading).
            if payload.event() == tauri::webview::PageLoadEvent::Finished
                && payload.url().path().starts_with("/ui/")
                && !PANEL_TIMED.swap(true, Ordering::Relaxed)
                && let Some(started) = STARTED.get()
            {
                tracing::info!("startup: the panel loaded {} ms after the app started", started.elapsed().as_millis());
            }
        })
        .initialization_script(init_script(shell.gateway.master_key(), status.url.as_deref()))
        .on_navigation(move |url| {
            // The window shows the gateway's pages and the app's own page, nothing else: the
            // master key is injected into gateway pages.
            let allowed = is_local_page(url)
                || url.as_str() == "about:blank"
                || gateway.origin().is_some_and(|o| url.origin().ascii_serialization() == o);
            if !allowed {
                tracing::info!("not opening {url} in the Switchboard window");
            }
            allowed
        })
        .build()?;
    Ok(())
}

fn title(status: &Status) -> String {
    match (&status.url, &status.error) {
        (Some(url), _) => format!("Switchboard — {url}"),
        (None, Some(_)) => "Switchboard — the gateway did not start".to_string(),
        (None, None) => "Switchboard — gateway stopped".to_string(),
    }
}

/// A second launch of the app (handed over by the single-instance plugin): the running app's
/// window comes to the front instead of a second gateway starting.
pub fn on_second_launch(app: &AppHandle, args: Vec<String>, _cwd: String) {
    tracing::info!(
        "a second launch ({} argument(s)): the window is brought to the front",
        args.len().saturating_sub(1)
    );
    if let Some(window) = main_window(app) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn main_window(app: &AppHandle) -> Option<WebviewWindow> {
    app.webview_windows().into_values().find(|w| w.label().starts_with(MAIN_WINDOW))
}

/// The window's session injection names one origin: when the gateway comes up at another
/// (first start after a stopped launch, or its port was taken meanwhile), a new window with the
/// right one replaces it. Returns whether it did.
fn rebuild_for_origin(app: &AppHandle, window: &WebviewWindow, status: &Status) -> bool {
    let shell = app.state::<Shell>();
    let baked = shell.window_origin.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if status.url.is_none() || baked == status.url {
        return false;
    }
    let Some(menu) = window.menu() else { return false };
    // The new window opens where the old one is, as large (given to the builder: a size set
    // after the window is made can be lost before it is shown).
    if let Err(e) = create_window(app, status, menu, placement_of(window)) {
        tracing::warn!("cannot open the panel for {:?}: {e}", status.url);
        return false;
    }
    let _ = window.destroy();
    true
}

/// Shows `status`: window title, menu, and the page (the panel while the gateway runs, the
/// stopped page otherwise). `reload` loads the panel again even if it is showing.
pub fn refresh(app: &AppHandle, status: &Status, reload: bool) {
    let shell = app.state::<Shell>();
    if let Some(handles) = shell.menu.get() {
        handles.update(status);
    }
    if let Some(tray) = shell.tray.get() {
        tray.update(status);
    }
    let Some(window) = main_window(app) else { return };
    if rebuild_for_origin(app, &window, status) {
        return;
    }
    let _ = window.set_title(&title(status));
    let current = window.url().ok();
    let result = match status.url.as_deref().and_then(panel_url) {
        Some(panel) => {
            let on_panel = current.as_ref().is_some_and(|c| c.origin() == panel.origin());
            if reload || !on_panel { window.navigate(panel) } else { Ok(()) }
        }
        None => match local_page_url() {
            _ if current.as_ref().is_some_and(is_local_page) => {
                window.eval("window.switchboardRefresh && window.switchboardRefresh()")
            }
            Some(page) => window.navigate(page),
            None => Ok(()),
        },
    };
    if let Err(e) = result {
        tracing::warn!("cannot update the window: {e}");
    }
}

fn gateway(app: &AppHandle) -> Arc<Gateway> {
    app.state::<Shell>().gateway.clone()
}

pub fn error_dialog(app: &AppHandle, title: &str, message: impl Into<String>) {
    let mut dialog = app.dialog().message(message).title(title).kind(MessageDialogKind::Error);
    if let Some(w) = main_window(app) {
        dialog = dialog.parent(&w);
    }
    dialog.show(|_| {});
}

fn info_dialog(app: &AppHandle, title: &str, message: impl Into<String>) {
    let mut dialog = app.dialog().message(message).title(title).kind(MessageDialogKind::Info);
    if let Some(w) = main_window(app) {
        dialog = dialog.parent(&w);
    }
    dialog.show(|_| {});
}

pub fn start(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let status = gateway(&app).start().await;
        refresh(&app, &status, false);
    });
}

pub fn stop(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let status = gateway(&app).stop().await;
        refresh(&app, &status, false);
    });
}

/// Reads the config.yaml again and restarts the gateway with it.
pub fn restart(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let path = gateway(&app).status().await.config_path;
        switch_config(&app, path, false).await;
    });
}

pub fn open_panel(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let status = gateway(&app).status().await;
        refresh(&app, &status, true);
        if let Some(w) = main_window(&app) {
            let _ = w.show();
            let _ = w.set_focus();
        }
    });
}

/// A window close: hidden to the tray (the gateway keeps running) when there is a tray icon
/// and the settings say so; otherwise the app quits as the last window goes.
pub fn on_close_requested(window: &tauri::Window, api: &tauri::CloseRequestApi) {
    let app = window.app_handle();
    remember_placement(app);
    let shell = app.state::<Shell>();
    if shell.close_to_tray.load(Ordering::Relaxed) && shell.tray.get().is_some() {
        api.prevent_close();
        let _ = window.hide();
        tracing::info!("window closed; the gateway keeps running in the tray");
    }
}

/// Saves where the main window is and how large, for the next start.
fn remember_placement(app: &AppHandle) {
    if let Some(placement) = main_window(app).as_ref().and_then(placement_of) {
        let _ = update_settings(app, |s| s.window = Some(placement));
    }
}

/// Where a window is and how large (logical pixels).
fn placement_of(window: &WebviewWindow) -> Option<Placement> {
    let (Ok(scale), Ok(position), Ok(size)) = (window.scale_factor(), window.outer_position(), window.inner_size())
    else {
        return None;
    };
    let (position, size) = (position.to_logical::<f64>(scale), size.to_logical::<f64>(scale));
    Some(Placement { x: position.x, y: position.y, width: size.width, height: size.height })
}

/// Changes the remembered settings (read again first: other choices are kept).
pub fn update_settings(app: &AppHandle, change: impl FnOnce(&mut Settings)) -> Result<(), String> {
    let file = app.state::<Shell>().paths.settings_file();
    let mut settings = Settings::load(&file);
    change(&mut settings);
    settings.save(&file).map_err(|e| {
        tracing::warn!("cannot save the settings in {}: {e}", file.display());
        format!("cannot save the settings in {}: {e}", file.display())
    })
}

/// Start at login on or off (the tray's check follows).
pub fn set_autostart(app: &AppHandle, wanted: bool) -> Result<(), String> {
    let result = crate::autostart::set(wanted);
    match &result {
        Ok(()) => tracing::info!("start at login: {}", if wanted { "on" } else { "off" }),
        Err(e) => tracing::warn!("cannot change the start at login: {e}"),
    }
    if let Some(tray) = app.state::<Shell>().tray.get() {
        let _ = tray.autostart.set_checked(crate::autostart::is_enabled());
    }
    result.map_err(|e| format!("cannot change the start at login: {e}"))
}

pub fn toggle_autostart(app: &AppHandle) {
    if let Err(e) = set_autostart(app, !crate::autostart::is_enabled()) {
        error_dialog(app, "Switchboard", e);
    }
}

/// Whether closing the window keeps the gateway running in the tray (saved; the tray's check
/// follows).
pub fn set_close_to_tray(app: &AppHandle, wanted: bool) -> Result<(), String> {
    let shell = app.state::<Shell>();
    shell.close_to_tray.store(wanted, Ordering::Relaxed);
    if let Some(tray) = shell.tray.get() {
        let _ = tray.close_to_tray.set_checked(wanted);
    }
    tracing::info!("closing the window {}", if wanted { "keeps the gateway in the tray" } else { "quits" });
    update_settings(app, |s| s.close_to_tray = Some(wanted))
}

pub fn toggle_close_to_tray(app: &AppHandle) {
    let wanted = !app.state::<Shell>().close_to_tray.load(Ordering::Relaxed);
    if let Err(e) = set_close_to_tray(app, wanted) {
        error_dialog(app, "Switchboard", e);
    }
}

pub fn copy_snippet(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Some(url) = gateway(&app).origin() {
            set_clipboard(&app, crate::tray::client_snippet(&url));
        }
    });
}

/// Opens a file or folder with the desktop's application for it (a folder: the file manager).
pub fn open_with_desktop(path: &std::path::Path) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    let opener = "xdg-open";
    #[cfg(target_os = "macos")]
    let opener = "open";
    #[cfg(target_os = "windows")]
    let opener = "explorer";
    match std::process::Command::new(opener).arg(path).spawn() {
        Ok(mut child) => {
            // Reaped when it ends: xdg-open returns once the application is launched.
            std::thread::spawn(move || child.wait());
            tracing::info!("opened {}", path.display());
            Ok(())
        }
        Err(e) => Err(format!("cannot open {} ({opener}: {e})", path.display())),
    }
}

/// Opens the log file with the desktop's viewer for it.
pub fn open_log(app: &AppHandle) {
    if let Err(e) = open_with_desktop(&app.state::<Shell>().paths.log_file()) {
        error_dialog(app, "Switchboard", e);
    }
}

pub fn copy_base_url(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Some(url) = gateway(&app).origin() {
            set_clipboard(&app, url);
        }
    });
}

#[cfg(target_os = "linux")]
fn set_clipboard(app: &AppHandle, text: String) {
    // GTK's clipboard, on the GTK thread: works on X11 and Wayland alike.
    let result = app.run_on_main_thread(move || {
        let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
        clipboard.set_text(&text);
        clipboard.store();
    });
    if let Err(e) = result {
        tracing::warn!("cannot copy to the clipboard: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
fn set_clipboard(app: &AppHandle, text: String) {
    let shell = app.state::<Shell>();
    let mut slot = shell.clipboard.lock().unwrap_or_else(|e| e.into_inner());
    if slot.is_none() {
        *slot = arboard::Clipboard::new().map_err(|e| tracing::warn!("no clipboard: {e}")).ok();
    }
    if let Some(clipboard) = slot.as_mut() {
        if let Err(e) = clipboard.set_text(text) {
            tracing::warn!("cannot copy to the clipboard: {e}");
        }
    }
}

pub fn choose_config(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let current = gateway(&app).status().await.config_path;
        let mut dialog =
            app.dialog().file().set_title("Choose a LiteLLM config.yaml").add_filter("YAML", &["yaml", "yml"]);
        if let Some(dir) = current.as_deref().and_then(|p| p.parent()) {
            dialog = dialog.set_directory(dir);
        }
        if let Some(w) = main_window(&app) {
            dialog = dialog.set_parent(&w);
        }
        let app2 = app.clone();
        dialog.pick_file(move |picked| {
            let Some(picked) = picked else { return };
            match picked.into_path() {
                Ok(path) => {
                    tauri::async_runtime::spawn(async move { switch_config(&app2, Some(path), true).await });
                }
                Err(e) => error_dialog(&app2, "Switchboard", format!("Cannot use that file: {e}")),
            }
        });
    });
}

pub fn forget_config(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move { switch_config(&app, None, true).await });
}

/// Restarts the gateway with `path`; remembers it when asked and when it started. An invalid
/// file is shown in a dialog and the running gateway keeps running.
async fn switch_config(app: &AppHandle, path: Option<PathBuf>, remember: bool) {
    let gateway = gateway(app);
    match gateway.use_config(path.clone()).await {
        Ok((status, notices)) => {
            if remember {
                let _ = update_settings(app, |s| s.config_path = path);
            }
            refresh(app, &status, true);
            if !notices.is_empty() {
                info_dialog(app, "Switchboard", notices.join("\n\n"));
            }
        }
        Err(message) => {
            tracing::warn!("{message}");
            let status = gateway.status().await;
            refresh(app, &status, false);
            error_dialog(app, "Switchboard: config.yaml not used", message);
        }
    }
}

/// Ends the event loop; the gateway is then stopped gracefully before the process exits
/// (see `run`).
pub fn quit(app: &AppHandle) {
    tracing::info!("quitting");
    remember_placement(app);
    app.exit(0);
}
