//! `patchbay run --dry-run` for every instance in fixtures/instances: the
//! rendered requests of the connector's test endpoint, as snapshots, with
//! the secrets (sentinels from the environment) redacted.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;
use std::process::Command;

/// Every secret the instance fixtures read from the environment, each with
/// characters that some encoding changes: `"`, `\\`, `+`, space, `%`, `:`
/// and non-ASCII.
const SECRETS: &[(&str, &str)] = &[
    ("SHOPWARE_CLIENT_SECRET", "shop\"ware SENTINEL+a1"),
    ("KLAVIYO_PRIVATE_KEY", "pk_klaviyo\\SENTINEL%b2"),
    ("TWILIO_API_KEY_SECRET", "twilio:SENTINEL é c3"),
    ("GRAPH_CLIENT_SECRET", "graph+SENTINEL\"d4ü"),
    ("NETSUITE_CLIENT_SECRET", "netsuite%20SENTINEL:e5"),
];

/// Every form a secret takes in what patchbay writes: as given,
/// form-encoded, percent-encoded and JSON-escaped.
fn encodings(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    vec![
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        secret
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect(),
        json[1..json.len() - 1].to_owned(),
    ]
}

#[test]
fn dry_runs_of_every_instance_fixture() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    insta::glob!("../../fixtures/instances", "*.toml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let instance: toml::Table = toml::from_str(&text).unwrap();
        let connector = instance["connector"].as_str().unwrap();
        let spec_path = format!("fixtures/connectors/{connector}.toml");
        let spec: toml::Table =
            toml::from_str(&std::fs::read_to_string(workspace.join(&spec_path)).unwrap()).unwrap();
        let endpoint = spec["connector"]["test"].as_str().unwrap();
        let instance_path = format!(
            "fixtures/instances/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let output = Command::new(env!("CARGO_BIN_EXE_patchbay"))
            .args([
                "run",
                &spec_path,
                "--instance",
                &instance_path,
                "--endpoint",
                endpoint,
                "--dry-run",
            ])
            .current_dir(&workspace)
            .envs(SECRETS.iter().copied())
            .output()
            .unwrap();
        let shown = String::from_utf8(output.stdout).unwrap();
        let errors = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for (_, secret) in SECRETS {
            for form in encodings(secret) {
                assert!(
                    !shown.contains(&form) && !errors.contains(&form),
                    "a secret was printed as `{form}`:\n{shown}\n{errors}"
                );
            }
        }
        insta::assert_snapshot!(shown);
    });
}
