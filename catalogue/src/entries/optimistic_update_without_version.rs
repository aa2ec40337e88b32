//! # Optimistic update without a version check
//!
//! A store keeps a record (a document's list of tags) and serves two requests, each under its
//! lock: `get` returns a copy of the record, `put` replaces it. Two clients each add a tag: get
//! the record, add the tag to the copy, put the copy back.
//!
//! ## The bug
//!
//! Every store operation is atomic, but the client's get-modify-put is not: it spans two
//! requests, and nothing stops another client's `put` in between. The later `put` overwrites
//! the record with a copy that was read before the earlier one, and that client's tag is lost.
//! This is a lost update one level up: no data race, no torn value, just a stale read written
//! back.
//!
//! ```text
//! alice  get -> version 0, tags []
//! bob    get -> version 0, tags []
//! bob    put tags ["billing"]
//! alice  put tags ["urgent"]        bob's tag is gone
//! ```
//!
//! ## The fix
//!
//! Optimistic concurrency control: every `put` increments the record's version, and a client
//! writes with `put_if_version`, a compare-and-swap that succeeds only if the version is still
//! the one it read. On a conflict it gets the record again, reapplies its change, and retries.
//!
//! ## In real systems
//!
//! REST APIs without `ETag`/`If-Match`, ORMs without an optimistic-lock version column,
//! read-then-write in key-value stores without a compare-and-set (etcd's `mod_revision`,
//! DynamoDB condition expressions, Kubernetes' `resourceVersion`), and form edits where the last
//! save wins.

use tapestry::sync::{Arc, Mutex};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "optimistic_update_without_version",
    category: Category::Pattern,
    summary: "two clients read a record and write back their change, and the later write loses the other's",
    kind: FailureKind::Panic,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("optimistic_update_without_version.rs"),
    missed_by: &[],
};

#[derive(Clone, Default)]
struct Record {
    version: u64,
    tags: Vec<&'static str>,
}

struct Store {
    record: Mutex<Record>,
}

impl Store {
    fn get(&self) -> Record {
        self.record.lock().unwrap().clone()
    }

    fn put(&self, tags: Vec<&'static str>) {
        let mut record = self.record.lock().unwrap();
        record.version += 1;
        record.tags = tags;
    }

    /// Replaces the tags only if the record is still at `version`; returns whether it did.
    fn put_if_version(&self, version: u64, tags: Vec<&'static str>) -> bool {
        let mut record = self.record.lock().unwrap();
        if record.version != version {
            return false;
        }
        record.version += 1;
        record.tags = tags;
        true
    }
}

/// `save` writes a client's new tags, given the record it read; it returns whether it did.
fn run(save: fn(&Store, &Record, Vec<&'static str>) -> bool) {
    let store = Arc::new(Store {
        record: Mutex::named("record", Record::default()),
    });
    let clients: Vec<_> = [("alice", "urgent"), ("bob", "billing")]
        .into_iter()
        .map(|(client, tag)| {
            let store = store.clone();
            thread::Builder::new()
                .name(client.into())
                .spawn(move || {
                    loop {
                        let read = store.get();
                        let mut tags = read.tags.clone();
                        tags.push(tag);
                        if save(&store, &read, tags) {
                            break;
                        }
                        // Someone else wrote first: read again and reapply the change.
                        thread::yield_now();
                    }
                })
                .unwrap()
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    let mut tags = store.get().tags;
    tags.sort_unstable();
    assert_eq!(tags, ["billing", "urgent"], "a client's tag was lost");
}

/// Writes the new tags whatever happened since the read.
pub fn buggy() {
    run(|store, _read, tags| {
        store.put(tags);
        true
    });
}

/// Writes the new tags only if the record is still the version that was read.
pub fn fixed() {
    run(|store, read, tags| store.put_if_version(read.version, tags));
}
