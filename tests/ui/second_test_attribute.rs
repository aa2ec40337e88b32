#[tapestry::test]
#[test]
fn tested_twice() {}

fn main() {}
