//! A PostgreSQL database of its own for each test, on the server named by CUTOVER_TEST_POSTGRES.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A database created for one test and dropped after it.
pub(crate) struct TestDatabase {
    pub(crate) url: String,
    admin: String,
    name: String,
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qtAc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `None` (and a line saying the test was skipped) when CUTOVER_TEST_POSTGRES is unset; a
/// panic when it is set and the server cannot be reached.
pub(crate) fn database(test: &str) -> Option<TestDatabase> {
    let Ok(admin) = std::env::var("CUTOVER_TEST_POSTGRES") else {
        println!("skipped {test}: CUTOVER_TEST_POSTGRES is not set");
        return None;
    };
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "cutover_cli_{}_{nanos}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    psql(&admin, &format!("CREATE DATABASE {name}"));
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(TestDatabase {
        url: format!("{base}/{name}"),
        admin,
        name,
    })
}

impl TestDatabase {
    /// Runs SQL on this database as someone with access to it, outside cutover.
    pub(crate) fn sql(&self, sql: &str) {
        psql(&self.url, sql);
    }

    /// Cuts this database off: open sessions are terminated and new ones refused, as if the
    /// server went away, without disturbing the other tests on the same cluster.
    pub(crate) fn sever(&self) {
        psql(
            &self.admin,
            &format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false", self.name),
        );
        psql(
            &self.admin,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
                self.name
            ),
        );
    }

    pub(crate) fn restore(&self) {
        psql(
            &self.admin,
            &format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true", self.name),
        );
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.admin.as_str(),
                "-qtAc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}
