#[tapestry::test(snapshot = true)]
fn nothing_to_snapshot() {}

fn main() {}
