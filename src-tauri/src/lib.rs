//! Switchboard's desktop shell: runs the gateway in-process on 127.0.0.1 and shows its panel.
//! It starts, stops and reports; everything else is the gateway's API, used by the panel.
//!
//! - The gateway listens on 127.0.0.1:4000, or the next free port (the Settings page, or
//!   `SWITCHBOARD_PORT`, names another first port), with its SQLite database in the gateway's
//!   data folder (the one `switchboard serve` uses, so keys made in one work in the other) and
//!   the config.yaml chosen in the menu (remembered in `settings.json` in the app config
//!   folder).
//! - The master key is generated on first run and kept in the OS keychain, or in a 0600 file
//!   where no keychain service runs (see [`master_key`]).
//! - The window loads the panel from the gateway (`/ui/`) with `window.__SWITCHBOARD__` set,
//!   so the panel is signed in; while the gateway is stopped it shows a bundled page. The
//!   panel's Settings page reaches the app over IPC ([`commands`], `capabilities/`).
//! - A tray icon shows the gateway's state and has its own menu (see [`tray`]); with it, closing
//!   the window keeps the gateway running (`close_to_tray` in `settings.json`, on by default).
//! - Quitting (menu, tray, closing the window without a tray, SIGTERM/SIGINT) stops the gateway
//!   gracefully: in-flight requests finish and spend is written to the database before the
//!   process exits.
//! - One instance: a second launch brings the running app's window to the front and exits
//!   (the single-instance plugin, over the D-Bus session bus on Linux; without a session bus
//!   each launch runs on its own, on the next free port).

mod autostart;
mod commands;
mod gateway;
mod logging;
mod master_key;
mod menu;
mod paths;
mod settings;
mod shell;
mod tray;

use std::process::ExitCode;
use std::sync::Arc;

use tauri::{Manager, RunEvent};

use crate::gateway::Gateway;
use crate::paths::Paths;
use crate::settings::Settings;
use crate::shell::Shell;

