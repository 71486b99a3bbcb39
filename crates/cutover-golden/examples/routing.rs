//! What both example routers share: the agents they know with the trigger words that pick
//! them, the request they read, and the JSON-lines loop, so the routers differ only where they
//! are meant to.

use std::io::{BufRead, Write};

use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) const AGENTS: [(&str, &[&str]); 8] = [
    (
        "api-architect",
        &["api", "endpoint", "rest", "graphql", "schema"],
    ),
    (
        "debug-specialist",
        &["bug", "error", "crash", "exception", "traceback", "broken"],
    ),
    (
        "test-writer",
        &["test", "coverage", "unittest", "pytest", "flaky"],
    ),
    (
        "security-auditor",
        &[
            "security",
            "vulnerability",
            "auth",
            "cve",
            "secret",
            "injection",
        ],
    ),
    (
        "docs-writer",
        &["docs", "document", "readme", "documentation", "changelog"],
    ),
    (
        "performance-tuner",
        &["slow", "latency", "performance", "profile", "memory"],
    ),
    (
        "database-expert",
        &["sql", "query", "index", "database", "migration", "postgres"],
    ),
    (
        "devops-engineer",
        &["deploy", "docker", "kubernetes", "ci", "pipeline", "helm"],
    ),
];

#[derive(Deserialize)]
pub(crate) struct Request {
    pub(crate) step: u64,
    pub(crate) seed: u64,
    pub(crate) input: Input,
}

#[derive(Deserialize)]
pub(crate) struct Input {
    pub(crate) prompt: String,
    #[serde(default)]
    pub(crate) explicit_agent: Option<String>,
}

/// The prompt's words, lower-cased.
pub(crate) fn words(prompt: &str) -> Vec<String> {
    prompt
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Answers one JSON line per request line until stdin closes; `route` keeps what it needs
/// between the turns of a session in `last`.
pub(crate) fn serve(mut route: impl FnMut(&Request, &mut Option<String>) -> Value) {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut last = None;
    for line in stdin.lines() {
        let Ok(line) = line else { break };
        let answer = match serde_json::from_str::<Request>(&line) {
            Ok(req) => route(&req, &mut last),
            Err(e) => json!({"error": format!("not a routing request: {e}")}),
        };
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}
