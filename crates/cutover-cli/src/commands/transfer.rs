//! `cutover import` and `cutover export`: the flag set as a JSON or YAML file kept in git.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use cutover_core::FlagDocument;

use crate::output;
use crate::session::Session;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    pub file: PathBuf,
    /// The file's format (default: from its extension, else JSON).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also delete flags and presets the file does not name.
    #[arg(long)]
    pub prune: bool,
    /// Overwrite flags that changed in the store after the file's versions of them (without it,
    /// such an import is refused, naming them).
    #[arg(long)]
    pub force: bool,
    /// Show what the import would change, field by field, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub(crate) async fn import(session: &Session, args: &ImportArgs) -> anyhow::Result<()> {
    let path = &args.file;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = args
        .format
        .unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Format::Yaml,
            _ => Format::Json,
        });
    let doc: FlagDocument = match format {
        Format::Json => serde_json::from_str(&text).map_err(anyhow::Error::from),
        Format::Yaml => serde_yaml_ng::from_str(&text).map_err(anyhow::Error::from),
    }
    .with_context(|| {
        format!(
            "{} is not a valid flag document; nothing was imported",
            path.display()
        )
    })?;
    let options = cutover_api::ImportOptions {
        prune: args.prune,
        force: args.force,
        dry_run: args.dry_run,
    };
    let report = session
        .control
        .import(&doc, options, &session.meta()?)
        .await
        .with_context(|| format!("importing {} failed; nothing was imported", path.display()))?;
    if session.json {
        return output::json(&report);
    }
    if report.dry_run {
        println!("dry run: nothing was written; the import would change:");
    }
    if !report.changes.is_empty() {
        let show = |v: &serde_json::Value| match v {
            serde_json::Value::Null => "-".to_owned(),
            other => other.to_string(),
        };
        output::table(
            ["FLAG", "FIELD", "BEFORE", "AFTER"],
            report.changes.iter().map(|c| {
                [
                    c.flag.clone(),
                    c.field.clone(),
                    show(&c.before),
                    show(&c.after),
                ]
            }),
        );
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(", ")
        }
    };
    println!("created:   {}", list(&report.created));
    println!("updated:   {}", list(&report.updated));
    println!("unchanged: {}", list(&report.unchanged));
    if args.prune {
        println!("deleted:   {}", list(&report.deleted));
        println!("presets deleted: {}", list(&report.presets_deleted));
    }
    println!("presets defined: {}", list(&report.presets_defined));
    Ok(())
}

pub(crate) async fn export(session: &Session, args: &ExportArgs) -> anyhow::Result<()> {
    let doc = session.control.export().await?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&doc)? + "\n",
        Format::Yaml => serde_yaml_ng::to_string(&doc)?,
    };
    match &args.out {
        Some(path) => {
            // Write beside the target and rename, so a reader never sees half a file.
            let tmp = path.with_extension("tmp-export");
            std::fs::write(&tmp, text)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}
