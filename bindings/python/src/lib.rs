//! `cutover._native`: the Rust half of the Python package `cutover`.
//!
//! Everything that decides (evaluation, sampling, comparison, tallies, uploads, the stream) is
//! `cutover-sdk`; this crate only converts between Python objects and the SDK's types, owns the
//! Tokio runtime the SDK needs, and releases the GIL wherever the SDK may wait. The Python half
//! (`python/cutover`) adds what is idiomatic there and has no logic of its own: the asyncio
//! shadow, the OpenFeature provider, the read-only marker.

use pyo3::prelude::*;

mod callbacks;
mod client;
mod context;
mod decision;
mod errors;
mod handle;
mod names;
mod outcome;
mod runtime;
mod shadow;
mod values;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<client::Client>()?;
    m.add_class::<handle::Flag>()?;
    m.add_class::<handle::View>()?;
    m.add_class::<decision::Decision>()?;
    m.add_class::<decision::Status>()?;
    m.add_class::<decision::Change>()?;
    m.add_class::<outcome::Measure>()?;
    m.add_class::<shadow::ShadowRun>()?;
    m.add_class::<shadow::ComparisonSpec>()?;
    m.add("CutoverError", py.get_type::<errors::CutoverError>())?;
    m.add("ConnectError", py.get_type::<errors::ConnectError>())?;
    m.add("FlagFileError", py.get_type::<errors::FlagFileError>())?;
    m.add("ClosedError", py.get_type::<errors::ClosedError>())?;
    // What a Rust panic becomes in Python (a BaseException): shadow runs count it as a panic.
    m.add(
        "PanicException",
        py.get_type::<pyo3::panic::PanicException>(),
    )?;
    m.add_function(wrap_pyfunction!(errors::panic_for_tests, m)?)?;
    Ok(())
}
