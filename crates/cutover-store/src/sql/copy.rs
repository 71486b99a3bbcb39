//! A store copy's side of each backend: every table read in one read transaction (one
//! snapshot while writers go on), or written in one write transaction.

use async_trait::async_trait;
use cutover_core::VerifyReport;
use futures_util::TryStreamExt;

use super::args::{Args, param};
use super::dialect::Columns;
use super::tx::SqlTx;
use crate::StoreError;
use crate::backend::Backend;
use crate::copy::ends::{ReadTables, WriteTables};
use crate::copy::tables::{BATCH_ROWS, Cell, Table};

pub(crate) struct CopyRead<B: Backend>(pub(crate) SqlTx<B>);

pub(crate) struct CopyWrite<B: Backend>(pub(crate) SqlTx<B>);

fn cells(row: &impl Columns, table: &Table) -> Result<Vec<Cell>, StoreError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| row.cell(i, column.kind))
        .collect()
}

#[async_trait]
impl<B: Backend> ReadTables for CopyRead<B> {
    async fn head(&mut self) -> Result<(u64, String), StoreError> {
        crate::script::Tx::audit_head(&mut self.0).await
    }

    async fn pour(
        &mut self,
        table: &'static Table,
        target: &mut dyn WriteTables,
    ) -> Result<u64, StoreError> {
        let columns: Vec<String> = table.columns.iter().map(B::copy_column).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            table.name,
            table.key
        );
        let mut rows = self.0.stream(sqlx::AssertSqlSafe(sql))?;
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut count = 0;
        while let Some(row) = rows.try_next().await? {
            batch.push(cells(&row, table)?);
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
impl<B: Backend> WriteTables for CopyWrite<B> {
    fn place(&self) -> String {
        self.0.backend.place()
    }

    async fn held(&mut self, table: &'static Table) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT count(*) AS n FROM {} WHERE {}",
            table.name, table.held
        );
        let row = self
            .0
            .fetch_optional(sqlx::AssertSqlSafe(sql), Args::new())
            .await?
            .ok_or_else(|| StoreError::bad_row("count(*) returned no row"))?;
        Ok(u64::try_from(row.int("n")?).unwrap_or(0))
    }

    async fn insert(
        &mut self,
        table: &'static Table,
        rows: &[Vec<Cell>],
    ) -> Result<(), StoreError> {
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            table.name,
            table.column_list()
        );
        let mut args = Args::new();
        for (i, row) in rows.iter().enumerate() {
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for (j, cell) in row.iter().enumerate() {
                if j > 0 {
                    sql.push_str(", ");
                }
                param(&mut sql, &mut args, cell.clone());
            }
            sql.push(')');
        }
        self.0.execute(sqlx::AssertSqlSafe(sql), args).await?;
        Ok(())
    }

    async fn clear(&mut self, table: &'static Table) -> Result<(), StoreError> {
        self.0
            .execute(
                sqlx::AssertSqlSafe(format!("DELETE FROM {}", table.name)),
                Args::new(),
            )
            .await?;
        Ok(())
    }

    async fn settle(&mut self) -> Result<(), StoreError> {
        if let Some(sql) = B::SETTLE {
            self.0.execute(sql, Args::new()).await?;
        }
        Ok(())
    }

    async fn verify(&mut self) -> Result<VerifyReport, StoreError> {
        crate::verify::verify(&mut self.0, None).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await
    }
}
