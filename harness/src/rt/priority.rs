//! Thread priorities, priority inheritance, and the unbounded priority inversion detector.
//!
//! Every model thread has a priority (`thread::Builder::priority`; the test body and threads
//! spawned without one have 0; higher is more urgent). Only the priority engine schedules by
//! it; the others record it and ignore it. A thread's *effective* priority is its own, raised
//! to that of every thread blocked on a `sync::PiMutex` it holds (priority inheritance,
//! transitively along chains of such locks).
//!
//! The inversion of the Mars Pathfinder: a high-priority thread waits for a lock that a
//! low-priority thread holds, and a thread of intermediate priority, which does not need the
//! lock at all, keeps the low one from running and so from releasing it. The wait is bounded
//! only by how long the intermediate thread runs. The detector counts, for each such wait, the
//! steps that threads of intermediate priority take; past a bound it fails the execution with
//! `PriorityInversion`. With priority inheritance the holder runs at the waiter's priority,
//! nothing of intermediate priority can run, and the count stays at 0.

use super::event::{ObjId, ThreadIdx};

/// A thread's priority: higher runs first under the priority engine.
pub(crate) type Priority = u8;

/// "`high` waited for `lock`, held by `low`, while `middle` (and maybe others of priority
/// between theirs) ran `steps` steps".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Inversion {
    pub high: ThreadIdx,
    pub low: ThreadIdx,
    pub middle: ThreadIdx,
    pub lock: ObjId,
    pub steps: u64,
    /// Effective priorities of `high`, `middle` and `low` when the bound was passed.
    pub priorities: [Priority; 3],
}

/// What the detector needs to know about one unfinished thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ThreadView {
    pub own: Priority,
    /// The lock it is blocked on, if it waits for one.
    pub waits_for: Option<ObjId>,
    /// The locks it holds.
    pub holds: Vec<ObjId>,
}

/// Effective priorities of `threads` (indexed like it), given which locks `inherit`.
pub(crate) fn effective(threads: &[ThreadView], inherit: &[ObjId]) -> Vec<Priority> {
    let mut effective: Vec<Priority> = threads.iter().map(|t| t.own).collect();
    // A chain of inheritance is at most as long as the number of threads; each round
    // lengthens the chains followed by one.
    for _ in 0..threads.len() {
        let mut changed = false;
        for (holder, view) in threads.iter().enumerate() {
            for lock in view.holds.iter().filter(|l| inherit.contains(l)) {
                let waiters = threads
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.waits_for == Some(*lock));
                for (waiter, _) in waiters {
                    if effective[waiter] > effective[holder] {
                        effective[holder] = effective[waiter];
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    effective
}

/// The waits of high-priority threads that the detector is timing.
#[derive(Debug, Default)]
pub(crate) struct InversionWatch {
    /// (waiting thread, lock, steps of intermediate threads so far).
    waits: Vec<(ThreadIdx, ObjId, u64)>,
}

impl InversionWatch {
    pub(crate) fn clear(&mut self) {
        self.waits.clear();
    }

    /// Thread `running` is about to take a step. Counts it against every wait it prolongs, and
    /// returns the inversion whose count passes `bound`, if any.
    pub(crate) fn step(
        &mut self,
        threads: &[ThreadView],
        inherit: &[ObjId],
        running: ThreadIdx,
        bound: u64,
    ) -> Option<Inversion> {
        let effective = effective(threads, inherit);
        let mut waits = Vec::new();
        for (high, view) in threads.iter().enumerate() {
            let Some(lock) = view.waits_for else { continue };
            let steps = self
                .waits
                .iter()
                .find(|&&(h, l, _)| h as usize == high && l == lock)
                .map_or(0, |&(_, _, steps)| steps);
            waits.push((high as ThreadIdx, lock, steps));
        }
        // Waits that ended are forgotten: a new wait starts counting from 0.
        self.waits = waits;
        let middle = effective.get(running as usize).copied()?;
        for (high, lock, steps) in &mut self.waits {
            let top = effective[*high as usize];
            let low = threads.iter().enumerate().find(|(holder, view)| {
                view.holds.contains(lock) && effective[*holder] < middle && middle < top
            });
            let Some((low, _)) = low else { continue };
            *steps += 1;
            if *steps > bound {
                return Some(Inversion {
                    high: *high,
                    low: low as ThreadIdx,
                    middle: running,
                    lock: *lock,
                    steps: *steps,
                    priorities: [top, middle, effective[low]],
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUS: ObjId = 7;

    fn view(own: Priority, waits_for: Option<ObjId>, holds: &[ObjId]) -> ThreadView {
        ThreadView {
            own,
            waits_for,
            holds: holds.to_vec(),
        }
    }

    /// main (0, waiting for nothing), low (1) holds the bus, high (3) waits for it, medium (2).
    fn pathfinder() -> Vec<ThreadView> {
        vec![
            view(0, None, &[]),
            view(1, None, &[BUS]),
            view(3, Some(BUS), &[]),
            view(2, None, &[]),
        ]
    }

    #[test]
    fn inheritance_raises_holders_along_chains_and_only_through_inheriting_locks() {
        let chain = vec![
            view(1, None, &[1]),
            view(2, Some(1), &[2]),
            view(5, Some(2), &[]),
        ];
        type Case<'a> = (&'a str, Vec<ThreadView>, &'a [ObjId], Vec<Priority>);
        let cases: &[Case] = &[
            ("plain lock", pathfinder(), &[], vec![0, 1, 3, 2]),
            ("inheriting lock", pathfinder(), &[BUS], vec![0, 3, 3, 2]),
            ("chain", chain.clone(), &[1, 2], vec![5, 5, 5]),
            ("chain broken by a plain lock", chain, &[1], vec![2, 2, 5]),
        ];
        for (name, threads, inherit, expected) in cases {
            assert_eq!(&effective(threads, inherit), expected, "{name}");
        }
    }

    #[test]
    fn only_intermediate_steps_count_and_the_bound_is_exceeded_not_reached() {
        let threads = pathfinder();
        let mut watch = InversionWatch::default();
        for running in [0, 1, 2] {
            assert_eq!(watch.step(&threads, &[], running, 2), None, "{running}");
        }
        assert_eq!(watch.step(&threads, &[], 3, 2), None);
        assert_eq!(watch.step(&threads, &[], 3, 2), None);
        let inversion = watch
            .step(&threads, &[], 3, 2)
            .expect("third step passes 2");
        assert_eq!(
            inversion,
            Inversion {
                high: 2,
                low: 1,
                middle: 3,
                lock: BUS,
                steps: 3,
                priorities: [3, 2, 1],
            }
        );
    }

    #[test]
    fn inheritance_prevents_the_inversion_and_a_new_wait_starts_from_zero() {
        let threads = pathfinder();
        let mut watch = InversionWatch::default();
        for _ in 0..10 {
            assert_eq!(watch.step(&threads, &[BUS], 3, 2), None);
        }
        assert_eq!(watch.step(&threads, &[], 3, 2), None);
        assert_eq!(watch.step(&threads, &[], 3, 2), None);
        let mut released = pathfinder();
        released[2].waits_for = None;
        assert_eq!(watch.step(&released, &[], 3, 2), None);
        assert_eq!(watch.step(&threads, &[], 3, 2), None);
        assert_eq!(watch.step(&threads, &[], 3, 2), None);
        assert!(watch.step(&threads, &[], 3, 2).is_some());
    }
}
