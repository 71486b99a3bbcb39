//! Recorded verdicts carry who recorded them and when, as the layer knows it: the audit actor of
//! the recording and the layer's clock. What a caller wrote there is replaced, so a verdict can
//! neither be backdated nor signed with another name.

use std::borrow::Cow;

use cutover_core::{ChangeMeta, FlagChange, Timestamp};

/// `changes` with every recorded verdict stamped with `meta.actor` and `now`.
pub(crate) fn stamped<'a>(
    changes: &'a [FlagChange],
    meta: &ChangeMeta,
    now: Timestamp,
) -> Cow<'a, [FlagChange]> {
    if !changes
        .iter()
        .any(|c| matches!(c, FlagChange::RecordVerdict { .. }))
    {
        return Cow::Borrowed(changes);
    }
    Cow::Owned(
        changes
            .iter()
            .map(|change| match change {
                FlagChange::RecordVerdict { name, verdict } => {
                    let mut verdict = verdict.clone();
                    verdict.by.clone_from(&meta.actor);
                    // A golden run keeps the time it finished: that is when its evidence is from.
                    if verdict.golden.is_none() {
                        verdict.at = now;
                    }
                    FlagChange::RecordVerdict {
                        name: name.clone(),
                        verdict,
                    }
                }
                other => other.clone(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use cutover_core::{Verdict, VerdictName, VerdictSource};

    #[test]
    fn a_recorded_verdict_takes_the_actor_and_the_time_of_the_layer() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let meta = ChangeMeta {
            role: None,
            force: false,
            actor: "ci-bot".into(),
            reason: None,
            at: at("2026-12-03T10:00:00Z"),
        };
        let forged = Verdict {
            passed: true,
            source: VerdictSource::Recorded,
            at: at("2020-01-01T00:00:00Z"),
            by: "someone-else".into(),
            expires_at: None,
            url: None,
            details: None,
            golden: None,
        };
        let changes = [
            FlagChange::Kill,
            FlagChange::RecordVerdict {
                name: VerdictName::new("load-test").unwrap(),
                verdict: forged,
            },
        ];
        let out = stamped(&changes, &meta, at("2026-12-03T10:00:01Z"));
        let FlagChange::RecordVerdict { verdict, .. } = &out[1] else {
            panic!("{out:?}");
        };
        assert_eq!(verdict.by, "ci-bot");
        assert_eq!(verdict.at, at("2026-12-03T10:00:01Z"));
        assert_eq!(out[0], FlagChange::Kill);
        assert!(matches!(
            stamped(&changes[..1], &meta, meta.at),
            Cow::Borrowed(_)
        ));
    }
}
