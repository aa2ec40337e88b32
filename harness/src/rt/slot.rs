//! How a facade object finds its engine object: lazily, in the context that uses it.
//!
//! Facade constructors are `const fn`, as std's are, so they cannot ask which execution is
//! running. A facade object instead holds a [`Slot`], which makes the engine's raw object at the
//! object's first operation, in the context of that operation: an execution of an exploration,
//! or code outside explorations (context 0, native raw objects). Later operations in the same
//! context find it with one atomic load.
//!
//! A `static` is used by every execution. When an execution first touches a static facade
//! object bound to an earlier one, the slot binds it afresh and the object resets its state
//! (clocks, poisoning, and its data, copied back from the bytes the static held before its
//! first use: see `rt::statics`), so each execution starts from the static's initial value, as
//! loom's `lazy_static!` does. Any other object that strays from its execution (through a
//! `std` static, a thread-local, or a std thread) is a misuse, as before.
//!
//! Architecture invariant: a slot is rebound only when the context it was bound to is over
//! (its exploration has begun another execution, or ended). Two explorations that touch one
//! static at once are a misuse, never a reset under a running execution.
//!
//! A program that uses an object after freeing it would call into the freed engine object, and
//! could crash the test binary. A slot marks itself [`DROPPED`] as it goes, so such a use, if
//! nothing has reused the memory yet, fails the execution instead; so does one that finds
//! bytes no slot writes (the memory reused). Not every use after free is caught: memory reused
//! by another facade object of the same execution looks like one, and an operation that began
//! before the free (its thread waiting at the operation's scheduling point, inside the engine
//! object, while another thread frees it: oneshot 0.1.13's sender does this) goes on in freed
//! memory.

use std::alloc::{Layout, alloc, dealloc};
use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering::*};

use super::backend::Backend;
use super::event::{ObjKind, Site};
use super::execution::{any_live, is_live, is_sole, may_be_execution};
use super::local::local;
use super::{ObjRef, create, fail, hook, native, statics};
use crate::kinds::FailureKind;

/// `Slot::state` while one thread makes the binding (stress threads may race to bind).
const BINDING: u64 = u64::MAX;
/// `Slot::state` once the slot is dropped (see the module docs).
const DROPPED: u64 = u64::MAX - 1;

/// A facade object's binding to the context that uses it; see the module docs.
pub(crate) struct Slot<R> {
    /// 0: never bound; [`BINDING`]; else the bound context's id + 1.
    state: AtomicU64,
    bound: UnsafeCell<Option<Bound<R>>>,
    /// Where the object was made (the line of a `static`'s initialiser, for one).
    pub(crate) site: Site,
    pub(crate) name: Option<Cow<'static, str>>,
    /// For a `static`: the bytes its data held before its first use, and their layout.
    pristine: AtomicPtr<u8>,
    pristine_layout: UnsafeCell<Option<Layout>>,
}

// SAFETY: `bound` is written only while `state` is `BINDING`, by the one thread that set it,
// and read only after an acquire load of `state` saw the binding published; a binding is
// replaced only when its context is over (see the module docs). `pristine_layout` likewise.
unsafe impl<R: Send + Sync> Sync for Slot<R> {}
// SAFETY: the slot owns its binding and its copy of the pristine bytes.
unsafe impl<R: Send> Send for Slot<R> {}

/// A facade object's engine object in one context.
pub(crate) struct Bound<R> {
    pub(crate) obj: ObjRef,
    pub(crate) raw: R,
}

/// Given to an object's `fresh` callback when it is bound: the object puts its own state in
/// order for the new context.
pub(crate) struct Fresh<'a> {
    slot_pristine: &'a AtomicPtr<u8>,
    layout: &'a UnsafeCell<Option<Layout>>,
    /// The object's identity in the new context.
    pub(crate) obj: ObjRef,
    is_static: bool,
    /// Never bound before; else a `static` bound in another context, which starts over.
    first: bool,
}

