//! Tokio-shaped synchronisation for tasks (`tokio::sync`): locks, a semaphore, `Notify` and
//! channels, with tokio's semantics (see each type).
