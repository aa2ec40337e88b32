//! A crash, a hang or a misuse fails its own test and no other: this binary's `fixtures` are
//! tests that crash, hang and pass (ignored, so that a plain run skips them), and
//! `fixtures_fail_alone` runs them as a user's `cargo test` would, in a process of their own,
//! and checks what libtest reports for each.

use std::collections::BTreeMap;
use std::process::Command;

/// Tests that crash, hang, misuse tapestry or pass; run by `fixtures_fail_alone` only.
mod fixtures {
    use std::hint::black_box;

    use tapestry::sync::atomic::{AtomicUsize, Ordering};
    use tapestry::sync::{Arc, Mutex};
    use tapestry::thread;

    #[inline(never)]
    fn recurse_forever(depth: u64) -> u64 {
        let mut frame = [0u8; 256];
        black_box(&mut frame);
        if depth == u64::MAX {
            return 0;
        }
        recurse_forever(depth + 1) + u64::from(frame[depth as usize % 256])
    }

    /// A tight loop that never reaches a facade operation.
    fn spin() -> ! {
        loop {
            black_box(0);
        }
    }

    #[tapestry::test]
    #[ignore]
    fn passes_first() {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        thread::spawn(move || m.fetch_add(1, Ordering::SeqCst))
            .join()
            .unwrap();
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }

    #[tapestry::test]
    #[ignore]
    fn overflows_in_the_body() {
        recurse_forever(0);
    }

    #[tapestry::test(engines = "dpor")]
    #[ignore]
    fn overflows_in_a_spawned_thread() {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        let t = thread::spawn(move || {
            m.fetch_add(1, Ordering::SeqCst);
            recurse_forever(0)
        });
        n.fetch_add(1, Ordering::SeqCst);
        t.join().unwrap();
    }

    #[tapestry::test(engines = "stress")]
    #[ignore]
    fn overflows_on_a_real_thread() {
        recurse_forever(0);
    }

    #[tapestry::test(engines = "pct")]
    #[ignore]
    fn segfaults() {
        let n = AtomicUsize::new(0);
        n.fetch_add(1, Ordering::SeqCst);
        // SAFETY: none: the fault is the point.
        unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
    }

    #[tapestry::test]
    #[ignore]
    #[should_panic(expected = "stack overflow")]
    fn overflows_as_it_should() {
        recurse_forever(0);
    }

    #[tapestry::test]
    #[ignore]
    fn spins_in_the_body() {
        let n = AtomicUsize::new(0);
        n.fetch_add(1, Ordering::SeqCst);
        spin();
    }

    #[tapestry::test(engines = "random")]
    #[ignore]
    fn spins_in_a_spawned_thread() {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        let t = thread::Builder::new()
            .name("spinner".to_owned())
            .spawn(move || {
                m.fetch_add(1, Ordering::SeqCst);
                spin()
            })
            .unwrap();
        t.join().unwrap();
    }

    #[tapestry::test(engines = "surw")]
    #[ignore]
    fn spins_on_a_std_atomic() {
        let ready = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let r = ready.clone();
        let t = thread::spawn(move || r.store(true, std::sync::atomic::Ordering::SeqCst));
        // Nothing lets the model thread that sets it run.
        while !ready.load(std::sync::atomic::Ordering::SeqCst) {}
        t.join().unwrap();
    }

    #[tapestry::test(engines = "exhaustive")]
    #[ignore]
    fn std_mutexes_in_opposite_orders() {
        let a = std::sync::Arc::new(std::sync::Mutex::new(()));
        let b = std::sync::Arc::new(std::sync::Mutex::new(()));
        let step = Arc::new(AtomicUsize::new(0));
        let (a2, b2, step2) = (a.clone(), b.clone(), step.clone());
        let t = thread::spawn(move || {
            let _b = b2.lock().unwrap();
            step2.fetch_add(1, Ordering::SeqCst);
            let _a = a2.lock().unwrap();
        });
        {
            let _a = a.lock().unwrap();
            step.fetch_add(1, Ordering::SeqCst);
            let _b = b.lock().unwrap();
        }
        t.join().unwrap();
    }

    /// tokio style: a std lock's short section calls `notify_one` of the tokio face, where the
    /// engine switches to the task, which then waits for the std lock.
    #[tapestry::test(engines = "exhaustive")]
    #[ignore]
    async fn notifies_inside_a_std_lock() {
        let queue = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let ready = std::sync::Arc::new(tapestry::tokio::sync::Notify::new());
        let (q, r) = (queue.clone(), ready.clone());
        let consumer = tapestry::tokio::spawn(async move {
            loop {
                if q.lock().unwrap().pop().is_some() {
                    return;
                }
                r.notified().await;
            }
        });
        {
            let mut queue = queue.lock().unwrap();
            queue.push(1);
            ready.notify_one();
        }
        consumer.await.unwrap();
    }

