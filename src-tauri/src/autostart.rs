//! Start at login: an XDG autostart entry on Linux (`~/.config/autostart/Switchboard.desktop`),
//! a launch agent on macOS, a Run key on Windows (the `auto-launch` crate), naming this binary.

use auto_launch::{AutoLaunch, AutoLaunchBuilder};

fn launcher() -> Result<AutoLaunch, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot tell where the app is: {e}"))?;
    let path = exe.to_str().ok_or("the app's path is not UTF-8")?;
    AutoLaunchBuilder::new().set_app_name("Switchboard").set_app_path(path).build().map_err(|e| e.to_string())
}

pub fn is_enabled() -> bool {
    launcher().and_then(|l| l.is_enabled().map_err(|e| e.to_string())).unwrap_or(false)
}

pub fn set(enabled: bool) -> Result<(), String> {
    let launcher = launcher()?;
    let result = if enabled { launcher.enable() } else { launcher.disable() };
    result.map_err(|e| e.to_string())
}
