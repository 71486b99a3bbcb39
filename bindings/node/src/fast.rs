//! `isNew` on the hot path, as raw N-API functions.
//!
//! A `#[napi]` class method pays for napi-rs's borrow tracking on every call (a mutex, a hash
//! map insert and remove, an allocation), which measured as much as the JavaScript-to-native
//! crossing itself and more than the decision. `isNew` is the call a service makes on every
//! request, so it goes around that glue: `index.js` holds an *evaluator*, an N-API external
//! over the SDK client (or one flag handle), and calls the two plain functions below with it.
//! Nothing here decides anything: the SDK evaluates, `context.rs` reads the strings.
//!
//! An external is only read after its type tag proved it is one of ours, so a stray value
//! passed to these functions is a `TypeError`, never a wild pointer. A panic is caught before it
//! could cross the `extern "C"` boundary and becomes a JavaScript `Error`.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use cutover_core::Variant;
use cutover_sdk::{Client, Counter, SdkFlag};
use napi::bindgen_prelude::{Object, Unknown};
use napi::{Env, JsValue, Result, sys};
use napi_derive::napi;

use crate::client::outcome_of;
use crate::context::{with_flat_context, with_name};
use crate::failure::{CLOSED_MESSAGE, error};

/// Marks the externals this module made (a random 128-bit value, as N-API asks).
const TAG: sys::napi_type_tag = sys::napi_type_tag {
    lower: 0x6f3c_1d2e_9a47_b851,
    upper: 0xc4e0_27b9_5d18_a36f,
};

/// What an evaluator evaluates: any flag of a client by name, or one flag through its handle.
/// A client's evaluator also records, so it carries the client's counters by their bits.
pub(crate) enum Evaluator {
    ByName {
        client: Client,
        counters: Vec<Counter>,
    },
    Flag {
        handle: SdkFlag,
        client: Client,
    },
}

impl Evaluator {
    fn client(&self) -> &Client {
        match self {
            Evaluator::ByName { client, .. } | Evaluator::Flag { client, .. } => client,
        }
    }
}

/// Wraps `evaluator` in a tagged external that frees it when JavaScript lets go of it.
pub(crate) fn external(env: &Env, evaluator: Evaluator) -> Result<Unknown<'static>> {
    let raw_env = env.raw();
    let data = Box::into_raw(Box::new(evaluator));
    let mut value = ptr::null_mut();
    // SAFETY: `data` is a live allocation owned by the external from here on; `drop_evaluator`
    // frees it exactly once, when the external is collected.
    let status = unsafe {
        sys::napi_create_external(
            raw_env,
            data.cast::<c_void>(),
            Some(drop_evaluator),
            ptr::null_mut(),
            &mut value,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: the external was not created, so nothing else owns `data`.
        drop(unsafe { Box::from_raw(data) });
        return Err(error(
            "cannot create the evaluator (N-API refused the external)",
        ));
    }
    // SAFETY: `value` is the external just created in this call's environment.
    let status = unsafe { sys::napi_type_tag_object(raw_env, value, &TAG) };
    if status != sys::Status::napi_ok {
        return Err(error("cannot tag the evaluator"));
    }
    // SAFETY: `value` is a valid value of this environment, returned straight to JavaScript.
    Ok(unsafe { Unknown::from_raw_unchecked(raw_env, value) })
}

