//! The caller's side of a login: where the OS user's session token for a node is kept, and how
//! a passphrase is read (a hidden prompt at a terminal, one line of standard input otherwise).

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::output::{ExitCode, Failure, fail};
use crate::account::{self, SessionChange};
use crate::limits::PASSPHRASE_BYTES_MAX;
use crate::texts::Texts;

/// The folder of session files: `NHIP_SESSION_DIR`, else `$XDG_RUNTIME_DIR/nhip`, else
/// `~/.local/state/nhip`.
fn session_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("NHIP_SESSION_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") {
        return Some(PathBuf::from(dir).join("nhip"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state/nhip"))
}

/// The session file of this OS user for the node in `data`.
fn session_file(data: &Path) -> Option<PathBuf> {
    let name = blake3::hash(data.as_os_str().as_encoded_bytes()).to_hex();
    Some(session_dir()?.join(format!("session-{}", &name.as_str()[..16])))
}

/// The session token this OS user holds for the node in `data`, if any.
pub(super) fn token(data: &Path) -> Option<String> {
    let text = std::fs::read_to_string(session_file(data)?).ok()?;
    let token = text.trim();
    (!token.is_empty() && token.len() <= 128).then(|| token.to_owned())
}

/// Keeps (mode 0600) or removes the session file after a command changed the session.
pub(super) fn apply(data: &Path, change: Option<&SessionChange>) {
    let Some(file) = session_file(data) else {
        return;
    };
    match change {
        Some(SessionChange::Opened(token)) => {
            if let Some(dir) = file.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = write_private(&file, token);
        }
        Some(SessionChange::Ended) => {
            let _ = std::fs::remove_file(&file);
        }
        None => {}
    }
}

fn write_private(file: &Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(file)?.write_all(token.as_bytes())
}

/// Reads a passphrase: hidden at a terminal (twice when `choosing`), else the first line of
/// standard input. Checked as typed: too short, too long and not text are said plainly.
pub(super) fn read_passphrase(
    texts: Texts,
    prompt: &str,
    choosing: bool,
) -> Result<Zeroizing<String>, Failure> {
    use std::io::IsTerminal;
    let check = |bytes: Vec<u8>| {
        account::passphrase(bytes).map_err(|error| super::account::passphrase_failure(texts, error))
    };
    if std::io::stdin().is_terminal() {
        let read = |prompt: &str| {
            rpassword::prompt_password(prompt)
                .map(Zeroizing::new)
                .map_err(|_| fail(ExitCode::Usage, texts.passphrase_missing()))
        };
        let first = read(prompt)?;
        if choosing {
            let again = read(&texts.passphrase_again())?;
            if *first != *again {
                return Err(fail(ExitCode::Usage, texts.passphrases_differ()));
            }
        }
        return check(first.as_bytes().to_vec());
    }
    // One line, read no further than the longest passphrase allows (a 1 MB line is refused
    // without being held whole).
    let mut line = Zeroizing::new(Vec::new());
    let limit = u64::try_from(PASSPHRASE_BYTES_MAX + 3).unwrap_or(u64::MAX);
    std::io::stdin()
        .lock()
        .take(limit)
        .read_until(b'\n', &mut line)
        .map_err(|_| fail(ExitCode::Usage, texts.passphrase_missing()))?;
    if line.is_empty() {
        return Err(fail(ExitCode::Usage, texts.passphrase_missing()));
    }
    check(line.to_vec())
}
