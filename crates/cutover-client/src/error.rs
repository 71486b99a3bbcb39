//! What can go wrong talking to a cutover server.

/// A request that got no usable answer, or a refusal in the API's error shape.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer at all: the address is wrong, the server is down, or it took too long.
    #[error("cannot reach the cutover server at {base}: {detail}")]
    Unreachable { base: String, detail: String },

    /// The server answered with an error: its status and the body's `{error, message, field}`.
    /// The message is the server's own words, the same the store-backed layer gives locally.
    #[error("{message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
        field: Option<String>,
    },

    /// A success whose body is not what the route promises (another program at that address,
    /// or a server of another version).
    #[error("the server's answer to {what} could not be read: {detail}")]
    BadAnswer { what: String, detail: String },

    /// Something this client was given cannot be sent (a URL without a scheme, a header value
    /// with a line break).
    #[error("{0}")]
    Usage(String),
}
