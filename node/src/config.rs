//! A node's data folder: its key, log, configuration (TOML), children and pending invitations.
//!
//! ```text
//! DATA/
//!   node.key        the ed25519 key (hex, mode 0600)
//!   log.redb        the event log
//!   config.toml     who this node is, where it listens, its pinned parent
//!   children.toml   enrolled children (and revoked ones)
//!   invites.toml    pending invitations (hashes of their secrets)
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use nhip_engine::{NodeId, PersonId, UnitId};
use serde::{Deserialize, Serialize};

/// The file names inside a data folder.
pub const KEY_FILE: &str = "node.key";
/// See [`KEY_FILE`].
pub const LOG_FILE: &str = "log.redb";
/// See [`KEY_FILE`].
pub const CONFIG_FILE: &str = "config.toml";
/// See [`KEY_FILE`].
pub const CHILDREN_FILE: &str = "children.toml";
/// See [`KEY_FILE`].
pub const INVITES_FILE: &str = "invites.toml";

/// The node's configuration.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Config {
    /// This node's unit.
    pub unit: UnitId,
    /// The person acting by default (`--as` overrides).
    pub person: PersonId,
    /// The interface language: `vi` (default) or `en`.
    #[serde(default = "default_lang")]
    pub lang: String,
    /// Where `nhip serve` listens for children.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The pinned parent, once joined; none for a hub.
    #[serde(default)]
    pub parent: Option<ParentConfig>,
}

fn default_lang() -> String {
    "vi".into()
}

fn default_listen() -> String {
    "0.0.0.0:7411".into()
}

/// The pinned parent.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ParentConfig {
    /// Its address (`host:port`).
    pub addr: String,
    /// Its key, hex.
    pub node: String,
    /// Its unit.
    pub unit: UnitId,
}

/// An enrolled child.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Child {
    /// Its key, hex.
    pub node: String,
    /// Its unit.
    pub unit: UnitId,
    /// Revoked children are refused in the TLS handshake.
    #[serde(default)]
    pub revoked: bool,
}

/// The children file.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Children {
    /// Every child ever enrolled.
    #[serde(default, rename = "child")]
    pub children: Vec<Child>,
}

impl Children {
    /// The unrevoked child with key `node`.
    pub fn admitted(&self, node: &NodeId) -> Option<&Child> {
        let hex = node.to_hex();
        self.children
            .iter()
            .find(|child| child.node == hex && !child.revoked)
    }
}

/// A pending invitation.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Invite {
    /// The child's unit.
    pub unit: UnitId,
    /// blake3 of the secret, hex: the secret itself is only in the invitation file.
    pub secret_hash: String,
    /// Expiry, ms since the epoch.
    pub expires_ms: u64,
    /// Whether it was used.
    #[serde(default)]
    pub used: bool,
}

/// The invites file.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Invites {
    /// Every invitation made.
    #[serde(default, rename = "invite")]
    pub invites: Vec<Invite>,
}

/// Why a configuration file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong (with its line).
        reason: String,
    },
}

/// Reads a TOML file; a missing file is the default value.
pub fn read_or_default<T: for<'de> Deserialize<'de> + Default>(
    path: &Path,
) -> Result<T, ConfigError> {
    match fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|error| ConfigError::Damaged {
            path: path.display().to_string(),
            reason: error.to_string(),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(source) => Err(ConfigError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Reads a TOML file that must exist.
pub fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ConfigError> {
    let text = fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|error| ConfigError::Damaged {
        path: path.display().to_string(),
        reason: error.to_string(),
    })
}

/// Writes a TOML file atomically: a temporary file, synced, then renamed over the old one, so a
/// crash leaves the old file or the new one, never half of either.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), ConfigError> {
    let io = |source| ConfigError::Io {
        path: path.display().to_string(),
        source,
    };
    // Invariant: the configuration types serialize to TOML.
    let text = toml::to_string_pretty(value).expect("configuration serializes");
    let temporary: PathBuf = path.with_extension("toml.tmp");
    {
        let mut file = fs::File::create(&temporary).map_err(io)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    fs::rename(&temporary, path).map_err(io)?;
    sync_folder_of(path).map_err(io)
}

/// Makes the folder entry of `path` durable (a new file, or a rename onto it): without it, a
/// crash right after can leave the folder pointing at the old file, or at none.
pub fn sync_folder_of(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        fs::File::open(folder)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
