//! A test that starts with tokio's clock paused counts on exact durations, as tokio's paused
//! clock gives them. Under the rename the model engines run it on their virtual clock; the
//! stress engine, on real time, says it cannot run it (before, it failed the test: a real
//! sleep of 10 ms takes more than 10 ms).

use tokio::time::{Duration, Instant, advance, sleep};

#[tokio::test(start_paused = true)]
async fn a_paused_sleep_takes_exactly_its_duration() {
    let start = Instant::now();
    sleep(Duration::from_millis(10)).await;
    assert_eq!(start.elapsed(), Duration::from_millis(10));
}

#[tokio::test(start_paused = true)]
async fn advance_moves_a_paused_clock_exactly() {
    let start = Instant::now();
    advance(Duration::from_millis(25)).await;
    assert_eq!(start.elapsed(), Duration::from_millis(25));
}
