//! Parser panics caught quietly: a panic inside calamine or lopdf on a malformed file becomes
//! the reader's one-line error, without the default hook's "thread panicked at …" lines on
//! stderr.
//!
//! [`quietly`] marks the current thread while it runs its closure; the panic hook installed
//! once here stays silent for marked threads (it records the panic's location at DEBUG, never
//! its message, which may quote data) and defers to the previous hook everywhere else, so a
//! bug outside a parser still prints as usual.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Run `f`, catching a panic without printing it.
pub fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let place = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                tracing::debug!(place, "a file parser panicked on malformed data");
            } else {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

/// Run our own code called back from inside [`quietly`] (a row handed on by a streaming
/// reader): its panic is not the file's fault, so it is printed as usual and returned for the
/// caller to resume once out of the parser, instead of becoming "a damaged file".
pub fn loudly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    let was = QUIET.with(|q| q.replace(false));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_an_error_and_the_flag_is_restored() {
        #[allow(clippy::panic)]
        let r: std::thread::Result<()> = super::quietly(|| panic!("malformed"));
        assert!(r.is_err());
        assert_eq!(super::quietly(|| 7).ok(), Some(7));
        assert!(!super::QUIET.with(std::cell::Cell::get));
    }
}
