//! A `cutover serve` process and what it printed: its address, for a new store the first admin
//! token, and, when asked for, its log.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};

use super::Cutover;

pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) admin_token: Option<String>,
    /// The lines the server logged on stderr so far, when started by `serve_logged`.
    pub(crate) log: Option<Arc<Mutex<Vec<String>>>>,
}

impl Cutover {
    pub(crate) fn serve(&self, extra: &[&str]) -> Served {
        self.spawn_serve(extra, false)
    }

    /// `serve`, keeping every line the server logs (at INFO and above, as by default).
    pub(crate) fn serve_logged(&self, extra: &[&str]) -> Served {
        self.spawn_serve(extra, true)
    }

    fn spawn_serve(&self, extra: &[&str], logged: bool) -> Served {
        let mut args = vec!["serve"];
        if !extra.contains(&"--listen") {
            args.extend_from_slice(&["--listen", "127.0.0.1:0"]);
        }
        args.extend_from_slice(extra);
        let mut child = self
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(if logged {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap();
        let log = child.stderr.take().map(|stderr| {
            let log = Arc::new(Mutex::new(Vec::new()));
            let kept = log.clone();
            // Drained on a thread of its own, so the server never blocks on a full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    kept.lock().unwrap().push(line);
                }
            });
            log
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut admin_token = None;
        let url = loop {
            let line = lines.next().expect("serve printed its address").unwrap();
            if line.starts_with("cut_") {
                admin_token = Some(line);
            } else if let Some(url) = line.strip_prefix("cutover listening on ") {
                break url.to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Served {
            child,
            url,
            admin_token,
            log,
        }
    }
}

impl Served {
    /// The logged lines that contain every one of `needles`.
    pub(crate) fn log_lines(&self, needles: &[&str]) -> Vec<String> {
        let Some(log) = &self.log else {
            panic!("the server was not started with serve_logged");
        };
        log.lock()
            .unwrap()
            .iter()
            .filter(|l| needles.iter().all(|n| l.contains(n)))
            .cloned()
            .collect()
    }

    /// SIGKILL: no shutdown of any kind.
    pub(crate) fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
