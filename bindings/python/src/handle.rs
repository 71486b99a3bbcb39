//! A flag resolved once (`client.flag(name)`), for the hottest paths, and a view that pins one
//! state of every flag for several decisions (`client.view()`).

use cutover_sdk::{FlagView, SdkFlag};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;

use crate::context::context_of;
use crate::decision::Decision;
use crate::errors::closed_error;
use crate::outcome::{OutcomeArgs, arm_of, new_measure, outcome_of};

/// One flag of a client: evaluation through it skips the name lookup while the flags stay the
/// same, and finds the flag again after a change.
#[pyclass(frozen, module = "cutover")]
pub(crate) struct Flag {
    pub(crate) flag: SdkFlag,
    pub(crate) client: cutover_sdk::Client,
}

#[pymethods]
impl Flag {
    #[getter]
    fn key(&self) -> &str {
        self.flag.key()
    }

    /// Whether this context takes the new path (`False` while the flag does not exist).
    #[pyo3(signature = (ctx=None))]
    fn is_new(&self, ctx: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        Ok(self.flag.is_new(&context_of(ctx)?))
    }

    /// The full decision, with the rule that made it.
    #[pyo3(signature = (ctx=None))]
    fn decide(&self, ctx: Option<&Bound<'_, PyAny>>) -> PyResult<Decision> {
        Ok(Decision {
            inner: self.client.decide(self.flag.key(), &context_of(ctx)?),
        })
    }

    /// `Client.record` for this flag.
    #[pyo3(signature = (arm, latency=None, *, error=false, fallback=false, retry=false, counters=None))]
    fn record(
        &self,
        arm: &Bound<'_, PyAny>,
        latency: Option<&Bound<'_, PyAny>>,
        error: bool,
        fallback: bool,
        retry: bool,
        counters: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        if self.client.is_closed() {
            return Err(closed_error("record"));
        }
        let arm = arm_of(arm)?;
        let args = OutcomeArgs {
            latency,
            error,
            fallback,
            retry,
            counters,
        };
        let outcome = outcome_of(&self.client, args)?;
        self.client.record(self.flag.key(), arm, outcome);
        Ok(())
    }

    /// `Client.measure` for this flag.
    #[pyo3(signature = (arm, *, error_on_exception=true))]
    fn measure(
        &self,
        arm: &Bound<'_, PyAny>,
        error_on_exception: bool,
    ) -> PyResult<crate::outcome::Measure> {
        new_measure(&self.client, self.flag.key(), arm, error_on_exception)
    }

    fn __repr__(&self) -> String {
        format!("Flag({:?})", self.flag.key())
    }
}

/// Every flag as it stood when `client.view()` was called: the decisions of one request that
/// must agree with one state (flags a preset moves together) read from a view.
#[pyclass(frozen, module = "cutover")]
pub(crate) struct View {
    pub(crate) view: FlagView,
}

#[pymethods]
impl View {
    #[pyo3(signature = (flag, ctx=None))]
    fn is_new(&self, flag: PyBackedStr, ctx: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        Ok(self.view.is_new(&flag, &context_of(ctx)?))
    }

    #[pyo3(signature = (flag, ctx=None))]
    fn decide(&self, flag: PyBackedStr, ctx: Option<&Bound<'_, PyAny>>) -> PyResult<Decision> {
        Ok(Decision {
            inner: self.view.decide(&flag, &context_of(ctx)?).into_owned(),
        })
    }
}
