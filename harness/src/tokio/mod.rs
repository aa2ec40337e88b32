//! Tokio-shaped async primitives, so that tokio code is tested by changing its imports:
//! `use tapestry::tokio as tokio;` (or a `package =` rename in `Cargo.toml`).
//!
//! Every type here keeps tokio's names, signatures and documented semantics. Each is built on
//! the facade (`tapestry::sync::Mutex` for its state, std's [`Waker`](std::task::Waker) to
//! wake a task), so under an exploration every engine explores it, and outside one it is an
//! ordinary runtime-agnostic implementation that works under any executor, tokio's included.
//!
//! Tasks are [`crate::future`]'s: each one runs on a model thread of its own.

pub mod sync;
pub mod task;
pub mod time;

pub use task::spawn;
