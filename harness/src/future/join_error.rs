//! [`JoinError`]: why a task gave no output, as tokio's.

use std::any::Any;
use std::fmt;

use super::context::Id;

/// Why a task gave no output: it was aborted, or it panicked. It names the task by its
/// [`Id`], in its `Debug` and `Display` forms too, as tokio's: `JoinError::Panic(Id(3),
/// "the message", ...)`, `task 3 panicked with message "the message"`.
pub struct JoinError {
    pub(super) panic: Option<Box<dyn Any + Send + 'static>>,
    /// A panic's note in its execution, until a handle returns it (`rt::TaskPanic::noted`).
    pub(super) noted: Option<(u64, u64)>,
    pub(super) id: Id,
}

impl JoinError {
    pub(super) fn cancelled(id: Id) -> JoinError {
        JoinError {
            panic: None,
            noted: None,
            id,
        }
    }

    /// The error of a task whose poll (or blocking closure) panicked.
    pub(super) fn panicked(id: Id, panic: crate::rt::TaskPanic) -> JoinError {
        JoinError {
            panic: Some(panic.payload),
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
    }

    /// The panic's payload, or the error back if the task was aborted.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.panic {
            Some(panic) => Ok(panic),
            None => Err(self),
        }
    }

    /// The panic's message, if its payload is a string (as `panic!`'s is).
    fn message(&self) -> Option<&str> {
        let panic = self.panic.as_deref()?;
        panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
    }
}

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
