//! [`SqlStore`] itself: a backend and the audit key, nothing that needs the backend's traits, so
//! that a backend can name the store it belongs to (`Backend::backup`) while the store's methods
//! (`scripted.rs`) are written over the backend.

use std::sync::Arc;

use cutover_core::AuditKey;

/// A cutover store over a SQL backend: [`SqliteStore`](crate::SqliteStore) or
/// [`PgStore`](crate::PgStore).
pub struct SqlStore<B> {
    pub(crate) backend: Arc<B>,
    /// Seals the audit head on every append and checks the seal on verify.
    pub(crate) key: Option<Arc<AuditKey>>,
}

impl<B> Clone for SqlStore<B> {
    fn clone(&self) -> Self {
        SqlStore {
            backend: self.backend.clone(),
            key: self.key.clone(),
        }
    }
}

impl<B: std::fmt::Debug> std::fmt::Debug for SqlStore<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .field("sealed", &self.key.is_some())
            .finish()
    }
}

impl<B> SqlStore<B> {
    pub(crate) fn new(backend: B) -> Self {
        SqlStore {
            backend: Arc::new(backend),
            key: None,
        }
    }

    /// Seals the audit head with `key` on every append, and checks the seal on verify. Every
    /// node of a cluster needs the same key.
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.key = Some(Arc::new(key));
        self
    }
}
