//! 10,000 cases through a JSON-lines subject: cutover's own cost per run (load the corpus, send
//! each request, read and parse each answer, compare with the recording, build the report).
//!
//! The subject is `golden-echo`, which answers each request with its input and does nothing
//! else, so what is measured is cutover plus one pipe round trip per case. The in-process row
//! (the same echo as a Rust closure) removes the process boundary and shows cutover alone.
//!
//! `cargo bench -p cutover-golden --bench json_lines`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use cutover_golden::{Corpus, GoldenSpec, ProcessSubject, RecordOptions, Runner, from_fn, render};

const CASES: usize = 10_000;
const ECHO: &str = env!("CARGO_BIN_EXE_golden-echo");

/// A routing-sized case: a prompt, an optional explicit agent, and a recording equal to the
/// input (what the echo subject answers).
fn corpus_text(recorded: bool) -> String {
    let mut text = String::new();
    for i in 0..CASES {
        let input = format!(
            r#"{{"prompt": "case {i}: the checkout api returns an error after the deploy", "explicit_agent": {}, "tenant": "t{}"}}"#,
            if i % 5 == 0 {
                "\"debug-specialist\""
            } else {
                "null"
            },
            i % 17
        );
        let _ = write!(text, r#"{{"name": "case-{i:05}", "input": {input}"#);
        if recorded {
            let _ = write!(text, r#", "recorded": {input}"#);
        }
        text.push_str("}\n");
    }
    text
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn echo() -> ProcessSubject {
    ProcessSubject::new(ECHO, Duration::from_secs(10)).unwrap()
}

fn spec() -> GoldenSpec {
    GoldenSpec::parse(
        r#"{"fields": {"tenant": {"rule": "ignore"}},
            "thresholds": ["prompt >= 0.99"],
            "invariants": ["when input.explicit_agent is set: legacy.explicit_agent == new.explicit_agent"]}"#,
        "bench",
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let recorded = write(dir.path(), "recorded.jsonl", &corpus_text(true));
    let fresh = corpus_text(false);

    let mut group = c.benchmark_group("golden_10k");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));

    group.bench_function("verify, echo process", |b| {
        b.iter(|| {
            let corpus = Corpus::load(&recorded).unwrap();
            let report = Runner::new(&corpus)
                .spec(spec())
                .verify(&mut echo())
                .unwrap();
            assert!(report.summary.passed && report.summary.cases == CASES as u64);
            render(&report, false).len()
        });
    });

    group.bench_function("compare, two echo processes", |b| {
        b.iter(|| {
            let corpus = Corpus::load(&recorded).unwrap();
            let report = Runner::new(&corpus)
                .spec(spec())
                .compare(&mut echo(), &mut echo())
                .unwrap();
            assert!(report.summary.passed, "{}", render(&report, false));
            render(&report, false).len()
        });
    });

    group.bench_function("record, echo process (atomic write of 10k lines)", |b| {
        b.iter_batched(
            || write(dir.path(), "fresh.jsonl", &fresh),
            |path| {
                let corpus = Corpus::load(&path).unwrap();
                let report = Runner::new(&corpus)
                    .record(&mut echo(), RecordOptions::default())
                    .unwrap();
                assert!(report.summary.passed);
            },
            BatchSize::PerIteration,
        );
    });

    group.bench_function("verify, in-process echo", |b| {
        b.iter(|| {
            let corpus = Corpus::load(&recorded).unwrap();
            let mut subject = from_fn("echo", |req| Ok(req.input().clone()));
            let report = Runner::new(&corpus)
                .spec(spec())
                .verify(&mut subject)
                .unwrap();
            assert!(report.summary.passed);
            render(&report, false).len()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
