//! The swimlane diagram, checked as a structure: the SVG is parsed and its lanes, step boxes,
//! lock bars, arrows and marks counted against the trace it draws. (How it looks in a browser is
//! checked by `cargo xtask screenshots`, outside the test suite.)

use roxmltree::{Document, Node};
use tapestry::trace::{Row, Timeline};
use tapestry::{Engine, Explorer, Failure};
use tapestry_catalogue::entry;

fn minimal(name: &str) -> Failure {
    entry(name)
        .expect("catalogued")
        .minimal_failure()
        .expect("the catalogue's engines find it")
}

fn has_class(node: &Node, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split(' ').any(|x| x == class))
}

/// The elements of `svg` with class `class`.
fn with_class<'a>(svg: &'a Document, class: &str) -> Vec<Node<'a, 'a>> {
    svg.descendants()
        .filter(|n| n.is_element() && has_class(n, class))
        .collect()
}

/// The text the elements of class `class` show, their lines joined by spaces as one reads them.
fn sentences(svg: &Document, class: &str) -> String {
    with_class(svg, class)
        .iter()
        .flat_map(|n| n.descendants().filter(|d| d.has_tag_name("text")))
        .map(|t| {
            t.descendants()
                .filter(Node::is_text)
                .filter_map(|d| d.text())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn steps_marked(svg: &Document, class: &str) -> Vec<usize> {
    with_class(svg, class)
        .iter()
        .filter(|n| has_class(n, "tp-step"))
        .map(|n| n.attribute("data-step").unwrap().parse().unwrap())
        .collect()
}

#[test]
fn lost_update_draws_its_lanes_steps_arrows_and_fatal_steps() {
    let failure = minimal("lost_update");
    let svg_text = failure.trace().svg();
    let svg = Document::parse(&svg_text).expect("the SVG is well-formed XML");
    assert_eq!(svg.root_element().tag_name().name(), "svg");

    let lanes: Vec<&str> = with_class(&svg, "tp-lane")
        .iter()
        .map(|n| n.attribute("data-lane").unwrap())
        .collect();
    assert_eq!(lanes, failure.trace().threads(), "one lane per thread");
    assert_eq!(lanes, ["main", "T1", "T2"]);

    let boxes: Vec<usize> = with_class(&svg, "tp-step")
        .iter()
        .map(|n| n.attribute("data-step").unwrap().parse().unwrap())
        .collect();
    assert_eq!(boxes, (1..=failure.trace().len()).collect::<Vec<_>>());

    // The final load fails the assertion; the two workers' load, store and the store between
    // them are the interrupted update.
    let last = failure.trace().len();
    assert_eq!(steps_marked(&svg, "tp-failing"), [last], "{svg_text}");
    let conflict = steps_marked(&svg, "tp-conflict");
    assert_eq!(conflict.len(), 3, "{svg_text}");
    let timeline = failure.trace().timeline();
    let lane_of = |n: usize| timeline.steps().find(|s| s.number == n).unwrap().lane;
    let mut workers: Vec<usize> = conflict.iter().map(|&n| lane_of(n)).collect();
    workers.sort();
    workers.dedup();
    assert_eq!(
        workers,
        [1, 2],
        "the interrupted update is between T1 and T2"
    );
    let outcome = sentences(&svg, "tp-outcome");
    assert!(
        outcome.contains("T1 overwrites a value it never saw"),
        "{outcome}"
    );

    // The final load reads what a worker's store wrote.
    let arrows = with_class(&svg, "tp-reads-from");
    assert!(
        arrows
            .iter()
            .any(|a| a.attribute("data-to") == Some(&last.to_string())),
        "{svg_text}"
    );
    assert!(outcome.contains("an increment was lost"), "{outcome}");
}

/// How wide a diagram may be to fit the report's page (its content is 1,116 pixels wide, less
/// the diagram's frame) without scrolling.
const PAGE_WIDTH: f64 = 1080.0;

#[test]
fn labels_draw_code_without_backticks_and_long_sentences_wrap_to_the_page() {
    // Deadlocks' waits (four lanes, two of them waiting on a condition variable), an
    // interrupted update, and long outcomes: a data race between two source lines, an unbounded
    // priority inversion, a livelock's loop.
    for name in [
        "lock_order_inversion",
        "bounded_buffer_notify_one",
        "lost_update",
        "double_checked_locking",
        "priority_inversion",
        "polite_livelock",
    ] {
        let svg_text = minimal(name).trace().svg();
        let svg = Document::parse(&svg_text).expect("well-formed");
        let texts: Vec<String> = svg
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                n.descendants()
                    .filter(Node::is_text)
                    .filter_map(|d| d.text())
                    .collect()
            })
            .collect();
        for text in &texts {
            assert!(!text.contains('`'), "{name}: a backtick in `{text}`");
        }
        let code: Vec<&str> = with_class(&svg, "tp-code")
            .iter()
            .filter_map(|n| n.text())
            .collect();
        assert!(!code.is_empty(), "{name}: no code span drawn as code");
        let width: f64 = svg
            .root_element()
            .attribute("width")
            .unwrap()
            .parse()
            .unwrap();
        assert!(width <= PAGE_WIDTH, "{name}: {width} pixels wide");
    }
}

#[test]
fn the_same_trace_draws_the_same_bytes() {
    let explorer = Explorer::new().engine(Engine::pct().seed(5));
    let program = entry("lock_order_inversion").unwrap().buggy;
    let first = explorer.run(program).failure().unwrap().trace().svg();
    let second = explorer.run(program).failure().unwrap().trace().svg();
    assert_eq!(first, second);
}

#[test]
fn a_deadlock_draws_locks_held_to_the_end_and_what_each_thread_waits_for() {
    let failure = minimal("lock_order_inversion");
    let svg_text = failure.trace().svg();
    let svg = Document::parse(&svg_text).expect("well-formed");
    let blocked = with_class(&svg, "tp-blocked");
    assert_eq!(blocked.len(), 2, "{svg_text}");
    let waits: String = blocked
        .iter()
        .flat_map(|n| n.descendants())
        .filter_map(|n| n.text())
        .collect();
    assert!(waits.contains("waits to lock"), "{waits}");
    assert!(
        waits.contains("(at catalogue/src/entries/lock_order_inversion.rs:"),
        "the line each thread waits at: {waits}"
    );
    let held: Vec<&str> = with_class(&svg, "tp-held-to-end")
        .iter()
        .map(|n| n.attribute("data-lock").unwrap())
        .collect();
    assert_eq!(
        held.len(),
        2,
        "each thread holds one lock to the end: {svg_text}"
    );
    assert_ne!(held[0], held[1]);
}

#[test]
fn a_timeline_keeps_the_traces_step_numbers_and_gaps() {
    // A spin loop that hits the step limit: the trace elides the middle, the diagram too.
    let report = Explorer::new()
        .engine(Engine::random().seed(1).schedules(5))
        .max_steps(500)
        .run(|| {
            use tapestry::sync::atomic::{AtomicBool, Ordering};
            let flag = AtomicBool::named("flag", false);
            while !flag.load(Ordering::SeqCst) {
                tapestry::thread::yield_now();
            }
        });
    let trace = report.failure().expect("a step limit").trace();
    let timeline: Timeline = trace.timeline();
    let gaps = timeline
        .rows
        .iter()
        .filter(|r| matches!(r, Row::Gap(_)))
        .count();
    assert_eq!(gaps, 1);
    let text = trace.to_string();
    for step in timeline.steps() {
        let row = format!("{:>4}  main    {}", step.number, step.text);
        assert!(text.contains(&row), "`{row}` is not in\n{text}");
    }
    let svg = Document::parse(&trace.svg())
        .expect("well-formed")
        .descendants()
        .filter(|n| has_class(n, "tp-gap"))
        .count();
    assert_eq!(svg, 1);
}

#[test]
fn the_readmes_picture_is_what_the_renderer_draws_now() {
    let drawn = minimal("lost_update").trace().svg();
    let committed = include_str!("../docs/lost_update.svg");
    assert!(
        drawn == committed,
        "docs/lost_update.svg is out of date; regenerate it with\n    cargo run -p tapestry-catalogue -- report lost_update --out /tmp/r && cp /tmp/r/lost_update.svg docs/"
    );
}

#[test]
fn a_timeline_prints_as_the_trace_it_was_built_from() {
    // Short and long traces, a deadlock's ending, weak-memory notes, and elided loop rounds.
    for name in [
        "lost_update",
        "lock_order_inversion",
        "relaxed_message_passing",
        "condvar_lost_wakeup",
        "polite_livelock",
    ] {
        let trace = minimal(name).trace().clone();
        assert_eq!(trace.timeline().to_string(), trace.to_string(), "{name}");
    }
}

/// Under the c11 engine an arrow goes from the store a read read, which the engine knows, not
/// from the latest store of the same value: main reads x = 0 from its initial value though T1
/// stored 0 first (and then 7), so no arrow reaches that load.
#[test]
fn a_c11_diagram_draws_an_arrow_from_the_store_read_not_one_of_the_same_value() {
    let report = Explorer::new()
        .engine(Engine::c11())
        .run(tapestry_tests::initial_value_stored_again);
    let failure = report.failure().expect("found");
    let timeline = failure.trace().timeline();
    let step = |text: &str| {
        timeline
            .rows
            .iter()
            .find_map(|row| match row {
                Row::Step(s) if s.text.starts_with(text) => Some(s.number),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no step `{text}`"))
    };
    let (flag, stale) = (step("load atomic1 -> true"), step("load atomic2 -> 0"));
    let svg_text = failure.trace().svg();
    let svg = Document::parse(&svg_text).expect("well-formed");
    let arrows: Vec<&str> = with_class(&svg, "tp-reads-from")
        .iter()
        .filter_map(|a| a.attribute("data-to"))
        .collect();
    assert!(arrows.contains(&flag.to_string().as_str()), "{svg_text}");
    assert!(!arrows.contains(&stale.to_string().as_str()), "{svg_text}");
}
