//! Facade objects for the DPOR engine: shuttle's, each wrapped to announce what it is about to
//! do (see `access`). The wrappers add no scheduling point of their own, so a schedule found
//! here replays on the plain shuttle backend step for step.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use super::access::{Access, Found, Obj, SharedTracker, Tid};
use crate::engine::shuttle::ShuttleBackend;
use crate::engine::shuttle::condvar::{ShuttleCondvar, TimedWait};
use crate::engine::shuttle::token::ShuttleToken;
use crate::rt::{
    self, ArcOperations, AtomicRepr, Backend, Execution, RawAtomic, RawCell, RawCondvar, RawJoin,
    RawMutex, RawRwLock, RawToken, RmwOp, Site, ThreadIdx,
};

#[derive(Debug)]
pub(crate) struct DporBackend {
    pub tracker: SharedTracker,
    /// The line of the object being made now (`Backend::creating`), as an address; 0: none.
    site: AtomicUsize,
    inner: ShuttleBackend,
}

impl DporBackend {
    pub(crate) fn new(tracker: SharedTracker) -> Self {
        DporBackend {
            tracker,
            site: AtomicUsize::new(0),
            inner: ShuttleBackend::default(),
        }
    }

    fn object(&self) -> Announcer {
        Announcer {
            obj: self
                .tracker
                .lock()
                .object(self.site.load(Ordering::Relaxed)),
            tracker: self.tracker.clone(),
        }
    }
}

fn me() -> Tid {
    rt::current_thread().map_or(0, |(_, t)| t as Tid)
}

/// An object's number and the tracker it announces to.
struct Announcer {
    obj: Obj,
    tracker: SharedTracker,
}

impl Announcer {
    /// Runs `op`, announced as `access`; `outcome` says what it turned out to be.
    fn run<R>(&self, access: Access, op: impl FnOnce() -> R, outcome: impl Fn(&R) -> Access) -> R {
        if rt::teardown() {
            // Nothing after a failure matters, and the tracker may be mid-reset.
            return op();
        }
        let t = me();
        self.tracker.lock().begin(t, access);
        let result = op();
        // Before locking: an atomic's `outcome` reports to the tracker too.
        let outcome = outcome(&result);
        self.tracker.lock().end(t, outcome);
        result
    }

    fn announce<R>(&self, access: Access, op: impl FnOnce() -> R) -> R {
        self.run(access, op, |_| access)
    }
}

impl Backend for DporBackend {
    fn creating(&self, site: Option<Site>) {
        let address = site.map_or(0, |site| site as *const _ as usize);
        self.site.store(address, Ordering::Relaxed);
    }

    fn spawn(
        &self,
        exec: &Arc<Execution>,
        child: ThreadIdx,
        body: Box<dyn FnOnce() + Send + 'static>,
        name: Option<&str>,
        stack_size: Option<usize>,
    ) -> Box<dyn RawJoin> {
        self.tracker
            .lock()
            .instant(me(), Access::Spawn(child as Tid));
        Box::new(DporJoin {
            child: child as Tid,
            tracker: self.tracker.clone(),
            inner: self.inner.spawn(exec, child, body, name, stack_size),
        })
    }

    fn yield_now(&self) {
        self.inner.yield_now();
    }

    /// A step that reads whether `child` has finished, which its last step writes: the two
    /// race, so the search runs the check both before and after the child's end.
    fn is_finished(&self, child: ThreadIdx, finished: &dyn Fn() -> bool) -> bool {
        let at = Announcer {
            obj: self.tracker.lock().finished(child as Tid),
            tracker: self.tracker.clone(),
        };
        at.announce(Access::Read(at.obj), || self.inner.yield_now());
        finished()
    }

    fn thread_finishing(&self) {
        let mut tracker = self.tracker.lock();
        let obj = tracker.finished(me());
        tracker.instant(me(), Access::Write(obj));
    }

    fn arc_operations(&self) -> ArcOperations {
        ArcOperations::Scheduled
    }

    fn detects_races(&self) -> bool {
        true
    }

    fn new_mutex(&self) -> Box<dyn RawMutex> {
        Box::new(DporMutex {
            at: self.object(),
            inner: self.inner.new_mutex(),
        })
    }

    fn new_rwlock(&self) -> Box<dyn RawRwLock> {
        Box::new(DporRwLock {
            at: self.object(),
            inner: self.inner.new_rwlock(),
        })
    }

