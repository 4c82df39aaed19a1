//! Binding instances: errors that name the key, and values read from the
//! environment and from files, sent where the spec says.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::path::PathBuf;

use common::{assert_no_secrets, basic, connector, expect_err, fast, header, instance, received};
use patchbay_runtime::{Call, Connection, Error, Instance, InstanceFile, Runtime};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SPEC: &str = r#"
[variables.page_size]
type = "integer"
default = 100

[variables.store_code]
pattern = "^[a-z][a-z0-9_]*$"
default = "default"

[variables.region]
type = "enum"
options = ["eu", "us"]
default = "eu"

[auth.login]
type = "basic"

[auth.login.variables.password]
pattern = "^[^ ]+$"

[endpoints.orders]
method = "GET"
url = "{{ base }}/{{ region }}/{{ store_code }}/orders"
query = { limit = "{{ page_size }}" }
"#;

const PASSWORD: &str = "pw-top-secret";

fn error_for(given: serde_json::Value) -> Error {
    let connector = connector(SPEC);
    expect_err(instance(&connector, "https://shop.example.com", given))
}

fn key_of(error: &Error) -> &str {
    match error {
        Error::Instance { key, .. } => key,
        other => panic!("expected Error::Instance, got {other:?}"),
    }
}

#[test]
fn a_missing_required_value_is_named() {
    let error = error_for(json!({ "password": PASSWORD }));
    assert_eq!(key_of(&error), "username");
    let text = error.to_string();
    assert!(
        text.contains("`username`") && text.contains("missing"),
        "{text}"
    );
    assert_no_secrets(&error, &[PASSWORD]);
}

#[test]
fn an_unknown_key_is_named_with_a_suggestion() {
    let error = error_for(json!({ "username": "ann", "password": PASSWORD, "pasword": "x" }));
    assert_eq!(key_of(&error), "pasword");
    let text = error.to_string();
    assert!(text.contains("did you mean `password`?"), "{text}");
    assert!(text.contains("`login`"), "{text}");
}

#[test]
fn an_unknown_key_without_a_near_match_lists_the_inputs() {
    let error = error_for(json!({ "username": "ann", "password": PASSWORD, "zzzzzz": "x" }));
    assert_eq!(key_of(&error), "zzzzzz");
    let text = error.to_string();
    assert!(
        text.contains("username") && text.contains("page_size"),
        "{text}"
    );
}

#[test]
fn a_type_mismatch_is_named() {
    let error = error_for(json!({ "username": "ann", "password": PASSWORD, "page_size": "100" }));
    assert_eq!(key_of(&error), "page_size");
    assert!(error.to_string().contains("must be an integer"), "{error}");
    let error = error_for(json!({ "username": 7, "password": PASSWORD }));
    assert_eq!(key_of(&error), "username");
    assert!(error.to_string().contains("must be a string"), "{error}");
    let error = error_for(json!({ "username": "ann", "password": PASSWORD, "region": "mars" }));
    assert_eq!(key_of(&error), "region");
    assert!(error.to_string().contains("eu, us"), "{error}");
}

#[test]
fn a_pattern_failure_is_named() {
    let error =
        error_for(json!({ "username": "ann", "password": PASSWORD, "store_code": "Main Store" }));
    assert_eq!(key_of(&error), "store_code");
    let text = error.to_string();
    assert!(
        text.contains("`Main Store`") && text.contains("^[a-z][a-z0-9_]*$"),
        "{text}"
    );
}

#[test]
fn a_secret_failing_its_pattern_is_not_quoted() {
    let secret = "has a space";
    let error = error_for(json!({ "username": "ann", "password": secret }));
    assert_eq!(key_of(&error), "password");
    assert!(error.to_string().contains("pattern"), "{error}");
    assert_no_secrets(&error, &[secret]);
}

#[test]
fn a_bad_url_value_is_named() {
    let connector = connector(SPEC);
    let error = expect_err(instance(
        &connector,
        "ftp://shop.example.com",
        json!({ "username": "a", "password": PASSWORD }),
    ));
    assert_eq!(key_of(&error), "base");
}

#[test]
fn debug_output_redacts_secrets() {
    let connector = connector(SPEC);
    let bound = instance(
        &connector,
        "https://shop.example.com",
        json!({ "username": "ann", "password": PASSWORD }),
    )
    .unwrap();
    let debug = format!("{bound:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(debug.contains("ann"), "{debug}");
    let file = InstanceFile::parse(
        "i.toml",
        &format!("connector = \"t\"\nauth = \"login\"\n[values]\npassword = \"{PASSWORD}\"\n"),
    )
    .unwrap();
    assert!(!format!("{file:?}").contains(PASSWORD), "{file:?}");
}

/// A fresh folder under the system temp folder.
fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "patchbay-runtime-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn env_and_file_values_are_bound_and_sent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/us/main/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let dir = temp_dir("bind");
    std::fs::write(dir.join("password.txt"), format!("{PASSWORD}\n")).unwrap();
    let text = format!(
        r#"connector = "t"
auth = "login"

[values]
base = "{}"
username = {{ env = "TEST_SHOP_USER" }}
password = {{ file = "password.txt" }}
store_code = "main"
region = "us"
page_size = 25
"#,
        server.uri()
    );
    let file = InstanceFile::parse("shop.instance.toml", &text).unwrap();
    let connector = connector(SPEC);
    let env = |name: &str| (name == "TEST_SHOP_USER").then(|| "ann".to_owned());
    let bound = Instance::bind(connector.plan(), &file, &dir, &env).unwrap();
    assert_eq!(bound.method(), "login");
    assert_eq!(bound.values()["password"], json!(PASSWORD));
    let connection = Connection::new(&Runtime::new(fast()).unwrap(), &connector, bound).unwrap();
    connection.call("orders", &Call::default()).await.unwrap();
    let requests = received(&server).await;
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(basic(&format!("ann:{PASSWORD}")).as_str())
    );
    assert_eq!(requests[0].url.query(), Some("limit=25"));
    server.verify().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_json_instance_file_binds_too() {
    let text = r#"{ "connector": "t", "auth": "login", "values": { "base": "https://shop.example.com", "username": "ann", "password": { "env": "PW" } } }"#;
    let file = InstanceFile::parse("shop.instance.json", text).unwrap();
    let connector = connector(SPEC);
    let bound = Instance::bind(connector.plan(), &file, ".".as_ref(), &|name| {
        (name == "PW").then(|| PASSWORD.to_owned())
    })
    .unwrap();
    assert_eq!(bound.values()["username"], json!("ann"));
    // Defaults fill what the file leaves out.
    assert_eq!(bound.values()["page_size"], json!(100));
}