/// Runs the app until it quits; the exit code of the process.
pub fn run() -> ExitCode {
    let _ = shell::STARTED.set(std::time::Instant::now());
    software_rendering_unless_asked();
    let paths = match Paths::resolve() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The level is needed before the first line; `run_with` reads the settings again (and logs
    // what is wrong with them).
    let level = Settings::load(&paths.settings_file()).log_level;
    logging::init(level.as_deref().unwrap_or(logging::DEFAULT_LEVEL));
    let code = run_with(paths.clone());
    // A start that failed before the window: its lines are still held; keep them in the file.
    logging::open_file(&paths.log_file());
    code
}

fn run_with(paths: Paths) -> ExitCode {
    for dir in [&paths.config_dir, &paths.data_dir] {
        if let Err(e) = paths::create_private_dir(dir) {
            tracing::error!("cannot create {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    match paths.move_legacy_database() {
        Ok(Some(done)) => tracing::info!("{done}"),
        Ok(None) => {}
        Err(e) => {
            tracing::error!("cannot move the database to {}: {e}", paths.data_dir.display());
            return ExitCode::FAILURE;
        }
    }
    tracing::info!("database: {} (shared with `switchboard serve`)", paths.database().display());

    let settings = Settings::load(&paths.settings_file());
    // `environment_variables` of the remembered config.yaml are set now, while this is the only
    // thread (setting the environment is not thread-safe). A config chosen later is told to
    // quit and reopen for them.
    let mut startup_problem = None;
    let mut env_applied_for = None;
    if let Some(path) = &settings.config_path {
        match switchboard::config::Config::load(path) {
            Ok(config) => {
                // SAFETY: no other thread exists yet: logging has none, the async runtime and
                // the GUI start below.
                unsafe { config.apply_environment() };
                env_applied_for = Some(path.clone());
            }
            Err(e) => {
                startup_problem = Some(format!("{e}\n\nSwitchboard runs without it until you choose a valid file."))
            }
        }
    }
    let config_path = if startup_problem.is_some() { None } else { settings.config_path.clone() };

    let (key, key_storage) = match master_key::load_or_create(&paths.key_file(), &paths.shared_key_file()) {
        Ok(k) => k,
        Err(e) => {
            tracing::error!("no master key: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("{}", key_storage.describe());

    let first_port = match std::env::var("SWITCHBOARD_PORT") {
        Ok(v) => {
            let Ok(p) = v.parse::<u16>() else {
                tracing::error!("SWITCHBOARD_PORT={v} is not a port number");
                return ExitCode::FAILURE;
            };
            p
        }
        Err(_) => settings.port.unwrap_or(gateway::DEFAULT_PORT),
    };
    // From here on threads run (the async runtime): the environment was set above.
    let signals = Signals::catch();
    let gateway = Arc::new(Gateway::new(key.into(), &paths.database(), first_port, config_path, env_applied_for));
    let log_file = paths.log_file();
    let close_to_tray = settings.close_to_tray.unwrap_or(true);
    let shell = Shell::new(gateway.clone(), paths, key_storage, close_to_tray, settings.window);

    let app = tauri::Builder::default()
        // First: a second launch exits here, before its gateway would start.
        .plugin(tauri_plugin_single_instance::init(shell::on_second_launch))
        .plugin(tauri_plugin_dialog::init())
        .manage(shell)
        .invoke_handler(tauri::generate_handler![
            commands::gateway_status,
            commands::start_gateway,
            commands::app_settings,
            commands::change_app_settings,
            commands::restart_gateway,
            commands::choose_config,
            commands::open_folder,
        ])
        .on_menu_event(menu::on_event)
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                shell::on_close_requested(window, api);
            }
        })
        .setup(move |app| {
            // The single-instance plugin has let this launch run: it is the only one.
            logging::open_file(&log_file);
            let handle = app.handle().clone();
            let shell = handle.state::<Shell>();
            // Started before the window opens, so it opens on the panel.
            let status = tauri::async_runtime::block_on(shell.gateway.start());
            let (menu, handles) = menu::build(&handle, &shell.key_storage.describe())?;
            handles.update(&status);
            let _ = shell.menu.set(handles);
            // libappindicator panics when its library is missing: no tray then, not no app.
            let close_to_tray = shell.close_to_tray.load(std::sync::atomic::Ordering::Relaxed);
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tray::build(&handle, close_to_tray))) {
                Ok(Ok(tray)) => {
                    tray.update(&status);
                    let _ = shell.tray.set(tray);
                }
                Ok(Err(e)) => tracing::warn!("no tray icon ({e}); closing the window quits"),
                Err(_) => {
                    tracing::warn!("no tray icon (libayatana-appindicator3 is not installed); closing the window quits")
                }
            }
            shell::create_window(&handle, &status, menu, shell.placement)?;
            if let Some(problem) = startup_problem {
                tracing::warn!("the remembered config.yaml is not used: {problem}");
                shell::error_dialog(&handle, "Switchboard: config.yaml not used", problem);
            }
            signals.quit_on_any(&handle);
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("cannot start the desktop app: {e}");
            tauri::async_runtime::block_on(gateway.stop_for_exit());
            return ExitCode::FAILURE;
        }
    };
    let code = app.run_return(|_app, event| {
        if let RunEvent::ExitRequested { code: None, .. } = event {
            // The last window was closed: quit, like the Quit item.
            tracing::info!("window closed; quitting");
        }
    });
    // The event loop has ended (Quit, window closed, signal): the gateway stops gracefully
    // before the process exits.
    tauri::async_runtime::block_on(gateway.stop_for_exit());
    tracing::info!("bye");
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// WebKitGTK draws the panel without accelerated compositing unless
/// `WEBKIT_DISABLE_COMPOSITING_MODE` says otherwise (`=0` turns it back on). The panel is
/// forms, tables and SVG charts, which draw as fast without it, and compositing costs its
/// web process ~90 MiB at idle (206 → 118 MiB PSS measured on Xvfb, where it runs on Mesa's
/// software renderer); it is also behind blank windows with some GPU drivers.
fn software_rendering_unless_asked() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: the first thing `run` does, while this is the only thread.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
}

/// SIGTERM, SIGINT and SIGHUP, caught from the start of `run_with`: one that comes while the
/// gateway starts or the window opens waits for the event loop, then quits like the menu's
/// Quit (without this, it would end the process with the gateway's spend unwritten).
struct Signals {
    #[cfg(unix)]
    streams: Option<[tokio::signal::unix::Signal; 3]>,
}

impl Signals {
    fn catch() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            // Registered on the async runtime's driver, which must be running: inside it.
            let streams = tauri::async_runtime::block_on(async {
                match (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup())) {
                    (Ok(term), Ok(int), Ok(hup)) => Some([term, int, hup]),
                    _ => None,
                }
            });
            if streams.is_none() {
                tracing::warn!("cannot listen for signals");
            }
            Signals { streams }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Quits the app on the first signal caught (or already caught).
    fn quit_on_any(self, app: &tauri::AppHandle) {
        #[cfg(unix)]
        if let Some([mut term, mut int, mut hup]) = self.streams {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = int.recv() => tracing::info!("SIGINT received"),
                    _ = hup.recv() => tracing::info!("SIGHUP received"),
                }
                shell::quit(&app);
            });
        }
        #[cfg(not(unix))]
        let _ = app;
    }
}
