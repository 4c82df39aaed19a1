//! A multi-tenant service in miniature, shaped as `docs/library.md`
//! teaches: connectors compiled at start-up, one `Runtime`, one
//! `Connection` per customer instance, calls and pages through it, dry runs
//! as redacted curl commands, and every error mapped to what the service
//! does about it.
//!
//! ```console
//! $ cargo run -p patchbay-examples --bin service -- http://127.0.0.1:8765 --allow-private-hosts
//! ```
//!
//! The argument is the Taskpad base URL every customer instance points at.
//! The egress guard is on unless `--allow-private-hosts` is given: the
//! local `taskpad-server` listens on loopback, which the guard refuses.

// An example program: what it prints is its interface.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod store;

// ANCHOR: imports
use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::sync::Arc;

use indexmap::IndexMap;
use patchbay_compiler::{Compiled, Diagnostics, compile_source};
use patchbay_runtime::{
    Call, Checkpoint, Connection, Connector, Error, Instance, Options, Runtime, TokenStore,
};
use patchbay_schema::SourceFile;
use serde_json::{Value, json};
// ANCHOR_END: imports

use store::MemoryTokenStore;

/// The specs the service offers, as its database would hand them over.
const TASKPAD_SPEC: &str = include_str!("../../../../docs/examples/taskpad/taskpad.toml");

/// The service's settings.
#[derive(Debug)]
struct Config {
    base_url: String,
    egress_guard: bool,
}

impl Config {
    fn from_args() -> Result<Self, String> {
        let mut base_url = None;
        let mut egress_guard = true;
        for arg in std::env::args().skip(1) {
            match arg.as_str() {
                "--allow-private-hosts" => egress_guard = false,
                flag if flag.starts_with("--") => return Err(format!("unknown flag `{flag}`")),
                url if base_url.is_none() => base_url = Some(url.to_owned()),
                extra => return Err(format!("unexpected argument `{extra}`")),
            }
        }
        Ok(Config {
            base_url: base_url.unwrap_or_else(|| "http://127.0.0.1:8765".to_owned()),
            egress_guard,
        })
    }
}

/// A customer's instance as the service's database holds it, secrets
/// already decrypted.
#[derive(Debug)]
struct InstanceRow {
    id: u32,
    customer: &'static str,
    connector_id: &'static str,
    auth_method: &'static str,
    values: Vec<(&'static str, Value)>,
}

/// The customers of this demo: one per outcome worth showing.
fn instance_rows(base_url: &str) -> Vec<InstanceRow> {
    let row = |id, customer, auth_method, values| InstanceRow {
        id,
        customer,
        connector_id: "taskpad",
        auth_method,
        values,
    };
    vec![
        row(
            1,
            "acme",
            "client_credentials",
            vec![
                ("url", json!(base_url)),
                ("client_id", json!("tp_client_7Hq2")),
                ("client_secret", json!("cs_test_Zq81mLx0")),
            ],
        ),
        row(
            2,
            "initech",
            "api_key",
            vec![
                ("url", json!(base_url)),
                ("api_key", json!("tpk_test_4f9a2c7e81")),
            ],
        ),
        row(
            3,
            "globex",
            "client_credentials",
            vec![
                ("url", json!(base_url)),
                ("client_id", json!("tp_client_7Hq2")),
                ("client_secret", json!("cs_revoked_0000")),
            ],
        ),
        row(
            4,
            "hooli",
            "api_key",
            vec![
                ("url", json!("taskpad.hooli.example")),
                ("api_key", json!("tpk_live_hooli")),
            ],
        ),
    ]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match Config::from_args() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}\nusage: service [BASE_URL] [--allow-private-hosts]");
            return ExitCode::from(2);
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let connectors = load_connectors(&[("taskpad.toml".to_owned(), TASKPAD_SPEC.to_owned())])?;

    // ANCHOR: runtime
    let runtime = Runtime::new(Options {
        egress_guard: config.egress_guard,
        ..Options::default()
    })?;
    // ANCHOR_END: runtime

    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::default());
    let mut connections = BTreeMap::new();
    for row in instance_rows(&config.base_url) {
        let customer = row.customer;
        match connect(&connectors, &runtime, &store, row) {
            Ok(connection) => {
                connections.insert(customer, connection);
            }
            Err(error) => println!("[{customer}] not connected: {}", handle(&error)),
        }
    }
    for (customer, connection) in &connections {
        serve(customer, connection).await;
    }
    Ok(())
}

