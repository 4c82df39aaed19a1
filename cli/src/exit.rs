//! Exit codes, and how a command's failure is reported and becomes one.
//!
//! - 0: success (a lint with warnings only succeeds too);
//! - 1: the command ran and its answer is "no": lint findings that fail, a
//!   spec with errors, a request or login that failed, no stored tokens;
//! - 2: usage or I/O errors (clap exits with 2 on usage errors itself).

use std::any::Any;
use std::io::Write;
use std::panic::Location;
use std::process::ExitCode;
use std::sync::OnceLock;

use patchbay_runtime::{Connection, Redactor};

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

/// The connection whose secrets (tokens included) a panic message is
/// redacted with, once a command has made one.
static PANIC_REDACTION: OnceLock<Connection> = OnceLock::new();

/// Redacts panic messages with `connection`'s secrets from now on.
pub(crate) fn redact_panics_with(connection: &Connection) {
    let _ = PANIC_REDACTION.set(connection.clone());
}

/// Replaces the default panic report with one that passes through the
/// connection's redactor: a panic message may quote a value.
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let redactor = PANIC_REDACTION.get().map(Connection::redactor);
        let report = panic_report(info.payload(), info.location(), redactor.as_deref());
        let _ = writeln!(std::io::stderr(), "{report}");
        // Frames name functions, never values: shown as Rust would, when
        // `RUST_BACKTRACE` asks for them.
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            let _ = writeln!(std::io::stderr(), "{backtrace}");
        }
    }));
}

/// The line a panic is reported with, its message redacted.
fn panic_report(
    payload: &(dyn Any + Send),
    location: Option<&Location<'_>>,
    redactor: Option<&Redactor>,
) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    let message = match redactor {
        Some(redactor) => redactor.redact(&message),
        None => message,
    };
    let place = location
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!("patchbay: internal error (a bug; please report it): {message}{place}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_runtime::Secret;

    #[test]
    fn a_panic_report_masks_the_secrets() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new("panic-SENTINEL"));
        let payload: Box<dyn Any + Send> = Box::new("bad value panic-SENTINEL".to_owned());
        let report = panic_report(payload.as_ref(), None, Some(&redactor));
        assert_eq!(
            report,
            "patchbay: internal error (a bug; please report it): bad value ********"
        );
    }
}
