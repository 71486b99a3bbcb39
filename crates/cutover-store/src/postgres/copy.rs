//! The PostgreSQL side of a store copy: every table read in one `REPEATABLE READ` snapshot, or
//! written in one transaction holding the store's write lock.

use async_trait::async_trait;
use cutover_core::VerifyReport;
use futures_util::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row};

use super::classify;
use super::tx::PgTx;
use crate::StoreError;
use crate::copy::{BATCH_ROWS, Cell, Kind, ReadTables, Table, WriteTables};

pub(super) struct PgRead(pub(super) PgTx);

pub(super) struct PgWrite(pub(super) PgTx);

/// The column list of a read: integers as BIGINT (the audit head's `singleton` is INTEGER), so
/// every integer decodes as an i64.
fn select_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Int => format!("CAST({0} AS BIGINT) AS {0}", c.name),
            Kind::Bool | Kind::Text => c.name.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn cells(row: &PgRow, table: &Table) -> Result<Vec<Cell>, sqlx::Error> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            Ok(match column.kind {
                Kind::Int => Cell::Int(row.try_get(i)?),
                Kind::Bool => Cell::Bool(row.try_get(i)?),
                Kind::Text => Cell::Text(row.try_get(i)?),
            })
        })
        .collect()
}

#[async_trait]
impl ReadTables for PgRead {
    async fn head(&mut self) -> Result<(u64, String), StoreError> {
        crate::script::Tx::audit_head(&mut self.0).await
    }

    async fn pour(
        &mut self,
        table: &'static Table,
        target: &mut dyn WriteTables,
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            select_list(table),
            table.name,
            table.key
        );
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *self.0.tx);
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut count = 0;
        while let Some(row) = rows.try_next().await.map_err(classify)? {
            batch.push(cells(&row, table).map_err(classify)?);
            if batch.len() == BATCH_ROWS {
                target.insert(table, &batch).await?;
                count += batch.len() as u64;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            target.insert(table, &batch).await?;
            count += batch.len() as u64;
        }
        Ok(count)
    }
}

#[async_trait]
impl WriteTables for PgWrite {
    fn place(&self) -> String {
        "the PostgreSQL database".to_owned()
    }

    async fn held(&mut self, table: &'static Table) -> Result<u64, StoreError> {
        let sql = format!("SELECT count(*) FROM {} WHERE {}", table.name, table.held);
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&mut *self.0.tx)
            .await
            .map_err(classify)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn insert(
        &mut self,
        table: &'static Table,
        rows: &[Vec<Cell>],
    ) -> Result<(), StoreError> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "INSERT INTO {} ({}) ",
            table.name,
            table.column_list()
        ));
        qb.push_values(rows, |mut values, row| {
            for cell in row {
                match cell {
                    Cell::Int(v) => values.push_bind(*v),
                    Cell::Bool(v) => values.push_bind(*v),
                    Cell::Text(v) => values.push_bind(v.clone()),
                };
            }
        });
        qb.build()
            .execute(&mut *self.0.tx)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn clear(&mut self, table: &'static Table) -> Result<(), StoreError> {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {}", table.name)))
            .execute(&mut *self.0.tx)
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// The guard's history takes its ids from a sequence, which inserting ids does not move.
    /// `setval` is not transactional: a copy that rolls back leaves the sequence moved on,
    /// which only skips ids.
    async fn settle(&mut self) -> Result<(), StoreError> {
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('guard_history', 'id'), \
             COALESCE((SELECT max(id) FROM guard_history), 0) + 1, false)",
        )
        .execute(&mut *self.0.tx)
        .await
        .map_err(classify)?;
        Ok(())
    }

    async fn verify(&mut self) -> Result<VerifyReport, StoreError> {
        crate::verify::verify(&mut self.0, None).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.tx.commit().await.map_err(classify)
    }
}
