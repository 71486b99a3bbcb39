//! A golden corpus: scenarios read from scenario files (`.json`, one scenario each), JSON-lines
//! files (`.jsonl`, one case or scenario per line), or a directory of both.
//!
//! A scenario has a name, an optional description, a seed (given, or derived from the name so
//! that a run is reproducible either way) and steps; each step has an input, optional
//! expectations and, once recorded, the subject's output. See `docs/golden.md`.

mod file;
pub(crate) mod scenario;
pub(crate) mod store;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub(crate) use scenario::{CorpusFile, Format, Scenario, Shape, Step, StepRef};

use crate::error::GoldenError;

/// A loaded corpus.
#[derive(Debug)]
pub struct Corpus {
    root: PathBuf,
    pub(crate) files: Vec<CorpusFile>,
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()? {
        "json" => Some(Format::Scenario),
        "jsonl" => Some(Format::Lines),
        _ => None,
    }
}

/// Corpus files under `dir`, sorted, skipping hidden entries (editors' and tools' files).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), GoldenError> {
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
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if format_of(&path).is_some() {
            out.push(path);
        }
    }
    Ok(())
}

/// The corpus files a path names: itself, or the files of a directory.
pub(crate) fn corpus_files(path: &Path) -> Result<Vec<PathBuf>, GoldenError> {
    let meta = std::fs::metadata(path).map_err(|source| GoldenError::Read {
        path: path.to_owned(),
        source,
    })?;
    if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files)?;
        return Ok(files);
    }
    if format_of(path).is_none() {
        return Err(GoldenError::NotACorpus {
            path: path.to_owned(),
            why: "the file name ends neither in .json nor in .jsonl".to_owned(),
        });
    }
    Ok(vec![path.to_owned()])
}

pub(crate) fn parse_file(path: &Path, text: &str) -> Result<CorpusFile, GoldenError> {
    let format = format_of(path).unwrap_or(Format::Lines);
    let invalid = |line, why| GoldenError::InvalidCase {
        path: path.to_owned(),
        line,
        why,
    };
    let scenarios = match format {
        Format::Scenario => vec![file::parse(text, 1).map_err(|why| invalid(1, why))?],
        Format::Lines => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| file::parse(l, i + 1).map_err(|why| invalid(i + 1, why)))
            .collect::<Result<_, _>>()?,
    };
    Ok(CorpusFile {
        path: path.to_owned(),
        format,
        scenarios,
    })
}

impl Corpus {
    /// Reads a scenario file, a JSON-lines file or a directory of them. Every case is checked:
    /// unknown keys, bad expectations and names used twice are refused with the file and line.
    pub fn load(path: impl AsRef<Path>) -> Result<Corpus, GoldenError> {
        let root = path.as_ref().to_owned();
        let mut files = Vec::new();
        for file in corpus_files(&root)? {
            let text = std::fs::read_to_string(&file).map_err(|source| GoldenError::Read {
                path: file.clone(),
                source,
            })?;
            files.push(parse_file(&file, &text)?);
        }
        let corpus = Corpus { root, files };
        if corpus.scenario_count() == 0 {
            return Err(GoldenError::NotACorpus {
                path: corpus.root,
                why: "it holds no case".to_owned(),
            });
        }
        corpus.check_names()?;
        Ok(corpus)
    }

    fn check_names(&self) -> Result<(), GoldenError> {
        let mut seen: HashMap<&str, String> = HashMap::new();
        for f in &self.files {
            for s in &f.scenarios {
                let here = format!("{}:{}", f.path.display(), s.line);
                if let Some(first) = seen.insert(&s.name, here.clone()) {
                    return Err(GoldenError::DuplicateScenario {
                        name: s.name.clone(),
                        first,
                        second: here,
                    });
                }
            }
        }
        Ok(())
    }

    /// The path the corpus was loaded from.
    pub fn path(&self) -> &Path {
        &self.root
    }

    pub fn scenario_count(&self) -> usize {
        self.files.iter().map(|f| f.scenarios.len()).sum()
    }

    /// Steps over every scenario: the cases a full run executes.
    pub fn case_count(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.scenarios)
            .map(|s| s.steps.len())
            .sum()
    }

    /// Scenario names in corpus order.
    pub fn scenario_names(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .flat_map(|f| &f.scenarios)
            .map(|s| s.name.as_str())
    }

    pub(crate) fn scenario(&self, file: usize, scenario: usize) -> &Scenario {
        &self.files[file].scenarios[scenario]
    }

    pub(crate) fn step(&self, r: StepRef) -> &Step {
        &self.scenario(r.file, r.scenario).steps[r.step]
    }

    /// How a step is named in reports: the scenario's name, with `:N` for a step of a scenario
    /// that has several.
    pub(crate) fn case_name(&self, r: StepRef) -> String {
        let s = self.scenario(r.file, r.scenario);
        match s.shape {
            Shape::Case => s.name.clone(),
            Shape::Steps => format!("{}:{}", s.name, r.step + 1),
        }
    }

    pub(crate) fn file_name(&self, r: StepRef) -> String {
        self.files[r.file].path.display().to_string()
    }
}

#[cfg(test)]
mod tests;
