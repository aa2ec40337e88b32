#[tapestry::test]
struct NotAFunction;

fn main() {}
