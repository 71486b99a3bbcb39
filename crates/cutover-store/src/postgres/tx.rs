//! The transaction primitives of the PostgreSQL backend.

use std::sync::Arc;

use async_trait::async_trait;
use cutover_core::{AuditEntry, AuditKey, Flag, FlagKey, HeadSeal, Preset, TokenName};
use futures_util::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};

use super::classify;
use crate::row::{FlagRow, OverrideRow, assemble, head_seal, millis, timestamp, token_from_parts};
use crate::script::{HeadRow, Tx};
use crate::{ChangeMeta, StoreError, TokenRecord};

/// An open transaction. Write transactions hold the store's write lock (an advisory lock taken
/// first thing), so what they read cannot change before they commit: the same guarantee SQLite's
/// `BEGIN IMMEDIATE` gives, and the reason the scripts need no retry loop.
pub(crate) struct PgTx {
    pub(crate) tx: Transaction<'static, Postgres>,
    /// The id of the first audit entry this transaction appended.
    pub(crate) first_entry: Option<u64>,
    pub(crate) key: Option<Arc<AuditKey>>,
}

const FLAG_COLUMNS: &str = "key, version, description, owner, enabled, stage, rollout_bps, killed, stickiness, salt, scope, rollout_plan, rollout_run, golden";
const OVERRIDE_COLUMNS: &str = "flag_key, attribute, value, variant, expires_at";
const TOKEN_COLUMNS: &str = "name, role, hash, created_at, created_by, expires_at";

fn flag_row(row: &PgRow) -> Result<FlagRow, sqlx::Error> {
    Ok(FlagRow {
        key: row.try_get("key")?,
        version: row.try_get("version")?,
        description: row.try_get("description")?,
        owner: row.try_get("owner")?,
        enabled: row.try_get("enabled")?,
        stage: row.try_get("stage")?,
        rollout_bps: row.try_get("rollout_bps")?,
        killed: row.try_get("killed")?,
        stickiness: row.try_get("stickiness")?,
        salt: row.try_get("salt")?,
        scope: row.try_get("scope")?,
        plan: row.try_get("rollout_plan")?,
        run: row.try_get("rollout_run")?,
        golden: row.try_get("golden")?,
    })
}

fn override_row(row: &PgRow) -> Result<OverrideRow, sqlx::Error> {
    Ok(OverrideRow {
        flag_key: row.try_get("flag_key")?,
        attribute: row.try_get("attribute")?,
        value: row.try_get("value")?,
        variant: row.try_get("variant")?,
        expires_at: row.try_get("expires_at")?,
    })
}

pub(super) fn token_from_row(row: &PgRow) -> Result<TokenRecord, StoreError> {
    let get = |c: &str| row.try_get::<String, _>(c).map_err(classify);
    let created_at: i64 = row.try_get("created_at").map_err(classify)?;
    token_from_parts(
        get("name")?,
        get("role")?,
        get("hash")?,
        created_at,
        get("created_by")?,
        row.try_get::<Option<i64>, _>("expires_at")
            .map_err(classify)?,
    )
}

pub(super) fn audit_from_row(row: &PgRow) -> Result<AuditEntry, StoreError> {
    let get_str = |c: &str| row.try_get::<String, _>(c).map_err(classify);
    let get_opt = |c: &str| row.try_get::<Option<String>, _>(c).map_err(classify);
    let id: i64 = row.try_get("id").map_err(classify)?;
    let at: i64 = row.try_get("at").map_err(classify)?;
    Ok(AuditEntry {
        id: u64::try_from(id).map_err(|e| StoreError::bad_row(format!("audit id {id}: {e}")))?,
        at: timestamp(at, "audit_log.at")?,
        actor: get_str("actor")?,
        action: get_str("action")?,
        entity: get_str("entity")?,
        before: get_opt("before")?,
        after: get_opt("after")?,
        reason: get_opt("reason")?,
        prev_hash: get_str("prev_hash")?,
        hash: get_str("hash")?,
        // Entries written before version 7 of the schema each stand alone.
        txn: match row.try_get::<Option<i64>, _>("txn").map_err(classify)? {
            Some(txn) => u64::try_from(txn)
                .map_err(|e| StoreError::bad_row(format!("audit txn {txn}: {e}")))?,
            None => {
                u64::try_from(id).map_err(|e| StoreError::bad_row(format!("audit id {id}: {e}")))?
            }
        },
    })
}

