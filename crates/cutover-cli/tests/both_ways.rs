//! One suite, two ways: every case runs once on a store (`--db`) and once through a `cutover
//! serve` of a store (`--server URL --token T`), and both runs must show the same thing: the
//! same exit codes, the same output (times, hashes and token secrets aside) and, for a refusal,
//! the same error code and message. The CLI has one code path; this holds it to that.
//!
//! Both ways start from the same kind of store: `cutover serve` created it and its first admin
//! token `admin` (audit entry 1). Locally the commands act as `admin` too (CUTOVER_ACTOR), so
//! audit entries name the same actor both ways. The server is left running for the local way
//! as well: arm metrics reach a store only through a server's upload route.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::cell::RefCell;

use common::golden_subjects;
use common::served::Served;
use common::{Cutover, Run};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Local,
    Served,
}

/// A store, the server on it, and the transcript of every command a case ran.
struct Bench {
    c: Cutover,
    served: Served,
    token: String,
    way: Way,
    transcript: RefCell<String>,
}

/// Times, hashes and secrets differ from run to run; everything else must not.
fn normalise(text: &str) -> String {
    let time =
        regex::Regex::new(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
            .unwrap();
    let hash = regex::Regex::new(r"[0-9a-f]{64}").unwrap();
    let secret = regex::Regex::new(r"cut_[A-Za-z0-9_-]+").unwrap();
    // How long a rollout step has been baking: seconds that differ with the pace of each run.
    let elapsed = regex::Regex::new(r#"("elapsed_s": )\d+|, [0-9hms ]+ into a "#).unwrap();
    let text = time.replace_all(text, "[TIME]");
    let text = hash.replace_all(&text, "[HASH]");
    let text = elapsed.replace_all(&text, |c: &regex::Captures<'_>| match c.get(1) {
        Some(key) => format!("{}[N]", key.as_str()),
        None => ", [ELAPSED] into a ".to_owned(),
    });
    secret.replace_all(&text, "[SECRET]").into_owned()
}

impl Bench {
    fn new(way: Way) -> Self {
        let c = Cutover::new();
        // No guard: its looks would land in the history at times of their own. A burst large
        // enough that no case waits out the change rate.
        let served = c.serve(&["--no-guard", "--change-burst", "10000"]);
        let token = served
            .admin_token
            .clone()
            .expect("a new store's admin token");
        Bench {
            c,
            served,
            token,
            way,
            transcript: RefCell::new(String::new()),
        }
    }

    /// Runs `cutover ARGS` this bench's way, and writes what it showed into the transcript.
    fn run(&self, args: &[&str]) -> Run {
        let run = match self.way {
            Way::Local => self.c.run_env(args, &[("CUTOVER_ACTOR", "admin")]),
            Way::Served => {
                let mut all = vec!["--server", self.served.url.as_str(), "--token", &self.token];
                all.extend_from_slice(args);
                self.c.run(&all)
            }
        };
        let mut t = self.transcript.borrow_mut();
        let dir = self.c.dir.path().to_string_lossy().into_owned();
        let norm = |text: &str| normalise(text).replace(&dir, "[DIR]");
        t.push_str(&format!(
            "$ cutover {}\nexit {}\n",
            norm(&args.join(" ")),
            run.code
        ));
        t.push_str(&norm(&run.stdout));
        if run.code != 0 {
            t.push_str("stderr: ");
            t.push_str(&norm(&run.stderr));
        }
        t.push('\n');
        run
    }

    fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(
            run.code, 0,
            "{:?}: cutover {args:?} failed:\n{}{}",
            self.way, run.stdout, run.stderr
        );
        run.stdout
    }

    /// `cutover --json ARGS`, read as JSON.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// `cutover golden ARGS` from the repository root (the corpus paths are relative to it),
    /// this bench's way. Only the exit code and the line saying where the verdict went enter the
    /// transcript: the report holds the subjects' latencies, which differ from run to run.
    fn golden(&self, args: &[&str]) -> Run {
        let mut all = Vec::new();
        if self.way == Way::Served {
            all.extend_from_slice(&["--server", self.served.url.as_str(), "--token", &self.token]);
        }
        all.push("golden");
        all.extend_from_slice(args);
        let mut cmd = self.c.command(&all);
        cmd.current_dir(golden_subjects::repo());
        if self.way == Way::Local {
            cmd.env("CUTOVER_ACTOR", "admin");
        }
        let run = Run::from(cmd.output().unwrap());
        let verdict = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("golden verdict"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut t = self.transcript.borrow_mut();
        t.push_str(&format!(
            "$ cutover golden {}\nexit {}\n{verdict}\n",
            args.join(" "),
            run.code
        ));
        run
    }

    /// `cutover --json ARGS` must be refused (exit 1); its error object.
    fn refused(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.run(&all);
        assert_eq!(
            run.code, 1,
            "{:?}: {args:?}: {}{}",
            self.way, run.stdout, run.stderr
        );
        serde_json::from_str(run.stderr.trim())
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", run.stderr))
    }

    /// Uploads arm metrics for `flag` through the server's SDK route, as a service would.
    fn upload(&self, flag: &str, legacy_calls: u64, new_calls: u64, new_errors: u64) {
        let now = jiff::Timestamp::now();
        let arm = |arm: &str, calls: u64, errors: u64| {
            serde_json::json!({"flag": flag, "arm": arm, "calls": calls, "errors": errors,
                "fallbacks": 0, "retries": 0, "latency": {"buckets": [[40, calls]]}})
        };
        let batch = serde_json::json!({"window_start": now, "window_end": now,
            "arms": [arm("legacy", legacy_calls, 0), arm("new", new_calls, new_errors)]});
        let url = format!("{}/api/v1/metrics", self.served.url);
        let token = self.token.clone();
        let answer: Value = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let http = reqwest::Client::new();
                // A flag created on the store directly reaches the server's view when it next
                // follows the log; until then its reports are set aside (and nothing counted),
                // so the batch is sent again.
                let mut answer = Value::Null;
                for _ in 0..100 {
                    let sent = http.post(&url).bearer_auth(&token).json(&batch).send();
                    let sent = sent.await.unwrap();
                    assert_eq!(sent.status(), 200);
                    answer = sent.json().await.unwrap();
                    if answer["ignored"]["arms"] == 0 {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                answer
            });
        assert_eq!(answer["ignored"]["arms"], 0, "{answer}");
    }
}

/// Runs `case` both ways and holds the two transcripts to each other.
fn both_ways(case: impl Fn(&Bench)) {
    let local = Bench::new(Way::Local);
    case(&local);
    let served = Bench::new(Way::Served);
    case(&served);
    let (l, s) = (local.transcript.take(), served.transcript.take());
    if l != s {
        let (ll, sl): (Vec<&str>, Vec<&str>) = (l.lines().collect(), s.lines().collect());
        let first = ll
            .iter()
            .zip(&sl)
            .position(|(a, b)| a != b)
            .unwrap_or(ll.len().min(sl.len()));
        let around = |lines: &[&str]| {
            let from = first.saturating_sub(8);
            lines[from.min(lines.len())..(first + 4).min(lines.len())].join("\n")
        };
        panic!(
            "the two ways differ at line {}:\n--- local ---\n{}\n--- served ---\n{}",
            first + 1,
            around(&ll),
            around(&sl)
        );
    }
}

#[test]
fn flags_are_created_listed_read_changed_and_deleted() {
    both_ways(|b| {
        b.ok(&[
            "flag",
            "create",
            "checkout",
            "--owner",
            "payments",
            "--description",
            "v2",
        ]);
        let created = b.json(&["flag", "create", "search"]);
        assert_eq!(created["flag"]["version"], 1);
        assert_eq!(created["changed"], true);
        b.ok(&["flag", "list"]);
        b.json(&["flag", "list"]);
        b.ok(&["flag", "get", "checkout"]);
        let set = b.json(&[
            "flag",
            "set",
            "checkout",
            "--owner",
            "growth",
            "--expect-version",
            "1",
        ]);
        assert_eq!(set["flag"]["owner"], "growth");
        b.ok(&["flag", "set", "checkout", "--scope", "country in [DE, FR]"]);
        b.ok(&["stage", "set", "checkout", "canary"]);
        b.ok(&["kill", "checkout"]);
        b.ok(&["unkill", "checkout"]);
        // A change that alters nothing writes nothing, both ways.
        let same = b.json(&["stage", "set", "checkout", "canary"]);
        assert_eq!(same["changed"], false);
        b.json(&["flag", "get", "checkout"]);
        b.ok(&["flag", "delete", "search", "--expect-version", "1"]);
        b.json(&["flag", "delete", "checkout"]);
        b.ok(&["flag", "list"]);
    });
}

#[test]
fn overrides_are_added_with_an_expiry_listed_removed_and_swept() {
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        b.ok(&[
            "override",
            "add",
            "checkout",
            "--attr",
            "user_id",
            "--value",
            "u1",
            "--variant",
            "new",
        ]);
        let added = b.json(&[
            "override",
            "add",
            "checkout",
            "--attr",
            "team",
            "--value",
            "qa",
            "--variant",
            "legacy",
            "--expires",
            "2h",
        ]);
        assert_eq!(added["flag"]["overrides"].as_array().unwrap().len(), 2);
        b.json(&["override", "list", "checkout"]);
        b.ok(&["override", "list"]);
        b.ok(&[
            "override", "remove", "checkout", "--attr", "user_id", "--value", "u1",
        ]);
        let missing = b.refused(&[
            "override", "remove", "checkout", "--attr", "user_id", "--value", "u1",
        ]);
        assert_eq!(missing["error"], "not_found", "{missing}");
        b.ok(&["override", "sweep"]);
        b.json(&["override", "clear-all", "checkout"]);
        b.json(&["override", "list", "checkout"]);
    });
}

