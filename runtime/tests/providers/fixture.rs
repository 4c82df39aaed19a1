//! The one way a provider test connects: a committed connector fixture
//! pointed at a wiremock server, its provider's origin replaced by the
//! server's, so that the spec under test is the one users run in every
//! other respect (query, auth, `[errors]`, response and pagination).

use std::sync::Arc;
use std::time::Duration;

use patchbay_runtime::{
    Call, Connection, Connector, Instance, Options, Runtime, StoreFuture, StoreLease, StoredToken,
    TokenStore,
};
use patchbay_schema::SourceFile;
use serde_json::Value;

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

/// A connection of `connector` with auth `method` and these values, with
/// short backoffs.
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
    Connection::new(&Runtime::new(options).unwrap(), connector, instance)
        .unwrap_or_else(|e| panic!("connection: {e}"))
}

/// [`connection`] through a token method (OAuth) as after a login: the
/// store holds `access_token` (valid until 2033) with these captured
/// fields.
pub(crate) fn logged_in(
    connector: &Connector,
    method: &str,
    values: Value,
    access_token: &str,
    captures: Value,
) -> Connection {
    let Value::Object(captures) = captures else {
        panic!("captures must be an object")
    };
    let token = StoredToken {
        access_token: access_token.to_owned(),
        refresh_token: Some("refresh".to_owned()),
        token_type: Some("Bearer".to_owned()),
        expires_at: Some(2_000_000_000),
        expires_at_millis: None,
        lifetime: Some(3600),
        scope: None,
        captures: captures.into_iter().collect(),
        discovered: Default::default(),
        candidates: Vec::new(),
    };
    connection(connector, method, values).with_store(Arc::new(LoggedIn(token)), "fixture/instance")
}

/// A token store that always holds one valid token.
#[derive(Debug)]
struct LoggedIn(StoredToken);

/// Its lease, which changes nothing.
struct Unlocked;

impl StoreLease for Unlocked {
    fn save<'a>(&'a self, _: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn delete(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

impl TokenStore for LoggedIn {
    fn load<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async { Ok(Some(self.0.clone())) })
    }
    fn lock<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Box<dyn StoreLease>> {
        Box::pin(async { Ok(Box::new(Unlocked) as Box<dyn StoreLease>) })
    }
}

/// A call with one endpoint variable.
pub(crate) fn call_with(key: &str, value: &str) -> Call {
    Call {
        variables: [(key.to_owned(), Value::String(value.to_owned()))].into(),
        payload: None,
        files: Default::default(),
    }
}

/// Every record of an endpoint's pages, and the number of pages.
pub(crate) async fn read_all(
    connection: &Connection,
    endpoint: &str,
    call: Call,
) -> (Vec<Value>, usize) {
    let mut pages = connection.pages(endpoint, call).unwrap();
    let mut records = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        records.extend(
            page.unwrap_or_else(|e| panic!("page {}: {e}", count + 1))
                .records,
        );
        count += 1;
        assert!(count < 100, "pagination does not stop");
    }
    (records, count)
}

/// The `id` of each record.
pub(crate) fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|record| record["id"].as_str().unwrap().to_owned())
        .collect()
}
