//! What a service's monitoring sees: the `patchbay.call` and
//! `patchbay.token` spans with their fields, the metrics hook's records,
//! and never a secret in any of them (captured by a subscriber that
//! keeps every span field and event at every level).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{connector_with, fast, instance};
use patchbay_runtime::{
    Call, CallRecord, Connection, Error, Metrics, RateLimit, Runtime, TokenRecord,
};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_SECRET: &str = "sentinel-client-secret-61d0";
const ACCESS_TOKEN: &str = "sentinel-access-token-a7e4";

/// A span as the subscriber saw it.
#[derive(Debug, Clone)]
struct CapturedSpan {
    name: &'static str,
    parent: Option<u64>,
    fields: HashMap<&'static str, String>,
}

/// Keeps every span with its fields (recorded later ones included) and
/// every event, whatever its level.
#[derive(Debug, Default)]
struct Capture {
    next_id: AtomicU64,
    spans: Mutex<HashMap<u64, CapturedSpan>>,
    events: Mutex<Vec<HashMap<&'static str, String>>>,
    entered: Mutex<Vec<u64>>,
}

struct Fields<'a>(&'a mut HashMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }
}

/// The subscriber: a handle on the capture the test reads.
struct Sink(Arc<Capture>);

impl Subscriber for Sink {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.0.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let mut fields = HashMap::new();
        attributes.record(&mut Fields(&mut fields));
        let parent = match attributes.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if attributes.is_contextual() => self.0.entered.lock().unwrap().last().copied(),
            None => None,
        };
        let span = CapturedSpan {
            name: attributes.metadata().name(),
            parent,
            fields,
        };
        self.0.spans.lock().unwrap().insert(id, span);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(span) = self.0.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut span.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.events.lock().unwrap().push(fields);
    }

    fn enter(&self, span: &Id) {
        self.0.entered.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        self.0.entered.lock().unwrap().pop();
    }
}

/// What the metrics hook was told, as text (the records borrow).
#[derive(Debug, Default)]
struct Recorded {
    calls: Mutex<Vec<String>>,
    tokens: Mutex<Vec<String>>,
    waits: Mutex<Vec<(String, Duration)>>,
}

impl Metrics for Recorded {
    fn call(&self, record: &CallRecord<'_>) {
        self.calls.lock().unwrap().push(format!(
            "{} {} {} {:?} {:?}",
            record.connector, record.method, record.endpoint, record.status, record.error
        ));
        assert!(record.latency > Duration::ZERO);
        // Every field, as a careless service would log them.
        self.calls.lock().unwrap().push(format!("{record:?}"));
    }

    fn token(&self, record: &TokenRecord<'_>) {
        self.tokens.lock().unwrap().push(format!(
            "{} {} {} {:?} {:?}",
            record.connector,
            record.method,
            record.grant.as_str(),
            record.status,
            record.error
        ));
        self.tokens.lock().unwrap().push(format!("{record:?}"));
    }

    fn rate_limited(&self, limit: &RateLimit, waited: Duration) {
        self.waits
            .lock()
            .unwrap()
            .push((limit.key().to_owned(), waited));
    }
}

