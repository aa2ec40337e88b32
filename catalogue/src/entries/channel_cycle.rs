//! # Channel cycle
//!
//! A client and a server talk over two channels, one in each direction. The server waits for a
//! request, then replies. The client waits for the server's greeting, then sends its request.
//!
//! ## The bug
//!
//! Each side waits to receive before it sends, so each waits for a message only the other can
//! send: neither ever does. No lock is involved, yet it is the same cycle as a lock-order
//! deadlock; the protocol, not the code of either side, is wrong.
//!
//! ```text
//! T1    recv on channel1 (requests)     waits for main's request
//! main  recv on channel2 (replies)      waits for T1's greeting: deadlock
//! ```
//!
//! ## The fix
//!
//! Agree on who speaks first: here the client sends its request without waiting, then receives
//! the reply. In general, make sure the "waits for a message from" graph has no cycle.
//!
//! ## In real systems
//!
//! Actors or tasks that call each other and wait for the answer, request/response over a pair
//! of bounded channels, handshake protocols where both ends wait for a hello, pipelines whose
//! last stage feeds back to the first.

use tapestry::sync::mpsc::{Receiver, Sender, channel};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "channel_cycle",
    category: Category::Deadlock,
    summary: "two threads each wait to receive from the other before sending",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("channel_cycle.rs"),
    missed_by: &[],
};

fn run(client: fn(&Sender<u32>, &Receiver<u32>) -> u32) {
    // Traces call them `channel1` and `channel2`, in creation order.
    let (request_tx, request_rx) = channel::<u32>();
    let (reply_tx, reply_rx) = channel::<u32>();
    let server = thread::spawn(move || {
        let request = request_rx.recv().unwrap();
        reply_tx.send(request + 1).unwrap();
    });
    assert_eq!(client(&request_tx, &reply_rx), 2, "wrong reply");
    server.join().unwrap();
}

/// The client waits for a greeting before sending its request.
pub fn buggy() {
    run(|requests, replies| {
        let _greeting = replies.recv().unwrap();
        requests.send(1).unwrap();
        replies.recv().unwrap()
    });
}

/// The client sends its request first, then waits for the reply.
pub fn fixed() {
    run(|requests, replies| {
        requests.send(1).unwrap();
        replies.recv().unwrap()
    });
}
