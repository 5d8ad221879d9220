//! A node's identity: its ed25519 key, kept in a key file only its owner can read.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use ed25519_dalek::SigningKey;
use nhip_engine::NodeId;

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// The file is not a Nhịp key file.
    #[error("key file {0} is damaged: it must hold 64 hex digits")]
    Damaged(String),
    /// The system's random source failed.
    #[error("no randomness available from the system: {0}")]
    Random(String),
}

/// Generates a new key from the system's random source.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|error| KeyError::Random(error.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes `key` to a new file at `path` (hex, mode 0600). Refuses to overwrite.
pub fn save(path: &Path, key: &SigningKey) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    let hex = NodeId(key.to_bytes()).to_hex();
    file.write_all(hex.as_bytes()).map_err(io)?;
    file.write_all(b"\n").map_err(io)?;
    file.sync_all().map_err(io)?;
    crate::config::sync_folder_of(path).map_err(io)
}

/// Reads a key written by [`save`].
pub fn load(path: &Path) -> Result<SigningKey, KeyError> {
    let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let seed = NodeId::from_hex(text.trim())
        .ok_or_else(|| KeyError::Damaged(path.display().to_string()))?;
    Ok(SigningKey::from_bytes(&seed.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let key = generate().unwrap();
        save(&path, &key).unwrap();
        assert_eq!(load(&path).unwrap().to_bytes(), key.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(save(&path, &key).is_err(), "never overwrite a key");
        fs::write(&path, "not a key").unwrap();
        assert!(matches!(load(&path), Err(KeyError::Damaged(_))));
    }
}
