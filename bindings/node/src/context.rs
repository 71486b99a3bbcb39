//! JavaScript evaluation contexts and flag names, read straight from N-API values into buffers
//! that are reused from call to call.
//!
//! The context is what an evaluation pays for in a binding: the decision itself takes tens of
//! nanoseconds. Going through napi-rs's `Object`/`String` conversions would allocate a Rust
//! `String` per key and value on every call; reading each value into one reused buffer allocates
//! nothing once the buffer has grown to the largest context seen. That needs the raw N-API
//! functions, hence the `unsafe` in this module (and only here): every call gets the `env` and
//! values N-API handed to the current call, and buffers with their true capacity.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::c_char;
use std::fmt::Write;
use std::ops::Range;
use std::ptr;

use cutover_core::Attributes;
use napi::sys;

/// What a context may hold, said in every refusal.
const ACCEPTED: &str = "a string, a finite number or a boolean";

/// A context's attributes as text: names and values side by side in one string.
#[derive(Default)]
pub(crate) struct ContextBuffer {
    text: String,
    pairs: Vec<(Range<usize>, Range<usize>)>,
    /// Where N-API writes a string before it is checked and appended to `text`.
    scratch: Vec<u8>,
}

impl Attributes for ContextBuffer {
    #[inline]
    fn attribute(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| &self.text[n.clone()] == name)
            .map(|(_, v)| &self.text[v.clone()])
    }
}

impl ContextBuffer {
    /// The attributes as an owned core context, for work that outlives the call (shadow runs).
    pub(crate) fn to_context(&self) -> cutover_core::Context {
        let mut ctx = cutover_core::Context::new();
        for (n, v) in &self.pairs {
            ctx.set(&self.text[n.clone()], &self.text[v.clone()]);
        }
        ctx
    }
}

/// Why a value could not be read: the message of the `TypeError` the caller throws.
pub(crate) struct Refused(pub(crate) String);

impl From<napi::Status> for Refused {
    fn from(status: napi::Status) -> Self {
        Refused(format!("N-API call failed: {status}"))
    }
}

fn check(status: sys::napi_status) -> Result<(), Refused> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Refused::from(napi::Status::from(status)))
    }
}

thread_local! {
    static BUFFER: RefCell<ContextBuffer> = RefCell::new(ContextBuffer::default());
    static NAME: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with the context `value` (a plain object of strings, numbers and booleans; `undefined`
/// or `null` is the empty context) read into the thread's buffer.
pub(crate) fn with_context<T>(
    env: sys::napi_env,
    value: sys::napi_value,
    f: impl FnOnce(&ContextBuffer) -> T,
) -> Result<T, Refused> {
    with_buffer(env, value, fill, f)
}

/// Runs `f` with a context `index.js` flattened into one string (`name\0value\0` per
/// attribute, values already checked and spelled there): one N-API call instead of about five
/// per attribute.
pub(crate) fn with_flat_context<T>(
    env: sys::napi_env,
    value: sys::napi_value,
    f: impl FnOnce(&ContextBuffer) -> T,
) -> Result<T, Refused> {
    with_buffer(env, value, fill_flat, f)
}

/// Reads `value` into the thread's buffer with `read`, then runs `f` with it.
fn with_buffer<T>(
    env: sys::napi_env,
    value: sys::napi_value,
    read: fn(sys::napi_env, sys::napi_value, &mut ContextBuffer) -> Result<(), Refused>,
    f: impl FnOnce(&ContextBuffer) -> T,
) -> Result<T, Refused> {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => {
            read(env, value, &mut buffer)?;
            Ok(f(&buffer))
        }
        // A getter on the context object evaluated a flag while this one was being read: give
        // that inner call a buffer of its own.
        Err(_) => {
            let mut buffer = ContextBuffer::default();
            read(env, value, &mut buffer)?;
            Ok(f(&buffer))
        }
    })
}

fn fill_flat(
    env: sys::napi_env,
    value: sys::napi_value,
    buffer: &mut ContextBuffer,
) -> Result<(), Refused> {
    buffer.text.clear();
    buffer.pairs.clear();
    if type_of(env, value)? != sys::ValueType::napi_string {
        return Err(Refused(format!(
            "a flattened context must be a string, got {}",
            describe(env, value)
        )));
    }
    read_string(env, value, &mut buffer.scratch)?;
    let text = std::str::from_utf8(&buffer.scratch)
        .map_err(|_| Refused("a context string is not valid text".into()))?;
    buffer.text.push_str(text);
    let mut start = 0;
    let mut name: Option<Range<usize>> = None;
    for (i, byte) in buffer.text.bytes().enumerate() {
        if byte != 0 {
            continue;
        }
        match name.take() {
            None => name = Some(start..i),
            Some(n) => buffer.pairs.push((n, start..i)),
        }
        start = i + 1;
    }
    if name.is_some() || start != buffer.text.len() {
        return Err(Refused(
            "a flattened context is name\\0value\\0 pairs; this one is cut short".into(),
        ));
    }
    Ok(())
}