// ANCHOR: load_connectors
/// Compiles every spec once, at start-up: connectors by id.
fn load_connectors(specs: &[(String, String)]) -> Result<HashMap<String, Connector>, Diagnostics> {
    let mut connectors = HashMap::new();
    for (name, text) in specs {
        // e.g. read from disk or your database
        let file = SourceFile::new(name.clone(), text.clone());
        let Compiled { plan, warnings } = compile_source(&file)?; // lint errors → Err(Diagnostics)
        for warning in &warnings {
            eprintln!("{name}: warning[{}]: {}", warning.code, warning.message);
        }
        connectors.insert(plan.connector.id.clone(), Connector::new(plan));
    }
    Ok(connectors)
}
// ANCHOR_END: load_connectors

/// Binds a row to its connector and connects it.
fn connect(
    connectors: &HashMap<String, Connector>,
    runtime: &Runtime,
    store: &Arc<dyn TokenStore>,
    row: InstanceRow,
) -> Result<Connection, Error> {
    let unknown = |what: String| Error::NotFound(format!("instance {}: {what}", row.id));
    // ANCHOR: instance
    let connector = connectors
        .get(row.connector_id)
        .ok_or_else(|| unknown(format!("no connector `{}`", row.connector_id)))?;
    let plan = connector.plan();
    let method = plan
        .methods
        .get(row.auth_method)
        .ok_or_else(|| unknown(format!("no auth method `{}`", row.auth_method)))?;
    let values: IndexMap<String, Value> = row
        .values
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
    let instance = Instance::from_values(plan, row.auth_method, method, values)?;
    // ANCHOR_END: instance

    // ANCHOR: connection
    let mut connection = Connection::new(runtime, connector, instance)?;
    if connection.has_login() {
        // Authorization-code tokens come from a user's login: keep them.
        let key = format!("{}/{}/{}", row.connector_id, row.auth_method, row.id);
        connection = connection.with_store(Arc::clone(store), key);
    }
    // ANCHOR_END: connection
    Ok(connection)
}

/// What the service does for one customer.
async fn serve(customer: &str, connection: &Connection) {
    let report = |what: &str, outcome: Result<String, Error>| match outcome {
        Ok(text) => println!("[{customer}] {what}: {text}"),
        Err(error) => println!("[{customer}] {what}: {}", handle(&error)),
    };
    report("connection test", test_connection(connection).await);
    report("get_task tsk_1", read_task(connection, "tsk_1").await);
    report("get_task 42", read_task(connection, "42").await);
    report("create_task", create_task(connection).await);
    report("all tasks of prj_1", all_tasks(connection).await);
    report("tasks of prj_1 changed", changed_tasks(connection).await);
    report("dry run", dry_run(connection).await);
    if connection.uses_tokens() {
        report("token", token_info(connection).await);
    }
}

async fn test_connection(connection: &Connection) -> Result<String, Error> {
    // ANCHOR: test_connection
    let plan = connection.connector_plan();
    let Some(test) = &plan.connector.test else {
        return Ok("the connector names no test endpoint".to_owned());
    };
    let response = connection.call(test, &Call::default()).await?;
    // ANCHOR_END: test_connection
    Ok(format!("`{test}` answered HTTP {}", response.status))
}

async fn read_task(connection: &Connection, task_id: &str) -> Result<String, Error> {
    // ANCHOR: call
    // One request. A non-2xx answer is an Error; the body comes back unchanged.
    let call = Call {
        variables: [("task_id".to_owned(), json!(task_id))].into(),
        payload: None,
        files: Default::default(),
    };
    let response = connection.call("get_task", &call).await?;
    // Also there: response.status, .headers, .url and the raw .body.
    let task: Value = response.json().map_err(|e| Error::Response {
        request: "get_task".to_owned(),
        message: format!("not JSON: {e}"),
    })?;
    // ANCHOR_END: call
    Ok(format!("{}", task["data"]["title"]))
}

async fn create_task(connection: &Connection) -> Result<String, Error> {
    // ANCHOR: send
    // A `send` endpoint: templates see the payload as `payload`.
    let call = Call {
        variables: [("project_id".to_owned(), json!("prj_2"))].into(),
        payload: Some(json!({ "title": "Order more coffee", "due_on": "2025-07-01" })),
        files: Default::default(),
    };
    let response = connection.call("create_task", &call).await?;
    // ANCHOR_END: send
    Ok(format!("HTTP {}", response.status))
}

