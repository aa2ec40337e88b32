//! Data choices of the exhaustive searches (`Backend::choose`: which ready branch of a
//! `select!` wins), which are not races between threads: a search (the DPOR engine's, loom's)
//! gives each choice a value fixed for a whole round, and the engine runs a round for every
//! combination of values the choices met can take.
//!
//! A choice is named by its thread and its number among that thread's choices, the same in
//! every interleaving. A combination varies only the choices after the last one it gives a
//! value to: a choice is met, with the values of the choices before it, in some execution of
//! the round that gives them (the one that would make it), so each combination is searched
//! once.

use std::collections::BTreeMap;

/// A choice: its thread, and its number among the thread's choices.
pub(crate) type Choice = (usize, u32);

/// Values given to choices; a choice not here is 0.
pub(crate) type Given = BTreeMap<Choice, usize>;

/// The choices of a round.
#[derive(Debug, Default)]
pub(crate) struct Choices {
    /// The values given: a choice not here is 0.
    pub given: Given,
    /// Every choice met in the round, with its number of values.
    pub met: Given,
    /// How many choices each thread has made in the current execution.
    made: Vec<u32>,
    /// The value of the choice being made, which a scheduler's draw returns (so that a
    /// schedule records it and replays it).
    drawn: Option<u64>,
}

impl Choices {
    /// Thread `t` makes its next choice, among `n` values; returns the round's value for it.
    pub(crate) fn choose(&mut self, t: usize, n: usize) -> usize {
        if self.made.len() <= t {
            self.made.resize(t + 1, 0);
        }
        let choice = (t, self.made[t]);
        self.made[t] += 1;
        let most = self.met.entry(choice).or_default();
        *most = (*most).max(n);
        let value = self.given.get(&choice).copied().unwrap_or(0);
        self.drawn = Some(value as u64);
        value
    }

    /// The value of the choice being made (0 if none is).
    pub(crate) fn draw(&mut self) -> u64 {
        self.drawn.take().unwrap_or(0)
    }

    /// A new execution of the round starts: its threads have made no choice yet.
    pub(crate) fn new_execution(&mut self) {
        self.made.clear();
        self.drawn = None;
    }
}

/// The values `given`, as a replay names them: (thread, its choice number, value).
pub(crate) fn public(given: &Given) -> Vec<(u32, u32, u32)> {
    given
        .iter()
        .map(|(&(thread, nth), &value)| (thread as u32, nth, value as u32))
        .collect()
}

/// Values named as a replay names them ([`public`]).
pub(crate) fn given(choices: &[(u32, u32, u32)]) -> Given {
    choices
        .iter()
        .map(|&(thread, nth, value)| ((thread as usize, nth), value as usize))
        .collect()
}

/// The combinations to search after the round that gave `given` and met `met`.
pub(crate) fn next_rounds(given: &Given, met: &Given) -> Vec<Given> {
    let last = given.keys().next_back().copied();
    let mut more = Vec::new();
    for (&choice, &values) in met {
        if last.is_none_or(|last| choice > last) {
            for value in 1..values {
                let mut next = given.clone();
                next.insert(choice, value);
                more.push(next);
            }
        }
    }
    more
}
