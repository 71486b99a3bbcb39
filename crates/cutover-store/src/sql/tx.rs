//! The transaction primitives of the scripts ([`Tx`]), once for every backend.

use std::sync::Arc;

use async_trait::async_trait;
use cutover_core::{AuditEntry, AuditKey, Flag, FlagKey, HeadSeal, Preset, TokenName};
use futures_util::TryStreamExt;
use futures_util::stream::BoxStream;
use sqlx::{SqlSafeStr, Transaction};

use super::args::Args;
use super::dialect::{Affected, Columns, Dialect};
use crate::backend::Backend;
use crate::row::{
    AUDIT_COLUMNS, FLAG_COLUMNS, FlagRow, OVERRIDE_COLUMNS, OverrideRow, TOKEN_COLUMNS, assemble,
    audit_entry, head_seal, millis, token,
};
use crate::script::{HeadRow, Tx};
use crate::{ChangeMeta, StoreError, TokenRecord};

/// An open transaction of backend `B`, in the [`Mode`](crate::backend::Mode) it was begun in.
pub(crate) struct SqlTx<B: Backend> {
    pub(crate) tx: Transaction<'static, B::Db>,
    pub(crate) backend: Arc<B>,
    /// The id of the first audit entry this transaction appended.
    pub(crate) first_entry: Option<u64>,
    pub(crate) key: Option<Arc<AuditKey>>,
}

type Row<B> = <<B as Backend>::Db as sqlx::Database>::Row;

impl<B: Backend> SqlTx<B> {
    pub(crate) fn new(
        tx: Transaction<'static, B::Db>,
        backend: Arc<B>,
        key: Option<Arc<AuditKey>>,
    ) -> Self {
        SqlTx {
            tx,
            backend,
            first_entry: None,
            key,
        }
    }

    /// Runs one statement; returns how many rows it changed.
    pub(crate) async fn execute(
        &mut self,
        sql: impl SqlSafeStr,
        args: Args<B::Db>,
    ) -> Result<u64, StoreError> {
        let done = args
            .query(sql)?
            .execute(B::Db::on(&mut *self.tx))
            .await
            .map_err(|e| self.backend.classify(e))?;
        Ok(done.rows())
    }

    pub(crate) async fn fetch_optional(
        &mut self,
        sql: impl SqlSafeStr,
        args: Args<B::Db>,
    ) -> Result<Option<Row<B>>, StoreError> {
        args.query(sql)?
            .fetch_optional(B::Db::on(&mut *self.tx))
            .await
            .map_err(|e| self.backend.classify(e))
    }

    pub(crate) async fn fetch_all(
        &mut self,
        sql: impl SqlSafeStr,
        args: Args<B::Db>,
    ) -> Result<Vec<Row<B>>, StoreError> {
        args.query(sql)?
            .fetch_all(B::Db::on(&mut *self.tx))
            .await
            .map_err(|e| self.backend.classify(e))
    }

    /// The rows the query returns, one at a time, without holding them all in memory.
    pub(crate) fn stream(
        &mut self,
        sql: impl SqlSafeStr,
    ) -> Result<BoxStream<'_, Result<Row<B>, StoreError>>, StoreError> {
        let backend = self.backend.clone();
        let rows = Args::<B::Db>::new()
            .query(sql)?
            .fetch(B::Db::on(&mut *self.tx))
            .map_err(move |e| backend.classify(e));
        Ok(Box::pin(rows))
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        let backend = self.backend;
        self.tx.commit().await.map_err(|e| backend.classify(e))
    }

    async fn overrides(&mut self, key: Option<&FlagKey>) -> Result<Vec<OverrideRow>, StoreError> {
        let rows = match key {
            Some(key) => {
                self.fetch_all(
                    sqlx::AssertSqlSafe(format!(
                        "SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE flag_key = $1 \
                         ORDER BY position"
                    )),
                    Args::new().with(key.as_str()),
                )
                .await?
            }
            None => {
                self.fetch_all(
                    sqlx::AssertSqlSafe(format!(
                        "SELECT {OVERRIDE_COLUMNS} FROM overrides ORDER BY flag_key, position"
                    )),
                    Args::new(),
                )
                .await?
            }
        };
        rows.iter().map(OverrideRow::read).collect()
    }

    async fn write_overrides(&mut self, flag: &Flag) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM overrides WHERE flag_key = $1",
            Args::new().with(flag.key.as_str()),
        )
        .await?;
        for (position, o) in OverrideRow::from_flag(flag).into_iter().enumerate() {
            self.execute(
                "INSERT INTO overrides (flag_key, attribute, value, variant, expires_at, position) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                Args::new()
                    .with(o.flag_key)
                    .with(o.attribute)
                    .with(o.value)
                    .with(o.variant)
                    .with(o.expires_at)
                    .with(position as i64),
            )
            .await?;
        }
        Ok(())
    }
}