#[test]
fn a_missing_environment_variable_is_named() {
    let text = "connector = \"t\"\nauth = \"login\"\n[values]\nbase = \"https://shop.example.com\"\nusername = \"ann\"\npassword = { env = \"NOT_SET_ANYWHERE\" }\n";
    let file = InstanceFile::parse("i.toml", text).unwrap();
    let connector = connector(SPEC);
    let error = expect_err(Instance::bind(
        connector.plan(),
        &file,
        ".".as_ref(),
        &|_| None,
    ));
    assert_eq!(key_of(&error), "password");
    assert!(error.to_string().contains("NOT_SET_ANYWHERE"), "{error}");
}

#[test]
fn a_missing_file_is_named() {
    let dir = temp_dir("missing");
    let text = "connector = \"t\"\nauth = \"login\"\n[values]\nbase = \"https://shop.example.com\"\nusername = \"ann\"\npassword = { file = \"nope.txt\" }\n";
    let file = InstanceFile::parse("i.toml", text).unwrap();
    let connector = connector(SPEC);
    let error = expect_err(Instance::bind(connector.plan(), &file, &dir, &|_| None));
    assert_eq!(key_of(&error), "password");
    assert!(error.to_string().contains("nope.txt"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_wrong_connector_or_method_is_an_error() {
    let connector = connector(SPEC);
    let file = InstanceFile::parse("i.toml", "connector = \"other\"\nauth = \"login\"\n").unwrap();
    let error = expect_err(Instance::bind(
        connector.plan(),
        &file,
        ".".as_ref(),
        &|_| None,
    ));
    assert!(matches!(error, Error::InstanceFile(_)), "{error:?}");
    assert!(error.to_string().contains("other"), "{error}");
    let file = InstanceFile::parse("i.toml", "connector = \"t\"\nauth = \"oauth\"\n").unwrap();
    let error = expect_err(Instance::bind(
        connector.plan(),
        &file,
        ".".as_ref(),
        &|_| None,
    ));
    assert!(
        matches!(&error, Error::NotFound(m) if m.contains("oauth") && m.contains("login")),
        "{error:?}"
    );
}

#[test]
fn a_malformed_instance_file_does_not_quote_its_secrets() {
    let text = format!(
        "connector = \"t\"\nauth = \"login\"\n[values]\npassword = \"{PASSWORD}\" trailing\n"
    );
    let error = expect_err(InstanceFile::parse("i.toml", &text));
    assert!(matches!(error, Error::InstanceFile(_)), "{error:?}");
    assert!(error.to_string().contains("line 4"), "{error}");
    assert_no_secrets(&error, &[PASSWORD]);
    let json_text = format!(
        r#"{{ "connector": "t", "auth": "login", "values": {{ "password": "{PASSWORD}" }}, }}"#
    );
    let error = expect_err(InstanceFile::parse("i.json", &json_text));
    assert_no_secrets(&error, &[PASSWORD]);
    let error = expect_err(InstanceFile::parse(
        "i.toml",
        "connector = \"t\"\nauth = \"login\"\nvalue = 1\n",
    ));
    assert!(error.to_string().contains("value"), "{error}");
}

#[test]
fn a_scope_list_is_joined_with_the_methods_separator() {
    let spec = r#"
format = 1
[connector]
id = "t"
name = "T"
version = "1.0.0"
[variables.base]
type = "url"
required = true
[auth.slack]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"
scope_separator = ","
[endpoints.e]
url = "{{ base }}/e"
"#;
    let plan = patchbay_compiler::compile_source(&patchbay_schema::SourceFile::new("t.toml", spec))
        .unwrap()
        .plan;
    let values: indexmap::IndexMap<String, serde_json::Value> = [
        ("base".to_owned(), serde_json::json!("https://x.example")),
        ("client_id".to_owned(), serde_json::json!("id")),
        ("client_secret".to_owned(), serde_json::json!("secret-1")),
        (
            "scope".to_owned(),
            serde_json::json!(["chat:write", "channels:read"]),
        ),
    ]
    .into();
    let instance =
        patchbay_runtime::Instance::from_values(&plan, "slack", &plan.methods["slack"], values)
            .unwrap();
    assert_eq!(instance.values()["scope"], "chat:write,channels:read");
}
