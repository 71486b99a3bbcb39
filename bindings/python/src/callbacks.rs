//! `on_change` callbacks: the SDK calls one Rust closure on its stream task for every change;
//! it takes the GIL on that thread and calls each Python callback in turn.
//!
//! The callbacks live in a Python list, appended to under the GIL, so registering one from inside
//! a callback (or from any thread) never waits on a lock the stream task holds. A callback that
//! raises, or that panics in Rust code it calls, is logged on the `cutover` logger (or, if
//! logging itself fails, handed to `sys.unraisablehook`) and the stream goes on: one bad callback
//! must not stop a service from seeing a kill switch.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::decision::Change;

pub(crate) fn install(client: &cutover_sdk::Client, callbacks: Py<PyList>) {
    client.on_change(move |change| {
        // `try_attach` is `None` while the interpreter shuts down: nobody is left to tell.
        let _ = Python::try_attach(|py| dispatch(py, callbacks.bind(py), change));
    });
}

fn dispatch(py: Python<'_>, callbacks: &Bound<'_, PyList>, change: &cutover_sdk::Change) {
    // A copy: a callback that registers another does not change the list being walked.
    let current = callbacks.get_slice(0, callbacks.len());
    for callback in current.iter() {
        let called = catch_unwind(AssertUnwindSafe(|| {
            let event = Bound::new(py, Change::from(change))?;
            callback.call1((event,)).map(drop)
        }));
        match called {
            Ok(Ok(())) => {}
            Ok(Err(error)) => report(py, &callback, error),
            Err(panic) => {
                let message = panic_message(&panic);
                let error = pyo3::panic::PanicException::new_err(message);
                report(py, &callback, error);
            }
        }
    }
}

/// The text a panic carried (`panic!("...")` payloads are `&str` or `String`).
pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

fn report(py: Python<'_>, callback: &Bound<'_, PyAny>, error: PyErr) {
    let logged = (|| -> PyResult<()> {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("cutover",))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("exc_info", error.value(py))?;
        logger.call_method(
            "error",
            (
                "on_change callback %r raised; the client goes on following changes",
                callback,
            ),
            Some(&kwargs),
        )?;
        Ok(())
    })();
    if logged.is_err() {
        error.write_unraisable(py, Some(callback));
    }
}
