//! What the SDK answers, as Python objects: a decision, the client's status, a change.

use pyo3::prelude::*;

/// The answer for one flag and one context: the variant, the rule that decided and the flag's
/// version.
#[pyclass(frozen, module = "cutover")]
pub(crate) struct Decision {
    pub(crate) inner: cutover_sdk::Decision<'static>,
}

#[pymethods]
impl Decision {
    /// `"legacy"` or `"new"`.
    #[getter]
    fn variant(&self) -> &'static str {
        self.inner.variant.as_str()
    }

    /// Whether the context takes the new path.
    #[getter]
    fn is_new(&self) -> bool {
        self.inner.is_new()
    }

    /// The rule that decided, in snake_case: `kill_switch`, `env_override`, `disabled`,
    /// `legacy_retired`, `override`, `out_of_scope`, `rollout` or `flag_not_found`.
    #[getter]
    fn reason(&self) -> &'static str {
        self.inner.reason.kind()
    }

    /// The reason as OpenFeature names it (`STATIC`, `TARGETING_MATCH`, `SPLIT`, `DISABLED`,
    /// `DEFAULT`, `UNKNOWN`).
    #[getter]
    fn openfeature_reason(&self) -> &'static str {
        self.inner.reason.openfeature()
    }

    /// The reason in words, with what it looked at.
    #[getter]
    fn explanation(&self) -> String {
        self.inner.reason.to_string()
    }

    /// The version of the flag that decided; 0 when the flag was not found.
    #[getter]
    fn flag_version(&self) -> u64 {
        self.inner.flag_version
    }

    /// The decision as the SDKs write it in JSON (the conformance file's form): `variant`,
    /// `reason` (a dict with `kind` and what the rule looked at) and `flag_version`.
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::values::to_python(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "Decision(variant='{}', reason='{}', flag_version={})",
            self.inner.variant.as_str(),
            self.inner.reason.kind(),
            self.inner.flag_version
        )
    }

    fn __bool__(&self) -> bool {
        self.inner.is_new()
    }
}

/// Where the client stands with its server.
#[pyclass(frozen, get_all, module = "cutover")]
pub(crate) struct Status {
    /// Whether the change stream is open now.
    pub(crate) connected: bool,
    /// The sequence (audit id) of the last change applied.
    pub(crate) seq: u64,
    /// Seconds the flags may have been out of date: 0.0 while connected, else the time since the
    /// connection was lost (or the cache or file was loaded); `None` before any flags.
    pub(crate) staleness: Option<f64>,
    /// Whether `close()` was called.
    pub(crate) closed: bool,
}

#[pymethods]
impl Status {
    fn __repr__(&self) -> String {
        let staleness = self
            .staleness
            .map_or_else(|| "None".to_owned(), |s| format!("{s:.3}"));
        format!(
            "Status(connected={}, seq={}, staleness={staleness}, closed={})",
            py_bool(self.connected),
            self.seq,
            py_bool(self.closed)
        )
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// One change the client applied, handed to `on_change` callbacks.
#[pyclass(frozen, get_all, module = "cutover")]
pub(crate) struct Change {
    /// `"snapshot"` (a whole new state: first connection, a reconnect that could not resume) or
    /// `"flag"` (one flag changed).
    pub(crate) kind: &'static str,
    /// The sequence (audit id) the client is at after it.
    pub(crate) seq: u64,
    /// The flag that changed (`None` for a snapshot).
    pub(crate) key: Option<String>,
    /// Whether the flag was deleted.
    pub(crate) deleted: bool,
    /// How many flags the snapshot holds (`None` for a flag change).
    pub(crate) flags: Option<usize>,
}

impl From<&cutover_sdk::Change> for Change {
    fn from(change: &cutover_sdk::Change) -> Self {
        match change {
            cutover_sdk::Change::Snapshot { seq, flags } => Change {
                kind: "snapshot",
                seq: *seq,
                key: None,
                deleted: false,
                flags: Some(*flags),
            },
            cutover_sdk::Change::Flag { seq, key, deleted } => Change {
                kind: "flag",
                seq: *seq,
                key: Some(key.clone()),
                deleted: *deleted,
                flags: None,
            },
        }
    }
}

#[pymethods]
impl Change {
    fn __repr__(&self) -> String {
        match &self.key {
            Some(key) => format!(
                "Change(kind='flag', seq={}, key='{key}', deleted={})",
                self.seq,
                py_bool(self.deleted)
            ),
            None => format!(
                "Change(kind='snapshot', seq={}, flags={})",
                self.seq,
                self.flags.unwrap_or(0)
            ),
        }
    }
}
