//! `cutover.Client`: the SDK's client, its lifetime (connect, offline, close, `with`), evaluation,
//! outcomes and shadow runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cutover_core::EnvOverrides;
use cutover_sdk::ClientBuilder;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyList, PyString};

use crate::context::{context_of, short_repr};
use crate::decision::{Decision, Status};
use crate::errors::{closed_error, to_py};
use crate::handle::{Flag, View};
use crate::outcome::{Measure, OutcomeArgs, arm_of, new_measure, outcome_of, seconds_of};
use crate::runtime::{on_runtime_thread, runtime, wait};
use crate::shadow::{ShadowRun, sample_of, spec_of};

/// A handle on the live flags of a cutover server (or of a flag file). Share one per process:
/// evaluation reads an in-memory snapshot (no network, no lock), and the change stream keeps it
/// current in the background.
#[pyclass(frozen, weakref, module = "cutover")]
pub(crate) struct Client {
    pub(crate) sdk: cutover_sdk::Client,
    callbacks: Py<PyList>,
    /// Flag name (the Python string) to its handle: evaluation by name goes through a handle
    /// found by the string's hash, with no text conversion and no name lookup in the snapshot.
    handles: Py<PyDict>,
}

/// A flag named by the caller: its handle, or (for a name that cannot be a flag key) the text,
/// which evaluates to the caller's default.
enum Named<'py> {
    Handle(Bound<'py, Flag>),
    Invalid(String),
}

fn env_of(env: Option<BTreeMap<String, String>>) -> PyResult<Option<EnvOverrides>> {
    env.map(|vars| {
        EnvOverrides::from_vars(vars).map_err(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            PyValueError::new_err(format!("invalid environment override: {}", text.join("; ")))
        })
    })
    .transpose()
}

impl Client {
    fn wrap(py: Python<'_>, sdk: cutover_sdk::Client) -> Client {
        let callbacks = PyList::empty(py).unbind();
        crate::callbacks::install(&sdk, callbacks.clone_ref(py));
        Client {
            sdk,
            callbacks,
            handles: PyDict::new(py).unbind(),
        }
    }

    fn named<'py>(&self, flag: &Bound<'py, PyAny>) -> PyResult<Named<'py>> {
        let py = flag.py();
        let handles = self.handles.bind(py);
        let Ok(name) = flag.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "flag name {} is {}; flag names are str",
                short_repr(flag),
                crate::context::article_type(flag)
            )));
        };
        if let Some(found) = handles.get_item(name)?
            && let Ok(handle) = found.cast_into::<Flag>()
        {
            return Ok(Named::Handle(handle));
        }
        let text = name.to_cow()?;
        match self.sdk.flag(&text) {
            Ok(handle) => {
                let handle = Bound::new(
                    py,
                    Flag {
                        flag: handle,
                        client: self.sdk.clone(),
                    },
                )?;
                if handles.len() < crate::names::MOST {
                    handles.set_item(name, &handle)?;
                }
                Ok(Named::Handle(handle))
            }
            Err(_) => Ok(Named::Invalid(text.into_owned())),
        }
    }

    fn ensure_open(&self, what: &str) -> PyResult<()> {
        if self.sdk.is_closed() {
            Err(closed_error(what))
        } else {
            Ok(())
        }
    }
}

#[pymethods]
impl Client {
    /// Follows the server at `url` (e.g. `http://cutover:7070`) with an `sdk` token and waits
    /// for the first snapshot (at most `initial_timeout` seconds; with a `cache_file`, a server
    /// that cannot be reached is not an error as long as the cache reads). `counters` names the
    /// service's own counters (`record(..., counters={"invalid_json"})`). `env` replaces this
    /// process's environment as flags read it: `CUTOVER_FLAG_*` and the variables flags declare
    /// by their own names.
    #[staticmethod]
    #[pyo3(signature = (
        url, token, *, cache_file=None, initial_timeout=5.0, idle_timeout=45.0,
        metrics_interval=5.0, counters=None, env=None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, each optional
    fn connect(
        py: Python<'_>,
        url: String,
        token: String,
        cache_file: Option<PathBuf>,
        initial_timeout: f64,
        idle_timeout: f64,
        metrics_interval: f64,
        counters: Option<Vec<String>>,
        env: Option<BTreeMap<String, String>>,
    ) -> PyResult<Client> {
        let mut builder = ClientBuilder::new(&url, &token)
            .initial_timeout(seconds_of("initial_timeout", initial_timeout)?)
            .idle_timeout(seconds_of("idle_timeout", idle_timeout)?)
            .metrics_interval(seconds_of("metrics_interval", metrics_interval)?)
            .counters(counters.iter().flatten().map(String::as_str));
        if let Some(path) = cache_file {
            builder = builder.cache_file(path);
        }
        if let Some(env) = env_of(env)? {
            builder = builder.env_overrides(env);
        }
        let sdk = wait(py, "connect", builder.connect())?.map_err(to_py)?;
        Ok(Client::wrap(py, sdk))
    }

