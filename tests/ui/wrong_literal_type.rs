#[tapestry::test(schedules = "many", snapshot = 1, engines = pct, lock_order = "off")]
fn wrong_types() {}

fn main() {}
