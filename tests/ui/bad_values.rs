#[tapestry::test(stress_time = "2 hours", schedules = 0, pct_depth = 0, timeouts = "never")]
fn bad_values() {}

fn main() {}
