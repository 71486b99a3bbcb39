//! `golden-echo`: the trivial JSON-lines subject. It answers each request with its input, so a
//! run through it measures cutover's own cost (the benchmark), and its options make it misbehave
//! on purpose, for testing a harness against a subject that crashes, hangs, prints garbage or
//! ends early:
//!
//! ```text
//! golden-echo [--with-seed] [--sleep-ms N] [--crash-on NAME] [--hang-on NAME]
//!             [--garbage-on NAME] [--extra-on NAME] [--exit-after N]
//! ```
//!
//! NAME is a scenario name; `--exit-after N` exits cleanly after answering N requests.

use std::io::{BufRead, Write};
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    scenario: &'a str,
    step: u64,
    seed: u64,
    #[serde(borrow)]
    input: &'a RawValue,
}

#[derive(Default)]
struct Options {
    with_seed: bool,
    sleep: Option<Duration>,
    crash_on: Option<String>,
    hang_on: Option<String>,
    garbage_on: Option<String>,
    extra_on: Option<String>,
    exit_after: Option<u64>,
}

fn options() -> Result<Options, String> {
    let mut o = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--with-seed" {
            o.with_seed = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} takes a number, not {value:?}"))
        };
        match flag.as_str() {
            "--sleep-ms" => o.sleep = Some(Duration::from_millis(number()?)),
            "--exit-after" => o.exit_after = Some(number()?),
            "--crash-on" => o.crash_on = Some(value),
            "--hang-on" => o.hang_on = Some(value),
            "--garbage-on" => o.garbage_on = Some(value),
            "--extra-on" => o.extra_on = Some(value),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(o)
}

fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("golden-echo: {e}");
            std::process::exit(2);
        }
    };
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut answered = 0;
    for line in stdin.lines() {
        let Ok(line) = line else { break };
        let Ok(req) = serde_json::from_str::<Request<'_>>(&line) else {
            eprintln!("golden-echo: not a request: {line}");
            std::process::exit(3);
        };
        let is = |name: &Option<String>| name.as_deref() == Some(req.scenario);
        if is(&o.crash_on) {
            eprintln!("golden-echo: crashing on {} as asked", req.scenario);
            std::process::abort();
        }
        if is(&o.hang_on) {
            std::thread::sleep(Duration::from_secs(3600));
        }
        if let Some(pause) = o.sleep {
            std::thread::sleep(pause);
        }
        let written = if is(&o.garbage_on) {
            writeln!(out, "this is not json")
        } else if o.with_seed {
            writeln!(
                out,
                "{{\"input\":{},\"seed\":{},\"step\":{}}}",
                req.input.get(),
                req.seed,
                req.step
            )
        } else {
            writeln!(out, "{}", req.input.get())
        };
        let extra = if is(&o.extra_on) {
            writeln!(out, "{{\"log\": \"a line nobody asked for\"}}")
        } else {
            Ok(())
        };
        if written.and(extra).and_then(|()| out.flush()).is_err() {
            return;
        }
        answered += 1;
        if o.exit_after == Some(answered) {
            return;
        }
    }
}
