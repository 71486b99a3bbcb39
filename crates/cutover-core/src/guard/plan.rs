//! Rollout plans: the steps a guarded rollout climbs, how long each bakes, how much data each
//! needs, and what to do on a breach or on too little data.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, de};

use super::gate_expr::GateExpr;
use crate::error::CoreError;
use crate::rollout::Rollout;

/// What a breach does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBreach {
    /// Back to 0 %: the safe default.
    #[default]
    Rollback,
    /// Back to the previous step's percentage, and pause there.
    StepDown,
}

/// What a step whose bake ended without enough data does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnInconclusive {
    /// Bake longer, up to `max_extensions` more bakes, then pause.
    #[default]
    ExtendThenPause,
    /// Bake longer, then roll back.
    ExtendThenRollback,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(rename = "percent")]
    pub rollout: Rollout,
    #[serde(with = "seconds")]
    pub bake: Duration,
    /// Calls each arm needs in the step before it may pass.
    #[serde(
        default = "default_min_samples",
        deserialize_with = "crate::count::whole"
    )]
    pub min_samples: u64,
}

/// A plan, in a config file or a request, is either the shorthand (`"5,25,50,100 every 10m"`) or
/// an object whose `steps` are a list or the shorthand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutPlan {
    pub steps: Vec<Step>,
    /// What every step must satisfy: critical gates act on a breach, `warning:` ones only
    /// alert. No critical gate (none at all, or only warnings) means the default critical gate
    /// `new.error_rate <= legacy.error_rate` is judged with them.
    pub gates: Vec<GateExpr>,
    pub on_breach: OnBreach,
    pub on_inconclusive: OnInconclusive,
    /// Extra bakes an inconclusive step may take.
    pub max_extensions: u32,
    /// How far back from the start `baseline.` gates read the legacy path's figures.
    #[serde(with = "seconds")]
    pub baseline_window: Duration,
    /// The custom counters the gates may read (`new.invalid_json_rate` needs `invalid_json`
    /// here): a gate naming an undeclared counter is refused, so a typo such as `new.eror_rate`
    /// cannot wait forever for a counter no service records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counters: Vec<String>,
}

/// The object form of a plan.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FullPlan {
    steps: StepsRepr,
    #[serde(default)]
    gates: Vec<GateExpr>,
    #[serde(default)]
    on_breach: OnBreach,
    #[serde(default)]
    on_inconclusive: OnInconclusive,
    #[serde(
        default = "default_extensions",
        deserialize_with = "crate::count::whole"
    )]
    max_extensions: u32,
    #[serde(default = "default_baseline_window", with = "seconds")]
    baseline_window: Duration,
    #[serde(default)]
    counters: Vec<String>,
}

/// A plan's steps: the shorthand or a list.
struct StepsRepr(Vec<Step>);

/// Plans and their steps are told apart by the JSON type (string, object, list) with visitors
/// rather than serde's untagged enums, which try each form in turn and, when none fits, lose
/// the reason ("data did not match any variant"): a mistyped gate or bake must say what is
/// wrong with it. Reading in place also keeps percentages exact (an untagged enum buffers
/// numbers as floats).
struct PlanVisitor;

impl<'de> de::Visitor<'de> for PlanVisitor {
    type Value = RolloutPlan;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a plan: the shorthand such as '5,25,50,100 every 10m', or an object with steps \
             and optionally gates, on_breach, on_inconclusive, max_extensions, baseline_window",
        )
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<RolloutPlan, E> {
        RolloutPlan::parse_shorthand(text).map_err(E::custom)
    }

    fn visit_map<M: de::MapAccess<'de>>(self, map: M) -> Result<RolloutPlan, M::Error> {
        let full = FullPlan::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let plan = RolloutPlan {
            steps: full.steps.0,
            gates: full.gates,
            on_breach: full.on_breach,
            on_inconclusive: full.on_inconclusive,
            max_extensions: full.max_extensions,
            baseline_window: full.baseline_window,
            counters: full.counters,
        };
        plan.validate().map_err(de::Error::custom)?;
        Ok(plan)
    }
}

impl<'de> Deserialize<'de> for RolloutPlan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RolloutPlan, D::Error> {
        d.deserialize_any(PlanVisitor)
    }
}

struct StepsVisitor;

impl<'de> de::Visitor<'de> for StepsVisitor {
    type Value = StepsRepr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "steps: the shorthand such as '5,25,50,100 every 10m', or a list of \
             {\"percent\": P, \"bake\": DURATION, \"min_samples\": N}",
        )
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<StepsRepr, E> {
        RolloutPlan::parse_shorthand(text)
            .map(|plan| StepsRepr(plan.steps))
            .map_err(E::custom)
    }

    fn visit_seq<S: de::SeqAccess<'de>>(self, seq: S) -> Result<StepsRepr, S::Error> {
        Vec::<Step>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(StepsRepr)
    }
}