unsafe extern "C" fn drop_evaluator(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Box<Evaluator>` `external` leaked, finalised once by N-API.
    drop(unsafe { Box::from_raw(data.cast::<Evaluator>()) });
}

/// Registers `isNewByName(evaluator, flag, flatContext)`, `isNewByHandle(evaluator,
/// flatContext)` and `recordByName(evaluator, flag, newArm, latencyMs, outcomeBits)` on the
/// module.
#[napi(module_exports)]
pub fn register(exports: Object<'_>, env: Env) -> Result<()> {
    define(&env, &exports, c"isNewByName", is_new_by_name)?;
    define(&env, &exports, c"isNewByHandle", is_new_by_handle)?;
    define(&env, &exports, c"recordByName", record_by_name)?;
    Ok(())
}

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

fn define(env: &Env, exports: &Object<'_>, name: &std::ffi::CStr, f: Callback) -> Result<()> {
    let mut function = ptr::null_mut();
    // SAFETY: a function made from a static name and an `extern "C"` callback of this module.
    let status = unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr(),
            name.to_bytes().len() as isize,
            Some(f),
            ptr::null_mut(),
            &mut function,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(error(format!("cannot define {name:?}")));
    }
    // SAFETY: both values belong to the environment the module is being loaded in.
    let status =
        unsafe { sys::napi_set_named_property(env.raw(), exports.raw(), name.as_ptr(), function) };
    if status != sys::Status::napi_ok {
        return Err(error(format!("cannot export {name:?}")));
    }
    Ok(())
}

/// What went wrong, as the exception JavaScript receives.
enum Thrown {
    Type(String),
    Plain(String),
}

unsafe extern "C" fn is_new_by_name(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    answer(env, || {
        let [evaluator, flag, ctx] = arguments::<3>(env, info)?;
        let Evaluator::ByName { client, .. } = evaluator_of(env, evaluator)? else {
            return Err(Thrown::Type(
                "isNewByName needs a client's evaluator".into(),
            ));
        };
        with_name(env, flag, "the flag name", |key| {
            with_flat_context(env, ctx, |attributes| client.is_new(key, attributes))
        })
        .and_then(|inner| inner)
        .map(Answer::Bool)
        .map_err(|refused| Thrown::Type(refused.0))
    })
}

unsafe extern "C" fn is_new_by_handle(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    answer(env, || {
        let [evaluator, ctx] = arguments::<2>(env, info)?;
        let Evaluator::Flag { handle, .. } = evaluator_of(env, evaluator)? else {
            return Err(Thrown::Type(
                "isNewByHandle needs a flag's evaluator".into(),
            ));
        };
        with_flat_context(env, ctx, |attributes| handle.is_new(attributes))
            .map(Answer::Bool)
            .map_err(|refused| Thrown::Type(refused.0))
    })
}

/// `index.js` has checked the outcome object and turned it into `newArm`, `latencyMs` and the
/// outcome bits; this reads them as the types it was given and counts the call.
unsafe extern "C" fn record_by_name(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    answer(env, || {
        let [evaluator, flag, new_arm, latency_ms, bits] = arguments::<5>(env, info)?;
        let Evaluator::ByName { client, counters } = evaluator_of(env, evaluator)? else {
            return Err(Thrown::Type(
                "recordByName needs a client's evaluator".into(),
            ));
        };
        let mut is_new = false;
        // SAFETY: an argument of the call in progress; a non-boolean answers an error status.
        if unsafe { sys::napi_get_value_bool(env, new_arm, &mut is_new) } != sys::Status::napi_ok {
            return Err(Thrown::Type("recordByName's arm must be a boolean".into()));
        }
        let mut latency = 0f64;
        // SAFETY: as above, for a number.
        if unsafe { sys::napi_get_value_double(env, latency_ms, &mut latency) }
            != sys::Status::napi_ok
        {
            return Err(Thrown::Type(
                "recordByName's latency must be a number".into(),
            ));
        }
        let mut outcome_bits = 0u32;
        // SAFETY: as above, for a number read as an unsigned 32-bit integer.
        if unsafe { sys::napi_get_value_uint32(env, bits, &mut outcome_bits) }
            != sys::Status::napi_ok
        {
            return Err(Thrown::Type(
                "recordByName's outcome bits must be a number".into(),
            ));
        }
        let arm = if is_new {
            Variant::New
        } else {
            Variant::Legacy
        };
        let outcome = outcome_of(counters, latency, outcome_bits);
        with_name(env, flag, "the flag name", |key| {
            client.record(key, arm, outcome)
        })
        .map(|()| Answer::Undefined)
        .map_err(|refused| Thrown::Type(refused.0))
    })
}

/// What a call gives back to JavaScript.
enum Answer {
    Bool(bool),
    Undefined,
}

/// Runs `body`, turning its answer into a JavaScript value and its refusal (or a panic) into
/// a thrown exception.
fn answer(
    env: sys::napi_env,
    body: impl FnOnce() -> std::result::Result<Answer, Thrown>,
) -> sys::napi_value {
    let thrown = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(answer)) => {
            let mut value = ptr::null_mut();
            // SAFETY: env is the environment of the call in progress.
            let status = unsafe {
                match answer {
                    Answer::Bool(yes) => sys::napi_get_boolean(env, yes, &mut value),
                    Answer::Undefined => sys::napi_get_undefined(env, &mut value),
                }
            };
            if status == sys::Status::napi_ok {
                return value;
            }
            Thrown::Plain("cannot create the answer".into())
        }
        Ok(Err(thrown)) => thrown,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic without a message");
            Thrown::Plain(format!("cutover panicked: {message}"))
        }
    };
    let (message, type_error) = match thrown {
        Thrown::Type(message) => (message, true),
        Thrown::Plain(message) => (message, false),
    };
    // A message with a NUL cannot be a C string: cut it there.
    let message = message.split('\0').next().unwrap_or_default();
    let mut text = Vec::with_capacity(message.len() + 1);
    text.extend_from_slice(message.as_bytes());
    text.push(0);
    // SAFETY: `text` is NUL-terminated and outlives the call; env is the call's environment.
    unsafe {
        let text = text.as_ptr().cast::<c_char>();
        if type_error {
            sys::napi_throw_type_error(env, c"ERR_INVALID_ARG_TYPE".as_ptr(), text);
        } else {
            sys::napi_throw_error(env, ptr::null(), text);
        }
    }
    ptr::null_mut()
}

