//! Splitting a seeded engine's schedules: across machines (shards) and across worker threads
//! of one machine (jobs).
//!
//! Schedule number `g` (counting from 1) of seed `s` always draws from the generator seeded
//! by `execution_seed(s, g)`, whoever runs it. Shard `i` of `n` runs the numbers `i + 1`,
//! `i + 1 + n`, `i + 1 + 2n`, ...; within a shard, job `j` of `J` takes every `J`-th of the
//! shard's numbers, starting with its `j`-th. So shards and jobs never repeat a schedule, `n`
//! shards with a budget of `N` schedules each run exactly the `nN` schedules of one unsharded
//! run with budget `nN`, and a failure is reported with its schedule number, which means the
//! same on every machine.

use std::fmt;
use std::str::FromStr;

/// One machine's slice of the schedules, `index/count` as in `TAPESTRY_SHARD=0/4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Everything: shard `0/1`.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`; `None` unless `index < count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (index < count).then_some(Shard { index, count })
    }

    /// Which shard this is, from 0.
    pub fn index(self) -> u64 {
        self.index
    }

    /// How many shards there are.
    pub fn count(self) -> u64 {
        self.count
    }
}

impl Default for Shard {
    fn default() -> Self {
        Shard::ALL
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Why a shard could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseShardError {
    input: String,
}

impl fmt::Display for ParseShardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a shard: expected `i/n` with 0 <= i < n, such as `0/2` and `1/2` for two machines",
            self.input
        )
    }
}

impl std::error::Error for ParseShardError {}

impl FromStr for Shard {
    type Err = ParseShardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseShardError {
            input: s.to_owned(),
        };
        let (index, count) = s.trim().split_once('/').ok_or_else(error)?;
        let number = |n: &str| n.trim().parse::<u64>().map_err(|_| error());
        Shard::new(number(index)?, number(count)?).ok_or_else(error)
    }
}

/// The schedule numbers one worker runs: job `job` of `jobs` within `shard`, out of a budget of
/// `total` schedules per shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slice {
    pub shard: Shard,
    pub job: u64,
    pub jobs: u64,
    pub total: u64,
}

impl Slice {
    /// How many schedules this worker runs.
    pub(crate) fn len(&self) -> u64 {
        (self.total + self.jobs - 1 - self.job) / self.jobs
    }

    /// The schedule number (from 1) of this worker's `nth` schedule (from 1).
    pub(crate) fn number(&self, nth: u64) -> u64 {
        let in_shard = self.job + self.jobs * (nth - 1);
        1 + self.shard.index + self.shard.count * in_shard
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn numbers(slice: Slice) -> Vec<u64> {
        (1..=slice.len()).map(|nth| slice.number(nth)).collect()
    }

    fn slice(shard: Shard, job: u64, jobs: u64, total: u64) -> Slice {
        Slice {
            shard,
            job,
            jobs,
            total,
        }
    }

    #[test]
    fn shards_and_jobs_split_the_numbers_of_one_unsharded_run() {
        for total in [0, 1, 2, 7, 100] {
            for count in 1..=4 {
                for jobs in 1..=3 {
                    let mut seen = Vec::new();
                    for index in 0..count {
                        let shard = Shard::new(index, count).unwrap();
                        for job in 0..jobs {
                            seen.extend(numbers(slice(shard, job, jobs, total)));
                        }
                    }
                    let distinct: BTreeSet<u64> = seen.iter().copied().collect();
                    assert_eq!(distinct.len(), seen.len(), "no number runs twice");
                    let whole: BTreeSet<u64> = numbers(slice(Shard::ALL, 0, 1, total * count))
                        .into_iter()
                        .collect();
                    assert_eq!(
                        distinct, whole,
                        "{count} shards x {jobs} jobs, {total} each"
                    );
                }
            }
        }
        assert_eq!(numbers(slice(Shard::ALL, 0, 1, 3)), [1, 2, 3]);
    }

    #[test]
    fn shards_parse_and_print_as_index_over_count() {
        let shard: Shard = " 1/3 ".parse().unwrap();
        assert_eq!(
            (shard.index(), shard.count(), shard.to_string()),
            (1, 3, "1/3".into())
        );
        for bad in ["3/3", "1", "a/2", "1/0", "-1/2", ""] {
            let error = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(error.contains("expected `i/n`"), "{bad}: {error}");
        }
    }
}
