use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::ptr;

use crate::rt::race::{self, SyncClock};
use crate::rt::{self, Allocation, WeakOps};

/// A reference-counted pointer, as [`std::sync::Arc`], whose allocations tapestry counts: an
/// execution that ends with some of them never freed (a reference cycle, say) fails with
/// [`FailureKind::Leak`](crate::FailureKind::Leak).
///
/// Its reference counting is what std's is to the engines that choose where threads switch:
/// dropping a reference, `into_inner`, `try_unwrap`, `Weak::upgrade`, `get_mut` and the counts
/// are scheduling points, so which thread drops the last reference (and runs the destructor),
/// and whether an upgrade comes before it, are explored; drops that are not the last are
/// independent of each other, so they add no executions to the DPOR engine's search. A clone
/// is no scheduling point. Every drop happens before the value's destruction, as in std.
///
/// # `Arc<dyn Trait>`
///
/// std's `Arc<T>` coerces to `Arc<dyn Trait>` (and `Arc<[T; N]>` to `Arc<[T]>`) through
/// `CoerceUnsized`, a trait stable Rust does not let other types implement; this one cannot.
/// Make the trait object from a `Box`, which coerces, as std's `Arc` also allows:
///
/// ```
/// use tapestry::sync::Arc;
///
/// trait Job: Send + Sync {
///     fn run(&self) -> u32;
/// }
/// struct Twice(u32);
/// impl Job for Twice {
///     fn run(&self) -> u32 {
///         2 * self.0
///     }
/// }
///
/// // The same line compiles with `std::sync::Arc`.
/// let job: Arc<dyn Job> = Arc::from(Box::new(Twice(21)) as Box<dyn Job>);
/// let other = job.clone();
/// assert_eq!(other.run(), 42);
/// // Slices and strings too.
/// let items: Arc<[u8]> = Arc::from(vec![1, 2, 3]);
/// let name: Arc<str> = Arc::from("worker");
/// assert_eq!((items.len(), &*name), (3, "worker"));
/// ```
pub struct Arc<T: ?Sized> {
    inner: std::sync::Arc<Inner<T>>,
}

/// `repr(C)`, so that `value`'s offset is what [`Layout::extend`] computes: `Arc::from` a
/// `Box<T>` of a type unknown here (`dyn Trait`) lays an `Inner<T>` out by hand.
#[repr(C)]
struct Inner<T: ?Sized> {
    header: Header,
    value: T,
}

struct Header {
    allocation: Option<Allocation>,
    /// Dropped just before `value` (fields drop in order), by whichever thread drops last.
    sync: FinalDrop,
}

impl Header {
    #[track_caller]
    fn new() -> Header {
        Header {
            allocation: rt::track_allocation(std::panic::Location::caller()),
            sync: FinalDrop::default(),
        }
    }

    /// A reference to `inner` is given up (dropped, or unwrapped): what this thread did
    /// happens before the value's destruction, as std's `Arc` orders it with a release
    /// decrement by every reference and an acquire by the last.
    fn give_up<T: ?Sized>(inner: &std::sync::Arc<Inner<T>>) {
        let header = &inner.header;
        race::release_join(&header.sync.clock);
        if let Some(allocation) = &header.allocation {
            allocation.give_up(|| std::sync::Arc::strong_count(inner) == 1);
        }
    }

    /// What the threads that gave their references up did happens before (`get_mut`, whose
    /// caller holds the only reference), as std's uniqueness check acquires it.
    fn take_over(&self) {
        race::acquire(&self.sync.clock);
        if let Some(allocation) = &self.allocation {
            allocation.take_over();
        }
    }
}

/// std's `Arc` makes every drop of a clone happen before the value's destruction (its count is
/// released on every decrement and acquired by the last). The race detector learns the same:
/// every drop releases into `clock`, and dropping this (with the last reference) acquires it.
#[derive(Debug, Default)]
struct FinalDrop {
    clock: SyncClock,
}

impl Drop for FinalDrop {
    fn drop(&mut self) {
        race::acquire(&self.clock);
    }
}

impl<T: ?Sized> Drop for Arc<T> {
    fn drop(&mut self) {
        Header::give_up(&self.inner);
    }
}

