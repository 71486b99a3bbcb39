//! Finds import loops between the files of a crate.
//!
//! The rule, read strictly: reading a crate's `src/`, every path a file writes into another file
//! of the crate (`use crate::..`, `super::..`, a child module's name, a module imported by name,
//! or such a path written inline) is an edge to the file the path *names*: the longest prefix of
//! the path that is a file module (`super::Gate` is the parent's file, `crate::a::Gate` the file
//! of `a`, `crate::a::b` the file of `b` when `b` is a file module). A file that reaches itself
//! through edges is on a loop.
//!
//! - A `pub use` is an edge like any `use`: the file passing an item on depends on the file it
//!   names, and a file naming the item through it depends on it too (the path must resolve
//!   there, and a change to what it passes on reaches the user through it). So a child naming
//!   `super::Sibling` that its parent re-exports from a file that names the child is a loop;
//!   naming `super::sibling::Sibling` is not.
//! - `mod` declarations are not edges: a parent declaring its children is how Rust lays out
//!   modules.
//! - Inline modules (`mod tests { .. }`) belong to their file: `super::` in them is the file
//!   itself.
//! - The crate root is a file like any other, with no exception: `use crate::ScanError` is an
//!   edge to `lib.rs`, and `lib.rs` has edges to the files its `pub use` lines name (edges join
//!   files, not items). So a loop through the root forms only when a file names something
//!   through `lib.rs` while `lib.rs` re-exports from a file that reaches (transitively) back to
//!   the naming file; a root re-exporting from files that never name `crate::X` has no loop.
//!   Exempting the root was considered and refused: its re-exports would be the one facade the
//!   rule cannot see through, though a facade is the very case the rule is for, and a file
//!   inside the crate can always name the defining file (`crate::error::ScanError`) while the
//!   root's re-exports stay for users outside.
//!
//! ARCHITECTURE.md states the invariant (no import loop between the files of one crate); `.ci/run`
//! runs the `cutover-import-loops` binary over every crate, and this crate's tests do the same.

mod error;
mod graph;
mod lex;
mod paths;

pub use error::ScanError;
pub use graph::{Scan, scan};