/// The call's first `N` arguments (`undefined` where fewer were passed).
fn arguments<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> std::result::Result<[sys::napi_value; N], Thrown> {
    let mut argv = [ptr::null_mut(); N];
    let mut argc = N;
    // SAFETY: argv has room for argc values; N-API fills the missing ones with undefined.
    let status = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok {
        return Err(Thrown::Plain("cannot read the call's arguments".into()));
    }
    Ok(argv)
}

/// The evaluator behind `value`, once its tag proved it is one; refused when its client closed.
fn evaluator_of<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
) -> std::result::Result<&'a Evaluator, Thrown> {
    let mut ours = false;
    // SAFETY: value is an argument of the call in progress; a non-object answers an error status.
    let status = unsafe { sys::napi_check_object_type_tag(env, value, &TAG, &mut ours) };
    if status != sys::Status::napi_ok {
        // The engine may have thrown converting a primitive to an object; this refusal replaces
        // that exception.
        clear_exception(env);
    }
    if status != sys::Status::napi_ok || !ours {
        return Err(Thrown::Type("expected a cutover evaluator".into()));
    }
    let mut data = ptr::null_mut();
    // SAFETY: a value carrying our tag is an external this module made.
    let status = unsafe { sys::napi_get_value_external(env, value, &mut data) };
    if status != sys::Status::napi_ok || data.is_null() {
        return Err(Thrown::Type("expected a cutover evaluator".into()));
    }
    // SAFETY: the external owns a live `Evaluator` until it is collected, which cannot happen
    // while it is an argument of the call in progress.
    let evaluator = unsafe { &*data.cast::<Evaluator>() };
    if evaluator.client().is_closed() {
        return Err(Thrown::Plain(CLOSED_MESSAGE.into()));
    }
    Ok(evaluator)
}

/// Drops an exception N-API left pending, so the refusal thrown instead can be seen.
fn clear_exception(env: sys::napi_env) {
    let mut exception = ptr::null_mut();
    // SAFETY: env is the environment of the call in progress; the exception is discarded.
    unsafe { sys::napi_get_and_clear_last_exception(env, &mut exception) };
}