    fn new_condvar(&self) -> Box<dyn RawCondvar> {
        Box::new(DporCondvar {
            at: self.object(),
            inner: self.inner.condvar(),
        })
    }

    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic> {
        Box::new(DporAtomic {
            at: self.object(),
            repr,
            value: AtomicU64::new(bits),
            stale: AtomicBool::new(false),
            inner: self.inner.new_atomic(repr, bits),
        })
    }

    fn new_cell(&self) -> Option<Box<dyn RawCell>> {
        None
    }

    fn new_token(&self, owner: ThreadIdx) -> Option<Box<dyn RawToken>> {
        Some(Box::new(DporToken {
            at: Announcer {
                obj: self.tracker.lock().token(owner as Tid),
                tracker: self.tracker.clone(),
            },
            inner: self.inner.token(),
        }))
    }

    /// The round's value for this choice (`engine::choices`), drawn through the scheduler so
    /// that the schedule records it.
    fn choose(&self, n: usize) -> Option<usize> {
        if !rt::teardown() {
            self.tracker.choices().choose(me(), n);
        }
        self.inner.choose(n)
    }

    fn fence(&self, order: Ordering) {
        // Sequentially consistent: a fence orders nothing more.
        self.inner.fence(order);
    }
}

struct DporJoin {
    child: Tid,
    tracker: SharedTracker,
    inner: Box<dyn RawJoin>,
}

impl RawJoin for DporJoin {
    fn join(self: Box<Self>) -> std::thread::Result<()> {
        let at = Announcer {
            obj: 0,
            tracker: self.tracker.clone(),
        };
        at.announce(Access::Join(self.child), || self.inner.join())
    }
}

struct DporMutex {
    at: Announcer,
    inner: Box<dyn RawMutex>,
}

impl RawMutex for DporMutex {
    fn lock(&self) {
        self.at
            .announce(Access::Lock(self.at.obj), || self.inner.lock());
    }

    fn try_lock(&self) -> bool {
        let o = self.at.obj;
        self.at.run(
            Access::TryLock(o),
            || self.inner.try_lock(),
            |&ok| taken(ok, o),
        )
    }

