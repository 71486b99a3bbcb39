//! The report for people: every case that did not simply pass with its field-level diffs, the
//! agreement table, invariants, latency and the verdict. Colour only when asked (the caller
//! knows whether stdout is a terminal).

use std::fmt::Write as _;

use console::Style;
use serde_json::Value;

use super::{CaseReport, CaseStatus, Problem, Report};

/// Values longer than this are cut in diffs; the JSON report has them whole.
const SHOWN: usize = 120;

struct Paint {
    colour: bool,
}

impl Paint {
    fn style(&self, style: Style, text: &str) -> String {
        style.force_styling(self.colour).apply_to(text).to_string()
    }

    fn bad(&self, text: &str) -> String {
        self.style(Style::new().red().bold(), text)
    }

    fn warn(&self, text: &str) -> String {
        self.style(Style::new().yellow(), text)
    }

    fn good(&self, text: &str) -> String {
        self.style(Style::new().green(), text)
    }

    fn head(&self, text: &str) -> String {
        self.style(Style::new().bold(), text)
    }

    fn dim(&self, text: &str) -> String {
        self.style(Style::new().dim(), text)
    }

    fn status(&self, status: CaseStatus) -> String {
        let label = format!("{:<10}", label(status));
        match status {
            CaseStatus::Failed | CaseStatus::Error | CaseStatus::Conflict => self.bad(&label),
            CaseStatus::Recorded | CaseStatus::Passed | CaseStatus::Unchanged => self.good(&label),
            _ => self.warn(&label),
        }
    }

    fn verdict(&self, passed: bool) -> String {
        if passed {
            self.good("ok")
        } else {
            self.bad("FAIL")
        }
    }
}

fn label(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Passed => "PASS",
        CaseStatus::Failed => "FAIL",
        CaseStatus::Error => "ERROR",
        CaseStatus::Skipped => "SKIP",
        CaseStatus::Recorded => "RECORDED",
        CaseStatus::Rerecorded => "REPLACED",
        CaseStatus::Unchanged => "UNCHANGED",
        CaseStatus::Conflict => "CONFLICT",
        CaseStatus::Pending => "PENDING",
        CaseStatus::Divergent => "DIVERGENT",
    }
}

fn shown(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "(missing)".to_owned();
    };
    let text = v.to_string();
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

fn percent(r: f64) -> String {
    format!("{:.1} %", 100.0 * r)
}

fn problem(p: &Paint, out: &mut String, problem: &Problem) {
    let line = match problem {
        Problem::Differs {
            path,
            recorded,
            actual,
        } => format!(
            "{path}: recorded {} {} actual {}",
            shown(recorded.as_ref()),
            p.dim("|"),
            shown(actual.as_ref())
        ),
        Problem::Diverges { path, legacy, new } => format!(
            "{path}: legacy {} {} new {}",
            shown(legacy.as_ref()),
            p.dim("|"),
            shown(new.as_ref())
        ),
        Problem::Unmet {
            path,
            check,
            actual,
            why,
        } => format!("{path} {check}: {why} (actual {})", shown(actual.as_ref())),
        Problem::Fault { subject, fault } => format!("{subject}: {fault}"),
        Problem::NotRecorded => "no recorded output; run `record` first".to_owned(),
        Problem::Skipped { why } => why.clone(),
        Problem::Invariant { invariant, detail } => {
            format!(
                "{} {invariant}\n             {detail}",
                p.bad("invariant broken:")
            )
        }
    };
    let _ = writeln!(out, "           {line}");
}

fn is_not_run(c: &CaseReport) -> bool {
    c.status == CaseStatus::Skipped
        && c.problems
            .iter()
            .all(|p| matches!(p, Problem::Skipped { why } if why.starts_with("not run")))
}

fn cases(p: &Paint, out: &mut String, report: &Report) {
    let mut not_run = 0;
    for c in &report.cases {
        if matches!(c.status, CaseStatus::Passed | CaseStatus::Unchanged) {
            continue;
        }
        if is_not_run(c) {
            not_run += 1;
            continue;
        }
        let _ = writeln!(
            out,
            "{} {}  {}",
            p.status(c.status),
            p.head(&c.case),
            p.dim(&c.file)
        );
        for pr in &c.problems {
            problem(p, out, pr);
        }
    }
    if not_run > 0 {
        let _ = writeln!(
            out,
            "{} {not_run} case(s) not run",
            p.status(CaseStatus::Skipped)
        );
    }
}

