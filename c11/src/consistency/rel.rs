//! A relation over a graph's events as a bit matrix: the consistency check's building block.

/// A relation over `n` events, as rows of bits, all in one buffer.
#[derive(Clone)]
pub(super) struct Rel {
    pub(super) n: usize,
    /// Words per row.
    pub(super) words: usize,
    pub(super) bits: Vec<u64>,
}

impl Rel {
    pub(super) fn new(n: usize) -> Rel {
        let words = n.div_ceil(64).max(1);
        Rel {
            n,
            words,
            bits: vec![0; n * words],
        }
    }

    pub(super) fn row(&self, a: usize) -> &[u64] {
        &self.bits[a * self.words..(a + 1) * self.words]
    }

    pub(super) fn add(&mut self, a: usize, b: usize) {
        self.bits[a * self.words + b / 64] |= 1 << (b % 64);
    }

    /// Adds `(a, b)` for every `b` in `to`.
    pub(super) fn add_range(&mut self, a: usize, to: std::ops::Range<usize>) {
        let row = a * self.words;
        let mut b = to.start;
        while b < to.end {
            let (word, bit) = (b / 64, b % 64);
            let span = (64 - bit).min(to.end - b);
            let mask = if span == 64 {
                u64::MAX
            } else {
                ((1u64 << span) - 1) << bit
            };
            self.bits[row + word] |= mask;
            b += span;
        }
    }

    pub(super) fn has(&self, a: usize, b: usize) -> bool {
        self.bits[a * self.words + b / 64] & (1 << (b % 64)) != 0
    }

    pub(super) fn successors(&self, a: usize) -> impl Iterator<Item = usize> + '_ {
        self.row(a).iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    w * 64 + b
                })
            })
        })
    }

    pub(super) fn union(&mut self, other: &Rel) {
        for (w, o) in self.bits.iter_mut().zip(&other.bits) {
            *w |= o;
        }
    }

    /// `self; other`.
    pub(super) fn then(&self, other: &Rel) -> Rel {
        self.then_on(other, |_| true)
    }

    /// The rows of `self; other` for which `keep` holds (the others empty).
    pub(super) fn then_on(&self, other: &Rel, keep: impl Fn(usize) -> bool) -> Rel {
        let mut out = Rel::new(self.n);
        for a in (0..self.n).filter(|&a| keep(a)) {
            let start = a * self.words;
            for b in self.successors(a) {
                for (w, o) in out.bits[start..start + self.words]
                    .iter_mut()
                    .zip(other.row(b))
                {
                    *w |= o;
                }
            }
        }
        out
    }

    /// The transitive closure (Warshall, a row at a time).
    pub(super) fn closure(&self) -> Rel {
        let mut out = self.clone();
        for k in 0..out.n {
            for a in 0..out.n {
                if out.has(a, k) {
                    out.or_row(a, k);
                }
            }
        }
        out
    }

    /// Adds row `from`'s pairs to row `to`: `(to, c)` for every `(from, c)`.
    pub(super) fn or_row(&mut self, to: usize, from: usize) {
        let words = self.words;
        let or = |dst: &mut [u64], src: &[u64]| {
            for (d, s) in dst.iter_mut().zip(src) {
                *d |= s;
            }
        };
        if from < to {
            let (low, high) = self.bits.split_at_mut(to * words);
            or(&mut high[..words], &low[from * words..(from + 1) * words]);
        } else if to < from {
            let (low, high) = self.bits.split_at_mut(from * words);
            or(&mut low[to * words..(to + 1) * words], &high[..words]);
        }
    }

    /// The inverse relation.
    pub(super) fn transpose(&self) -> Rel {
        let mut out = Rel::new(self.n);
        for a in 0..self.n {
            for b in self.successors(a) {
                out.add(b, a);
            }
        }
        out
    }

    /// Whether it has no cycle.
    pub(super) fn acyclic(&self) -> bool {
        let edges: Vec<(usize, usize)> = (0..self.n)
            .flat_map(|a| self.successors(a).map(move |b| (a, b)))
            .collect();
        super::acyclic(self.n, &edges)
    }

    /// Pairs `(a, b)` of `self` for which `keep` holds.
    pub(super) fn filter(&self, keep: impl Fn(usize, usize) -> bool) -> Rel {
        let mut out = Rel::new(self.n);
        for a in 0..self.n {
            for b in self.successors(a) {
                if keep(a, b) {
                    out.add(a, b);
                }
            }
        }
        out
    }

    pub(super) fn identity_on(n: usize, keep: impl Fn(usize) -> bool) -> Rel {
        let mut out = Rel::new(n);
        for a in (0..n).filter(|&a| keep(a)) {
            out.add(a, a);
        }
        out
    }

    /// `self ∪ id`.
    pub(super) fn reflexive(&self) -> Rel {
        let mut out = self.clone();
        for a in 0..out.n {
            out.add(a, a);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Rel;

    #[test]
    fn paths_across_words_and_cycles() {
        let mut r = Rel::new(70);
        r.add(0, 65);
        r.add(65, 3);
        assert!(r.then(&r).has(0, 3));
        assert!(r.transpose().has(3, 65));
        assert!(r.acyclic());
        r.add(3, 0);
        assert!(!r.acyclic());
    }
}
