//! The agents both example routers know, with the trigger words that pick them: one table, so
//! the routers differ only where they are meant to.

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
