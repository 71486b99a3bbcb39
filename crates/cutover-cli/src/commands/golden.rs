//! `cutover golden`: record, verify and test a subject against a golden corpus, accept or reject
//! pending recordings, and cross-validate a legacy and a new subject. Needs no store.
//!
//! Exit codes: 0 when the run passed, 1 when anything failed (a case, a threshold, an
//! invariant, the budget) or the corpus could not be run, 2 for usage errors.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use cutover_golden::{
    Budget, Corpus, GoldenSpec, ProcessSubject, ProgressBar, RecordOptions, Report, Runner,
    Selection, Threshold,
};
use serde::Serialize;

use crate::global::Global;
use crate::output;
use crate::session::Session;
use crate::values::{parse_key, parse_span};

const CORPUS_HELP: &str =
    "A scenario file (.json), a JSON-lines file (.jsonl) or a directory of them";

#[derive(Debug, Subcommand)]
pub(crate) enum GoldenCmd {
    /// Run the subject and write its outputs as recordings. Never replaces a recording the new
    /// output differs from without --force; in CI (CI set) writes pending `.new` files instead.
    Record(RecordArgs),
    /// Run the subject and compare every output with its recording under the spec's field rules.
    Verify(SubjectArgs),
    /// Run the subject and check every output against its case's expectations.
    Test(SubjectArgs),
    /// Move pending `.new` files over the corpus files they replace.
    Accept(PendingArgs),
    /// Delete pending `.new` files.
    Reject(PendingArgs),
    /// Run a legacy and a new subject over the corpus and report per-field agreement against
    /// thresholds, invariants that must hold in every case, and every divergent case.
    Compare(CompareArgs),
}

/// What every run takes: the corpus, a selection of it, the spec, and the report options.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[arg(long, value_name = "PATH", help = CORPUS_HELP)]
    pub corpus: PathBuf,
    /// The spec file: field rules, thresholds, invariants, budget [default: every field exact].
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Run only the scenario with this name.
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Run only scenarios whose name matches this glob, e.g. 'explicit-*'.
    #[arg(long, value_name = "GLOB")]
    pub filter: Option<String>,
    /// How long the subject gets to answer one case before it is killed and restarted.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_span)]
    pub timeout: Duration,
    /// Latency limits per quantile, each strictly above the measured value, e.g.
    /// p50=50ms,p95=100ms (replaces the spec's budget).
    #[arg(long, value_name = "LIMITS", value_parser = parse_budget)]
    pub budget: Option<Budget>,
    /// Also write the report as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Record the run's verdict against this flag (audited; the `golden` gate of its rollout
    /// plan reads it). Uses the store or --server like other commands. Not for `record`.
    #[arg(long, value_name = "KEY", value_parser = parse_key)]
    pub flag: Option<cutover_core::FlagKey>,
    /// The name the verdict is kept under on the flag, so runs of different corpora (verify,
    /// budget, cross-validation) each keep their own latest verdict [default: golden].
    #[arg(long, value_name = "NAME", requires = "flag")]
    pub verdict: Option<cutover_core::VerdictName>,
}

#[derive(Debug, Args)]
pub(crate) struct SubjectArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// The subject: a command speaking JSON lines, quoted as in a shell, e.g.
    /// "target/debug/golden-legacy-router".
    #[arg(long, value_name = "COMMAND")]
    pub subject: String,
}

#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Replace recordings the new output differs from.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// The legacy subject's command.
    #[arg(long, value_name = "COMMAND")]
    pub legacy: String,
    /// The new subject's command.
    #[arg(long, value_name = "COMMAND")]
    pub new: String,
    /// A minimum agreement ratio for a field, e.g. selected_agent=0.8 or routing_policy=90%
    /// (repeatable; replaces the spec's threshold for that field).
    #[arg(long = "min-agreement", value_name = "FIELD=RATIO", value_parser = parse_threshold)]
    pub min_agreement: Vec<Threshold>,
}

#[derive(Debug, Args)]
pub(crate) struct PendingArgs {
    #[arg(long, value_name = "PATH", help = CORPUS_HELP)]
    pub corpus: PathBuf,
}

fn parse_budget(s: &str) -> Result<Budget, String> {
    s.parse()
        .map_err(|e: cutover_golden::GoldenError| e.to_string())
}

fn parse_threshold(s: &str) -> Result<Threshold, String> {
    Threshold::parse(s).map_err(|e| e.to_string())
}

