//! Signal handlers that put a crash or a hang of the process exploring a test into words.
//!
//! A stack overflow, a segmentation fault or an abort kills the process; a thread that never
//! reaches a facade operation cannot be stopped (`engine::hang`). Either way the handler runs on
//! the thread concerned (on its alternate signal stack, which std gives every thread it
//! starts), reads where its exploration is (`rt::crumbs`: engine, execution, model thread, last
//! facade operation), writes one sentence about it, and lets the process end: in a test's child
//! process the sentence goes to the report file the parent reads (`isolate`); otherwise to
//! standard error. Nothing here allocates or locks: the handler may interrupt anything.

use std::fmt::Write as _;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::engine::hang::{self, Doing, Stuck};
use crate::engine::stack;
use crate::kinds::{EngineKind, FailureKind};
use crate::rt::crumbs::{Crumbs, with_crumbs};

/// The signal the watchdog interrupts a stuck exploration thread with.
const HANG_SIGNAL: libc::c_int = libc::SIGUSR2;

/// The exit code of a process ended by a hang.
pub(super) const HANG_EXIT: i32 = 86;

/// The fatal signals handled.
const FATAL: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGABRT,
];

/// Where a handler writes: the child's report file, or standard error.
static OUT: AtomicI32 = AtomicI32::new(libc::STDERR_FILENO);
/// Records for the parent (`kind\tsentence\0`) rather than lines for a person.
static RECORDS: AtomicBool = AtomicBool::new(false);
/// How long the stuck thread was silent, in milliseconds, for the hang handler.
static SILENT_MS: AtomicU64 = AtomicU64::new(0);
/// Whether the stuck thread was asleep in the kernel (`Doing::Blocked`), for the hang handler.
static BLOCKED: AtomicBool = AtomicBool::new(false);

/// Installs the handlers once per process: they write records to `report` (a child's report
/// file), or lines to standard error (`None`).
pub(super) fn install(report: Option<libc::c_int>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if let Some(fd) = report {
            OUT.store(fd, Relaxed);
            RECORDS.store(true, Relaxed);
        }
        crate::rt::hook::install();
        // loom's coroutine library installs a SIGSEGV handler of its own the first time a
        // coroutine starts (it prints a backtrace for faults it does not own); start one now,
        // so that ours, installed after it, sees every fault.
        let mut first = generator::Gn::<()>::new_scoped(|_| ());
        let _ = first.resume();
        // SAFETY: the handler is async-signal-safe (see the module docs); `sigaction` is given
        // a zeroed, fully initialised structure.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            for signal in FATAL.into_iter().chain([HANG_SIGNAL]) {
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
        hang::on_stuck(interrupt);
    });
}

/// The watchdog's handler: interrupts the stuck thread, whose signal handler reports the hang.
fn interrupt(stuck: &Stuck) {
    let millis = u64::try_from(stuck.silent.as_millis()).unwrap_or(u64::MAX);
    SILENT_MS.store(millis, Relaxed);
    BLOCKED.store(stuck.doing == Doing::Blocked, Relaxed);
    // SAFETY: the thread is alive: it is registered with the watchdog until its exploration
    // returns, and it is stuck.
    unsafe {
        libc::pthread_kill(stuck.thread, HANG_SIGNAL);
    }
}