impl<T> Arc<T> {
    /// Allocates `value`.
    #[track_caller]
    pub fn new(value: T) -> Arc<T> {
        Arc {
            inner: std::sync::Arc::new(Inner {
                header: Header::new(),
                value,
            }),
        }
    }

    /// Returns the value if this is the only strong reference.
    pub fn try_unwrap(this: Arc<T>) -> Result<T, Arc<T>> {
        match std::sync::Arc::try_unwrap(Arc::into_std(this)) {
            Ok(inner) => Ok(inner.into_value()),
            Err(inner) => Err(Arc { inner }),
        }
    }

    /// Returns the value if this is the only strong reference, else drops this reference.
    pub fn into_inner(this: Arc<T>) -> Option<T> {
        std::sync::Arc::into_inner(Arc::into_std(this)).map(Inner::into_value)
    }

    /// Consumes the `Arc`, returning a pointer to the value; the reference lives on in it until
    /// [`Arc::from_raw`] takes it back (as std's `Arc::into_raw`).
    pub fn into_raw(this: Arc<T>) -> *const T {
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so its one field is moved out once.
        let inner = unsafe { std::ptr::read(&this.inner) };
        let inner = std::sync::Arc::into_raw(inner);
        // SAFETY: `inner` points to a live `Inner<T>`, which the reference keeps alive.
        unsafe { &raw const (*inner).value }
    }

    /// Takes back the reference that [`Arc::into_raw`] turned into `ptr` (as std's
    /// `Arc::from_raw`).
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Arc::into_raw`] of an `Arc<T>` of this type, and each pointer is taken
    /// back at most once, as std's `Arc::from_raw` requires.
    pub unsafe fn from_raw(ptr: *const T) -> Arc<T> {
        // `Inner` is `repr(C)`: the value lies `offset_of!` bytes into it.
        let offset = std::mem::offset_of!(Inner<T>, value);
        // SAFETY: the caller's contract: `ptr` points `offset` bytes into an `Inner<T>` that
        // `std::sync::Arc::into_raw` gave out.
        let inner = unsafe { std::sync::Arc::from_raw(ptr.byte_sub(offset).cast::<Inner<T>>()) };
        Arc { inner }
    }

    /// Adds a strong reference to the `Arc` that `ptr` came from (as std's).
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Arc::into_raw`], and that reference is still alive.
    pub unsafe fn increment_strong_count(ptr: *const T) {
        // SAFETY: the caller's contract; the `ManuallyDrop`s leave that reference as it was and
        // the new one behind.
        let this = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(ptr) });
        let _added = std::mem::ManuallyDrop::new(Arc::clone(&this));
    }

    /// Drops one strong reference to the `Arc` that `ptr` came from (as std's).
    ///
    /// # Safety
    ///
    /// `ptr` came from [`Arc::into_raw`], and the reference dropped here is still alive.
    pub unsafe fn decrement_strong_count(ptr: *const T) {
        // SAFETY: the caller's contract.
        drop(unsafe { Arc::from_raw(ptr) });
    }

    /// The std `Arc` inside, as this reference's drop would leave it.
    fn into_std(this: Arc<T>) -> std::sync::Arc<Inner<T>> {
        Header::give_up(&this.inner);
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so its one field is moved out once.
        unsafe { std::ptr::read(&this.inner) }
    }
}

impl<T> Inner<T> {
    fn into_value(self) -> T {
        let Inner { header, value } = self;
        drop(header);
        value
    }
}

impl<T: ?Sized> Arc<T> {
    /// The number of strong references.
    pub fn strong_count(this: &Arc<T>) -> usize {
        this.counts_read();
        std::sync::Arc::strong_count(&this.inner)
    }

    /// The number of weak references.
    pub fn weak_count(this: &Arc<T>) -> usize {
        this.counts_read();
        std::sync::Arc::weak_count(&this.inner)
    }

    /// The counts are about to be read: an operation that every other change of them is
    /// dependent on (see `rt::arc_ops`).
    fn counts_read(&self) {
        if let Some(allocation) = &self.inner.header.allocation {
            allocation.counts_read();
        }
    }

