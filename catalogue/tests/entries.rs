//! Every entry keeps its promises: the engines it names find the bug, with the right kind,
//! within their default budgets; the fix passes every engine (exhaustive with preemption bound
//! 2, random and PCT with 1,000 schedules, stress with 100,000 iterations or 1 s); and the
//! minimal failing interleaving is snapshotted. `TAPESTRY_BUDGET=10` scales the budgets (what
//! `cargo xtask soak` runs).

use tapestry::{EngineKind, FailureKind, Report};
use tapestry_catalogue::hunt::Settings;
use tapestry_catalogue::{ENTRIES, Entry};

/// Entries not written yet say so in their summary; their tests pass vacuously, and
/// `every_entry_is_written` fails until none is left.
const NOT_WRITTEN: &str = "TODO";

fn entry(name: &str) -> Option<&'static Entry> {
    let entry = ENTRIES
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry `{name}`"));
    (entry.summary != NOT_WRITTEN).then_some(entry)
}

/// The catalogue's budgets (shared with `tapestry hunt`), scaled by `TAPESTRY_BUDGET`.
fn settings() -> Settings {
    let budget = std::env::var("TAPESTRY_BUDGET")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(1.0);
    Settings {
        budget,
        ..Settings::default()
    }
}

fn explore(program: fn(), kind: EngineKind) -> Report {
    settings().explorer(kind).run(program)
}

fn buggy_is_found(name: &str) {
    let Some(entry) = entry(name) else { return };
    for &kind in entry.found_by {
        let report = match kind {
            // The stress engine's budget is time (1 s): on a loaded machine it runs a tenth of
            // its usual iterations. Ten times the time keeps the iterations it needs, and it
            // stops at the bug.
            EngineKind::Stress => {
                let settings = Settings {
                    budget: settings().budget * 10.0,
                    ..settings()
                };
                settings.explorer(kind).run(entry.buggy)
            }
            _ => explore(entry.buggy, kind),
        };
        let failure = report
            .failure()
            .unwrap_or_else(|| panic!("{kind} missed `{name}`:\n{report}"));
        assert!(
            entry.is_its_bug(kind, failure.kind()),
            "{kind} on `{name}` found a {}, not its {}:\n{failure}",
            failure.kind(),
            entry.kind
        );
    }
}

fn fixed_passes(name: &str) {
    let Some(entry) = entry(name) else { return };
    // The opt-in c11 engine too, on the entries that claim it.
    let c11 = entry.found_by.contains(&EngineKind::C11);
    for kind in EngineKind::ALL
        .into_iter()
        .chain(c11.then_some(EngineKind::C11))
    {
        let report = explore(entry.fixed, kind);
        assert!(
            report.is_clean(),
            "the fix of `{name}` fails under {kind}:\n{report}\n{}",
            report
                .failure()
                .map(ToString::to_string)
                .unwrap_or_default()
        );
    }
}

/// The interleaving `tapestry show` shows.
fn minimal_interleaving(name: &str) -> Option<String> {
    Some(entry(name)?.minimal_failure()?.trace().to_string())
}

macro_rules! catalogue_tests {
    ($($name:ident),* $(,)?) => {
        const TESTED: &[&str] = &[$(stringify!($name)),*];
        $(
            mod $name {
                #[test]
                fn buggy_is_found() {
                    super::buggy_is_found(stringify!($name));
                }

                #[test]
                fn fixed_passes() {
                    super::fixed_passes(stringify!($name));
                }

                #[test]
                fn minimal_interleaving() {
                    if let Some(trace) = super::minimal_interleaving(stringify!($name)) {
                        insta::assert_snapshot!(stringify!($name), trace);
                    }
                }
            }
        )*
    };
}