/// Runs `f` with the string `value` (a flag name), read into the thread's name buffer.
pub(crate) fn with_name<T>(
    env: sys::napi_env,
    value: sys::napi_value,
    what: &str,
    f: impl FnOnce(&str) -> T,
) -> Result<T, Refused> {
    NAME.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let name = read_name(env, value, what, &mut scratch)?;
            Ok(f(name))
        }
        Err(_) => {
            let mut scratch = Vec::new();
            let name = read_name(env, value, what, &mut scratch)?;
            Ok(f(name))
        }
    })
}

fn read_name<'a>(
    env: sys::napi_env,
    value: sys::napi_value,
    what: &str,
    scratch: &'a mut Vec<u8>,
) -> Result<&'a str, Refused> {
    if type_of(env, value)? != sys::ValueType::napi_string {
        return Err(Refused(format!(
            "{what} must be a string, got {}",
            describe(env, value)
        )));
    }
    read_string(env, value, scratch)?;
    std::str::from_utf8(scratch).map_err(|_| Refused(format!("{what} is not valid text")))
}

fn type_of(env: sys::napi_env, value: sys::napi_value) -> Result<sys::napi_valuetype, Refused> {
    let mut kind = 0;
    // SAFETY: env and value come from the N-API call in progress; kind is a valid out pointer.
    check(unsafe { sys::napi_typeof(env, value, &mut kind) })?;
    Ok(kind)
}

fn is_array(env: sys::napi_env, value: sys::napi_value) -> Result<bool, Refused> {
    let mut yes = false;
    // SAFETY: as in type_of.
    check(unsafe { sys::napi_is_array(env, value, &mut yes) })?;
    Ok(yes)
}

/// Reads a JavaScript string's UTF-8 into `out` (replacing what it held).
fn read_string(
    env: sys::napi_env,
    value: sys::napi_value,
    out: &mut Vec<u8>,
) -> Result<(), Refused> {
    if out.capacity() < 64 {
        out.reserve(64);
    }
    let mut written = 0usize;
    // SAFETY: the buffer is `out`'s allocation with its true capacity; N-API writes at most
    // capacity - 1 bytes and a NUL, and reports how many bytes it wrote before the NUL.
    check(unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            out.as_mut_ptr().cast::<c_char>(),
            out.capacity(),
            &mut written,
        )
    })?;
    if written + 1 >= out.capacity() {
        // Possibly cut short: ask for the length, grow, read again.
        let mut length = 0usize;
        // SAFETY: a null buffer asks N-API for the length only.
        check(unsafe {
            sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut length)
        })?;
        out.clear();
        out.reserve(length + 1);
        // SAFETY: as above, with a buffer now large enough for the whole string.
        check(unsafe {
            sys::napi_get_value_string_utf8(
                env,
                value,
                out.as_mut_ptr().cast::<c_char>(),
                out.capacity(),
                &mut written,
            )
        })?;
    }
    // SAFETY: N-API initialised the first `written` bytes.
    unsafe { out.set_len(written) };
    Ok(())
}