fn agreement(p: &Paint, out: &mut String, report: &Report) {
    let s = &report.summary;
    let mut fields: Vec<&str> = s.agreement.keys().map(String::as_str).collect();
    for t in &s.thresholds {
        if !fields.contains(&t.field.as_str()) {
            fields.push(&t.field);
        }
    }
    if fields.is_empty() {
        return;
    }
    let width = fields.iter().map(|f| f.len()).max().unwrap_or(5).max(5);
    let _ = writeln!(
        out,
        "\n{}",
        p.head(&format!(
            "{:<width$}  {:>11}  {:>7}  {:<18}  THRESHOLD",
            "FIELD", "AGREED", "RATIO", "95 % INTERVAL"
        ))
    );
    for field in fields {
        let a = s.agreement.get(field);
        let agreed = a.map_or("-".to_owned(), |a| format!("{}/{}", a.agreed, a.compared));
        let ratio = a.and_then(|a| a.ratio).map_or("-".to_owned(), percent);
        let interval = a
            .and_then(|a| a.interval95)
            .map_or("-".to_owned(), |[lo, hi]| {
                format!("[{}, {}]", percent(lo), percent(hi))
            });
        let threshold = s
            .thresholds
            .iter()
            .find(|t| t.field == field)
            .map_or(String::new(), |t| {
                let never = if t.compared == 0 {
                    " (never compared)"
                } else {
                    ""
                };
                format!(">= {}  {}{never}", percent(t.min), p.verdict(t.passed))
            });
        let row = format!("{field:<width$}  {agreed:>11}  {ratio:>7}  {interval:<18}  {threshold}");
        let _ = writeln!(out, "{}", row.trim_end());
    }
}

fn invariants(p: &Paint, out: &mut String, report: &Report) {
    let s = &report.summary;
    if s.invariants.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", p.head("INVARIANTS"));
    for i in &s.invariants {
        let mut line = format!(
            "{:<4}  {}  ({} case(s) applied",
            p.verdict(i.passed),
            i.invariant,
            i.applied
        );
        if i.violations > 0 {
            let _ = write!(
                line,
                ", {} violated: {}",
                i.violations,
                i.violated_cases.join(", ")
            );
        }
        line.push(')');
        let _ = writeln!(out, "{line}");
    }
}

fn latency(p: &Paint, out: &mut String, report: &Report) {
    let s = &report.summary;
    if s.latency.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", p.head("LATENCY"));
    for (role, l) in &s.latency {
        let _ = writeln!(
            out,
            "{role:<8}  p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} cases)",
            l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms, l.samples
        );
    }
    if let Some(b) = &s.budget {
        let limits: Vec<String> = b
            .limits
            .iter()
            .map(|l| {
                let measured = l
                    .measured_ms
                    .map_or("-".to_owned(), |m| format!("{m:.2} ms"));
                format!(
                    "{} {measured} < {} ms {}",
                    l.quantile,
                    l.limit_ms,
                    p.verdict(l.passed)
                )
            })
            .collect();
        let _ = writeln!(out, "budget ({})  {}", b.subject, limits.join(", "));
    }
}

fn verdict(p: &Paint, out: &mut String, report: &Report) {
    let s = &report.summary;
    let counts: Vec<String> = s
        .counts
        .iter()
        .map(|(status, n)| format!("{n} {}", label(*status).to_lowercase()))
        .collect();
    if let Some(why) = &s.stopped {
        let _ = writeln!(out, "\n{} {why}", p.bad("stopped:"));
    }
    for file in &s.written {
        let _ = writeln!(out, "\nwrote {file}");
    }
    for file in &s.pending {
        let _ = writeln!(
            out,
            "\npending {file} (review it, then `cutover golden accept` or `reject`)"
        );
    }
    let result = if s.passed {
        p.good("PASSED")
    } else {
        p.bad("FAILED")
    };
    let _ = writeln!(
        out,
        "\n{} {}: {} cases ({})",
        result,
        s.mode.as_str(),
        s.cases,
        counts.join(", ")
    );
}

/// The report as text for a terminal or a log; `colour` adds ANSI colours.
pub fn render(report: &Report, colour: bool) -> String {
    let p = Paint { colour };
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}",
        p.head(&format!("golden {}", s.mode.as_str())),
        s.corpus
    );
    for (role, command) in &s.subjects {
        let _ = writeln!(out, "{}", p.dim(&format!("{role:<8} {command}")));
    }
    out.push('\n');
    cases(&p, &mut out, report);
    agreement(&p, &mut out, report);
    invariants(&p, &mut out, report);
    latency(&p, &mut out, report);
    verdict(&p, &mut out, report);
    out
}
