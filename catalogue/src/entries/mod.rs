//! The entries, one module each.

pub mod lock_order_inversion;
pub mod lost_update;
pub mod relaxed_message_passing;
pub mod unsynchronized_cell;

use crate::Entry;

/// Every entry, in catalogue order.
pub static ENTRIES: &[Entry] = &[
    lost_update::ENTRY,
    unsynchronized_cell::ENTRY,
    relaxed_message_passing::ENTRY,
    lock_order_inversion::ENTRY,
];
