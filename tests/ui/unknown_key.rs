#[tapestry::test(schedules = 10, sedd = 1, colour = "red")]
fn typo() {}

fn main() {}
