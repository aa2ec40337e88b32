//! What each blocked thread waits for, and who holds it: the words of a deadlock report.

use std::collections::HashMap;

use super::Labels;
use crate::rt::{BlockReason, Blocked, ObjId, Op, Recording, ThreadIdx};

/// One sentence per blocked thread, with the line it waits at, such as "T1 waits to lock `b`
/// (at src/bank.rs:12), held by T2".
pub(crate) fn describe_blocked(
    blocked: &[(ThreadIdx, Blocked)],
    recording: &Recording,
) -> Vec<String> {
    let labels = Labels::new(recording);
    let holders = holders(recording);
    blocked
        .iter()
        .map(
            |&(
                thread,
                Blocked {
                    reason,
                    target,
                    site,
                },
            )| {
                let who = labels.thread(thread);
                let at = site
                    .filter(|site| !super::is_ours(site))
                    .map_or_else(String::new, |site| {
                        format!(" (at {}:{})", site.file(), site.line())
                    });
                let object = || format!("`{}`{at}", labels.object_name(target));
                let held = || match holders.get(&target).map(Vec::as_slice) {
                    None | Some([]) => String::new(),
                    Some(threads) if threads.contains(&thread) => {
                        ", which it already holds".to_owned()
                    }
                    Some(threads) => {
                        let names: Vec<String> =
                            threads.iter().map(|&t| labels.thread(t)).collect();
                        format!(", held by {}", names.join(" and "))
                    }
                };
                match reason {
                    BlockReason::Lock => format!("{who} waits to lock {}{}", object(), held()),
                    BlockReason::Read => format!("{who} waits to read-lock {}{}", object(), held()),
                    BlockReason::Write => {
                        format!("{who} waits to write-lock {}{}", object(), held())
                    }
                    BlockReason::Worker => {
                        format!(
                            "{who} waits for a worker of the async runtime to poll it: every \
                             worker is held by a poll that cannot go on (a task blocked inside \
                             its poll, on a std lock held across `.await` or a blocking call)"
                        )
                    }
                    BlockReason::Wait => format!(
                        "{who} waits on {} for a notification that never comes",
                        object()
                    ),
                    BlockReason::Join => {
                        format!("{who} waits to join {}{at}", labels.thread(target))
                    }
                    BlockReason::Recv => format!("{who} waits to receive on {}", object()),
                    BlockReason::Send => format!("{who} waits to send on {}", object()),
                    BlockReason::Barrier => format!("{who} waits at {}", object()),
                    BlockReason::Park => {
                        format!("{who} is parked{at}, and no thread will unpark it")
                    }
                    BlockReason::Wake => format!(
                        "{who} is a task that returned `Pending`{at}, and nothing will wake it"
                    ),
                    BlockReason::AsyncLock => {
                        let holder = match target {
                            u32::MAX => "which no task will release".to_owned(),
                            holder => format!("held by {}", labels.thread(holder)),
                        };
                        format!(
                            "{who} is a task waiting{at} for a lock or semaphore of \
                             `tapestry::tokio`, {holder}"
                        )
                    }
                    BlockReason::Once => format!(
                        "{who} waits for {} to finish running in another thread",
                        object()
                    ),
                }
            },
        )
        .collect()
}

/// Which threads hold each lock at the end of the recording.
fn holders(recording: &Recording) -> HashMap<ObjId, Vec<ThreadIdx>> {
    let mut holders: HashMap<ObjId, Vec<ThreadIdx>> = HashMap::new();
    for event in &recording.events {
        let (lock, taken) = match event.op {
            Op::Lock | Op::Read | Op::Write => (event.obj, true),
            Op::TryLock { ok: true } | Op::TryRead { ok: true } | Op::TryWrite { ok: true } => {
                (event.obj, true)
            }
            Op::Woken { mutex, .. } => (mutex, true),
            Op::Unlock | Op::ReadUnlock | Op::WriteUnlock => (event.obj, false),
            Op::Wait { mutex } => (mutex, false),
            _ => continue,
        };
        let threads = holders.entry(lock).or_default();
        if taken {
            threads.push(event.thread);
        } else if let Some(i) = threads.iter().position(|&t| t == event.thread) {
            threads.remove(i);
        }
    }
    holders
}
