//! `record`: first recordings are written, differing ones are never replaced without `force`,
//! CI runs write pending `.new` files that `accept` and `reject` resolve, and every write is a
//! whole-file atomic replacement.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::path::Path;

use common::{echo, files_in, scratch, status_of};
use cutover_golden::{CaseStatus, Corpus, GoldenSpec, RecordOptions, Report, Runner};

fn record(path: &Path, args: &str, options: RecordOptions) -> Report {
    let corpus = Corpus::load(path).unwrap();
    Runner::new(&corpus)
        .record(&mut echo(args), options)
        .unwrap()
}

fn verify(path: &Path, args: &str) -> Report {
    let corpus = Corpus::load(path).unwrap();
    Runner::new(&corpus).verify(&mut echo(args)).unwrap()
}

const FORCE: RecordOptions = RecordOptions {
    force: true,
    pending: false,
};
const CI: RecordOptions = RecordOptions {
    force: false,
    pending: true,
};

#[test]
fn record_then_verify() {
    let (dir, path) = scratch(
        "c.jsonl",
        "{\"name\": \"a\", \"input\": {\"x\": 1}}\n{\"name\": \"b\", \"input\": [1, 2.50]}\n",
    );
    assert_eq!(
        status_of(&verify(&path, ""), "a"),
        CaseStatus::Failed,
        "nothing recorded yet"
    );
    let report = record(&path, "", RecordOptions::default());
    assert!(report.summary.passed);
    assert_eq!(report.summary.counts[&CaseStatus::Recorded], 2);
    assert_eq!(report.summary.written, [path.display().to_string()]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"name\": \"a\", \"input\": {\"x\": 1}, \"recorded\": {\"x\": 1}}\n\
         {\"name\": \"b\", \"input\": [1, 2.50], \"recorded\": [1, 2.5]}\n"
    );
    assert!(verify(&path, "").summary.passed);
    // Recording again with the same outputs changes nothing, not even the file's bytes.
    let before = std::fs::read(&path).unwrap();
    let again = record(&path, "", RecordOptions::default());
    assert_eq!(again.summary.counts[&CaseStatus::Unchanged], 2);
    assert!(again.summary.written.is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(files_in(dir.path()), ["c.jsonl"]);
}

#[test]
fn a_differing_recording_is_kept_without_force_and_replaced_with_it() {
    let text = "{\"name\": \"a\", \"input\": {\"x\": 1}, \"recorded\": {\"x\": 0}}\n\
                {\"name\": \"b\", \"input\": {\"x\": 2}}\n";
    let (_dir, path) = scratch("c.jsonl", text);
    let report = record(&path, "", RecordOptions::default());
    assert!(!report.summary.passed, "a conflict fails the run");
    assert_eq!(status_of(&report, "a"), CaseStatus::Conflict);
    assert_eq!(status_of(&report, "b"), CaseStatus::Recorded);
    let rendered = cutover_golden::render(&report, false);
    assert!(
        rendered.contains("CONFLICT") && rendered.contains("x: recorded 0 | actual 1"),
        "{rendered}"
    );
    let after = Corpus::load(&path).unwrap();
    let kept = Runner::new(&after).verify(&mut echo("")).unwrap();
    assert_eq!(
        status_of(&kept, "a"),
        CaseStatus::Failed,
        "the old recording was kept"
    );
    assert_eq!(
        status_of(&kept, "b"),
        CaseStatus::Passed,
        "the new one was written"
    );

    let forced = record(&path, "", FORCE);
    assert!(forced.summary.passed);
    assert_eq!(status_of(&forced, "a"), CaseStatus::Rerecorded);
    assert!(verify(&path, "").summary.passed);
}

#[test]
fn fields_the_spec_ignores_do_not_count_as_changes() {
    let (_dir, path) = scratch(
        "c.jsonl",
        "{\"name\": \"a\", \"input\": {\"x\": 1, \"at\": \"now\"}, \"recorded\": {\"x\": 1, \"at\": \"then\"}}\n",
    );
    let corpus = Corpus::load(&path).unwrap();
    let spec = GoldenSpec::parse(r#"{"fields": {"at": {"rule": "ignore"}}}"#, "s").unwrap();
    let report = Runner::new(&corpus)
        .spec(spec)
        .record(&mut echo(""), RecordOptions::default())
        .unwrap();
    assert_eq!(status_of(&report, "a"), CaseStatus::Unchanged);
    assert!(report.summary.passed);
}

#[test]
fn in_ci_changes_wait_in_new_files_for_accept_or_reject() {
    let text = "{\"name\": \"a\", \"input\": {\"x\": 1}, \"recorded\": {\"x\": 0}}\n\
                {\"name\": \"b\", \"input\": {\"x\": 2}}\n";
    let (dir, path) = scratch("c.jsonl", text);
    let report = record(&path, "", CI);
    assert!(!report.summary.passed, "pending results fail a CI run");
    assert_eq!(report.summary.counts[&CaseStatus::Pending], 2);
    let pending = cutover_golden::pending_path(&path);
    assert_eq!(report.summary.pending, [pending.display().to_string()]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "the corpus is untouched"
    );
    assert_eq!(files_in(dir.path()), ["c.jsonl", "c.jsonl.new"]);

    // reject deletes the pending file and leaves the corpus as it was.
    assert_eq!(
        cutover_golden::reject(&path).unwrap(),
        std::slice::from_ref(&pending)
    );
    assert_eq!(files_in(dir.path()), ["c.jsonl"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    // accept moves it over the corpus file.
    record(&path, "", CI);
    assert_eq!(
        cutover_golden::accept(dir.path()).unwrap(),
        std::slice::from_ref(&path)
    );
    assert_eq!(files_in(dir.path()), ["c.jsonl"]);
    assert!(verify(&path, "").summary.passed);
    assert!(
        cutover_golden::accept(&path).unwrap().is_empty(),
        "nothing left to accept"
    );
}

#[test]
fn a_damaged_pending_file_is_refused_and_left_in_place() {
    let (dir, path) = scratch("c.jsonl", "{\"name\": \"a\", \"input\": 1}\n");
    let pending = cutover_golden::pending_path(&path);
    std::fs::write(&pending, "{\"name\": \"a\", \"input\": 1, \"oops\n").unwrap();
    let err = cutover_golden::accept(&path).unwrap_err().to_string();
    assert!(
        err.contains("c.jsonl.new is not a valid corpus file") && err.contains("left in place"),
        "{err}"
    );
    assert_eq!(files_in(dir.path()), ["c.jsonl", "c.jsonl.new"]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"name\": \"a\", \"input\": 1}\n"
    );
}

#[test]
fn scenario_files_keep_their_layout_when_recorded() {
    let text = r#"{
  "name": "first-meet-kiera",
  "description": "First encounter with Kiera in the forest glade",
  "seed": 424242,
  "steps": [
    {
      "input": "I step into the glade and look toward the eyes.",
      "expect": {
        "$": {"mustInclude": ["glade"]}
      }
    },
    {
      "input": {
        "say": "hello"
      }
    }
  ]
}
"#;
    let (dir, path) = scratch("kiera.json", text);
    let report = record(&path, "--with-seed", RecordOptions::default());
    assert!(
        report.summary.passed,
        "{}",
        cutover_golden::render(&report, false)
    );
    let written = std::fs::read_to_string(&path).unwrap();
    let expected = r#"{
  "name": "first-meet-kiera",
  "description": "First encounter with Kiera in the forest glade",
  "seed": 424242,
  "steps": [
    {
      "input": "I step into the glade and look toward the eyes.",
      "expect": {
        "$": {"mustInclude": ["glade"]}
      },
      "recorded": {
        "input": "I step into the glade and look toward the eyes.",
        "seed": 424242,
        "step": 0
      }
    },
    {
      "input": {
        "say": "hello"
      },
      "recorded": {
        "input": {
          "say": "hello"
        },
        "seed": 424242,
        "step": 1
      }
    }
  ]
}
"#;
    assert_eq!(written, expected);
    assert_eq!(files_in(dir.path()), ["kiera.json"]);
}
