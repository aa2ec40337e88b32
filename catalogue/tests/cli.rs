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
    assert!(
        out.contains(
            "T1 waits to lock `b` (at catalogue/src/entries/lock_order_inversion.rs:51), held by main"
        ),
        "{out}"
    );
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
    assert!(
        out.contains(
            "main waits to lock `a` (at catalogue/src/entries/lock_order_inversion.rs:58), held by T1"
        ),
        "{out}"
    );
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
            "unknown engine `fuzz`; expected one of: exhaustive, dpor, random, pct, surw, priority, stress, c11",
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
            "/nonexistent.schedule: no such file or folder",
        ),
        (
            &["schedules", "/nonexistent"],
            "/nonexistent: no such folder; schedules are saved in `tapestry-schedules/` in the package",
        ),
        (
            &["schedules", "--tests", "-"],
            "the following required arguments were not provided:\n  --orphans",
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

/// Runs `tapestry` in `dir` with extra environment variables.
fn tapestry_in(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tapestry"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .env_remove("TAPESTRY_SCHEDULE_DIR")
        .output()
        .expect("the binary runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    (
        output.status.code().unwrap_or(-1),
        text(output.stdout),
        text(output.stderr),
    )
}

/// A deadlock in a user's own test, as `#[tapestry::test]` would save it: the failure, and the
/// schedule folder of a package with `entries` (file's test, entry's test) saved in it.
fn user_schedules(
    package: &std::path::Path,
    entries: &[(&str, &str)],
) -> (tapestry::Failure, std::path::PathBuf) {
    use tapestry::sync::{Arc, Mutex};
    let report = tapestry::Explorer::new()
        .engine(tapestry::Engine::random().seed(2))
        .lock_order(false)
        .run(|| {
            let a = Arc::new(Mutex::named("alice", 0));
            let b = Arc::new(Mutex::named("bob", 0));
            let (a2, b2) = (a.clone(), b.clone());
            let t = tapestry::thread::spawn(move || {
                let _b = b2.lock().unwrap();
                let _a = a2.lock().unwrap();
            });
            let _a = a.lock().unwrap();
            let _b = b.lock().unwrap();
            drop((_a, _b));
            t.join().unwrap();
        });
    let failure = report.failure().expect("a deadlock").clone();
    let dir = package.join("tapestry-schedules");
    for &(file, test) in entries {
        let (module, name) = file.rsplit_once("::").unwrap();
        let path = tapestry::saved::path_for(&dir, module, name);
        let entry = tapestry::saved::SavedFailure::new(test, &failure, Some(2));
        let command = format!(
            "TAPESTRY_REPLAY=tapestry-schedules/{}/{name}.schedule cargo test -p my-crate {} -- --exact",
            module.replace("::", "/"),
            file.split_once("::").unwrap().1
        );
        tapestry::saved::save(&path, entry, &command).unwrap();
    }
    (failure, dir)
}

#[test]
fn replay_prints_the_trace_saved_with_a_users_schedule() {
    let scratch = Scratch::new("replay-user");
    let (failure, dir) = user_schedules(
        &scratch.0,
        &[("my_crate::tests::abba", "my_crate::tests::abba")],
    );
    let (code, out, err) = tapestry(&["replay", &dir.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    for says in [
        "== my_crate::tests::abba (random engine, deadlock: schedule ",
        "Not a catalogue program: this CLI cannot run your test's program, so this is the trace saved with the schedule. Its test replays it step by step:",
        "    TAPESTRY_REPLAY=tapestry-schedules/my_crate/tests/abba.schedule cargo test -p my-crate tests::abba -- --exact",
        "`alice` (at catalogue/tests/cli.rs:",
    ] {
        assert!(out.contains(says), "`{says}`:\n{out}");
    }
    assert!(
        out.contains(&failure.trace().to_string()),
        "the trace as the failure printed it:\n{out}\n---\n{}",
        failure.trace()
    );
}

#[test]
fn report_draws_a_folder_of_a_users_schedules() {
    let scratch = Scratch::new("report-user");
    let (_, dir) = user_schedules(
        &scratch.0,
        &[
            ("my_crate::tests::abba", "my_crate::tests::abba"),
            ("my_crate::more::abba", "my_crate::more::abba"),
        ],
    );
    let site = scratch.path("site");
    let (code, out, err) = tapestry(&[
        "report",
        "--schedule",
        &dir.to_string_lossy(),
        "--out",
        &site,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote 3 pages"), "{out}");
    let page = std::fs::read_to_string(scratch.path("site/2-abba.html")).unwrap();
    assert!(page.contains("my_crate::tests::abba: deadlock"), "{page}");
    assert_eq!(page.matches("class=\"tp-blocked\"").count(), 2, "{page}");
    assert!(
        page.contains("(at catalogue/tests/cli.rs:"),
        "the lines they wait at:\n{page}"
    );

    let (code, _, err) = tapestry(&["report", "--schedule", &scratch.path("nothing-here")]);
    assert_ne!(code, 0);
    assert!(
        err.contains("nothing-here: no such file or folder"),
        "{err}"
    );
}

#[test]
fn schedules_orphans_lists_what_no_test_replays() {
    let scratch = Scratch::new("orphans");
    user_schedules(
        &scratch.0,
        &[
            ("my_crate::tests::abba", "my_crate::tests::abba"),
            ("my_crate::tests::abba", "my_crate::tests::old_name"),
            ("my_crate::tests::gone", "my_crate::tests::gone"),
            ("my_crate::tests::other", "my_crate::tests::abba"),
        ],
    );
    std::fs::write(
        scratch.0.join("tests.txt"),
        "my_crate::tests::abba\nmy_crate::tests::other: test\n",
    )
    .unwrap();
    let (code, out, err) = tapestry_in(&scratch.0, &[], &["schedules"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("3 schedule file(s), 4 entries in tapestry-schedules"),
        "{out}"
    );

    let (code, out, err) = tapestry_in(
        &scratch.0,
        &[],
        &["schedules", "--orphans", "--tests", "tests.txt"],
    );
    assert_eq!(code, 1, "{err}");
    for says in [
        "tapestry-schedules/my_crate/tests/abba.schedule: the file of `my_crate::tests::abba`, which fails on the entries below until they go\n  my_crate::tests::old_name (random engine, deadlock): replay = schedule ",
        " — no such test",
        "tapestry-schedules/my_crate/tests/gone.schedule: no test `my_crate::tests::gone` replays it\n  my_crate::tests::gone (random engine, deadlock)",
        "tapestry-schedules/my_crate/tests/other.schedule: the file of `my_crate::tests::other`",
        "my_crate::tests::abba (random engine, deadlock): replay = schedule ",
        " — filed under another test",
        "3 orphaned entries (0 unreadable file(s)) among 3 schedule file(s), checked against 2 tests",
    ] {
        assert!(out.contains(says), "`{says}`:\n{out}");
    }

    std::fs::remove_file(
        scratch
            .0
            .join("tapestry-schedules/my_crate/tests/gone.schedule"),
    )
    .unwrap();
    std::fs::remove_file(
        scratch
            .0
            .join("tapestry-schedules/my_crate/tests/other.schedule"),
    )
    .unwrap();
    let kept = scratch
        .0
        .join("tapestry-schedules/my_crate/tests/abba.schedule");
    let text = std::fs::read_to_string(&kept).unwrap();
    let second = text.match_indices("\n[failure]").nth(1).unwrap().0;
    std::fs::write(&kept, &text[..second]).unwrap();
    let (code, out, err) = tapestry_in(
        &scratch.0,
        &[],
        &["schedules", "--orphans", "--tests", "tests.txt"],
    );
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(
        out.contains("no orphans: every entry of the 1 schedule file(s)"),
        "{out}"
    );
}

#[test]
fn schedules_orphans_asks_cargo_for_the_tests_of_the_package() {
    let scratch = Scratch::new("orphans-cargo");
    let package = scratch.0.join("my-crate");
    std::fs::create_dir_all(package.join("src")).unwrap();
    std::fs::create_dir_all(package.join("tests")).unwrap();
    std::fs::write(
        package.join("Cargo.toml"),
        "[package]\nname = \"my-crate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        package.join("src/lib.rs"),
        "#[cfg(test)]\nmod tests {\n    #[test]\n    fn abba() {}\n}\n",
    )
    .unwrap();
    std::fs::write(
        package.join("tests/flows.rs"),
        "#[test]\n#[ignore]\nfn handoff() {}\n",
    )
    .unwrap();
    user_schedules(
        &package,
        &[
            ("my_crate::tests::abba", "my_crate::tests::abba"),
            ("flows::handoff", "flows::handoff"),
            ("flows::renamed", "flows::renamed"),
        ],
    );
    let target = scratch.0.join("target");
    let (code, out, err) = tapestry_in(
        &package,
        &[
            ("CARGO", env!("CARGO")),
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
        ],
        &["schedules", "--orphans", "--", "--offline"],
    );
    assert_eq!(code, 1, "{err}\n{out}");
    assert!(
        err.contains("building the test binaries: cargo test --no-run --offline"),
        "{err}"
    );
    assert!(
        out.contains(
            "tapestry-schedules/flows/renamed.schedule: no test `flows::renamed` replays it"
        ),
        "{out}"
    );
    assert!(
        out.contains("1 orphaned entry (0 unreadable file(s)) among 3 schedule file(s), checked against 2 tests"),
        "{out}"
    );
}
