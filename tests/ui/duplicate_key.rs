#[tapestry::test(seed = 1, seed = 2)]
fn twice() {}

fn main() {}