extern "C" fn on_signal(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    let kind = if signal == HANG_SIGNAL {
        FailureKind::Hang
    } else if overflowed(signal, info, context) {
        FailureKind::StackOverflow
    } else {
        FailureKind::Crash
    };
    let mut text = Text::claim();
    with_crumbs(|crumbs| describe(&mut text, kind, signal, crumbs));
    let out = OUT.load(Relaxed);
    if RECORDS.load(Relaxed) {
        write_all(out, kind.name().as_bytes());
        write_all(out, b"\t");
        write_all(out, text.as_bytes());
        write_all(out, b"\0");
    } else {
        write_all(out, b"tapestry: ");
        write_all(out, text.as_bytes());
        write_all(out, b"\n");
    }
    // SAFETY: `_exit`, `signal` and `raise` are async-signal-safe.
    unsafe {
        if kind == FailureKind::Hang {
            libc::_exit(if RECORDS.load(Relaxed) {
                HANG_EXIT
            } else {
                101
            });
        }
        // Dies of the signal, as it would have without the handler.
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Whether a fault is a stack overflow: in the guard page of a model thread's stack, or next
/// to the stack pointer (the guard page of a std thread's stack).
fn overflowed(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) -> bool {
    if signal != libc::SIGSEGV && signal != libc::SIGBUS {
        return false;
    }
    // SAFETY: the kernel passes a valid `siginfo_t` to an `SA_SIGINFO` handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    if stack::guard_of(addr) {
        return true;
    }
    stack_pointer(context).is_some_and(|sp| addr.abs_diff(sp) < 64 << 10)
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn stack_pointer(context: *mut libc::c_void) -> Option<usize> {
    // SAFETY: the kernel passes a valid `ucontext_t` to an `SA_SIGINFO` handler.
    let context = unsafe { &*(context as *const libc::ucontext_t) };
    Some(context.uc_mcontext.gregs[libc::REG_RSP as usize] as usize)
}

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
fn stack_pointer(context: *mut libc::c_void) -> Option<usize> {
    // SAFETY: the kernel passes a valid `ucontext_t` to an `SA_SIGINFO` handler.
    let context = unsafe { &*(context as *const libc::ucontext_t) };
    Some(context.uc_mcontext.sp as usize)
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
fn stack_pointer(_context: *mut libc::c_void) -> Option<usize> {
    None
}

fn signal_name(signal: libc::c_int) -> &'static str {
    match signal {
        libc::SIGSEGV => "SIGSEGV (a segmentation fault)",
        libc::SIGBUS => "SIGBUS (a bus error)",
        libc::SIGILL => "SIGILL (an illegal instruction)",
        libc::SIGFPE => "SIGFPE (an arithmetic fault)",
        libc::SIGABRT => "SIGABRT (an abort)",
        _ => "a signal",
    }
}

/// One sentence on what happened where.
fn describe(text: &mut Text, kind: FailureKind, signal: libc::c_int, crumbs: Option<Crumbs<'_>>) {
    let Some(crumbs) = crumbs else {
        let _ = match kind {
            FailureKind::StackOverflow => write!(
                text,
                "a thread outside any exploration overflowed its stack ({})",
                signal_name(signal)
            ),
            _ => write!(
                text,
                "the process crashed with {} outside any exploration",
                signal_name(signal)
            ),
        };
        return;
    };
    let _ = write!(text, "thread ");
    let _ = match crumbs.name {
        Some(name) => write!(text, "`{name}`"),
        None => write!(text, "`T{}`", crumbs.thread),
    };
    let _ = match kind {
        FailureKind::StackOverflow => write!(text, " overflowed its stack"),
        FailureKind::Hang => write!(
            text,
            " reached no tapestry operation for {:?}",
            Duration::from_millis(SILENT_MS.load(Relaxed))
        ),
        _ => write!(text, " crashed with {}", signal_name(signal)),
    };
    let engine = crumbs.engine.map_or("?", EngineKind::name);
    let _ = write!(
        text,
        " in execution {} of the {engine} engine",
        crumbs.execution
    );
    let _ = match crumbs.site {
        Some(site) => write!(text, "; its last tapestry operation was at {site}"),
        None if crumbs.execution > 0 => write!(text, "; it had made no tapestry operation yet"),
        None => Ok(()),
    };
    if kind != FailureKind::Hang {
        return;
    }
    let doing = match BLOCKED.load(Relaxed) {
        true => Doing::Blocked,
        false => Doing::Running,
    };
    let _ = write!(text, ": {}", doing.hint());
    // The thread holding what it waits for is among those the engine switched away from.
    let mut others = crumbs
        .others
        .iter()
        .filter(|o| o.thread != crumbs.thread)
        .peekable();
    if others.peek().is_some() {
        let _ = write!(
            text,
            ". The other threads were last seen (their last tapestry operation done) at: "
        );
        for (i, other) in others.enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let _ = match other.name {
                Some(name) => write!(text, "{sep}`{name}` at {}", other.site),
                None => write!(text, "{sep}`T{}` at {}", other.thread, other.site),
            };
        }
    }
}

/// A fixed buffer that `write!` fills without allocating, dropping what does not fit.
struct Text {
    bytes: &'static mut [u8],
    len: usize,
}

/// The buffer of the one handler that reports (the process ends after it): a static, since a
/// signal handler runs on the thread's small alternate stack.
struct Buffer(std::cell::UnsafeCell<[u8; 4096]>);

// SAFETY: handed out once, to the handler that claims it (`CLAIMED`).
unsafe impl Sync for Buffer {}

static BUFFER: Buffer = Buffer(std::cell::UnsafeCell::new([0; 4096]));
static CLAIMED: AtomicBool = AtomicBool::new(false);

impl Text {
    /// The static buffer, or, for a handler that runs while another reports, none at all.
    fn claim() -> Text {
        let bytes: &'static mut [u8] = if CLAIMED.swap(true, Relaxed) {
            &mut []
        } else {
            // SAFETY: claimed once, above, and never released: no other reference exists.
            unsafe { &mut *BUFFER.0.get() }
        };
        Text { bytes, len: 0 }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.bytes.len() - self.len;
        let n = s.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

fn write_all(fd: libc::c_int, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of its length; `write` is async-signal-safe.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}
