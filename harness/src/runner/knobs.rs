//! Run-time knobs: `TAPESTRY_*` environment variables, read when a test runs.
//!
//! A setting written in the test's attribute wins over the environment, which wins over the
//! default; `TAPESTRY_BUDGET` then scales every budget, whichever set it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::engine::{EngineKind, Shard};

/// A knob: its variable, what its value must look like, and where it goes.
struct Knob {
    var: &'static str,
    expected: &'static str,
    set: fn(&mut Knobs, &str) -> Result<(), ()>,
}

const KNOBS: &[Knob] = &[
    Knob {
        var: "TAPESTRY_ENGINES",
        expected: "engine names separated by commas, from: exhaustive, dpor, random, pct, surw, priority, stress, c11",
        set: |k, v| {
            k.engines = Some(parse_engines(v).map_err(drop)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_SCHEDULES",
        expected: "a whole number of schedules, like 1000",
        set: |k, v| {
            k.schedules = Some(whole(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_SEED",
        expected: "a whole number, like 42",
        set: |k, v| {
            k.seed = Some(whole(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_PREEMPTION_BOUND",
        expected: "a whole number of preemptions, like 2, or `none` for no bound",
        set: |k, v| {
            k.preemption_bound = Some(bound(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_PCT_DEPTH",
        expected: "a whole number of at least 1, like 3",
        set: |k, v| {
            k.pct_depth = Some(positive(v)? as usize);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_INVERSION_BOUND",
        expected: "a whole number of steps, like 20",
        set: |k, v| {
            k.inversion_bound = Some(whole(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_STRESS_ITERATIONS",
        expected: "a whole number of iterations, like 10000",
        set: |k, v| {
            k.stress_iterations = Some(whole(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_STRESS_TIME",
        expected: "a duration like 500ms, 2s or 1m",
        set: |k, v| {
            k.stress_time = Some(parse_duration(v).map_err(drop)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_MAX_STEPS",
        expected: "a whole number of at least 1, like 20000",
        set: |k, v| {
            k.max_steps = Some(positive(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_JOBS",
        expected: "a whole number of worker threads of at least 1, like 2",
        set: |k, v| {
            k.jobs = Some(positive(v)? as usize);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_SHARD",
        expected: "`i/n` with 0 <= i < n: this machine's share of the schedules, like 0/2",
        set: |k, v| {
            k.shard = Some(v.parse().map_err(drop)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_TRACING",
        expected: "1 to record every operation while exploring (the default) or 0 to trace only failures, by replaying them",
        set: |k, v| {
            k.tracing = flag(v)?;
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_LOCK_ORDER",
        expected: "1 to predict deadlocks from lock orders (the default) or 0 to report only deadlocks an engine runs into",
        set: |k, v| {
            k.lock_order = Some(flag(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_BUDGET",
        expected: "a positive number that scales every budget, like 0.5 or 10",
        set: |k, v| {
            k.budget = scale(v)?;
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_REPLAY",
        expected: "the path of a .schedule file",
        set: |k, v| {
            k.replay = Some(path(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_SCHEDULE_DIR",
        expected: "a directory path",
        set: |k, v| {
            k.schedule_dir = Some(path(v)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_SVG",
        expected: "1 to draw a saved schedule's failure as a swimlane diagram beside it (`<schedule>.svg`) or 0 not to (the default)",
        set: |k, v| {
            k.svg = flag(v)?;
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_ISOLATE",
        expected: "1 to run each test in a child process, so that a crash fails that test alone (the default), or 0 to run it in the test's own process",
        set: |k, v| {
            k.isolate = flag(v)?;
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_WATCHDOG",
        expected: "a duration like 500ms, 10s or 1m after which a thread that reaches no tapestry operation hangs, or `off`",
        set: |k, v| {
            k.watchdog = Some(match v {
                "off" | "none" => None,
                _ => Some(parse_duration(v).map_err(drop)?).filter(|d| !d.is_zero()),
            });
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_PARALLELISM",
        expected: "a whole number of at least 1, like 8: what `thread::available_parallelism` says inside explorations",
        set: |k, v| {
            k.parallelism = Some(positive(v)? as usize);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_TIMEOUTS",
        expected: "`early` for timeouts that may fire at any await point of the work they guard (the default) or `when_idle` for timeouts that fire only when nothing else can run, as sleeps",
        set: |k, v| {
            k.timeouts = Some(v.parse().map_err(drop)?);
            Ok(())
        },
    },
    Knob {
        var: "TAPESTRY_SAVE",
        expected: "1 to save failing schedules (the default) or 0 not to",
        set: |k, v| {
            k.save = flag(v)?;
            Ok(())
        },
    },
];

/// The knobs as the environment sets them.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Knobs {
    pub engines: Option<Vec<EngineKind>>,
    pub schedules: Option<u64>,
    pub seed: Option<u64>,
    pub preemption_bound: Option<Option<usize>>,
    pub pct_depth: Option<usize>,
    pub inversion_bound: Option<u64>,
    pub stress_iterations: Option<u64>,
    pub stress_time: Option<Duration>,
    pub max_steps: Option<u64>,
    pub jobs: Option<usize>,
    pub shard: Option<Shard>,
    pub tracing: bool,
    /// `None` when not set: the attribute decides, else the default (on).
    pub lock_order: Option<bool>,
    pub budget: f64,
    pub replay: Option<PathBuf>,
    pub schedule_dir: Option<PathBuf>,
    pub save: bool,
    pub svg: bool,
    /// Run each test in a child process (`runner::isolate`).
    pub isolate: bool,
    /// `None` when not set; `Some(None)`: no watchdog.
    pub watchdog: Option<Option<Duration>>,
    /// What `thread::available_parallelism` says inside explorations; `None`: the default.
    pub parallelism: Option<usize>,
    /// When timeouts may fire; `None`: the attribute decides, else the default.
    pub timeouts: Option<crate::kinds::Timeouts>,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            engines: None,
            schedules: None,
            seed: None,
            preemption_bound: None,
            pct_depth: None,
            inversion_bound: None,
            stress_iterations: None,
            stress_time: None,
            max_steps: None,
            jobs: None,
            shard: None,
            tracing: true,
            lock_order: None,
            budget: 1.0,
            replay: None,
            schedule_dir: None,
            save: true,
            svg: false,
            isolate: true,
            watchdog: None,
            parallelism: None,
            timeouts: None,
        }
    }
}

/// `TAPESTRY_*` variables that another of tapestry's crates reads (and checks): tapestry-loom's
/// engines and statistics for `loom::model`.
const READ_ELSEWHERE: &[&str] = &["TAPESTRY_LOOM_ENGINES", "TAPESTRY_LOOM_STATS"];

/// A knob with a value it cannot take, or a `TAPESTRY_*` variable that is no knob (a misspelt
/// knob is a mistake: the setting the user meant would silently not apply).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KnobError {
    Invalid {
        var: String,
        value: String,
        expected: &'static str,
    },
    Unknown {
        var: String,
    },
}

impl fmt::Display for KnobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnobError::Invalid {
                var,
                value,
                expected,
            } => write!(f, "{var}={value:?} is not valid: expected {expected}"),
            KnobError::Unknown { var } => {
                let nearest = KNOBS
                    .iter()
                    .map(|k| k.var)
                    .min_by_key(|k| distance(k, var))
                    .unwrap_or_default();
                write!(f, "{var} is not a tapestry setting")?;
                if distance(nearest, var) <= 3 {
                    write!(f, " (did you mean {nearest}?)")?;
                }
                let known: Vec<&str> = KNOBS.iter().map(|k| k.var).collect();
                write!(f, "; unset it or use one of: {}", known.join(", "))
            }
        }
    }
}

impl Knobs {
    /// Reads the knobs from `vars` (name, value), ignoring variables that are not `TAPESTRY_*`.
    pub(crate) fn from_vars<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Knobs, KnobError> {
        let mut knobs = Knobs::default();
        for (var, value) in vars {
            if !var.starts_with("TAPESTRY_") || READ_ELSEWHERE.contains(&var) {
                continue;
            }
            match KNOBS.iter().find(|k| k.var == var) {
                Some(knob) => {
                    (knob.set)(&mut knobs, value.trim()).map_err(|()| KnobError::Invalid {
                        var: var.to_owned(),
                        value: value.to_owned(),
                        expected: knob.expected,
                    })?
                }
                None => {
                    return Err(KnobError::Unknown {
                        var: var.to_owned(),
                    });
                }
            }
        }
        Ok(knobs)
    }

    /// Reads the knobs from the process environment.
    pub(crate) fn from_env() -> Result<Knobs, KnobError> {
        let vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().unwrap_or_default())))
            .collect();
        Knobs::from_vars(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

fn whole(value: &str) -> Result<u64, ()> {
    value.replace('_', "").parse().map_err(drop)
}

fn positive(value: &str) -> Result<u64, ()> {
    whole(value).and_then(|n| if n >= 1 { Ok(n) } else { Err(()) })
}

fn bound(value: &str) -> Result<Option<usize>, ()> {
    match value {
        "none" | "unbounded" => Ok(None),
        _ => Ok(Some(whole(value)? as usize)),
    }
}

fn scale(value: &str) -> Result<f64, ()> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(()),
    }
}

fn path(value: &str) -> Result<PathBuf, ()> {
    if value.is_empty() {
        Err(())
    } else {
        Ok(PathBuf::from(value))
    }
}

fn flag(value: &str) -> Result<bool, ()> {
    match value {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(()),
    }
}

/// Parses a comma-separated list of engine names.
pub(crate) fn parse_engines(text: &str) -> Result<Vec<EngineKind>, String> {
    let engines = text
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| EngineKind::from_str(name).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    if engines.is_empty() {
        Err("no engine named".to_owned())
    } else {
        Ok(engines)
    }
}

/// Parses a duration such as `250ms`, `2s`, `1.5s` or `1m`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" => number,
        "m" | "min" => number * 60.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`; use ms, s or m"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is not a duration"))
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bad values: the variable, the value, and words the message must contain.
    const BAD: &[(&str, &str, &str)] = &[
        ("TAPESTRY_SCHEDULES", "ten", "a whole number of schedules"),
        ("TAPESTRY_SCHEDULES", "-5", "a whole number of schedules"),
        ("TAPESTRY_SEED", "0x1f", "a whole number"),
        (
            "TAPESTRY_ENGINES",
            "exhaustive, fuzz",
            "from: exhaustive, dpor, random, pct, surw, priority, stress, c11",
        ),
        ("TAPESTRY_ENGINES", " , ", "engine names"),
        ("TAPESTRY_PREEMPTION_BOUND", "two", "or `none`"),
        ("TAPESTRY_PCT_DEPTH", "0", "at least 1"),
        (
            "TAPESTRY_STRESS_TIME",
            "2 hours",
            "a duration like 500ms, 2s or 1m",
        ),
        ("TAPESTRY_STRESS_TIME", "fast", "a duration"),
        ("TAPESTRY_BUDGET", "-1", "a positive number"),
        ("TAPESTRY_BUDGET", "NaN", "a positive number"),
        ("TAPESTRY_MAX_STEPS", "0", "at least 1"),
        ("TAPESTRY_SAVE", "maybe", "1 to save"),
        ("TAPESTRY_REPLAY", "", "the path of a .schedule file"),
        ("TAPESTRY_JOBS", "0", "at least 1"),
        (
            "TAPESTRY_ISOLATE",
            "maybe",
            "1 to run each test in a child process",
        ),
        ("TAPESTRY_WATCHDOG", "soon", "a duration like 500ms"),
        ("TAPESTRY_PARALLELISM", "0", "at least 1"),
        ("TAPESTRY_PARALLELISM", "many", "available_parallelism"),
        ("TAPESTRY_SHARD", "2/2", "`i/n` with 0 <= i < n"),
        ("TAPESTRY_SHARD", "1", "`i/n` with 0 <= i < n"),
        ("TAPESTRY_TRACING", "off", "0 to trace only failures"),
        (
            "TAPESTRY_LOCK_ORDER",
            "off",
            "0 to report only deadlocks an engine runs into",
        ),
        (
            "TAPESTRY_SVG",
            "pretty",
            "1 to draw a saved schedule's failure",
        ),
    ];

    #[test]
    fn each_bad_value_is_named_with_its_expected_form() {
        for &(var, value, expected) in BAD {
            let error = Knobs::from_vars([(var, value)]).expect_err(var);
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("{var}={value:?} is not valid: expected")),
                "{message}"
            );
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn good_values_are_read() {
        let knobs = Knobs::from_vars([
            ("TAPESTRY_ENGINES", "pct, exhaustive"),
            ("TAPESTRY_SCHEDULES", "10_000"),
            ("TAPESTRY_PREEMPTION_BOUND", "none"),
            ("TAPESTRY_STRESS_TIME", "1.5s"),
            ("TAPESTRY_BUDGET", "0.5"),
            ("TAPESTRY_SAVE", "0"),
            ("TAPESTRY_JOBS", "2"),
            ("TAPESTRY_SHARD", "1/3"),
            ("TAPESTRY_TRACING", "0"),
            ("TAPESTRY_SVG", "1"),
            ("TAPESTRY_LOCK_ORDER", "0"),
            ("TAPESTRY_ISOLATE", "0"),
            ("TAPESTRY_WATCHDOG", "2s"),
            ("TAPESTRY_PARALLELISM", "8"),
            ("PATH", "/bin"),
        ])
        .unwrap();
        assert!(!knobs.isolate && Knobs::default().isolate);
        assert_eq!(
            (knobs.parallelism, Knobs::default().parallelism),
            (Some(8), None)
        );
        assert_eq!(knobs.watchdog, Some(Some(Duration::from_secs(2))));
        assert_eq!(
            Knobs::from_vars([("TAPESTRY_WATCHDOG", "off")])
                .unwrap()
                .watchdog,
            Some(None)
        );
        assert_eq!(knobs.lock_order, Some(false));
        assert_eq!(Knobs::default().lock_order, None);
        assert_eq!(
            (knobs.jobs, knobs.shard, knobs.tracing),
            (Some(2), Shard::new(1, 3), false)
        );
        assert_eq!(
            knobs.engines,
            Some(vec![EngineKind::Pct, EngineKind::Exhaustive])
        );
        assert_eq!(knobs.schedules, Some(10_000));
        assert_eq!(knobs.preemption_bound, Some(None));
        assert_eq!(knobs.stress_time, Some(Duration::from_millis(1500)));
        assert_eq!(knobs.budget, 0.5);
        assert!(!knobs.save);
        assert!(knobs.svg);
        assert!(!Knobs::default().svg);
    }

    #[test]
    fn an_unknown_knob_is_an_error_with_a_suggestion() {
        let misspelt = Knobs::from_vars([("TAPESTRY_SCHEDULS", "5")]).unwrap_err();
        let message = misspelt.to_string();
        assert!(
            message.contains(
                "TAPESTRY_SCHEDULS is not a tapestry setting (did you mean TAPESTRY_SCHEDULES?)"
            ),
            "{message}"
        );
        let far = Knobs::from_vars([("TAPESTRY_COLOR", "1")])
            .unwrap_err()
            .to_string();
        assert!(!far.contains("did you mean"), "{far}");
        assert!(far.contains("TAPESTRY_SEED"), "{far}");
    }

    #[test]
    fn durations() {
        for (text, ms) in [("250ms", 250), ("2s", 2000), ("1.5s", 1500), ("1m", 60_000)] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
    }
}
