//! The tray icon: the gateway's state at a glance (the app's icon with a green, grey or red
//! dot: running, stopped, did not start) and a menu to start, stop and restart it, copy its base
//! URL or a client snippet, open the panel or the log, and quit. With a tray, closing the window
//! keeps the gateway running (the `close_to_tray` setting, on by default).
//!
//! On Linux the icon is a StatusNotifierItem (libayatana-appindicator), shown by the desktop's
//! tray host; the menu's items share their ids with the window's menu (`menu::on_event`).

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Wry};

use crate::gateway::Status;

/// The app's icon, the tray's base (32 px: what tray hosts show).
const ICON: &[u8] = include_bytes!("../icons/32x32.png");

/// The items whose label or state follows the gateway, and the icon.
pub struct Tray {
    icon: TrayIcon<Wry>,
    status_line: MenuItem<Wry>,
    start: MenuItem<Wry>,
    stop: MenuItem<Wry>,
    copy_url: MenuItem<Wry>,
    copy_snippet: MenuItem<Wry>,
    pub autostart: CheckMenuItem<Wry>,
    pub close_to_tray: CheckMenuItem<Wry>,
}

/// `close_to_tray`: whether closing the window keeps the app in the tray (the setting).
pub fn build(app: &AppHandle, close_to_tray: bool) -> tauri::Result<Tray> {
    let item = |id: &str, text: &str| MenuItem::with_id(app, id, text, true, None::<&str>);
    let status_line = MenuItem::with_id(app, "tray_status", "Gateway: starting…", false, None::<&str>)?;
    let start = item("start", "Start gateway")?;
    let stop = item("stop", "Stop gateway")?;
    let restart = item("restart", "Restart gateway")?;
    let open_panel = item("open_panel", "Open panel")?;
    let copy_url = item("copy_url", "Copy base URL")?;
    let copy_snippet = item("copy_snippet", "Copy client snippet (Python)")?;
    let open_log = item("open_log", "Open log")?;
    let autostart =
        CheckMenuItem::with_id(app, "autostart", "Start at login", true, crate::autostart::is_enabled(), None::<&str>)?;
    let close_to_tray_item = CheckMenuItem::with_id(
        app,
        "close_to_tray",
        "Keep running when the window closes",
        true,
        close_to_tray,
        None::<&str>,
    )?;
    let quit = item("quit", "Quit Switchboard")?;
    let separator = || PredefinedMenuItem::separator(app);
    let menu = Menu::with_items(
        app,
        &[
            &status_line,
            &separator()?,
            &start,
            &stop,
            &restart,
            &separator()?,
            &open_panel,
            &copy_url,
            &copy_snippet,
            &open_log,
            &separator()?,
            &autostart,
            &close_to_tray_item,
            &separator()?,
            &quit,
        ],
    )?;
    let icon = TrayIconBuilder::with_id("switchboard")
        .icon(badged(Dot::Stopped)?)
        .title("Switchboard")
        .tooltip("Switchboard")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .build(app)?;
    Ok(Tray { icon, status_line, start, stop, copy_url, copy_snippet, autostart, close_to_tray: close_to_tray_item })
}

impl Tray {
    pub fn update(&self, status: &Status) {
        let (dot, line) = match (&status.url, &status.error) {
            (Some(url), _) => (Dot::Running, format!("Gateway: running on {url}")),
            (None, Some(_)) => (Dot::Failed, "Gateway: did not start (see the window)".to_string()),
            (None, None) => (Dot::Stopped, "Gateway: stopped".to_string()),
        };
        let result = (|| -> tauri::Result<()> {
            self.icon.set_icon(Some(badged(dot)?))?;
            self.icon.set_tooltip(Some(format!("Switchboard — {}", line.trim_start_matches("Gateway: "))))?;
            self.status_line.set_text(line)?;
            self.start.set_enabled(!status.running)?;
            self.stop.set_enabled(status.running)?;
            self.copy_url.set_enabled(status.running)?;
            self.copy_snippet.set_enabled(status.running)?;
            Ok(())
        })();
        if let Err(e) = result {
            tracing::warn!("cannot update the tray icon: {e}");
        }
    }
}

/// What the dot on the icon says.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dot {
    Running,
    Stopped,
    Failed,
}

impl Dot {
    fn rgb(self) -> [u8; 3] {
        match self {
            Dot::Running => [0x16, 0xa3, 0x4a],
            Dot::Stopped => [0x8a, 0x8f, 0x98],
            Dot::Failed => [0xdc, 0x26, 0x26],
        }
    }
}

/// The app's icon with a dot in its lower right corner (white-rimmed, so it shows on dark and
/// light panels alike).
fn badged(dot: Dot) -> tauri::Result<Image<'static>> {
    let base = Image::from_bytes(ICON)?;
    let (width, height) = (base.width(), base.height());
    let mut rgba = base.rgba().to_vec();
    paint_dot(&mut rgba, width, height, dot.rgb());
    Ok(Image::new_owned(rgba, width, height))
}

fn paint_dot(rgba: &mut [u8], width: u32, height: u32, rgb: [u8; 3]) {
    let radius = f64::from(width.min(height)) * 0.22;
    let (cx, cy) = (f64::from(width) - radius - 0.5, f64::from(height) - radius - 0.5);
    for y in 0..height {
        for x in 0..width {
            let distance = (f64::from(x) - cx).hypot(f64::from(y) - cy);
            let colour = if distance <= radius - 1.5 {
                [rgb[0], rgb[1], rgb[2]]
            } else if distance <= radius {
                [0xff, 0xff, 0xff]
            } else {
                continue;
            };
            let at = ((y * width + x) * 4) as usize;
            if let Some(pixel) = rgba.get_mut(at..at + 4) {
                pixel.copy_from_slice(&[colour[0], colour[1], colour[2], 0xff]);
            }
        }
    }
}

/// The snippet "Copy client snippet" puts on the clipboard: the OpenAI SDK against the gateway.
pub fn client_snippet(base_url: &str) -> String {
    format!(
        "from openai import OpenAI\n\nclient = OpenAI(base_url=\"{base_url}/v1\", api_key=\"sk-your-virtual-key\")\n\
         reply = client.chat.completions.create(\n    model=\"your-model-alias\",\n    \
         messages=[{{\"role\": \"user\", \"content\": \"Hello\"}}],\n)\nprint(reply.choices[0].message.content)\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_has_its_own_dot_on_the_icon() {
        let images: Vec<Vec<u8>> =
            [Dot::Running, Dot::Stopped, Dot::Failed].into_iter().map(|d| badged(d).unwrap().rgba().to_vec()).collect();
        assert_ne!(images[0], images[1]);
        assert_ne!(images[1], images[2]);
        let base = Image::from_bytes(ICON).unwrap();
        // The lower right pixel inside the dot is the dot's colour; the upper left is the icon's.
        let (w, h) = (base.width() as usize, base.height() as usize);
        let inside = ((h - 5) * w + (w - 5)) * 4;
        assert_eq!(images[0][inside..inside + 3], Dot::Running.rgb());
        assert_eq!(images[2][inside..inside + 3], Dot::Failed.rgb());
        assert_eq!(images[0][..4], base.rgba()[..4]);
    }

    #[test]
    fn the_snippet_names_the_gateway() {
        let snippet = client_snippet("http://127.0.0.1:4000");
        assert!(snippet.contains("base_url=\"http://127.0.0.1:4000/v1\""), "{snippet}");
    }
}
