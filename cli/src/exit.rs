//! Exit codes, and how a command's failure is reported and becomes one.
//!
//! - 0: success (a lint with warnings only succeeds too);
//! - 1: the command ran and its answer is "no": lint findings that fail, a
//!   spec with errors, a request or login that failed, no stored tokens;
//! - 2: usage or I/O errors (clap exits with 2 on usage errors itself).

use std::io::Write;
use std::process::ExitCode;

use patchbay_runtime::Connection;

use crate::spec::SpecRejected;

/// Exit code of a usage or I/O error.
const USAGE: u8 = 2;

/// Reports a command's error on stderr (unless it has been reported
/// already) and gives its exit code.
pub(crate) fn report(error: anyhow::Error) -> ExitCode {
    // The reader went away (`patchbay … | head`): nothing left to tell it.
    if is_broken_pipe(&error) {
        return ExitCode::SUCCESS;
    }
    // Its diagnostics are on stderr already.
    if error.downcast_ref::<SpecRejected>().is_some() {
        return ExitCode::FAILURE;
    }
    let _ = writeln!(std::io::stderr(), "patchbay: error: {error:#}");
    ExitCode::from(USAGE)
}

/// Reports a failure of the runtime (a request, a login) on stderr,
/// redacted with the connection's secrets, and gives exit code 1.
pub(crate) fn runtime_failure(connection: &Connection, error: patchbay_runtime::Error) -> ExitCode {
    let message = connection.redactor().redact(&error.to_string());
    let _ = writeln!(std::io::stderr(), "patchbay: error: {message}");
    ExitCode::FAILURE
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
