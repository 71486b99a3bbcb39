//! Copying a whole store into an empty one between any two backends (`run.rs`), over the ends
//! each backend opens (`ends.rs`) and the table list both share (`tables.rs`).

pub(crate) mod ends;
pub(crate) mod run;
pub(crate) mod tables;