#[test]
fn a_guarded_rollout_makes_every_move_and_shows_its_gates() {
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        b.ok(&["rollout", "set", "checkout", "--percent", "12.5"]);
        b.ok(&[
            "rollout",
            "plan",
            "checkout",
            "--plan",
            "5,25,50,100 every 10m",
            "--gate",
            "new.error_rate <= legacy.error_rate + 0.01",
            "--min-samples",
            "10",
        ]);
        b.ok(&["rollout", "status", "checkout"]);
        // Figures from before the start: a step's evidence begins a second after it, so they
        // stay out of the gates both ways, whenever each command ran.
        b.upload("checkout", 200, 200, 1);
        b.ok(&["rollout", "start", "checkout"]);
        let status = b.json(&["rollout", "status", "checkout"]);
        let gates = status["look"]["assessment"]["gates"].as_array().unwrap();
        assert_eq!(gates.len(), 1, "{status}");
        b.ok(&["slo", "status"]);
        b.ok(&["rollout", "pause", "checkout"]);
        b.ok(&["rollout", "resume", "checkout"]);
        b.ok(&["rollout", "promote", "checkout"]);
        let promoted = b.json(&["rollout", "promote", "checkout", "--full"]);
        assert_eq!(promoted["flag"]["rollout_percent"], 100, "{promoted}");
        let refused = b.refused(&["rollout", "pause", "checkout"]);
        assert_eq!(refused["error"], "rollout_state", "{refused}");
        b.ok(&["rollout", "start", "checkout", "--plan", "10,100 every 1h"]);
        b.ok(&["rollout", "abort", "checkout"]);
        b.ok(&["rollout", "history", "checkout"]);
        b.ok(&["rollout", "plan", "checkout", "--clear"]);
        b.ok(&["slo", "status"]);
    });
}

