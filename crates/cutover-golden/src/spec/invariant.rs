//! Invariants of a cross-validation: statements that must hold in every case, over the case's
//! input and both outputs.
//!
//! ```text
//! [when CONDITION (and CONDITION)*:] CONDITION (and CONDITION)*
//! CONDITION := OPERAND is set | OPERAND is not set | OPERAND == OPERAND | OPERAND != OPERAND
//! OPERAND   := input[.PATH] | legacy[.PATH] | new[.PATH] | "string" | number | true | false | null
//! ```
//!
//! `is set` means present and not null. `==` is the exact comparison of cutover-core (numbers as
//! decimals, objects field by field); two missing fields are equal.

use std::fmt;

use cutover_core::ComparisonSpec;
use serde_json::Value;

use crate::error::GoldenError;
use crate::path::FieldPath;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Input,
    Legacy,
    New,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Field { side: Side, path: FieldPath },
    Literal(Value),
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Set {
        operand: Operand,
        negated: bool,
    },
    Equal {
        a: Operand,
        b: Operand,
        negated: bool,
    },
}

/// One parsed invariant.
#[derive(Debug, Clone, PartialEq)]
pub struct Invariant {
    text: String,
    when: Vec<Condition>,
    then: Vec<Condition>,
}

/// The values one case offers an invariant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sides<'a> {
    pub(crate) input: &'a Value,
    pub(crate) legacy: &'a Value,
    pub(crate) new: &'a Value,
}

/// What an invariant made of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The `when` part did not hold: the invariant says nothing about this case.
    NotApplicable,
    Held,
    /// Broken, with the values that broke it.
    Violated(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Colon,
    Eq,
    Ne,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == ':' {
            out.push(Token::Colon);
            rest = &rest[1..];
        } else if let Some(r) = rest.strip_prefix("==") {
            out.push(Token::Eq);
            rest = r;
        } else if let Some(r) = rest.strip_prefix("!=") {
            out.push(Token::Ne);
            rest = r;
        } else if c == '"' {
            let mut escaped = false;
            let end = rest[1..]
                .char_indices()
                .find(|&(_, ch)| {
                    let closes = ch == '"' && !escaped;
                    escaped = ch == '\\' && !escaped;
                    closes
                })
                .map(|(i, _)| i + 2)
                .ok_or("a string is not closed")?;
            let s: String = serde_json::from_str(&rest[..end])
                .map_err(|e| format!("bad string {}: {e}", &rest[..end]))?;
            out.push(Token::Str(s));
            rest = &rest[end..];
        } else if c == '=' || c == '!' {
            return Err(format!("{c:?} is not an operator; use == or !="));
        } else {
            let end = rest
                .find(|ch: char| ch.is_whitespace() || matches!(ch, ':' | '=' | '!' | '"'))
                .unwrap_or(rest.len());
            out.push(Token::Word(rest[..end].to_owned()));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn word(&mut self, w: &str) -> bool {
        if self.peek() == Some(&Token::Word(w.to_owned())) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn operand(&mut self) -> Result<Operand, String> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Operand::Literal(Value::String(s))),
            Some(Token::Word(w)) => {
                let (head, tail) = w
                    .split_once('.')
                    .map_or((w.as_str(), None), |(h, t)| (h, Some(t)));
                let side = match head {
                    "input" => Some(Side::Input),
                    "legacy" => Some(Side::Legacy),
                    "new" => Some(Side::New),
                    _ => None,
                };
                if let Some(side) = side {
                    let path = FieldPath::parse(tail.unwrap_or("$")).ok_or_else(|| {
                        format!("{w:?} is not a field path such as new.route.policy")
                    })?;
                    return Ok(Operand::Field { side, path });
                }
                match serde_json::from_str::<Value>(&w) {
                    Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => {
                        Ok(Operand::Literal(v))
                    }
                    _ => Err(format!(
                        "{w:?} is neither input.PATH, legacy.PATH, new.PATH nor a literal (\"text\", a number, true, false, null)"
                    )),
                }
            }
            Some(other) => Err(format!("expected a field or a value, found {other:?}")),
            None => Err("it ends where a field or a value is expected".to_owned()),
        }
    }

    fn condition(&mut self) -> Result<Condition, String> {
        let a = self.operand()?;
        if self.word("is") {
            let negated = self.word("not");
            if !self.word("set") {
                return Err("`is` must be followed by `set` or `not set`".to_owned());
            }
            return Ok(Condition::Set {
                operand: a,
                negated,
            });
        }
        let negated = match self.next() {
            Some(Token::Eq) => false,
            Some(Token::Ne) => true,
            _ => {
                return Err(
                    "a condition is `X is set`, `X is not set`, `X == Y` or `X != Y`".to_owned(),
                );
            }
        };
        let b = self.operand()?;
        Ok(Condition::Equal { a, b, negated })
    }

    fn conditions(&mut self) -> Result<Vec<Condition>, String> {
        let mut all = vec![self.condition()?];
        while self.word("and") {
            all.push(self.condition()?);
        }
        Ok(all)
    }
}

