//! Deadlocks predicted from lock orders: the edges a thread adds as it blocks to take a lock
//! while holding others, and the first cycle they close, kept while the engine looks on for a
//! real failure.

use super::{Detail, Execution, FailureRecord, ThreadRef};
use crate::kinds::FailureKind;
use crate::rt::clock::Views;
use crate::rt::event::{ObjId, Recording, Site, ThreadIdx};
use crate::rt::lock_order::Edge;

/// A deadlock predicted from lock orders, kept while the engine looks for a real failure.
#[derive(Clone, Debug)]
pub(crate) struct Prediction {
    pub record: FailureRecord,
    /// The execution that showed the cycle, counting from 1.
    pub execution: u64,
    /// Its recording, once it has ended.
    pub recording: Option<Recording>,
}

impl Execution {
    /// Adds the lock-order edges of `thread`, about to block to take `lock` while holding
    /// others (see [`ThreadRef::lock_acquiring`]), with its clock in the order view.
    #[inline(never)]
    pub(super) fn add_lock_order(&self, thread: ThreadRef<'_>, lock: ObjId, site: Site) {
        // Once predicted, the exploration needs no more edges, nor their clocks. A lock taken
        // in tapestry's own source guards the state of one of its primitives for a moment and
        // waits for nothing else meanwhile: it closes no cycle, and releasing an async lock
        // (whose state it guards) while holding another is no order between the two.
        if !self.lock_order || self.prediction.lock().is_some() || crate::rt::is_ours(site) {
            return;
        }
        // Before any lock of the lock graph: starting a view takes every thread's clocks.
        self.keep_clocks(Views::ORDER);
        let cycle = self.with_state(&thread.slot.held, |held| {
            self.with_state(&self.nesting, |nesting| nesting.add(held, lock));
            thread.with_clocks(|clocks| {
                let clock = &mut clocks.now.order;
                // On real threads, another thread may be starting the view and not have
                // reached this one's clock yet.
                if clock.get(thread.idx) == 0 {
                    clock.tick(thread.idx);
                }
                self.lock_graph
                    .lock()
                    .acquiring(thread.idx, held, lock, site, clock)
            })
        });
        if let Some(cycle) = cycle {
            self.predict(thread.idx, cycle);
        }
    }

    /// A thread other than `not` that holds `lock`.
    pub(crate) fn holder_other_than(&self, not: ThreadIdx, lock: ObjId) -> Option<ThreadIdx> {
        let held = |idx: ThreadIdx| &self.threads.slot(idx).held;
        (0..self.threads.len())
            .find(|&idx| idx != not && self.with_state(held(idx), |held| held.holds(lock)))
    }

    /// Lock `lock` was released by thread `by`, which need not be the thread that took it (an
    /// async lock's guard moves with its future): the thread that holds it, `by` first, no
    /// longer does.
    pub(crate) fn lock_released_anywhere(&self, by: ThreadIdx, lock: ObjId) {
        let held = |idx: ThreadIdx| &self.threads.slot(idx).held;
        let holder = std::iter::once(by)
            .chain(0..self.threads.len())
            .find(|&idx| self.with_state(held(idx), |held| held.holds(lock)));
        if let Some(holder) = holder {
            self.with_state(held(holder), |held| held.released(lock));
        }
    }

    /// Makes lock-order cycle `cycle`, closed by `thread`, the exploration's prediction unless
    /// it has one.
    #[cold]
    fn predict(&self, thread: ThreadIdx, cycle: Vec<Edge>) {
        let mut prediction = self.prediction.lock();
        if prediction.is_none() {
            let threads = self.blocked_threads();
            *prediction = Some(Prediction {
                record: FailureRecord {
                    kind: FailureKind::PotentialDeadlock,
                    message: "locks are taken in a cycle of orders".to_owned(),
                    thread,
                    task: None,
                    location: None,
                    blocked: Vec::new(),
                    unfinished: threads.iter().map(|&(t, _)| t).collect(),
                    detail: Some(Detail::Cycle(cycle)),
                },
                execution: self.executions(),
                recording: None,
            });
        }
    }

    /// The execution that made the prediction, while its recording is still wanted.
    pub(crate) fn prediction_without_trace(&self) -> Option<u64> {
        self.prediction
            .lock()
            .as_ref()
            .filter(|p| p.recording.is_none())
            .map(|p| p.execution)
    }

    /// Gives the prediction the recording of the execution that made it.
    pub(crate) fn attach_prediction_trace(&self, recording: Recording) {
        if let Some(prediction) = self.prediction.lock().as_mut() {
            prediction.recording.get_or_insert(recording);
        }
    }

    pub(crate) fn take_prediction(&self) -> Option<Prediction> {
        self.prediction.lock().take()
    }
}
