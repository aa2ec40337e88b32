#[tapestry_tokio::test(flavor = "single_thread")]
async fn flavored() {}

#[tapestry_tokio::test(flavor = "multi_thread", worker_threads = 2, colour = "blue")]
async fn coloured() {}

fn main() {}
