//! Channels: std's, with the explore facade's named constructors.

use std::borrow::Cow;

pub use std::sync::mpsc::{
    IntoIter, Iter, Receiver, RecvError, RecvTimeoutError, SendError, Sender, SyncSender, TryIter,
    TryRecvError, TrySendError, channel, sync_channel,
};

/// [`channel`]; the name is for traces, which this build has none of.
#[inline]
pub fn named_channel<T>(name: impl Into<Cow<'static, str>>) -> (Sender<T>, Receiver<T>) {
    drop(name);
    channel()
}

/// [`sync_channel`]; the name is for traces, which this build has none of.
#[inline]
pub fn named_sync_channel<T>(
    name: impl Into<Cow<'static, str>>,
    bound: usize,
) -> (SyncSender<T>, Receiver<T>) {
    drop(name);
    sync_channel(bound)
}
