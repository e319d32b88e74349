//! The gateway's master key: generated on first run, kept in the OS keychain (Keychain,
//! Credential Manager, Secret Service), or, where no keychain service runs, in a file only the
//! user can read. The key itself is never logged.

use std::path::{Path, PathBuf};

use switchboard::master_key::{generate, read_key_file, write_key_file};

const KEYCHAIN_SERVICE: &str = "Switchboard";
const KEYCHAIN_ACCOUNT: &str = "gateway-master-key";

/// Where the master key lives.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyStorage {
    Keychain,
    /// A 0600 file; `reason` says why the keychain was not used.
    File {
        path: PathBuf,
        reason: String,
    },
}

impl KeyStorage {
    /// One line for the menu and the status page.
    /// Where exactly, for the Settings page.
    pub fn location(&self) -> String {
        match self {
            KeyStorage::Keychain => {
                format!("the OS keychain (service \"{KEYCHAIN_SERVICE}\", account \"{KEYCHAIN_ACCOUNT}\")")
            }
            KeyStorage::File { path, .. } => path.display().to_string(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            KeyStorage::Keychain => "Master key: in the OS keychain".to_string(),
            KeyStorage::File { .. } => "Master key: stored in a 0600 file (no keychain service)".to_string(),
        }
    }
}

/// The master key of this user, created on first use.
///
/// Order: the app's own key file, written by an earlier version (so a key, once in a file,
/// stays the same key); else the keychain entry; else the key `switchboard serve` keeps in
/// `shared_file` (the database is shared, and what it seals needs the same key); else a new
/// key, saved to the keychain, or to `shared_file` when the keychain cannot be reached (so that
/// `switchboard serve` then uses it too).
pub fn load_or_create(own_file: &Path, shared_file: &Path) -> Result<(String, KeyStorage), String> {
    if let Some(key) = read_key_file(own_file)? {
        let reason = "the key was saved to this file earlier".to_string();
        return Ok((key, KeyStorage::File { path: own_file.to_path_buf(), reason }));
    }
    let keychain = match keychain::get() {
        Ok(Some(key)) => return Ok((key, KeyStorage::Keychain)),
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    if let Some(key) = read_key_file(shared_file)? {
        let reason = "the key `switchboard serve` made earlier, shared with it".to_string();
        return Ok((key, KeyStorage::File { path: shared_file.to_path_buf(), reason }));
    }
    let reason = match keychain {
        Ok(()) => {
            let key = generate();
            match keychain::set(&key) {
                // Read back: some stores accept writes they cannot keep.
                Ok(()) if keychain::get().ok().flatten().as_deref() == Some(key.as_str()) => {
                    tracing::info!("generated a master key and stored it in the OS keychain");
                    return Ok((key, KeyStorage::Keychain));
                }
                Ok(()) => "the keychain did not keep the key".to_string(),
                Err(e) => e,
            }
        }
        Err(e) => e,
    };
    let key = generate();
    write_key_file(shared_file, &key)?;
    tracing::warn!(
        "no keychain service ({reason}); the master key is stored in {} (mode 0600), where `switchboard serve` \
         finds it too",
        shared_file.display()
    );
    Ok((key, KeyStorage::File { path: shared_file.to_path_buf(), reason }))
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
mod keychain {
    use super::{KEYCHAIN_ACCOUNT, KEYCHAIN_SERVICE};

    fn entry() -> Result<keyring::Entry, String> {
        keyring::Entry::new(KEYCHAIN_SERVICE, KEYCHAIN_ACCOUNT).map_err(|e| e.to_string())
    }

    pub fn get() -> Result<Option<String>, String> {
        match entry()?.get_password() {
            Ok(key) => Ok(Some(key)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    pub fn set(key: &str) -> Result<(), String> {
        entry()?.set_password(key).map_err(|e| e.to_string())
    }
}

/// Platforms without a keychain store in `keyring`: always the file.
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod keychain {
    pub fn get() -> Result<Option<String>, String> {
        Err("no keychain support on this platform".into())
    }
    pub fn set(_key: &str) -> Result<(), String> {
        Err("no keychain support on this platform".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("switchboard-app-key-{}", std::process::id()));
        let file = dir.join("cfg").join("master_key");
        assert_eq!(read_key_file(&file).unwrap(), None);
        write_key_file(&file, "sk-test").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(read_key_file(&file).unwrap().as_deref(), Some("sk-test"));
        // Never overwritten once written.
        assert!(write_key_file(&file, "sk-other").is_err());
        let shared = dir.join("data").join("master_key");
        let (key, storage) = load_or_create(&file, &shared).unwrap();
        assert_eq!(key, "sk-test");
        assert!(matches!(storage, KeyStorage::File { .. }));
        assert!(!shared.exists(), "the app's own file wins; nothing is written");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