/// A flag row as $1..$11 and the change's time and actor as $12, $13, then the plan, run and
/// verdicts as $14..$16, the prerequisites and the stage's start as $17, $18, the declared
/// environment names as $19: the numbering both the insert and the update use.
fn flag_args<D: Dialect>(r: FlagRow, meta: &ChangeMeta) -> Args<D> {
    Args::new()
        .with(r.key)
        .with(r.version)
        .with(r.description)
        .with(r.owner)
        .with(r.enabled)
        .with(r.stage)
        .with(r.rollout_bps)
        .with(r.killed)
        .with(r.stickiness)
        .with(r.salt)
        .with(r.scope)
        .with(millis(meta.at))
        .with(&meta.actor)
        .with(r.plan)
        .with(r.run)
        .with(r.verdicts)
        .with(r.requires)
        .with(r.stage_since)
        .with(r.env_names)
}

#[async_trait]
impl<B: Backend> Tx for SqlTx<B> {
    fn first_entry(&mut self) -> &mut Option<u64> {
        &mut self.first_entry
    }

    async fn flag(&mut self, key: &FlagKey) -> Result<Option<Flag>, StoreError> {
        let row = self
            .fetch_optional(
                sqlx::AssertSqlSafe(format!("SELECT {FLAG_COLUMNS} FROM flags WHERE key = $1")),
                Args::new().with(key.as_str()),
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let flag = FlagRow::read(&row)?;
        let overrides = self.overrides(Some(key)).await?;
        flag.into_flag(overrides).map(Some)
    }

    async fn flags(&mut self) -> Result<Vec<Flag>, StoreError> {
        let flags = self
            .fetch_all(
                sqlx::AssertSqlSafe(format!("SELECT {FLAG_COLUMNS} FROM flags ORDER BY key")),
                Args::new(),
            )
            .await?
            .iter()
            .map(FlagRow::read)
            .collect::<Result<Vec<_>, _>>()?;
        let overrides = self.overrides(None).await?;
        assemble(flags, overrides)
    }

    async fn insert_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO flags (key, version, description, owner, enabled, stage, rollout_bps, \
             killed, stickiness, salt, scope, created_at, updated_at, updated_by, rollout_plan, \
             rollout_run, verdicts, requires, stage_since, env_names) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, \
             $17, $18, $19)",
            flag_args(FlagRow::from_flag(flag)?, meta),
        )
        .await?;
        self.write_overrides(flag).await
    }

    async fn update_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError> {
        let done = self
            .execute(
                "UPDATE flags SET version = $2, description = $3, owner = $4, enabled = $5, \
                 stage = $6, rollout_bps = $7, killed = $8, stickiness = $9, salt = $10, \
                 scope = $11, updated_at = $12, updated_by = $13, rollout_plan = $14, \
                 rollout_run = $15, verdicts = $16, requires = $17, stage_since = $18, \
                 env_names = $19 \
                 WHERE key = $1 AND version = $2 - 1",
                flag_args(FlagRow::from_flag(flag)?, meta),
            )
            .await?;
        if done != 1 {
            // Unreachable under the write lock; kept as a guard against lost updates.
            return Err(StoreError::VersionConflict {
                key: flag.key.to_string(),
                expected: flag.version - 1,
                actual: flag.version,
            });
        }
        self.write_overrides(flag).await
    }

    async fn delete_flag(&mut self, key: &FlagKey) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM overrides WHERE flag_key = $1",
            "DELETE FROM flags WHERE key = $1",
        ] {
            self.execute(sql, Args::new().with(key.as_str())).await?;
        }
        Ok(())
    }

    async fn presets(&mut self) -> Result<Vec<Preset>, StoreError> {
        self.fetch_all(
            "SELECT name, definition FROM presets ORDER BY name",
            Args::new(),
        )
        .await?
        .iter()
        .map(crate::row::preset)
        .collect()
    }

    async fn upsert_preset(
        &mut self,
        preset: &Preset,
        meta: &ChangeMeta,
    ) -> Result<(), StoreError> {
        let definition = serde_json::to_string(preset).map_err(StoreError::bad_row)?;
        self.execute(
            "INSERT INTO presets (name, definition, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            Args::new()
                .with(preset.name.as_str())
                .with(definition)
                .with(millis(meta.at))
                .with(&meta.actor),
        )
        .await?;
        Ok(())
    }

    async fn delete_preset(&mut self, name: &FlagKey) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM presets WHERE name = $1",
            Args::new().with(name.as_str()),
        )
        .await?;
        Ok(())
    }

    async fn token(&mut self, name: &TokenName) -> Result<Option<TokenRecord>, StoreError> {
        self.fetch_optional(
            sqlx::AssertSqlSafe(format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE name = $1"
            )),
            Args::new().with(name.as_str()),
        )
        .await?
        .as_ref()
        .map(token)
        .transpose()
    }

    async fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError> {
        self.fetch_all(
            sqlx::AssertSqlSafe(format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY name")),
            Args::new(),
        )
        .await?
        .iter()
        .map(token)
        .collect()
    }

    async fn insert_token(&mut self, t: &TokenRecord) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO tokens (name, role, hash, created_at, created_by, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            Args::new()
                .with(t.name.as_str())
                .with(t.role.as_str())
                .with(&t.hash)
                .with(millis(t.created_at))
                .with(&t.created_by)
                .with(t.expires_at.map(millis)),
        )
        .await?;
        Ok(())
    }

    async fn delete_token(&mut self, name: &TokenName) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM tokens WHERE name = $1",
            Args::new().with(name.as_str()),
        )
        .await?;
        Ok(())
    }

    async fn audit_head(&mut self) -> Result<(u64, String), StoreError> {
        let row = self
            .fetch_optional(
                "SELECT last_id, last_hash FROM audit_head WHERE singleton = 1",
                Args::new(),
            )
            .await?
            .ok_or_else(|| StoreError::bad_row("audit_head has no row"))?;
        let id = row.int("last_id")?;
        Ok((
            u64::try_from(id)
                .map_err(|e| StoreError::bad_row(format!("audit_head.last_id {id}: {e}")))?,
            row.text("last_hash")?,
        ))
    }

    async fn append_audit(&mut self, e: &AuditEntry) -> Result<(), StoreError> {
        let id = i64::try_from(e.id).map_err(StoreError::bad_row)?;
        self.execute(
            "INSERT INTO audit_log (id, at, actor, action, entity, before, after, reason, \
             prev_hash, hash, txn) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            Args::new()
                .with(id)
                .with(millis(e.at))
                .with(&e.actor)
                .with(&e.action)
                .with(&e.entity)
                .with(&e.before)
                .with(&e.after)
                .with(&e.reason)
                .with(&e.prev_hash)
                .with(&e.hash)
                .with(i64::try_from(e.txn).map_err(StoreError::bad_row)?),
        )
        .await?;
        self.execute(
            "UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE singleton = 1",
            Args::new().with(id).with(&e.hash),
        )
        .await?;
        if let Some(announce) = B::ANNOUNCE {
            // Delivered when (and only if) this transaction commits.
            self.execute(announce, Args::new().with(e.id.to_string()))
                .await?;
        }
        Ok(())
    }

    fn audit_key(&self) -> Option<&AuditKey> {
        self.key.as_deref()
    }

    async fn head_row(&mut self) -> Result<Option<HeadRow>, StoreError> {
        let Some(row) = self
            .fetch_optional(
                "SELECT last_id, last_hash, seal_id, seal_gap_from, seal_gap_to, seal_mac \
                 FROM audit_head WHERE singleton = 1",
                Args::new(),
            )
            .await?
        else {
            return Ok(None);
        };
        let seal = head_seal(
            row.int_or_null("seal_id")?,
            row.int_or_null("seal_gap_from")?,
            row.int_or_null("seal_gap_to")?,
            row.text_or_null("seal_mac")?,
        )?;
        Ok(Some(HeadRow {
            id: u64::try_from(row.int("last_id")?).unwrap_or(u64::MAX),
            hash: row.text("last_hash")?,
            seal,
        }))
    }

    async fn set_head_seal(&mut self, seal: &HeadSeal) -> Result<(), StoreError> {
        let number = |n: u64| i64::try_from(n).map_err(StoreError::bad_row);
        self.execute(
            "UPDATE audit_head SET seal_id = $1, seal_gap_from = $2, seal_gap_to = $3, \
             seal_mac = $4 WHERE singleton = 1",
            Args::new()
                .with(number(seal.id)?)
                .with(seal.gap.map(|g| number(g.from)).transpose()?)
                .with(seal.gap.map(|g| number(g.to)).transpose()?)
                .with(&seal.mac),
        )
        .await?;
        Ok(())
    }

    async fn audit_hash(&mut self, id: u64) -> Result<Option<String>, StoreError> {
        self.fetch_optional(
            "SELECT hash FROM audit_log WHERE id = $1",
            Args::new().with(i64::try_from(id).unwrap_or(i64::MAX)),
        )
        .await?
        .map(|row| row.text("hash"))
        .transpose()
    }

    async fn walk_audit(
        &mut self,
        visit: &mut (dyn for<'e> FnMut(&'e AuditEntry) + Send),
    ) -> Result<(), StoreError> {
        let mut rows = self.stream(sqlx::AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id"
        )))?;
        while let Some(row) = rows.try_next().await? {
            visit(&audit_entry(&row)?);
        }
        Ok(())
    }
}
