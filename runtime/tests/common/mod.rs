//! Shared helpers of the HTTP shape-and-fault suite: specs written inline,
//! compiled, bound to a wiremock server and connected.

#![allow(dead_code, clippy::unwrap_used)] // not every test file uses every helper

use std::time::Duration;

use indexmap::IndexMap;
use patchbay_runtime::{Call, Connection, Connector, Error, Instance, Options, Runtime};
use patchbay_schema::SourceFile;
use serde_json::Value;
use wiremock::{MockServer, Request};

/// A client-credentials method `cc` (token URL on the server) and a `GET
/// /orders` endpoint.
pub(crate) const CLIENT_CREDENTIALS_ORDERS: &str = r#"
[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

/// The top of every test spec: the connector table and the `url` variable
/// every URL starts with.
pub(crate) const HEAD: &str = r#"format = 1

[connector]
id = "t"
name = "T"
version = "1.0.0"
"#;

/// The `url` variable every test URL starts with.
pub(crate) const BASE: &str = r#"
[variables.base]
type = "url"
required = true
"#;

/// Options that keep the suite fast: short backoffs, a short timeout.
pub(crate) fn fast() -> Options {
    Options {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        ..Options::default()
    }
}

/// Compiles `HEAD` + `rest`, panicking with the diagnostics on errors.
pub(crate) fn connector(rest: &str) -> Connector {
    connector_with("", rest)
}

/// Compiles `HEAD` + `connector_extra` (more keys of `[connector]`) +
/// `BASE` + `rest`.
pub(crate) fn connector_with(connector_extra: &str, rest: &str) -> Connector {
    let text = format!("{HEAD}{connector_extra}\n{BASE}{rest}");
    let compiled = patchbay_compiler::compile_source(&SourceFile::new("t.toml", text.clone()))
        .unwrap_or_else(|e| panic!("the test spec does not compile: {e}\n---\n{text}"));
    Connector::new(compiled.plan)
}

/// Values from a JSON object.
pub(crate) fn values(object: Value) -> IndexMap<String, Value> {
    match object {
        Value::Object(members) => members.into_iter().collect(),
        other => panic!("values must be an object, got {other}"),
    }
}

/// Binds `given` (plus `base`) to the spec's first auth method.
pub(crate) fn instance(connector: &Connector, base: &str, given: Value) -> Result<Instance, Error> {
    let plan = connector.plan();
    let (key, method) = plan.methods.first().expect("the spec has an auth method");
    let mut given = values(given);
    given.insert("base".to_owned(), Value::String(base.to_owned()));
    Instance::from_values(plan, key, method, given)
}

/// A connection for `rest` against `server`, with `given` values.
pub(crate) fn connect_with(
    server: &MockServer,
    rest: &str,
    given: Value,
    options: Options,
) -> Connection {
    connect_to(&server.uri(), rest, given, options)
}

/// A connection for `rest` against `server`, fast options.
pub(crate) fn connect(server: &MockServer, rest: &str, given: Value) -> Connection {
    connect_with(server, rest, given, fast())
}

/// A connection for `rest` against any base URL.
pub(crate) fn connect_to(base: &str, rest: &str, given: Value, options: Options) -> Connection {
    connection(&connector(rest), base, given, options)
}

/// A connection of a compiled connector.
pub(crate) fn connection(
    connector: &Connector,
    base: &str,
    given: Value,
    options: Options,
) -> Connection {
    let instance = instance(connector, base, given).unwrap_or_else(|e| panic!("instance: {e}"));
    Connection::new(&Runtime::new(options).unwrap(), connector, instance)
        .unwrap_or_else(|e| panic!("connection: {e}"))
}

/// A call with these endpoint variables.
pub(crate) fn call(variables: Value) -> Call {
    Call {
        variables: values(variables),
        payload: None,
        files: Default::default(),
    }
}

/// Every request the server received.
pub(crate) async fn received(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

/// Requests the server received at `path`.
pub(crate) async fn received_at(server: &MockServer, path: &str) -> Vec<Request> {
    received(server)
        .await
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

/// A header of a received request, as text.
pub(crate) fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().expect("a text header"))
}

/// The form fields of a received request's body.
pub(crate) fn form(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

/// The query pairs of a received request.
pub(crate) fn query(request: &Request) -> Vec<(String, String)> {
    request.url.query_pairs().into_owned().collect()
}

/// `Basic base64(text)`.
pub(crate) fn basic(text: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Panics if an error's `Display` or `Debug` contains any of `secrets`.
pub(crate) fn assert_no_secrets(error: &Error, secrets: &[&str]) {
    let display = error.to_string();
    let debug = format!("{error:?}");
    for secret in secrets {
        assert!(
            !display.contains(secret),
            "Display leaks `{secret}`: {display}"
        );
        assert!(!debug.contains(secret), "Debug leaks `{secret}`: {debug}");
    }
}

/// The error of a result that must have failed.
pub(crate) fn expect_err<T: std::fmt::Debug>(result: Result<T, Error>) -> Error {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error,
    }
}
