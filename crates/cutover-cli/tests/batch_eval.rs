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

/// Runs `eval --batch -` with `input` on stdin; the output lines, parsed, and the exit code.
fn batch_stdin(c: &Cutover, input: &[u8]) -> (Vec<serde_json::Value>, i32, String) {
    use std::io::Write;
    let mut child = c
        .command(&["eval", "--batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        lines,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = r#"{"flag":"checkout","context":{"user_id":"u1"}}"#;

#[test]
fn a_line_that_is_not_utf8_gets_an_error_object_and_the_batch_goes_on() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let mut input = Vec::new();
    input.extend_from_slice(GOOD.as_bytes());
    input.extend_from_slice(b"\n{\"flag\":\"checkout\",\"context\":{\"user_id\":\"caf\xe9\"}}\n");
    input.extend_from_slice(GOOD.as_bytes());
    input.push(b'\n');
    let (out, code, stderr) = batch_stdin(&c, &input);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        out.len(),
        3,
        "one output line per input line: {out:?} {stderr}"
    );
    assert_eq!(out[0]["variant"], "legacy");
    assert_eq!(out[1]["line"], 2);
    assert!(
        out[1]["error"].as_str().unwrap().contains("UTF-8"),
        "{}",
        out[1]
    );
    assert_eq!(out[2]["variant"], "legacy");
}

#[test]
fn blank_lines_get_an_error_object_so_outputs_stay_aligned_with_inputs() {
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let input = format!("{GOOD}\n\n   \n{GOOD}\r\n{GOOD}");
    let (out, code, stderr) = batch_stdin(&c, input.as_bytes());
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(out.len(), 5, "one output line per input line: {out:?}");
    for (i, blank) in [(1, 2), (2, 3)] {
        assert_eq!(out[i]["line"], blank);
        assert!(
            out[i]["error"].as_str().unwrap().contains("empty"),
            "{}",
            out[i]
        );
    }
    for i in [0, 3, 4] {
        assert_eq!(out[i]["flag"], "checkout", "line {}: {}", i + 1, out[i]);
    }
}

/// The peak resident memory of a running process, from /proc.
#[cfg(target_os = "linux")]
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

#[cfg(target_os = "linux")]
#[test]
fn a_300_mib_line_is_an_error_object_read_in_bounded_memory() {
    use std::io::{BufRead, BufReader, Write};
    let c = Cutover::new();
    c.ok(&["flag", "create", "checkout"]);
    let mut child = c
        .command(&["eval", "--batch", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let chunk = vec![b'x'; 1 << 20];
    stdin
        .write_all(b"{\"flag\":\"checkout\",\"context\":{\"user_id\":\"")
        .unwrap();
    for _ in 0..300 {
        stdin.write_all(&chunk).unwrap();
    }
    stdin.write_all(b"\"}}\n").unwrap();
    stdin.write_all(GOOD.as_bytes()).unwrap();
    stdin.write_all(b"\n").unwrap();
    stdin.flush().unwrap();
    // The child has read all but a pipe's worth of the long line by now, and waits for more
    // input: its peak memory so far is what reading that line cost.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let peak = peak_rss_bytes(child.id());
    drop(stdin);
    let out = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap())
        .collect::<Vec<_>>();
    let status = child.wait().unwrap();
    assert!(
        peak < 64 << 20,
        "reading a 300 MiB line took {} MiB of memory",
        peak >> 20
    );
    assert_eq!(status.code(), Some(1));
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0]["line"], 1);
    let error = out[0]["error"].as_str().unwrap();
    assert!(
        error.contains("1 MiB") && error.contains("314572"),
        "{error}"
    );
    assert_eq!(out[1]["flag"], "checkout");
}
