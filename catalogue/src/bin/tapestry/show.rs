//! `tapestry show`: an entry's lesson, its code, the difference between the buggy and the fixed
//! program, and its minimal failing interleaving.

use similar::TextDiff;
use tapestry_catalogue::Entry;

pub fn show(entry: &Entry) -> String {
    let mut out = entry.lesson();
    out.push_str("\n## The code\n\n```rust\n");
    out.push_str(&entry.code());
    out.push_str("```\n");
    if let (Some(buggy), Some(fixed)) = (entry.function("buggy"), entry.function("fixed")) {
        let diff = TextDiff::from_lines(&buggy, &fixed);
        out.push_str("\n## Buggy and fixed\n\n```diff\n");
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header("buggy", "fixed")
                .to_string(),
        );
        out.push_str("```\n");
    }
    match entry.minimal_failure() {
        Some(failure) => {
            let preemptions = match failure.preemptions() {
                Some(1) => ", 1 preemption".to_owned(),
                Some(p) => format!(", {p} preemptions"),
                None => String::new(),
            };
            out.push_str(&format!(
                "\n## The minimal failing interleaving ({} engine{preemptions})\n\n```text\n{}```\n",
                failure.engine(),
                failure.trace()
            ));
        }
        None => out.push_str("\n(no engine that claims this bug found it this time)\n"),
    }
    out
}