    fn unlock(&self) {
        self.at
            .announce(Access::Unlock(self.at.obj), || self.inner.unlock());
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A `try_lock`'s outcome: the lock taken, or a look at it.
fn taken(ok: bool, o: Obj) -> Access {
    if ok {
        Access::Lock(o)
    } else {
        Access::TryLock(o)
    }
}

struct DporRwLock {
    at: Announcer,
    inner: Box<dyn RawRwLock>,
}

impl RawRwLock for DporRwLock {
    fn read(&self) {
        self.at
            .announce(Access::Share(self.at.obj), || self.inner.read());
    }

    fn try_read(&self) -> bool {
        let o = self.at.obj;
        self.at.run(
            Access::TryShare(o),
            || self.inner.try_read(),
            |&ok| {
                if ok {
                    Access::Share(o)
                } else {
                    Access::TryShare(o)
                }
            },
        )
    }

    fn unlock_read(&self) {
        self.at
            .announce(Access::Unshare(self.at.obj), || self.inner.unlock_read());
    }

    fn write(&self) {
        self.at
            .announce(Access::Lock(self.at.obj), || self.inner.write());
    }

    fn try_write(&self) -> bool {
        let o = self.at.obj;
        self.at.run(
            Access::TryLock(o),
            || self.inner.try_write(),
            |&ok| taken(ok, o),
        )
    }

    fn unlock_write(&self) {
        self.at
            .announce(Access::Unlock(self.at.obj), || self.inner.unlock_write());
    }
}

struct DporCondvar {
    at: Announcer,
    inner: ShuttleCondvar,
}

impl DporCondvar {
    fn mutex(mutex: &dyn RawMutex) -> &DporMutex {
        mutex
            .as_any()
            .downcast_ref::<DporMutex>()
            .expect("a condition variable and its mutex come from the same backend")
    }
}

impl RawCondvar for DporCondvar {
    fn wait(&self, mutex: &dyn RawMutex) {
        let mutex = Self::mutex(mutex);
        let wait = Access::Wait {
            cv: self.at.obj,
            mutex: mutex.at.obj,
        };
        self.at.announce(wait, || self.inner.wait(&*mutex.inner));
    }

    /// Announced part by part (see `ShuttleCondvar`): releasing the mutex, joining the
    /// waiters, the step after the pause in which the waiter learns whether it was notified
    /// (it conflicts with notifications, so the search runs a notification both before it and
    /// after, where the wait times out), and taking the mutex back.
    fn wait_timeout(&self, mutex: &dyn RawMutex, _timeout: Duration) -> bool {
        let mutex = Self::mutex(mutex);
        let cv = self.at.obj;
        self.inner.timed_wait(TimedWait {
            unlock: &|| rt::engine_call(|| mutex.unlock()),
            joined: &|| self.at.tracker.lock().instant(me(), Access::Write(cv)),
            pause: &|pause| self.at.announce(Access::Write(cv), pause),
            lock: &|| rt::engine_call(|| mutex.lock()),
        })
    }

    fn notify_one(&self) {
        self.at
            .announce(Access::Notify(self.at.obj), || self.inner.notify_one());
    }

    fn notify_all(&self) {
        self.at
            .announce(Access::Notify(self.at.obj), || self.inner.notify_all());
    }
}

struct DporToken {
    at: Announcer,
    inner: ShuttleToken,
}

impl RawToken for DporToken {
    fn give(&self) {
        self.at
            .announce(Access::Give(self.at.obj), || self.inner.give());
    }

    fn take(&self) {
        self.at
            .announce(Access::Take(self.at.obj), || self.inner.take());
    }

    fn take_timeout(&self, timeout: Duration) -> bool {
        self.at.announce(Access::TakeTimed(self.at.obj), || {
            self.inner.take_timeout(timeout)
        })
    }
}

struct DporAtomic {
    at: Announcer,
    repr: AtomicRepr,
    /// The value shuttle's atomic holds, followed here (every access passes through this
    /// wrapper) because a store does not say what it overwrote, and a compare-exchange moved
    /// before that store would read it.
    value: AtomicU64,
    /// `value` may be out of date: the program held the atomic `&mut` (`get_mut`) and may
    /// have written it, unseen, since.
    stale: AtomicBool,
    inner: Box<dyn RawAtomic>,
}

impl DporAtomic {
    /// Runs `op`, announced as `access`; `outcome` says what it turned out to be and the value
    /// it left. Tells the tracker what it found.
    fn run<R>(
        &self,
        access: Access,
        expected: Option<u64>,
        op: impl FnOnce() -> R,
        outcome: impl Fn(&R) -> (Access, u64),
    ) -> R {
        if self.stale.load(Ordering::Relaxed) {
            self.stale.store(false, Ordering::Relaxed);
            self.value.store(self.inner.peek(), Ordering::Relaxed);
        }
        self.at.run(access, op, |result| {
            let (access, left) = outcome(result);
            // Model threads run one at a time: no other access ran since this one took effect.
            let value = self.value.swap(left, Ordering::Relaxed);
            let obj = self.at.obj;
            let found = Found {
                obj,
                value,
                expected,
            };
            self.at.tracker.lock().found(found);
            access
        })
    }
}

impl RawAtomic for DporAtomic {
    fn load(&self, order: Ordering) -> u64 {
        let read = Access::Read(self.at.obj);
        self.run(read, None, || self.inner.load(order), |&v| (read, v))
    }

    fn store(&self, bits: u64, order: Ordering) {
        let write = Access::Write(self.at.obj);
        self.run(
            write,
            None,
            || self.inner.store(bits, order),
            |_| (write, bits),
        );
    }

    fn swap(&self, bits: u64, order: Ordering) -> u64 {
        let write = Access::Write(self.at.obj);
        self.run(
            write,
            None,
            || self.inner.swap(bits, order),
            |_| (write, bits),
        )
    }

    fn compare_exchange(
        &self,
        current: u64,
        new: u64,
        success: Ordering,
        failure: Ordering,
        weak: bool,
    ) -> Result<u64, u64> {
        let o = self.at.obj;
        // A failed exchange only read the value.
        self.run(
            Access::Write(o),
            Some(current),
            || {
                self.inner
                    .compare_exchange(current, new, success, failure, weak)
            },
            |r| match *r {
                Ok(_) => (Access::Write(o), new),
                Err(actual) => (Access::Read(o), actual),
            },
        )
    }

    fn fetch(&self, op: RmwOp, bits: u64, order: Ordering) -> u64 {
        let write = Access::Write(self.at.obj);
        self.run(
            write,
            None,
            || self.inner.fetch(op, bits, order),
            |&old| (write, op.apply(self.repr, old, bits)),
        )
    }

    fn get_mut(&mut self) -> *mut u8 {
        *self.stale.get_mut() = true;
        self.inner.get_mut()
    }

    fn peek(&self) -> u64 {
        self.inner.peek()
    }
}
