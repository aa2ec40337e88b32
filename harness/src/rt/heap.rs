//! What an execution has allocated and not freed: `sync::Arc`s, counted, and memory from
//! `tapestry::alloc`, by address. An execution whose threads all finish with either left
//! fails with `Leak` (see `rt::exit_thread`).
//!
//! Memory allocated outside the execution (before the exploration, by an earlier execution,
//! in a static's initialiser) is not tracked, and freeing it here is not counted: a static
//! outlives every execution, under std or here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering::*};

use parking_lot::Mutex;

use super::arc_ops::ArcOps;
use super::event::{Site, ThreadIdx};
use super::execution::Execution;
use super::local;

/// One execution's live allocations.
#[derive(Debug, Default)]
pub(crate) struct Heap {
    arcs: AtomicI64,
    /// `tapestry::alloc` blocks by address: the order they were made in, and where.
    blocks: Mutex<Blocks>,
}

#[derive(Debug, Default)]
struct Blocks {
    live: HashMap<usize, (u64, Site)>,
    made: u64,
}

/// What an execution left allocated.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Leaks {
    pub arcs: i64,
    pub blocks: usize,
    /// Where the first block still live was allocated (the same on every run of a schedule,
    /// unlike addresses).
    pub first_block: Option<Site>,
}

impl Heap {
    /// Forgets everything: a new execution starts.
    pub(crate) fn reset(&self) {
        self.arcs.store(0, Relaxed);
        *self.blocks.lock() = Blocks::default();
    }

    pub(crate) fn arc_created(&self) {
        self.arcs.fetch_add(1, Relaxed);
    }

    pub(crate) fn arc_dropped(&self) {
        self.arcs.fetch_sub(1, Relaxed);
    }

    /// A block allocated at `site`, now at `addr`.
    pub(crate) fn allocated(&self, addr: usize, site: Site) {
        let mut blocks = self.blocks.lock();
        blocks.made += 1;
        let order = blocks.made;
        blocks.live.insert(addr, (order, site));
    }

    /// The block at `addr` freed, if this execution allocated it.
    pub(crate) fn freed(&self, addr: usize) {
        self.blocks.lock().live.remove(&addr);
    }

    /// The block at `old` moved to `new` (`realloc`), if this execution allocated it.
    pub(crate) fn moved(&self, old: usize, new: usize) {
        let mut blocks = self.blocks.lock();
        if let Some(block) = blocks.live.remove(&old) {
            blocks.live.insert(new, block);
        }
    }

    /// What is still allocated, or `None`.
    pub(crate) fn leaks(&self) -> Option<Leaks> {
        let arcs = self.arcs.load(Acquire);
        let blocks = self.blocks.lock();
        let first_block = blocks.live.values().min_by_key(|(order, _)| *order);
        (arcs > 0 || first_block.is_some()).then(|| Leaks {
            arcs,
            blocks: blocks.live.len(),
            first_block: first_block.map(|(_, site)| *site),
        })
    }
}