    /// The flags of a file written by `cutover export` (or a client cache), with no server: for
    /// tests, CI and bootstrapping. `env` replaces this process's `CUTOVER_FLAG_*` variables.
    #[staticmethod]
    #[pyo3(signature = (path, *, env=None))]
    fn offline(
        py: Python<'_>,
        path: PathBuf,
        env: Option<BTreeMap<String, String>>,
    ) -> PyResult<Client> {
        let sdk = match env_of(env)? {
            Some(env) => cutover_sdk::Client::offline_with_env(&path, env),
            None => cutover_sdk::Client::offline(&path),
        }
        .map_err(to_py)?;
        Ok(Client::wrap(py, sdk))
    }

    /// Uploads what was recorded (arm metrics and shadow tallies), then stops following the
    /// stream. Evaluation goes on answering from the last flags, which no longer change.
    /// Returns the metric batches that could not be uploaded (0 when the server took them all).
    /// From an `on_change` callback it starts closing and returns at once (-1).
    fn close(&self, py: Python<'_>) -> PyResult<i64> {
        // No change comes after close: letting go of the callbacks breaks the cycle a callback
        // that refers to its client makes through the SDK, which Python's collector cannot see.
        let callbacks = self.callbacks.bind(py);
        if on_runtime_thread() {
            let sdk = self.sdk.clone();
            runtime()?.spawn(async move { sdk.close().await });
            callbacks.call_method0("clear")?;
            return Ok(-1);
        }
        let left = wait(py, "close", self.sdk.close())?;
        callbacks.call_method0("clear")?;
        Ok(i64::try_from(left).unwrap_or(i64::MAX))
    }

