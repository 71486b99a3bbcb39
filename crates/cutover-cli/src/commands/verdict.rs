//! `cutover verdict record|list`: the named verdicts a release waits for (a CI job, a load test,
//! a person's sign-off), kept on the flag beside the golden runs recorded by `golden ... --flag
//! KEY --verdict NAME`. The gates `verdict(NAME)`, `verdicts(all)` and `golden` read them.

use std::time::Duration;

use anyhow::Context as _;
use clap::{ArgGroup, Args, Subcommand};
use cutover_core::{FlagChange, FlagKey, Verdict, VerdictName, VerdictSource, shown};

use crate::output;
use crate::session::Session;
use crate::values::{parse_key, parse_span};

#[derive(Debug, Subcommand)]
pub(crate) enum VerdictCmd {
    /// Record the latest verdict of a named check against a flag (audited; replaces the
    /// previous verdict of that name).
    Record(RecordArgs),
    /// The verdicts a flag holds, with where each stands now.
    List {
        #[arg(value_parser = parse_key)]
        key: FlagKey,
    },
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("outcome").required(true).args(["pass", "fail"])))]
pub(crate) struct RecordArgs {
    #[arg(value_parser = parse_key)]
    key: FlagKey,
    /// The check's name: 1 to 64 of a-z, 0-9, '.', '_', '-' (e.g. integration-tests).
    name: VerdictName,
    /// The check passed.
    #[arg(long)]
    pass: bool,
    /// The check failed.
    #[arg(long)]
    fail: bool,
    /// What the check says about itself, as JSON (at most 8 KiB), e.g. '{"failed": 0}'.
    #[arg(long, value_name = "JSON", value_parser = parse_details)]
    details: Option<serde_json::Value>,
    /// Where the evidence is (an http:// or https:// address), e.g. the CI run.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// How long the verdict counts; after that it is missing until recorded again, e.g. 7d.
    #[arg(long, value_name = "DURATION", value_parser = parse_span)]
    valid_for: Option<Duration>,
}

fn parse_details(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| {
        format!("{text:?} is not JSON ({e}); give an object such as '{{\"failed\": 0}}'")
    })
}

pub(crate) async fn run(session: &Session, cmd: &VerdictCmd) -> anyhow::Result<()> {
    match cmd {
        VerdictCmd::Record(args) => record(session, args).await,
        VerdictCmd::List { key } => {
            let flag = session.control.flag(key).await?;
            if session.json {
                return output::json(&shown(&flag.verdicts, session.now));
            }
            if flag.verdicts.is_empty() {
                println!("flag {key} holds no verdicts");
                return Ok(());
            }
            for (name, verdict) in &flag.verdicts {
                println!("{}", line(name, verdict, session));
            }
            Ok(())
        }
    }
}

async fn record(session: &Session, args: &RecordArgs) -> anyhow::Result<()> {
    let expires_at = args
        .valid_for
        .map(|d| {
            let span = jiff::SignedDuration::try_from(d).context("--valid-for is too long")?;
            session
                .now
                .checked_add(span)
                .context("--valid-for reaches past the year 9999")
        })
        .transpose()?;
    let verdict = Verdict {
        passed: args.pass,
        source: VerdictSource::Recorded,
        // Who and when are the layer's to stamp: the actor of the change, its clock.
        at: session.now,
        by: String::new(),
        expires_at,
        url: args.url.clone(),
        details: args.details.clone(),
        golden: None,
    };
    let change = FlagChange::RecordVerdict {
        name: args.name.clone(),
        verdict,
    };
    let done = session
        .control
        .change_flag(&args.key, None, &[change], &session.meta()?)
        .await?;
    let Some(recorded) = done.value.verdicts.get(&args.name) else {
        anyhow::bail!("the flag came back without the verdict {}", args.name);
    };
    if session.json {
        return output::json(&serde_json::json!({
            "flag": args.key,
            "name": args.name,
            "verdict": recorded,
            "audit_id": done.audit_id,
        }));
    }
    let audit = done
        .audit_id
        .map(|id| format!(" (audit #{id})"))
        .unwrap_or_default();
    println!(
        "verdict recorded against flag {}{audit}: {}",
        args.key,
        line(&args.name, recorded, session)
    );
    Ok(())
}

/// One verdict in a line: name, where it stands now, when and by whom, until when, and where
/// its evidence is.
fn line(name: &VerdictName, verdict: &Verdict, session: &Session) -> String {
    let mut text = format!(
        "{name}: {} (recorded {}",
        verdict.standing(session.now).as_str(),
        verdict.at
    );
    if !verdict.by.is_empty() {
        text.push_str(&format!(" by {}", verdict.by));
    }
    text.push(')');
    if verdict.source == VerdictSource::Golden {
        text.push_str(", golden run");
        if let Some(run) = &verdict.golden {
            text.push_str(&format!(
                " of {}: {} of {} cases failed",
                run.corpus, run.failed, run.cases
            ));
        }
    }
    if let Some(at) = verdict.expires_at {
        text.push_str(&format!(", valid until {at}"));
    }
    if let Some(url) = &verdict.url {
        text.push_str(&format!(", {url}"));
    }
    text
}
