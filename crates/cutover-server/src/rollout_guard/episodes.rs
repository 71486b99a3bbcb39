//! Breach episodes of warning gates: a warning gate alerts once when it goes from holding to
//! breached, not on every look that still sees it breached, and its recovery is told once when
//! it passes again. The guard looks every second; without this a breach lasting an hour would
//! send 3,600 alerts.
//!
//! Episodes live in the memory of the node running the guard: a node that takes the guard over
//! (or a restarted one) alerts once more for a breach still going on, which errs on the side of
//! telling.

use std::collections::{BTreeSet, HashMap};

use cutover_core::FlagKey;
use cutover_core::guard::{Assessment, GateReading, Severity, Verdict};

/// What changed in one look, by gate condition.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Changes<'a> {
    /// Warning gates breached now that were not at the last look.
    pub(super) began: Vec<&'a GateReading>,
    /// Warning gates breached at an earlier look that pass now.
    pub(super) recovered: Vec<&'a GateReading>,
}

/// The warning gates each running rollout has breached, by condition.
#[derive(Debug, Default)]
pub(super) struct Episodes(HashMap<FlagKey, BTreeSet<String>>);

impl Episodes {
    /// Takes in a look at `flag` and says which episodes began and ended. An episode ends when
    /// its gate passes: a gate that has gone inconclusive (too few calls since a step began)
    /// has not shown that it holds, and ending there would alert again at its next failure.
    pub(super) fn observe<'a>(
        &mut self,
        flag: &FlagKey,
        assessment: &'a Assessment,
    ) -> Changes<'a> {
        let open = self.0.entry(flag.clone()).or_default();
        let mut changes = Changes::default();
        for g in assessment
            .gates
            .iter()
            .filter(|g| g.severity == Severity::Warning)
        {
            match g.verdict {
                Verdict::Fail if open.insert(g.gate.clone()) => changes.began.push(g),
                Verdict::Pass if open.remove(&g.gate) => changes.recovered.push(g),
                _ => {}
            }
        }
        // A gate the plan no longer has (edited since) has no episode left to end.
        open.retain(|gate| {
            assessment
                .gates
                .iter()
                .any(|g| g.severity == Severity::Warning && &g.gate == gate)
        });
        changes
    }

    /// Forgets the rollouts that stopped running: a resumed one starts its episodes afresh.
    pub(super) fn retain(&mut self, running: impl Fn(&FlagKey) -> bool) {
        self.0.retain(|k, _| running(k));
    }
}

#[cfg(test)]
mod tests {
    use cutover_core::guard::Unit;

    use super::*;

    fn reading(gate: &str, severity: Severity, verdict: Verdict) -> GateReading {
        GateReading {
            gate: gate.into(),
            severity,
            verdict,
            unit: Unit::Ratio,
            new: None,
            legacy: None,
            threshold: None,
            samples: 0,
            legacy_samples: 0,
            log_statistic: 0.0,
            fail_at: 0.0,
            suggested_action: String::new(),
        }
    }

    fn look(verdicts: &[(&str, Severity, Verdict)]) -> Assessment {
        Assessment {
            verdict: Verdict::Pass,
            gates: verdicts
                .iter()
                .map(|(g, s, v)| reading(g, *s, *v))
                .collect(),
        }
    }

    fn names(readings: &[&GateReading]) -> Vec<String> {
        readings.iter().map(|r| r.gate.clone()).collect()
    }

    /// One look's gates, and the episodes it should begin and end.
    type Step<'a> = (
        &'a [(&'a str, Severity, Verdict)],
        &'a [&'a str],
        &'a [&'a str],
    );

    #[test]
    fn a_warning_breach_begins_once_and_ends_when_the_gate_passes() {
        use Severity::{Critical, Warning};
        use Verdict::{Fail, Inconclusive, Pass};
        let flag = FlagKey::new("f").unwrap();
        let mut episodes = Episodes::default();
        let script: [Step<'_>; 6] = [
            (&[("a", Warning, Pass), ("c", Critical, Fail)], &[], &[]),
            (&[("a", Warning, Fail), ("c", Critical, Fail)], &["a"], &[]),
            (&[("a", Warning, Fail)], &[], &[]),
            (&[("a", Warning, Inconclusive)], &[], &[]),
            (&[("a", Warning, Fail)], &[], &[]),
            (&[("a", Warning, Pass)], &[], &["a"]),
        ];
        for (i, (verdicts, began, recovered)) in script.into_iter().enumerate() {
            let a = look(verdicts);
            let changes = episodes.observe(&flag, &a);
            assert_eq!(names(&changes.began), began, "look {i}");
            assert_eq!(names(&changes.recovered), recovered, "look {i}");
        }
        let a = look(&[("a", Warning, Fail)]);
        assert_eq!(
            names(&episodes.observe(&flag, &a).began),
            ["a"],
            "a new episode"
        );
        episodes.retain(|_| false);
        assert_eq!(
            names(&episodes.observe(&flag, &a).began),
            ["a"],
            "a resumed rollout"
        );
    }
}
