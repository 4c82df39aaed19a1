//! A connector fixture pointed at a wiremock server: its provider's origin
//! replaced by the server's, so that the spec under test is the committed
//! one in every other respect.

use patchbay_runtime::{Connection, Connector, Instance, Options, Runtime};
use patchbay_schema::SourceFile;
use serde_json::Value;
use std::time::Duration;

/// `fixtures/connectors/<name>.toml` with every `origin` replaced by
/// `server_uri` (the test server, perhaps with a path), compiled.
pub(crate) fn connector(name: &str, origin: &str, server_uri: &str) -> Connector {
    let path = format!(
        "{}/../fixtures/connectors/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(text.contains(origin), "{path} does not mention {origin}");
    let text = text.replace(origin, server_uri);
    let compiled = patchbay_compiler::compile_source(&SourceFile::new(path.clone(), text))
        .unwrap_or_else(|e| panic!("{path} does not compile: {e}"));
    Connector::new(compiled.plan)
}

/// A connection of `connector` with `method` and these values, with short
/// backoffs.
pub(crate) fn connection(connector: &Connector, method: &str, values: Value) -> Connection {
    let plan = connector.plan();
    let method_plan = &plan.methods[method];
    let Value::Object(values) = values else {
        panic!("values must be an object")
    };
    let instance = Instance::from_values(plan, method, method_plan, values.into_iter().collect())
        .unwrap_or_else(|e| panic!("instance: {e}"));
    let options = Options {
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        ..Options::default()
    };
    Connection::new(&Runtime::new(options).unwrap(), connector, instance).unwrap()
}

/// A call with one endpoint variable.
pub(crate) fn call_with(key: &str, value: &str) -> patchbay_runtime::Call {
    patchbay_runtime::Call {
        variables: [(key.to_owned(), serde_json::Value::String(value.to_owned()))].into(),
        payload: None,
    }
}
