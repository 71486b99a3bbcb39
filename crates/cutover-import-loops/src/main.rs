//! `cutover-import-loops [--edges] DIR...`: scans each crate (its directory or its `src/`) and
//! lists the files on an import loop (with `--edges`, every edge too); exits 1 when there is a
//! loop, 2 when a directory is not a crate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dirs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let show_edges = dirs.first().is_some_and(|d| d.as_os_str() == "--edges");
    if show_edges {
        dirs.remove(0);
    }
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
        let scanned = cutover_import_loops::scan(Path::new(&src));
        if show_edges && let Ok(scan) = &scanned {
            for edge in &scan.edge_list {
                println!("{edge}");
            }
        }
        match scanned {
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
