//! The cache's tests, as a tokio user writes them; under the rename they run on tapestry's
//! engines. The racy version's bug is found (the test is `should_panic` so that the suite
//! shows it); the fixed one passes under every engine.

use std::sync::Arc;

use tapestry_tokio_example::Cache;

#[tokio::test]
#[should_panic(expected = "loaded twice")]
async fn two_callers_of_the_racy_get_load_once() {
    let cache = Arc::new(Cache::default());
    let other = {
        let cache = cache.clone();
        tokio::spawn(async move { cache.get_racy(1).await })
    };
    assert_eq!(cache.get_racy(1).await, 10);
    assert_eq!(other.await.unwrap(), 10);
    assert_eq!(cache.loads(), 1, "loaded twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_callers_of_get_load_once() {
    let cache = Arc::new(Cache::default());
    let other = {
        let cache = cache.clone();
        tokio::spawn(async move { cache.get(1).await })
    };
    let mine = tokio::select! {
        value = cache.get(1) => value,
        _ = tokio::time::sleep(tokio::time::Duration::from_secs(3600)) => unreachable!("an hour"),
    };
    assert_eq!(mine, 10);
    assert_eq!(other.await.unwrap(), 10);
    assert_eq!(cache.loads(), 1);
}
