//! `cutover-import-loops DIR...`: scans each crate (its directory or its `src/`) and lists the
//! files on an import loop; exits 1 when there is one, 2 when a directory is not a crate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: cutover-import-loops CRATE_DIR...");
        return ExitCode::from(2);
    }
    let mut found = false;
    for dir in dirs {
        let src = if dir.join("src").is_dir() {
            dir.join("src")
        } else {
            dir.clone()
        };
        match cutover_import_loops::scan(Path::new(&src)) {
            Ok(scan) if scan.loops.is_empty() => {}
            Ok(scan) => {
                found = true;
                eprintln!("import loops in {}:", dir.display());
                for line in scan.loops {
                    eprintln!("  {line}");
                }
            }
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        }
    }
    if found {
        eprintln!("(ARCHITECTURE.md: no import loop between the files of one crate)");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
