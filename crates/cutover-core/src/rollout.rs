//! Rollout shares in basis points (0..=10000), so 0.01 % steps are exact and no float ever
//! decides who is in.

use std::fmt;

use serde::de::{self, Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::CoreError;

/// The share of eligible contexts that take the new path, in basis points (1 bp = 0.01 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rollout(u16);

/// The strings [`Rollout::from_json_text`] accepts, as a regular expression (the OpenAPI
/// document's pattern for a percentage given as a string): 0 to 100, at most two decimals,
/// either side of the point may be empty but not both, leading zeros allowed, an optional `%`.
pub const PERCENT_TEXT_PATTERN: &str =
    r"^0*([0-9]{1,2}(\.[0-9]{0,2})?|\.[0-9]{1,2}|100(\.0{0,2})?)%?$";

impl Rollout {
    pub const NONE: Rollout = Rollout(0);
    pub const FULL: Rollout = Rollout(10_000);

    pub fn from_bps(bps: i64) -> Result<Self, CoreError> {
        match u16::try_from(bps) {
            Ok(b) if b <= 10_000 => Ok(Rollout(b)),
            _ => Err(CoreError::InvalidBasisPoints { bps }),
        }
    }

    pub(crate) const fn from_bps_const(bps: u16) -> Self {
        assert!(bps <= 10_000);
        Rollout(bps)
    }

    /// Parses a decimal percentage exactly: `"12.5"` is 1250 bp, `"0.01"` is 1 bp. A trailing
    /// `%` is allowed. More than two decimals is refused rather than rounded, so what the
    /// operator typed is exactly what applies.
    pub fn from_percent_str(text: &str) -> Result<Self, CoreError> {
        let invalid = |why| CoreError::InvalidPercent {
            value: text.to_owned(),
            why,
        };
        let body = text.trim();
        let body = body.strip_suffix('%').unwrap_or(body).trim_end();
        if body.starts_with('-') {
            return Err(invalid("it is negative"));
        }
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(invalid("it is not a number"));
        }
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(frac) {
            return Err(invalid("it is not a number"));
        }
        if frac.len() > 2 {
            return Err(invalid("it has more than two decimals"));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 3 {
            return Err(invalid("it is above 100"));
        }
        let whole: u32 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid("it is not a number"))?
        };
        let mut frac_bps: u32 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| invalid("it is not a number"))?
        };
        if frac.len() == 1 {
            frac_bps *= 10;
        }
        let bps = whole * 100 + frac_bps;
        if bps > 10_000 {
            return Err(invalid("it is above 100"));
        }
        Ok(Rollout(bps as u16))
    }

    /// Reads a percentage from the JSON text of a value, exactly: a number as it is written
    /// (`12.5`, never the float it rounds to) or a string (`"12.5%"`), both through
    /// [`Rollout::from_percent_str`], without spaces ([`PERCENT_TEXT_PATTERN`]). This is how every
    /// JSON body and file gives a percentage.
    pub fn from_json_text(raw: &str) -> Result<Self, CoreError> {
        let raw = raw.trim();
        if raw.starts_with('"') {
            let text: String =
                serde_json::from_str(raw).map_err(|_| CoreError::InvalidPercent {
                    value: raw.to_owned(),
                    why: "it is not a string or a number",
                })?;
            // The OpenAPI document gives the string's exact form as a pattern; spaces, which
            // the command line tolerates, are not part of it.
            if text.chars().any(char::is_whitespace) {
                return Err(CoreError::InvalidPercent {
                    value: text,
                    why: "a percentage in JSON is written without spaces",
                });
            }
            return Rollout::from_percent_str(&text);
        }
        if raw.contains(['e', 'E']) && raw.bytes().any(|b| b.is_ascii_digit()) {
            return Err(CoreError::InvalidPercent {
                value: raw.to_owned(),
                why: "it has an exponent; write it as a plain decimal",
            });
        }
        Rollout::from_percent_str(raw)
    }

    pub fn bps(self) -> u16 {
        self.0
    }

    pub fn percent(self) -> f64 {
        f64::from(self.0) / 100.0
    }
}

impl fmt::Display for Rollout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}%"),
            f10 if f10 % 10 == 0 => write!(f, "{whole}.{}%", f10 / 10),
            _ => write!(f, "{whole}.{frac:02}%"),
        }
    }
}

impl Serialize for Rollout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(100) {
            s.serialize_u64(u64::from(self.0 / 100))
        } else {
            s.serialize_f64(self.percent())
        }
    }
}

/// The name under which serde_json hands a value's raw text to a visitor (the `raw_value`
/// feature's `RawValue` uses it). Asking for it is how a percentage is read from the text of
/// its JSON number instead of from the float serde would round it to.
const RAW_JSON_TOKEN: &str = "$serde_json::private::RawValue";

