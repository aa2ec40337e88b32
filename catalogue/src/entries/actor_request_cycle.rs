//! # Actors asking each other
//!
//! Two actors, threads that handle the messages of their inbox one at a time, each own a
//! number. A client asks each of them for the sum of both numbers. To answer, an actor asks its
//! peer for the peer's number: it sends a request to the peer's inbox and waits for the reply.
//!
//! ## The bug
//!
//! While an actor waits for its peer's reply, it handles no other message. If both actors start
//! on the client's request before either has seen the other's, each waits for a reply that the
//! other would send only after it stopped waiting itself: a deadlock, with nothing locked.
//! When one actor's request reaches the other before the client's does, it is answered first
//! and the program ends normally.
//!
//! ```text
//! actor_a  recv: sum from the client
//! actor_b  recv: sum from the client
//! actor_a  send "add 0" to actor_b, recv the reply      waits for actor_b
//! actor_b  send "add 0" to actor_a, recv the reply      waits for actor_a: deadlock
//! ```
//!
//! ## The fix
//!
//! Never block an actor on a request to another actor. Here the actor hands the request on: it
//! sends the peer its own number with the client's reply channel, and the peer adds its number
//! and answers the client. (Alternatively, the reply comes back as an ordinary message in the
//! inbox, and the actor keeps handling other messages meanwhile.)
//!
//! ## In real systems
//!
//! Synchronous `ask` or `call` between actors (Akka's `Await.result` on an `ask`, Erlang
//! `gen_server:call`s in a cycle), microservices calling each other synchronously with
//! bounded worker pools, and COM or GUI threads making blocking cross-thread calls.

use tapestry::sync::mpsc::{Receiver, Sender, channel};
use tapestry::{EngineKind, FailureKind, thread};

use crate::{Category, Entry};

/// The catalogue entry.
pub const ENTRY: Entry = Entry {
    name: "actor_request_cycle",
    category: Category::Deadlock,
    summary: "two actors each block on a request to the other while handling a request",
    kind: FailureKind::Deadlock,
    buggy,
    fixed,
    found_by: &EngineKind::ALL,
    source: include_str!("actor_request_cycle.rs"),
    missed_by: &[],
};

enum Message {
    /// From a client: reply with this actor's number plus its peer's.
    Sum {
        reply: Sender<u64>,
    },
    /// From the peer: reply with `amount` plus this actor's number.
    Add {
        amount: u64,
        reply: Sender<u64>,
    },
    Stop,
}

/// Answers a `Sum` request, given the actor's number and its peer's inbox.
type SumHandler = fn(u64, &Sender<Message>, Sender<u64>);

fn actor(number: u64, inbox: Receiver<Message>, peer: Sender<Message>, sum: SumHandler) {
    loop {
        match inbox.recv().unwrap() {
            Message::Sum { reply } => sum(number, &peer, reply),
            Message::Add { amount, reply } => reply.send(amount + number).unwrap(),
            Message::Stop => return,
        }
    }
}

fn run(sum: SumHandler) {
    let (to_a, inbox_a) = channel();
    let (to_b, inbox_b) = channel();
    let spawn_actor = |name: &str, number, inbox, peer| {
        thread::Builder::new()
            .name(name.into())
            .spawn(move || actor(number, inbox, peer, sum))
            .unwrap()
    };
    let actor_a = spawn_actor("actor_a", 1, inbox_a, to_b.clone());
    let actor_b = spawn_actor("actor_b", 2, inbox_b, to_a.clone());
    let (reply, replies) = channel();
    for to_actor in [&to_a, &to_b] {
        let reply = reply.clone();
        to_actor.send(Message::Sum { reply }).unwrap();
    }
    for _ in 0..2 {
        assert_eq!(replies.recv().unwrap(), 3, "an actor answered a wrong sum");
    }
    to_a.send(Message::Stop).unwrap();
    to_b.send(Message::Stop).unwrap();
    actor_a.join().unwrap();
    actor_b.join().unwrap();
}

/// Asks the peer for its number and waits for the reply.
pub fn buggy() {
    run(|number, peer, reply| {
        let (ask, answer) = channel();
        peer.send(Message::Add {
            amount: 0,
            reply: ask,
        })
        .unwrap();
        let theirs = answer.recv().unwrap();
        reply.send(number + theirs).unwrap();
    });
}

/// Hands the request on to the peer, which answers the client.
pub fn fixed() {
    run(|number, peer, reply| {
        peer.send(Message::Add {
            amount: number,
            reply,
        })
        .unwrap();
    });
}