impl std::fmt::Display for Leaks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.arcs > 0 {
            parts.push(format!("{} Arc allocation(s)", self.arcs));
        }
        if let Some(site) = self.first_block {
            parts.push(format!(
                "{} block(s) of memory from `alloc` (the first allocated at {}:{})",
                self.blocks,
                site.file(),
                site.line()
            ));
        }
        write!(
            f,
            "{} made in this execution were never freed after every thread finished",
            parts.join(" and ")
        )?;
        if self.arcs > 0 {
            write!(f, " (a reference cycle, or an Arc kept in a static?)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::Location;

    #[test]
    fn blocks_freed_moved_and_left() {
        let heap = Heap::default();
        let (first, second) = (Location::caller(), Location::caller());
        heap.allocated(10, first);
        heap.allocated(20, second);
        heap.moved(10, 30);
        heap.freed(20);
        heap.freed(99); // not this execution's: ignored
        let leaks = heap.leaks().expect("one block left");
        assert_eq!((leaks.arcs, leaks.blocks), (0, 1));
        assert!(std::ptr::eq(leaks.first_block.unwrap(), first));
        heap.freed(30);
        assert_eq!(heap.leaks(), None);
        heap.arc_created();
        assert_eq!(heap.leaks().map(|l| l.arcs), Some(1));
        heap.reset();
        assert_eq!(heap.leaks(), None);
    }
}

/// Counts an allocation of `sync::Arc` made in the running execution at `site`, until the
/// returned token is dropped; an execution whose threads all finish with allocations left
/// fails with `Leak`.
pub(crate) fn track_allocation(site: Site) -> Option<Allocation> {
    let local = local()?;
    if local.exec.initialising_static(local.running()) {
        // Owned by a static, which outlives the execution as in std: not a leak.
        return None;
    }
    local.exec.heap.arc_created();
    Some(Allocation {
        counted: CountedBy {
            id: local.exec.id(),
            exec: local.exec.clone(),
        },
        ops: ArcOps::new(&*local.exec.backend, site).map(std::sync::Arc::new),
    })
}

/// `tapestry::alloc` made the block at `addr`, at `site`: counted by the running execution
/// until freed, unless a static's initialiser made it (see this module).
pub(crate) fn block_allocated(addr: usize, site: Site) {
    if let Some(local) = local()
        && !local.exec.initialising_static(local.running())
    {
        local.exec.heap.allocated(addr, site);
    }
}

/// `tapestry::alloc` freed the block at `addr`.
pub(crate) fn block_freed(addr: usize) {
    if let Some(local) = local() {
        local.exec.heap.freed(addr);
    }
}

/// `tapestry::alloc` moved the block at `old` to `new`.
pub(crate) fn block_moved(old: usize, new: usize) {
    if let Some(local) = local() {
        local.exec.heap.moved(old, new);
    }
}

/// One live allocation of an execution; see [`track_allocation`].
#[derive(Debug)]
pub(crate) struct Allocation {
    counted: CountedBy,
    /// The engine's operations for its references (see `rt::arc_ops`), shared with the
    /// allocation's `Weak`s.
    ops: Option<std::sync::Arc<ArcOps>>,
}

/// The execution an allocation was made in.
#[derive(Clone, Debug)]
struct CountedBy {
    exec: std::sync::Arc<Execution>,
    id: u64,
}

impl CountedBy {
    /// The running thread, if it runs this execution and no panic unwinds (during one, an
    /// engine operation may fail the execution again, inside a destructor).
    fn running(&self) -> Option<ThreadIdx> {
        let local = local()?;
        let current = self.exec.id() == self.id && std::sync::Arc::ptr_eq(&local.exec, &self.exec);
        (current && !std::thread::panicking()).then(|| local.running())
    }
}

/// What a `Weak` keeps of its allocation, to make its upgrades operations (see `rt::arc_ops`).
#[derive(Clone, Debug)]
pub(crate) struct WeakOps {
    counted: CountedBy,
    ops: std::sync::Arc<ArcOps>,
}

impl WeakOps {
    /// An upgrade is tried.
    pub(crate) fn upgrade(&self) {
        if self.counted.running().is_some() {
            self.ops.upgrade();
        }
    }

    /// The reference counts are read.
    pub(crate) fn counts_read(&self) {
        if self.counted.running().is_some() {
            self.ops.write();
        }
    }
}

impl Allocation {
    /// A reference to the allocation is given up (dropped, or unwrapped); `last` says whether
    /// it was the last one.
    pub(crate) fn give_up(&self, last: impl Fn() -> bool) {
        if let Some((ops, me)) = self.running() {
            ops.give_up(me, last);
        }
    }

    /// The caller holds the only reference (`Arc::get_mut`): what the threads that gave theirs
    /// up did happens before.
    pub(crate) fn take_over(&self) {
        if let Some((ops, me)) = self.running() {
            ops.take_over(me);
        }
    }

    /// The reference counts are read.
    pub(crate) fn counts_read(&self) {
        if let Some((ops, _)) = self.running() {
            ops.write();
        }
    }

    /// For a `Weak` of this allocation.
    pub(crate) fn weak_ops(&self) -> Option<WeakOps> {
        Some(WeakOps {
            counted: self.counted.clone(),
            ops: self.ops.clone()?,
        })
    }

    fn running(&self) -> Option<(&ArcOps, ThreadIdx)> {
        let ops = self.ops.as_deref()?;
        Some((ops, self.counted.running()?))
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        // Only the execution that made it counts it; a later one starts from zero.
        if self.counted.exec.id() == self.counted.id {
            self.counted.exec.heap.arc_dropped();
        }
    }
}