#[test]
fn presets_are_defined_listed_applied_and_deleted() {
    both_ways(|b| {
        b.ok(&["flag", "create", "planner"]);
        b.ok(&["flag", "create", "bundler"]);
        b.ok(&[
            "preset",
            "define",
            "phase-1",
            "--flag",
            "planner=on,production",
            "--flag",
            "bundler=25%",
            "--description",
            "first phase",
        ]);
        b.json(&[
            "preset",
            "define",
            "phase-1",
            "--flag",
            "planner=on,production",
            "--flag",
            "bundler=25%",
            "--description",
            "first phase",
        ]);
        b.ok(&["preset", "list"]);
        b.json(&["preset", "apply", "phase-1"]);
        b.ok(&["preset", "apply", "phase-1"]);
        let in_use = b.refused(&["flag", "delete", "planner"]);
        assert_eq!(in_use["error"], "in_use", "{in_use}");
        b.ok(&["preset", "delete", "phase-1"]);
        b.json(&["preset", "list"]);
        let missing = b.refused(&["preset", "apply", "phase-1"]);
        assert_eq!(missing["error"], "not_found", "{missing}");
    });
}

#[test]
fn import_and_export_with_a_dry_run_and_a_stale_refusal() {
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        b.ok(&["export", "--out", "flags.json"]);
        let exported: Value =
            serde_json::from_str(&std::fs::read_to_string(b.c.path("flags.json")).unwrap())
                .unwrap();
        let mut doc = exported.clone();
        doc["flags"][0]["owner"] = "payments".into();
        let edited = b.c.write("edited.json", &doc.to_string());
        let edited = edited.to_str().unwrap();
        let dry = b.json(&["import", edited, "--dry-run"]);
        assert_eq!(dry["dry_run"], true, "{dry}");
        b.ok(&["import", edited, "--dry-run"]);
        b.ok(&["import", edited]);
        b.ok(&["export", "--format", "yaml"]);
        // The first export is now older than the store.
        let stale = b.refused(&["import", b.c.path("flags.json").to_str().unwrap()]);
        assert_eq!(stale["error"], "stale_import", "{stale}");
        b.ok(&[
            "import",
            b.c.path("flags.json").to_str().unwrap(),
            "--force",
        ]);
        b.ok(&["export"]);
    });
}

