//! Where a command's words go: the terminal, or — when the running node executes a command for
//! a caller of its socket — a buffer sent back to the caller, so both print the same text.
//!
//! Writes never panic: a closed pipe (`nhip … | head`) or a terminal that went away is ignored,
//! as `println!` would not.

use std::cell::RefCell;
use std::fmt;
use std::io::Write;

/// What a command said, when it ran for a caller of the socket.
#[derive(Debug, Default)]
pub struct Captured {
    /// Standard output.
    pub out: Vec<u8>,
    /// Standard error.
    pub err: Vec<u8>,
}

thread_local! {
    static CAPTURE: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// Runs `work`, collecting what it says on this thread instead of printing it.
pub fn capture<T>(work: impl FnOnce() -> T) -> (T, Captured) {
    CAPTURE.with(|capture| *capture.borrow_mut() = Some(Captured::default()));
    let value = work();
    let captured = CAPTURE.with(|capture| capture.borrow_mut().take().unwrap_or_default());
    (value, captured)
}

fn write(to_err: bool, args: fmt::Arguments<'_>) {
    let captured = CAPTURE.with(|capture| match capture.borrow_mut().as_mut() {
        Some(captured) => {
            let buffer = if to_err {
                &mut captured.err
            } else {
                &mut captured.out
            };
            let _ = buffer.write_fmt(args);
            let _ = buffer.write_all(b"\n");
            true
        }
        None => false,
    });
    if captured {
        return;
    }
    if to_err {
        let _ = writeln!(std::io::stderr(), "{args}");
    } else {
        let _ = writeln!(std::io::stdout(), "{args}");
    }
}

/// Raw bytes to standard output (an export written to the screen), captured like lines are.
pub fn out_bytes(bytes: &[u8]) -> std::io::Result<()> {
    let captured = CAPTURE.with(|capture| match capture.borrow_mut().as_mut() {
        Some(captured) => {
            captured.out.extend_from_slice(bytes);
            true
        }
        None => false,
    });
    if captured {
        return Ok(());
    }
    std::io::stdout().write_all(bytes)
}

/// Whether a person watches standard error on a terminal here: never for a caller of the
/// socket, whose own `nhip` shows the spinner.
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    let capturing = CAPTURE.with(|capture| capture.borrow().is_some());
    !capturing && std::io::stderr().is_terminal()
}

/// A spinner on a terminal; nothing when standard error is piped.
pub fn spinner() -> Option<indicatif::ProgressBar> {
    interactive().then(|| {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        spinner
    })
}

/// One line to standard output (see the `say!` macro).
pub fn out(args: fmt::Arguments<'_>) {
    write(false, args);
}

/// One line to standard error (see the `warn!` macro).
pub fn err(args: fmt::Arguments<'_>) {
    write(true, args);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_words_are_kept_apart_and_nothing_leaks_after() {
        let ((), captured) = capture(|| {
            out(format_args!("một {}", 1));
            err(format_args!("hai"));
            out(format_args!("ba"));
        });
        assert_eq!(String::from_utf8_lossy(&captured.out), "một 1\nba\n");
        assert_eq!(String::from_utf8_lossy(&captured.err), "hai\n");
        // After the capture ends, this thread prints again.
        CAPTURE.with(|capture| assert!(capture.borrow().is_none()));
    }
}
