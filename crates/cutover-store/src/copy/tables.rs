//! Every table a store holds, as a copy sees it: its columns with their kinds, its key, and
//! what counts as holding something. `tests::every_table_and_column_is_copied` holds this list
//! to the migrations, so a new table or column cannot be left out of a copy.

/// How a column's values cross between backends. Booleans are 0/1 integers in SQLite and
/// `BOOLEAN` in PostgreSQL; everything else has the same kind on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Bool,
    Text,
}

/// One value of a row, `None` for SQL NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    Int(Option<i64>),
    Bool(Option<bool>),
    Text(Option<String>),
}

#[derive(Debug)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    /// What its rows are, for people: "flag" / "flags".
    pub one: &'static str,
    pub many: &'static str,
    pub columns: &'static [Column],
    /// The primary key: rows are read in this order.
    pub key: &'static str,
    /// The rows that count as content (SQL condition): every row, except in the audit head,
    /// whose one row the migrations insert at the genesis.
    pub held: &'static str,
    /// The migrations insert this table's rows; a copy replaces them instead of adding.
    pub replaces: bool,
}

impl Table {
    pub(crate) fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "1 flag", "3 flags".
    pub(crate) fn count(&self, n: u64) -> String {
        if n == 1 {
            format!("1 {}", self.one)
        } else {
            format!("{n} {}", self.many)
        }
    }
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
    }
}

const fn boolean(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Bool,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
    }
}

/// In the order a copy writes them: flags before the overrides that reference them.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "flags",
        one: "flag",
        many: "flags",
        columns: &[
            text("key"),
            int("version"),
            text("description"),
            text("owner"),
            boolean("enabled"),
            text("stage"),
            int("rollout_bps"),
            boolean("killed"),
            text("stickiness"),
            text("salt"),
            text("scope"),
            int("created_at"),
            int("updated_at"),
            text("updated_by"),
            // A guarded rollout's plan and run, and the flag's named verdicts.
            text("rollout_plan"),
            text("rollout_run"),
            text("verdicts"),
            text("requires"),
            int("stage_since"),
            // The environment variables the flag declares by their own names.
            text("env_names"),
        ],
        key: "key",
        held: "1 = 1",
        replaces: false,
    },
    Table {
        name: "overrides",
        one: "override",
        many: "overrides",
        columns: &[
            text("flag_key"),
            text("attribute"),
            text("value"),
            text("variant"),
            int("expires_at"),
            int("position"),
        ],
        key: "flag_key, attribute, value",
        held: "1 = 1",
        replaces: false,
    },
    Table {
        name: "presets",
        one: "preset",
        many: "presets",
        columns: &[
            text("name"),
            text("definition"),
            int("updated_at"),
            text("updated_by"),
        ],
        key: "name",
        held: "1 = 1",
        replaces: false,
    },
    Table {
        name: "tokens",
        one: "token",
        many: "tokens",
        columns: &[
            text("name"),
            text("role"),
            text("hash"),
            int("created_at"),
            text("created_by"),
            int("expires_at"),
        ],
        key: "name",
        held: "1 = 1",
        replaces: false,
    },
    Table {
        name: "audit_log",
        one: "audit entry",
        many: "audit entries",
        columns: &[
            int("id"),
            int("at"),
            text("actor"),
            text("action"),
            text("entity"),
            text("before"),
            text("after"),
            text("reason"),
            text("prev_hash"),
            text("hash"),
            int("txn"),
        ],
        key: "id",
        held: "1 = 1",
        replaces: false,
    },
    Table {
        name: "audit_head",
        one: "audit head past the start of the log",
        many: "audit heads past the start of the log",
        columns: &[
            int("singleton"),
            int("last_id"),
            text("last_hash"),
            int("seal_id"),
            int("seal_gap_from"),
            int("seal_gap_to"),
            text("seal_mac"),
        ],
        key: "singleton",
        held: "last_id <> 0 OR seal_mac IS NOT NULL",
        replaces: true,
    },
    Table {
        name: "arm_metrics",
        one: "arm metrics window",
        many: "arm metrics windows",
        columns: &[
            text("flag"),
            text("arm"),
            int("window_start"),
            int("calls"),
            int("errors"),
            int("fallbacks"),
            int("retries"),
            text("latency"),
            text("custom"),
        ],
        key: "flag, arm, window_start",
        held: "1 = 1",
        replaces: false,
    },
    Table {
        name: "shadow_metrics",
        one: "shadow report window",
        many: "shadow report windows",
        columns: &[text("flag"), int("window_start"), text("counts")],
        key: "flag, window_start",
        held: "1 = 1",
        replaces: false,
    },
    Table {
        name: "guard_history",
        one: "guard record",
        many: "guard records",
        columns: &[
            int("id"),
            text("flag"),
            int("at"),
            int("step"),
            int("rollout_bps"),
            text("action"),
            text("verdict"),
            text("assessment"),
        ],
        key: "id",
        held: "1 = 1",
        replaces: false,
    },
];

/// The most rows one insert statement carries: well under SQLite's 32,766 bound parameters
/// with the widest table (17 columns).
pub(crate) const BATCH_ROWS: usize = 500;