#[test]
fn the_audit_log_is_queried_verified_and_anchored() {
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        b.ok(&["flag", "create", "search"]);
        b.ok(&[
            "--reason",
            "ticket 42",
            "rollout",
            "set",
            "checkout",
            "--percent",
            "5",
        ]);
        b.ok(&["audit", "query", "--flag", "checkout"]);
        let filtered = b.json(&["audit", "query", "--action", "flag.*", "--limit", "2"]);
        assert_eq!(filtered.as_array().unwrap().len(), 2, "{filtered}");
        b.json(&["audit", "query", "--since", "1h"]);
        b.ok(&["--actor", "admin", "audit", "query"]);
        b.ok(&["audit", "recent", "-n", "2"]);
        b.ok(&["audit", "export", "--flag", "search"]);
        let verified = b.json(&["audit", "verify"]);
        assert_eq!(verified["intact"], true, "{verified}");
        b.ok(&["audit", "verify"]);
        let head = b.json(&["audit", "head"]);
        let anchor = head["anchor"].as_str().unwrap().to_owned();
        b.ok(&["audit", "head"]);
        b.ok(&["audit", "verify", "--expect-head", &anchor]);
    });
}

#[test]
fn tokens_are_created_listed_and_revoked() {
    both_ways(|b| {
        let created = b.json(&["token", "create", "ci", "--role", "sdk"]);
        assert!(
            created["token"].as_str().unwrap().starts_with("cut_"),
            "{created}"
        );
        b.ok(&[
            "token",
            "create",
            "ops",
            "--role",
            "operator",
            "--expires",
            "2h",
        ]);
        b.ok(&["token", "list"]);
        b.json(&["token", "list"]);
        b.ok(&["token", "revoke", "ci"]);
        let again = b.refused(&["token", "revoke", "ci"]);
        assert_eq!(again["error"], "not_found", "{again}");
        let exists = b.refused(&["token", "create", "ops", "--role", "sdk"]);
        assert_eq!(exists["error"], "already_exists", "{exists}");
        let last = b.refused(&["token", "revoke", "admin"]);
        assert_eq!(last["error"], "last_admin", "{last}");
    });
}

#[test]
fn arm_metrics_are_read_the_same_way() {
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        b.upload("checkout", 120, 80, 4);
        let figures = b.json(&["flag", "metrics", "checkout"]);
        assert_eq!(figures["legacy"]["calls"], 120, "{figures}");
        assert_eq!(figures["new"]["errors"], 4, "{figures}");
        b.ok(&["flag", "metrics", "checkout", "--since", "1h"]);
        let missing = b.refused(&["flag", "metrics", "nope"]);
        assert_eq!(missing["error"], "not_found", "{missing}");
        let backwards = b.refused(&[
            "flag", "metrics", "checkout", "--since", "1m", "--until", "2m",
        ]);
        assert_eq!(backwards["error"], "invalid", "{backwards}");
    });
}

#[test]
fn eval_decides_the_same_way() {
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        b.ok(&["rollout", "set", "checkout", "--percent", "50"]);
        b.ok(&[
            "override",
            "add",
            "checkout",
            "--attr",
            "user_id",
            "--value",
            "vip",
            "--variant",
            "new",
        ]);
        b.ok(&["eval", "checkout", "--ctx", "user_id=vip"]);
        b.json(&["eval", "checkout", "--ctx", "user_id=u7"]);
        b.ok(&["eval", "nope"]);
        let lines = "{\"flag\":\"checkout\",\"context\":{\"user_id\":\"u1\"}}\n\
                     {\"flag\":\"checkout\",\"context\":{\"user_id\":\"u2\"}}\n";
        let batch = b.c.write("batch.jsonl", lines);
        b.ok(&["eval", "--batch", batch.to_str().unwrap()]);
    });
}

