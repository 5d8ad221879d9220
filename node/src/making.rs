//! A node is made whole or not at all. `init` and `join` build its files in a hidden folder
//! beside the data folder; only a whole node is moved in, its configuration last, for the
//! configuration is what makes a folder a node (`Home::open`). A crash while making leaves
//! the data folder as it was, and the next attempt clears what the crashed one left; a crash
//! while moving in is finished by the next open or attempt (the node was whole: it is marked
//! so before the first file moves).

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::{CONFIG_FILE, LOG_FILE, sync_folder_of};

/// The file that says a node in the making is whole and may be moved in.
const MADE_MARK: &str = "made";

/// Why a node could not be made or moved in.
#[derive(Debug, thiserror::Error)]
pub enum MakingError {
    /// A node exists already.
    #[error("a node exists in {0}")]
    Exists(String),
    /// A folder or file could not be made, moved or removed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
}

/// A node being made for a data folder.
#[derive(Debug)]
pub struct Making {
    staging: PathBuf,
    target: PathBuf,
}

impl Making {
    /// Starts making a node for `target`: refuses when a node is there already, finishes moving
    /// in one that a crash interrupted, and clears what an attempt that never finished left.
    pub fn start(target: &Path) -> Result<Making, MakingError> {
        let staging = staging_of(target);
        recover(target)?;
        if target.join(CONFIG_FILE).exists() || target.join(LOG_FILE).exists() {
            return Err(MakingError::Exists(target.display().to_string()));
        }
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        Ok(Making {
            staging,
            target: target.to_owned(),
        })
    }

    /// The folder the node is made in: hand it to `Home::create`.
    pub fn folder(&self) -> &Path {
        &self.staging
    }

    /// Moves the whole node in. Close the node made in [`Making::folder`] first; then open it
    /// in the data folder.
    pub fn finish(self) -> Result<(), MakingError> {
        let mark = self.staging.join(MADE_MARK);
        {
            let file = fs::File::create(&mark).map_err(io(&mark))?;
            file.sync_all().map_err(io(&mark))?;
        }
        sync_folder_of(&mark).map_err(io(&mark))?;
        move_in(&self.staging, &self.target)
    }

    /// Gives up: what was made goes, and the data folder stays as it was.
    pub fn abandon(self) {
        if let Err(error) = fs::remove_dir_all(&self.staging) {
            tracing::warn!(%error, folder = %self.staging.display(), "a node in the making stays");
        }
    }
}

/// Finishes moving in a whole node that a crash interrupted, if there is one for `target`.
pub fn recover(target: &Path) -> Result<(), MakingError> {
    let staging = staging_of(target);
    if staging.join(MADE_MARK).exists() {
        move_in(&staging, target)?;
    }
    Ok(())
}

/// `.NAME.nhip-making` beside `target`.
fn staging_of(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "nhip".into());
    target.with_file_name(format!(".{name}.nhip-making"))
}

/// Moves every file of `staging` into `target`, the configuration last, then removes
/// `staging`. Each move is a rename on one file system, made durable before the next.
fn move_in(staging: &Path, target: &Path) -> Result<(), MakingError> {
    if !target.exists() {
        fs::create_dir_all(target).map_err(io(target))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(target, fs::Permissions::from_mode(0o700)).map_err(io(target))?;
        }
    }
    let mut names: Vec<_> = fs::read_dir(staging)
        .map_err(io(staging))?
        .filter_map(|entry| entry.ok().map(|entry| entry.file_name()))
        .filter(|name| name != MADE_MARK)
        .collect();
    // The configuration goes last: until it is in, the folder is not a node.
    names.sort_by_key(|name| name == CONFIG_FILE);
    for name in names {
        let to = target.join(&name);
        fs::rename(staging.join(&name), &to).map_err(io(&to))?;
        sync_folder_of(&to).map_err(io(&to))?;
    }
    fs::remove_dir_all(staging).map_err(io(staging))?;
    sync_folder_of(staging).map_err(io(staging))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> MakingError + '_ {
    move |source| MakingError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KEY_FILE;

    /// Makes a stand-in node (its three files) in the making for `target`.
    fn make(target: &Path) -> Making {
        let making = Making::start(target).unwrap();
        fs::create_dir_all(making.folder()).unwrap();
        for file in [KEY_FILE, LOG_FILE, CONFIG_FILE] {
            fs::write(making.folder().join(file), file).unwrap();
        }
        making
    }

    #[test]
    fn a_node_appears_whole_or_not_at_all() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("office");
        // Made, then abandoned, or left by a crash before it was whole: no node, and the next
        // attempt starts afresh.
        make(&target).abandon();
        assert!(!target.exists());
        let crashed = make(&target);
        assert!(!target.join(CONFIG_FILE).exists());
        let staging = crashed.folder().to_owned();
        make(&target).finish().unwrap();
        for file in [KEY_FILE, LOG_FILE, CONFIG_FILE] {
            assert_eq!(fs::read_to_string(target.join(file)).unwrap(), file);
        }
        assert!(!staging.exists());
        assert!(matches!(
            Making::start(&target),
            Err(MakingError::Exists(_))
        ));
    }

    #[test]
    fn a_crash_while_moving_in_is_finished_by_recovery() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("office");
        let making = make(&target);
        let staging = making.folder().to_owned();
        // Whole, and the key and log moved in: then the power went.
        fs::File::create(staging.join(MADE_MARK)).unwrap();
        fs::create_dir_all(&target).unwrap();
        for file in [KEY_FILE, LOG_FILE] {
            fs::rename(staging.join(file), target.join(file)).unwrap();
        }
        assert!(!target.join(CONFIG_FILE).exists());
        recover(&target).unwrap();
        assert!(target.join(CONFIG_FILE).exists());
        assert!(!staging.exists());
        // Nothing to recover: nothing happens.
        recover(&target).unwrap();
    }
}
