#[tapestry::test(schedules = "many", snapshot = 1, engines = pct)]
fn wrong_types() {}

fn main() {}
