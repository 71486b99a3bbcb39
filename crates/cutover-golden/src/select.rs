//! Which scenarios a run executes: all, one by name (`--scenario`), those whose name matches a
//! glob (`--filter`), or both conditions at once. A selection that matches nothing is an error,
//! never a silently green run of zero cases.

use globset::{Glob, GlobMatcher};

use crate::corpus::Corpus;
use crate::error::GoldenError;

#[derive(Debug, Clone, Default)]
pub struct Selection {
    scenario: Option<String>,
    filter: Option<(String, GlobMatcher)>,
}

impl Selection {
    /// Every scenario.
    pub fn all() -> Selection {
        Selection::default()
    }

    /// Only the scenario with exactly this name.
    pub fn scenario(mut self, name: impl Into<String>) -> Selection {
        self.scenario = Some(name.into());
        self
    }

    /// Only scenarios whose name matches `glob` (`*`, `?`, `[a-z]`, `{a,b}`).
    pub fn filter(mut self, glob: &str) -> Result<Selection, GoldenError> {
        let matcher = Glob::new(glob)
            .map_err(|e| GoldenError::InvalidFilter {
                glob: glob.to_owned(),
                why: e.kind().to_string(),
            })?
            .compile_matcher();
        self.filter = Some((glob.to_owned(), matcher));
        Ok(self)
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(name) = &self.scenario {
            parts.push(format!("--scenario {name}"));
        }
        if let Some((glob, _)) = &self.filter {
            parts.push(format!("--filter {glob}"));
        }
        parts.join(" ")
    }

    /// The selected scenarios as (file, scenario) indexes, in corpus order.
    pub(crate) fn pick(&self, corpus: &Corpus) -> Result<Vec<(usize, usize)>, GoldenError> {
        if let Some(name) = &self.scenario
            && !corpus.scenario_names().any(|n| n == name)
        {
            let names: Vec<&str> = corpus.scenario_names().collect();
            let mut known = names
                .iter()
                .take(10)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > 10 {
                known.push_str(&format!(", ... ({} in all)", names.len()));
            }
            return Err(GoldenError::UnknownScenario {
                name: name.clone(),
                known,
            });
        }
        let mut picked = Vec::new();
        for (f, file) in corpus.files.iter().enumerate() {
            for (s, scenario) in file.scenarios.iter().enumerate() {
                let by_name = self.scenario.as_ref().is_none_or(|n| *n == scenario.name);
                let by_glob = self
                    .filter
                    .as_ref()
                    .is_none_or(|(_, m)| m.is_match(&scenario.name));
                if by_name && by_glob {
                    picked.push((f, s));
                }
            }
        }
        if picked.is_empty() {
            return Err(GoldenError::EmptySelection {
                what: self.describe(),
            });
        }
        Ok(picked)
    }
}
