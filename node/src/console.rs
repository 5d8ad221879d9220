//! Where a command's words go: the terminal, or — when the running node executes a command for
//! a caller of its socket — back to the caller, so both print the same text: collected and sent
//! at the end, or sent on as they are said (a long import's progress).
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

/// Which stream words were said on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    /// Standard output.
    Out,
    /// Standard error.
    Err,
}

/// What hands on a captured command's words as they are said.
type Pass = Box<dyn FnMut(Said, &[u8])>;

/// Where a captured command's words go.
enum Sink {
    /// Kept until the command ends.
    Collect(Captured),
    /// Handed on as they are said.
    Pass(Pass),
}

impl Sink {
    fn take(&mut self, said: Said, bytes: &[u8]) {
        match self {
            Sink::Collect(captured) => match said {
                Said::Out => captured.out.extend_from_slice(bytes),
                Said::Err => captured.err.extend_from_slice(bytes),
            },
            Sink::Pass(pass) => pass(said, bytes),
        }
    }
}

thread_local! {
    static CAPTURE: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// Runs `work`, collecting what it says on this thread instead of printing it.
pub fn capture<T>(work: impl FnOnce() -> T) -> (T, Captured) {
    CAPTURE.with(|capture| *capture.borrow_mut() = Some(Sink::Collect(Captured::default())));
    let value = work();
    let captured = CAPTURE.with(|capture| match capture.borrow_mut().take() {
        Some(Sink::Collect(captured)) => captured,
        _ => Captured::default(),
    });
    (value, captured)
}

/// Runs `work`, handing what it says on this thread to `pass` as it is said, instead of
/// printing it.
pub fn pass_on<T>(pass: impl FnMut(Said, &[u8]) + 'static, work: impl FnOnce() -> T) -> T {
    CAPTURE.with(|capture| *capture.borrow_mut() = Some(Sink::Pass(Box::new(pass))));
    let value = work();
    CAPTURE.with(|capture| capture.borrow_mut().take());
    value
}

/// Hands `bytes` to this thread's capture, if there is one; whether there was.
fn captured(said: Said, bytes: &[u8]) -> bool {
    CAPTURE.with(|capture| match capture.borrow_mut().as_mut() {
        Some(sink) => {
            sink.take(said, bytes);
            true
        }
        None => false,
    })
}

fn write(to_err: bool, args: fmt::Arguments<'_>) {
    let mut line = Vec::new();
    let _ = line.write_fmt(args);
    line.push(b'\n');
    if captured(if to_err { Said::Err } else { Said::Out }, &line) {
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
    if captured(Said::Out, bytes) {
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
    fn passed_on_words_arrive_as_they_are_said() {
        let heard = std::rc::Rc::new(RefCell::new(Vec::new()));
        let ear = heard.clone();
        pass_on(
            move |said, bytes| ear.borrow_mut().push((said, bytes.to_vec())),
            || {
                out(format_args!("một"));
                err(format_args!("hai"));
            },
        );
        assert_eq!(
            *heard.borrow(),
            [
                (Said::Out, b"m\xe1\xbb\x99t\n".to_vec()),
                (Said::Err, b"hai\n".to_vec())
            ]
        );
        CAPTURE.with(|capture| assert!(capture.borrow().is_none()));
    }

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
