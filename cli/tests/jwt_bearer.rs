//! `patchbay run` and `patchbay auth token` with the JWT bearer grant
//! against Authlib's `JWTBearerGrant` on loopback (runtime/tests/jwt_bearer,
//! installed by `scripts/test`), which verifies each assertion with the
//! service account's public key: RS256 with a Google key file, ES256 with a
//! PEM. Nothing written shows the key or an assertion.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

#[path = "../../runtime/tests/support/python_server.rs"]
mod python_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use python_server::PythonServer;

const SPEC: &str = "cli/tests/data/jwt-bearer-test-server.toml";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Authlib server, stopped when dropped.
struct Server {
    _process: PythonServer,
    base: String,
}

impl Server {
    fn start() -> Server {
        let process = PythonServer::start("jwt_bearer");
        let base = process.base.clone();
        Server {
            _process: process,
            base,
        }
    }
}

fn patchbay(args: &[&str], key: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(workspace())
        .env("SERVICE_ACCOUNT_KEY", key)
        .env("PATCHBAY_LOG", "trace")
        .output()
        .unwrap()
}

#[test]
fn run_and_auth_token_get_tokens_with_a_signed_assertion() {
    let server = Server::start();
    let dir = std::env::temp_dir().join(format!("patchbay-jwt-bearer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = workspace().join("runtime/tests/keys");
    for (method, issuer, file, kid) in [
        (
            "service_account",
            "sync@patchbay-test.iam.gserviceaccount.com",
            "google-sa.json",
            serde_json::json!("0123456789abcdef0123456789abcdef01234567"),
        ),
        (
            "service_account_es256",
            "ec-service@patchbay.test",
            "ec-sec1.pem",
            serde_json::Value::Null,
        ),
    ] {
        let key = std::fs::read_to_string(keys.join(file)).unwrap();
        let instance = dir.join(format!("{method}.toml"));
        std::fs::write(
            &instance,
            format!(
                "connector = \"jwt-bearer-test-server\"\nauth = \"{method}\"\n[values]\nbase = \"{}\"\nissuer = \"{issuer}\"\nsubject = \"ada@patchbay.test\"\nscope = \"calendar.read\"\nprivate_key = {{ env = \"SERVICE_ACCOUNT_KEY\" }}\n",
                server.base
            ),
        )
        .unwrap();
        let instance = instance.to_str().unwrap();
        let runs = [
            vec!["run", SPEC, "--instance", instance, "--endpoint", "me"],
            vec!["auth", "token", SPEC, "--instance", instance],
            vec![
                "run",
                SPEC,
                "--instance",
                instance,
                "--endpoint",
                "me",
                "--dry-run",
            ],
        ];
        for args in runs {
            let output = patchbay(&args, &key);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(0), "{method} {args:?}: {stderr}");
            if args[0] == "run" && !args.contains(&"--dry-run") {
                let me: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(me["iss"], issuer, "{me}");
                assert_eq!(me["sub"], "ada@patchbay.test", "{me}");
                assert_eq!(me["scope"], "calendar.read", "{me}");
                assert_eq!(me["kid"], kid, "{me}");
            }
            if args[0] == "auth" {
                assert!(stdout.contains("token_type: Bearer"), "{stdout}");
            }
            let everything = format!("{stdout}{stderr}");
            assert!(
                !everything.contains("eyJhbGci"),
                "an assertion in: {everything}"
            );
            // The PEM's base64 lines, of the key file's PEM for a key file.
            let pem = serde_json::from_str::<serde_json::Value>(&key).map_or(key.clone(), |file| {
                file["private_key"].as_str().unwrap().to_owned()
            });
            for line in pem.lines().filter(|l| l.len() > 16 && !l.contains("-----")) {
                assert!(
                    !everything.contains(line.trim()),
                    "the key in: {everything}"
                );
            }
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}
