//! What a sqlx driver must offer for the shared SQL to run on it, stated once as blanket impls
//! so generic code only names `D: Dialect`.

use sqlx::error::BoxDynError;
use sqlx::{
    Arguments, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type,
};

use crate::StoreError;
use crate::copy::tables::{Cell, Kind};

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
