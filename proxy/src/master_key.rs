//! The gateway's own master key, for a gateway started without one: generated once, kept in a
//! file only the user can read, and required from then on (Jupyter's token, in effect).
//!
//! A gateway always has a master key: otherwise any web page the user visits could drive the
//! admin API of `127.0.0.1:4000`. `switchboard serve` calls [`load_or_create`] when neither
//! `general_settings.master_key` nor `LITELLM_MASTER_KEY` is set; the desktop app keeps its
//! key in the OS keychain and falls back to the same file helpers.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::Rng;
use secrecy::SecretString;

/// `sk-` and 32 random alphanumeric characters.
pub fn generate() -> String {
    let body: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(32).map(char::from).collect();
    format!("sk-{body}")
}

/// Where `switchboard serve` keeps the key it made: `master_key` in the gateway's data folder,
/// beside the default database.
pub fn default_key_file() -> PathBuf {
    crate::store::default_data_dir().join("master_key")
}

/// The key in `path`, made and written there (mode 0600) if the file does not exist yet.
/// Returns the key and whether it was created now.
pub fn load_or_create(path: &Path) -> Result<(SecretString, bool), String> {
    if let Some(key) = read_key_file(path)? {
        return Ok((SecretString::from(key), false));
    }
    let key = generate();
    match write_key_file(path, &key) {
        Ok(()) => Ok((SecretString::from(key), true)),
        // Another process made it first: use theirs.
        Err(_) if path.exists() => match read_key_file(path)? {
            Some(key) => Ok((SecretString::from(key), false)),
            None => Err(format!("{} exists but holds no key", path.display())),
        },
        Err(e) => Err(e),
    }
}

/// The key in a key file; `None` when there is no file. A file other users can read is made
/// private first.
pub fn read_key_file(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = text.trim();
            if key.is_empty() || key.chars().any(char::is_whitespace) {
                return Err(format!("{} does not hold a master key; remove it to generate a new one", path.display()));
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(path)
                    && meta.permissions().mode() & 0o077 != 0
                {
                    tracing::warn!("{} is readable by other users; setting its mode to 0600", path.display());
                    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
                }
            }
            Ok(Some(key.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes a new key file, readable by the user only; never replaces an existing one.
pub fn write_key_file(path: &Path, key: &str) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write the master key to {}: {e}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(key.as_bytes()).and_then(|()| file.write_all(b"\n")).and_then(|()| file.sync_all()).map_err(fail)
}

/// Creates a folder (and its parents) readable by the user only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn generated_keys_look_like_litellm_keys() {
        let a = generate();
        assert!(a.starts_with("sk-"));
        assert_eq!(a.len(), 35);
        assert!(a[3..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, generate());
    }

    #[test]
    fn key_file_is_made_once_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("switchboard-key-{}", uuid::Uuid::new_v4()));
        let file = dir.join("data").join("master_key");
        assert_eq!(read_key_file(&file).unwrap(), None);
        let (made, created) = load_or_create(&file).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(file.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
        let (again, created) = load_or_create(&file).unwrap();
        assert!(!created);
        assert_eq!(again.expose_secret(), made.expose_secret());
        assert!(write_key_file(&file, "sk-other").is_err(), "never overwritten once written");
        std::fs::write(&file, "  \n").unwrap();
        assert!(load_or_create(&file).unwrap_err().contains("does not hold a master key"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
