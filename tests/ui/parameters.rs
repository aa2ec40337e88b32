#[tapestry::test]
fn takes_an_argument(threads: usize) {
    let _ = threads;
}

fn main() {}