    /// A failure after a sleep, under the stress engine: its report says timers are real there.
    #[tapestry::test(engines = "stress")]
    #[ignore]
    async fn fails_after_a_sleep_under_stress() {
        tapestry::tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        panic!("woke too late");
    }

    #[tapestry::test(engines = "stress")]
    #[ignore]
    fn spins_on_a_real_thread() {
        let n = AtomicUsize::new(0);
        n.fetch_add(1, Ordering::SeqCst);
        spin();
    }

    #[tapestry::test(engines = "random")]
    #[ignore]
    fn uses_std_threads() {
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        std::thread::spawn(move || m.fetch_add(1, Ordering::SeqCst))
            .join()
            .unwrap();
    }

    #[tapestry::test(engines = "random")]
    #[ignore]
    fn loses_an_update() {
        let total = Arc::new(Mutex::new(0));
        let n = Arc::new(AtomicUsize::new(0));
        let m = n.clone();
        let t = thread::spawn(move || m.store(m.load(Ordering::SeqCst) + 1, Ordering::SeqCst));
        n.store(n.load(Ordering::SeqCst) + 1, Ordering::SeqCst);
        t.join().unwrap();
        *total.lock().unwrap() = n.load(Ordering::SeqCst);
        assert_eq!(n.load(Ordering::SeqCst), 2, "an update was lost");
    }

    #[tapestry::test]
    #[ignore]
    fn passes_last() {
        let n = AtomicUsize::new(0);
        n.fetch_add(1, Ordering::SeqCst);
    }

