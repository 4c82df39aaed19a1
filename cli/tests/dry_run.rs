//! `patchbay run --dry-run` for every instance in fixtures/instances: the
//! rendered requests of the connector's test endpoint, as snapshots, with
//! the secrets (sentinels from the environment) redacted.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;
use std::process::Command;

#[path = "common/encodings.rs"]
mod encodings;

use encodings::{basic_credentials, encodings};

/// Every secret the instance fixtures read from the environment, each with
/// characters that some encoding changes: `"`, `\`, `+`, space, `%`, `:`
/// and non-ASCII; one too short to search for in free text.
const SECRETS: &[(&str, &str)] = &[
    ("SHOPWARE_CLIENT_SECRET", "shop\"ware SENTINEL+a1"),
    ("KLAVIYO_PRIVATE_KEY", "k\\%"),
    ("TWILIO_API_KEY_SECRET", "twilio:SENTINEL é c3"),
    ("GRAPH_CLIENT_SECRET", "graph+SENTINEL\"d4ü"),
    ("NETSUITE_CLIENT_SECRET", "netsuite%20SENTINEL:e5"),
    ("ASANA_TOKEN", "asana/SENTINEL\"f6 ö"),
    ("AIRTABLE_TOKEN", "pat+SENTINEL\\g7%"),
];

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
        let client_id = instance
            .get("values")
            .and_then(|values| values.get("client_id"))
            .and_then(toml::Value::as_str);
        for (_, secret) in SECRETS {
            let basic = client_id.map(|id| basic_credentials(id, secret));
            for form in encodings(secret)
                .into_iter()
                .chain(basic.into_iter().flatten())
            {
                assert!(
                    !shown.contains(&form) && !errors.contains(&form),
                    "a secret was printed as `{form}`:\n{shown}\n{errors}"
                );
            }
        }
        insta::assert_snapshot!(shown);
    });
}