const SPEC: &str = r#"
[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"

[endpoints.gone]
method = "GET"
url = "{{ base }}/gone"
"#;

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    // A server that echoes the credentials in its error.
    Mock::given(method("GET"))
        .and(path("/gone"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_string(format!("no such thing for {CLIENT_SECRET} {ACCESS_TOKEN}")),
        )
        .mount(&server)
        .await;
    server
}

fn connection(server: &MockServer, metrics: Arc<Recorded>) -> Connection {
    // 2 per second: the token request goes at once, each call waits half
    // a second for its slot (however slow the machine).
    let connector = connector_with(r#"rate_limit = { requests = 2, per = "second" }"#, SPEC);
    let given = json!({ "client_id": "observed", "client_secret": CLIENT_SECRET, "scope": "" });
    let instance = instance(&connector, &server.uri(), given).unwrap();
    let runtime = Runtime::new(fast()).unwrap().with_metrics(metrics);
    Connection::new(&runtime, &connector, instance).unwrap()
}

#[tokio::test]
async fn calls_and_token_requests_are_traced_and_counted_without_secrets() {
    let server = server().await;
    let metrics = Arc::new(Recorded::default());
    let connection = connection(&server, Arc::clone(&metrics));
    let capture = Arc::new(Capture::default());
    let _default = tracing::subscriber::set_default(Sink(Arc::clone(&capture)));

    connection.call("orders", &Call::default()).await.unwrap();
    let error = connection.call("gone", &Call::default()).await.unwrap_err();
    assert!(
        matches!(error, Error::Status { status: 404, .. }),
        "{error}"
    );

    let spans = capture.spans.lock().unwrap().clone();
    let named = |name: &str| -> Vec<(u64, CapturedSpan)> {
        let mut found: Vec<_> = spans
            .iter()
            .filter(|(_, span)| span.name == name)
            .map(|(id, span)| (*id, span.clone()))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        found
    };
    let calls = named("patchbay.call");
    assert_eq!(calls.len(), 2, "{spans:#?}");
    let (first_call, orders) = &calls[0];
    let field = |span: &CapturedSpan, name: &str| span.fields.get(name).cloned();
    assert_eq!(field(orders, "connector").as_deref(), Some("t"));
    assert_eq!(field(orders, "method").as_deref(), Some("cc"));
    assert_eq!(field(orders, "endpoint").as_deref(), Some("orders"));
    assert_eq!(field(orders, "status").as_deref(), Some("200"));
    assert_eq!(field(orders, "error"), None);
    let latency: f64 = field(orders, "latency_ms").unwrap().parse().unwrap();
    assert!(latency > 0.0, "{latency}");
    let gone = &calls[1].1;
    assert_eq!(field(gone, "endpoint").as_deref(), Some("gone"));
    assert_eq!(field(gone, "status").as_deref(), Some("404"));
    assert_eq!(field(gone, "error").as_deref(), Some("status"));
    // The second call waited for the connector's limit (its slot is
    // 500 ms after the first call's).
    let waited: f64 = field(gone, "latency_ms").unwrap().parse().unwrap();
    assert!(waited >= 250.0, "{waited}");

    // One token request, inside the first call's span.
    let tokens = named("patchbay.token");
    assert_eq!(tokens.len(), 1, "{spans:#?}");
    let token = &tokens[0].1;
    assert_eq!(token.parent, Some(*first_call));
    assert_eq!(field(token, "connector").as_deref(), Some("t"));
    assert_eq!(field(token, "method").as_deref(), Some("cc"));
    assert_eq!(field(token, "grant").as_deref(), Some("request"));
    assert_eq!(field(token, "status").as_deref(), Some("200"));
    assert!(field(token, "latency_ms").is_some());

    assert_eq!(
        *metrics.tokens.lock().unwrap().first().unwrap(),
        "t cc request Some(200) None"
    );
    let calls = metrics.calls.lock().unwrap().clone();
    assert_eq!(calls[0], "t cc orders Some(200) None");
    assert_eq!(calls[2], "t cc gone Some(404) Some(\"status\")");
    let waits = metrics.waits.lock().unwrap().clone();
    assert!(
        waits
            .iter()
            .any(|(key, waited)| key == "connection:connector"
                && *waited >= Duration::from_millis(250)),
        "{waits:?}"
    );

    // Nothing anyone sees holds a secret.
    let mut seen: Vec<String> = spans
        .values()
        .flat_map(|span| span.fields.values().cloned())
        .collect();
    let events = capture.events.lock().unwrap().clone();
    assert!(
        !events.is_empty(),
        "the runtime's debug events were captured"
    );
    seen.extend(events.iter().flat_map(|event| event.values().cloned()));
    seen.extend(calls);
    seen.extend(metrics.tokens.lock().unwrap().iter().cloned());
    for text in &seen {
        for secret in [CLIENT_SECRET, ACCESS_TOKEN] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

const CODE: &str = "sentinel-authorization-code-0c3b";
const REFRESH_TOKEN: &str = "sentinel-refresh-token-e95d";

#[tokio::test]
async fn a_login_exchange_is_a_token_request_of_its_own() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN,
            "token_type": "bearer", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    let connector = connector_with(
        "",
        r#"
[auth.code]
type = "oauth2_authorization_code"
use = ["base"]
authorize_url = "{{ base }}/authorize"
token_url = "{{ base }}/token"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#,
    );
    let given = json!({ "client_id": "observed", "client_secret": CLIENT_SECRET, "scope": "" });
    let instance = instance(&connector, &server.uri(), given).unwrap();
    let metrics = Arc::new(Recorded::default());
    let runtime = Runtime::new(fast()).unwrap().with_metrics(metrics.clone());
    let connection = Connection::new(&runtime, &connector, instance).unwrap();
    let capture = Arc::new(Capture::default());
    let _default = tracing::subscriber::set_default(Sink(Arc::clone(&capture)));

    let (_, pending) = connection
        .start_login("http://127.0.0.1:8765/callback")
        .unwrap();
    let state: String = url::form_urlencoded::byte_serialize(pending.state.as_bytes()).collect();
    connection
        .complete_login(pending, &format!("code={CODE}&state={state}"))
        .await
        .unwrap();

    let spans = capture.spans.lock().unwrap().clone();
    let tokens: Vec<_> = spans
        .values()
        .filter(|span| span.name == "patchbay.token")
        .collect();
    assert_eq!(tokens.len(), 1, "{spans:#?}");
    let fields = &tokens[0].fields;
    assert_eq!(fields.get("grant").map(String::as_str), Some("login"));
    assert_eq!(fields.get("method").map(String::as_str), Some("code"));
    assert_eq!(fields.get("status").map(String::as_str), Some("200"));
    let recorded = metrics.tokens.lock().unwrap().clone();
    assert_eq!(recorded[0], "t code login Some(200) None");

    let mut seen: Vec<String> = spans
        .values()
        .flat_map(|span| span.fields.values().cloned())
        .collect();
    seen.extend(
        capture
            .events
            .lock()
            .unwrap()
            .iter()
            .flat_map(|event| event.values().cloned()),
    );
    seen.extend(recorded);
    for text in &seen {
        for secret in [CLIENT_SECRET, ACCESS_TOKEN, CODE, REFRESH_TOKEN] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