/// Reads the context object into `buffer`.
fn fill(
    env: sys::napi_env,
    object: sys::napi_value,
    buffer: &mut ContextBuffer,
) -> Result<(), Refused> {
    buffer.text.clear();
    buffer.pairs.clear();
    let kind = type_of(env, object)?;
    if kind == sys::ValueType::napi_undefined || kind == sys::ValueType::napi_null {
        return Ok(());
    }
    if kind != sys::ValueType::napi_object || is_array(env, object)? {
        return Err(Refused(format!(
            "the context must be an object whose values are each {ACCEPTED}, got {}",
            describe(env, object)
        )));
    }
    let mut keys = ptr::null_mut();
    // SAFETY: env and object come from the call in progress; keys is a valid out pointer.
    check(unsafe {
        sys::napi_get_all_property_names(
            env,
            object,
            sys::KeyCollectionMode::own_only,
            sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
            sys::KeyConversion::numbers_to_strings,
            &mut keys,
        )
    })?;
    let mut count = 0u32;
    // SAFETY: keys is the array N-API just returned.
    check(unsafe { sys::napi_get_array_length(env, keys, &mut count) })?;
    for i in 0..count {
        let mut key = ptr::null_mut();
        let mut value = ptr::null_mut();
        // SAFETY: i is below the array's length; the out pointers are valid.
        check(unsafe { sys::napi_get_element(env, keys, i, &mut key) })?;
        // SAFETY: key is a property name of object.
        check(unsafe { sys::napi_get_property(env, object, key, &mut value) })?;
        let name = append_string(env, key, buffer)?;
        let start = buffer.text.len();
        match type_of(env, value)? {
            sys::ValueType::napi_string => {
                append_string(env, value, buffer)?;
            }
            sys::ValueType::napi_boolean => {
                let mut yes = false;
                // SAFETY: value is a boolean (checked above).
                check(unsafe { sys::napi_get_value_bool(env, value, &mut yes) })?;
                buffer.text.push_str(if yes { "true" } else { "false" });
            }
            sys::ValueType::napi_number => append_number(env, value, buffer, name.clone())?,
            _ => {
                return Err(Refused(format!(
                    "context attribute {:?} is {}; each value must be {ACCEPTED}",
                    &buffer.text[name],
                    describe(env, value)
                )));
            }
        }
        let value_range = start..buffer.text.len();
        buffer.pairs.push((name, value_range));
    }
    Ok(())
}

/// Appends a JavaScript string to the buffer's text; its range there.
fn append_string(
    env: sys::napi_env,
    value: sys::napi_value,
    buffer: &mut ContextBuffer,
) -> Result<Range<usize>, Refused> {
    read_string(env, value, &mut buffer.scratch)?;
    let text = std::str::from_utf8(&buffer.scratch)
        .map_err(|_| Refused("a context string is not valid text".into()))?;
    let start = buffer.text.len();
    buffer.text.push_str(text);
    Ok(start..buffer.text.len())
}

/// A number in its JSON spelling (what `JSON.stringify` writes): integers without a fraction,
/// others as JavaScript spells them. NaN and the infinities have no JSON spelling.
fn append_number(
    env: sys::napi_env,
    value: sys::napi_value,
    buffer: &mut ContextBuffer,
    name: Range<usize>,
) -> Result<(), Refused> {
    let mut number = 0f64;
    // SAFETY: value is a number (checked by the caller).
    check(unsafe { sys::napi_get_value_double(env, value, &mut number) })?;
    if !number.is_finite() {
        return Err(Refused(format!(
            "context attribute {:?} is the number {number}, which has no JSON spelling; each \
             value must be {ACCEPTED}",
            &buffer.text[name]
        )));
    }
    // Integers JavaScript prints without an exponent (below 1e21), written here without a call
    // back into the engine.
    if number.fract() == 0.0 && number.abs() < 1e15 {
        // The cast is exact: an integral value below 2^53.
        let _ = write!(buffer.text, "{}", number as i64);
        return Ok(());
    }
    let mut text = ptr::null_mut();
    // SAFETY: value is a number; JavaScript's ToString gives its JSON spelling.
    check(unsafe { sys::napi_coerce_to_string(env, value, &mut text) })?;
    append_string(env, text, buffer)?;
    Ok(())
}

/// A value's type, as a refusal names it: `an object`, `null`, `an array`, `a function`...
pub(crate) fn describe(env: sys::napi_env, value: sys::napi_value) -> String {
    let Ok(kind) = type_of(env, value) else {
        return "a value of unknown type".into();
    };
    match kind {
        sys::ValueType::napi_undefined => "undefined".into(),
        sys::ValueType::napi_null => "null".into(),
        sys::ValueType::napi_boolean => "a boolean".into(),
        sys::ValueType::napi_number => {
            let mut number = 0f64;
            // SAFETY: value is a number (its type was just read).
            match check(unsafe { sys::napi_get_value_double(env, value, &mut number) }) {
                Ok(()) => format!("the number {number}"),
                Err(_) => "a number".into(),
            }
        }
        sys::ValueType::napi_string => {
            let mut text = Vec::new();
            match read_string(env, value, &mut text) {
                Ok(()) => format!("the string {:?}", String::from_utf8_lossy(&text)),
                Err(_) => "a string".into(),
            }
        }
        sys::ValueType::napi_symbol => "a symbol".into(),
        sys::ValueType::napi_function => "a function".into(),
        sys::ValueType::napi_bigint => "a bigint".into(),
        sys::ValueType::napi_object if is_array(env, value).unwrap_or(false) => "an array".into(),
        sys::ValueType::napi_object => "an object".into(),
        _ => "a value of another kind".into(),
    }
}