    /// A thread that asks for 64 KiB and puts 512 KiB on it, after another thread's 2 MiB
    /// stack went back to the pool: it overflows, as under std (it ran on that free 2 MiB
    /// stack and passed before).
    #[tapestry::test(engines = "dpor")]
    #[ignore]
    fn overflows_the_stack_it_asked_for() {
        thread::spawn(|| ()).join().unwrap();
        thread::Builder::new()
            .stack_size(64 << 10)
            .spawn(|| {
                std::hint::black_box(&mut [0u8; 512 << 10]);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}

/// What libtest must report for a fixture.
enum Expect {
    Pass,
    /// Fails, and its output holds every phrase.
    Fail(&'static [&'static str]),
}
use Expect::*;

const HINT: &str = "spinning on plain memory";
/// What a hang's report says of a thread asleep in the kernel (a std lock).
const BLOCKED: &str = "it is blocked in the kernel, waiting on a lock";

const FIXTURES: &[(&str, Expect)] = &[
    ("passes_first", Pass),
    (
        "overflows_in_the_body",
        Fail(&[
            "tapestry found a stack overflow",
            "thread `main` overflowed its stack",
            "of the exhaustive engine",
        ]),
    ),
    (
        "overflows_in_a_spawned_thread",
        Fail(&[
            "tapestry found a stack overflow",
            "thread `T1` overflowed its stack",
            "of the dpor engine",
            "tests/isolation.rs:",
        ]),
    ),
    (
        "overflows_the_stack_it_asked_for",
        Fail(&[
            "tapestry found a stack overflow",
            "thread `T2` overflowed its stack",
            "of the dpor engine",
        ]),
    ),
    (
        "overflows_on_a_real_thread",
        Fail(&["tapestry found a stack overflow", "of the stress engine"]),
    ),
    (
        "segfaults",
        Fail(&["tapestry found a crash", "SIGSEGV", "of the pct engine"]),
    ),
    ("overflows_as_it_should", Pass),
    (
        "spins_in_the_body",
        Fail(&[
            "tapestry found a hang",
            "thread `main` reached no tapestry operation",
            "of the exhaustive engine",
            HINT,
        ]),
    ),
    (
        "spins_in_a_spawned_thread",
        Fail(&[
            "tapestry found a hang",
            "thread `spinner` reached no tapestry operation",
            "of the random engine",
            HINT,
        ]),
    ),
    (
        "spins_on_a_std_atomic",
        Fail(&["tapestry found a hang", "of the surw engine", HINT]),
    ),
    (
        "std_mutexes_in_opposite_orders",
        Fail(&[
            "tapestry found a hang",
            "of the exhaustive engine",
            BLOCKED,
            // The thread holding the lock the stuck one waits for, switched away from inside
            // its critical section (after the spawn, before its `fetch_add`).
            "The other threads were last seen (their last tapestry operation done) at: `main` \
             at tests/isolation.rs:127:",
        ]),
    ),
    (
        "notifies_inside_a_std_lock",
        Fail(&[
            "tapestry found a hang",
            "thread `task-1` reached no tapestry operation",
            BLOCKED,
            // The body, switched away from at its `notify_one` inside the std lock (loom
            // switches before an operation: the last one done is the spawn).
            "The other threads were last seen (their last tapestry operation done) at: `main` \
             at tests/isolation.rs:148:",
        ]),
    ),
    (
        "fails_after_a_sleep_under_stress",
        Fail(&[
            "tapestry found a panic",
            "woke too late",
            "Its tasks waited on timers, which run on the real clock under the stress engine",
        ]),
    ),
    (
        "spins_on_a_real_thread",
        Fail(&["tapestry found a hang", "by the stress engine", HINT]),
    ),
    (
        "uses_std_threads",
        Fail(&[
            "tapestry found a misuse",
            "on a thread tapestry did not start",
            "`tapestry::thread::spawn`",
        ]),
    ),
    (
        "loses_an_update",
        Fail(&["tapestry found a panic", "an update was lost", "saved in"]),
    ),
    ("passes_last", Pass),
];

#[test]
fn fixtures_fail_alone() {
    let schedules = std::env::temp_dir().join(format!("tapestry-isolation-{}", std::process::id()));
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "fixtures::", "--test-threads=2"])
        .env("TAPESTRY_WATCHDOG", "1s")
        .env("TAPESTRY_STRESS_TIME", "200ms")
        .env("TAPESTRY_SCHEDULE_DIR", &schedules)
        .env_remove("TAPESTRY_ISOLATE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verdicts = verdicts(&stdout);
    let sections = sections(&stdout);
    let mut wrong = Vec::new();
    for (name, expect) in FIXTURES {
        let full = format!("fixtures::{name}");
        let verdict = verdicts.get(full.as_str()).copied();
        let said = sections.get(full.as_str()).map_or("", String::as_str);
        match (expect, verdict) {
            (Pass, Some("ok")) => {}
            (Fail(phrases), Some("FAILED")) => {
                for phrase in *phrases {
                    if !said.contains(phrase) {
                        wrong.push(format!("{name}: no `{phrase}` in:\n{said}"));
                    }
                }
            }
            (_, verdict) => wrong.push(format!("{name}: {verdict:?}\n{said}")),
        }
    }
    let saved = schedules.join("isolation/fixtures/loses_an_update.schedule");
    if !saved.exists() {
        wrong.push(format!(
            "the child saved no schedule at {}",
            saved.display()
        ));
    }
    let _ = std::fs::remove_dir_all(&schedules);
    assert!(
        wrong.is_empty(),
        "{}\n\nthe whole output:\n{stdout}\n{}",
        wrong.join("\n\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(verdicts.len(), FIXTURES.len(), "{stdout}");
}

/// A passing test's output says what ran, engine by engine, where libtest shows a passing
/// test's output: with `--show-output` (or `--nocapture`), from the child process too.
#[test]
fn a_passing_test_shows_what_each_engine_ran_with_show_output() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "fixtures::passes_first",
            "--show-output",
        ])
        .env("TAPESTRY_STRESS_TIME", "100ms")
        .env_remove("TAPESTRY_ISOLATE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        verdicts(&stdout).get("fixtures::passes_first"),
        Some(&"ok"),
        "{stdout}"
    );
    let said = sections(&stdout)
        .remove("fixtures::passes_first")
        .unwrap_or_default();
    assert!(
        said.contains("`isolation::fixtures::passes_first` passed"),
        "{stdout}"
    );
    for engine in tapestry::EngineKind::ALL {
        let row = said
            .lines()
            .find(|line| line.split_whitespace().next() == Some(engine.name()));
        assert!(
            row.is_some_and(|row| row.contains("passed")),
            "no row for {engine} in:\n{said}"
        );
    }
}

/// libtest's verdict of each test: `test <name> ... ok|FAILED`.
fn verdicts(stdout: &str) -> BTreeMap<&str, &str> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("test ")?.split_once(" ... "))
        .map(|(name, verdict)| (name.trim_end_matches(" - should panic"), verdict))
        .filter(|(_, verdict)| matches!(*verdict, "ok" | "FAILED"))
        .collect()
}

/// What libtest printed for each failed test: its `---- <name> stdout ----` section.
fn sections(stdout: &str) -> BTreeMap<&str, String> {
    let mut sections = BTreeMap::new();
    let mut current: Option<(&str, String)> = None;
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            sections.extend(current.take());
            current = Some((name, String::new()));
        } else if line == "failures:" || line.starts_with("test result:") {
            sections.extend(current.take());
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    sections.extend(current);
    sections
}