catalogue_tests!(
    lost_update,
    check_then_act,
    lazy_init_race,
    unsynchronized_cell,
    two_critical_sections,
    wrong_lock,
    relaxed_message_passing,
    store_buffering,
    peterson_lock,
    double_checked_locking,
    relaxed_spinlock,
    lock_order_inversion,
    double_lock_in_match,
    condvar_lost_wakeup,
    spurious_wakeup,
    channel_cycle,
    rwlock_upgrade,
    dining_philosophers,
    join_while_holding_lock,
    bounded_buffer_notify_one,
    polite_livelock,
    priority_inversion,
    semaphore_permit_leak,
    thread_pool_shutdown,
    actor_request_cycle,
    optimistic_update_without_version,
    lease_lock_expiry,
    lease_timeout_takeover,
    retry_without_idempotency,
    aba_stack,
    barrier_reuse,
    future_checks_before_registering,
    select_drops_half_done_work,
    timeout_retry_duplicates,
    std_lock_across_await,
    notify_waiters_too_early,
    receiver_moved_after_pending,
    async_lock_order_inversion,
);

#[test]
fn every_entry_is_tested_once() {
    let mut names: Vec<&str> = ENTRIES.iter().map(|e| e.name).collect();
    names.sort_unstable();
    let mut tested = TESTED.to_vec();
    tested.sort_unstable();
    assert_eq!(names, tested);
}

#[test]
fn every_entry_is_written() {
    let todo: Vec<&str> = ENTRIES
        .iter()
        .filter(|e| e.summary == NOT_WRITTEN)
        .map(|e| e.name)
        .collect();
    assert!(todo.is_empty(), "entries not written yet: {todo:?}");
}

#[test]
fn every_engine_either_finds_an_entry_or_says_why_not() {
    for entry in ENTRIES.iter().filter(|e| e.summary != NOT_WRITTEN) {
        for kind in EngineKind::ALL {
            let finds = entry.found_by.contains(&kind);
            let misses: Vec<&str> = entry
                .missed_by
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, why)| *why)
                .collect();
            assert!(
                finds == misses.is_empty(),
                "`{}`: {kind} must be in exactly one of found_by and missed_by",
                entry.name
            );
            assert!(
                misses.iter().all(|why| why.len() > 20),
                "`{}`: say why {kind} misses it",
                entry.name
            );
        }
        assert!(
            !entry.found_by.is_empty(),
            "`{}`: no engine finds it",
            entry.name
        );
        assert_ne!(
            entry.kind,
            FailureKind::Misuse,
            "`{}`: a bug, not a misuse",
            entry.name
        );
    }
}

#[test]
fn every_lesson_teaches_the_bug_the_interleaving_the_fix_and_where_it_shows_up() {
    for entry in ENTRIES.iter().filter(|e| e.summary != NOT_WRITTEN) {
        let lesson = entry.lesson();
        for section in [
            "# ",
            "## The bug",
            "```text",
            "## The fix",
            "## In real systems",
        ] {
            assert!(
                lesson.contains(section),
                "the lesson of `{}` lacks `{section}`:\n{lesson}",
                entry.name
            );
        }
        assert!(
            entry.function("buggy").is_some() && entry.function("fixed").is_some(),
            "`{}`",
            entry.name
        );
        assert!(
            !entry.code().contains("pub const ENTRY"),
            "`{}`",
            entry.name
        );
    }
}

/// A deadlock entry's cycle may be predicted before it deadlocks only on real threads.
#[test]
fn only_the_stress_engine_may_predict_a_deadlock_entry() {
    let entry = entry("dining_philosophers").expect("the entry");
    assert!(entry.is_its_bug(EngineKind::Stress, FailureKind::PotentialDeadlock));
    assert!(entry.is_its_bug(EngineKind::Dpor, FailureKind::Deadlock));
    assert!(!entry.is_its_bug(EngineKind::Dpor, FailureKind::PotentialDeadlock));
    assert!(!entry.is_its_bug(EngineKind::Stress, FailureKind::Panic));
}
