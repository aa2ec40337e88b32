//! Tokio-shaped synchronisation for tasks (`tokio::sync`): locks, a semaphore, `Notify` and
//! channels, with tokio's semantics (see each type).

pub mod mpsc;
pub mod oneshot;
pub mod watch;
mod waker_slot;
