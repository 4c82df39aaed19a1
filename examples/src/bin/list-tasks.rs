//! The shortest complete program on `patchbay-runtime`: compile the
//! Taskpad spec, connect one instance, read a task and list a project's
//! open tasks, page by page.
//!
//! ```console
//! $ TASKPAD_CLIENT_SECRET=cs_test_Zq81mLx0 cargo run -p patchbay-examples --bin list-tasks -- http://127.0.0.1:8765
//! ```
//!
//! The argument is the Taskpad base URL (the local `taskpad-server` by
//! default).

// An example program: what it prints is its interface.
#![allow(clippy::print_stdout)]

// ANCHOR: imports
use patchbay_runtime::{Call, Connection, Connector, Instance, Options, Runtime};
use patchbay_schema::SourceFile;
use serde_json::json;
// ANCHOR_END: imports

/// The tutorial's spec; a service would read its specs from disk or its
/// database.
const TASKPAD_SPEC: &str = include_str!("../../../docs/examples/taskpad/taskpad.toml");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8765".to_owned());
    let client_secret = std::env::var("TASKPAD_CLIENT_SECRET")
        .map_err(|_| "set TASKPAD_CLIENT_SECRET to the Taskpad client's secret")?;

    // ANCHOR: from_a_service
    // Once per connector: lint and compile the spec (or load a plan).
    let spec = SourceFile::new("taskpad.toml", TASKPAD_SPEC);
    let connector = Connector::new(patchbay_compiler::compile_source(&spec)?.plan);
    // Once per process: one HTTP client and connection pool. A service
    // whose instance values come from its users turns on the egress guard.
    let runtime = Runtime::new(Options::default())?;

    // Per instance: values from your store, checked like an instance file.
    let plan = connector.plan();
    let values = [
        ("url".to_owned(), json!(base_url)),
        ("client_id".to_owned(), json!("tp_client_7Hq2")),
        ("client_secret".to_owned(), json!(client_secret)),
    ];
    let method = &plan.methods["client_credentials"];
    let instance = Instance::from_values(plan, "client_credentials", method, values.into())?;
    let connection = Connection::new(&runtime, &connector, instance)?;

    let task = Call {
        variables: [("task_id".to_owned(), json!("tsk_1"))].into(),
        payload: None,
        files: Default::default(),
    };
    let response = connection.call("get_task", &task).await?; // a non-2xx answer is an Error
    println!("task tsk_1: {}", response.json()?["data"]["title"]);

    let project = Call {
        variables: [("project_id".to_owned(), json!("prj_1"))].into(),
        payload: None,
        files: Default::default(),
    };
    let mut pages = connection.pages("list_tasks", project)?;
    while let Some(page) = pages.next().await {
        for task in page?.records {
            println!("open in prj_1: {task}");
        }
    }
    // ANCHOR_END: from_a_service
    Ok(())
}
