//! What `record`'s and the evaluations' plain arguments mean: the outcome bits and an arm's name,
//! shared by the class methods (`client.rs`, `flag.rs`) and the hot-path functions (`fast.rs`).

use std::time::Duration;

use cutover_core::Variant;
use cutover_sdk::{Counter, Outcome};

/// Bits of `record`'s `outcome` argument; counters follow from bit 3 on.
const ERROR: u32 = 1;
const FALLBACK: u32 = 1 << 1;
const RETRY: u32 = 1 << 2;
const FIRST_COUNTER: u32 = 3;

pub(crate) fn variant_name(variant: Variant) -> String {
    variant.as_str().to_owned()
}

/// The outcome `record`'s arguments describe: `bits` holds the error/fallback/retry bits and,
/// from bit 3 on, the client's `counters` in the order they were named.
pub(crate) fn outcome_of(counters: &[Counter], latency_ms: f64, bits: u32) -> Outcome {
    let latency = if latency_ms.is_finite() && latency_ms > 0.0 {
        Duration::from_secs_f64(latency_ms / 1000.0)
    } else {
        Duration::ZERO
    };
    let mut outcome = Outcome {
        latency,
        error: bits & ERROR != 0,
        fallback: bits & FALLBACK != 0,
        retry: bits & RETRY != 0,
        ..Outcome::default()
    };
    let mut rest = bits >> FIRST_COUNTER;
    while rest != 0 {
        let i = rest.trailing_zeros() as usize;
        if let Some(counter) = counters.get(i) {
            outcome = outcome.count(*counter);
        }
        rest &= rest - 1;
    }
    outcome
}
