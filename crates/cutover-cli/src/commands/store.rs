//! `cutover store copy` and `cutover store backup`: moving a whole store to another backend or
//! place, and keeping a consistent copy of a live one, on a store here or through a server. The
//! work is the store crate's (`cutover_store::copy`, `Control::backup` over `Store::backup`);
//! this prints what it did.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use std::sync::Arc;

use clap::Subcommand;
use cutover_control::{BackupReport, CopyReport, PgStore, SqliteStore, Store};
use cutover_core::VerifyReport;

use crate::global::Global;
use crate::output;
use crate::session::Session;

#[derive(Debug, Subcommand)]
pub(crate) enum StoreCmd {
    /// Copy everything the store holds (flags, presets, tokens, plans and runs, golden verdicts,
    /// the whole audit log with its head and seal, metrics, guard history) into an empty store,
    /// row for row: the target verifies with the same audit head and every token works there.
    /// The source is the usual store (--db or --postgres), or with --server a backup of the
    /// server's store taken for the copy; nothing is written to it.
    Copy {
        /// The target: a SQLite file path (created when missing) or a postgres:// URL (its
        /// schema is created when missing). It must hold nothing yet.
        #[arg(long, value_name = "PATH_OR_URL", value_parser = parse_copy_target)]
        to: CopyTo,
    },
    /// Write a consistent copy of the store to a new SQLite file while servers go on writing
    /// (SQLite: VACUUM INTO; PostgreSQL: a store copy into the file), and verify it. With
    /// --server (admin token), the server takes it and the file here is checked against the
    /// server's digest. Never replaces an existing file.
    Backup {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Where `store copy` writes.
#[derive(Debug, Clone)]
pub(crate) enum CopyTo {
    Sqlite(PathBuf),
    Postgres(String),
}

/// A postgres:// or postgresql:// URL, or a path; any other scheme is a mistake to name.
fn parse_copy_target(s: &str) -> Result<CopyTo, String> {
    match s.split_once("://") {
        Some(("postgres" | "postgresql", _)) => Ok(CopyTo::Postgres(s.to_owned())),
        Some((scheme, _)) => Err(format!(
            "{scheme}:// is not a store cutover can copy to; accepted: a SQLite file path such as \
             ./copy.db, or a PostgreSQL URL such as postgres://user@host/cutover"
        )),
        None if s.is_empty() => {
            Err("the target is empty; accepted: a SQLite file path or a postgres:// URL".to_owned())
        }
        None => Ok(CopyTo::Sqlite(PathBuf::from(s))),
    }
}

/// Both go through the application layer, so they work on a store here or through a server
/// alike. A backup is taken where the store is (through a server: there, then downloaded and
/// checked against the server's digest). A copy reads a backup of the store (one consistent
/// snapshot, taken into a temporary directory here) row for row into the target.
pub(crate) async fn run(cmd: &StoreCmd, global: &Global) -> anyhow::Result<ExitCode> {
    let session = Session::open(global, false).await?;
    let result = match cmd {
        StoreCmd::Backup { file } => match session.control.backup(file).await {
            Ok(report) => backup_report(global.json, &report),
            Err(e) => Err(e.into()),
        },
        StoreCmd::Copy { to } => copy_from_a_snapshot(&session, to, global).await,
    };
    session.close().await;
    result
}

async fn copy_from_a_snapshot(
    session: &Session,
    to: &CopyTo,
    global: &Global,
) -> anyhow::Result<ExitCode> {
    let snapshot = tempfile::Builder::new()
        .prefix("cutover-copy-")
        .tempdir()
        .context("cannot make a temporary directory for the store's snapshot")?;
    let path = snapshot.path().join("snapshot.db");
    session.control.backup(&path).await?;
    // Sealed with the same key as the store, so its seal is checked as the store's would be.
    let source = SqliteStore::open(&path).await?;
    let source: Arc<dyn Store> = match global.audit_key.clone() {
        Some(key) => Arc::new(source.with_audit_key(key)),
        None => Arc::new(source),
    };
    let copied = copy(&*source, to, global).await;
    source.close().await;
    copied
}

/// Where the source is, for people; a URL is never printed (it may hold a password).
fn source_place(global: &Global) -> String {
    match (&global.server, &global.postgres) {
        (Some(url), _) => format!("the store of the server at {url}"),
        (None, Some(_)) => "the PostgreSQL database".to_owned(),
        (None, None) => global.db.display().to_string(),
    }
}

/// Opens the target, creating the file or the schema when it is not there yet, with the same
/// audit key as the source: a sealed log stays sealed and its seal is checked on the target.
async fn open_target(to: &CopyTo, global: &Global) -> anyhow::Result<(Arc<dyn Store>, String)> {
    let key = global.audit_key.clone();
    Ok(match to {
        CopyTo::Sqlite(path) => {
            let store = SqliteStore::open(path).await?;
            let store = match key {
                Some(key) => store.with_audit_key(key),
                None => store,
            };
            (Arc::new(store), path.display().to_string())
        }
        CopyTo::Postgres(url) => {
            let store = PgStore::connect(url).await?;
            let store = match key {
                Some(key) => store.with_audit_key(key),
                None => store,
            };
            (Arc::new(store), "the PostgreSQL database".to_owned())
        }
    })
}

async fn copy(source: &dyn Store, to: &CopyTo, global: &Global) -> anyhow::Result<ExitCode> {
    let (target, place) = open_target(to, global).await?;
    let copied = cutover_control::copy(source, &*target).await;
    target.close().await;
    let report = copied?;
    if global.json {
        output::json(&report)?;
    } else {
        copy_report(&report, &source_place(global), &place);
    }
    Ok(ExitCode::SUCCESS)
}

fn copy_report(report: &CopyReport, from: &str, to: &str) {
    println!("copied {from} into {to}:");
    for table in &report.tables {
        println!("  {}", table.shown);
    }
    println!(
        "audit head on both sides: entry {}, hash {}",
        report.head_id, report.head_hash
    );
    println!("{to}: {}", verdict(&report.target));
}

fn verdict(report: &VerifyReport) -> String {
    if report.is_intact() {
        format!("audit log intact ({} entries)", report.entries)
    } else {
        format!(
            "audit log does NOT verify: {}",
            report.problems().join("; ")
        )
    }
}

fn backup_report(json: bool, report: &BackupReport) -> anyhow::Result<ExitCode> {
    let intact = report.verify.is_intact();
    if json {
        let mut value = serde_json::to_value(report)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("intact".into(), intact.into());
            object.insert("problems".into(), report.verify.problems().into());
        }
        output::json(&value)?;
    } else {
        let how = match report.method.as_str() {
            "sqlite_vacuum_into" => "a consistent snapshot of the SQLite store",
            _ => "a store copy into a new SQLite file",
        };
        println!("backup written to {} ({how})", report.path);
        println!(
            "audit head: entry {}, hash {}",
            report.head_id, report.head_hash
        );
        println!("backup: {}", verdict(&report.verify));
        if !intact {
            println!(
                "the store itself holds the same log: check it with `cutover audit verify`; the \
                 backup is kept as it is"
            );
        }
        println!(
            "restore: stop `cutover serve` and put the file in place of the store, or `cutover \
             --db {} store copy --to TARGET` into an empty store",
            report.path
        );
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
