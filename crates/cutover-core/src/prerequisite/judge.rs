//! Judging a move into a stage against its prerequisites, on the flag as it is now.

use jiff::Timestamp;

use super::{Missing, StageRequirement};
use crate::flag::Flag;
use crate::guard::gate::Gate;
use crate::role::Role;
use crate::stage::Stage;
use crate::verdict::{Standing, VerdictSource, standing_of, standing_of_all};

/// How much a role may do, for "at least this role".
fn rank(role: Role) -> u8 {
    match role {
        Role::Admin => 3,
        Role::Operator => 2,
        Role::Viewer => 1,
        Role::Sdk => 0,
    }
}

/// What stands between `flag` (as it is now) and entering `target` at `now`, for a caller of
/// `role` (`None`: the store's own user, on the command line, who may do anything). Empty when
/// the move may go ahead or `target` has no prerequisites.
pub fn missing(flag: &Flag, target: Stage, now: Timestamp, role: Option<Role>) -> Vec<Missing> {
    let Some(need): Option<&StageRequirement> = flag.requires.get(&target) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for expr in &need.gates {
        let standing = match expr.gate() {
            Gate::Verdict(name) => standing_of(&flag.verdicts, &name, now),
            Gate::AllVerdicts => standing_of_all(&flag.verdicts, now, |_| true),
            _ => standing_of_all(&flag.verdicts, now, |v| v.source == VerdictSource::Golden),
        };
        if standing != Standing::Passed {
            out.push(Missing::Gate {
                gate: expr.as_str().to_owned(),
                standing,
            });
        }
    }
    if let (Some(after_s), Some(below)) = (need.after_s, target.below()) {
        if flag.stage != below {
            out.push(Missing::NotBelow {
                below,
                at: flag.stage,
                after_s,
            });
        } else {
            let held_s = flag
                .stage_since
                .map(|since| u64::try_from(now.as_second() - since.as_second()).unwrap_or(0));
            if held_s.is_none_or(|held| held < after_s) {
                out.push(Missing::TooSoon {
                    below,
                    after_s,
                    held_s,
                });
            }
        }
    }
    if let (Some(needed), Some(caller)) = (need.role, role)
        && rank(caller) < rank(needed)
    {
        out.push(Missing::Role { needed, caller });
    }
    out
}

/// The refusal's words: every missing prerequisite, one clause each.
pub fn refusal(key: &str, target: Stage, missing: &[Missing]) -> String {
    let clauses: Vec<String> = missing.iter().map(ToString::to_string).collect();
    format!(
        "flag {key} may not enter {target} yet: {}. Record the missing verdicts, wait, or move \
         it with --force and a --reason (audited as forced)",
        clauses.join("; ")
    )
}
