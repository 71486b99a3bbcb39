//! Shadow runs driven from Python: the Python half (`cutover/_shadow.py`) runs the legacy and
//! the new callables, synchronously or as asyncio coroutines; whether a context is sampled, the
//! comparison under the spec and the tallies are the SDK's (`Shadow::sampled`, `Shadow::record`).

use std::time::Duration;

use cutover_sdk::{Context, NewOutcome, Rollout};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use serde_json::Value;

use crate::values::{from_python, json_of};

/// A comparison spec, parsed once: `{"fields": {"confidence": {"rule": "within", "eps": 0.05},
/// "trace_id": {"rule": "ignore"}, "candidates": {"rule": "unordered"}}}`. Pass it (or the
/// dict itself) as `compare=` to `Client.shadow`.
#[pyclass(frozen, module = "cutover")]
pub(crate) struct ComparisonSpec {
    pub(crate) inner: cutover_sdk::ComparisonSpec,
}

#[pymethods]
impl ComparisonSpec {
    #[new]
    fn new(spec: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(ComparisonSpec {
            inner: from_python("comparison spec", spec)?,
        })
    }

    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::values::to_python(py, &self.inner)
    }
}

pub(crate) fn spec_of(compare: Option<&Bound<'_, PyAny>>) -> PyResult<cutover_sdk::ComparisonSpec> {
    match compare {
        None => Ok(cutover_sdk::ComparisonSpec::default()),
        Some(c) if c.is_none() => Ok(cutover_sdk::ComparisonSpec::default()),
        Some(c) => match c.cast::<ComparisonSpec>() {
            Ok(spec) => Ok(spec.get().inner.clone()),
            Err(_) => from_python("comparison spec", c),
        },
    }
}

/// A share of contexts in percent: a number or its text (`12.5`, `"0.01"`), exact to 0.01 %.
pub(crate) fn sample_of(sample: &Bound<'_, PyAny>) -> PyResult<Rollout> {
    let text = if let Ok(s) = sample.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else if let Ok(n) = sample.extract::<i64>() {
        n.to_string()
    } else if let Ok(x) = sample.extract::<f64>() {
        serde_json::Number::from_f64(x)
            .map(|n| n.to_string())
            .unwrap_or_else(|| x.to_string())
    } else {
        return Err(PyValueError::new_err(format!(
            "sample {} is not a percentage; accepted: a number from 0 to 100",
            crate::context::short_repr(sample)
        )));
    };
    Rollout::from_percent_str(&text)
        .map_err(|e| PyValueError::new_err(format!("sample {text}: {e}")))
}

/// One shadow run of a flag for one context, set up: asks the SDK whether the context is
/// sampled and hands it the new path's outcome. Made by `Client.shadow`/`shadow_async`.
#[pyclass(frozen, module = "cutover")]
pub(crate) struct ShadowRun {
    pub(crate) client: cutover_sdk::Client,
    pub(crate) flag: String,
    pub(crate) ctx: Context,
    pub(crate) spec: cutover_sdk::ComparisonSpec,
    pub(crate) sample: Rollout,
    pub(crate) timeout: Duration,
}

impl ShadowRun {
    fn record(&self, legacy: &Bound<'_, PyAny>, outcome: NewOutcome<Value>) -> PyResult<()> {
        let legacy = json_of("the legacy path's result", legacy)?;
        self.client
            .shadow(&self.flag, &self.ctx)
            .compare(self.spec.clone())
            .sample(self.sample)
            .timeout(self.timeout)
            .record(&legacy, outcome);
        Ok(())
    }
}

#[pymethods]
impl ShadowRun {
    #[getter]
    fn flag(&self) -> &str {
        &self.flag
    }

    /// Whether this context is shadowed (sticky: the same context is always in or always out).
    /// A closed client shadows nothing: it could never upload what it found.
    #[getter]
    fn sampled(&self) -> bool {
        !self.client.is_closed()
            && self
                .client
                .shadow(&self.flag, &self.ctx)
                .sample(self.sample)
                .sampled()
    }

    /// Seconds the new path is given.
    #[getter]
    fn timeout(&self) -> f64 {
        self.client
            .shadow(&self.flag, &self.ctx)
            .timeout(self.timeout)
            .time_limit()
            .as_secs_f64()
    }

    /// The new path returned `value`: compared with `legacy` under the spec. A value that is not
    /// JSON-compatible counts as an error of the new path.
    fn record_value(&self, legacy: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let outcome = match json_of("the new path's result", value) {
            Ok(v) => NewOutcome::Done(v),
            Err(e) => NewOutcome::Error(e.to_string()),
        };
        self.record(legacy, outcome)
    }

    /// The new path raised; `message` says what.
    fn record_error(&self, legacy: &Bound<'_, PyAny>, message: String) -> PyResult<()> {
        self.record(legacy, NewOutcome::Error(message))
    }

    /// The new path panicked (a Rust panic, `PanicException`, escaped it).
    fn record_panic(&self, legacy: &Bound<'_, PyAny>) -> PyResult<()> {
        self.record(legacy, NewOutcome::Panicked)
    }

    /// The new path did not finish within the timeout.
    fn record_timeout(&self, legacy: &Bound<'_, PyAny>) -> PyResult<()> {
        self.record(legacy, NewOutcome::TimedOut)
    }
}