async fn all_tasks(connection: &Connection) -> Result<String, Error> {
    // ANCHOR: pages
    // Every record, page by page, as the endpoint's pagination says.
    let call = Call {
        variables: [
            ("project_id".to_owned(), json!("prj_1")),
            ("status".to_owned(), json!("all")),
        ]
        .into(),
        payload: None,
        files: Default::default(),
    };
    let mut pages = connection.pages("list_tasks", call)?;
    let mut titles = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page?; // Page { records, response }
        for record in page.records {
            titles.push(record["title"].as_str().unwrap_or_default().to_owned());
        }
    }
    // ANCHOR_END: pages
    Ok(titles.join("; "))
}

/// An incremental read, run twice: the first run reads everything and
/// returns a checkpoint, the second reads only what changed since.
async fn changed_tasks(connection: &Connection) -> Result<String, Error> {
    let mut stored: Option<Checkpoint> = None; // a service keeps it in its database
    let mut counts = Vec::new();
    for _run in 0..2 {
        // ANCHOR: incremental
        let call = Call {
            variables: [("project_id".to_owned(), json!("prj_1"))].into(),
            payload: None,
            files: Default::default(),
        };
        // `None` on the first run; afterwards the checkpoint the last run returned.
        let mut pages = connection.pages_from("sync_tasks", call, stored.clone())?;
        let mut changed = 0;
        while let Some(page) = pages.next().await {
            // Handle records idempotently: a failed run's records come again.
            changed += page?.records.len();
        }
        // Every page was read: keep the checkpoint for the next run. After an
        // error it is `None`, and the stored one stays.
        if let Some(checkpoint) = pages.checkpoint() {
            stored = Some(checkpoint.clone());
        }
        // ANCHOR_END: incremental
        counts.push(changed);
    }
    let since = stored.map_or(Value::Null, |checkpoint| checkpoint.value);
    Ok(format!(
        "{} on the first run, {} on the next (since {since})",
        counts[0], counts[1]
    ))
}

async fn dry_run(connection: &Connection) -> Result<String, Error> {
    // ANCHOR: dry_run
    let call = Call {
        variables: [("project_id".to_owned(), json!("prj_1"))].into(),
        payload: None,
        files: Default::default(),
    };
    let requests = connection.dry_run("list_tasks", &call)?;
    let redactor = connection.redactor();
    let curls: Vec<String> = requests.iter().map(|r| r.to_curl(&redactor)).collect();
    // ANCHOR_END: dry_run
    Ok(format!("\n{}", curls.join("\n")))
}

async fn token_info(connection: &Connection) -> Result<String, Error> {
    // ANCHOR: token_info
    let info = connection.token().await?.info(); // never the token itself
    // ANCHOR_END: token_info
    Ok(format!(
        "{} for {} more seconds, scope `{}`",
        info.token_type.as_deref().unwrap_or("untyped"),
        info.expires_in
            .map_or("unknown".to_owned(), |s| s.to_string()),
        info.scope.as_deref().unwrap_or_default(),
    ))
}

// ANCHOR: errors
/// What the service does about a failure, in words for its log.
fn handle(error: &Error) -> String {
    match error {
        Error::Instance { key, message } => {
            format!("show on the instance form, field `{key}`: {message}")
        }
        Error::EndpointVariable { key, message } => {
            format!("the caller's data, `{key}`: {message}")
        }
        Error::LoginRequired { method, reason } => {
            format!("ask the customer to reconnect `{method}`: {reason}")
        }
        Error::OAuth {
            error, description, ..
        } => {
            format!(
                "credentials refused ({error}): {}",
                description.as_deref().unwrap_or("no description")
            )
        }
        Error::Status { status, body, .. } => {
            format!("API error HTTP {status}: {}", body.as_deref().unwrap_or(""))
        }
        Error::Transport { .. } | Error::Timeout { .. } | Error::RetriesExhausted { .. } => {
            format!("retry later: {error}")
        }
        Error::InsecureUrl { host } | Error::EgressBlocked { host, .. } => {
            format!("blocked host {host}")
        }
        Error::Callback(reason) => format!("start the login again: {reason}"),
        Error::NotFound(what) => format!("not offered: {what}"),
        other => format!("internal error: {other}"),
    }
}
// ANCHOR_END: errors
