//! Histories: the calls threads made on an object, each invoked and (perhaps) returned, in the
//! order those events happened.

use std::fmt;

/// One call of a history.
#[derive(Clone, Debug, PartialEq)]
pub struct Call<Op, Ret> {
    /// The thread that made it.
    pub thread: usize,
    /// The operation.
    pub op: Op,
    /// What it returned, if it returned.
    pub ret: Option<Ret>,
    /// When it was invoked: its place among the history's events.
    pub invoked: u64,
    /// When it returned, if it did.
    pub returned: Option<u64>,
}

impl<Op, Ret> Call<Op, Ret> {
    /// Whether this call returned before `other` was invoked: every linearization orders it
    /// first.
    pub fn precedes(&self, other: &Call<Op, Ret>) -> bool {
        self.returned.is_some_and(|r| r < other.invoked)
    }
}

/// A call of a [`History`], by the order it was invoked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallId(pub usize);

/// The calls made on one object, built event by event: [`invoke`](Self::invoke) when a call
/// starts, [`returns`](Self::returns) when it ends. A call that never returns (its thread was
/// still inside it at the end) may take effect or not.
#[derive(Clone, PartialEq)]
pub struct History<Op, Ret> {
    calls: Vec<Call<Op, Ret>>,
    events: u64,
    real_time: bool,
}

impl<Op, Ret> Default for History<Op, Ret> {
    fn default() -> Self {
        History {
            calls: Vec::new(),
            events: 0,
            real_time: true,
        }
    }
}

impl<Op, Ret> History<Op, Ret> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Thread `thread` invokes `op`, now.
    pub fn invoke(&mut self, thread: usize, op: Op) -> CallId {
        self.calls.push(Call {
            thread,
            op,
            ret: None,
            invoked: self.events,
            returned: None,
        });
        self.events += 1;
        CallId(self.calls.len() - 1)
    }

    /// Call `call` returns `ret`, now.
    ///
    /// # Panics
    /// If `call` has returned already.
    pub fn returns(&mut self, call: CallId, ret: Ret) {
        let call = &mut self.calls[call.0];
        assert!(call.returned.is_none(), "a call returns once");
        call.ret = Some(ret);
        call.returned = Some(self.events);
        self.events += 1;
    }

    /// Adds `call`, made elsewhere with the times it has there (a part of another history,
    /// whose events keep their order): calls must come in the order they were invoked.
    pub(crate) fn push_call(&mut self, call: Call<Op, Ret>) {
        debug_assert!(
            self.calls
                .last()
                .is_none_or(|last| last.invoked < call.invoked)
        );
        self.events = self.events.max(call.returned.unwrap_or(call.invoked) + 1);
        self.calls.push(call);
    }

    /// Orders calls by their threads alone, not by real time: a thread's calls in its order,
    /// and thread 0's calls made before another thread's first call, or after another's
    /// last, before or after that thread's (thread 0 starts the others and joins them). For
    /// weak memory, where a call that returned before another began need not be seen by it
    /// unless something synchronised them: the order of events a model checker schedules is
    /// then no order of time.
    pub fn without_real_time(mut self) -> Self {
        self.real_time = false;
        self
    }

    /// Whether a call that returned before another was invoked takes effect first (the
    /// default; see [`without_real_time`](Self::without_real_time)).
    pub fn real_time(&self) -> bool {
        self.real_time
    }

    /// Whether call `a` must take effect before call `b` in every linearization.
    pub fn orders(&self, a: CallId, b: CallId) -> bool {
        let (a, b) = (&self.calls[a.0], &self.calls[b.0]);
        if self.real_time || a.thread == b.thread || a.thread == 0 || b.thread == 0 {
            a.precedes(b)
        } else {
            false
        }
    }

    /// Whether call `call` may take effect next once the calls `placed` says have: no call
    /// still to place must precede it ([`orders`](Self::orders)).
    pub fn may_come_next(&self, call: CallId, placed: impl Fn(CallId) -> bool) -> bool {
        (0..self.calls.len())
            .map(CallId)
            .all(|other| placed(other) || !self.orders(other, call))
    }

    /// The calls, in the order they were invoked.
    pub fn calls(&self) -> &[Call<Op, Ret>] {
        &self.calls
    }

    /// The number of calls.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no call was made.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }
}

impl<Op: fmt::Debug, Ret: fmt::Debug> fmt::Debug for History<Op, Ret> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for call in &self.calls {
            list.entry(&format_args!(
                "T{} {:?} -> {:?} [{}, {}]",
                call.thread,
                call.op,
                call.ret,
                call.invoked,
                call.returned
                    .map_or_else(|| "pending".to_owned(), |r| r.to_string())
            ));
        }
        list.finish()
    }
}
