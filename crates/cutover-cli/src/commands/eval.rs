//! `cutover eval`: one decision with its reason, or a batch of JSON lines at full speed.
//!
//! Evaluation uses the same compiled snapshot as the server and the SDK, with this process's
//! `CUTOVER_FLAG_*` variables and the variables flags declare by their own names.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use cutover_core::{AttributeName, Context, Decision, EnvOverrides, FlagKey, Snapshot, Variant};
use serde::{Deserialize, Serialize};

use crate::output;
use crate::session::Session;
use crate::values::{parse_key, parse_variant};

#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// The flag to evaluate.
    #[arg(value_parser = parse_key, required_unless_present = "batch", conflicts_with = "batch")]
    pub key: Option<FlagKey>,
    /// A context attribute, repeatable: user_id=u1, tenant=acme, targetingKey=k.
    #[arg(long = "ctx", value_parser = parse_ctx_pair, value_name = "ATTR=VALUE")]
    pub ctx: Vec<(String, String)>,
    /// Read JSON lines {"flag": ..., "context": {...}} from FILE ('-' for stdin), write one decision
    /// per line; a malformed, empty, non-UTF-8 or over 1 MiB line gets {"line": N, "error": ...}
    /// in its place, and the exit code is then 1.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<PathBuf>,
    /// The answer for a flag that does not exist.
    #[arg(long, value_parser = parse_variant, default_value = "legacy")]
    pub default: Variant,
}

fn parse_ctx_pair(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not ATTR=VALUE; accepted: e.g. user_id=u1"))?;
    AttributeName::new(name).map_err(|e| e.to_string())?;
    Ok((name.to_owned(), value.to_owned()))
}

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
    let flags = session.control.flags().await?;
    for var in env.unmatched(flags.iter().map(|f| &f.key)) {
        eprintln!("warning: {var} is set but names no flag in the store");
    }
    for problem in env.problems(&flags) {
        eprintln!("warning: {problem}; it is left out");
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

/// The longest input line `eval --batch` reads, newline excluded. A decision needs a flag key and
/// a context; a line this long is a mistake, and reading it whole would let one line take all
/// the memory there is.
pub(crate) const MAX_BATCH_LINE: usize = 1 << 20;

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum LineRead {
    /// A line, now in the buffer (without its `\n` or `\r\n`).
    Line,
    /// A line of this many bytes, over the limit: read to its end and dropped.
    TooLong(u64),
    /// The end of the input.
    End,
}

/// Reads the next line into `buf`, never holding more than `limit` bytes of it (and a `\r`): the
/// rest of a longer line is read in the reader's own buffer and dropped, only counted. Bytes are
/// not decoded here, so a line that is not UTF-8 is the caller's to report.
fn read_line(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<LineRead> {
    buf.clear();
    let mut len = 0u64;
    let mut last = None;
    let mut started = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            if !started {
                return Ok(LineRead::End);
            }
            break;
        }
        started = true;
        let newline = chunk.iter().position(|b| *b == b'\n');
        let take = newline.unwrap_or(chunk.len());
        if take > 0 {
            last = Some(chunk[take - 1]);
        }
        let total = len + take as u64;
        // One byte more than the limit may be the `\r` of a `\r\n` line ending.
        if total <= limit as u64 + 1 {
            buf.extend_from_slice(&chunk[..take]);
        } else if !buf.is_empty() {
            // Over the limit: what was kept is of no use any more.
            buf.clear();
        }
        len = total;
        input.consume(take + usize::from(newline.is_some()));
        if newline.is_some() {
            break;
        }
    }
    if last == Some(b'\r') {
        buf.pop();
        len -= 1;
    }
    if len > limit as u64 {
        buf.clear();
        return Ok(LineRead::TooLong(len));
    }
    Ok(LineRead::Line)
}

const ACCEPTED_LINE: &str = "accepted: {\"flag\": KEY, \"context\": {ATTR: VALUE, ...}}";

/// One output line per input line, in order. A line that is malformed, not UTF-8, empty or over
/// [`MAX_BATCH_LINE`] gets an `{"line", "error"}` object so outputs stay aligned with inputs, and
/// the exit code is 1 at the end.
fn batch(
    session: &Session,
    snapshot: &Snapshot,
    path: &std::path::Path,
    default: Variant,
) -> anyhow::Result<std::process::ExitCode> {
    let mut input: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(BufReader::with_capacity(1 << 16, std::io::stdin().lock()))
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut bad = 0usize;
    let mut line = Vec::new();
    for n in 1u64.. {
        let read = read_line(&mut input, &mut line, MAX_BATCH_LINE)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let problem = match read {
            LineRead::End => break,
            LineRead::TooLong(len) => Some(format!(
                "the line is {len} bytes, over the {MAX_BATCH_LINE}-byte (1 MiB) limit of eval \
                 --batch; {ACCEPTED_LINE}"
            )),
            LineRead::Line => match std::str::from_utf8(&line) {
                Err(e) => Some(format!(
                    "the line is not valid UTF-8 (byte {} is not); {ACCEPTED_LINE}",
                    e.valid_up_to() + 1
                )),
                Ok(text) if text.trim().is_empty() => {
                    Some(format!("the line is empty; {ACCEPTED_LINE}"))
                }
                Ok(text) => match serde_json::from_str::<BatchLine>(text) {
                    Ok(item) => {
                        let decision =
                            snapshot.decide(&item.flag, &item.context, session.now, default);
                        serde_json::to_writer(
                            &mut out,
                            &Answer {
                                flag: &item.flag,
                                decision: &decision,
                            },
                        )?;
                        None
                    }
                    Err(e) => Some(format!("{e}; {ACCEPTED_LINE}")),
                },
            },
        };
        if let Some(msg) = problem {
            bad += 1;
            serde_json::to_writer(&mut out, &serde_json::json!({ "line": n, "error": msg }))?;
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

#[cfg(test)]
mod tests {
    use super::{LineRead, read_line};

    /// Every read of `input` with a limit of 4 bytes: the result and the line's text.
    fn reads(input: &[u8]) -> Vec<(LineRead, String)> {
        // A tiny buffer, so lines span several reads of the underlying input.
        let mut reader = std::io::BufReader::with_capacity(3, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let read = read_line(&mut reader, &mut buf, 4).unwrap();
            assert!(buf.len() <= 5, "held {} bytes", buf.len());
            if read == LineRead::End {
                return out;
            }
            out.push((read, String::from_utf8_lossy(&buf).into_owned()));
        }
    }

    #[test]
    fn lines_up_to_the_limit_are_kept_longer_ones_are_counted_and_dropped() {
        use LineRead::{Line, TooLong};
        let line = |s: &str| (Line, s.to_owned());
        assert_eq!(reads(b""), []);
        assert_eq!(reads(b"abcd\n"), [line("abcd")]);
        assert_eq!(reads(b"abcd\r\n\nab"), [line("abcd"), line(""), line("ab")]);
        assert_eq!(
            reads(b"abcde\nok\nabcde\r\n0123456789"),
            [
                (TooLong(5), String::new()),
                line("ok"),
                (TooLong(5), String::new()),
                (TooLong(10), String::new())
            ]
        );
    }
}
