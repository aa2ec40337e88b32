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

/// What a bounded and an unbounded sender have alike: the same methods on the same channel
/// (`$sender` and its weak sender `$weak`, each holding `chan`), and the sender count kept by
/// cloning and dropping.
macro_rules! senders {
    ($sender:ident, $weak:ident) => {
        impl<T> $sender<T> {
            /// Whether the receiver closed or was dropped.
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed()
            }

            /// Waits until the receiver closes or is dropped.
            #[track_caller]
            pub fn closed(&self) -> impl std::future::Future<Output = ()> {
                crate::future::await_point(async move {
                    std::future::poll_fn(|cx| self.chan.poll_closed(cx)).await;
                })
            }

            /// Whether `other` sends on the same channel.
            pub fn same_channel(&self, other: &$sender<T>) -> bool {
                std::sync::Arc::ptr_eq(&self.chan, &other.chan)
            }

            /// A weak sender of this channel.
            pub fn downgrade(&self) -> $weak<T> {
                $weak {
                    chan: self.chan.clone(),
                }
            }

            /// The number of live senders of this channel.
            pub fn strong_count(&self) -> usize {
                self.chan.sender_count()
            }
        }

        impl<T> Clone for $sender<T> {
            fn clone(&self) -> $sender<T> {
                self.chan.add_sender();
                $sender {
                    chan: self.chan.clone(),
                }
            }
        }

        impl<T> Drop for $sender<T> {
            fn drop(&mut self) {
                self.chan.drop_sender();
            }
        }

        impl<T> $weak<T> {
            /// A sender, if one is still alive (else the channel is over for senders).
            pub fn upgrade(&self) -> Option<$sender<T>> {
                self.chan.upgrade().then(|| $sender {
                    chan: self.chan.clone(),
                })
            }
        }

        impl<T> Clone for $weak<T> {
            fn clone(&self) -> $weak<T> {
                $weak {
                    chan: self.chan.clone(),
                }
            }
        }
    };
}

/// What a bounded and an unbounded receiver have alike: the same methods on the channel
/// (`chan`) they hold.
macro_rules! receivers {
    ($receiver:ident) => {
        impl<T> $receiver<T> {
            /// Receives the next message, waiting for one; `None` once every sender is dropped
            /// (or the receiver closed) and the queue is empty.
            #[track_caller]
            pub fn recv(&mut self) -> impl std::future::Future<Output = Option<T>> {
                crate::future::await_point(async move {
                    std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
                })
            }

            /// Polls for the next message, as `recv`.
            pub fn poll_recv(
                &mut self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<T>> {
                self.chan.poll_recv(cx)
            }

            /// Receives up to `limit` messages into `buffer`, waiting for at least one;
            /// returns how many. 0 when `limit` is 0, or at the end (as `recv`'s `None`).
            #[track_caller]
            pub fn recv_many(
                &mut self,
                buffer: &mut Vec<T>,
                limit: usize,
            ) -> impl std::future::Future<Output = usize> {
                crate::future::await_point(async move {
                    std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
                })
            }

            /// Receives a message if one is queued: [`TryRecvError::Empty`] if none is yet,
            /// [`TryRecvError::Disconnected`] at the end.
            #[track_caller]
            pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
                self.chan.try_recv()
            }

            /// Receives from synchronous code, blocking the calling thread.
            #[track_caller]
            pub fn blocking_recv(&mut self) -> Option<T> {
                crate::future::block_on(self.recv())
            }

            /// Closes the channel: sends fail from now on, waiting senders fail, and the
            /// messages already queued (or sent with permits already held) are still received.
            #[track_caller]
            pub fn close(&mut self) {
                self.chan.close();
            }

            /// Whether the channel is closed (by `close`, or every sender gone).
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed() || self.chan.sender_count() == 0
            }

            /// The number of messages queued.
            pub fn len(&self) -> usize {
                self.chan.len()
            }

            /// Whether no message is queued.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }
    };
}

mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{OwnedPermit, Permit, Receiver, Sender, WeakSender, channel};
pub use unbounded::{UnboundedReceiver, UnboundedSender, WeakUnboundedSender, unbounded_channel};
