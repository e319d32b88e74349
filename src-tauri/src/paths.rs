//! Where the app keeps its files. The same folders Tauri's path resolver names for the
//! identifier (`app_config_dir`, `app_data_dir`, `app_log_dir`), computed without an app handle
//! so they are known before any thread starts.

use std::path::PathBuf;

/// The bundle identifier in tauri.conf.json; the folders are named after it.
pub const IDENTIFIER: &str = "dev.switchboard.app";

#[derive(Debug, Clone)]
pub struct Paths {
    /// `~/.config/dev.switchboard.app` on Linux.
    pub config_dir: PathBuf,
    /// `~/.local/share/dev.switchboard.app` on Linux.
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    pub fn resolve() -> Result<Paths, String> {
        let config = dirs::config_dir().ok_or("cannot tell where the configuration folder is (is HOME set?)")?;
        let data = dirs::data_dir().ok_or("cannot tell where the data folder is (is HOME set?)")?;
        let local = dirs::data_local_dir().unwrap_or_else(|| data.clone());
        Ok(Paths {
            config_dir: config.join(IDENTIFIER),
            data_dir: data.join(IDENTIFIER),
            log_dir: local.join(IDENTIFIER).join("logs"),
        })
    }

    /// The remembered choices (the config.yaml path).
    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }

    /// The master key, where no keychain service is available (mode 0600).
    pub fn key_file(&self) -> PathBuf {
        self.config_dir.join("master_key")
    }

    /// The gateway's SQLite database: keys, teams, users, spend.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("switchboard.db")
    }

    pub fn log_file(&self) -> PathBuf {
        self.log_dir.join("switchboard.log")
    }
}

pub use switchboard::master_key::create_private_dir;
