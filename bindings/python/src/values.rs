//! Values crossing between Python and serde: shadow results, comparison specs, reports.
//!
//! pythonize walks the Python objects themselves (no JSON text in between) and keeps `int` and
//! `float` apart exactly as serde_json does when it parses JSON, so a Python shadow run hands the
//! SDK's comparison the very `serde_json::Value`s a Rust caller would, and `1` against `1.0`,
//! `0.5600001` against `0.5`, compare the same in every language.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) fn to_python<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A JSON-compatible Python value (None, bool, int, float, str, list/tuple, dict with str keys).
pub(crate) fn json_of(what: &str, value: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    pythonize::depythonize::<serde_json::Value>(value).map_err(|e| {
        PyTypeError::new_err(format!(
            "{what} is not JSON-compatible ({e}): {}; accepted: None, bool, int, float, str, \
             lists and dicts with str keys of those",
            crate::context::short_repr(value)
        ))
    })
}

/// A serde type from its Python form (a dict as the JSON object would be).
/// Through a `serde_json::Value`, as the Rust SDK's own callers build one from JSON.
pub(crate) fn from_python<T: DeserializeOwned>(
    what: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<T> {
    let json = json_of(what, value)?;
    serde_json::from_value(json).map_err(|e| PyValueError::new_err(format!("invalid {what}: {e}")))
}
