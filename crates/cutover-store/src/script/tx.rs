//! What a backend offers a script: the primitives of one open transaction.

use async_trait::async_trait;
use cutover_core::{AuditEntry, AuditKey, Flag, FlagKey, HeadSeal, Preset, TokenName};

use crate::{ChangeMeta, StoreError, TokenRecord};

/// The primitives a backend offers inside one open transaction.
///
/// Reading a flag inside a transaction must keep it from changing until the transaction ends
/// (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `SELECT ... FOR UPDATE`), and reading the audit head
/// must serialise appends.
#[async_trait]
pub(crate) trait Tx: Send {
    async fn flag(&mut self, key: &FlagKey) -> Result<Option<Flag>, StoreError>;
    async fn flags(&mut self) -> Result<Vec<Flag>, StoreError>;
    async fn insert_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError>;
    async fn update_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError>;
    async fn delete_flag(&mut self, key: &FlagKey) -> Result<(), StoreError>;
    async fn presets(&mut self) -> Result<Vec<Preset>, StoreError>;
    async fn upsert_preset(&mut self, preset: &Preset, meta: &ChangeMeta)
    -> Result<(), StoreError>;
    async fn delete_preset(&mut self, name: &FlagKey) -> Result<(), StoreError>;
    async fn token(&mut self, name: &TokenName) -> Result<Option<TokenRecord>, StoreError>;
    async fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError>;
    async fn insert_token(&mut self, token: &TokenRecord) -> Result<(), StoreError>;
    async fn delete_token(&mut self, name: &TokenName) -> Result<(), StoreError>;
    /// The last committed audit id and hash (0 and the genesis hash for an empty log).
    async fn audit_head(&mut self) -> Result<(u64, String), StoreError>;
    /// Inserts the entry and moves the head to it.
    async fn append_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The id of the first entry this transaction appended, kept by the transaction: every
    /// entry it appends names it as its `txn`.
    fn first_entry(&mut self) -> &mut Option<u64>;

    /// The key this process seals the audit head with, if it was given one.
    fn audit_key(&self) -> Option<&AuditKey>;
    /// The head row with its seal; `None` when the row is gone (only tampering removes it).
    async fn head_row(&mut self) -> Result<Option<HeadRow>, StoreError>;
    async fn set_head_seal(&mut self, seal: &HeadSeal) -> Result<(), StoreError>;
    /// The hash of entry `id`, if there is one.
    async fn audit_hash(&mut self, id: u64) -> Result<Option<String>, StoreError>;
    /// Hands every audit entry to `visit`, in id order, without holding the log in memory.
    async fn walk_audit(
        &mut self,
        visit: &mut (dyn for<'e> FnMut(&'e AuditEntry) + Send),
    ) -> Result<(), StoreError>;
}

/// The audit head as stored: the last entry's id and hash, and the seal beside them.
#[derive(Debug, Clone)]
pub(crate) struct HeadRow {
    pub id: u64,
    pub hash: String,
    pub seal: Option<HeadSeal>,
}
