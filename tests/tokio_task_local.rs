//! `tapestry::tokio::task_local!` against tokio's: one program, written once, run on tokio and
//! on tapestry, must log the same; and under every engine two tasks that interleave inside
//! their scopes each see their own value (model threads share an OS thread: a std
//! thread-local slot would hand one task's value to the other).

use tapestry::tokio::task::yield_now as tapestry_yield;
use tapestry::{EngineKind, Explorer};
use tapestry_tests::quick;

/// What a program logs: values seen in nested scopes and across awaits, what a spawned task
/// and code outside any scope see, a sync scope, and when the value is dropped.
macro_rules! program {
    ($tokio:ident, $yield_now:path) => {{
        use std::sync::{Arc, Mutex};
        struct Logged(u32, Arc<Mutex<Vec<String>>>);
        impl Drop for Logged {
            fn drop(&mut self) {
                self.1.lock().unwrap().push(format!("drop {}", self.0));
            }
        }
        $tokio::task_local! {
            static NUMBER: u32;
            static OWNED: Logged;
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let say = |line: String| log.lock().unwrap().push(line);
        NUMBER
            .scope(1, async {
                say(format!("outer {}", NUMBER.get()));
                NUMBER
                    .scope(2, async {
                        $yield_now().await;
                        say(format!("inner {}", NUMBER.get()));
                    })
                    .await;
                say(format!("outer again {}", NUMBER.get()));
                let spawned = $tokio::spawn(async { NUMBER.try_with(|n| *n).is_err() });
                say(format!("spawned task unset {}", spawned.await.unwrap()));
            })
            .await;
        say(format!(
            "outside unset {}",
            NUMBER.try_with(|n| *n).is_err()
        ));
        say(NUMBER.sync_scope(5, || format!("sync {}", NUMBER.get())));
        OWNED
            .scope(Logged(9, log.clone()), async {
                $yield_now().await;
                say(format!("owned {}", OWNED.with(|l| l.0)));
            })
            .await;
        say("after owned".to_owned());
        let lines = log.lock().unwrap().clone();
        lines
    }};
}

#[test]
fn task_locals_behave_as_tokios() {
    let expected = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async { program!(tokio, tokio::task::yield_now) });
    let ours = tapestry::future::block_on(async {
        use tapestry::tokio;
        program!(tokio, tapestry_yield)
    });
    assert_eq!(ours, expected);
    let report = Explorer::new().engine(EngineKind::Dpor).run(move || {
        let under_dpor = tapestry::future::block_on(async {
            use tapestry::tokio;
            program!(tokio, tapestry_yield)
        });
        assert_eq!(under_dpor, expected);
    });
    assert!(report.is_clean(), "{report}");
}

tapestry::tokio::task_local! {
    static WHO: u32;
}

#[test]
fn interleaved_tasks_each_see_their_own_value_under_every_engine() {
    for engine in EngineKind::ALL {
        let report = Explorer::new().engine(quick(engine)).run(|| {
            let tasks: Vec<_> = (1..=2)
                .map(|me| {
                    tapestry::future::spawn(WHO.scope(me, async move {
                        for _ in 0..3 {
                            assert_eq!(WHO.get(), me, "a task saw another's value");
                            tapestry_yield().await;
                        }
                    }))
                })
                .collect();
            tapestry::future::block_on(async {
                for task in tasks {
                    task.await.unwrap();
                }
            });
            assert!(WHO.try_with(|_| ()).is_err());
        });
        assert!(report.is_clean(), "{engine}: {report}");
    }
}
