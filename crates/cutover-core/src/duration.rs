//! The one grammar of durations, wherever cutover reads one: a plan's bake (`5,25,100 every
//! 10m`, `"bake": "2h"`), a golden budget and timeout (`p95=100ms`, `--timeout 10s`) and the
//! command line's spans (`--guard-interval 500ms`, `--baseline-window 1h`).
//!
//! A duration is a number and a unit with nothing between (`250ms`, `1.5s`, `10m`), or several
//! such from the largest unit down (`1h30m`). Numbers are read as exact decimals, never through
//! a float, so `0.3s` is 300 ms to the nanosecond. A context may hold a duration to more
//! (a bake lasts, and in whole seconds); it says so in its own words.

use std::time::Duration;

use crate::error::CoreError;

/// The units, largest first, with their length in nanoseconds.
const UNITS: [(&str, u128); 8] = [
    ("d", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("µs", 1_000),
    ("ns", 1),
];

/// The longest duration there is (`Duration` counts whole seconds in a `u64`).
const MAX_NANOS: u128 = (u64::MAX as u128 + 1) * 1_000_000_000 - 1;

/// Reads a duration: `90s`, `10m`, `2h`, `1d`, `250ms`, `1.5s`, `500us`, `1h30m`; surrounding
/// spaces are ignored.
pub fn parse_duration(text: &str) -> Result<Duration, CoreError> {
    let invalid = |why: String| CoreError::InvalidDuration {
        text: text.to_owned(),
        why,
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid("it is empty".to_owned()));
    }
    let mut total: u128 = 0;
    // The index in `UNITS` the next component's unit must come after.
    let mut smallest_so_far: Option<usize> = None;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(invalid(
                if smallest_so_far.is_none() && !number.contains(|c: char| c.is_ascii_digit()) {
                    "it does not start with a number (a whole number, or a decimal such as 1.5)"
                        .to_owned()
                } else {
                    format!("{number:?} is not a number")
                },
            ));
        }
        if unit.is_empty() {
            return Err(invalid(format!("{number:?} has no unit")));
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(invalid(format!("unknown unit {unit:?}")));
        };
        if smallest_so_far.is_some_and(|s| index <= s || (s == 5 && index == 6)) {
            return Err(invalid(format!(
                "unit {unit:?} comes after a smaller or equal one; write the largest unit first, \
                 each once"
            )));
        }
        smallest_so_far = Some(index);
        let nanos = component(whole, fraction, UNITS[index].1).ok_or_else(|| {
            CoreError::DurationTooLong {
                text: text.to_owned(),
            }
        })?;
        total = total
            .checked_add(nanos)
            .filter(|t| *t <= MAX_NANOS)
            .ok_or_else(|| CoreError::DurationTooLong {
                text: text.to_owned(),
            })?;
        rest = next;
    }
    let seconds = u64::try_from(total / 1_000_000_000).map_err(|_| CoreError::DurationTooLong {
        text: text.to_owned(),
    })?;
    // The remainder is below a second, so it fits.
    let nanos = (total % 1_000_000_000) as u32;
    Ok(Duration::new(seconds, nanos))
}

/// `whole.fraction` units of `unit` nanoseconds, rounded to the nearest nanosecond; `None` when
/// it does not fit.
fn component(whole: &str, fraction: &str, unit: u128) -> Option<u128> {
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = whole.checked_mul(unit)?;
    // Digits past the 18th are far below a nanosecond even for days; dropping them keeps the
    // product within a u128.
    let fraction = &fraction[..fraction.len().min(18)];
    if !fraction.is_empty() {
        let scale = 10u128.pow(fraction.len() as u32);
        let digits: u128 = fraction.parse().ok()?;
        let part = digits.checked_mul(unit)?;
        nanos = nanos.checked_add((part + scale / 2) / scale)?;
    }
    Some(nanos)
}

/// The largest whole unit: `2h`, `10m`, `90s`, `1d`, and for a fraction of a second `250ms`,
/// `1500ms`, `500us`. [`parse_duration`] reads it back.
pub fn format_duration(d: Duration) -> String {
    if d.subsec_nanos() != 0 {
        let nanos = d.as_nanos();
        return match nanos {
            n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
            n if n % 1_000 == 0 => format!("{}us", n / 1_000),
            n => format!("{n}ns"),
        };
    }
    match d.as_secs() {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests;
