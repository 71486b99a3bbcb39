//! Writing recordings: whole files replaced atomically, pending `.new` files beside them (as insta
//! writes `.snap.new` in CI), and `accept` / `reject` of those.
//!
//! A file is only ever replaced by `rename` of a complete, flushed temporary file in the same
//! directory, so a crash, a kill or a full disk leaves the old recording or the new one, never
//! half of either.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::scenario::{CorpusFile, Format, StepRef};
use super::{file, parse_file};
use crate::error::GoldenError;

/// The pending file of a corpus file: `routing.jsonl` -> `routing.jsonl.new`.
pub fn pending_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Replaces `path` with `contents`, atomically.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), GoldenError> {
    let fail = |source| GoldenError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".golden-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(contents).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    // The rename is durable once the directory is; not every filesystem lets a directory be
    // synced, and the file itself already is, so a failure here is not worth failing the run.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The text of `file` with the given steps' recordings replaced. Scenarios with no update are
/// written back byte for byte as they were read.
pub(crate) fn render(
    file_index: usize,
    file: &CorpusFile,
    updates: &BTreeMap<StepRef, Value>,
) -> Result<String, GoldenError> {
    let mut out = String::new();
    for (i, scenario) in file.scenarios.iter().enumerate() {
        let recorded: Vec<Option<&Value>> = (0..scenario.steps.len())
            .map(|step| {
                updates.get(&StepRef {
                    file: file_index,
                    scenario: i,
                    step,
                })
            })
            .collect();
        let text = if recorded.iter().any(Option::is_some) {
            file::render(scenario, &recorded, file.format == Format::Scenario).map_err(|e| {
                GoldenError::Write {
                    path: file.path.clone(),
                    source: std::io::Error::other(e),
                }
            })?
        } else {
            scenario.original.trim_end().to_owned()
        };
        out.push_str(&text);
        out.push('\n');
    }
    Ok(out)
}

fn is_pending(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with('.') && (name.ends_with(".json.new") || name.ends_with(".jsonl.new"))
}

fn walk_pending(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), GoldenError> {
    let read = |source| GoldenError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        entries.push(entry.map_err(read)?.path());
    }
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk_pending(&path, out)?;
        } else if is_pending(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// The pending files of a corpus path, each with the file it would replace.
pub fn pending(corpus: &Path) -> Result<Vec<(PathBuf, PathBuf)>, GoldenError> {
    let mut found = Vec::new();
    if corpus.is_dir() {
        walk_pending(corpus, &mut found)?;
    } else if pending_path(corpus).is_file() {
        found.push(pending_path(corpus));
    }
    Ok(found
        .into_iter()
        .map(|p| {
            let target = p.with_extension("");
            (p, target)
        })
        .collect())
}

/// Moves every pending file over the file it replaces, in path order. Each must be a valid corpus
/// file: the first that is not stops the accept with the reason, and it and the files after it
/// stay pending.
pub fn accept(corpus: &Path) -> Result<Vec<PathBuf>, GoldenError> {
    let mut accepted = Vec::new();
    for (pending, target) in pending(corpus)? {
        let text = std::fs::read_to_string(&pending).map_err(|source| GoldenError::Read {
            path: pending.clone(),
            source,
        })?;
        parse_file(&target, &text).map_err(|e| GoldenError::InvalidPending {
            path: pending.clone(),
            why: e.to_string(),
        })?;
        std::fs::rename(&pending, &target).map_err(|source| GoldenError::Write {
            path: target.clone(),
            source,
        })?;
        accepted.push(target);
    }
    Ok(accepted)
}

/// Deletes every pending file of the corpus path.
pub fn reject(corpus: &Path) -> Result<Vec<PathBuf>, GoldenError> {
    let mut rejected = Vec::new();
    for (pending, _) in pending(corpus)? {
        std::fs::remove_file(&pending).map_err(|source| GoldenError::Write {
            path: pending.clone(),
            source,
        })?;
        rejected.push(pending);
    }
    Ok(rejected)
}
