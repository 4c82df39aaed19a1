//! One module per command. Each is a leaf: it owns its arguments and reads
//! the shared modules (connecting, spec files, reports, exit codes), never
//! another command. (`completions` and `man` are handed the command-line
//! definition they describe.)

pub(crate) mod auth;
pub(crate) mod compile;
pub(crate) mod completions;
pub(crate) mod explain;
pub(crate) mod lint;
pub(crate) mod man;
pub(crate) mod run;
pub(crate) mod schema;
pub(crate) mod serve;
