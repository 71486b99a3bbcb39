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

use crate::output;

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
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Latency limits per quantile, each strictly above the measured value, e.g.
    /// p50=50ms,p95=100ms (replaces the spec's budget).
    #[arg(long, value_name = "LIMITS", value_parser = parse_budget)]
    pub budget: Option<Budget>,
    /// Also write the report as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
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

fn parse_duration(s: &str) -> Result<Duration, String> {
    cutover_golden::parse_duration(s).map_err(|e| e.to_string())
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

pub(crate) fn run(cmd: &GoldenCmd, json: bool) -> anyhow::Result<ExitCode> {
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
        GoldenCmd::Verify(args) => single(args, json, |runner, subject| runner.verify(subject)),
        GoldenCmd::Test(args) => single(args, json, |runner, subject| runner.test(subject)),
        GoldenCmd::Compare(args) => compare(args, json),
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

fn compare(args: &CompareArgs, json: bool) -> anyhow::Result<ExitCode> {
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
    let report = runner.compare(&mut legacy, &mut new)?;
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
