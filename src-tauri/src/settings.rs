//! The app's remembered choices: a small JSON file in the app config folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The config.yaml the user picked; the gateway runs without one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<PathBuf>,
    /// Whether closing the window keeps the app (and its gateway) running in the tray; on when
    /// not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_to_tray: Option<bool>,
    /// Where the window was and how large, restored at the next start (logical pixels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Placement>,
    /// The port the gateway tries first (the next free one when taken); `SWITCHBOARD_PORT`
    /// overrides it. 4000 (LiteLLM's) when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// One of `logging::LEVELS`; `SWITCHBOARD_LOG` / `RUST_LOG` override it. Info when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Settings {
    /// Reads the settings; a missing file is the defaults, an unreadable one is reported and
    /// treated as the defaults (it is rewritten on the next change).
    pub fn load(file: &Path) -> Settings {
        match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!("ignoring {}: {e}", file.display());
                Settings::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Err(e) => {
                tracing::warn!("cannot read {}: {e}", file.display());
                Settings::default()
            }
        }
    }

    /// Writes the settings atomically (a temporary file renamed over the old one).
    pub fn save(&self, file: &Path) -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            crate::paths::create_private_dir(dir)?;
        }
        let tmp = file.with_extension("json.tmp");
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_defaults() {
        let dir = std::env::temp_dir().join(format!("switchboard-app-settings-{}", std::process::id()));
        let file = dir.join("nested").join("settings.json");
        assert_eq!(Settings::load(&file), Settings::default());

        let s = Settings {
            config_path: Some(PathBuf::from("/tmp/config.yaml")),
            close_to_tray: Some(false),
            window: Some(Placement { x: 10.0, y: 20.0, width: 1000.0, height: 700.0 }),
            port: Some(4100),
            log_level: Some("debug".into()),
        };
        s.save(&file).unwrap();
        assert_eq!(Settings::load(&file), s);

        std::fs::write(&file, b"not json").unwrap();
        assert_eq!(Settings::load(&file), Settings::default());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
