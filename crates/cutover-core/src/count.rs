//! Counts read from JSON as JSON Schema's `integer` defines them: any number without a
//! fractional part, so `3`, `3.0` and `3e0` are all three. The OpenAPI document types counts as
//! `integer`, and a client (or a generator working from the document) may write a whole number
//! with a decimal point; serde's own `u64` would refuse it.
//!
//! A number with a fraction, a negative one, or one past the target type is refused, naming the
//! value. Whole numbers written with a decimal point are exact only up to 2^53 (they arrive as
//! floats); above that they are refused and must be written as integers.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

/// The largest whole number every float at or below it represents exactly.
const EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

struct WholeVisitor<T>(PhantomData<T>);

impl<T: TryFrom<u64>> WholeVisitor<T> {
    fn fit<E: de::Error>(n: u64, shown: &dyn fmt::Display) -> Result<T, E> {
        T::try_from(n).map_err(|_| {
            E::custom(format!(
                "{shown} is too large here; accepted: a whole number from 0 to {}",
                max_of::<T>()
            ))
        })
    }
}

/// The largest value of `T` up to `u64::MAX`, for messages.
fn max_of<T: TryFrom<u64>>() -> u64 {
    let (mut low, mut high) = (0u64, u64::MAX);
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if T::try_from(mid).is_ok() {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    low
}

impl<T: TryFrom<u64>> Visitor<'_> for WholeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number from 0 to {}", max_of::<T>())
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        Self::fit(n, &n)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        match u64::try_from(n) {
            Ok(n) => Self::fit(n, &n),
            Err(_) => Err(E::custom(format!(
                "{n} is negative; accepted: a whole number from 0 to {}",
                max_of::<T>()
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<T, E> {
        if n.fract() != 0.0 || !n.is_finite() {
            return Err(E::custom(format!(
                "{n:?} is not a whole number; accepted: a whole number from 0 to {}",
                max_of::<T>()
            )));
        }
        if n < 0.0 {
            return Err(E::custom(format!(
                "{n:?} is negative; accepted: a whole number from 0 to {}",
                max_of::<T>()
            )));
        }
        if n >= 18_446_744_073_709_551_616.0 {
            return Err(E::custom(format!(
                "{n:?} is too large here; accepted: a whole number from 0 to {}",
                max_of::<T>()
            )));
        }
        if n > EXACT_FLOAT {
            return Err(E::custom(format!(
                "{n:?} has a decimal point or an exponent and is too large to read exactly; write \
                 it as an integer"
            )));
        }
        // Whole and at most 2^53: the conversion is exact.
        Self::fit(n as u64, &format_args!("{n:?}"))
    }
}

/// A whole number that arrived as a float (`3.0`), for visitors that take other types too.
pub fn from_float<E: de::Error>(n: f64) -> Result<u64, E> {
    WholeVisitor::<u64>(PhantomData).visit_f64(n)
}

/// Reads a count (`#[serde(deserialize_with = "crate::count::whole")]`).
pub fn whole<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(WholeVisitor(PhantomData))
}

/// Reads an optional count, `null` being none.
pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_option(OptionalWhole(PhantomData))
}

struct OptionalWhole<T>(PhantomData<T>);

impl<'de, T: TryFrom<u64>> Visitor<'de> for OptionalWhole<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "null or a whole number from 0 to {}", max_of::<T>())
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        whole(d).map(Some)
    }
}

/// A count inside a collection (a map's values, a pair of a sketch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole<T>(pub T);

impl<'de, T: TryFrom<u64>> serde::Deserialize<'de> for Whole<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        whole(d).map(Whole)
    }
}

/// Reads a map of named counts.
pub fn map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, u64>, D::Error> {
    let read: std::collections::BTreeMap<String, Whole<u64>> = serde::Deserialize::deserialize(d)?;
    Ok(read.into_iter().map(|(k, Whole(v))| (k, v)).collect())
}

/// Reads a list of (bucket, count) pairs.
pub fn pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u16, u64)>, D::Error> {
    let read: Vec<(Whole<u16>, Whole<u64>)> = serde::Deserialize::deserialize(d)?;
    Ok(read
        .into_iter()
        .map(|(Whole(b), Whole(n))| (b, n))
        .collect())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Counts {
        #[serde(deserialize_with = "super::whole")]
        n: u64,
        #[serde(default, deserialize_with = "super::optional")]
        v: Option<u64>,
        #[serde(default, deserialize_with = "super::pairs")]
        pairs: Vec<(u16, u64)>,
    }

    fn read(json: &str) -> Result<Counts, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_are_read_however_they_are_written() {
        for text in ["3", "3.0", "3e0", "0.3e1", "3.000"] {
            let c = read(&format!(
                r#"{{"n": {text}, "v": {text}, "pairs": [[{text}, {text}]]}}"#
            ))
            .unwrap();
            assert_eq!((c.n, c.v, c.pairs), (3, Some(3), vec![(3, 3)]), "{text}");
        }
        let c = read(r#"{"n": 18446744073709551615, "v": null}"#).unwrap();
        assert_eq!((c.n, c.v), (u64::MAX, None));
    }

    #[test]
    fn fractions_negatives_and_overflow_are_refused_naming_the_value() {
        for (text, says) in [
            ("3.5", "3.5 is not a whole number"),
            ("-1", "-1 is negative"),
            ("-1.0", "is negative"),
            ("18446744073709551616", "0 to 18446744073709551615"),
            ("1e300", "1e300 is too large"),
            ("1e17", "write it as an integer"),
            ("\"3\"", "a whole number"),
        ] {
            let err = read(&format!(r#"{{"n": {text}}}"#)).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        let err = read(r#"{"n": 1, "pairs": [[65536, 1]]}"#).unwrap_err();
        assert!(err.contains("0 to 65535"), "{err}");
    }
}
