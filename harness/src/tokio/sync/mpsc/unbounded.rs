//! The unbounded channel's handles: [`UnboundedSender`], [`UnboundedReceiver`],
//! [`WeakUnboundedSender`].

use std::fmt;
use std::sync::Arc;

use super::chan::Chan;
use super::error::{SendError, TryRecvError};

/// Creates a channel with no bound: a send never waits.
#[track_caller]
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(None));
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver { chan },
    )
}

/// An unbounded channel's sending half; clone it for more senders.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// An unbounded channel's receiving half. Dropping it closes the channel and drops the
/// queued messages.
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T>>,
}

/// An unbounded sender that does not keep the channel open.
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value` without waiting; returns it back as `Err` if the receiver closed or was
    /// dropped.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push_unbounded(value).map_err(SendError)
    }
}

senders!(UnboundedSender, WeakUnboundedSender);

receivers!(UnboundedReceiver);

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.drop_receiver();
    }
}

macro_rules! opaque_debug {
    ($($name:ident),*) => {$(
        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}

opaque_debug!(UnboundedSender, UnboundedReceiver, WeakUnboundedSender);