impl Fresh<'_> {
    /// Keeps a static's data as it was before its first use, or puts it back when the static
    /// starts over (dropping what the last context left there).
    ///
    /// # Safety
    /// `data` points to the object's data, valid and not accessed by any other thread now (the
    /// object is being bound), and it is the same data at every binding.
    pub(crate) unsafe fn data<T: ?Sized>(&self, data: *mut T) {
        if !self.is_static {
            return;
        }
        // SAFETY: the caller guarantees `data` is valid.
        let layout = Layout::for_value(unsafe { &*data });
        if self.first {
            if layout.size() != 0 {
                // SAFETY: the layout has a non-zero size.
                let copy = unsafe { alloc(layout) };
                assert!(!copy.is_null(), "out of memory copying a static");
                // SAFETY: both regions are `layout.size()` bytes, distinct.
                unsafe { std::ptr::copy_nonoverlapping(data.cast::<u8>(), copy, layout.size()) };
                self.slot_pristine.store(copy, Release);
            }
            // SAFETY: written while binding, by the one binding thread.
            unsafe { *self.layout.get() = Some(layout) };
        } else {
            let copy = self.slot_pristine.load(Acquire);
            // SAFETY: the data is valid and unshared (caller); dropping it in place and copying
            // the pristine bytes of a constant-evaluated value back is what re-evaluating that
            // constant would give (see `rt::statics`).
            unsafe {
                std::ptr::drop_in_place(data);
                if layout.size() != 0 {
                    std::ptr::copy_nonoverlapping(copy, data.cast::<u8>(), layout.size());
                }
            }
        }
    }
}

impl<R> Slot<R> {
    /// A slot bound to nothing yet.
    pub(crate) const fn new(site: Site, name: Option<Cow<'static, str>>) -> Slot<R> {
        Slot {
            state: AtomicU64::new(0),
            bound: UnsafeCell::new(None),
            site,
            name,
            pristine: AtomicPtr::new(std::ptr::null_mut()),
            pristine_layout: UnsafeCell::new(None),
        }
    }

