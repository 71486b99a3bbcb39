//! Agreement thresholds: `selected_agent >= 0.80` in a spec file, `selected_agent=0.80` on the
//! command line. A threshold holds when the observed agreement ratio reaches it; the report shows
//! the 95 % interval beside it so a narrow pass on few cases is visible as such.

use crate::error::GoldenError;

#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub(crate) field: String,
    pub(crate) min: f64,
}

fn ratio(text: &str) -> Option<f64> {
    let t = text.trim();
    let value = match t.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().ok()? / 100.0,
        None => t.parse::<f64>().ok()?,
    };
    (0.0..=1.0).contains(&value).then_some(value)
}

impl Threshold {
    pub fn new(field: &str, min: f64) -> Result<Threshold, GoldenError> {
        if !(0.0..=1.0).contains(&min) {
            return Err(GoldenError::InvalidThreshold {
                text: format!("{field} >= {min}"),
                why: "the ratio must be from 0 to 1".to_owned(),
            });
        }
        Ok(Threshold {
            field: field.to_owned(),
            min,
        })
    }

    /// Parses `FIELD >= RATIO` or `FIELD=RATIO`; a ratio is from 0 to 1, or a percentage.
    pub fn parse(text: &str) -> Result<Threshold, GoldenError> {
        let invalid = |why: &str| GoldenError::InvalidThreshold {
            text: text.to_owned(),
            why: why.to_owned(),
        };
        let (field, value) = text
            .split_once(">=")
            .or_else(|| text.split_once('='))
            .ok_or_else(|| invalid("there is no `>=` or `=`"))?;
        let field = field.trim();
        if field.is_empty() || field.contains(char::is_whitespace) {
            return Err(invalid(
                "the field must be one path, such as selected_agent",
            ));
        }
        let min = ratio(value).ok_or_else(|| {
            invalid("the ratio must be a number from 0 to 1, or a percentage from 0% to 100%")
        })?;
        Ok(Threshold {
            field: field.to_owned(),
            min,
        })
    }

    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn min(&self) -> f64 {
        self.min
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn forms() {
        let t = Threshold::parse("selected_agent >= 0.80").unwrap();
        assert_eq!((t.field(), t.min()), ("selected_agent", 0.8));
        assert_eq!(Threshold::parse("p=90%").unwrap().min, 0.9);
        assert_eq!(Threshold::parse("a.b>=1").unwrap().field, "a.b");
        for (bad, needle) in [
            ("a > 0.8", "no `>=`"),
            ("a >= 1.2", "from 0 to 1"),
            ("a >= -0.1", "from 0 to 1"),
            ("a >= NaN", "from 0 to 1"),
            (">= 0.5", "one path"),
            ("a b >= 0.5", "one path"),
        ] {
            let err = Threshold::parse(bad).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }
}
