//! How failures reach JavaScript: bad arguments as `TypeError`s, everything else as `Error`s
//! whose message says what was wrong and what is accepted.

use napi::{Env, Error, Status};

use crate::context::Refused;

/// Throws a `TypeError` with the refusal's message (code `ERR_INVALID_ARG_TYPE`, as Node's own
/// argument checks use) and returns the error that tells napi-rs an exception is pending.
pub(crate) fn type_error(env: &Env, refused: Refused) -> Error {
    match env.throw_type_error(&refused.0, Some("ERR_INVALID_ARG_TYPE")) {
        Ok(()) => Error::new(Status::PendingException, refused.0),
        Err(_) => Error::new(Status::InvalidArg, refused.0),
    }
}

/// A failure of the SDK or of the caller's input that is not about a type (an unreadable flag
/// file, a server that cannot be reached, an invalid counter name).
pub(crate) fn error(message: impl Into<String>) -> Error {
    Error::new(Status::GenericFailure, message.into())
}

/// What a call on a closed client is told.
pub(crate) const CLOSED_MESSAGE: &str = "the cutover client is closed: create another with \
     Client.connect or Client.offline (close() is for the end of the process)";

pub(crate) fn closed() -> Error {
    error(CLOSED_MESSAGE)
}
