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
    ("LINEAR_API_KEY", "lin_api_SENTINEL&f6\u{2603}"),
    ("CALENDLY_CLIENT_SECRET", "calendly SENTINEL/f6+"),
    // The key's pattern allows letters, digits, `_` and `-` only.
    ("SENDGRID_API_KEY", "SG.SENTINEL_sg-f6.key_SENTINEL-g7"),
    ("NOTION_TOKEN", "ntn_SENTINEL \"h8\\ü"),
    ("INTERCOM_ACCESS_TOKEN", "dG9r+SENTINEL/i9=:%"),
    ("ZENDESK_API_TOKEN", "zendesk/SENTINEL \"f6"),
    ("MAGENTO_ADMIN_PASSWORD", "magento+SENTINEL\\g7ä"),
    ("ASANA_TOKEN", "asana/SENTINEL\"f6 ö"),
    ("AIRTABLE_TOKEN", "pat+SENTINEL\\g7%"),
    // OAuth 1.0a: the consumer secret, the token and its secret.
    ("NETSUITE_CONSUMER_SECRET", "ns-consumer SENTINEL&=h9"),
    ("NETSUITE_TOKEN_ID", "ns-token+SENTINEL\"i0"),
    ("NETSUITE_TOKEN_SECRET", "ns-token-secret%SENTINEL/j1 é"),
    ("MAGENTO_CONSUMER_SECRET", "mg-consumer SENTINEL:k2"),
    ("MAGENTO_ACCESS_TOKEN", "mg-token+SENTINEL&l3"),
    (
        "MAGENTO_ACCESS_TOKEN_SECRET",
        "mg-token-secret\\SENTINEL m4ü",
    ),
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

/// `--file NAME=PATH` fills a multipart file part: the dry run names the
/// file and its size, never its bytes, and the file's own name is the
/// filename.
#[test]
fn a_file_part_is_shown_by_name_and_size() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let folder = std::env::temp_dir().join(format!("patchbay-dry-run-file-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("notes é.bin");
    std::fs::write(&file, b"\x00\xffSECRET-BYTES").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args([
            "run",
            "fixtures/connectors/asana.toml",
            "--instance",
            "fixtures/instances/asana.toml",
            "--endpoint",
            "attach_file",
            "--var",
            "task=1337",
            "--file",
            &format!("file={}", file.display()),
            "--dry-run",
        ])
        .current_dir(&workspace)
        .envs(SECRETS.iter().copied())
        .output()
        .unwrap();
    std::fs::remove_dir_all(&folder).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown = String::from_utf8(output.stdout).unwrap();
    assert!(!shown.contains("SECRET-BYTES"), "{shown}");
    insta::assert_snapshot!(shown, @r"
    # endpoint `attach_file`
    curl -X POST 'https://app.asana.com/api/1.0/attachments' \
      -H 'Authorization: Bearer ********' \
      -F 'parent=1337' \
      -F 'file=@notes é.bin;type=application/octet-stream (14 bytes)'
    ");
}

#[test]
fn a_file_for_no_part_is_refused() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args([
            "run",
            "fixtures/connectors/asana.toml",
            "--instance",
            "fixtures/instances/asana.toml",
            "--endpoint",
            "get_me",
            "--file",
            "file=Cargo.toml",
            "--dry-run",
        ])
        .current_dir(&workspace)
        .envs(SECRETS.iter().copied())
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(errors.contains("no file part"), "{errors}");
}
