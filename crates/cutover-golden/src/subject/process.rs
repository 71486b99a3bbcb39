//! An external command speaking JSON lines: one long-lived process, one request line in, one
//! output line out.
//!
//! Its stdin is fed by a writer thread and its stdout drained by a reader thread, so a subject
//! that stops reading or stops answering is caught by the per-case timeout instead of blocking
//! the run. Whatever the process does (crash, hang, garbage, an early exit) becomes a [`Fault`]
//! of the case in hand; the process is started again for the next case.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Fault, Request, Subject, Wire};
use crate::error::GoldenError;

/// How much of a subject's stderr is kept to explain a crash.
const STDERR_TAIL: usize = 2048;
/// Batches of lines read ahead of the runner; a subject printing more blocks on its stdout.
const READ_AHEAD: usize = 64;
/// How long a process whose stdout closed gets to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_millis(500);
/// How long a subject gets to exit after its stdin closes at the end of a run.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A subject run as a child process; see the module documentation for the protocol.
pub struct ProcessSubject {
    command: String,
    argv: Vec<String>,
    timeout: Duration,
    live: Option<Live>,
}

struct Live {
    child: Child,
    requests: Sender<Vec<u8>>,
    lines: Receiver<Vec<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_done: Receiver<()>,
}

fn wait_for(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + grace;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
            _ => return None,
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    const SHOWN: usize = 300;
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\n', '\r']);
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

impl Live {
    fn spawn(argv: &[String]) -> std::io::Result<Live> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| std::io::Error::other("empty command"))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("the child's pipes were not set up"));
        };
        let (requests, to_write) = mpsc::channel::<Vec<u8>>();
        let (found, lines) = mpsc::sync_channel::<Vec<Vec<u8>>>(READ_AHEAD);
        let (stderr_closed, stderr_done) = mpsc::channel::<()>();
        let tail = Arc::new(Mutex::new(Vec::new()));
        let spawned = (|| {
            thread::Builder::new()
                .name("golden-stdin".into())
                .spawn(move || {
                    for line in to_write {
                        if stdin.write_all(&line).is_err() {
                            break;
                        }
                    }
                })?;
            thread::Builder::new()
                .name("golden-stdout".into())
                .spawn(move || read_lines(stdout, &found))?;
            let keep = Arc::clone(&tail);
            thread::Builder::new()
                .name("golden-stderr".into())
                .spawn(move || {
                    keep_tail(&mut stderr, &keep);
                    drop(stderr_closed);
                })?;
            Ok::<(), std::io::Error>(())
        })();
        let live = Live {
            child,
            requests,
            lines,
            stderr: tail,
            stderr_done,
        };
        match spawned {
            Ok(()) => Ok(live),
            Err(e) => {
                live.kill();
                Err(e)
            }
        }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn stderr_tail(&self) -> String {
        // The stderr reader may still be draining what the process wrote just before it died.
        let _ = self.stderr_done.recv_timeout(Duration::from_millis(200));
        let tail = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&tail).trim().to_owned()
    }

    /// The process closed its stdout without answering: say how it ended.
    fn ended(mut self) -> Fault {
        let status = match wait_for(&mut self.child, EXIT_GRACE) {
            Some(status) => status.to_string(),
            None => {
                let _ = self.child.kill();
                match self.child.wait() {
                    Ok(_) => "closed its stdout and was killed".to_owned(),
                    Err(e) => format!("closed its stdout; waiting for it failed: {e}"),
                }
            }
        };
        let stderr = self.stderr_tail();
        let clean = status == "exit status: 0" || status.starts_with("closed");
        let fault = if clean {
            Fault::Exited { status, stderr }
        } else {
            Fault::Crashed { status, stderr }
        };
        self.kill();
        fault
    }

    /// Closes stdin (a well-behaved subject exits at end of input), then makes sure it is gone.
    fn shut_down(self) {
        let Live {
            mut child,
            requests,
            ..
        } = self;
        drop(requests);
        if wait_for(&mut child, SHUTDOWN_GRACE).is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends the complete lines of each read together: lines a subject wrote in one go (an answer
/// and a log line after it) arrive as one batch, so they are seen with the request that caused
/// them rather than racing the next one.
fn read_lines(mut stdout: impl Read, found: &SyncSender<Vec<Vec<u8>>>) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut partial: Vec<u8> = Vec::new();
    loop {
        let n = match stdout.read(&mut buf) {
            Ok(0) => {
                // A last answer without its newline still counts.
                if !partial.is_empty() {
                    let _ = found.send(vec![partial]);
                }
                return;
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        partial.extend_from_slice(&buf[..n]);
        let Some(last) = partial.iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        let rest = partial.split_off(last + 1);
        let lines: Vec<Vec<u8>> = partial
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        partial = rest;
        if found.send(lines).is_err() {
            return;
        }
    }
}

fn keep_tail(stderr: &mut impl Read, tail: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 4096];
    loop {
        match stderr.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                let mut t = tail.lock().unwrap_or_else(PoisonError::into_inner);
                t.extend_from_slice(&buf[..n]);
                if t.len() > STDERR_TAIL {
                    let cut = t.len() - STDERR_TAIL;
                    t.drain(..cut);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

impl ProcessSubject {
    /// A subject from a command line, split as a shell would (`router --mode "fast path"`),
    /// never run through a shell. Each case gets at most `timeout` to be answered.
    pub fn new(command: &str, timeout: Duration) -> Result<ProcessSubject, GoldenError> {
        let invalid = |why: &str| GoldenError::InvalidCommand {
            command: command.to_owned(),
            why: why.to_owned(),
        };
        let argv = shlex::split(command).ok_or_else(|| invalid("unbalanced quotes"))?;
        if argv.is_empty() {
            return Err(invalid("it is empty"));
        }
        Ok(ProcessSubject {
            command: command.to_owned(),
            argv,
            timeout,
            live: None,
        })
    }

    fn exchange(&self, live: Live, request: &Request<'_>) -> (Result<Value, Fault>, Option<Live>) {
        let mut unsolicited = Vec::new();
        while let Ok(batch) = live.lines.try_recv() {
            unsolicited.extend(batch.iter().map(|l| lossy(l)));
        }
        if !unsolicited.is_empty() {
            live.kill();
            return (Err(Fault::Unsolicited { lines: unsolicited }), None);
        }
        let mut line = match serde_json::to_vec(&Wire::from(request)) {
            Ok(line) => line,
            Err(e) => {
                let message = format!("the request could not be written as JSON: {e}");
                return (Err(Fault::Failed { message }), Some(live));
            }
        };
        line.push(b'\n');
        if live.requests.send(line).is_err() {
            // The stdin writer is gone: the process stopped reading, most likely because it ended.
            return (Err(live.ended()), None);
        }
        match live.lines.recv_timeout(self.timeout) {
            Ok(batch) if batch.len() > 1 => {
                live.kill();
                let lines = batch.iter().map(|l| lossy(l)).collect();
                (Err(Fault::ExtraOutput { lines }), None)
            }
            Ok(batch) => {
                let answer = batch.concat();
                let text = answer.strip_suffix(b"\n").unwrap_or(&answer);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                let result = serde_json::from_slice(text).map_err(|_| Fault::Garbage {
                    line: lossy(&answer),
                });
                (result, Some(live))
            }
            Err(RecvTimeoutError::Timeout) => {
                live.kill();
                let after_ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
                (Err(Fault::TimedOut { after_ms }), None)
            }
            Err(RecvTimeoutError::Disconnected) => (Err(live.ended()), None),
        }
    }
}

impl Subject for ProcessSubject {
    fn describe(&self) -> String {
        self.command.clone()
    }

    fn start(&mut self) -> Result<(), GoldenError> {
        if self.live.is_none() {
            let live = Live::spawn(&self.argv).map_err(|source| GoldenError::Spawn {
                command: self.command.clone(),
                source,
            })?;
            self.live = Some(live);
        }
        Ok(())
    }

    fn call(&mut self, request: &Request<'_>) -> Result<Value, Fault> {
        let live = match self.live.take() {
            Some(live) => live,
            None => Live::spawn(&self.argv).map_err(|e| Fault::CannotStart {
                why: format!("`{}`: {e}", self.command),
            })?,
        };
        let (result, live) = self.exchange(live, request);
        self.live = live;
        result
    }
}

impl Drop for ProcessSubject {
    fn drop(&mut self) {
        if let Some(live) = self.live.take() {
            live.shut_down();
        }
    }
}
