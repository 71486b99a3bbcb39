//! JUnit XML for CI systems: one test case per corpus case (a failure or an error with the
//! diff), and in a comparison one per threshold, invariant and budget, since those decide the
//! verdict there. Written by hand: the format is a handful of elements, and escaping is the only
//! subtle part.

use std::fmt::Write as _;

use super::{CaseStatus, Problem, Report};

/// Escapes text for XML attributes and content, dropping characters XML 1.0 cannot hold.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn describe(problem: &Problem) -> String {
    let v = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .map_or("(missing)".to_owned(), ToString::to_string)
    };
    match problem {
        Problem::Differs {
            path,
            recorded,
            actual,
        } => format!("{path}: recorded {} | actual {}", v(recorded), v(actual)),
        Problem::Diverges { path, legacy, new } => {
            format!("{path}: legacy {} | new {}", v(legacy), v(new))
        }
        Problem::Unmet {
            path,
            check,
            actual,
            why,
        } => format!("{path} {check}: {why} (actual {})", v(actual)),
        Problem::Fault { subject, fault } => format!("{subject}: {fault}"),
        Problem::NotRecorded => "no recorded output".to_owned(),
        Problem::Skipped { why } => why.clone(),
        Problem::Invariant { invariant, detail } => {
            format!("invariant broken: {invariant}: {detail}")
        }
    }
}

struct Case {
    name: String,
    class: String,
    seconds: f64,
    /// `failure` or `error`, with its message and text; `skipped` with its message.
    outcome: Option<(&'static str, String, String)>,
    out: String,
}

fn gate(class: &str, name: String, passed: bool, message: String) -> Case {
    Case {
        name,
        class: class.to_owned(),
        seconds: 0.0,
        outcome: (!passed).then(|| ("failure", message.clone(), message)),
        out: String::new(),
    }
}

/// The report as a JUnit XML document.
pub fn junit(report: &Report) -> String {
    let s = &report.summary;
    let mut cases: Vec<Case> = report
        .cases
        .iter()
        .map(|c| {
            let text: Vec<String> = c.problems.iter().map(describe).collect();
            let text = text.join("\n");
            let first = text.lines().next().unwrap_or("").to_owned();
            let outcome = match c.status {
                CaseStatus::Error => Some(("error", first, text.clone())),
                CaseStatus::Skipped => Some(("skipped", first, String::new())),
                status if status.is_failure() => Some(("failure", first, text.clone())),
                _ => None,
            };
            Case {
                name: c.case.clone(),
                class: c.file.clone(),
                seconds: c.latency.map_or(0.0, |d| d.as_secs_f64()),
                // A divergence is not a failure by itself in a comparison; keep it visible.
                out: if outcome.is_none() {
                    text
                } else {
                    String::new()
                },
                outcome,
            }
        })
        .collect();
    for t in &s.thresholds {
        let ratio = t
            .ratio
            .map_or("never compared".to_owned(), |r| format!("{r:.4}"));
        cases.push(gate(
            "thresholds",
            format!("agreement {} >= {}", t.field, t.min),
            t.passed,
            format!(
                "agreement on {} is {ratio} over {} cases",
                t.field, t.compared
            ),
        ));
    }
    for i in &s.invariants {
        cases.push(gate(
            "invariants",
            i.invariant.clone(),
            i.passed,
            format!(
                "{} violation(s): {}",
                i.violations,
                i.violated_cases.join(", ")
            ),
        ));
    }
    if let Some(b) = &s.budget {
        for l in &b.limits {
            let measured = l
                .measured_ms
                .map_or("nothing".to_owned(), |m| format!("{m:.3} ms"));
            cases.push(gate(
                "budget",
                format!("{} {} < {} ms", b.subject, l.quantile, l.limit_ms),
                l.passed,
                format!("{} measured {measured}", l.quantile),
            ));
        }
    }
    if let Some(why) = &s.stopped {
        cases.push(gate("run", "run completed".to_owned(), false, why.clone()));
    }
    let count = |kind: &str| {
        cases
            .iter()
            .filter(|c| c.outcome.as_ref().is_some_and(|(k, _, _)| *k == kind))
            .count()
    };
    let total: f64 = cases.iter().map(|c| c.seconds).sum();
    let suite = escape(&format!("golden {} {}", s.mode.as_str(), s.corpus));
    let counts = format!(
        "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{total:.6}\"",
        cases.len(),
        count("failure"),
        count("error"),
        count("skipped"),
    );
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml, "<testsuites name=\"cutover golden\" {counts}>");
    let _ = writeln!(xml, "  <testsuite name=\"{suite}\" {counts}>");
    for c in &cases {
        let _ = write!(
            xml,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.6}\"",
            escape(&c.name),
            escape(&c.class),
            c.seconds
        );
        if c.outcome.is_none() && c.out.is_empty() {
            xml.push_str("/>\n");
            continue;
        }
        xml.push_str(">\n");
        match &c.outcome {
            Some(("skipped", message, _)) => {
                let _ = writeln!(xml, "      <skipped message=\"{}\"/>", escape(message));
            }
            Some((kind, message, text)) => {
                let _ = writeln!(
                    xml,
                    "      <{kind} message=\"{}\">{}</{kind}>",
                    escape(message),
                    escape(text)
                );
            }
            None => {}
        }
        if !c.out.is_empty() {
            let _ = writeln!(xml, "      <system-out>{}</system-out>", escape(&c.out));
        }
        xml.push_str("    </testcase>\n");
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}\te"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\te"
        );
    }
}
