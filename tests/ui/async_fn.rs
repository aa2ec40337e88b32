#[tapestry::test]
async fn asynchronous() {}

fn main() {}
