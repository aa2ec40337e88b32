//! Tokio-shaped tasks (`tokio::task`).

pub use crate::future::{JoinError, JoinHandle, spawn, yield_now};