#[test]
fn golden_verdicts_are_recorded_against_a_flag_and_become_its_gate() {
    let (legacy, new) = (golden_subjects::legacy(), golden_subjects::new());
    let corpus = "examples/golden/corpus/routing.jsonl";
    let spec = "examples/golden/spec.json";
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        b.ok(&[
            "rollout",
            "plan",
            "checkout",
            "--plan",
            "5,100 every 1h",
            "--gate",
            "golden",
        ]);
        let compare = [
            "compare", "--corpus", corpus, "--spec", spec, "--legacy", &legacy, "--new", &new,
            "--flag", "checkout",
        ];
        let failed = b.golden(&compare);
        assert_eq!(failed.code, 1, "{:?}: {}", b.way, failed.stderr);
        assert_eq!(
            b.json(&["rollout", "status", "checkout"])["golden"]["passed"],
            false
        );
        let verify = [
            "verify",
            "--corpus",
            corpus,
            "--spec",
            spec,
            "--subject",
            &legacy,
            "--flag",
            "checkout",
        ];
        let passed = b.golden(&verify);
        assert_eq!(passed.code, 0, "{:?}: {}", b.way, passed.stderr);
        b.ok(&["rollout", "start", "checkout"]);
        let status = b.json(&["rollout", "status", "checkout"]);
        assert_eq!(status["golden"]["passed"], true, "{status}");
        assert_eq!(status["look"]["assessment"]["gates"][0]["verdict"], "pass");
        b.ok(&["audit", "query", "--action", "golden.record"]);
    });
}

/// Each corpus run keeps its own named verdict, so a red cross-validation is not masked by a
/// later green verify; any other check is recorded by name; the gates read them.
#[test]
fn named_verdicts_are_kept_apart_and_read_by_the_gates() {
    let (legacy, new) = (golden_subjects::legacy(), golden_subjects::new());
    let corpus = "examples/golden/corpus/routing.jsonl";
    let spec = "examples/golden/spec.json";
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        let compare = [
            "compare",
            "--corpus",
            corpus,
            "--spec",
            spec,
            "--legacy",
            &legacy,
            "--new",
            &new,
            "--flag",
            "checkout",
            "--verdict",
            "cross-validation",
        ];
        assert_eq!(b.golden(&compare).code, 1);
        let verify = [
            "verify",
            "--corpus",
            corpus,
            "--spec",
            spec,
            "--subject",
            &legacy,
            "--flag",
            "checkout",
            "--verdict",
            "golden-verify",
        ];
        assert_eq!(b.golden(&verify).code, 0);
        b.ok(&[
            "verdict",
            "record",
            "checkout",
            "integration-tests",
            "--pass",
            "--url",
            "https://ci.example/run/7",
            "--details",
            r#"{"passed": 212}"#,
            "--valid-for",
            "7d",
        ]);
        let listed = b.json(&["verdict", "list", "checkout"]);
        assert_eq!(listed["cross-validation"]["standing"], "failed", "{listed}");
        assert_eq!(listed["golden-verify"]["standing"], "passed", "{listed}");
        assert_eq!(listed["integration-tests"]["by"], "admin", "{listed}");
        assert_eq!(
            listed["integration-tests"]["source"], "recorded",
            "{listed}"
        );
        b.ok(&["verdict", "list", "checkout"]);
        b.ok(&[
            "rollout",
            "plan",
            "checkout",
            "--plan",
            "5,100 every 1h",
            "--gate",
            "golden",
            "--gate",
            "verdict(integration-tests)",
            "--gate",
            "verdict(golden-verify)",
            "--gate",
            "verdicts(all)",
        ]);
        let status = b.json(&["rollout", "start", "checkout"]);
        let _ = status;
        let status = b.json(&["rollout", "status", "checkout"]);
        let gates = &status["look"]["assessment"]["gates"];
        let verdicts: Vec<&str> = (0..4)
            .map(|i| gates[i]["verdict"].as_str().unwrap())
            .collect();
        assert_eq!(verdicts, ["fail", "pass", "pass", "fail"], "{status}");
        let bad = b.refused(&[
            "verdict", "record", "checkout", "x", "--pass", "--url", "ftp://x",
        ]);
        assert_eq!(bad["error"], "invalid", "{bad}");
        b.ok(&["audit", "query", "--action", "verdict.record"]);
    });
}

