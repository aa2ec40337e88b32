//! The `tapestry` binary, run as a user runs it.

use std::process::Command;

fn tapestry(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tapestry"))
        .args(args)
        .output()
        .expect("the binary runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (
        output.status.code().unwrap_or(-1),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn list_names_every_entry_with_its_kind_and_engines() {
    let (code, out, _) = tapestry(&["list"]);
    assert_eq!(code, 0);
    for entry in tapestry_catalogue::ENTRIES {
        assert!(out.contains(entry.name), "{out}");
    }
    assert!(
        out.lines().any(|l| l.starts_with("lost_update")
            && l.contains("exhaustive, dpor, random, pct, surw, priority, stress")),
        "{out}"
    );
}

#[test]
fn show_teaches_the_lesson_the_code_and_the_interleaving() {
    let (code, out, err) = tapestry(&["show", "lock_order_inversion"]);
    assert_eq!(code, 0, "{err}");
    for part in [
        "# Lock-order inversion",
        "## The code",
        "fn run(",
        "## Buggy and fixed",
        "-pub fn buggy()",
        "+pub fn fixed()",
    ] {
        assert!(out.contains(part), "missing `{part}`:\n{out}");
    }
    assert!(
        out.contains("## The minimal failing interleaving (dpor engine, 1 preemption)"),
        "{out}"
    );
    assert!(out.contains("T1 waits to lock `b`, held by main"), "{out}");
    assert!(
        !err.contains("SHUTTLE_CAPTURE_BACKTRACE"),
        "engine noise reaches the terminal:\n{err}"
    );
}

#[test]
fn hunt_prints_the_matrix_in_every_format() {
    let (code, out, err) = tapestry(&["hunt", "lost_update", "--engine", "exhaustive,pct"]);
    assert_eq!(code, 0, "{err}");
    let buggy = out
        .lines()
        .find(|l| l.starts_with("lost_update"))
        .expect("a row");
    assert!(
        buggy.contains("buggy") && buggy.matches("panic #").count() == 2,
        "{out}"
    );
    assert!(out.contains("clean 1000x"), "{out}");
    assert!(
        out.contains("4 runs: 2 bugs found as claimed, 0 missed"),
        "{out}"
    );
    assert!(
        err.contains("lost_update buggy pct: panic #"),
        "piped progress is one line per run:\n{err}"
    );

    let (code, out, _) = tapestry(&[
        "hunt",
        "lost_update",
        "--engine",
        "pct",
        "--format",
        "markdown",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("| entry | program | pct |\n|---|---|---|\n"),
        "{out}"
    );

    let (code, out, _) = tapestry(&["hunt", "lost_update", "--engine", "pct", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(r#""verdict": "found""#) && out.contains(r#""verdict": "clean""#),
        "{out}"
    );
}

#[test]
fn hunt_saves_schedules_that_replay_prints() {
    let dir = std::env::temp_dir().join(format!("tapestry-cli-{}", std::process::id()));
    let (code, _, err) = tapestry(&[
        "hunt",
        "lock_order_inversion",
        "--engine",
        "random",
        "--save",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let file = dir.join("lock_order_inversion.schedule");
    let (code, out, err) = tapestry(&["replay", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "== catalogue::lock_order_inversion::buggy (random engine, deadlock: schedule "
        ),
        "{out}"
    );
    assert!(out.contains("main waits to lock `a`, held by T1"), "{out}");
}

#[test]
fn mistakes_get_clear_errors_and_a_failing_exit() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["show", "lost_updte"],
            "no entry `lost_updte`; did you mean `lost_update`?",
        ),
        (
            &["hunt"],
            "name the entries to hunt (see `tapestry list`), or pass --all",
        ),
        (
            &["hunt", "lost_update", "--engine", "fuzz"],
            "unknown engine `fuzz`; expected one of: exhaustive, dpor, random, pct, surw, priority, stress",
        ),
        (
            &["hunt", "lost_update", "--budget", "0"],
            "--budget must be a positive number",
        ),
        (
            &["hunt", "lost_update", "--jobs", "0"],
            "0 is not in 1..=64",
        ),
        (
            &["replay", "/nonexistent.schedule"],
            "no such file, or no schedules in it",
        ),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
    ];
    for (args, message) in cases {
        let (code, _, err) = tapestry(args);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

/// A directory of its own for one test, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tapestry-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn report_writes_the_matrix_and_a_page_per_entry_with_its_diagram() {
    let scratch = Scratch::new("report");
    let (code, json, err) = tapestry(&[
        "hunt",
        "lost_update",
        "--engine",
        "exhaustive,pct",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(scratch.path("hunt.json"), json).unwrap();
    let site = scratch.path("site");
    let (code, out, err) = tapestry(&[
        "report",
        "lost_update",
        "--matrix",
        &scratch.path("hunt.json"),
        "--out",
        &site,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote 2 pages"), "{out}");
    let index = std::fs::read_to_string(scratch.path("site/index.html")).unwrap();
    assert!(
        index.contains(r#"<a href="lost_update.html">lost_<wbr/>update</a>"#),
        "{index}"
    );
    assert!(
        index.contains(r#"<td class="found"><span class="v">panic #"#),
        "{index}"
    );
    assert!(index.contains("2 bugs found as claimed"), "{index}");
    let page = std::fs::read_to_string(scratch.path("site/lost_update.html")).unwrap();
    for part in [
        "<h1>Lost update</h1>",
        "<h2>The bug</h2>",
        "<h2 id=\"interleaving\">The minimal failing interleaving</h2>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"tapestry-trace\"",
        "class=\"tp-step tp-failing\"",
        // The buggy and the fixed program, as a diff.
        "<span class=\"del\">-     let n = counter.load(Ordering::SeqCst);</span>",
        "<span class=\"add\">+     counter.fetch_add(1, Ordering::SeqCst);</span>",
        // Code is escaped: `Vec<_>` in the program.
        "Vec&lt;_&gt;",
    ] {
        assert!(page.contains(part), "missing `{part}`:\n{page}");
    }
}

#[test]
fn report_draws_saved_schedules_and_names_the_line_of_a_broken_one() {
    let scratch = Scratch::new("report-schedule");
    let (code, _, err) = tapestry(&[
        "hunt",
        "lock_order_inversion",
        "--engine",
        "random",
        "--save",
        &scratch.0.to_string_lossy(),
    ]);
    assert_eq!(code, 0, "{err}");
    let file = scratch.path("lock_order_inversion.schedule");
    let site = scratch.path("site");
    let (code, out, err) = tapestry(&["report", "--schedule", &file, "--out", &site]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote 2 pages"), "{out}");
    let page = std::fs::read_to_string(scratch.path("site/1-lock_order_inversion.html")).unwrap();
    assert!(
        page.contains("catalogue::lock_order_inversion::buggy: deadlock"),
        "{page}"
    );
    assert_eq!(page.matches("class=\"tp-blocked\"").count(), 2, "{page}");

    let saved = std::fs::read_to_string(&file).unwrap();
    let broken = saved.replacen("\nstep = ", "\nstep = x ", 1);
    let line = broken
        .lines()
        .position(|l| l.starts_with("step = x"))
        .unwrap()
        + 1;
    std::fs::write(&file, broken).unwrap();
    let (code, _, err) = tapestry(&["report", "--schedule", &file, "--out", &site]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{file}:{line}: expected five fields before ` | `")),
        "{err}"
    );
}
