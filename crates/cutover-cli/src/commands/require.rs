//! `cutover flag require KEY STAGE`: what entering a stage needs (verdict gates, a least time at
//! the stage below, a role), or `--clear` to need nothing. Moves into the stage that lack any of
//! it are refused with what is missing, unless forced (`--force --reason ...`, audited as forced).

use std::time::Duration;

use clap::Args;
use cutover_core::guard::GateExpr;
use cutover_core::{FlagChange, Role, Stage, StageRequirement};

use super::change::{self, KeyChange};
use crate::session::Session;
use crate::values::{parse_gate, parse_span};

#[derive(Debug, Args)]
pub(crate) struct RequireArgs {
    #[command(flatten)]
    target: KeyChange,
    /// The stage the prerequisites guard: canary, beta, production or legacy_disabled.
    stage: Stage,
    /// A verdict gate that must pass, repeatable: 'verdict(NAME)', 'verdicts(all)', 'golden'.
    #[arg(long = "gate", value_parser = parse_gate, value_name = "GATE")]
    gates: Vec<GateExpr>,
    /// The least time at the stage below before this one, e.g. 14d (production before
    /// legacy_disabled, beta before production).
    #[arg(long, value_name = "DURATION", value_parser = parse_span)]
    after: Option<Duration>,
    /// The least role that may make the move through a server: admin or operator.
    #[arg(long, value_name = "ROLE")]
    role: Option<Role>,
    /// Remove the stage's prerequisites.
    #[arg(long, conflicts_with_all = ["gates", "after", "role"])]
    clear: bool,
}

pub(crate) async fn run(session: &Session, args: &RequireArgs) -> anyhow::Result<()> {
    let requirement = StageRequirement {
        gates: args.gates.clone(),
        after_s: args.after.map(|d| d.as_secs()),
        role: args.role,
    };
    if !args.clear && requirement.is_empty() {
        anyhow::bail!(
            "name what entering {} needs (--gate, --after, --role), or --clear to need nothing",
            args.stage
        );
    }
    let change = FlagChange::SetRequirement {
        stage: args.stage,
        requirement: (!args.clear).then_some(requirement),
    };
    change::apply(session, &args.target, &[change]).await
}
