//! Tokio-shaped synchronisation for tasks (`tokio::sync`): locks, a semaphore, `Notify` and
//! channels, with tokio's semantics (see each type).

pub mod mpsc;
pub mod oneshot;
mod waker_slot;
pub mod watch;
