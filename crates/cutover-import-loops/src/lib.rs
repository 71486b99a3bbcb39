//! Finds import loops between the files of a crate.
//!
//! Reading a crate's `src/`, every path a file names into another file of the crate (`use
//! crate::..`, `super::..`, a child module's name, a module imported by name, or such a path
//! written inline) is an edge; a file that reaches itself through edges is on a loop. `mod`
//! declarations are not edges: a parent declaring its children is how Rust lays out modules. A
//! path to an item lands in the file that defines it, through any file that passes it on
//! (`pub use`): the file passing it on has its own edge to the definition, and the file naming
//! it depends on the definition, not on the files between. Inline modules (`mod tests { .. }`)
//! belong to their file: `super::` in them is the file itself.
//!
//! ARCHITECTURE.md states the invariant (no import loop between the files of one crate); `.ci/run`
//! runs the `cutover-import-loops` binary over every crate, and this crate's tests do the same.

mod error;
mod graph;
mod lex;
mod paths;

pub use error::ScanError;
pub use graph::{Scan, scan};
