//! A `cutover serve` process and what it printed: its address and, for a new store, the first
//! admin token.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use super::Cutover;

pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) admin_token: Option<String>,
}

impl Cutover {
    pub(crate) fn serve(&self, extra: &[&str]) -> Served {
        let mut args = vec!["serve"];
        if !extra.contains(&"--listen") {
            args.extend_from_slice(&["--listen", "127.0.0.1:0"]);
        }
        args.extend_from_slice(extra);
        let mut child = self
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
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
        }
    }
}

impl Served {
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
