//! Writes a generated connector spec (see `patchbay_benches::generated_spec`)
//! to stdout, for measuring the CLI on it: `generate-spec BYTES METHODS
//! valid|errors`. `benches/scale-memory.sh` uses it.

#![allow(clippy::print_stdout, clippy::print_stderr)] // the spec is the output; usage goes to stderr

use patchbay_benches::{Shape, generated_spec};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [bytes, methods, kind] = args.as_slice() else {
        eprintln!("usage: generate-spec BYTES METHODS valid|errors");
        std::process::exit(2);
    };
    let (Ok(bytes), Ok(methods)) = (bytes.parse(), methods.parse()) else {
        eprintln!("BYTES and METHODS are numbers");
        std::process::exit(2);
    };
    print!(
        "{}",
        generated_spec(Shape {
            bytes,
            methods,
            one_error_per_endpoint: kind == "errors",
        })
    );
}
