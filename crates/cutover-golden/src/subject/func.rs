//! An in-process subject: a Rust function, for running a corpus from `cargo test` without a
//! process boundary. A panic is reported on its case like a crash, and the run goes on.
//!
//! There is no per-case timeout here: a thread cannot be stopped from outside, so a function
//! that may hang belongs behind a process subject.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;

use super::{Fault, Request, Subject};

/// A function as a subject; see [`from_fn`].
pub struct FnSubject<F> {
    name: String,
    f: F,
}

/// Wraps `f` as a subject named `name` in reports. `Err(message)` fails the case with that
/// message.
///
/// ```
/// use cutover_golden::{from_fn, Subject};
/// let mut router = from_fn("router", |req| {
///     Ok(serde_json::json!({"echo": req.input(), "seed": req.seed()}))
/// });
/// assert_eq!(router.describe(), "router");
/// ```
pub fn from_fn<F>(name: impl Into<String>, f: F) -> FnSubject<F>
where
    F: FnMut(&Request<'_>) -> Result<Value, String> + Send,
{
    FnSubject {
        name: name.into(),
        f,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

impl<F> Subject for FnSubject<F>
where
    F: FnMut(&Request<'_>) -> Result<Value, String> + Send,
{
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn call(&mut self, request: &Request<'_>) -> Result<Value, Fault> {
        // The function is called again after a panic; whatever state it kept is its own affair,
        // as it would be for a process that keeps running after an error.
        match catch_unwind(AssertUnwindSafe(|| (self.f)(request))) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(message)) => Err(Fault::Failed { message }),
            Err(payload) => Err(Fault::Panicked {
                message: panic_message(payload.as_ref()),
            }),
        }
    }
}