fn flag_statement<'q>(
    sql: &'static str,
    r: FlagRow,
    meta: &'q ChangeMeta,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(sql)
        .bind(r.key)
        .bind(r.version)
        .bind(r.description)
        .bind(r.owner)
        .bind(r.enabled)
        .bind(r.stage)
        .bind(r.rollout_bps)
        .bind(r.killed)
        .bind(r.stickiness)
        .bind(r.salt)
        .bind(r.scope)
        .bind(millis(meta.at))
        .bind(&meta.actor)
        .bind(r.plan)
        .bind(r.run)
        .bind(r.golden)
}

impl PgTx {
    async fn write_overrides(&mut self, flag: &Flag) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM overrides WHERE flag_key = $1")
            .bind(flag.key.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(classify)?;
        for (position, o) in OverrideRow::from_flag(flag).into_iter().enumerate() {
            sqlx::query(
                "INSERT INTO overrides (flag_key, attribute, value, variant, expires_at, position) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(o.flag_key)
            .bind(o.attribute)
            .bind(o.value)
            .bind(o.variant)
            .bind(o.expires_at)
            .bind(position as i64)
            .execute(&mut *self.tx)
            .await
            .map_err(classify)?;
        }
        Ok(())
    }

    async fn overrides(&mut self, key: Option<&FlagKey>) -> Result<Vec<OverrideRow>, StoreError> {
        let rows =
            match key {
                Some(key) => sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {OVERRIDE_COLUMNS} FROM overrides WHERE flag_key = $1 ORDER BY position"
                )))
                .bind(key.as_str())
                .fetch_all(&mut *self.tx)
                .await,
                None => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT {OVERRIDE_COLUMNS} FROM overrides ORDER BY flag_key, position"
                    )))
                    .fetch_all(&mut *self.tx)
                    .await
                }
            }
            .map_err(classify)?;
        rows.iter()
            .map(override_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(classify)
    }
}

#[async_trait]
impl Tx for PgTx {
    fn first_entry(&mut self) -> &mut Option<u64> {
        &mut self.first_entry
    }

