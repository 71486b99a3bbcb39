//! `cutover eval`: one decision with its reason, or a batch of JSON lines at full speed.
//!
//! Evaluation uses the same compiled snapshot as the server and the SDK, with this process's
//! `CUTOVER_FLAG_*` variables as environment overrides.

use std::io::{BufRead, BufReader, BufWriter, Write};

use anyhow::{Context as _, bail};
use cutover_core::{Context, Decision, EnvOverrides, Snapshot, Variant};
use serde::{Deserialize, Serialize};

use crate::args::EvalArgs;
use crate::output;
use crate::session::Session;

#[derive(Serialize)]
struct Answer<'a> {
    flag: &'a str,
    #[serde(flatten)]
    decision: &'a Decision<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    flag: String,
    #[serde(default)]
    context: Context,
}

/// Evaluates with `env`, this process's `CUTOVER_FLAG_*` overrides, read before the store opened.
pub(crate) async fn run(
    session: &Session,
    args: &EvalArgs,
    env: &EnvOverrides,
) -> anyhow::Result<std::process::ExitCode> {
    let flags = session.store.flags().await?;
    for var in env.unmatched(flags.iter().map(|f| &f.key)) {
        eprintln!("warning: {var} is set but names no flag in the store");
    }
    let snapshot = Snapshot::compile(&flags, env);
    match (&args.batch, &args.key) {
        (Some(path), _) => batch(session, &snapshot, path, args.default),
        (None, Some(key)) => {
            let mut ctx = Context::new();
            for (name, value) in &args.ctx {
                ctx.set(name, value);
            }
            let decision = snapshot.decide(key.as_str(), &ctx, session.now, args.default);
            if session.json {
                output::json(&Answer {
                    flag: key.as_str(),
                    decision: &decision,
                })?;
            } else {
                println!(
                    "{key} = {}  ({}; flag version {})",
                    decision.variant, decision.reason, decision.flag_version
                );
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
        (None, None) => bail!("give a flag KEY or --batch FILE"),
    }
}

/// One output line per input line, in order. A malformed line gets an `{"line", "error"}`
/// object so outputs stay aligned with inputs, and the exit code is 1 at the end.
fn batch(
    session: &Session,
    snapshot: &Snapshot,
    path: &std::path::Path,
    default: Variant,
) -> anyhow::Result<std::process::ExitCode> {
    let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin().lock()))
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut bad = 0usize;
    for (n, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<BatchLine>(&line) {
            Ok(item) => {
                let decision = snapshot.decide(&item.flag, &item.context, session.now, default);
                serde_json::to_writer(
                    &mut out,
                    &Answer {
                        flag: &item.flag,
                        decision: &decision,
                    },
                )?;
            }
            Err(e) => {
                bad += 1;
                let msg =
                    format!("{e}; accepted: {{\"flag\": KEY, \"context\": {{ATTR: VALUE, ...}}}}");
                serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({ "line": n + 1, "error": msg }),
                )?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if bad > 0 {
        eprintln!("error: {bad} malformed line(s) in {}", path.display());
        return Ok(std::process::ExitCode::FAILURE);
    }
    Ok(std::process::ExitCode::SUCCESS)
}
