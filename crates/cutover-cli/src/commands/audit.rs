//! `cutover audit recent|query|verify|export`.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use cutover_core::{AuditEntry, ChainReport, ChainWalk};
use cutover_store::AuditQuery;

use crate::args::{AuditCmd, AuditFilter};
use crate::output;
use crate::session::Session;

pub(crate) async fn run(session: &Session, cmd: &AuditCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCmd::Recent { limit } => {
            let q = AuditQuery {
                limit: Some(*limit),
                newest_first: true,
                ..Default::default()
            };
            show(session, &session.store.audit(&q).await?)?;
        }
        AuditCmd::Query(filter) => show(
            session,
            &session.store.audit(&query(session, filter)?).await?,
        )?,
        AuditCmd::Verify { file } => {
            let report = match file {
                Some(path) => verify_file(path)?,
                None => session.store.verify_audit().await?,
            };
            return print_report(session, &report);
        }
        AuditCmd::Export { filter, out } => {
            let entries = session.store.audit(&query(session, filter)?).await?;
            let sink: Box<dyn Write> = match out {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut sink = BufWriter::new(sink);
            for entry in &entries {
                serde_json::to_writer(&mut sink, entry)?;
                sink.write_all(b"\n")?;
            }
            sink.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn query(session: &Session, f: &AuditFilter) -> anyhow::Result<AuditQuery> {
    Ok(AuditQuery {
        after_id: None,
        actor: session.actor_filter(),
        flag: f.flag.clone(),
        action: f.action.clone(),
        since: f
            .since
            .as_ref()
            .map(|w| w.before(session.now))
            .transpose()?,
        until: f
            .until
            .as_ref()
            .map(|w| w.before(session.now))
            .transpose()?,
        limit: f.limit,
        newest_first: false,
    })
}

fn show(session: &Session, entries: &[AuditEntry]) -> anyhow::Result<()> {
    if session.json {
        return output::json(entries);
    }
    output::table(
        ["ID", "TIME", "ACTOR", "ACTION", "ENTITY", "REASON"],
        entries.iter().map(|e| {
            [
                e.id.to_string(),
                output::time(e.at),
                e.actor.clone(),
                e.action.clone(),
                e.entity.clone(),
                e.reason.clone().unwrap_or_default(),
            ]
        }),
    );
    Ok(())
}

/// Verifies an exported JSONL file: its chain must start at entry 1 and be unbroken.
fn verify_file(path: &std::path::Path) -> anyhow::Result<ChainReport> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut walk = ChainWalk::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: AuditEntry = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not an audit entry", path.display(), n + 1))?;
        if !walk.push(&entry) {
            break;
        }
    }
    Ok(walk.finish(None))
}

fn print_report(session: &Session, report: &ChainReport) -> anyhow::Result<ExitCode> {
    if session.json {
        output::json(&serde_json::json!({
            "intact": report.is_intact(),
            "entries": report.entries,
            "head_hash": report.head_hash,
            "fault": report.fault,
            "message": report.fault.as_ref().map(ToString::to_string),
        }))?;
    } else {
        let n = report.entries;
        let entries = if n == 1 {
            "1 entry".to_owned()
        } else {
            format!("{n} entries")
        };
        match &report.fault {
            None => println!("audit log intact: {entries}, head {}", report.head_hash),
            Some(fault) => println!("audit log TAMPERED: {fault} ({entries} verified before it)"),
        }
    }
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
