//! Names read from Python strings without converting them on every call.
//!
//! On the stable ABI of Python 3.9 a `str` cannot lend its UTF-8 bytes: each read encodes a new
//! `bytes` object, which costs more than the evaluation it feeds. Flag and attribute names are
//! few and repeat on every call (usually as the very same interned object), so their Rust text
//! is kept in a dict keyed by the Python string: a lookup by a string's cached hash and identity.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};

/// Names remembered at most: a service names a handful; a caller inventing names per call gets
/// them converted instead of filling memory.
pub(crate) const MOST: usize = 4096;

/// The Rust text of a Python name.
#[pyclass(frozen, module = "cutover")]
pub(crate) struct Name(pub(crate) String);

static NAMES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// The text of `name`, from the cache (or converted and remembered).
pub(crate) fn name_of<'py>(name: &Bound<'py, PyString>) -> PyResult<Bound<'py, Name>> {
    let py = name.py();
    let names = NAMES.get_or_init(py, || PyDict::new(py).unbind()).bind(py);
    if let Some(found) = names.get_item(name)?
        && let Ok(found) = found.cast_into::<Name>()
    {
        return Ok(found);
    }
    let text = Bound::new(py, Name(name.to_cow()?.into_owned()))?;
    if names.len() < MOST {
        names.set_item(name, &text)?;
    }
    Ok(text)
}
