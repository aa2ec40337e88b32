//! Tokio-shaped time (`tokio::time`).

pub use crate::time::{Duration, Instant};