/// Like insta: any value of CI but empty, `0` or `false` means a CI run.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

pub(crate) async fn run(cmd: &GoldenCmd, global: &Global) -> anyhow::Result<ExitCode> {
    let json = global.json;
    let (report, args) = match cmd {
        GoldenCmd::Record(args) if args.subject.run.flag.is_some() => {
            anyhow::bail!(
                "--flag records a verdict, and a recording run is not one; pass --flag to \
                 verify, test or compare"
            );
        }
        GoldenCmd::Verify(args) | GoldenCmd::Test(args) => {
            let verdict = match cmd {
                GoldenCmd::Verify(_) => Check::Verify,
                _ => Check::Test,
            };
            (run_verdict(args, verdict)?, &args.run)
        }
        GoldenCmd::Compare(args) => (run_compare(args)?, &args.run),
        _ => return run_plain(cmd, json),
    };
    let code = finish(&report, args, json)?;
    if let Some(key) = &args.flag {
        let name = args
            .verdict
            .clone()
            .unwrap_or_else(cutover_core::VerdictName::golden);
        record_verdict(global, key, name, &report).await?;
    }
    Ok(code)
}

/// Keeps the run's verdict on the flag, through the same audited change path as every move.
async fn record_verdict(
    global: &Global,
    key: &cutover_core::FlagKey,
    name: cutover_core::VerdictName,
    report: &Report,
) -> anyhow::Result<()> {
    let s = &report.summary;
    let mut why = Vec::new();
    if s.failures > 0 {
        why.push(format!("{} failing case(s) of {}", s.failures, s.cases));
    }
    for t in s.thresholds.iter().filter(|t| !t.passed) {
        let ratio = t.ratio.map_or("-".to_owned(), |r| format!("{r:.3}"));
        why.push(format!("agreement({}) {ratio} < {}", t.field, t.min));
    }
    for i in s.invariants.iter().filter(|i| !i.passed) {
        why.push(format!("{} violated {} time(s)", i.invariant, i.violations));
    }
    if let Some(stopped) = &s.stopped {
        why.push(format!("stopped: {stopped}"));
    }
    let summary = if why.is_empty() {
        format!("{} passed: {} cases", s.mode.as_str(), s.cases)
    } else {
        format!("{} failed: {}", s.mode.as_str(), why.join("; "))
    };
    // A long list of failures is kept shortened, within the limits of a stored text, rather
    // than refused after the run.
    use cutover_core::limits::{MAX_GOLDEN_TEXT_BYTES, MAX_REASON_BYTES, clip};
    let summary = clip(&summary, MAX_GOLDEN_TEXT_BYTES);
    // The verdict goes on a flag, so the store must already exist.
    let session = Session::open(global, false).await?;
    let meta = cutover_api::ChangeMeta {
        reason: Some(clip(&summary, MAX_REASON_BYTES)),
        ..session.meta()?
    };
    let result = cutover_core::guard::GoldenResult {
        passed: s.passed,
        at: session.now,
        corpus: clip(&s.corpus, MAX_GOLDEN_TEXT_BYTES),
        cases: s.cases,
        failed: s.failures,
        summary,
    };
    let done = session
        .control
        .change_flag(
            key,
            None,
            &[cutover_core::FlagChange::RecordVerdict {
                name: name.clone(),
                verdict: cutover_core::Verdict::from_golden(result),
            }],
            &meta,
        )
        .await;
    session.close().await;
    let done = done?;
    // The report owns stdout under --json; say where the verdict went on stderr.
    eprintln!(
        "golden verdict {name} ({}) recorded against flag {key}{}",
        if s.passed { "passed" } else { "failed" },
        done.audit_id
            .map(|id| format!(" (audit #{id})"))
            .unwrap_or_default()
    );
    Ok(())
}

fn run_verdict(args: &SubjectArgs, check: Check) -> anyhow::Result<Report> {
    let corpus = Corpus::load(&args.run.corpus)?;
    let mut subject = ProcessSubject::new(&args.subject, args.run.timeout)?;
    let bar = ProgressBar::new(std::io::stderr().is_terminal());
    let runner = Runner::new(&corpus)
        .select(selection(&args.run)?)
        .spec(spec(&args.run)?)
        .progress(&bar);
    Ok(match check {
        Check::Verify => runner.verify(&mut subject)?,
        Check::Test => runner.test(&mut subject)?,
    })
}

