//! `cutover audit recent|query|verify|export`; reads go through the log a page at a time.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use cutover_api::{AuditQuery, Control};
use cutover_core::limits::AUDIT_PAGE_MAX;
use cutover_core::{Anchor, AuditEntry, FlagKey, LogCheck, VerifyReport};

use crate::output;
use crate::session::Session;
use crate::values::parse_key;
use crate::when::When;

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCmd {
    /// The newest entries.
    Recent {
        #[arg(short = 'n', long, default_value_t = 20)]
        limit: u32,
    },
    /// Entries matching every filter given.
    Query(AuditFilter),
    /// Walk the hash chain and replay the log into the flags, presets and tokens it describes;
    /// exit 1 naming every entry and row that disagrees (and a seal or anchor that fails).
    Verify {
        /// Verify an exported JSONL file instead of the store (its chain only: no rows).
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Fail unless this head (as `audit head` printed it: ID:HASH, or HASH) is still on
        /// the chain: the log was not rewritten or rolled back past it since.
        #[arg(long, value_name = "ID:HASH", value_parser = parse_anchor)]
        expect_head: Option<cutover_core::Anchor>,
    },
    /// Print the audit head (id and hash): keep it elsewhere to anchor the log.
    Head,
    /// Write entries as JSON lines (all of them unless filtered).
    Export {
        #[command(flatten)]
        filter: AuditFilter,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Default)]
pub(crate) struct AuditFilter {
    #[arg(long, value_parser = parse_key)]
    pub flag: Option<FlagKey>,
    /// An action (flag.rollout) or a family (override.*).
    #[arg(long)]
    pub action: Option<String>,
    /// From this time: RFC 3339, a date, or a duration ago (24h, 7d).
    #[arg(long, value_parser = When::parse, value_name = "WHEN")]
    pub since: Option<When>,
    /// Before this time: RFC 3339, a date, or a duration ago.
    #[arg(long, value_parser = When::parse, value_name = "WHEN")]
    pub until: Option<When>,
    #[arg(long)]
    pub limit: Option<u32>,
}

fn parse_anchor(s: &str) -> Result<cutover_core::Anchor, String> {
    s.parse()
        .map_err(|e: cutover_core::CoreError| e.to_string())
}

/// Entries asked for at a time: the most a page holds, so a read of any size holds one page in
/// memory, locally and through `--server` alike.
const PAGE: u32 = AUDIT_PAGE_MAX;