    /// Whether both point to the same allocation.
    pub fn ptr_eq(this: &Arc<T>, other: &Arc<T>) -> bool {
        std::sync::Arc::ptr_eq(&this.inner, &other.inner)
    }

    /// A pointer to the value.
    pub fn as_ptr(this: &Arc<T>) -> *const T {
        &this.inner.value
    }

    /// A mutable reference, if there are no other references (strong or weak).
    pub fn get_mut(this: &mut Arc<T>) -> Option<&mut T> {
        let inner = std::sync::Arc::get_mut(&mut this.inner)?;
        inner.header.take_over();
        Some(&mut inner.value)
    }

    /// Makes a weak reference.
    pub fn downgrade(this: &Arc<T>) -> Weak<T> {
        let allocation = this.inner.header.allocation.as_ref();
        Weak {
            inner: std::sync::Arc::downgrade(&this.inner),
            ops: allocation.and_then(Allocation::weak_ops),
        }
    }
}

impl<T: Clone> Arc<T> {
    /// A mutable reference, as std's `make_mut`: the value is cloned into a new allocation if
    /// other `Arc`s share it, moved into one (leaving the `Weak`s dangling) if only `Weak`s
    /// point to it, and used where it is if this is the only reference. What the threads that
    /// dropped their `Arc`s did happens before (as `get_mut`).
    pub fn make_mut(this: &mut Arc<T>) -> &mut T {
        if Arc::get_mut(this).is_none() && Arc::strong_count(this) == 1 {
            // Only `Weak`s besides: move the value out, unless one was upgraded meanwhile.
            // SAFETY: `this` is written back in both arms, and nothing in between unwinds
            // (`try_unwrap` and `Arc::new` do not panic), so it is never used or dropped while
            // moved out.
            let only = unsafe { ptr::read(this) };
            match Arc::try_unwrap(only) {
                Ok(value) => unsafe { ptr::write(this, Arc::new(value)) },
                Err(shared) => unsafe { ptr::write(this, shared) },
            }
        }
        if Arc::get_mut(this).is_none() {
            // Shared: clone; assigning drops (and so releases) this reference.
            *this = Arc::new((**this).clone());
        }
        Arc::get_mut(this).expect("just made unique")
    }

    /// Returns the value if this is the only reference, else a clone of it.
    pub fn unwrap_or_clone(this: Arc<T>) -> T {
        Arc::try_unwrap(this).unwrap_or_else(|arc| (*arc).clone())
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    fn clone(&self) -> Self {
        Arc {
            inner: self.inner.clone(),
        }
    }
}

impl<T: ?Sized> Deref for Arc<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner.value
    }
}

impl<T: ?Sized> AsRef<T> for Arc<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: ?Sized> Borrow<T> for Arc<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: Default> Default for Arc<T> {
    #[track_caller]
    fn default() -> Self {
        Arc::new(T::default())
    }
}

impl<T> From<T> for Arc<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        Arc::new(value)
    }
}

impl<T: ?Sized> From<Box<T>> for Arc<T> {
    /// Moves the boxed value into a new allocation, as std's: the way to an `Arc<dyn Trait>`
    /// (see [`Arc`]).
    #[track_caller]
    fn from(value: Box<T>) -> Arc<T> {
        let value_layout = Layout::for_value::<T>(&value);
        let (layout, offset) = Layout::new::<Header>()
            .extend(value_layout)
            .expect("a value that fits in memory fits with a header");
        let layout = layout.pad_to_align();
        let header = Header::new();
        // SAFETY: `layout` is not zero-sized (it holds a `Header`).
        let memory = unsafe { alloc::alloc(layout) };
        if memory.is_null() {
            alloc::handle_alloc_error(layout);
        }
        let boxed = Box::into_raw(value);
        // SAFETY: `memory` holds `layout`: a `Header` at 0 and the value's bytes at `offset`,
        // which is where `repr(C)` puts `value` in an `Inner<T>` of this value's metadata.
        // The value moves (a copy of its bytes, its box freed without dropping it), as std's
        // `From<Box<T>>` moves it.
        let inner = unsafe {
            memory.cast::<Header>().write(header);
            let to = memory.add(offset);
            ptr::copy_nonoverlapping(boxed.cast::<u8>(), to, value_layout.size());
            if value_layout.size() != 0 {
                alloc::dealloc(boxed.cast(), value_layout);
            }
            Box::from_raw(moved_to(boxed as *mut Inner<T>, memory))
        };
        Arc {
            inner: std::sync::Arc::from(inner),
        }
    }
}