/// Reads a percentage from whatever a format offers, exactly when it can: serde_json gives the
/// raw text of the value (a map of one entry, see [`RAW_JSON_TOKEN`]); other self-describing
/// formats (YAML) are asked for the scalar's text; integers, strings and, from formats that
/// only have a float left, the float's shortest text, all go through
/// [`Rollout::from_percent_str`].
struct PercentVisitor;

impl<'de> Visitor<'de> for PercentVisitor {
    type Value = Rollout;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a percentage from 0 to 100 with at most two decimals, such as 12.5")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Rollout, M::Error> {
        // serde_json's raw value: one entry whose value is the JSON text.
        let Some(_token) = map.next_key::<String>()? else {
            return Err(M::Error::invalid_type(de::Unexpected::Map, &self));
        };
        let raw: String = map.next_value()?;
        Rollout::from_json_text(&raw).map_err(M::Error::custom)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Rollout, D::Error> {
        // Not serde_json: YAML gives a plain scalar's text when asked for a string.
        d.deserialize_str(self)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Rollout, E> {
        Rollout::from_percent_str(text).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Rollout, E> {
        Rollout::from_percent_str(&n.to_string()).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Rollout, E> {
        Rollout::from_percent_str(&n.to_string()).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Rollout, E> {
        // Rust writes a float as the shortest decimal that reads back as it, never with an
        // exponent: 1e-21 is refused for its decimals, not rounded to 0.
        Rollout::from_percent_str(&n.to_string()).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Rollout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(RAW_JSON_TOKEN, PercentVisitor)
    }
}

impl Rollout {
    /// For a percentage inside a value serde buffers before reading (an internally tagged enum
    /// such as a guard's `Action`): what the buffer kept, number or string. Such values are
    /// written by cutover itself, exactly; people's input never goes this way.
    pub(crate) fn deserialize_buffered<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Rollout, D::Error> {
        d.deserialize_any(PercentVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bps(text: &str) -> Result<u16, String> {
        Rollout::from_percent_str(text)
            .map(Rollout::bps)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_percentages_exactly() {
        assert_eq!(bps("0"), Ok(0));
        assert_eq!(bps("5"), Ok(500));
        assert_eq!(bps("12.5"), Ok(1250));
        assert_eq!(bps("0.01"), Ok(1));
        assert_eq!(bps(".5"), Ok(50));
        assert_eq!(bps("100"), Ok(10_000));
        assert_eq!(bps("100.00"), Ok(10_000));
        assert_eq!(bps("25%"), Ok(2500));
        assert_eq!(bps("007"), Ok(700));
    }

    #[test]
    fn refuses_out_of_range_and_imprecise_values() {
        for bad in [
            "101", "-1", "100.01", "0.001", "abc", "", ".", "1e2", "5,5", "99999",
        ] {
            let err = bps(bad).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
        assert!(bps("101").unwrap_err().contains("above 100"));
        assert!(bps("-1").unwrap_err().contains("negative"));
    }

    #[test]
    fn displays_without_trailing_zeros() {
        let show = |b: i64| Rollout::from_bps(b).unwrap().to_string();
        assert_eq!(show(500), "5%");
        assert_eq!(show(1250), "12.5%");
        assert_eq!(show(1), "0.01%");
        assert_eq!(show(10_000), "100%");
    }

    #[test]
    fn serde_is_a_percent_number() {
        let r = Rollout::from_bps(1250).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "12.5");
        assert_eq!(serde_json::from_str::<Rollout>("0.07").unwrap().bps(), 7);
        assert!(serde_json::from_str::<Rollout>("0.071").is_err());
        assert!(serde_json::from_str::<Rollout>("101").is_err());
    }

    #[test]
    fn json_numbers_are_read_from_their_text_never_rounded() {
        for text in [
            "99.99999999999999999999",
            "0.000000000000000000001",
            "12.345",
            "1e2",
            "-0.5",
        ] {
            let err = serde_json::from_str::<Rollout>(text)
                .unwrap_err()
                .to_string();
            assert!(err.contains("invalid rollout percentage"), "{text}: {err}");
            assert!(err.contains(text), "{text}: {err}");
        }
        let parse = |text: &str| serde_json::from_str::<Rollout>(text).map(Rollout::bps);
        assert_eq!(parse("100.0").unwrap(), 10_000);
        assert_eq!(parse("\"12.5%\"").unwrap(), 1250);
        assert_eq!(parse(" 7 ").unwrap(), 700);
        assert!(parse("true").is_err());
        // Through a JSON value too (its number is already a float: its shortest text is read).
        let value = serde_json::json!({"p": 0.07});
        assert_eq!(
            serde_json::from_value::<Rollout>(value["p"].clone())
                .unwrap()
                .bps(),
            7
        );
    }
}