fn run_compare(args: &CompareArgs) -> anyhow::Result<Report> {
    let corpus = Corpus::load(&args.run.corpus)?;
    let mut legacy = ProcessSubject::new(&args.legacy, args.run.timeout)?;
    let mut new = ProcessSubject::new(&args.new, args.run.timeout)?;
    let mut spec = spec(&args.run)?;
    for threshold in &args.min_agreement {
        spec = spec.with_threshold(threshold.clone());
    }
    let bar = ProgressBar::new(std::io::stderr().is_terminal());
    let runner = Runner::new(&corpus)
        .select(selection(&args.run)?)
        .spec(spec)
        .progress(&bar);
    Ok(runner.compare(&mut legacy, &mut new)?)
}

fn run_plain(cmd: &GoldenCmd, json: bool) -> anyhow::Result<ExitCode> {
    match cmd {
        GoldenCmd::Record(args) => {
            let options = RecordOptions {
                force: args.force,
                pending: in_ci(),
            };
            single(&args.subject, json, |runner, subject| {
                runner.record(subject, options)
            })
        }
        GoldenCmd::Verify(_) | GoldenCmd::Test(_) | GoldenCmd::Compare(_) => {
            unreachable!("verdict runs are handled in run()")
        }
        GoldenCmd::Accept(args) => pending(&args.corpus, json, Verb::Accept),
        GoldenCmd::Reject(args) => pending(&args.corpus, json, Verb::Reject),
    }
}

fn spec(args: &RunArgs) -> anyhow::Result<GoldenSpec> {
    let mut spec = match &args.spec {
        Some(path) => GoldenSpec::load(path)?,
        None => GoldenSpec::default(),
    };
    if let Some(budget) = &args.budget {
        spec = spec.with_budget(budget.clone());
    }
    Ok(spec)
}

fn selection(args: &RunArgs) -> anyhow::Result<Selection> {
    let mut selection = Selection::all();
    if let Some(name) = &args.scenario {
        selection = selection.scenario(name);
    }
    if let Some(glob) = &args.filter {
        selection = selection.filter(glob)?;
    }
    Ok(selection)
}

fn single(
    args: &SubjectArgs,
    json: bool,
    mode: impl FnOnce(&Runner<'_>, &mut ProcessSubject) -> Result<Report, cutover_golden::GoldenError>,
) -> anyhow::Result<ExitCode> {
    let corpus = Corpus::load(&args.run.corpus)?;
    let mut subject = ProcessSubject::new(&args.subject, args.run.timeout)?;
    let bar = ProgressBar::new(std::io::stderr().is_terminal());
    let runner = Runner::new(&corpus)
        .select(selection(&args.run)?)
        .spec(spec(&args.run)?)
        .progress(&bar);
    let report = mode(&runner, &mut subject)?;
    finish(&report, &args.run, json)
}

fn finish(report: &Report, args: &RunArgs, json: bool) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.junit {
        std::fs::write(path, cutover_golden::junit(report))
            .with_context(|| format!("cannot write the JUnit report to {}", path.display()))?;
    }
    if json {
        output::json(report)?;
    } else {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        print!("{}", cutover_golden::render(report, colour));
    }
    Ok(if report.summary.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[derive(Clone, Copy)]
enum Verb {
    Accept,
    Reject,
}

/// A run whose verdict can be recorded against a flag.
#[derive(Clone, Copy)]
enum Check {
    Verify,
    Test,
}

#[derive(Serialize)]
struct PendingOutcome<'a> {
    accepted: &'a [PathBuf],
    rejected: &'a [PathBuf],
}

fn pending(corpus: &Path, json: bool, verb: Verb) -> anyhow::Result<ExitCode> {
    let done = match verb {
        Verb::Accept => cutover_golden::accept(corpus)?,
        Verb::Reject => cutover_golden::reject(corpus)?,
    };
    if json {
        let (accepted, rejected): (&[PathBuf], &[PathBuf]) = match verb {
            Verb::Accept => (&done, &[]),
            Verb::Reject => (&[], &done),
        };
        output::json(&PendingOutcome { accepted, rejected })?;
    } else if done.is_empty() {
        println!("nothing pending under {}", corpus.display());
    } else {
        for path in &done {
            match verb {
                Verb::Accept => println!("accepted {}", path.display()),
                Verb::Reject => println!("rejected {}", path.display()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
