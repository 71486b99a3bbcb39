//! The exceptions the package raises, and how the SDK's errors map to them: what the caller got
//! wrong is a `ValueError`/`TypeError`, what the world did is a `CutoverError`.

use cutover_sdk::SdkError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    cutover,
    CutoverError,
    pyo3::exceptions::PyException,
    "Base of the errors cutover raises for what happened outside the call's arguments."
);
pyo3::create_exception!(
    cutover,
    ConnectError,
    CutoverError,
    "No flags from the server in time (and no cache file to start from)."
);
pyo3::create_exception!(
    cutover,
    FlagFileError,
    CutoverError,
    "A flag file (an export or a cache) that cannot be read."
);
pyo3::create_exception!(
    cutover,
    ClosedError,
    CutoverError,
    "The client is closed: what it would record could never be uploaded."
);

pub(crate) fn to_py(error: SdkError) -> PyErr {
    let text = error.to_string();
    match error {
        SdkError::NoInitialSnapshot { .. } => ConnectError::new_err(text),
        SdkError::FlagFile { .. } => FlagFileError::new_err(text),
        SdkError::InvalidUrl { .. }
        | SdkError::EnvOverride(_)
        | SdkError::InvalidCounter { .. } => PyValueError::new_err(text),
        SdkError::NoRuntime(_) => PyRuntimeError::new_err(text),
    }
}

/// Panics on purpose, so the suite can show that a Rust panic reaches Python as an exception
/// (`pyo3_runtime.PanicException`) and never aborts the interpreter, in a direct call, inside a
/// shadow run's new path (counted as a panic) and inside an `on_change` callback.
#[pyfunction]
#[pyo3(name = "_panic_for_tests")]
pub(crate) fn panic_for_tests(message: String) {
    panic!("{message}");
}

pub(crate) fn closed_error(what: &str) -> PyErr {
    ClosedError::new_err(format!(
        "cannot {what}: the client is closed, so nothing it records would be uploaded; {what} \
         before close() (evaluation still answers from the last flags)"
    ))
}
