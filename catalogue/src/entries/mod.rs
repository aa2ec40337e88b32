//! The entries, one module each.

pub mod aba_stack;
pub mod actor_request_cycle;
pub mod async_lock_order_inversion;
pub mod barrier_reuse;
pub mod bounded_buffer_notify_one;
pub mod channel_cycle;
pub mod check_then_act;
pub mod condvar_lost_wakeup;
pub mod dining_philosophers;
pub mod double_checked_locking;
pub mod double_lock_in_match;
pub mod future_checks_before_registering;
pub mod join_while_holding_lock;
pub mod lazy_init_race;
pub mod lease_lock_expiry;
pub mod lease_timeout_takeover;
pub mod lock_order_inversion;
pub mod lost_update;
pub mod notify_waiters_too_early;
pub mod optimistic_update_without_version;
pub mod peterson_lock;
pub mod polite_livelock;
pub mod priority_inversion;
pub mod receiver_moved_after_pending;
pub mod relaxed_message_passing;
pub mod relaxed_spinlock;
pub mod retry_without_idempotency;
pub mod rwlock_upgrade;
pub mod select_drops_half_done_work;
pub mod semaphore_permit_leak;
pub mod spurious_wakeup;
pub mod std_lock_across_await;
pub mod store_buffering;
pub mod thread_pool_shutdown;
pub mod timeout_retry_duplicates;
pub mod two_critical_sections;
pub mod unsynchronized_cell;
pub mod wrong_lock;

use crate::Entry;

/// Every entry, in catalogue order.
pub static ENTRIES: &[Entry] = &[
    lost_update::ENTRY,
    check_then_act::ENTRY,
    lazy_init_race::ENTRY,
    unsynchronized_cell::ENTRY,
    two_critical_sections::ENTRY,
    wrong_lock::ENTRY,
    relaxed_message_passing::ENTRY,
    store_buffering::ENTRY,
    peterson_lock::ENTRY,
    double_checked_locking::ENTRY,
    relaxed_spinlock::ENTRY,
    lock_order_inversion::ENTRY,
    double_lock_in_match::ENTRY,
    condvar_lost_wakeup::ENTRY,
    spurious_wakeup::ENTRY,
    channel_cycle::ENTRY,
    rwlock_upgrade::ENTRY,
    dining_philosophers::ENTRY,
    join_while_holding_lock::ENTRY,
    bounded_buffer_notify_one::ENTRY,
    polite_livelock::ENTRY,
    priority_inversion::ENTRY,
    semaphore_permit_leak::ENTRY,
    thread_pool_shutdown::ENTRY,
    actor_request_cycle::ENTRY,
    optimistic_update_without_version::ENTRY,
    lease_lock_expiry::ENTRY,
    lease_timeout_takeover::ENTRY,
    retry_without_idempotency::ENTRY,
    aba_stack::ENTRY,
    barrier_reuse::ENTRY,
    future_checks_before_registering::ENTRY,
    select_drops_half_done_work::ENTRY,
    timeout_retry_duplicates::ENTRY,
    std_lock_across_await::ENTRY,
    notify_waiters_too_early::ENTRY,
    receiver_moved_after_pending::ENTRY,
    async_lock_order_inversion::ENTRY,
];
