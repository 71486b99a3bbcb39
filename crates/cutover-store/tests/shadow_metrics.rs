//! Shadow findings in the store, on both backends: uploads of one window add up, a new window
//! starts from nothing, and a span sums its windows.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{Backend, store};

use cutover_core::{FlagKey, ShadowCounts, Timestamp};
use cutover_store::ShadowWindow;

fn window(second: i64, runs: u64) -> ShadowWindow {
    ShadowWindow {
        flag: FlagKey::new("search").unwrap(),
        start: Timestamp::from_second(1_800_000_000 + second).unwrap(),
        counts: ShadowCounts {
            runs,
            compared: runs,
            timeouts: 1,
            ..ShadowCounts::default()
        },
    }
}

async fn uploads_of_one_window_add_up(b: Backend) {
    let Some((_place, store)) = store(b).await else {
        return;
    };
    store.add_shadow_counts(&[window(60, 5)]).await.unwrap();
    store
        .add_shadow_counts(&[window(60, 2), window(120, 10)])
        .await
        .unwrap();
    let at = |s: i64| Timestamp::from_second(1_800_000_000 + s).unwrap();
    let key = FlagKey::new("search").unwrap();
    let first = store.shadow_counts(&key, at(0), at(61)).await.unwrap();
    assert_eq!((first.runs, first.compared, first.timeouts), (7, 7, 2));
    let all = store.shadow_counts(&key, at(0), at(600)).await.unwrap();
    assert_eq!((all.runs, all.timeouts), (17, 3));
}

common::on_both_backends!(uploads_of_one_window_add_up);
