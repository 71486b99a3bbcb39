//! Token secrets: drawn by the layer, shown once, stored only as their hash.

use cutover_api::ControlError;
use cutover_core::TOKEN_PREFIX;

/// A new token secret: the prefix and 256 random bits in hex. It is shown once and stored only
/// as its hash.
pub fn new_token_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let mut secret = String::with_capacity(TOKEN_PREFIX.len() + 64);
    secret.push_str(TOKEN_PREFIX);
    for b in bytes {
        use std::fmt::Write;
        let _ = write!(secret, "{b:02x}");
    }
    Ok(secret)
}

pub(crate) fn draw() -> Result<String, ControlError> {
    new_token_secret().map_err(|e| {
        ControlError::failure(
            "no_randomness",
            format!("cannot draw a random token secret: {e}"),
        )
    })
}