impl Invariant {
    pub fn parse(text: &str) -> Result<Invariant, GoldenError> {
        let invalid = |why: String| GoldenError::InvalidInvariant {
            text: text.to_owned(),
            why,
        };
        let mut p = Parser {
            tokens: tokens(text).map_err(invalid)?,
            at: 0,
        };
        let when = if p.word("when") {
            let when = p.conditions().map_err(invalid)?;
            if p.next() != Some(Token::Colon) {
                return Err(invalid("the `when` part must end with `:`".to_owned()));
            }
            when
        } else {
            Vec::new()
        };
        let then = p.conditions().map_err(invalid)?;
        if let Some(extra) = p.peek() {
            return Err(invalid(format!("unexpected {extra:?} after the end")));
        }
        Ok(Invariant {
            text: text.to_owned(),
            when,
            then,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn check(&self, sides: Sides<'_>) -> Verdict {
        if !self.when.iter().all(|c| c.holds(sides)) {
            return Verdict::NotApplicable;
        }
        match self.then.iter().find(|c| !c.holds(sides)) {
            None => Verdict::Held,
            Some(broken) => Verdict::Violated(broken.explain(sides)),
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Operand {
    fn value<'a>(&'a self, sides: Sides<'a>) -> Option<&'a Value> {
        match self {
            Operand::Literal(v) => Some(v),
            Operand::Field { side, path } => path.find(match side {
                Side::Input => sides.input,
                Side::Legacy => sides.legacy,
                Side::New => sides.new,
            }),
        }
    }

    fn shown(&self, sides: Sides<'_>) -> String {
        match self {
            Operand::Literal(v) => v.to_string(),
            Operand::Field { side, path } => {
                let side = match side {
                    Side::Input => "input",
                    Side::Legacy => "legacy",
                    Side::New => "new",
                };
                let name = if path.as_str() == "$" {
                    side.to_owned()
                } else {
                    format!("{side}.{}", path.as_str())
                };
                match self.value(sides) {
                    Some(v) => format!("{name} = {v}"),
                    None => format!("{name} is missing"),
                }
            }
        }
    }
}

impl Condition {
    fn holds(&self, sides: Sides<'_>) -> bool {
        match self {
            Condition::Set { operand, negated } => {
                let set = operand.value(sides).is_some_and(|v| !v.is_null());
                set != *negated
            }
            Condition::Equal { a, b, negated } => {
                let equal = match (a.value(sides), b.value(sides)) {
                    (Some(x), Some(y)) => ComparisonSpec::default().compare(x, y).agreed(),
                    (None, None) => true,
                    _ => false,
                };
                equal != *negated
            }
        }
    }

    fn explain(&self, sides: Sides<'_>) -> String {
        match self {
            Condition::Set { operand, .. } => operand.shown(sides),
            Condition::Equal { a, b, .. } => format!("{}, {}", a.shown(sides), b.shown(sides)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn verdict(text: &str, input: Value, legacy: Value, new: Value) -> Verdict {
        Invariant::parse(text).unwrap().check(Sides {
            input: &input,
            legacy: &legacy,
            new: &new,
        })
    }

    const EXPLICIT: &str =
        "when input.explicit_agent is set: legacy.selected_agent == new.selected_agent";

    #[test]
    fn the_requirement_000_invariant() {
        let a = json!({"selected_agent": "debug"});
        let b = json!({"selected_agent": "general"});
        assert_eq!(
            verdict(EXPLICIT, json!({"prompt": "x"}), a.clone(), b.clone()),
            Verdict::NotApplicable
        );
        assert_eq!(
            verdict(
                EXPLICIT,
                json!({"explicit_agent": null}),
                a.clone(),
                b.clone()
            ),
            Verdict::NotApplicable,
            "null is not set"
        );
        assert_eq!(
            verdict(
                EXPLICIT,
                json!({"explicit_agent": "debug"}),
                a.clone(),
                a.clone()
            ),
            Verdict::Held
        );
        assert_eq!(
            verdict(EXPLICIT, json!({"explicit_agent": "debug"}), a, b),
            Verdict::Violated(
                "legacy.selected_agent = \"debug\", new.selected_agent = \"general\"".to_owned()
            )
        );
    }

    #[test]
    fn literals_negations_and_conjunctions() {
        let text = r#"when input.mode == "strict" and input.n != 3: new.policy is not set and new.score == 1"#;
        let input = json!({"mode": "strict", "n": 2});
        assert_eq!(
            verdict(text, input.clone(), json!({}), json!({"score": 1.0})),
            Verdict::Held
        );
        assert_eq!(
            verdict(text, input, json!({}), json!({"score": 1, "policy": "p"})),
            Verdict::Violated("new.policy = \"p\"".to_owned())
        );
        assert_eq!(
            verdict(
                text,
                json!({"mode": "strict", "n": 3}),
                json!({}),
                json!({})
            ),
            Verdict::NotApplicable
        );
        assert_eq!(
            verdict("legacy == new", json!(1), json!([1, 2]), json!([1, 2])),
            Verdict::Held
        );
        assert_eq!(
            verdict("new.x == legacy.x", json!(1), json!({}), json!({})),
            Verdict::Held,
            "two missing fields are equal"
        );
        assert_eq!(
            verdict("new.x is set", json!(1), json!({}), json!({})),
            Verdict::Violated("new.x is missing".to_owned())
        );
        assert_eq!(
            verdict(
                r#"new.s == "a b: \"c\"""#,
                json!(1),
                json!({}),
                json!({"s": "a b: \"c\""})
            ),
            Verdict::Held
        );
    }

    #[test]
    fn mistakes_are_explained() {
        for (text, needle) in [
            ("", "ends where"),
            ("when input.a is set legacy.b == new.b", "must end with `:`"),
            ("output.a is set", "neither input.PATH"),
            ("new.a = new.b", "use == or !="),
            ("new.a is present", "`set` or `not set`"),
            ("new.a == ", "ends where"),
            ("new.a == new.b new.c", "unexpected"),
            ("new.a..b is set", "not a field path"),
            ("new.a == \"open", "not closed"),
        ] {
            let err = Invariant::parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
