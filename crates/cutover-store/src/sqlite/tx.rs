//! The transaction primitives of the SQLite backend.

use std::sync::Arc;

use async_trait::async_trait;
use cutover_core::{AuditEntry, AuditKey, Flag, FlagKey, HeadSeal, Preset, TokenName};
use futures_util::TryStreamExt;
use sqlx::{Row, Sqlite, Transaction};

use super::classify;
use crate::row::{FlagRow, OverrideRow, assemble, head_seal, millis, token_from_parts};
use crate::script::{HeadRow, Tx};
use crate::{ChangeMeta, StoreError, TokenRecord};

/// An open `BEGIN IMMEDIATE` transaction: it holds the write lock from its first statement, so
/// what it reads cannot change before it commits.
pub(super) struct SqliteTx {
    pub(super) tx: Transaction<'static, Sqlite>,
    pub(super) path: String,
    /// The id of the first audit entry this transaction appended.
    pub(super) first_entry: Option<u64>,
    pub(super) key: Option<Arc<AuditKey>>,
}

macro_rules! flag_columns {
    () => {
        "key, version, description, owner, enabled, stage, rollout_bps, killed, stickiness, salt, scope, rollout_plan, rollout_run, golden"
    };
}

macro_rules! override_columns {
    () => {
        "flag_key, attribute, value, variant, expires_at"
    };
}

