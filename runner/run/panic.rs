//! Panic capture for cells: a panic inside a cell becomes that cell's
//! `error` result (message and location) instead of text on stderr.
//!
//! A process-wide panic hook is installed once; it records the panic of a
//! thread that is inside [`catch`] and stays silent there, and defers to
//! the previous hook everywhere else.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let msg = info.payload_as_str().unwrap_or("(non-string panic payload)");
                let text = match info.location() {
                    Some(l) => {
                        format!("panicked at {}:{}:{}: {msg}", l.file(), l.line(), l.column())
                    }
                    None => format!("panicked: {msg}"),
                };
                LAST.with(|l| *l.borrow_mut() = Some(text));
            } else {
                previous(info);
            }
        }));
    });
}

/// Run `f`, turning a panic into `Err(message)`. Nests.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install();
    let outer = CAPTURING.with(|c| c.replace(true));
    LAST.with(|l| l.borrow_mut().take());
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(outer));
    r.map_err(|payload| {
        LAST.with(|l| l.borrow_mut().take()).unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panicked".to_string())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message_and_location() {
        let r: Result<(), String> = catch(|| panic!("boom {}", 7));
        let msg = r.unwrap_err();
        assert!(msg.contains("boom 7"), "{msg}");
        assert!(msg.contains("panic.rs:"), "{msg}");
        assert_eq!(catch(|| 5), Ok(5));
    }

    #[test]
    fn nested_catches_report_the_inner_panic_once() {
        let r = catch(|| {
            let inner: Result<(), String> = catch(|| panic!("inner"));
            assert!(inner.unwrap_err().contains("inner"));
            1
        });
        assert_eq!(r, Ok(1));
    }
}
