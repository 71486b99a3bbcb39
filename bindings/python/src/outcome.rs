//! Outcomes of calls through an arm (`record`, `measure`): the input of guarded rollouts.

use std::time::{Duration, Instant};

use cutover_sdk::{Outcome, Variant};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyString};

use crate::context::{article_type, short_repr};
use crate::decision::Decision;
use crate::errors::closed_error;

/// `"legacy"` or `"new"`, or the variant of a `Decision`.
pub(crate) fn arm_of(arm: &Bound<'_, PyAny>) -> PyResult<Variant> {
    // Literals are interned: the same object as these, most of the time.
    let py = arm.py();
    if arm.is(pyo3::intern!(py, "new")) {
        return Ok(Variant::New);
    }
    if arm.is(pyo3::intern!(py, "legacy")) {
        return Ok(Variant::Legacy);
    }
    if let Ok(decision) = arm.cast::<Decision>() {
        return Ok(decision.get().inner.variant);
    }
    if let Ok(text) = arm.extract::<PyBackedStr>() {
        match &*text {
            "legacy" => return Ok(Variant::Legacy),
            "new" => return Ok(Variant::New),
            _ => {}
        }
    }
    Err(PyValueError::new_err(format!(
        "arm {} is not an arm; accepted: \"legacy\", \"new\" or a Decision",
        short_repr(arm)
    )))
}

/// Seconds as a float or int, or a `datetime.timedelta`.
pub(crate) fn duration_of(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let seconds = match value.extract::<f64>() {
        Ok(s) => s,
        Err(_) => match value.call_method0("total_seconds") {
            Ok(s) => s.extract::<f64>()?,
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "{name} is {} ({}); accepted: seconds as a float or int, or a \
                     datetime.timedelta",
                    article_type(value),
                    short_repr(value)
                )));
            }
        },
    };
    seconds_of(name, seconds)
}

pub(crate) fn seconds_of(name: &str, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} is {seconds} s; accepted: a finite number of seconds, 0 or more"
        ))
    })
}

/// The counters named in `counters`: an iterable of names, or a dict of name to whether the call
/// counts in it.
fn add_counters(
    client: &cutover_sdk::Client,
    mut outcome: Outcome,
    counters: &Bound<'_, PyAny>,
) -> PyResult<Outcome> {
    let mut add = |name: &Bound<'_, PyAny>| -> PyResult<()> {
        let Ok(text) = name.extract::<PyBackedStr>() else {
            return Err(PyTypeError::new_err(format!(
                "counter {} is {}; counter names are str",
                short_repr(name),
                article_type(name)
            )));
        };
        let counter = client
            .counter(&text)
            .ok_or_else(|| unknown_counter(&text))?;
        outcome = outcome.count(counter);
        Ok(())
    };
    if let Ok(dict) = counters.cast::<PyDict>() {
        for (name, yes) in dict.iter() {
            if yes.is_truthy()? {
                add(&name)?;
            }
        }
    } else if counters.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "counters is the str {}; pass a set or list of counter names, e.g. {{{}}}",
            short_repr(counters),
            short_repr(counters)
        )));
    } else {
        for name in counters.try_iter()? {
            add(&name?)?;
        }
    }
    Ok(outcome)
}

fn unknown_counter(name: &str) -> PyErr {
    PyValueError::new_err(format!(
        "no counter {name:?} on this client; name the service's counters when connecting: \
         Client.connect(url, token, counters=[{name:?}, ...])"
    ))
}

pub(crate) struct OutcomeArgs<'a, 'py> {
    pub latency: Option<&'a Bound<'py, PyAny>>,
    pub error: bool,
    pub fallback: bool,
    pub retry: bool,
    pub counters: Option<&'a Bound<'py, PyAny>>,
}

pub(crate) fn outcome_of(
    client: &cutover_sdk::Client,
    args: OutcomeArgs<'_, '_>,
) -> PyResult<Outcome> {
    let latency = match args.latency {
        Some(l) => duration_of("latency", l)?,
        None => Duration::ZERO,
    };
    let outcome = Outcome {
        latency,
        error: args.error,
        fallback: args.fallback,
        retry: args.retry,
        ..Outcome::default()
    };
    match args.counters {
        Some(c) if !c.is_none() => add_counters(client, outcome, c),
        _ => Ok(outcome),
    }
}

/// Times one call through an arm: `with client.measure("flag", "new") as m: ...`. The call's
/// latency is recorded when the block ends; an exception escaping the block counts as an error
/// (unless `error_on_exception=False`), and `m.error()`, `m.fallback()`, `m.retry()` and
/// `m.count(name)` mark the outcome by hand.
#[pyclass(module = "cutover")]
pub(crate) struct Measure {
    pub(crate) client: cutover_sdk::Client,
    pub(crate) flag: String,
    pub(crate) arm: Variant,
    pub(crate) started: Instant,
    pub(crate) outcome: Outcome,
    pub(crate) error_on_exception: bool,
    pub(crate) recorded: bool,
}

#[pymethods]
impl Measure {
    fn __enter__(mut slf: PyRefMut<'_, Self>) -> PyRefMut<'_, Self> {
        slf.started = Instant::now();
        slf
    }

    #[pyo3(signature = (exc_type=None, _exc=None, _traceback=None))]
    fn __exit__(
        &mut self,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        if exc_type.is_some_and(|t| !t.is_none()) && self.error_on_exception {
            self.outcome.error = true;
        }
        self.finish();
        false
    }

    /// Marks the call as failed.
    fn error(&mut self) {
        self.outcome.error = true;
    }

    /// Marks the call as having fallen back to the other path.
    fn fallback(&mut self) {
        self.outcome.fallback = true;
    }

    /// Marks the call as retried.
    fn retry(&mut self) {
        self.outcome.retry = true;
    }

    /// Counts the call in one of the client's named counters.
    fn count(&mut self, name: PyBackedStr) -> PyResult<()> {
        let counter = self
            .client
            .counter(&name)
            .ok_or_else(|| unknown_counter(&name))?;
        self.outcome = self.outcome.count(counter);
        Ok(())
    }

    /// Seconds since the measurement started.
    #[getter]
    fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

impl Measure {
    fn finish(&mut self) {
        if self.recorded {
            return;
        }
        self.recorded = true;
        self.outcome.latency = self.started.elapsed();
        self.client.record(&self.flag, self.arm, self.outcome);
    }
}

pub(crate) fn new_measure(
    client: &cutover_sdk::Client,
    flag: &str,
    arm: &Bound<'_, PyAny>,
    error_on_exception: bool,
) -> PyResult<Measure> {
    if client.is_closed() {
        return Err(closed_error("measure"));
    }
    Ok(Measure {
        client: client.clone(),
        flag: flag.to_owned(),
        arm: arm_of(arm)?,
        started: Instant::now(),
        outcome: Outcome::default(),
        error_on_exception,
        recorded: false,
    })
}
