//! Exact decimal arithmetic on JSON number literals, so a tolerance of 0.05 means 0.05: binary
//! floating point would call |1.05 - 1.00| = 0.050000000000000044 and fail a boundary case.

use std::cmp::Ordering;

/// `mantissa * 10^-scale`, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// More digits than this after the point are refused rather than rounded.
const MAX_SCALE: u32 = 30;

impl Decimal {
    /// Parses a JSON number literal (`-12.5`, `1e-3`, `0.05`). `None` when it cannot be held
    /// exactly.
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let (number, exponent) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (negative, digits) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty()
            || !whole
                .bytes()
                .chain(fraction.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut mantissa: i128 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(i128::from(b - b'0'))?;
        }
        let mut scale = i64::try_from(fraction.len()).ok()? - i64::from(exponent);
        while scale < 0 {
            mantissa = mantissa.checked_mul(10)?;
            scale += 1;
        }
        let scale = u32::try_from(scale).ok()?;
        if scale > MAX_SCALE {
            return None;
        }
        Some(Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale,
        })
    }

    pub(crate) fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    fn rescaled(self, scale: u32) -> Option<i128> {
        self.mantissa
            .checked_mul(10i128.checked_pow(scale - self.scale)?)
    }

    /// |self - other|, exactly.
    pub(crate) fn abs_diff(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        let d = self.rescaled(scale)?.checked_sub(other.rescaled(scale)?)?;
        Some(Decimal {
            mantissa: d.checked_abs()?,
            scale,
        })
    }

    pub(crate) fn cmp_exact(self, other: Decimal) -> Option<Ordering> {
        let scale = self.scale.max(other.scale);
        Some(self.rescaled(scale)?.cmp(&other.rescaled(scale)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn differences_are_exact() {
        assert_eq!(
            d("1.05").abs_diff(d("1")).unwrap().cmp_exact(d("0.05")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            d("0.1").abs_diff(d("0.3")).unwrap().cmp_exact(d("0.2")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            d("-2.5e1").abs_diff(d("25")).unwrap().cmp_exact(d("50")),
            Some(Ordering::Equal)
        );
        assert_eq!(d("1e-3").cmp_exact(d("0.001")), Some(Ordering::Equal));
        assert_eq!(d("0.0501").cmp_exact(d("0.05")), Some(Ordering::Greater));
    }

    #[test]
    fn what_cannot_be_held_exactly_is_refused() {
        for bad in [
            "",
            "-",
            "1.2.3",
            "abc",
            "1e-40",
            "1e400",
            "99999999999999999999999999999999999999999",
        ] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }
}
