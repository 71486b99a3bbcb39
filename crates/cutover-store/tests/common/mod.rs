//! Where a contract test's store lives: a fresh SQLite file, or a fresh PostgreSQL database on
//! the server named by CUTOVER_TEST_POSTGRES.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use cutover_store::{PgStore, SqliteStore, Store};
use sqlx::Connection;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Keeps the file or database alive for the test and removes it afterwards.
pub struct Place {
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Place {
    /// The database's URL, for a PostgreSQL place.
    pub fn postgres_url(&self) -> Option<String> {
        self.postgres.as_ref().map(|(_, url)| url.clone())
    }

    /// The SQLite file, for a SQLite place.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        match self.postgres {
            Some(_) => None,
            None => Some(self.dir.path().join("cutover.db")),
        }
    }

    /// Another store on the same file or database, sealing the audit head with `key`.
    pub async fn open_with_key(&self, key: cutover_core::AuditKey) -> Arc<dyn Store> {
        match &self.postgres {
            Some((_, url)) => Arc::new(PgStore::connect(url).await.unwrap().with_audit_key(key)),
            None => Arc::new(
                SqliteStore::open(self.dir.path().join("cutover.db"))
                    .await
                    .unwrap()
                    .with_audit_key(key),
            ),
        }
    }

    /// Edits the store as an attacker with access to the database would (the sqlite3 shell on
    /// a file, plain SQL on PostgreSQL). `store` is closed first, as the shell needs the file.
    pub async fn tamper(&self, store: Arc<dyn Store>, sql: &str) {
        match self.sqlite_path() {
            Some(path) => {
                store.close().await;
                let out = std::process::Command::new("sqlite3")
                    .arg(path)
                    .arg(sql)
                    .output()
                    .expect("the sqlite3 shell is needed by this test (Debian package sqlite3)");
                assert!(
                    out.status.success(),
                    "sqlite3 failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => {
                let mut conn = sqlx::PgConnection::connect(&self.postgres_url().unwrap())
                    .await
                    .unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }

    /// Another store on the same file or database.
    pub async fn open_again(&self) -> Arc<dyn Store> {
        match &self.postgres {
            Some((_, url)) => Arc::new(PgStore::connect(url).await.unwrap()),
            None => Arc::new(
                SqliteStore::open(self.dir.path().join("cutover.db"))
                    .await
                    .unwrap(),
            ),
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let Some((admin, url)) = self.postgres.take() else {
            return;
        };
        let name = url.rsplit('/').next().unwrap_or_default().to_owned();
        // Best effort, on a thread of its own: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .map_err(std::io::Error::other)?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .map_err(std::io::Error::other)?;
                Ok::<(), std::io::Error>(())
            })
        })
        .join();
    }
}

/// A fresh store, or `None` (with a line saying so) for PostgreSQL when CUTOVER_TEST_POSTGRES is
/// unset. Set but unreachable is a failure.
pub async fn store(backend: Backend) -> Option<(Place, Arc<dyn Store>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(dir.path().join("cutover.db"))
                .await
                .unwrap();
            Some((
                Place {
                    dir,
                    postgres: None,
                },
                Arc::new(store),
            ))
        }
        Backend::Postgres => {
            let place = empty_postgres().await?;
            let store = PgStore::connect(&place.postgres_url()?).await.unwrap();
            Some((place, Arc::new(store)))
        }
    }
}

/// A new, empty PostgreSQL database (no cutover schema yet), or `None` (with a line saying so)
/// when CUTOVER_TEST_POSTGRES is unset. Set but unreachable is a failure.
pub async fn empty_postgres() -> Option<Place> {
    let Ok(admin) = std::env::var("CUTOVER_TEST_POSTGRES") else {
        println!("skipped: CUTOVER_TEST_POSTGRES is not set");
        return None;
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "cutover_store_{}_{nanos}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("CUTOVER_TEST_POSTGRES is set, so PostgreSQL must be reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    Some(Place {
        dir: tempfile::tempdir().unwrap(),
        postgres: Some((admin, url)),
    })
}

/// Runs each named `async fn test(Backend)` once per backend, as `sqlite::test` and
/// `postgres::test`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}
#[allow(unused_imports)] // used by some test binaries, not all
pub use on_both_backends;