    async fn flag(&mut self, key: &FlagKey) -> Result<Option<Flag>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FLAG_COLUMNS} FROM flags WHERE key = $1"
        )))
        .bind(key.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(classify)?;
        let Some(row) = row else { return Ok(None) };
        let flag = flag_row(&row).map_err(classify)?;
        let overrides = self.overrides(Some(key)).await?;
        flag.into_flag(overrides).map(Some)
    }

    async fn flags(&mut self) -> Result<Vec<Flag>, StoreError> {
        let flags = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FLAG_COLUMNS} FROM flags ORDER BY key"
        )))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(classify)?
        .iter()
        .map(flag_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(classify)?;
        let overrides = self.overrides(None).await?;
        assemble(flags, overrides)
    }

    async fn insert_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError> {
        flag_statement(
            "INSERT INTO flags (key, version, description, owner, enabled, stage, rollout_bps, killed, \
             stickiness, salt, scope, created_at, updated_at, updated_by, rollout_plan, rollout_run, golden) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16)",
            FlagRow::from_flag(flag)?,
            meta,
        )
        .execute(&mut *self.tx)
        .await
        .map_err(classify)?;
        self.write_overrides(flag).await
    }

    async fn update_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError> {
        let done = flag_statement(
            "UPDATE flags SET version = $2, description = $3, owner = $4, enabled = $5, stage = $6, \
             rollout_bps = $7, killed = $8, stickiness = $9, salt = $10, scope = $11, updated_at = $12, \
             updated_by = $13, rollout_plan = $14, rollout_run = $15, golden = $16 WHERE key = $1 AND version = $2 - 1",
            FlagRow::from_flag(flag)?,
            meta,
        )
        .execute(&mut *self.tx)
        .await
        .map_err(classify)?;
        if done.rows_affected() != 1 {
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
            sqlx::query(sql)
                .bind(key.as_str())
                .execute(&mut *self.tx)
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    async fn presets(&mut self) -> Result<Vec<Preset>, StoreError> {
        sqlx::query("SELECT name, definition FROM presets ORDER BY name")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(classify)?
            .iter()
            .map(|row| {
                let name: String = row.try_get("name").map_err(classify)?;
                let definition: String = row.try_get("definition").map_err(classify)?;
                serde_json::from_str(&definition)
                    .map_err(|e| StoreError::bad_row(format!("preset {name:?}: {e}")))
            })
            .collect()
    }

    async fn upsert_preset(
        &mut self,
        preset: &Preset,
        meta: &ChangeMeta,
    ) -> Result<(), StoreError> {
        let definition = serde_json::to_string(preset).map_err(StoreError::bad_row)?;
        sqlx::query(
            "INSERT INTO presets (name, definition, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, \
             updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by",
        )
        .bind(preset.name.as_str())
        .bind(definition)
        .bind(millis(meta.at))
        .bind(&meta.actor)
        .execute(&mut *self.tx)
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn delete_preset(&mut self, name: &FlagKey) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM presets WHERE name = $1")
            .bind(name.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn token(&mut self, name: &TokenName) -> Result<Option<TokenRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE name = $1"
        )))
        .bind(name.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(classify)?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    async fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY name"
        )))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(classify)?
        .iter()
        .map(token_from_row)
        .collect()
    }

    async fn insert_token(&mut self, token: &TokenRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (name, role, hash, created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.name.as_str())
        .bind(token.role.as_str())
        .bind(&token.hash)
        .bind(millis(token.created_at))
        .bind(&token.created_by)
        .bind(token.expires_at.map(millis))
        .execute(&mut *self.tx)
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn delete_token(&mut self, name: &TokenName) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM tokens WHERE name = $1")
            .bind(name.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn audit_head(&mut self) -> Result<(u64, String), StoreError> {
        let row = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(classify)?
            .ok_or_else(|| StoreError::bad_row("audit_head has no row"))?;
        let id: i64 = row.try_get("last_id").map_err(classify)?;
        let hash: String = row.try_get("last_hash").map_err(classify)?;
        Ok((
            u64::try_from(id)
                .map_err(|e| StoreError::bad_row(format!("audit_head.last_id {id}: {e}")))?,
            hash,
        ))
    }

    async fn append_audit(&mut self, e: &AuditEntry) -> Result<(), StoreError> {
        let id = i64::try_from(e.id).map_err(StoreError::bad_row)?;
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, action, entity, before, after, reason, prev_hash, hash, txn) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id)
        .bind(millis(e.at))
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.entity)
        .bind(&e.before)
        .bind(&e.after)
        .bind(&e.reason)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .bind(i64::try_from(e.txn).map_err(StoreError::bad_row)?)
        .execute(&mut *self.tx)
        .await
        .map_err(classify)?;
        sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE singleton = 1")
            .bind(id)
            .bind(&e.hash)
            .execute(&mut *self.tx)
            .await
            .map_err(classify)?;
        // Delivered to listening nodes when (and only if) this transaction commits.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::CHANNEL)
            .bind(e.id.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(classify)?;
        Ok(())
    }

    fn audit_key(&self) -> Option<&AuditKey> {
        self.key.as_deref()
    }

    async fn head_row(&mut self) -> Result<Option<HeadRow>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT last_id, last_hash, seal_id, seal_gap_from, seal_gap_to, seal_mac \
             FROM audit_head WHERE singleton = 1",
        )
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(classify)?
        else {
            return Ok(None);
        };
        let get = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(classify);
        let id: i64 = row.try_get("last_id").map_err(classify)?;
        let seal = head_seal(
            get("seal_id")?,
            get("seal_gap_from")?,
            get("seal_gap_to")?,
            row.try_get("seal_mac").map_err(classify)?,
        )?;
        Ok(Some(HeadRow {
            id: u64::try_from(id).unwrap_or(u64::MAX),
            hash: row.try_get("last_hash").map_err(classify)?,
            seal,
        }))
    }

    async fn set_head_seal(&mut self, seal: &HeadSeal) -> Result<(), StoreError> {
        let number = |n: u64| i64::try_from(n).map_err(StoreError::bad_row);
        sqlx::query(
            "UPDATE audit_head SET seal_id = $1, seal_gap_from = $2, seal_gap_to = $3, \
             seal_mac = $4 WHERE singleton = 1",
        )
        .bind(number(seal.id)?)
        .bind(seal.gap.map(|g| number(g.from)).transpose()?)
        .bind(seal.gap.map(|g| number(g.to)).transpose()?)
        .bind(&seal.mac)
        .execute(&mut *self.tx)
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn audit_hash(&mut self, id: u64) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar::<_, String>("SELECT hash FROM audit_log WHERE id = $1")
            .bind(i64::try_from(id).unwrap_or(i64::MAX))
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(classify)
    }

    async fn walk_audit(
        &mut self,
        visit: &mut (dyn for<'e> FnMut(&'e AuditEntry) + Send),
    ) -> Result<(), StoreError> {
        let mut rows = sqlx::query(
            "SELECT id, at, actor, action, entity, before, after, reason, prev_hash, hash, txn \
             FROM audit_log ORDER BY id",
        )
        .fetch(&mut *self.tx);
        while let Some(row) = rows.try_next().await.map_err(classify)? {
            visit(&audit_from_row(&row)?);
        }
        Ok(())
    }
}