impl<'de> Deserialize<'de> for StepsRepr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StepsRepr, D::Error> {
        d.deserialize_any(StepsVisitor)
    }
}

fn default_min_samples() -> u64 {
    DEFAULT_MIN_SAMPLES
}

fn default_baseline_window() -> Duration {
    Duration::from_secs(3600)
}

fn default_extensions() -> u32 {
    2
}

mod seconds {
    use std::time::Duration;

    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    struct SecondsVisitor;

    impl serde::de::Visitor<'_> for SecondsVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("whole seconds, or a duration such as \"90s\", \"10m\", \"2h\" or \"1d\"")
        }

        fn visit_u64<E: serde::de::Error>(self, s: u64) -> Result<Duration, E> {
            Ok(Duration::from_secs(s))
        }

        fn visit_i64<E: serde::de::Error>(self, s: i64) -> Result<Duration, E> {
            u64::try_from(s)
                .map(Duration::from_secs)
                .map_err(|_| E::custom(format!("{s} seconds is negative; a bake must last")))
        }

        fn visit_f64<E: serde::de::Error>(self, s: f64) -> Result<Duration, E> {
            crate::count::from_float(s).map(Duration::from_secs)
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Duration, E> {
            super::parse_bake(text).map_err(E::custom)
        }
    }

    /// Seconds, or a duration such as `"10m"`; told apart by the JSON type, so a bad text says
    /// what is wrong with it.
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_any(SecondsVisitor)
    }
}

/// Calls per arm a step needs by default: enough that a doubled 1 % error rate can show.
pub const DEFAULT_MIN_SAMPLES: u64 = 200;

fn invalid(text: &str, why: impl Into<String>) -> CoreError {
    CoreError::InvalidPlan {
        text: text.to_owned(),
        why: why.into(),
    }
}

