//! Connecting to a PostgreSQL store, and bringing its schema up to date.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::classify::classify;
use super::schema;
use crate::error::StoreError;
use crate::sql_store::SqlStore;

/// How long a call waits for a connection before saying the database cannot be reached.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A cutover store in a PostgreSQL database.
pub type PgStore = SqlStore<PgBackend>;

/// The PostgreSQL side of a [`PgStore`]: its connections.
#[derive(Debug)]
pub struct PgBackend {
    pub(super) pool: PgPool,
}

/// The URL as it may be shown in an error: a password in it would otherwise end up on a
/// terminal or in a log.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl SqlStore<PgBackend> {
    /// Connects to the database at `url` and brings its schema up to date, creating it in a
    /// database that has none: for the commands that create a store.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_as(url, true).await
    }

    /// Connects to a database that already holds a cutover store: one without cutover's schema
    /// is [`StoreError::NoSchema`], and no table is created in it.
    pub async fn connect_existing(url: &str) -> Result<Self, StoreError> {
        Self::connect_as(url, false).await
    }

    async fn connect_as(url: &str, create: bool) -> Result<Self, StoreError> {
        let not_a_url = |why: String| StoreError::BadUrl {
            url: without_password(url),
            why,
        };
        // sqlx ignores the scheme, so a mysql:// or sqlite:// URL would otherwise be tried as
        // PostgreSQL and fail later with a confusing login error.
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        if !matches!(scheme, Some("postgres" | "postgresql")) {
            return Err(not_a_url(
                "it must start with postgres:// or postgresql://".into(),
            ));
        }
        let options = url
            .parse::<PgConnectOptions>()
            .map_err(|e| not_a_url(e.to_string()))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(classify)?;
        let mut conn = pool.acquire().await.map_err(classify)?;
        if !create && !schema::exists(&mut conn).await? {
            return Err(StoreError::NoSchema {
                url: without_password(url),
            });
        }
        schema::prepare(&mut conn).await?;
        drop(conn);
        Ok(SqlStore::new(PgBackend { pool }))
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn a_password_never_appears_in_a_shown_url() {
        for (url, shown) in [
            (
                "postgres://admin:s3cret@db:5432/cutover",
                "postgres://admin:***@db:5432/cutover",
            ),
            (
                "postgres://admin:p@ss@db/cutover?sslmode=require",
                "postgres://admin:***@db/cutover?sslmode=require",
            ),
            ("postgres://admin@db/cutover", "postgres://admin@db/cutover"),
            ("postgres://db", "postgres://db"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(without_password(url), shown, "{url}");
        }
    }

    #[tokio::test]
    async fn a_url_of_another_database_is_refused_before_connecting() {
        for url in [
            "mysql://admin:s3cret@localhost/cutover",
            "postgres://admin:s3cret@db:notaport/cutover",
            "localhost/cutover",
        ] {
            let err = super::PgStore::connect(url).await.unwrap_err().to_string();
            assert!(err.contains("postgres://user@host/db"), "{err}");
            assert!(!err.contains("s3cret"), "{err}");
        }
    }
}
