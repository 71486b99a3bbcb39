//! Rollout scope: constraints a context must meet to be eligible for the percentage rollout.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::attribute::AttributeName;
use crate::context::Attributes;
use crate::error::CoreError;

/// How a constraint tests its attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", content = "values", rename_all = "snake_case")]
pub enum Operator {
    /// The attribute is present and its value is one of the list.
    In(Vec<String>),
    /// The attribute is absent, or present with a value outside the list.
    NotIn(Vec<String>),
    /// The attribute is present, whatever its value.
    Exists,
}

/// One condition of a rollout scope; a scope is met when all of its constraints are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ConstraintRepr")]
pub struct Constraint {
    pub attribute: AttributeName,
    #[serde(flatten)]
    pub operator: Operator,
}

/// The JSON form, read field by field so that `exists` with a `values` key (even `null` or
/// `[]`) and unknown fields are refused with a message, as the OpenAPI document says.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConstraintRepr {
    attribute: AttributeName,
    op: OperatorName,
    /// `Some` whenever the key is present, `Some(None)` for `null`.
    #[serde(default, deserialize_with = "present")]
    values: Option<Option<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum OperatorName {
    In,
    NotIn,
    Exists,
}

fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl TryFrom<ConstraintRepr> for Constraint {
    type Error = CoreError;

    fn try_from(r: ConstraintRepr) -> Result<Self, CoreError> {
        let invalid = |op: &str, why| CoreError::InvalidConstraint {
            text: format!("{} {op}", r.attribute),
            why,
        };
        let operator = match (r.op, r.values) {
            (OperatorName::In, Some(Some(list))) => Operator::In(list),
            (OperatorName::NotIn, Some(Some(list))) => Operator::NotIn(list),
            (OperatorName::In, _) => return Err(invalid("in", "'in' needs a list of values")),
            (OperatorName::NotIn, _) => {
                return Err(invalid("not_in", "'not_in' needs a list of values"));
            }
            (OperatorName::Exists, None) => Operator::Exists,
            (OperatorName::Exists, Some(_)) => {
                return Err(invalid(
                    "exists",
                    "'exists' takes no values; leave the values field out",
                ));
            }
        };
        Ok(Constraint {
            attribute: r.attribute,
            operator,
        })
    }
}

impl Constraint {
    pub fn matches<A: Attributes + ?Sized>(&self, ctx: &A) -> bool {
        let value = ctx.attribute(self.attribute.as_str());
        match (&self.operator, value) {
            (Operator::In(list), Some(v)) => list.iter().any(|item| item == v),
            (Operator::In(_), None) => false,
            (Operator::NotIn(list), Some(v)) => !list.iter().any(|item| item == v),
            (Operator::NotIn(_), None) => true,
            (Operator::Exists, found) => found.is_some(),
        }
    }

    /// The values the constraint lists (none for `exists`).
    pub fn values(&self) -> &[String] {
        match &self.operator {
            Operator::In(list) | Operator::NotIn(list) => list,
            Operator::Exists => &[],
        }
    }

    /// Parses the CLI form: `tenant in a,b`, `tenant not_in a,b`, `tenant exists`.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let invalid = |why| CoreError::InvalidConstraint {
            text: text.to_owned(),
            why,
        };
        let mut words = text.split_whitespace();
        let attribute = words.next().ok_or_else(|| invalid("it is empty"))?;
        let attribute =
            AttributeName::new(attribute).map_err(|_| invalid("the attribute name is invalid"))?;
        let op = words
            .next()
            .ok_or_else(|| invalid("the operator is missing"))?;
        let rest: Vec<&str> = words.collect();
        let list = || -> Result<Vec<String>, CoreError> {
            let joined = rest.join(" ");
            let values: Vec<String> = joined
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect();
            if values.is_empty() {
                return Err(invalid("the value list is empty"));
            }
            Ok(values)
        };
        let operator = match op {
            "in" => Operator::In(list()?),
            "not_in" => Operator::NotIn(list()?),
            "exists" if rest.is_empty() => Operator::Exists,
            "exists" => return Err(invalid("'exists' takes no values")),
            _ => return Err(invalid("the operator is not one of in, not_in, exists")),
        };
        Ok(Constraint {
            attribute,
            operator,
        })
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operator {
            Operator::In(list) => write!(f, "{} in {}", self.attribute, list.join(",")),
            Operator::NotIn(list) => write!(f, "{} not_in {}", self.attribute, list.join(",")),
            Operator::Exists => write!(f, "{} exists", self.attribute),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;

    fn check(constraint: &str, ctx: &Context, expected: bool) {
        let c = Constraint::parse(constraint).unwrap();
        assert_eq!(c.matches(ctx), expected, "{constraint} on {ctx:?}");
    }

    #[test]
    fn operators_follow_their_documented_meaning() {
        let acme = Context::new().with("tenant", "acme");
        let bare = Context::new();
        check("tenant in acme,globex", &acme, true);
        check("tenant in globex", &acme, false);
        check("tenant in acme", &bare, false);
        check("tenant not_in globex", &acme, true);
        check("tenant not_in acme", &acme, false);
        check("tenant not_in acme", &bare, true);
        check("tenant exists", &acme, true);
        check("tenant exists", &bare, false);
    }

    #[test]
    fn round_trips_through_text_and_json() {
        let c = Constraint::parse("region in eu-west, us-east").unwrap();
        assert_eq!(c.to_string(), "region in eu-west,us-east");
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"attribute":"region","op":"in","values":["eu-west","us-east"]}"#
        );
        assert_eq!(serde_json::from_str::<Constraint>(&json).unwrap(), c);
        let exists = serde_json::to_string(&Constraint::parse("plan exists").unwrap()).unwrap();
        assert_eq!(exists, r#"{"attribute":"plan","op":"exists"}"#);
    }

    #[test]
    fn refuses_malformed_text_naming_it() {
        for bad in [
            "",
            "tenant",
            "tenant in",
            "tenant like x",
            "tenant exists x",
            "bad name in x",
        ] {
            let err = Constraint::parse(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn json_refuses_values_on_exists_and_a_missing_list_naming_why() {
        for (json, says) in [
            (
                r#"{"attribute":"plan","op":"exists","values":["x"]}"#,
                "takes no values",
            ),
            (
                r#"{"attribute":"plan","op":"exists","values":[]}"#,
                "takes no values",
            ),
            (
                r#"{"attribute":"plan","op":"exists","values":null}"#,
                "takes no values",
            ),
            (r#"{"attribute":"plan","op":"in"}"#, "needs a list"),
            (
                r#"{"attribute":"plan","op":"not_in","values":null}"#,
                "needs a list",
            ),
            (
                r#"{"attribute":"plan","op":"exists","value":"x"}"#,
                "unknown field",
            ),
            (r#"{"attribute":"plan","op":"is"}"#, "unknown variant"),
        ] {
            let err = serde_json::from_str::<Constraint>(json).unwrap_err();
            assert!(err.to_string().contains(says), "{json}: {err}");
        }
        let exists: Constraint =
            serde_json::from_str(r#"{"attribute":"plan","op":"exists"}"#).unwrap();
        assert_eq!(exists, Constraint::parse("plan exists").unwrap());
    }
}
