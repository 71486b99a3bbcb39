//! `audit query`, `audit recent` and `audit export` read the log in pages, locally and through a
//! server (whose answers are pages of at most 500 entries, linked to the next), and still give
//! every entry asked for, once, in order.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

/// A store with `n` flags, created by one import: `n` audit entries.
fn with_entries(n: usize) -> Cutover {
    let c = Cutover::new();
    let flags: Vec<String> = (0..n).map(|i| format!(r#"{{"key": "f{i:04}"}}"#)).collect();
    let doc = c.write(
        "flags.json",
        &format!(r#"{{"flags": [{}]}}"#, flags.join(",")),
    );
    c.ok(&["import", doc.to_str().unwrap()]);
    c
}

fn ids_of_lines(text: &str) -> Vec<u64> {
    text.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_u64()
                .unwrap()
        })
        .collect()
}

fn ids_of_array(text: &str) -> Vec<u64> {
    serde_json::from_str::<Vec<serde_json::Value>>(text)
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn audit_reads_go_through_pages_locally_and_through_a_server() {
    let c = with_entries(1234);
    let all: Vec<u64> = (1..=1234).collect();
    assert_eq!(ids_of_lines(&c.ok(&["audit", "export"])), all);
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    let remote = |args: &[&str]| {
        let mut full = vec!["--server", served.url.as_str(), "--token", token.as_str()];
        full.extend_from_slice(args);
        c.ok(&full)
    };
    // The serve process made the first admin token: one more entry.
    let all: Vec<u64> = (1..=1235).collect();
    assert_eq!(
        ids_of_lines(&remote(&["audit", "export"])),
        all,
        "remote export"
    );
    let out = c.path("audit.jsonl");
    remote(&["audit", "export", "--out", out.to_str().unwrap()]);
    assert_eq!(ids_of_lines(&std::fs::read_to_string(&out).unwrap()), all);
    let queried = remote(&["--json", "audit", "query", "--limit", "1100"]);
    assert_eq!(
        ids_of_array(&queried),
        (1..=1100).collect::<Vec<_>>(),
        "remote query"
    );
    let recent = remote(&["--json", "audit", "recent", "-n", "700"]);
    assert_eq!(
        ids_of_array(&recent),
        (536..=1235).rev().collect::<Vec<_>>(),
        "remote recent"
    );
    let local = c.ok(&["--json", "audit", "recent", "-n", "700"]);
    assert_eq!(
        ids_of_array(&local),
        (536..=1235).rev().collect::<Vec<_>>(),
        "local recent"
    );
    let filtered = remote(&["audit", "export", "--action", "token.*"]);
    assert_eq!(ids_of_lines(&filtered), [1235]);
}