pub(super) fn flag_row(row: &sqlx::sqlite::SqliteRow) -> Result<FlagRow, sqlx::Error> {
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

pub(super) fn override_row(row: &sqlx::sqlite::SqliteRow) -> Result<OverrideRow, sqlx::Error> {
    Ok(OverrideRow {
        flag_key: row.try_get("flag_key")?,
        attribute: row.try_get("attribute")?,
        value: row.try_get("value")?,
        variant: row.try_get("variant")?,
        expires_at: row.try_get("expires_at")?,
    })
}

pub(super) fn preset_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Preset, StoreError> {
    let name: String = row.try_get("name").map_err(StoreError::Database)?;
    let definition: String = row.try_get("definition").map_err(StoreError::Database)?;
    serde_json::from_str(&definition)
        .map_err(|e| StoreError::bad_row(format!("preset {name:?}: {e}")))
}

pub(super) fn token_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<TokenRecord, StoreError> {
    let get = |c: &str| row.try_get::<String, _>(c).map_err(StoreError::Database);
    let created_at: i64 = row.try_get("created_at").map_err(StoreError::Database)?;
    token_from_parts(
        get("name")?,
        get("role")?,
        get("hash")?,
        created_at,
        get("created_by")?,
        row.try_get::<Option<i64>, _>("expires_at")
            .map_err(StoreError::Database)?,
    )
}

pub(super) fn audit_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<AuditEntry, StoreError> {
    let get_i64 = |c: &str| row.try_get::<i64, _>(c).map_err(StoreError::Database);
    let get_str = |c: &str| row.try_get::<String, _>(c).map_err(StoreError::Database);
    let get_opt = |c: &str| {
        row.try_get::<Option<String>, _>(c)
            .map_err(StoreError::Database)
    };
    let id = get_i64("id")?;
    Ok(AuditEntry {
        id: u64::try_from(id).map_err(|e| StoreError::bad_row(format!("audit id {id}: {e}")))?,
        at: crate::row::timestamp(get_i64("at")?, "audit_log.at")?,
        actor: get_str("actor")?,
        action: get_str("action")?,
        entity: get_str("entity")?,
        before: get_opt("before")?,
        after: get_opt("after")?,
        reason: get_opt("reason")?,
        prev_hash: get_str("prev_hash")?,
        hash: get_str("hash")?,
        // Entries written before version 7 of the schema each stand alone.
        txn: match row
            .try_get::<Option<i64>, _>("txn")
            .map_err(StoreError::Database)?
        {
            Some(txn) => u64::try_from(txn)
                .map_err(|e| StoreError::bad_row(format!("audit txn {txn}: {e}")))?,
            None => {
                u64::try_from(id).map_err(|e| StoreError::bad_row(format!("audit id {id}: {e}")))?
            }
        },
    })
}

/// Binds a flag row as ?1..?11 and the change's time and actor as ?12, ?13, the numbering
/// both the insert and the update use.
fn flag_statement<'q>(
    sql: &'static str,
    r: FlagRow,
    meta: &'q ChangeMeta,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
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

impl SqliteTx {
    pub(super) fn err(&self, e: sqlx::Error) -> StoreError {
        classify(e, &self.path)
    }

    async fn write_overrides(&mut self, flag: &Flag) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM overrides WHERE flag_key = ?1")
            .bind(flag.key.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| classify(e, &self.path))?;
        for (position, o) in OverrideRow::from_flag(flag).into_iter().enumerate() {
            sqlx::query(
                "INSERT INTO overrides (flag_key, attribute, value, variant, expires_at, position) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(o.flag_key)
            .bind(o.attribute)
            .bind(o.value)
            .bind(o.variant)
            .bind(o.expires_at)
            .bind(position as i64)
            .execute(&mut *self.tx)
            .await
            .map_err(|e| classify(e, &self.path))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Tx for SqliteTx {
    fn first_entry(&mut self) -> &mut Option<u64> {
        &mut self.first_entry
    }

    async fn flag(&mut self, key: &FlagKey) -> Result<Option<Flag>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            flag_columns!(),
            " FROM flags WHERE key = ?1"
        ))
        .bind(key.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?;
        let Some(row) = row else { return Ok(None) };
        let flag = flag_row(&row).map_err(|e| self.err(e))?;
        let overrides = sqlx::query(concat!(
            "SELECT ",
            override_columns!(),
            " FROM overrides WHERE flag_key = ?1 ORDER BY position"
        ))
        .bind(key.as_str())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?
        .iter()
        .map(override_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.err(e))?;
        flag.into_flag(overrides).map(Some)
    }

    async fn flags(&mut self) -> Result<Vec<Flag>, StoreError> {
        let flags = sqlx::query(concat!(
            "SELECT ",
            flag_columns!(),
            " FROM flags ORDER BY key"
        ))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?
        .iter()
        .map(flag_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.err(e))?;
        let overrides = sqlx::query(concat!(
            "SELECT ",
            override_columns!(),
            " FROM overrides ORDER BY flag_key, position"
        ))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?
        .iter()
        .map(override_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.err(e))?;
        assemble(flags, overrides)
    }

    async fn insert_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError> {
        flag_statement(
            "INSERT INTO flags (key, version, description, owner, enabled, stage, rollout_bps, killed, \
             stickiness, salt, scope, created_at, updated_at, updated_by, rollout_plan, rollout_run, golden) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15, ?16)",
            FlagRow::from_flag(flag)?,
            meta,
        )
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?;
        self.write_overrides(flag).await
    }

    async fn update_flag(&mut self, flag: &Flag, meta: &ChangeMeta) -> Result<(), StoreError> {
        let done = flag_statement(
            "UPDATE flags SET version = ?2, description = ?3, owner = ?4, enabled = ?5, stage = ?6, \
             rollout_bps = ?7, killed = ?8, stickiness = ?9, salt = ?10, scope = ?11, updated_at = ?12, \
             updated_by = ?13, rollout_plan = ?14, rollout_run = ?15, golden = ?16 WHERE key = ?1 AND version = ?2 - 1",
            FlagRow::from_flag(flag)?,
            meta,
        )
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?;
        if done.rows_affected() != 1 {
            // Unreachable under BEGIN IMMEDIATE; kept as a guard against lost updates.
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
            "DELETE FROM overrides WHERE flag_key = ?1",
            "DELETE FROM flags WHERE key = ?1",
        ] {
            sqlx::query(sql)
                .bind(key.as_str())
                .execute(&mut *self.tx)
                .await
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    async fn presets(&mut self) -> Result<Vec<Preset>, StoreError> {
        sqlx::query("SELECT name, definition FROM presets ORDER BY name")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(|e| self.err(e))?
            .iter()
            .map(preset_from_row)
            .collect()
    }

    async fn upsert_preset(
        &mut self,
        preset: &Preset,
        meta: &ChangeMeta,
    ) -> Result<(), StoreError> {
        let definition = serde_json::to_string(preset).map_err(StoreError::bad_row)?;
        sqlx::query(
            "INSERT INTO presets (name, definition, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (name) DO UPDATE SET definition = ?2, updated_at = ?3, updated_by = ?4",
        )
        .bind(preset.name.as_str())
        .bind(definition)
        .bind(millis(meta.at))
        .bind(&meta.actor)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn delete_preset(&mut self, name: &FlagKey) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM presets WHERE name = ?1")
            .bind(name.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn token(&mut self, name: &TokenName) -> Result<Option<TokenRecord>, StoreError> {
        sqlx::query("SELECT name, role, hash, created_at, created_by, expires_at FROM tokens WHERE name = ?1")
            .bind(name.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.err(e))?
            .as_ref()
            .map(token_from_row)
            .transpose()
    }

    async fn tokens(&mut self) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query(
            "SELECT name, role, hash, created_at, created_by, expires_at FROM tokens ORDER BY name",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?
        .iter()
        .map(token_from_row)
        .collect()
    }

    async fn insert_token(&mut self, token: &TokenRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (name, role, hash, created_at, created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(token.name.as_str())
        .bind(token.role.as_str())
        .bind(&token.hash)
        .bind(millis(token.created_at))
        .bind(&token.created_by)
        .bind(token.expires_at.map(millis))
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn delete_token(&mut self, name: &TokenName) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM tokens WHERE name = ?1")
            .bind(name.as_str())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn audit_head(&mut self) -> Result<(u64, String), StoreError> {
        let row = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.err(e))?
            .ok_or_else(|| StoreError::bad_row("audit_head has no row"))?;
        let id: i64 = row.try_get("last_id").map_err(|e| self.err(e))?;
        let hash: String = row.try_get("last_hash").map_err(|e| self.err(e))?;
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
        .map_err(|err| self.err(err))?;
        sqlx::query("UPDATE audit_head SET last_id = ?1, last_hash = ?2 WHERE singleton = 1")
            .bind(id)
            .bind(&e.hash)
            .execute(&mut *self.tx)
            .await
            .map_err(|err| self.err(err))?;
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
        .map_err(|e| self.err(e))?
        else {
            return Ok(None);
        };
        let get = |c: &str| row.try_get::<Option<i64>, _>(c);
        let id: i64 = row.try_get("last_id").map_err(|e| self.err(e))?;
        let seal = head_seal(
            get("seal_id").map_err(|e| self.err(e))?,
            get("seal_gap_from").map_err(|e| self.err(e))?,
            get("seal_gap_to").map_err(|e| self.err(e))?,
            row.try_get("seal_mac").map_err(|e| self.err(e))?,
        )?;
        Ok(Some(HeadRow {
            id: u64::try_from(id).unwrap_or(u64::MAX),
            hash: row.try_get("last_hash").map_err(|e| self.err(e))?,
            seal,
        }))
    }

    async fn set_head_seal(&mut self, seal: &HeadSeal) -> Result<(), StoreError> {
        let number = |n: u64| i64::try_from(n).map_err(StoreError::bad_row);
        sqlx::query(
            "UPDATE audit_head SET seal_id = ?1, seal_gap_from = ?2, seal_gap_to = ?3, \
             seal_mac = ?4 WHERE singleton = 1",
        )
        .bind(number(seal.id)?)
        .bind(seal.gap.map(|g| number(g.from)).transpose()?)
        .bind(seal.gap.map(|g| number(g.to)).transpose()?)
        .bind(&seal.mac)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn audit_hash(&mut self, id: u64) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar::<_, String>("SELECT hash FROM audit_log WHERE id = ?1")
            .bind(i64::try_from(id).unwrap_or(i64::MAX))
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(|e| self.err(e))
    }

    async fn walk_audit(
        &mut self,
        visit: &mut (dyn for<'e> FnMut(&'e AuditEntry) + Send),
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let mut rows = sqlx::query(
            "SELECT id, at, actor, action, entity, before, after, reason, prev_hash, hash, txn \
             FROM audit_log ORDER BY id",
        )
        .fetch(&mut *self.tx);
        while let Some(row) = rows.try_next().await.map_err(|e| classify(e, &path))? {
            visit(&audit_from_row(&row)?);
        }
        Ok(())
    }
}
