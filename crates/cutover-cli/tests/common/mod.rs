//! Runs the real `cutover` binary against a store in a temporary directory.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) mod golden_subjects;
pub(crate) mod guard;
pub(crate) mod postgres;
pub(crate) mod served;

pub(crate) struct Cutover {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) db: PathBuf,
    /// Set for a run against PostgreSQL: every command gets `CUTOVER_POSTGRES`.
    pub(crate) postgres: Option<String>,
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Cutover {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cutover.db");
        Cutover {
            dir,
            db,
            postgres: None,
        }
    }

    /// Commands work on this PostgreSQL database instead of the file.
    pub(crate) fn on_postgres(url: &str) -> Self {
        Cutover {
            postgres: Some(url.to_owned()),
            ..Cutover::new()
        }
    }

    /// A command with a clean environment: no stray CUTOVER_* variables from the caller.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutover"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("CUTOVER_DB", &self.db)
            .env("CUTOVER_ACTOR", "tester")
            .current_dir(self.dir.path())
            .args(args);
        if let Some(url) = &self.postgres {
            cmd.env("CUTOVER_POSTGRES", url);
        }
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }

    pub(crate) fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().unwrap())
    }

    /// Runs and insists on success.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(
            run.code, 0,
            "cutover {args:?} failed:\n{}{}",
            run.stdout, run.stderr
        );
        run.stdout
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Everything a change could touch: the whole flag set and the whole audit log.
    pub(crate) fn state(&self) -> (String, String) {
        (self.ok(&["export"]), self.ok(&["audit", "export"]))
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub(crate) fn file_bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}
