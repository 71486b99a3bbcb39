//! The Tokio runtime the SDK's tasks (the change stream, the uploader) run on: one per process,
//! created on the first connect, with two worker threads (the stream and uploads are I/O bound;
//! evaluation never touches the runtime).

use std::future::Future;
use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("cutover-sdk")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start cutover's runtime: {e}")))
}

/// Whether this thread is one of the runtime's (an `on_change` callback runs on one): waiting
/// for the runtime from here would wait for itself.
pub(crate) fn on_runtime_thread() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// Runs `future` to completion with the GIL released, so Python threads (and the callbacks the
/// stream task calls, which take the GIL) go on while the SDK waits.
pub(crate) fn wait<F>(py: Python<'_>, what: &str, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    if on_runtime_thread() {
        return Err(PyRuntimeError::new_err(format!(
            "cannot {what} from an on_change callback (it runs on the client's stream task, \
             which would wait for itself); do it from another thread"
        )));
    }
    let runtime = runtime()?;
    Ok(py.detach(|| runtime.block_on(future)))
}
