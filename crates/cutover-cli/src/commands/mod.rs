//! One module per command family; each takes the parsed arguments and an open session.

pub(crate) mod audit;
pub(crate) mod change;
pub(crate) mod eval;
pub(crate) mod flag;
pub(crate) mod golden;
pub(crate) mod init;
pub(crate) mod loadgen;
pub(crate) mod preset;
pub(crate) mod require;
pub(crate) mod rollouts;
pub(crate) mod serve;
pub(crate) mod simulate;
pub(crate) mod store;
pub(crate) mod token;
pub(crate) mod transfer;
pub(crate) mod verdict;
