//! A cache written as tokio code is written, with nothing of tapestry in it: the crate depends
//! on `tokio`, which its `Cargo.toml` renames to `tapestry-tokio`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Mutex;

/// Values loaded on first use and kept.
#[derive(Debug, Default)]
pub struct Cache {
    values: Mutex<HashMap<u32, u64>>,
    loads: AtomicUsize,
}

impl Cache {
    /// How many times a value was loaded.
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    /// The value of `key`, loading it if absent. The bug: the check and the insert are two
    /// critical sections, and two callers may both miss and both load.
    pub async fn get_racy(self: &Arc<Self>, key: u32) -> u64 {
        if let Some(&value) = self.values.lock().await.get(&key) {
            return value;
        }
        let value = self.load(key).await;
        self.values.lock().await.insert(key, value);
        value
    }

    /// The value of `key`, loading it at most once: the lock is held across the load.
    pub async fn get(self: &Arc<Self>, key: u32) -> u64 {
        let mut values = self.values.lock().await;
        if let Some(&value) = values.get(&key) {
            return value;
        }
        let value = self.load(key).await;
        values.insert(key, value);
        value
    }

    async fn load(&self, key: u32) -> u64 {
        self.loads.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        u64::from(key) * 10
    }
}
