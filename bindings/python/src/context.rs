//! A Python `dict` as the SDK's evaluation context: `str` keys, values `str`, `int`, `float` or
//! `bool`. Numbers are handed over in their JSON spelling and booleans as `true`/`false`, as
//! OFREP does and as the conformance file expects, so a rule written for `tenant = 42` or
//! `beta_tester = true` matches whichever SDK evaluates it.

use cutover_sdk::Context;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

const ACCEPTED: &str = "accepted: str, int, float or bool";

/// The context of `ctx`: a dict as above, or `None` for the empty context.
pub(crate) fn context_of(ctx: Option<&Bound<'_, PyAny>>) -> PyResult<Context> {
    let mut out = Context::new();
    let Some(ctx) = ctx else { return Ok(out) };
    if ctx.is_none() {
        return Ok(out);
    }
    let Ok(dict) = ctx.cast::<PyDict>() else {
        return Err(PyTypeError::new_err(format!(
            "the context is {} ({}), not a dict; pass a dict of str keys to values of type str, \
             int, float or bool",
            article_type(ctx),
            short_repr(ctx)
        )));
    };
    for (key, value) in dict.iter() {
        let Ok(key) = key.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "context key {} is {}; context keys are str",
                short_repr(&key),
                article_type(&key)
            )));
        };
        let name = crate::names::name_of(key)?;
        set(&mut out, &name.get().0, &value)?;
    }
    Ok(out)
}

fn set(out: &mut Context, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    if value.is_instance_of::<PyString>() {
        let text: PyBackedStr = value.extract()?;
        out.set(name, &text);
    } else if value.is_instance_of::<PyBool>() {
        out.set(name, if value.is_truthy()? { "true" } else { "false" });
    } else if value.is_instance_of::<PyInt>() {
        match value.extract::<i64>() {
            Ok(n) => out.set(name, &n.to_string()),
            // Beyond 64 bits: the digits, as the number is written in JSON.
            Err(_) => out.set(name, &value.str()?.to_cow()?),
        }
    } else if value.is_instance_of::<PyFloat>() {
        let x: f64 = value.extract()?;
        let Some(number) = serde_json::Number::from_f64(x) else {
            return Err(PyValueError::new_err(format!(
                "context value for {name:?} is {x}, which JSON cannot spell; accepted: a finite \
                 float"
            )));
        };
        out.set(name, &number.to_string());
    } else {
        return Err(PyTypeError::new_err(format!(
            "context value for {name:?} is {} ({}); {ACCEPTED}",
            article_type(value),
            short_repr(value)
        )));
    }
    Ok(())
}

/// "a list", "an int", "a NoneType": the value's type for a message.
pub(crate) fn article_type(value: &Bound<'_, PyAny>) -> String {
    let name = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned());
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// The value's `repr`, cut short: a message names the value, it does not dump it.
pub(crate) fn short_repr(value: &Bound<'_, PyAny>) -> String {
    let text = value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<unprintable>".to_owned());
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}
