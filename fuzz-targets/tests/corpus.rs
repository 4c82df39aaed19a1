//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! same functions the fuzz targets call, on stable: what the fuzzer once
//! found interesting stays free of panics without a fuzzer.

use std::path::{Path, PathBuf};

use patchbay_compiler::plan::InputSource;
use patchbay_fuzz_targets::{TARGETS, plans};
use patchbay_schema::VariableType;
use serde_json::{Value, json};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// Every input of a target's corpus, in name order.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, data)
        })
        .collect()
}

fn replay(target: &str) {
    let (_, run) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a known target");
    let inputs = inputs(target);
    // An empty or missing corpus would pass without testing anything.
    assert!(
        inputs.len() >= 10,
        "fuzz/corpus/{target} has {} inputs; seed it as docs/fuzzing.md says",
        inputs.len()
    );
    for (path, data) in inputs {
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(
            outcome.is_ok(),
            "{target} panics on {}: reproduce with `cargo +nightly fuzz run {target} {}`",
            path.display(),
            path.display()
        );
    }
}

#[test]
fn spec_corpus_replays() {
    replay("spec");
}

#[test]
fn instance_corpus_replays() {
    replay("instance");
}

#[test]
fn token_response_corpus_replays() {
    replay("token_response");
}

/// Every target named in `fuzz/Cargo.toml` has a function here and a
/// corpus, and the other way round.
#[test]
fn targets_match_the_fuzz_crate() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/Cargo.toml"))
            .expect("fuzz/Cargo.toml");
    let mut in_manifest: Vec<&str> = manifest
        .lines()
        .filter_map(|line| line.strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .filter(|name| *name != "patchbay-fuzz")
        .collect();
    in_manifest.sort_unstable();
    let mut here: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
    here.sort_unstable();
    assert_eq!(in_manifest, here);
}

/// A value of an input's type that its checks accept where they can be
/// met without knowing the API: its placeholder, first option or default.
fn sample(kind: VariableType, placeholder: Option<&str>, options: Option<&[String]>) -> Value {
    if let Some(first) = options.and_then(|o| o.first()) {
        return json!(first);
    }
    if let Some(placeholder) = placeholder {
        return json!(placeholder);
    }
    match kind {
        VariableType::Url => json!("https://api.example.com"),
        VariableType::Integer => json!(42),
        VariableType::Number => json!(1.5),
        VariableType::Boolean => json!(true),
        VariableType::Secret => json!("s3cr3t-value"),
        _ => json!("value"),
    }
}

/// Writes an instance seed for every method of every fixture connector,
/// with call values for its endpoints, into `$SEED_DIR` (how
/// `fuzz/corpus/instance` was seeded; docs/fuzzing.md).
#[test]
#[ignore = "writes seed files; run by hand with SEED_DIR set"]
fn write_instance_seeds() {
    let dir = PathBuf::from(std::env::var("SEED_DIR").expect("SEED_DIR"));
    std::fs::create_dir_all(&dir).expect("SEED_DIR is writable");
    for plan in plans() {
        for (key, method) in &plan.methods {
            let mut text = format!(
                "connector = {}\nauth = {}\n\n[values]\n",
                json!(plan.connector.id),
                json!(key)
            );
            for input in method
                .inputs
                .iter()
                .filter(|i| !matches!(i.provenance, InputSource::Runtime | InputSource::Endpoint))
                .filter(|i| i.required || i.default.is_none())
            {
                let value = sample(
                    input.kind,
                    input.placeholder.as_deref(),
                    input.options.as_deref(),
                );
                text.push_str(&format!("{} = {value}\n", input.key));
            }
            let mut call = serde_json::Map::new();
            for endpoint in method.endpoints.values() {
                for input in &endpoint.variables {
                    call.entry(input.key.clone()).or_insert_with(|| {
                        sample(
                            input.kind,
                            input.placeholder.as_deref(),
                            input.options.as_deref(),
                        )
                    });
                }
            }
            call.insert("payload".to_owned(), json!({ "name": "a name", "n": 1 }));
            text.push_str(&format!("---\n{}\n", Value::Object(call)));
            let name = format!("seed-{}-{key}", plan.connector.id);
            std::fs::write(dir.join(name), text).expect("a seed is written");
        }
    }
}
