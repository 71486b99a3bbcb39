//! Named verdicts: the latest pass or fail of each named check a release waits for (a golden
//! corpus run, a CI job, a load test, a person's sign-off), kept on the flag so a red
//! cross-validation is never masked by a later green verify of another corpus. Gates read them
//! (`verdict(NAME)`, `verdicts(all)`, `golden`); a verdict may be valid for a time only, after
//! which it counts as missing.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::CoreError;
use crate::guard::golden::GoldenResult;
use jiff::Timestamp;

/// A verdict's name: `[a-z0-9][a-z0-9._-]{0,63}`, like a token name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct VerdictName(String);

impl VerdictName {
    pub const MAX_LEN: usize = 64;
    /// The name a golden run is recorded under when none is given.
    pub const GOLDEN: &'static str = "golden";

    pub fn new(name: &str) -> Result<Self, CoreError> {
        crate::key::check_identifier(name, Self::MAX_LEN, "it is longer than 64 characters")
            .map_err(|why| CoreError::InvalidVerdictName {
                name: name.to_owned(),
                why,
            })?;
        Ok(Self(name.to_owned()))
    }

    pub fn golden() -> Self {
        Self(Self::GOLDEN.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for VerdictName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        VerdictName::new(&name).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for VerdictName {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Self::new(s)
    }
}

impl fmt::Display for VerdictName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a verdict came from: a golden-corpus run (`cutover golden ... --flag`), which the
/// `golden` gate reads, or anything else recorded by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictSource {
    Golden,
    Recorded,
}

/// The latest outcome of one named check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    pub passed: bool,
    pub source: VerdictSource,
    /// When it was recorded, by the recording side's clock.
    pub at: Timestamp,
    /// Who recorded it (the audit actor of the recording).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
    /// After this it counts as missing: the check must run again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Where the evidence is (a CI run, a report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What the check says about itself, as it sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    /// The corpus run behind a golden verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub golden: Option<GoldenResult>,
}

impl Verdict {
    /// A golden-corpus run as a verdict.
    pub fn from_golden(result: GoldenResult) -> Self {
        Verdict {
            passed: result.passed,
            source: VerdictSource::Golden,
            at: result.at,
            by: String::new(),
            expires_at: None,
            url: None,
            details: None,
            golden: Some(result),
        }
    }

    /// Where the verdict stands at `now`.
    pub fn standing(&self, now: Timestamp) -> Standing {
        match self.expires_at {
            Some(at) if at <= now => Standing::Expired,
            _ if self.passed => Standing::Passed,
            _ => Standing::Failed,
        }
    }
}

/// The verdicts of a flag, by name.
pub type Verdicts = BTreeMap<VerdictName, Verdict>;

/// Where a verdict, or a group of them, stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Passed,
    Failed,
    /// It passed or failed once, but no longer counts.
    Expired,
    /// Never recorded.
    Missing,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Passed => "passed",
            Standing::Failed => "failed",
            Standing::Expired => "expired",
            Standing::Missing => "missing",
        }
    }

    /// A group stands as its worst member: a failure decides, then anything not yet known.
    fn worst(self, other: Standing) -> Standing {
        let rank = |s: Standing| match s {
            Standing::Failed => 3,
            Standing::Expired => 2,
            Standing::Missing => 1,
            Standing::Passed => 0,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// A verdict as it is shown: its fields and where it stands at the instant of the showing.
#[derive(Debug, Clone, Serialize)]
pub struct ShownVerdict<'a> {
    #[serde(flatten)]
    pub verdict: &'a Verdict,
    pub standing: Standing,
}

/// Every verdict with where it stands at `now`, by name: what `GET .../verdicts` answers and
/// `cutover verdict list --json` prints.
pub fn shown(verdicts: &Verdicts, now: Timestamp) -> BTreeMap<&VerdictName, ShownVerdict<'_>> {
    verdicts
        .iter()
        .map(|(name, verdict)| {
            let standing = verdict.standing(now);
            (name, ShownVerdict { verdict, standing })
        })
        .collect()
}

