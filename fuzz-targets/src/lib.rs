//! The bodies of patchbay's fuzz targets. `fuzz/` (cargo-fuzz, nightly)
//! calls each function with generated inputs; `tests/corpus.rs` calls the
//! same functions with every committed input on stable, so CI replays the
//! corpus without a fuzzer. A target returns normally for any input it
//! rejects; a panic (or a broken invariant, which panics) is a finding.
//!
//! How to run a campaign: `docs/fuzzing.md`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use patchbay_compiler::plan::TokenResponsePlan;
use patchbay_compiler::{Plan, compile, compile_source};
use patchbay_runtime::internals::{issued_refresh_token, read_token_response};
use patchbay_runtime::{
    Call, Connection, Connector, Instance, InstanceFile, Options, Response, Runtime, Secret,
    ValueSource,
};
use patchbay_schema::{SourceFile, lint};
use serde_json::Value;

/// A fuzz target's body: returns for any input it rejects, panics on a
/// finding.
pub type Target = fn(&[u8]);

/// The fuzz targets by name: the name is the cargo-fuzz target and the
/// folder of its corpus under `fuzz/corpus/`.
pub const TARGETS: [(&str, Target); 3] = [
    ("spec", spec),
    ("instance", instance),
    ("token_response", token_response),
];

/// Spec parsing, lint and compile. The input is a spec, JSON when it
/// starts with `{`, TOML otherwise.
///
/// Invariants: lint never panics and places every diagnostic inside the
/// text; a spec that lints without errors
/// compiles, and its plan survives a round trip through JSON (services
/// read plans as JSON).
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = if text.trim_start().starts_with('{') {
        "fuzz.json"
    } else {
        "fuzz.toml"
    };
    let file = SourceFile::new(name, text);
    let report = lint(&file);
    for diagnostic in &report.diagnostics {
        // Reports slice the text by span: it must lie inside, on
        // character boundaries.
        let span = diagnostic.span;
        assert!(
            span.start <= span.end
                && span.end <= text.len()
                && text.is_char_boundary(span.start)
                && text.is_char_boundary(span.end),
            "{}: span {}..{} is not inside the {}-byte text",
            diagnostic.code,
            span.start,
            span.end,
            text.len()
        );
    }
    let Some(spec) = report.valid_spec() else {
        return;
    };
    let plan = match compile(spec) {
        Ok(plan) => plan,
        Err(errors) => panic!("a spec that lints clean does not compile: {errors:?}"),
    };
    let json = serde_json::to_value(&plan).expect("a plan serialises");
    let read: Plan = serde_json::from_value(json).expect("a plan reads back");
    assert_eq!(read, plan, "a plan changes through JSON");
    // Compiling builds every template the runtime will render.
    let _ = Connector::new(plan);
}

/// The connectors whose plans the instance and token-response targets use:
/// every connector of `fixtures/connectors/` and the tutorial's Taskpad,
/// compiled once, in name order.
pub fn plans() -> &'static [Plan] {
    static PLANS: OnceLock<Vec<Plan>> = OnceLock::new();
    PLANS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/connectors"))
            .expect("fixtures/connectors is readable")
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        files.push(root.join("docs/examples/taskpad/taskpad.toml"));
        files.sort();
        files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).expect("a fixture is readable");
                let file = SourceFile::new(path.display().to_string(), text);
                compile_source(&file)
                    .unwrap_or_else(|e| panic!("{} compiles: {e:?}", path.display()))
                    .plan
            })
            .collect()
    })
}

/// One runtime for every connection: building its HTTP client is the
/// costly part, and dry runs never send.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(Options::default()).expect("a runtime with defaults"))
}

/// Instance binding and rendering: an instance file (TOML), optionally
/// followed by a line `---` and a JSON object of call values (its
/// `payload` member is the payload, the others endpoint variables), dry
/// run against every endpoint of a fixture connector's plan. The plan is
/// the one the instance names, or, for an unknown name, one picked by the
/// name's length (so mutations of the name keep reaching plans); `{ env }`
/// values read the variable's own name, and `{ file }` values are skipped.
///
/// Invariants: binding, rendering and the curl form of each request never
/// panic.
pub fn instance(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (instance_text, call_text) = match text.split_once("\n---\n") {
        Some((instance, call)) => (instance, Some(call)),
        None => (text, None),
    };
    let Ok(mut file) = InstanceFile::parse("fuzz.toml", instance_text) else {
        return;
    };
    if file
        .values
        .values()
        .any(|source| matches!(source, ValueSource::File { .. }))
    {
        return;
    }
    let mut call = Call::default();
    if let Some(call_text) = call_text {
        let Ok(Value::Object(members)) = serde_json::from_str::<Value>(call_text) else {
            return;
        };
        for (key, value) in members {
            if key == "payload" {
                call.payload = Some(value);
            } else {
                call.variables.insert(key, value);
            }
        }
    }
    let plans = plans();
    let plan = plans
        .iter()
        .find(|plan| plan.connector.id == file.connector)
        .unwrap_or(&plans[file.connector.len() % plans.len()]);
    file.connector.clone_from(&plan.connector.id);
    let Ok(bound) = Instance::bind(plan, &file, Path::new("/nonexistent"), &|name| {
        Some(name.to_owned())
    }) else {
        return;
    };
    let connector = Connector::new(plan.clone());
    let Ok(connection) = Connection::new(runtime(), &connector, bound) else {
        return;
    };
    let redactor = connection.redactor();
    let Some(method) = plan.methods.get(&file.auth) else {
        return;
    };
    for endpoint in method.endpoints.keys() {
        let Ok(requests) = connection.dry_run(endpoint, &call) else {
            continue;
        };
        for request in requests {
            let _ = request.to_curl(&redactor);
        }
    }
}

/// The token-response plans of every fixture connector's methods, in
/// order.
fn token_plans() -> &'static [TokenResponsePlan] {
    static TOKEN_PLANS: OnceLock<Vec<TokenResponsePlan>> = OnceLock::new();
    TOKEN_PLANS.get_or_init(|| {
        plans()
            .iter()
            .flat_map(|plan| plan.methods.values())
            .filter_map(|method| method.token_response.clone())
            .collect()
    })
}

/// The statuses a token response is tried with (byte 1 of the input).
const STATUSES: [u16; 6] = [200, 201, 204, 400, 401, 500];

/// Token-response parsing: byte 0 picks the token-response plan (from the
/// fixture connectors' methods), byte 1 the HTTP status (low bits) and
/// whether a previous refresh token is held (high bit); the rest is the
/// body.
///
/// Invariants: reading never panics; a token read is non-empty, and its
/// expiry and metadata can be asked for.
pub fn token_response(data: &[u8]) {
    let [plan_byte, status_byte, body @ ..] = data else {
        return;
    };
    let plans = token_plans();
    let plan = &plans[usize::from(*plan_byte) % plans.len()];
    let status = STATUSES[usize::from(status_byte & 0x7f) % STATUSES.len()];
    let previous = (status_byte & 0x80 != 0).then(|| Secret::new("previous-refresh-token"));
    let response = Response::new(
        status,
        reqwest::header::HeaderMap::new(),
        url::Url::parse("https://auth.example.com/token").expect("a URL"),
        bytes::Bytes::copy_from_slice(body),
    );
    let _ = issued_refresh_token(&response, plan);
    if let Ok(token) = read_token_response("token request", &response, plan, previous.as_ref()) {
        assert!(!token.access_token.expose().is_empty(), "an empty token");
        let _ = token.is_fresh(std::time::Duration::from_secs(60));
        let _ = token.info();
    }
}
