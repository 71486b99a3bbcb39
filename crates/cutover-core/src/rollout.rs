//! Rollout shares in basis points (0..=10000), so 0.01 % steps are exact and no float ever
//! decides who is in.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::CoreError;

/// The share of eligible contexts that take the new path, in basis points (1 bp = 0.01 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rollout(u16);

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

    /// Converts a JSON number of percent, refusing values that are not a whole number of basis
    /// points (within float noise) instead of silently rounding them.
    pub fn from_percent_f64(percent: f64) -> Result<Self, CoreError> {
        let invalid = |why| CoreError::InvalidPercent {
            value: percent.to_string(),
            why,
        };
        if !percent.is_finite() {
            return Err(invalid("it is not a number"));
        }
        if percent < 0.0 {
            return Err(invalid("it is negative"));
        }
        if percent > 100.0 {
            return Err(invalid("it is above 100"));
        }
        let scaled = percent * 100.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return Err(invalid("it has more than two decimals"));
        }
        Ok(Rollout(rounded as u16))
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

impl<'de> Deserialize<'de> for Rollout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(d)?;
        Rollout::from_percent_f64(value).map_err(serde::de::Error::custom)
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
}