#[test]
fn refusals_carry_the_same_code_and_message() {
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        let conflict = b.refused(&[
            "rollout",
            "set",
            "checkout",
            "--percent",
            "5",
            "--expect-version",
            "7",
        ]);
        assert_eq!(conflict["error"], "version_conflict", "{conflict}");
        let missing = b.refused(&["flag", "get", "nope"]);
        assert_eq!(missing["error"], "not_found", "{missing}");
        let missing = b.refused(&["kill", "nope"]);
        assert_eq!(missing["error"], "not_found", "{missing}");
        let exists = b.refused(&["flag", "create", "checkout"]);
        assert_eq!(exists["error"], "already_exists", "{exists}");
        let invalid = b.refused(&["preset", "define", "p", "--flag", "nope=on"]);
        assert_eq!(invalid["error"], "not_found", "{invalid}");
        let late = b.refused(&[
            "token",
            "create",
            "late",
            "--role",
            "sdk",
            "--expires",
            "2001-01-01",
        ]);
        assert_eq!(late["error"], "invalid", "{late}");
        let not_started = b.refused(&["rollout", "start", "checkout"]);
        assert_eq!(not_started["error"], "rollout_state", "{not_started}");
        // Without --json the message reads the same too.
        let text = b.run(&["flag", "get", "nope"]);
        assert_eq!(text.code, 1);
    });
}

/// A backup and a copy of the whole store, taken here or by the server: the same reports, the
/// same refusal of a file that is there, and files that are stores with the same audit head.
#[test]
fn a_store_is_backed_up_and_copied_into_an_empty_one() {
    both_ways(|b| {
        b.ok(&["flag", "create", "checkout"]);
        b.ok(&["kill", "checkout", "--reason", "before the backup"]);
        let backup = b.c.path("backup.db");
        let backup = backup.to_str().unwrap();
        b.ok(&["store", "backup", backup]);
        let again = b.refused(&["store", "backup", backup]);
        assert_eq!(again["error"], "exists", "{again}");
        let second = b.c.path("second.db");
        let report = b.json(&["store", "backup", second.to_str().unwrap()]);
        assert_eq!(report["intact"], true, "{report}");
        let copy = b.c.path("copy.db");
        let copy = copy.to_str().unwrap();
        let copied = b.json(&["store", "copy", "--to", copy]);
        assert_eq!(copied["target"]["head_id"], report["head_id"], "{copied}");
        // Each file is a store of its own: it verifies with the store's head and holds the flag.
        let head: Value = serde_json::from_str(&b.c.ok(&["--json", "audit", "head"])).unwrap();
        assert_eq!(
            head["id"], report["head_id"],
            "nothing was written since the backup"
        );
        for file in [backup, copy] {
            let on = ["--db", file];
            let verified = b.c.ok(&[&on[..], &["audit", "verify", "--json"]].concat());
            let verified: Value = serde_json::from_str(&verified).unwrap();
            assert_eq!(verified["intact"], true, "{file}: {verified}");
            assert_eq!(verified["head_id"], head["id"], "{file}");
            assert_eq!(verified["head_hash"], head["hash"], "{file}");
            let flag =
                b.c.ok(&[&on[..], &["--json", "flag", "get", "checkout"]].concat());
            assert!(flag.contains("\"killed\": true"), "{file}: {flag}");
        }
    });
}

/// The commands about a store itself rather than its content have no meaning through a
/// server's API: they refuse `--server` with the arguments (exit 2), naming `--db`/`--postgres`,
/// and never fall back to a local store. (A backup and a copy are taken through a server: see
/// above.)
#[test]
fn commands_about_a_store_itself_refuse_the_server_with_the_arguments() {
    let c = Cutover::new();
    let served = c.serve(&[]);
    let token = served.admin_token.clone().unwrap();
    for args in [
        vec!["init"],
        vec!["serve", "--listen", "127.0.0.1:0"],
        vec!["serve", "--listen", "127.0.0.1:0", "--trust-state"],
        vec!["token", "recover", "ops"],
    ] {
        let mut all = vec!["--server", served.url.as_str(), "--token", token.as_str()];
        all.extend_from_slice(&args);
        let run = c.run(&all);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("works on a store itself")
                && run.stderr.contains("--db or --postgres")
                && run.stderr.contains("not --server"),
            "{args:?}: {}",
            run.stderr
        );
    }
}