    /// The binding in the running context, made now if there is none: `make` makes the raw
    /// object with the context's backend, `fresh` resets the object's own state.
    #[inline]
    pub(crate) fn get(
        &self,
        kind: ObjKind,
        make: impl FnOnce(&dyn Backend) -> R,
        fresh: impl FnOnce(&Fresh<'_>),
    ) -> &Bound<R> {
        let context = local().map_or(0, |local| local.exec.id());
        if self.state.load(Acquire) == context + 1 {
            // SAFETY: published for this context (see the `Sync` impl).
            return unsafe { (*self.bound.get()).as_ref().unwrap_unchecked() };
        }
        self.bind(context, Some(kind), make, fresh)
    }

    /// The binding, for an owner with exclusive access (`&mut self`) that has just bound it
    /// with [`Slot::get`].
    pub(crate) fn bound_mut(&mut self) -> &mut Bound<R> {
        self.bound
            .get_mut()
            .as_mut()
            .expect("bound by `Slot::get` first")
    }

    #[cold]
    #[inline(never)]
    fn bind(
        &self,
        context: u64,
        kind: Option<ObjKind>,
        make: impl FnOnce(&dyn Backend) -> R,
        fresh: impl FnOnce(&Fresh<'_>),
    ) -> &Bound<R> {
        let is_static = statics::contains(self as *const Self as usize);
        loop {
            let state = self.state.load(Acquire);
            if state == context + 1 {
                // SAFETY: published for this context.
                return unsafe { (*self.bound.get()).as_ref().unwrap_unchecked() };
            }
            if state == BINDING {
                std::hint::spin_loop();
                std::thread::yield_now();
                continue;
            }
            if state == DROPPED || (state != 0 && !may_be_execution(state - 1)) {
                used_after_free();
            }
            let first = state == 0;
            if !first {
                self.check_rebind(state - 1, context, is_static);
            } else if context == 0
                && is_sole()
                && let Some(exec) = any_live()
            {
                self.foreign_use(exec);
            }
            if self
                .state
                .compare_exchange(state, BINDING, Acquire, Relaxed)
                .is_err()
            {
                continue;
            }
            let restore = Restore(&self.state, state);
            let (obj, raw) = match kind {
                Some(kind) => create(kind, self.name.clone(), self.site, make),
                None => (
                    ObjRef {
                        exec: context,
                        id: 0,
                    },
                    make(native::native()),
                ),
            };
            fresh(&Fresh {
                slot_pristine: &self.pristine,
                layout: &self.pristine_layout,
                obj,
                is_static,
                first,
            });
            // SAFETY: this thread set `BINDING`; no other reads `bound` until it is published.
            unsafe { *self.bound.get() = Some(Bound { obj, raw }) };
            std::mem::forget(restore);
            self.state.store(context + 1, Release);
            // SAFETY: just published.
            return unsafe { (*self.bound.get()).as_ref().unwrap_unchecked() };
        }
    }

    /// Fails unless an object bound to context `old` may start over in `context`.
    fn check_rebind(&self, old: u64, context: u64, is_static: bool) {
        let site = self.site;
        if context == 0 {
            if old != 0 && is_live(old) {
                self.foreign_use(old);
            }
            if !is_static {
                panic!(
                    "a tapestry object used inside an exploration (made at {site}) was used \
                     again outside it; keep the objects a test body makes inside it"
                );
            }
            return;
        }
        if is_static && (old == 0 || !is_live(old)) {
            return;
        }
        let message = if is_static {
            format!(
                "the static made at {site} is used by two explorations at once in this process; \
                 tapestry gives a static a fresh value in each execution, which needs it to \
                 itself. Run those tests one at a time (the `#[tapestry::test]` attribute runs \
                 each in a process of its own unless TAPESTRY_ISOLATE=0)"
            )
        } else {
            let when = if old == 0 {
                "outside the exploration"
            } else {
                "in an earlier execution"
            };
            format!(
                "an object used {when} (made at {site}) was used again in this execution. \
                 Each execution runs the test body afresh, and engines only see what it makes: \
                 create shared state inside the closure given to Explorer::run (or the \
                 #[tapestry::test] function), not before it or in a std static, thread-local or \
                 OnceLock (a `static` tapestry object, `tapestry::sync::OnceLock` and \
                 `tapestry::sync::LazyLock` start afresh in every execution)"
            )
        };
        fail(FailureKind::Misuse, message)
    }
}

impl Slot<()> {
    /// Binds a slot that stands for no engine object, only for data of a facade type that a
    /// `static` may hold (a tokio lock's value, behind a semaphore): `fresh` puts the data in
    /// order for the running context, as [`Slot::get`]'s does for an object's.
    #[inline]
    pub(crate) fn refresh(&self, fresh: impl FnOnce(&Fresh<'_>)) {
        let context = local().map_or(0, |local| local.exec.id());
        if self.state.load(Acquire) != context + 1 {
            self.bind(context, None, |_| (), fresh);
        }
    }
}

impl<R> Slot<R> {
    /// Fails a use, on a thread tapestry did not start, of an object that exploration `exec`
    /// may use: the thread panics, and the execution fails with the same message.
    fn foreign_use(&self, exec: u64) -> ! {
        let site = self.site;
        let message = format!(
            "a tapestry object (made at {site}) was used on a thread tapestry did not start, \
             while an exploration runs, where no engine can see it. Start the test's threads \
             with `tapestry::thread::spawn` (or `tapestry::thread::Builder`, or \
             `tapestry::thread::scope`), not `std::thread::spawn` or `std::thread::scope`"
        );
        hook::foreign_use(exec, message.clone());
        panic!("{message}");
    }
}

/// Fails the use of a slot that was dropped (see the module docs). Nothing of the slot is read
/// (its memory may hold anything by now).
#[cold]
pub(crate) fn used_after_free() -> ! {
    fail(
        FailureKind::Panic,
        "a tapestry object was used after it was dropped (a use after free: its memory was \
         freed, and perhaps reused since); the backtrace of this thread's panic shows where"
            .to_owned(),
    )
}

impl<R> Drop for Slot<R> {
    fn drop(&mut self) {
        *self.state.get_mut() = DROPPED;
        let copy = *self.pristine.get_mut();
        if let Some(layout) = self.pristine_layout.get_mut()
            && layout.size() != 0
        {
            // SAFETY: allocated with this layout in `Fresh::data`; the copy is bytes only (the
            // value it holds is never dropped: the static's own value is).
            unsafe { dealloc(copy, *layout) };
        }
    }
}

/// Puts a slot's state back if making its binding panics, so no thread waits forever.
struct Restore<'a>(&'a AtomicU64, u64);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        self.0.store(self.1, Release);
    }
}
