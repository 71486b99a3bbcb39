//! Opening without creating: a PostgreSQL database without cutover's schema is refused by
//! `connect_existing` and left without a single new table; `connect` creates the schema. (The
//! SQLite side is in file_damage.rs, beside the other cases of what a `--db` path can hold.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use cutover_store::{FlagStore, PgStore, StoreError};
use sqlx::Connection;

async fn tables(url: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_database_without_the_schema_is_not_a_store_until_created() {
    let Some(place) = common::empty_postgres().await else {
        return;
    };
    let url = place.postgres_url().unwrap();
    let err = PgStore::connect_existing(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::NoSchema { .. }), "{err}");
    assert!(err.to_string().contains("nothing was created"), "{err}");
    assert_eq!(tables(&url).await, 0, "connect_existing created tables");

    let created = PgStore::connect(&url).await.unwrap();
    created.close().await;
    let existing = PgStore::connect_existing(&url).await.unwrap();
    assert!(existing.flags().await.unwrap().is_empty());
    existing.close().await;
}
