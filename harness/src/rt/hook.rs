//! The process-wide panic hook.
//!
//! Inside an exploration a panic is a finding, not noise: the hook records it (kind, message,
//! thread, location) on the running execution and prints nothing; the explorer reports it.
//! loom's coroutines cancel and finish with panics of their own (`generator::Error`), which
//! are control flow and are dropped. Everywhere else the hook that was installed before
//! tapestry's runs, so ordinary test failures print as usual.
//!
//! shuttle installs a hook of its own the first time it runs in a process and chains to the
//! previous one; it prints a schedule for every panic. tapestry makes shuttle install it first
//! and then wraps it, forwarding only panics of shuttle executions that tapestry did not start.

use std::any::Any;
use std::panic::{self, PanicHookInfo};
use std::sync::Once;

use super::execution::FailureRecord;
use super::{TapestryPanic, local};
use crate::kinds::FailureKind;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Installs tapestry's hook once per process; every exploration calls this first.
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let original = panic::take_hook();
        // A trivial run makes shuttle install (and chain to the default) hook now. It runs on a
        // fresh thread because shuttle leaves per-thread state behind.
        std::thread::spawn(|| shuttle::check_random(|| {}, 1))
            .join()
            .expect("a trivial shuttle run cannot fail");
        let shuttle = panic::take_hook();
        panic::set_hook(Box::new(move |info| on_panic(info, &original, &shuttle)));
    });
}

/// Objects of running executions used on threads tapestry did not start, by execution id, and
/// what to tell the user: the execution fails with it (see [`foreign_use`]).
static FOREIGN: parking_lot::Mutex<Vec<(u64, String)>> = parking_lot::Mutex::new(Vec::new());

/// An object of execution `exec` was used on an OS thread no engine started (a
/// `std::thread::spawn` in the test body): that thread panics with `message`, and the
/// execution fails with it as a `Misuse`, whatever the body makes of the thread's panic.
pub(crate) fn foreign_use(exec: u64, message: String) {
    FOREIGN.lock().push((exec, message));
}

/// The message of a foreign use of an object of execution `exec`, if one happened.
pub(crate) fn take_foreign_use(exec: u64) -> Option<String> {
    let mut foreign = FOREIGN.lock();
    let i = foreign.iter().position(|(e, _)| *e == exec)?;
    Some(foreign.swap_remove(i).1)
}

fn on_panic(info: &PanicHookInfo<'_>, original: &Hook, shuttle: &Hook) {
    if is_coroutine_control_flow(info.payload()) {
        return;
    }
    if let Some(local) = local() {
        local.exec.set_unwinding(local.running(), true);
        let (kind, message) = match take_foreign_use(local.exec.id()) {
            Some(message) => (FailureKind::Misuse, message),
            None => classify(info),
        };
        let ours = info.payload().downcast_ref::<TapestryPanic>();
        let detail = ours.and_then(|p| p.detail.clone());
        let record = FailureRecord {
            kind,
            message,
            thread: local.running(),
            task: super::tasks::polled_task(),
            location: info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
            blocked: Vec::new(),
            unfinished: Vec::new(),
            detail,
        };
        // The program's panic in a task's poll is the task's output, for its handle to return
        // (`rt::catch_task_panic`); the execution fails with it only if no handle does.
        let task_panic =
            kind == FailureKind::Panic && ours.is_none() && super::tasks::catching_task_panic();
        if task_panic {
            let task = record.task.clone();
            let message = format!(
                "{}\n(a panic of task `{}` that no `JoinHandle` returned: tokio would print it \
                 and run on; to expect it, await the handle and look at `JoinError::is_panic`)",
                record.message,
                task.unwrap_or_else(|| super::thread_label(record.thread)),
            );
            let id = local
                .exec
                .note_task_panic(FailureRecord { message, ..record });
            super::tasks::caught_task_panic(Some(id));
        } else {
            super::tasks::caught_task_panic(None);
            local.exec.record_failure(record);
        }
        return;
    }
    if shuttle::current::try_get_current_task().is_some() {
        shuttle(info);
    } else {
        original(info);
    }
}

fn is_coroutine_control_flow(payload: &(dyn Any + Send)) -> bool {
    matches!(
        payload.downcast_ref::<generator::Error>(),
        Some(generator::Error::Cancel | generator::Error::Done)
    )
}

/// The text of a panic payload.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(p) = payload.downcast_ref::<TapestryPanic>() {
        p.message.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a payload that is not a string".to_owned()
    }
}

/// Sorts a panic into a failure kind. Engines report what they detect by panicking with
/// messages of their own, raised from their own source files.
fn classify(info: &PanicHookInfo<'_>) -> (FailureKind, String) {
    let payload = info.payload();
    if let Some(p) = payload.downcast_ref::<TapestryPanic>() {
        return (p.kind, p.message.clone());
    }
    let message = payload_message(payload);
    let from_engine = info.location().is_some_and(|l| {
        let file = l.file();
        file.contains("loom") || file.contains("shuttle")
    });
    if !from_engine {
        return (FailureKind::Panic, message);
    }
    let kind = if message.starts_with("deadlock") {
        FailureKind::Deadlock
    } else if message.contains("Causality violation") {
        // Said as the other engines' race detector says it; loom's words follow.
        let loom = message.lines().next().unwrap_or_default().trim();
        let message = format!(
            "two accesses to a cell, at least one a write, with no happens-before order between \
             them; the trace ends at the second (loom: {loom})"
        );
        return (FailureKind::DataRace, message);
    } else if message.contains("exceeded maximum number of branches")
        || message.starts_with("exceeded max_steps bound")
    {
        FailureKind::StepLimit
    } else {
        FailureKind::Panic
    };
    (kind, message)
}