/// `ptr` (to an unsized `Inner<T>`: a data address and a length or a vtable) with its data
/// address replaced by `to`, keeping its metadata.
///
/// Stable Rust cannot put a pointer to an unsized type together from parts
/// (`ptr::from_raw_parts` is unstable). Every pointer rustc makes to an unsized type keeps its
/// data address in its first word, so that word is overwritten; the result is checked, and a
/// compiler that laid pointers out otherwise would panic here rather than go on.
///
/// # Safety
///
/// `to` is valid for what `ptr`'s metadata describes.
unsafe fn moved_to<T: ?Sized>(mut ptr: *mut Inner<T>, to: *mut u8) -> *mut Inner<T> {
    // SAFETY: `ptr` is at least one word long, and the word written is a data pointer.
    unsafe { (&mut ptr as *mut *mut Inner<T>).cast::<*mut u8>().write(to) };
    assert!(
        ptr.cast::<u8>() == to,
        "a pointer to an unsized type does not start with its data address"
    );
    ptr
}

impl<T> From<Vec<T>> for Arc<[T]> {
    #[track_caller]
    fn from(values: Vec<T>) -> Arc<[T]> {
        Arc::from(values.into_boxed_slice())
    }
}

impl<T: Clone> From<&[T]> for Arc<[T]> {
    #[track_caller]
    fn from(values: &[T]) -> Arc<[T]> {
        Arc::from(values.to_vec())
    }
}

impl From<&str> for Arc<str> {
    #[track_caller]
    fn from(text: &str) -> Arc<str> {
        Arc::from(Box::<str>::from(text))
    }
}

impl From<String> for Arc<str> {
    #[track_caller]
    fn from(text: String) -> Arc<str> {
        Arc::from(text.into_boxed_str())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: ?Sized> fmt::Pointer for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&Arc::as_ptr(self), f)
    }
}

impl<T: ?Sized + PartialEq> PartialEq for Arc<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: ?Sized + Eq> Eq for Arc<T> {}

impl<T: ?Sized + PartialOrd> PartialOrd for Arc<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: ?Sized + Ord> Ord for Arc<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: ?Sized + Hash> Hash for Arc<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

/// A weak reference to an [`Arc`] allocation, as [`std::sync::Weak`].
pub struct Weak<T: ?Sized> {
    inner: std::sync::Weak<Inner<T>>,
    /// Makes each upgrade an operation of the engine (see `rt::arc_ops`).
    ops: Option<WeakOps>,
}

impl<T> Weak<T> {
    /// A weak reference to nothing; `upgrade` always returns `None`.
    pub fn new() -> Weak<T> {
        Weak {
            inner: std::sync::Weak::new(),
            ops: None,
        }
    }
}

impl<T> Default for Weak<T> {
    fn default() -> Self {
        Weak::new()
    }
}

impl<T: ?Sized> Weak<T> {
    /// A strong reference, if the value is still alive.
    pub fn upgrade(&self) -> Option<Arc<T>> {
        if let Some(ops) = &self.ops {
            ops.upgrade();
        }
        self.inner.upgrade().map(|inner| Arc { inner })
    }

    /// The number of strong references to the allocation.
    pub fn strong_count(&self) -> usize {
        if let Some(ops) = &self.ops {
            ops.counts_read();
        }
        self.inner.strong_count()
    }

    /// Whether both point to the same allocation.
    pub fn ptr_eq(&self, other: &Weak<T>) -> bool {
        self.inner.ptr_eq(&other.inner)
    }
}

impl<T: ?Sized> Clone for Weak<T> {
    fn clone(&self) -> Self {
        Weak {
            inner: self.inner.clone(),
            ops: self.ops.clone(),
        }
    }
}

impl<T: ?Sized> fmt::Debug for Weak<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(Weak)")
    }
}
