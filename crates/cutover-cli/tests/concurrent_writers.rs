//! Two processes applying 500 changes each to the same flag: nothing reported as done is lost.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeMap;

use common::Cutover;

/// Each process sets distinct percentages (A: 0.01..5.00, B: 50.01..55.00), so every successful
/// call is a real change that must appear in the log.
fn writer(c: &Cutover, base: u32) -> Vec<(u64, u64, String)> {
    (1..=500u32)
        .filter_map(|i| {
            let bps = base + i;
            let pct = format!("{}.{:02}", bps / 100, bps % 100);
            let run = c.run(&["--json", "rollout", "set", "race", "--percent", &pct]);
            if run.code != 0 {
                eprintln!("change to {pct} failed: {}", run.stderr);
                return None;
            }
            let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(v["changed"], true, "{pct}: {}", run.stdout);
            Some((
                v["audit_id"].as_u64().unwrap(),
                v["flag"]["version"].as_u64().unwrap(),
                pct,
            ))
        })
        .collect()
}

#[test]
fn two_processes_racing_lose_nothing() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "race"]);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| writer(&c, 0));
        let b = s.spawn(|| writer(&c, 5_000));
        (a.join().unwrap(), b.join().unwrap())
    });
    let successes: Vec<_> = a.iter().chain(&b).collect();
    assert!(
        successes.len() >= 990,
        "only {} of 1000 changes succeeded",
        successes.len()
    );

    let flag: serde_json::Value =
        serde_json::from_str(&c.ok(&["--json", "flag", "get", "race"])).unwrap();
    assert_eq!(
        flag["version"].as_u64().unwrap(),
        1 + successes.len() as u64
    );

    let log: Vec<serde_json::Value> = serde_json::from_str(&c.ok(&[
        "--json",
        "audit",
        "query",
        "--flag",
        "race",
        "--action",
        "flag.rollout",
    ]))
    .unwrap();
    let by_id: BTreeMap<u64, &serde_json::Value> =
        log.iter().map(|e| (e["id"].as_u64().unwrap(), e)).collect();
    assert_eq!(by_id.len(), successes.len());
    let mut versions: Vec<u64> = Vec::new();
    for (audit_id, version, pct) in &successes {
        let entry = by_id
            .get(audit_id)
            .unwrap_or_else(|| panic!("audit #{audit_id} ({pct}%) is missing"));
        let after = &entry["after"];
        assert_eq!(after["version"].as_u64(), Some(*version));
        let stored: f64 = after["rollout_percent"].as_f64().unwrap();
        assert!(
            (stored - pct.parse::<f64>().unwrap()).abs() < 1e-9,
            "audit #{audit_id}: {stored} vs {pct}"
        );
        versions.push(*version);
    }
    versions.sort_unstable();
    assert_eq!(
        versions,
        (2..2 + successes.len() as u64).collect::<Vec<_>>(),
        "each success got its own version"
    );
    let verify = c.run(&["audit", "verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}
