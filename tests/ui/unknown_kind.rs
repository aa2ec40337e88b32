#[tapestry::test(expect = "crash")]
fn unknown_kind() {}

fn main() {}
