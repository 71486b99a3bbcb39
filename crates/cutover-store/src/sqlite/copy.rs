//! The SQLite side of a store copy: every table read in one read transaction (WAL gives it one
//! snapshot while writers go on), or written in one `BEGIN IMMEDIATE` transaction.

use async_trait::async_trait;
use cutover_core::VerifyReport;
use futures_util::TryStreamExt;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite};

use super::classify;
use super::tx::SqliteTx;
use crate::StoreError;
use crate::copy::{BATCH_ROWS, Cell, Kind, ReadTables, Table, WriteTables};

pub(super) struct SqliteRead(pub(super) SqliteTx);

pub(super) struct SqliteWrite(pub(super) SqliteTx);

fn cells(row: &SqliteRow, table: &Table) -> Result<Vec<Cell>, sqlx::Error> {
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
impl ReadTables for SqliteRead {
    async fn head(&mut self) -> Result<(u64, String), StoreError> {
        crate::script::Tx::audit_head(&mut self.0).await
    }

    async fn pour(
        &mut self,
        table: &'static Table,
        target: &mut dyn WriteTables,
    ) -> Result<u64, StoreError> {
        let path = self.0.path.clone();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            table.column_list(),
            table.name,
            table.key
        );
        let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *self.0.tx);
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut count = 0;
        while let Some(row) = rows.try_next().await.map_err(|e| classify(e, &path))? {
            batch.push(cells(&row, table).map_err(|e| classify(e, &path))?);
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
impl WriteTables for SqliteWrite {
    fn place(&self) -> String {
        self.0.path.clone()
    }

    async fn held(&mut self, table: &'static Table) -> Result<u64, StoreError> {
        let sql = format!("SELECT count(*) FROM {} WHERE {}", table.name, table.held);
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(&mut *self.0.tx)
            .await
            .map_err(|e| self.0.err(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn insert(
        &mut self,
        table: &'static Table,
        rows: &[Vec<Cell>],
    ) -> Result<(), StoreError> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
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
            .map_err(|e| self.0.err(e))?;
        Ok(())
    }

    async fn clear(&mut self, table: &'static Table) -> Result<(), StoreError> {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {}", table.name)))
            .execute(&mut *self.0.tx)
            .await
            .map_err(|e| self.0.err(e))?;
        Ok(())
    }

    /// `guard_history` is AUTOINCREMENT: SQLite moves its sequence past every id inserted.
    async fn settle(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn verify(&mut self) -> Result<VerifyReport, StoreError> {
        crate::verify::verify(&mut self.0, None).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let path = self.0.path.clone();
        self.0.tx.commit().await.map_err(|e| classify(e, &path))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::copy::TABLES;

    /// A migration that adds a table or a column must add it to the copy too.
    #[tokio::test]
    async fn every_table_and_column_the_migrations_create_is_copied() {
        let schema = super::super::schema::expected_objects(super::super::schema::latest())
            .await
            .unwrap();
        let made: BTreeSet<String> = schema
            .into_iter()
            .filter(|o| o.starts_with("table ") || o.starts_with("column "))
            .collect();
        let copied: BTreeSet<String> = TABLES
            .iter()
            .flat_map(|t| {
                std::iter::once(format!("table {}", t.name)).chain(
                    t.columns
                        .iter()
                        .map(move |c| format!("column {}.{}", t.name, c.name)),
                )
            })
            .collect();
        assert_eq!(copied, made);
    }
}
