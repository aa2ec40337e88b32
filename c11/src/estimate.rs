//! How many executions a complete exploration would run, estimated from random paths of its
//! tree (Knuth, "Estimating the efficiency of backtrack programs", 1975; GenMC's estimation
//! mode does the same for its exploration).
//!
//! A path starts at the empty graph and, at every event the exploration would branch on (the
//! write a read reads from, a write's place in coherence order, whether a write revisits an
//! earlier read), takes one branch uniformly at random, multiplying the path's weight by the
//! number of branches. The weight of a path that reaches a complete execution, and zero for
//! one that ends blocked, is an unbiased estimate of the number of complete executions; the
//! mean over many paths converges to it, and their spread gives the error bar. Since the
//! exploration reaches each execution by exactly one path, nothing is counted twice.

use std::fmt;

/// The paths sampled so far, and the one under way.
#[derive(Debug)]
pub(crate) struct Sampler {
    rng: u64,
    weight: f64,
    /// The path took a backward revisit: the run stops and the next one goes on along the
    /// path, on the revisited graph.
    pub(crate) restart: bool,
    samples: Vec<f64>,
}

/// An estimate of the number of complete executions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The mean weight of the paths.
    pub executions: f64,
    /// The standard error of that mean.
    pub std_error: f64,
    /// How many paths it is drawn from.
    pub paths: usize,
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = if self.executions >= 100.0 { 0 } else { 1 };
        write!(
            f,
            "about {:.*} executions (± {:.*}, from {} random paths)",
            digits, self.executions, digits, self.std_error, self.paths
        )
    }
}

impl Sampler {
    pub(crate) fn new(seed: u64) -> Sampler {
        Sampler {
            rng: seed,
            weight: 1.0,
            restart: false,
            samples: Vec::new(),
        }
    }

    /// One of `options` branches, uniformly at random (SplitMix64).
    pub(crate) fn pick(&mut self, options: usize) -> usize {
        self.weight *= options as f64;
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z % options as u64) as usize
    }

    /// The path ends, at a complete execution or not.
    pub(crate) fn end_path(&mut self, complete: bool) {
        self.samples.push(if complete { self.weight } else { 0.0 });
        self.weight = 1.0;
    }

    pub(crate) fn estimate(&self) -> Option<Estimate> {
        let n = self.samples.len();
        if n == 0 {
            return None;
        }
        let mean = self.samples.iter().sum::<f64>() / n as f64;
        let variance = if n > 1 {
            self.samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Some(Estimate {
            executions: mean,
            std_error: (variance / n as f64).sqrt(),
            paths: n,
        })
    }
}