/// Reads every entry `q` matches (at most its limit) page by page, handing each page to `each`
/// as it arrives.
async fn for_each_page(
    control: &dyn Control,
    mut q: AuditQuery,
    mut each: impl FnMut(&[AuditEntry]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut remaining = q.limit.map(u64::from);
    loop {
        let size = remaining.map_or(PAGE, |r| {
            u32::try_from(r.min(u64::from(PAGE))).unwrap_or(PAGE)
        });
        if size == 0 {
            return Ok(());
        }
        q.limit = Some(size);
        let page = control.audit_page(&q).await?;
        each(&page.entries)?;
        let Some(last) = page.entries.last().map(|e| e.id) else {
            return Ok(());
        };
        if !page.more {
            return Ok(());
        }
        remaining = remaining.map(|r| r.saturating_sub(page.entries.len() as u64));
        if q.newest_first {
            q.before_id = Some(last);
        } else {
            q.after_id = Some(last);
        }
    }
}

/// Every entry `q` matches, read page by page.
async fn collect(control: &dyn Control, q: AuditQuery) -> anyhow::Result<Vec<AuditEntry>> {
    let mut all = Vec::new();
    for_each_page(control, q, |page| {
        all.extend_from_slice(page);
        Ok(())
    })
    .await?;
    Ok(all)
}

pub(crate) async fn run(session: &Session, cmd: &AuditCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCmd::Recent { limit } => {
            let q = AuditQuery {
                limit: Some(*limit),
                newest_first: true,
                ..Default::default()
            };
            show(session, &collect(&*session.control, q).await?)?;
        }
        AuditCmd::Query(filter) => show(
            session,
            &collect(&*session.control, query(session, filter)?).await?,
        )?,
        AuditCmd::Verify { file, expect_head } => {
            let report = match file {
                Some(path) => verify_file(path, expect_head.clone())?,
                None => session.control.verify_audit(expect_head.as_ref()).await?,
            };
            return print_report(session, &report);
        }
        AuditCmd::Head => {
            let (id, hash) = session.control.audit_head().await?;
            let anchor = format!("{id}:{hash}");
            if session.json {
                output::json(&serde_json::json!({ "id": id, "hash": hash, "anchor": anchor }))?;
            } else {
                println!("audit head: entry {id}, hash {hash}");
                println!(
                    "keep {anchor} elsewhere; `cutover audit verify --expect-head {anchor}` fails \
                     once the log is rewritten or rolled back past it"
                );
            }
        }
        AuditCmd::Export { filter, out } => {
            let sink: Box<dyn Write> = match out {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut sink = BufWriter::new(sink);
            // Written as each page arrives: an export of any size holds one page in memory.
            for_each_page(&*session.control, query(session, filter)?, |page| {
                for entry in page {
                    serde_json::to_writer(&mut sink, entry)?;
                    sink.write_all(b"\n")?;
                }
                Ok(())
            })
            .await?;
            sink.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn query(session: &Session, f: &AuditFilter) -> anyhow::Result<AuditQuery> {
    Ok(AuditQuery {
        after_id: None,
        before_id: None,
        actor: session.actor_filter(),
        flag: f.flag.clone(),
        action: f.action.clone(),
        since: When::bound(f.since.as_ref(), session.now)?,
        until: When::bound(f.until.as_ref(), session.now)?,
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

/// Verifies an exported JSONL file: its chain must start at entry 1 and be unbroken. A file
/// has no rows to replay onto and no seal, only its chain (and an anchor, if given).
fn verify_file(path: &std::path::Path, anchor: Option<Anchor>) -> anyhow::Result<VerifyReport> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut check = LogCheck::new(anchor, None);
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: AuditEntry = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not an audit entry", path.display(), n + 1))?;
        check.push(&entry);
    }
    Ok(check.finish(None, None, None))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn print_report(session: &Session, report: &VerifyReport) -> anyhow::Result<ExitCode> {
    let problems = report.problems();
    if session.json {
        let mut value = serde_json::to_value(report)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("intact".into(), report.is_intact().into());
            object.insert("problems".into(), problems.clone().into());
            // The chain's first fault in words, as before the replay existed.
            object.insert(
                "message".into(),
                report.fault.as_ref().map(ToString::to_string).into(),
            );
        }
        output::json(&value)?;
    } else {
        let entries = plural(report.entries, "entry", "entries");
        if problems.is_empty() {
            println!("audit log intact: {entries}, head {}", report.head_hash);
        } else {
            println!(
                "audit log TAMPERED: {} ({entries} verified, head {})",
                plural(problems.len() as u64, "problem", "problems"),
                report.head_hash
            );
            for problem in &problems {
                println!("- {problem}");
            }
        }
        if let Some(state) = report.state.as_ref().filter(|s| s.agrees()) {
            println!(
                "state: {}, {} and {} agree with the log",
                plural(state.flags, "flag", "flags"),
                plural(state.presets, "preset", "presets"),
                plural(state.tokens, "token", "tokens")
            );
            for accepted in state.findings.iter().filter(|f| f.is_accepted()) {
                println!("accepted earlier: {accepted}");
            }
        }
        if let Some(state) = report
            .state
            .as_ref()
            .filter(|s| !s.unbound_tokens.is_empty())
        {
            println!(
                "note: tokens created before tokens were bound to their hash are checked by \
                 name, role and creation only: {}",
                state.unbound_tokens.join(", ")
            );
        }
        if let Some(anchor) = report.anchor.as_ref().filter(|a| a.holds()) {
            println!("anchor: {anchor}");
        }
        if let Some(seal) = report.seal.as_ref().filter(|s| s.holds()) {
            println!("seal: {seal}");
        }
    }
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
