//! The arguments of a statement and the cells they are made of.

use sqlx::Arguments;
use sqlx::error::BoxDynError;

use super::dialect::{Bind, Dialect};
use crate::StoreError;
use crate::copy::tables::Cell;

/// The arguments of one statement, bound in order. A value that fails to encode is kept and
/// reported when the statement is built, as sqlx's own `bind` reports it when it runs.
pub(crate) struct Args<D: Dialect> {
    args: D::Arguments,
    failed: Option<BoxDynError>,
}

impl<D: Dialect> Args<D> {
    pub(crate) fn new() -> Self {
        Args {
            args: D::Arguments::default(),
            failed: None,
        }
    }

    pub(crate) fn with(mut self, value: impl Into<Cell>) -> Self {
        self.push(value);
        self
    }

    pub(crate) fn push(&mut self, value: impl Into<Cell>) {
        if self.failed.is_none()
            && let Err(e) = self.args.bind_cell(value.into())
        {
            self.failed = Some(e);
        }
    }

    /// How many values are bound: the number of the next parameter is one more.
    pub(crate) fn len(&self) -> usize {
        self.args.len()
    }

    fn checked(self) -> Result<D::Arguments, StoreError> {
        match self.failed {
            Some(e) => Err(StoreError::Database(sqlx::Error::Encode(e))),
            None => Ok(self.args),
        }
    }

    pub(crate) fn query<'q>(
        self,
        sql: impl sqlx::SqlSafeStr,
    ) -> Result<sqlx::query::Query<'q, D, D::Arguments>, StoreError> {
        Ok(sqlx::query_with(sql, self.checked()?))
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(Some(v))
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Self {
        Cell::Int(v)
    }
}

impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::Bool(Some(v))
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(Some(v))
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(Some(v.to_owned()))
    }
}

impl From<&String> for Cell {
    fn from(v: &String) -> Self {
        Cell::Text(Some(v.clone()))
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        Cell::Text(v)
    }
}

impl From<&Option<String>> for Cell {
    fn from(v: &Option<String>) -> Self {
        Cell::Text(v.clone())
    }
}

/// Binds `value` as the next parameter of `sql` and writes its `$N` marker there.
pub(crate) fn param<D: Dialect>(sql: &mut String, args: &mut Args<D>, value: impl Into<Cell>) {
    use std::fmt::Write as _;
    args.push(value);
    // Writing into a String cannot fail.
    let _ = write!(sql, "${}", args.len());
}
