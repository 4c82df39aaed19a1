//! An endpoint of a real fixture connector, as a test spec against a
//! local server: its `response` and `pagination` lines are copied from
//! `fixtures/connectors/<provider>.toml`, so the tests prove what the
//! fixture says, and its URL path is kept with the host replaced by the
//! server.

use std::path::Path;

/// The lines of `[endpoints.<endpoint>]` in the fixture whose keys are in
/// `keys`, in file order.
fn lines(provider: &str, endpoint: &str, keys: &[&str]) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/connectors")
        .join(format!("{provider}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let header = format!("[endpoints.{endpoint}]");
    let mut inside = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.starts_with('[') {
            inside = line == header;
            continue;
        }
        if inside
            && let Some((key, _)) = line.split_once(" = ")
            && keys.contains(&key)
        {
            found.push(line.to_owned());
        }
    }
    assert!(
        !found.is_empty(),
        "{endpoint} not found in {}",
        path.display()
    );
    found
}

/// A bearer-auth test spec with one endpoint `items` at
/// `{{ base }}<path>`, reading responses and pages as the fixture's
/// endpoint does, with `query` (a TOML inline table) and extra TOML.
pub(crate) fn spec(provider: &str, endpoint: &str, path: &str, query: &str, extra: &str) -> String {
    let copied = lines(provider, endpoint, &["response", "pagination"]).join("\n");
    format!(
        "[auth.t]\ntype = \"bearer\"\n\n[endpoints.items]\nmethod = \"GET\"\nurl = \"{{{{ base }}}}{path}\"\nquery = {query}\n{copied}\n{extra}"
    )
}
