//! Where the app keeps its files, computed without an app handle so they are known before any
//! thread starts. Settings and logs are the app's own (Tauri's `app_config_dir` and
//! `app_log_dir` for the identifier); the database is the gateway's, in the folder
//! `switchboard serve` uses too, so that keys made in one work in the other.

use std::path::{Path, PathBuf};

/// The bundle identifier in tauri.conf.json; the app's own folders are named after it.
pub const IDENTIFIER: &str = "dev.switchboard.app";

/// The gateway's SQLite database file.
const DATABASE: &str = "switchboard.db";
/// What a SQLite database is made of on disk: the file and its write-ahead log.
const DATABASE_FILES: &[&str] = &[DATABASE, "switchboard.db-wal", "switchboard.db-shm"];

#[derive(Debug, Clone)]
pub struct Paths {
    /// `~/.config/dev.switchboard.app` on Linux.
    pub config_dir: PathBuf,
    /// The gateway's data folder, `~/.local/share/switchboard` on Linux (as `switchboard serve`).
    pub data_dir: PathBuf,
    /// Where the app kept its database before it shared the gateway's folder.
    pub legacy_data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    pub fn resolve() -> Result<Paths, String> {
        let config = dirs::config_dir().ok_or("cannot tell where the configuration folder is (is HOME set?)")?;
        let data = dirs::data_dir().ok_or("cannot tell where the data folder is (is HOME set?)")?;
        let local = dirs::data_local_dir().unwrap_or_else(|| data.clone());
        Ok(Paths {
            config_dir: config.join(IDENTIFIER),
            data_dir: switchboard::store::default_data_dir(),
            legacy_data_dir: data.join(IDENTIFIER),
            log_dir: local.join(IDENTIFIER).join("logs"),
        })
    }

    /// The remembered choices (the config.yaml path).
    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }

    /// The master key file of earlier versions of the app (mode 0600), used while it exists.
    pub fn key_file(&self) -> PathBuf {
        self.config_dir.join("master_key")
    }

    /// The master key file `switchboard serve` uses (mode 0600): the app's too where no
    /// keychain service is available.
    pub fn shared_key_file(&self) -> PathBuf {
        switchboard::master_key::default_key_file()
    }

    /// The gateway's SQLite database: keys, teams, users, spend.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join(DATABASE)
    }

    pub fn log_file(&self) -> PathBuf {
        self.log_dir.join("switchboard.log")
    }

    /// Moves the database of an earlier version (in the app's own data folder) to the shared
    /// one, unless a database is there already (then both stay where they are). Returns what it
    /// did, for the log.
    pub fn move_legacy_database(&self) -> std::io::Result<Option<String>> {
        move_database(&self.legacy_data_dir, &self.data_dir)
    }
}

fn move_database(from: &Path, to: &Path) -> std::io::Result<Option<String>> {
    let old = from.join(DATABASE);
    let new = to.join(DATABASE);
    if !old.exists() {
        return Ok(None);
    }
    if new.exists() {
        return Ok(Some(format!(
            "{} is not used: {} is the database now (the app and `switchboard serve` share it)",
            old.display(),
            new.display()
        )));
    }
    create_private_dir(to)?;
    // The log and index files first: the database file last, so that an interruption leaves the
    // old database whole where it was.
    for name in DATABASE_FILES.iter().rev() {
        let file = from.join(name);
        if file.exists() {
            std::fs::rename(&file, to.join(name))?;
        }
    }
    Ok(Some(format!("moved the database from {} to {}", old.display(), new.display())))
}

pub use switchboard::master_key::create_private_dir;

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("switchboard-paths-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_earlier_database_moves_to_the_shared_folder_once() {
        let root = folder("move");
        let (old, new) = (root.join("dev.switchboard.app"), root.join("switchboard"));
        std::fs::create_dir_all(&old).unwrap();
        std::fs::write(old.join("switchboard.db"), b"db").unwrap();
        std::fs::write(old.join("switchboard.db-wal"), b"wal").unwrap();
        let said = move_database(&old, &new).unwrap().unwrap();
        assert!(said.starts_with("moved the database"), "{said}");
        assert_eq!(std::fs::read(new.join("switchboard.db")).unwrap(), b"db");
        assert_eq!(std::fs::read(new.join("switchboard.db-wal")).unwrap(), b"wal");
        assert!(!old.join("switchboard.db").exists());
        assert_eq!(move_database(&old, &new).unwrap(), None, "nothing left to move");

        // A database in both places: the shared one is kept, the old one left alone.
        std::fs::write(old.join("switchboard.db"), b"older").unwrap();
        let said = move_database(&old, &new).unwrap().unwrap();
        assert!(said.contains("is not used"), "{said}");
        assert_eq!(std::fs::read(new.join("switchboard.db")).unwrap(), b"db");
        assert_eq!(std::fs::read(old.join("switchboard.db")).unwrap(), b"older");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
