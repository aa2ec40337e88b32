//! Multi-producer, single-consumer channels (`tokio::sync::mpsc`): a bounded [`channel`],
//! whose senders wait for room, and an [`unbounded_channel`].
//!
//! As tokio's: bounded senders waiting for room are served in the order they began to wait,
//! and a send future dropped while it waits gives up its place without taking room from the
//! others; when every sender is dropped the receiver gets the queued messages, then `None`;
//! when the receiver closes, sends fail and the queued messages are still received.
//!
//! Built on one facade mutex per channel (`chan`), so every engine explores each send, receive
//! and drop, and std wakers wake the waiting tasks.

mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{Permit, Receiver, Sender, WeakSender, channel};
pub use unbounded::{UnboundedReceiver, UnboundedSender, WeakUnboundedSender, unbounded_channel};
