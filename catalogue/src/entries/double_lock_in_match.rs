//! # Double lock in `match`
//!
//! A logger keeps an optional prefix and the lines logged, behind one mutex. `log` matches on
//! the prefix and, in each arm, locks the logger to push the line, prefixed or not. Two
//! threads log one line each.
//!
//! ## The bug
//!
//! The guard returned by `logger.lock()` in the scrutinee of a `match` is a temporary, and
//! temporaries in a scrutinee live until the end of the whole `match`. So the lock is still
//! held in the arm, which locks it again: the thread waits for itself, forever. Rust's mutexes
//! are not reentrant. The other thread then waits for the lock too.
//!
//! ```text
//! main  lock logger      match logger.lock().unwrap().prefix { ...
//! main  lock logger      ... Some(prefix) => logger.lock() ...: main holds it itself
//! ```
//!
//! ## The fix
//!
//! Copy the value out in a statement of its own, so the guard is dropped at the `;`, then match
//! on the copy: `let prefix = logger.lock().unwrap().prefix; match prefix { ... }`. When the arm
//! must see the state it matched, bind the guard instead (`let mut logger = logger.lock()...`)
//! and use it in the arm, without locking again.
//!
//! ## In real systems
//!
//! The most common blocking bug in Rust code (Qin et al., PLDI 2020, in TiKV, Parity Ethereum):
//! `match`, `if let` and `while let` on `mutex.lock()` or `rwlock.read()` whose arm or body
//! calls a method that takes the same lock. Rust 2024 drops an `if let` scrutinee's temporaries
//! before the `else` branch, but a `match` keeps them to its end.

use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "double_lock_in_match",
    category: Category::Deadlock,
    summary: "a guard from a match scrutinee lives through the arm, which locks the same mutex",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("double_lock_in_match.rs"),
    missed_by: &[],
};

/// A prefix for every line, and the lines logged so far.
struct Logger {
    prefix: Option<&'static str>,
    lines: Vec<String>,
}

fn run(log: fn(&Mutex<Logger>, &'static str)) {
    let logger = Arc::new(Mutex::named(
        "logger",
        Logger {
            prefix: Some("app: "),
            lines: Vec::new(),
        },
    ));
    let other = logger.clone();
    let t = thread::spawn(move || log(&other, "from T1"));
    log(&logger, "from main");
    t.join().unwrap();
    assert_eq!(
        logger.lock().unwrap().lines.len(),
        2,
        "a line was not logged"
    );
}

/// Matches on the prefix with the guard still alive, and locks again in the arms.
pub fn buggy() {
    run(|logger, line| match logger.lock().unwrap().prefix {
        Some(prefix) => logger.lock().unwrap().lines.push(format!("{prefix}{line}")),
        None => logger.lock().unwrap().lines.push(line.to_owned()),
    });
}

/// Copies the prefix out, dropping the guard, then matches on the copy.
pub fn fixed() {
    run(|logger, line| {
        let prefix = logger.lock().unwrap().prefix;
        match prefix {
            Some(prefix) => logger.lock().unwrap().lines.push(format!("{prefix}{line}")),
            None => logger.lock().unwrap().lines.push(line.to_owned()),
        }
    });
}