/// A bake (or a baseline window): a duration in the one grammar
/// ([`parse_duration`](crate::duration::parse_duration)) that lasts, in whole seconds, since
/// plans keep seconds.
pub(crate) fn parse_bake(text: &str) -> Result<Duration, String> {
    let d = match crate::duration::parse_duration(text) {
        Ok(d) => d,
        Err(CoreError::DurationTooLong { .. }) => {
            return Err(format!(
                "{:?} is longer than any rollout can bake",
                text.trim()
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    if d.is_zero() {
        return Err(format!("{:?} is zero; a bake must last", text.trim()));
    }
    if d.subsec_nanos() != 0 {
        return Err(format!(
            "{:?} is not a whole number of seconds; plans keep seconds",
            text.trim()
        ));
    }
    Ok(d)
}

impl RolloutPlan {
    /// The stage-ladder shorthand: `5,25,50,100 every 2h` (percentages, strictly increasing,
    /// ending at 100, each baking for the same time).
    pub fn parse_shorthand(text: &str) -> Result<RolloutPlan, CoreError> {
        let (percents, bake) = text.split_once(" every ").ok_or_else(|| {
            invalid(
                text,
                "expected 'P1,P2,... every DURATION', such as '5,25,50,100 every 2h'",
            )
        })?;
        let bake = parse_bake(bake).map_err(|why| invalid(text, why))?;
        let mut steps = Vec::new();
        for p in percents.split(',') {
            let rollout =
                Rollout::from_percent_str(p.trim()).map_err(|e| invalid(text, e.to_string()))?;
            steps.push(Step {
                rollout,
                bake,
                min_samples: DEFAULT_MIN_SAMPLES,
            });
        }
        let plan = RolloutPlan {
            steps,
            gates: Vec::new(),
            on_breach: OnBreach::default(),
            on_inconclusive: OnInconclusive::default(),
            max_extensions: default_extensions(),
            baseline_window: default_baseline_window(),
            counters: Vec::new(),
        };
        plan.validate().map_err(|e| match e {
            CoreError::InvalidPlan { why, .. } => invalid(text, why),
            other => other,
        })?;
        Ok(plan)
    }

    /// Refuses a gate that reads a custom counter the plan does not declare, suggesting the
    /// built-in metric it was probably meant to be. Checked when a person sets a plan, not when
    /// a stored one is read.
    pub fn check_counters(&self) -> Result<(), CoreError> {
        for name in &self.counters {
            if !super::gate::is_counter_name(name) {
                return Err(CoreError::InvalidPlan {
                    text: self.to_string(),
                    why: format!(
                        "counter {name:?} is not a counter name: 1 to 64 of a-z, 0-9 and _"
                    ),
                });
            }
        }
        for gate in &self.gates {
            if let super::gate::Gate::Rate {
                metric: super::gate::RateMetric::Custom(name),
                ..
            } = gate.gate()
                && !self.counters.contains(&name)
            {
                let hint = match super::gate::closest_builtin(&name) {
                    Some(builtin) => format!("did you mean new.{builtin}? "),
                    None => String::new(),
                };
                return Err(CoreError::InvalidGate {
                    text: gate.to_string(),
                    why: format!(
                        "{name} is not a counter this plan declares; {hint}a custom counter is \
                         read only when declared (--counter {name}, or \"counters\": \
                         [\"{name}\"] in the plan); built in: error_rate, fallback_rate, \
                         retry_rate, p50, p95, p99"
                    ),
                });
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), CoreError> {
        let text = self.to_string();
        if self.steps.is_empty() {
            return Err(invalid(&text, "a plan needs at least one step"));
        }
        for pair in self.steps.windows(2) {
            if pair[1].rollout.bps() <= pair[0].rollout.bps() {
                return Err(invalid(&text, "step percentages must strictly increase"));
            }
        }
        if self.steps.iter().any(|s| s.bake.is_zero()) {
            return Err(invalid(
                &text,
                "every step must bake for some time (above 0s)",
            ));
        }
        if self.steps.last().map(|s| s.rollout) != Some(Rollout::FULL) {
            return Err(invalid(&text, "the last step must be 100"));
        }
        if self
            .steps
            .first()
            .is_some_and(|s| s.rollout == Rollout::NONE)
        {
            return Err(invalid(
                &text,
                "the first step must expose someone (above 0)",
            ));
        }
        Ok(())
    }
}

impl fmt::Display for RolloutPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let percents: Vec<String> = self
            .steps
            .iter()
            .map(|s| s.rollout.to_string().trim_end_matches('%').to_owned())
            .collect();
        let first = &self.steps.first().map(|s| (s.bake, s.min_samples));
        if self
            .steps
            .iter()
            .all(|s| Some((s.bake, s.min_samples)) == *first)
            && let Some((bake, _)) = first
        {
            return write!(
                f,
                "{} every {}",
                percents.join(","),
                crate::duration::format_duration(*bake)
            );
        }
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!("{}@{}", s.rollout, crate::duration::format_duration(s.bake)))
            .collect();
        f.write_str(&steps.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shorthand_reads_the_ladder() {
        let plan = RolloutPlan::parse_shorthand("5,25,50,100 every 2h").unwrap();
        let bps: Vec<u16> = plan.steps.iter().map(|s| s.rollout.bps()).collect();
        assert_eq!(bps, [500, 2500, 5000, 10_000]);
        assert!(
            plan.steps
                .iter()
                .all(|s| s.bake == Duration::from_secs(7200))
        );
        assert_eq!(
            RolloutPlan::parse_shorthand("0.5,100 every 90s")
                .unwrap()
                .steps[0]
                .rollout
                .bps(),
            50
        );
    }

    #[test]
    fn bad_plans_say_why() {
        for (text, needle) in [
            ("5,25,50 every 1h", "100"),
            ("25,5,100 every 1h", "increase"),
            ("5,100 every soon", "whole number"),
            ("5,100 every 0m", "zero"),
            ("5,100", "every"),
            ("5,101 every 1h", "101"),
            // Once a panic (multiply with overflow) that closed the connection.
            ("5,100 every 69130498373922668h", "longer than any rollout"),
        ] {
            let err = RolloutPlan::parse_shorthand(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn a_plan_in_json_says_what_is_wrong_inside_it() {
        let read =
            |text: &str| serde_json::from_str::<RolloutPlan>(text).map_err(|e| e.to_string());
        let cli = "new.p97 <= 1ms"
            .parse::<crate::guard::gate::Gate>()
            .unwrap_err()
            .to_string();
        for (text, needles) in [
            (
                r#"{"steps": "5,100 every 1h", "gates": ["new.p97 <= 1ms"]}"#,
                vec![cli.as_str()],
            ),
            (
                r#"{"steps": [{"percent": 5, "bake": "10 minutes"}, {"percent": 100, "bake": 60}]}"#,
                vec!["\"10 minutes\"", "unknown unit"],
            ),
            (
                r#"{"steps": [{"percent": 99.99999999999999999999, "bake": 60}]}"#,
                vec!["99.99999999999999999999", "more than two decimals"],
            ),
            (
                r#"{"steps": "5,100 every 1h", "on_breech": "rollback"}"#,
                vec!["on_breech"],
            ),
            (r#""5,25,50 every 10m""#, vec!["the last step must be 100"]),
            (r#"{"steps": 5}"#, vec!["steps"]),
            (r#"42"#, vec!["a plan"]),
        ] {
            let err = read(text).unwrap_err();
            assert!(!err.contains("did not match any variant"), "{text}: {err}");
            for needle in needles {
                assert!(err.contains(needle), "{text}: {err} lacks {needle}");
            }
        }
        let plan = read(
            r#"{"steps": [{"percent": "12.5", "bake": "2m"}, {"percent": 100, "bake": 120}]}"#,
        )
        .unwrap();
        assert_eq!(plan.steps[0].rollout.bps(), 1250);
        assert_eq!(plan.steps[0].bake, Duration::from_secs(120));
    }
}
