#[tapestry::test(engines = "exhaustive, fuzz")]
fn unknown_engine() {}

fn main() {}