    #[getter]
    fn closed(&self) -> bool {
        self.sdk.is_closed()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    /// Uploads everything recorded so far now (also done every metrics interval). Returns the
    /// batches still waiting (0 when the server took them all).
    fn flush(&self, py: Python<'_>) -> PyResult<usize> {
        if on_runtime_thread() {
            let sdk = self.sdk.clone();
            runtime()?.spawn(async move { sdk.flush_metrics().await });
            return Ok(0);
        }
        wait(py, "flush", self.sdk.flush_metrics())
    }

    /// Where the client stands with its server.
    fn status(&self) -> Status {
        let status = self.sdk.status();
        Status {
            connected: status.connected,
            seq: status.seq,
            staleness: status.staleness.map(|d| d.as_secs_f64()),
            closed: self.sdk.is_closed(),
        }
    }

    /// Batches of arm metrics dropped because the server could not take them in time.
    #[getter]
    fn dropped_metric_batches(&self) -> u64 {
        self.sdk.dropped_metric_batches()
    }

    /// Calls `callback(change)` after every change the client applies, on the client's stream
    /// thread (keep it short). It may call the client back. An exception it raises is logged on
    /// the `cutover` logger and the stream goes on. Returns `callback`, so it works as a
    /// decorator.
    fn on_change<'py>(
        &self,
        py: Python<'py>,
        callback: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !callback.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "on_change takes a callable, called with each change; got {}",
                short_repr(&callback)
            )));
        }
        self.callbacks.bind(py).append(&callback)?;
        Ok(callback)
    }

    /// Whether this context takes the new path. An unknown flag answers `False` (legacy).
    #[pyo3(signature = (flag, ctx=None))]
    fn is_new(&self, flag: &Bound<'_, PyAny>, ctx: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let ctx = context_of(ctx)?;
        Ok(match self.named(flag)? {
            Named::Handle(handle) => handle.get().flag.is_new(&ctx),
            Named::Invalid(name) => self.sdk.is_new(&name, &ctx),
        })
    }

    /// The full decision, with the rule that made it. An unknown flag answers `legacy` with
    /// reason `flag_not_found`.
    #[pyo3(signature = (flag, ctx=None))]
    fn decide(
        &self,
        flag: &Bound<'_, PyAny>,
        ctx: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let ctx = context_of(ctx)?;
        let inner = match self.named(flag)? {
            Named::Handle(handle) => self.sdk.decide(handle.get().flag.key(), &ctx),
            Named::Invalid(name) => self.sdk.decide(&name, &ctx),
        };
        Ok(Decision { inner })
    }

    /// A handle on one flag for hot paths.
    fn flag(&self, name: PyBackedStr) -> PyResult<Flag> {
        let flag = self
            .sdk
            .flag(&name)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Flag {
            flag,
            client: self.sdk.clone(),
        })
    }

    /// Every flag as it stands now, for several decisions that must agree with one state.
    fn view(&self) -> View {
        View {
            view: self.sdk.view(),
        }
    }

    /// Counts one call through an arm of a flag (`"legacy"`, `"new"` or a Decision): its
    /// latency in seconds (or a timedelta), whether it failed, fell back or was retried, and the
    /// named counters it counts in. A few atomic additions; never waits.
    #[pyo3(signature = (flag, arm, latency=None, *, error=false, fallback=false, retry=false, counters=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, each optional
    fn record(
        &self,
        flag: &Bound<'_, PyAny>,
        arm: &Bound<'_, PyAny>,
        latency: Option<&Bound<'_, PyAny>>,
        error: bool,
        fallback: bool,
        retry: bool,
        counters: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.ensure_open("record")?;
        let arm = arm_of(arm)?;
        let args = OutcomeArgs {
            latency,
            error,
            fallback,
            retry,
            counters,
        };
        let outcome = outcome_of(&self.sdk, args)?;
        match self.named(flag)? {
            Named::Handle(handle) => self.sdk.record(handle.get().flag.key(), arm, outcome),
            Named::Invalid(name) => self.sdk.record(&name, arm, outcome),
        }
        Ok(())
    }

    /// Times one call through an arm: `with client.measure(flag, "new") as m: ...`.
    #[pyo3(signature = (flag, arm, *, error_on_exception=true))]
    fn measure(
        &self,
        flag: PyBackedStr,
        arm: &Bound<'_, PyAny>,
        error_on_exception: bool,
    ) -> PyResult<Measure> {
        new_measure(&self.sdk, &flag, arm, error_on_exception)
    }

    /// A shadow run set up for the Python half (`Client.shadow`, `Client.shadow_async`).
    #[pyo3(signature = (flag, ctx=None, *, compare=None, sample=None, timeout=None))]
    fn shadow_run(
        &self,
        flag: String,
        ctx: Option<&Bound<'_, PyAny>>,
        compare: Option<&Bound<'_, PyAny>>,
        sample: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ShadowRun> {
        Ok(ShadowRun {
            client: self.sdk.clone(),
            ctx: context_of(ctx)?,
            spec: spec_of(compare)?,
            sample: match sample {
                Some(s) if !s.is_none() => sample_of(s)?,
                _ => cutover_sdk::Rollout::FULL,
            },
            timeout: match timeout {
                Some(t) if !t.is_none() => crate::outcome::duration_of("timeout", t)?,
                _ => std::time::Duration::from_secs(1),
            },
            flag,
        })
    }

    /// Runs `legacy()` and returns its result; for a sampled context also runs `new(READ_ONLY)`
    /// and counts what it did (value compared under `compare`, exception, timeout) in the
    /// flag's shadow report, which is uploaded with the arm metrics. The new path never reaches
    /// the caller: its exceptions are counted, not raised.
    #[pyo3(signature = (flag, ctx=None, *, legacy, new, compare=None, sample=None, timeout=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn shadow<'py>(
        &self,
        py: Python<'py>,
        flag: String,
        ctx: Option<&Bound<'py, PyAny>>,
        legacy: Bound<'py, PyAny>,
        new: Bound<'py, PyAny>,
        compare: Option<&Bound<'py, PyAny>>,
        sample: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let run = self.shadow_run(flag, ctx, compare, sample, timeout)?;
        py.import("cutover._shadow")?
            .call_method1("run", (run, legacy, new))
    }

    /// `shadow` for asyncio: `await client.shadow_async(...)`. `legacy` and `new` may be
    /// coroutine functions (or plain callables); both run concurrently, and the new one is
    /// bounded by `timeout` (`asyncio.wait_for`).
    #[pyo3(signature = (flag, ctx=None, *, legacy, new, compare=None, sample=None, timeout=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn shadow_async<'py>(
        &self,
        py: Python<'py>,
        flag: String,
        ctx: Option<&Bound<'py, PyAny>>,
        legacy: Bound<'py, PyAny>,
        new: Bound<'py, PyAny>,
        compare: Option<&Bound<'py, PyAny>>,
        sample: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let run = self.shadow_run(flag, ctx, compare, sample, timeout)?;
        py.import("cutover._shadow")?
            .call_method1("run_async", (run, legacy, new))
    }

    /// What the shadow runs of `flag` found so far in this process: runs, compared, per-field
    /// tallies, errors, panics, timeouts and a sample of mismatches.
    fn shadow_report<'py>(
        &self,
        py: Python<'py>,
        flag: PyBackedStr,
    ) -> PyResult<Bound<'py, PyAny>> {
        // Through a JSON value, so the report has the shape it has in JSON (lists, not tuples).
        let report = serde_json::to_value(self.sdk.shadow_report(&flag))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        crate::values::to_python(py, &report)
    }
}
