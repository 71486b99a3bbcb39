//! `eval --batch`: one decision per input line, the same as single evaluation.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::Cutover;

#[test]
fn batch_decisions_match_single_evaluations_and_bad_lines_are_reported_in_place() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    c.ok(&["rollout", "set", "checkout", "--percent", "30"]);
    c.ok(&[
        "override",
        "add",
        "checkout",
        "--attr",
        "tenant",
        "--value",
        "acme",
        "--variant",
        "new",
    ]);
    let mut lines = Vec::new();
    for i in 0..300 {
        lines.push(format!(
            r#"{{"flag":"checkout","context":{{"user_id":"user-{i}","n":{i}}}}}"#
        ));
    }
    lines.push(r#"{"flag":"checkout","context":{"tenant":"acme"}}"#.to_owned());
    lines.push(r#"{"flag":"missing","context":{}}"#.to_owned());
    lines.push("not json".to_owned());
    lines.push(r#"{"flag":"checkout","context":{"user_id":["nested"]}}"#.to_owned());
    let input = c.write("users.jsonl", &(lines.join("\n") + "\n"));

    let run = c.run(&["eval", "--batch", input.to_str().unwrap()]);
    assert_eq!(
        run.code, 1,
        "malformed lines make the run fail: {}",
        run.stderr
    );
    assert!(run.stderr.contains("2 malformed line(s)"), "{}", run.stderr);
    let out: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(out.len(), lines.len(), "one output line per input line");

    let mut new = 0;
    for (i, decision) in out.iter().take(300).enumerate() {
        let single: serde_json::Value = serde_json::from_str(&c.ok(&[
            "--json",
            "eval",
            "checkout",
            "--ctx",
            &format!("user_id=user-{i}"),
        ]))
        .unwrap();
        if i % 30 == 0 {
            assert_eq!(decision, &single, "line {i}");
        }
        new += usize::from(decision["variant"] == "new");
    }
    assert!(
        (60..120).contains(&new),
        "about 30% of 300 should be new, got {new}"
    );
    assert_eq!(out[300]["reason"]["kind"], "override");
    assert_eq!(out[301]["reason"]["kind"], "flag_not_found");
    assert_eq!(out[302]["line"], 303);
    assert!(out[303]["error"].as_str().unwrap().contains("\"user_id\""));
}