/// The standing of the verdict `name`.
pub fn standing_of(verdicts: &Verdicts, name: &VerdictName, now: Timestamp) -> Standing {
    verdicts
        .get(name)
        .map_or(Standing::Missing, |v| v.standing(now))
}

/// The standing of every verdict `pick` selects together: its worst, or `Missing` when it
/// selects none (no evidence is never a pass).
pub fn standing_of_all(
    verdicts: &Verdicts,
    now: Timestamp,
    pick: impl Fn(&Verdict) -> bool,
) -> Standing {
    let mut picked = verdicts.values().filter(|v| pick(v)).peekable();
    if picked.peek().is_none() {
        return Standing::Missing;
    }
    picked.fold(Standing::Passed, |group, v| group.worst(v.standing(now)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn verdict(passed: bool, source: VerdictSource, expires: Option<&str>) -> Verdict {
        Verdict {
            passed,
            source,
            at: at("2026-12-01T00:00:00Z"),
            by: "ci".into(),
            expires_at: expires.map(at),
            url: None,
            details: None,
            golden: None,
        }
    }

    fn name(n: &str) -> VerdictName {
        VerdictName::new(n).unwrap()
    }

    #[test]
    fn a_verdict_stands_passed_failed_or_expired_and_an_absent_one_is_missing() {
        let now = at("2026-12-02T00:00:00Z");
        let mut book = Verdicts::new();
        book.insert(name("verify"), verdict(true, VerdictSource::Golden, None));
        book.insert(
            name("budget"),
            verdict(true, VerdictSource::Golden, Some("2026-12-01T12:00:00Z")),
        );
        book.insert(name("cross"), verdict(false, VerdictSource::Golden, None));
        assert_eq!(standing_of(&book, &name("verify"), now), Standing::Passed);
        assert_eq!(standing_of(&book, &name("budget"), now), Standing::Expired);
        assert_eq!(standing_of(&book, &name("cross"), now), Standing::Failed);
        assert_eq!(standing_of(&book, &name("load"), now), Standing::Missing);
        // Expiry is exclusive of its instant: at expires_at it no longer counts.
        let exact = at("2026-12-01T12:00:00Z");
        assert_eq!(
            standing_of(&book, &name("budget"), exact),
            Standing::Expired
        );
    }

    #[test]
    fn a_group_stands_as_its_worst_member_and_an_empty_group_is_missing() {
        let now = at("2026-12-02T00:00:00Z");
        let mut book = Verdicts::new();
        assert_eq!(standing_of_all(&book, now, |_| true), Standing::Missing);
        book.insert(name("a"), verdict(true, VerdictSource::Recorded, None));
        assert_eq!(standing_of_all(&book, now, |_| true), Standing::Passed);
        book.insert(
            name("b"),
            verdict(true, VerdictSource::Recorded, Some("2026-12-01T00:00:01Z")),
        );
        assert_eq!(standing_of_all(&book, now, |_| true), Standing::Expired);
        book.insert(name("c"), verdict(false, VerdictSource::Golden, None));
        assert_eq!(standing_of_all(&book, now, |_| true), Standing::Failed);
        let golden = |v: &Verdict| v.source == VerdictSource::Golden;
        assert_eq!(standing_of_all(&book, now, golden), Standing::Failed);
        let recorded = |v: &Verdict| v.source == VerdictSource::Recorded;
        assert_eq!(standing_of_all(&book, now, recorded), Standing::Expired);
    }

    #[test]
    fn names_follow_the_identifier_rules_and_say_what_is_accepted() {
        assert!(VerdictName::new("integration-tests").is_ok());
        let err = VerdictName::new("Integration Tests")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"Integration Tests\"") && err.contains("a-z"),
            "{err}"
        );
        let long = "a".repeat(65);
        assert!(VerdictName::new(&long).is_err());
        let read: Result<VerdictName, _> = serde_json::from_str("\"UPPER\"");
        assert!(read.is_err());
    }
}
