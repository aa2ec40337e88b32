//! Facade objects on shuttle's runtime: shuttle decides which thread runs at every facade
//! operation. It is sequentially consistent: every `Ordering` behaves as `SeqCst`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::condvar::ShuttleCondvar;
use super::priority::PriorityMode;
use super::token::ShuttleToken;

use crate::engine::guarded::{EngineAtomic, guarded_locks};
use crate::engine::stack;
use crate::rt::{
    self, ArcOperations, AtomicRepr, Backend, Execution, RawAtomic, RawCell, RawCondvar, RawJoin,
    RawMutex, RawRwLock, RawToken, ThreadIdx, atomic_enum,
};

atomic_enum!(ShuttleAtomic, shuttle::sync::atomic, engine);
guarded_locks!(ShuttleMutex, ShuttleRwLock, shuttle::sync);

/// The size of shuttle's stacks: a spawned thread's default (`engine::stack::spawned`), at least
/// 256 KiB for shuttle's own frames.
pub(crate) fn shuttle_stack() -> usize {
    stack::spawned().max(256 << 10)
}

/// Shuttle's runtime; with `priority`, as the priority engine runs it: sleeps are release
/// points for its scheduler, and every step is checked for an unbounded priority inversion.
#[derive(Debug, Default)]
pub(crate) struct ShuttleBackend {
    pub priority: Option<Arc<PriorityMode>>,
}

impl ShuttleBackend {
    /// A condition variable, as the DPOR engine's backend wraps it.
    pub(crate) fn condvar(&self) -> ShuttleCondvar {
        ShuttleCondvar::new(self.priority.clone())
    }

    /// A wake token, as the DPOR engine's backend wraps it.
    pub(crate) fn token(&self) -> ShuttleToken {
        ShuttleToken::new(self.priority.clone())
    }
}

impl Backend for ShuttleBackend {
    fn spawn(
        &self,
        _exec: &Arc<Execution>,
        _child: ThreadIdx,
        body: Box<dyn FnOnce() + Send + 'static>,
        name: Option<&str>,
        stack_size: Option<usize>,
    ) -> Box<dyn RawJoin> {
        // shuttle's stacks are all one size, reused whatever a thread asks for: a thread that
        // asks for another size runs on one of ours, so that one that overflows what it asked
        // for overflows here as under std. (Switching to ours costs about 2% of a small
        // execution's time, so a thread of shuttle's size, every thread that asks for none,
        // stays on it.)
        let size = stack::for_spawned(stack_size);
        let body = if size != shuttle_stack() {
            stack::wrap(size, body)
        } else {
            body
        };
        let mut builder = shuttle::thread::Builder::new();
        if let Some(name) = name {
            builder = builder.name(name.to_owned());
        }
        let handle = rt::engine_call(|| builder.spawn(body))
            .expect("shuttle spawns model threads without OS resources");
        Box::new(ShuttleJoin(handle))
    }

    /// Shuttle's yield lets our schedulers decide whether the thread steps aside
    /// (`rt::stepping_aside`).
    fn yield_now(&self) {
        rt::yield_point(false, |_| rt::engine_call(shuttle::thread::yield_now));
    }

    fn sleep(&self, _duration: Duration) {
        if let (Some(mode), Some((_, me))) = (&self.priority, rt::current_thread()) {
            mode.sleep(me);
        }
        self.yield_now();
    }

    fn acts_before_ops(&self) -> bool {
        self.priority.is_some()
    }

    fn before_op(&self) {
        if let Some(mode) = &self.priority {
            rt::check_priority_inversion(mode.inversion_bound);
        }
    }

    fn arc_operations(&self) -> ArcOperations {
        ArcOperations::Scheduled
    }

    fn detects_races(&self) -> bool {
        true
    }

    fn new_mutex(&self) -> Box<dyn RawMutex> {
        Box::new(ShuttleMutex::new())
    }

    fn new_rwlock(&self) -> Box<dyn RawRwLock> {
        Box::new(ShuttleRwLock::new())
    }

    fn new_condvar(&self) -> Box<dyn RawCondvar> {
        Box::new(self.condvar())
    }

    fn new_atomic(&self, repr: AtomicRepr, bits: u64) -> Box<dyn RawAtomic> {
        Box::new(EngineAtomic(ShuttleAtomic::new(repr, bits)))
    }

    fn new_cell(&self) -> Option<Box<dyn RawCell>> {
        None
    }

    fn new_token(&self, _owner: ThreadIdx) -> Option<Box<dyn RawToken>> {
        Some(Box::new(self.token()))
    }

    /// A draw from the scheduler, which samples it (or a replay repeats it).
    fn choose(&self, n: usize) -> Option<usize> {
        use shuttle::rand::RngCore;
        let draw = shuttle::rand::thread_rng().next_u64();
        Some((draw % n as u64) as usize)
    }

    fn fence(&self, order: Ordering) {
        rt::engine_call(|| shuttle::sync::atomic::fence(order));
    }
}

struct ShuttleJoin(shuttle::thread::JoinHandle<()>);

impl RawJoin for ShuttleJoin {
    fn join(self: Box<Self>) -> std::thread::Result<()> {
        rt::engine_call(|| self.0.join())
    }
}
