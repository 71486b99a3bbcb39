//! What the shared SQL needs of a sqlx driver: its arguments take every [`Cell`], its rows give
//! every kind back, a statement says how many rows it changed. Apart from `mod.rs` (the pooled
//! calls, which need a [`Backend`](crate::backend::Backend)), since a backend names these.

use sqlx::error::BoxDynError;
use sqlx::{
    Arguments, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type,
};

use crate::StoreError;
use crate::copy::{Cell, Kind};

/// A sqlx driver the shared SQL can run on: its arguments take every [`Cell`], its rows give
/// every kind of value back, and its connections and pools execute statements. The bounds are
/// stated once, in the blanket impls below, so generic code only names `D: Dialect`.
pub(crate) trait Dialect:
    Database<Arguments: IntoArguments<Self> + Bind, Row: Columns, QueryResult: Affected>
{
    /// A connection (or an open transaction) as an executor of statements.
    fn on(conn: &mut Self::Connection) -> impl Executor<'_, Database = Self>;

    /// A pool as an executor: one pooled connection per statement.
    fn on_pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self>;
}

impl<D> Dialect for D
where
    D: Database<Arguments: IntoArguments<D> + Bind, Row: Columns, QueryResult: Affected>,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'p> &'p Pool<D>: Executor<'p, Database = D>,
{
    fn on(conn: &mut D::Connection) -> impl Executor<'_, Database = D> {
        conn
    }

    fn on_pool(pool: &Pool<D>) -> impl Executor<'_, Database = D> {
        pool
    }
}

/// What a statement did: how many rows it changed.
pub(crate) trait Affected {
    fn rows(&self) -> u64;
}

impl Affected for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

impl Affected for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

/// Arguments that take a [`Cell`]: an integer, a boolean or a text, each possibly NULL.
pub(crate) trait Bind {
    fn bind_cell(&mut self, cell: Cell) -> Result<(), BoxDynError>;
}

impl<A> Bind for A
where
    A: Arguments,
    for<'t> Option<i64>: Encode<'t, A::Database>,
    for<'t> Option<bool>: Encode<'t, A::Database>,
    for<'t> Option<String>: Encode<'t, A::Database>,
    Option<i64>: Type<A::Database>,
    Option<bool>: Type<A::Database>,
    Option<String>: Type<A::Database>,
{
    fn bind_cell(&mut self, cell: Cell) -> Result<(), BoxDynError> {
        match cell {
            Cell::Int(v) => self.add(v),
            Cell::Bool(v) => self.add(v),
            Cell::Text(v) => self.add(v),
        }
    }
}

/// A row whose columns read back as the kinds of [`Cell`], by name or by position. A column
/// that is missing or of another type is [`StoreError::Database`]: a decoding error never
/// means the database is unreachable.
pub(crate) trait Columns {
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn int_or_null(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn text_or_null(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn boolean(&self, column: &str) -> Result<bool, StoreError>;
    /// The value at `index` as a cell of `kind`.
    fn cell(&self, index: usize, kind: Kind) -> Result<Cell, StoreError>;
}

impl<R> Columns for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.try_get(column).map_err(StoreError::Database)
    }

    fn int_or_null(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.try_get(column).map_err(StoreError::Database)
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.try_get(column).map_err(StoreError::Database)
    }

    fn text_or_null(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.try_get(column).map_err(StoreError::Database)
    }

    fn boolean(&self, column: &str) -> Result<bool, StoreError> {
        self.try_get(column).map_err(StoreError::Database)
    }

    fn cell(&self, index: usize, kind: Kind) -> Result<Cell, StoreError> {
        Ok(match kind {
            Kind::Int => Cell::Int(self.try_get(index).map_err(StoreError::Database)?),
            Kind::Bool => Cell::Bool(self.try_get(index).map_err(StoreError::Database)?),
            Kind::Text => Cell::Text(self.try_get(index).map_err(StoreError::Database)?),
        })
    }
}

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

/// Binds `value` as the next parameter of `sql` and writes its placeholder.
pub(crate) fn param<D: Dialect>(sql: &mut String, args: &mut Args<D>, value: impl Into<Cell>) {
    args.push(value);
    sql.push('$');
    sql.push_str(&args.len().to_string());
}
