//! [`JoinError`]: why a task gave no output, as tokio's.

use std::any::Any;
use std::fmt;

use super::context::Id;

/// Why a task gave no output: it was aborted, or it panicked. It names the task by its
/// [`Id`], in its `Debug` and `Display` forms too, as tokio's: `JoinError::Panic(Id(3),
/// "the message", ...)`, `task 3 panicked with message "the message"`. It is `Send` and
/// `Sync`, as tokio's, so that `?` turns it into an `anyhow::Error` or a `Box<dyn Error + Send
/// + Sync>`.
pub struct JoinError {
    panic: Option<Payload>,
    /// The panic's message, if its payload is a string (as `panic!`'s is): read when the
    /// error is made, since the payload itself is never shared.
    message: Option<String>,
    /// A panic's note in its execution, until a handle returns it (`rt::TaskPanic::noted`).
    pub(super) noted: Option<(u64, u64)>,
    pub(super) id: Id,
}

impl JoinError {
    pub(super) fn cancelled(id: Id) -> JoinError {
        JoinError {
            panic: None,
            message: None,
            noted: None,
            id,
        }
    }

    /// The error of a task whose poll (or blocking closure) panicked.
    pub(super) fn panicked(id: Id, panic: crate::rt::TaskPanic) -> JoinError {
        let payload = panic.payload;
        let message = payload
            .downcast_ref::<&str>()
            .map(|message| (*message).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        JoinError {
            panic: Some(Payload(payload)),
            message,
            noted: panic.noted,
            id,
        }
    }

    /// Whether the task was aborted ([`JoinHandle::abort`](super::JoinHandle::abort), an
    /// [`AbortHandle`](super::AbortHandle), or the end of an async test).
    pub fn is_cancelled(&self) -> bool {
        self.panic.is_none()
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        self.panic.is_some()
    }

    /// The id of the task that gave no output.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The panic's payload. Panics if the task was aborted, as tokio's does.
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.panic
            .expect("`JoinError::into_panic` on a task that was cancelled, not panicked")
            .0
    }

    /// The panic's payload, or the error back if the task was aborted.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.panic {
            Some(panic) => Ok(panic.0),
            None => Err(self),
        }
    }

    fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

/// A panic's payload, which is `Send` but perhaps not `Sync`, kept where no shared reference
/// reaches it: it only leaves by value ([`JoinError::into_panic`]).
struct Payload(Box<dyn Any + Send + 'static>);

// SAFETY: no `&Payload` gives access to the payload (the field is private to this module and
// read only by value), so sharing a `&Payload` between threads shares nothing of it.
unsafe impl Sync for Payload {}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id;
        match (&self.panic, self.message()) {
            (None, _) => write!(f, "JoinError::Cancelled({id:?})"),
            (Some(_), Some(message)) => write!(f, "JoinError::Panic({id:?}, {message:?}, ...)"),
            (Some(_), None) => write!(f, "JoinError::Panic({id:?}, ...)"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id;
        match (&self.panic, self.message()) {
            (None, _) => write!(f, "task {id} was cancelled"),
            (Some(_), Some(message)) => write!(f, "task {id} panicked with message {message:?}"),
            (Some(_), None) => write!(f, "task {id} panicked"),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    /// An `io::Error` of kind `Other` saying "task was cancelled" or "task panicked", as
    /// tokio's conversion, so that `?` on a handle's output works in an `io::Result` function.
    fn from(error: JoinError) -> std::io::Error {
        std::io::Error::other(match error.panic {
            None => "task was cancelled",
            Some(_) => "task panicked",
        })
    }
}
