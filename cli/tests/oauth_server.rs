//! `patchbay run` and `patchbay auth token` against a real OAuth 2
//! authorization server (panva's oidc-provider, OpenID Certified) on
//! loopback, and the sentinel-secret check over every command path.
//!
//! The server is installed by `scripts/test` (`npm ci` in
//! runtime/tests/oidc).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[allow(dead_code)] // the browser login's helpers; the device driver uses its `http`
#[path = "common/browser.rs"]
mod browser;
mod common;
#[path = "common/device.rs"]
mod device;
#[path = "common/encodings.rs"]
mod encodings;

use common::{Server, workspace};
use encodings::{basic_credentials, encodings};

const SPEC: &str = "cli/tests/data/oauth-test-server.toml";

/// Writes an instance file whose secret comes from `CLIENT_SECRET`.
fn instance(dir: &Path, name: &str, method: &str, base: &str, client_id: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "connector = \"oauth-test-server\"\nauth = \"{method}\"\n[values]\nbase = \"{base}\"\nclient_id = \"{client_id}\"\nclient_secret = {{ env = \"CLIENT_SECRET\" }}\n"
        ),
    )
    .unwrap();
    path
}

/// Writes an instance of a method that signs client assertions, its key
/// or secret from `CLIENT_SECRET` (`private_key` or `client_secret`).
fn assertion_instance(
    dir: &Path,
    method: &str,
    base: &str,
    client_id: &str,
    key_input: &str,
) -> PathBuf {
    let path = dir.join(format!("{method}-{key_input}.toml"));
    std::fs::write(
        &path,
        format!(
            "connector = \"oauth-test-server\"\nauth = \"{method}\"\n[values]\nbase = \"{base}\"\nclient_id = \"{client_id}\"\n{key_input} = {{ env = \"CLIENT_SECRET\" }}\n"
        ),
    )
    .unwrap();
    path
}

fn test_key(file: &str) -> String {
    std::fs::read_to_string(workspace().join("runtime/tests/keys").join(file)).unwrap()
}

/// The secret-bearing parts of a PEM: each line of its base64 body.
fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|line| !line.starts_with("-----") && line.len() > 16)
        .map(str::to_owned)
        .collect()
}

/// What every signed assertion starts with: `{"alg":` in base64url.
const JWT_HEADER_START: &str = "eyJhbGci";

fn patchbay(args: &[&str], secret: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(workspace())
        .env("CLIENT_SECRET", secret)
        .env("PATCHBAY_LOG", "trace")
        .output()
        .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patchbay-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const BASIC_SECRET: &str = "s3cr+t:%with/specials";
const POST_SECRET: &str = "post-secret-1";

#[test]
fn run_gets_a_token_with_both_client_authentications_and_calls_the_api() {
    let server = Server::start();
    let dir = temp_dir("interop");
    for (method, client, secret) in [
        ("cc_basic", "cc-basic", BASIC_SECRET),
        ("cc_post", "cc-post", POST_SECRET),
    ] {
        let file = instance(
            &dir,
            &format!("{method}.toml"),
            method,
            &server.base,
            client,
        );
        let file = file.to_str().unwrap();
        let output = patchbay(
            &["run", SPEC, "--instance", file, "--endpoint", "me"],
            secret,
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{method}: {stderr}");
        let me: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(me["client_id"], client, "{me}");
        assert_eq!(me["scope"], "api:read");

        let token = patchbay(&["auth", "token", SPEC, "--instance", file], secret);
        let shown = String::from_utf8_lossy(&token.stdout);
        assert_eq!(
            token.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&token.stderr)
        );
        assert!(shown.contains("token_type: Bearer"), "{shown}");
        assert!(shown.contains("scope: api:read"), "{shown}");
        assert!(
            !shown.contains("access_token"),
            "the token is shown only with --show-secret"
        );
        let with_secret = patchbay(
            &["auth", "token", SPEC, "--instance", file, "--show-secret"],
            secret,
        );
        assert!(String::from_utf8_lossy(&with_secret.stdout).contains("access_token: "));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `private_key_jwt` (RS256 and ES256) and `client_secret_jwt` (HS256)
/// client credentials against oidc-provider, which verifies each
/// assertion's signature, issuer, audience, lifetime and fresh `jti`;
/// `run`, `auth token` and a dry run, whose output masks the assertion.
#[test]
fn run_and_auth_token_authenticate_the_client_with_signed_assertions() {
    let server = Server::start();
    let dir = temp_dir("assertions");
    let hmac_secret = "client-secret-jwt-key-0123456789abcdef";
    for (method, client, key_input, secret) in [
        (
            "cc_private_key_jwt",
            "cc-private-key-jwt",
            "private_key",
            test_key("rsa.pem"),
        ),
        (
            "cc_private_key_jwt_es256",
            "cc-private-key-jwt",
            "private_key",
            test_key("ec-sec1.pem"),
        ),
        (
            "cc_client_secret_jwt",
            "cc-client-secret-jwt",
            "client_secret",
            hmac_secret.to_owned(),
        ),
    ] {
        let file = assertion_instance(&dir, method, &server.base, client, key_input);
        let file = file.to_str().unwrap();
        let output = patchbay(
            &["run", SPEC, "--instance", file, "--endpoint", "me"],
            &secret,
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{method}: {stderr}");
        let me: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(me["client_id"], client, "{method}: {me}");

        let token = patchbay(&["auth", "token", SPEC, "--instance", file], &secret);
        assert_eq!(
            token.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&token.stderr)
        );
        assert!(String::from_utf8_lossy(&token.stdout).contains("token_type: Bearer"));

        let dry = patchbay(
            &[
                "run",
                SPEC,
                "--instance",
                file,
                "--endpoint",
                "me",
                "--dry-run",
            ],
            &secret,
        );
        let shown = String::from_utf8_lossy(&dry.stdout);
        assert!(
            shown.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=********"),
            "{shown}"
        );
        assert!(!shown.contains(JWT_HEADER_START), "{shown}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Flows that store no tokens never need the token store: with
/// `$PATCHBAY_HOME` a file (so no folder can be made under it), a dry run
/// of each kind of method and a client-credentials run still work, and
/// nothing is written there.
#[test]
fn an_unusable_patchbay_home_stops_no_flow_that_stores_nothing() {
    let server = Server::start();
    let dir = temp_dir("no-home");
    let home = dir.join("home-is-a-file");
    std::fs::write(&home, "").unwrap();
    let credentials = instance(&dir, "cc.toml", "cc_post", &server.base, "cc-post");
    let login = dir.join("code.toml");
    std::fs::write(
        &login,
        format!(
            "connector = \"oauth-test-server\"\nauth = \"code_public\"\n[values]\nbase = \"{}\"\nclient_id = \"code-public\"\n",
            server.base
        ),
    )
    .unwrap();
    let run = |file: &Path, extra: &[&str]| {
        let mut args = vec![
            "run",
            SPEC,
            "--instance",
            file.to_str().unwrap(),
            "--endpoint",
            "me",
        ];
        args.extend(extra);
        Command::new(env!("CARGO_BIN_EXE_patchbay"))
            .args(&args)
            .current_dir(workspace())
            .env("CLIENT_SECRET", POST_SECRET)
            .env("PATCHBAY_HOME", &home)
            .output()
            .unwrap()
    };
    for (file, extra) in [
        (&credentials, &["--dry-run"][..]),
        (&credentials, &[][..]),
        (&login, &["--dry-run"][..]),
    ] {
        let output = run(file, extra);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{} {extra:?}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let me: serde_json::Value = serde_json::from_slice(&run(&credentials, &[]).stdout).unwrap();
    assert_eq!(me["client_id"], "cc-post");
    assert_eq!(
        std::fs::read_to_string(&home).unwrap(),
        "",
        "nothing stored"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn all_pages_streams_records_as_ndjson() {
    let server = Server::start();
    let dir = temp_dir("pages");
    let file = instance(&dir, "i.toml", "cc_post", &server.base, "cc-post");
    let output = patchbay(
        &[
            "run",
            SPEC,
            "--instance",
            file.to_str().unwrap(),
            "--endpoint",
            "items",
            "--all-pages",
        ],
        POST_SECRET,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 6, "three pages of two: {records:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// `--max-pages` caps a run whose pagination sets no `max_pages`: the
/// pages up to the cap are printed, then the run fails naming the cap.
#[test]
fn max_pages_flag_caps_a_run_with_an_error() {
    let server = Server::start();
    let dir = temp_dir("max-pages");
    let file = instance(&dir, "i.toml", "cc_post", &server.base, "cc-post");
    let run = |cap: &str| {
        patchbay(
            &[
                "run",
                SPEC,
                "--instance",
                file.to_str().unwrap(),
                "--endpoint",
                "items",
                "--all-pages",
                "--max-pages",
                cap,
            ],
            POST_SECRET,
        )
    };
    // Three pages of two: a cap of 2 is reached with a next page offered.
    let capped = run("2");
    let stderr = String::from_utf8_lossy(&capped.stderr);
    assert_eq!(capped.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stopped after 2 pages") && stderr.contains("--max-pages"),
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&capped.stdout).lines().count(), 4);
    // A cap of 3 is never exceeded: the run ends normally.
    let whole = run("3");
    assert_eq!(
        whole.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&whole.stdout).lines().count(), 6);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_wrong_secret_gives_the_servers_error_and_no_secret() {
    let server = Server::start();
    let dir = temp_dir("wrong");
    let wrong = "wrong-SENTINEL-4f9a2c";
    for (method, client) in [("cc_basic", "cc-basic"), ("cc_post", "cc-post")] {
        let file = instance(
            &dir,
            &format!("{method}.toml"),
            method,
            &server.base,
            client,
        );
        let output = patchbay(
            &[
                "run",
                SPEC,
                "--instance",
                file.to_str().unwrap(),
                "--endpoint",
                "me",
            ],
            wrong,
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("OAuth error `invalid_client`"), "{stderr}");
        assert!(stderr.contains("token request of auth method"), "{stderr}");
        assert!(!stderr.contains("SENTINEL"), "{stderr}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A sentinel secret through every command path: lint, compile, schema,
/// dry run, a run, all pages, a failing run, auth token, auth status; with
/// trace logs on. It must appear in none of their output, in none of the
/// encodings the runtime produces (Basic credentials included).
#[test]
fn a_sentinel_secret_appears_in_no_output() {
    let server = Server::start();
    let dir = temp_dir("sentinel");
    // The real secret, so the token requests succeed; and a sentinel that
    // fails.
    let good = instance(&dir, "good.toml", "cc_post", &server.base, "cc-post");
    let good = good.to_str().unwrap();
    let runs: Vec<(Vec<&str>, &str)> = vec![
        (vec!["lint", SPEC], POST_SECRET),
        (vec!["compile", SPEC], POST_SECRET),
        (
            vec![
                "run",
                SPEC,
                "--instance",
                good,
                "--endpoint",
                "me",
                "--dry-run",
            ],
            POST_SECRET,
        ),
        (
            vec!["run", SPEC, "--instance", good, "--endpoint", "me"],
            POST_SECRET,
        ),
        (
            vec![
                "run",
                SPEC,
                "--instance",
                good,
                "--endpoint",
                "items",
                "--all-pages",
            ],
            POST_SECRET,
        ),
        (vec!["auth", "token", SPEC, "--instance", good], POST_SECRET),
    ];
    // Sentinels that fail, each with characters some encoding changes, and
    // one too short to search for (masked where patchbay puts it).
    let sentinels = [
        "SENTINEL-\"dry\\ 7c1e",
        "SENTINEL+run%20:7c1é",
        "SENTINEL token:\"7c1e\"",
        "q\"%",
    ];
    let sentinel_runs = sentinels.iter().flat_map(|&secret| {
        [
            vec![
                "run",
                SPEC,
                "--instance",
                good,
                "--endpoint",
                "me",
                "--dry-run",
            ],
            vec!["run", SPEC, "--instance", good, "--endpoint", "me"],
            vec!["auth", "token", SPEC, "--instance", good],
            vec!["auth", "status", SPEC, "--instance", good],
        ]
        .map(|args| (args, secret))
    });
    // Signed client assertions: the real keys (whose PEM lines must not
    // show), sentinels given as a key (a bare one, a PEM, a Google key
    // file), and a sentinel HS256 secret, which the server refuses.
    let rsa = test_key("rsa.pem");
    let pkjwt = assertion_instance(
        &dir,
        "cc_private_key_jwt",
        &server.base,
        "cc-private-key-jwt",
        "private_key",
    );
    let pkjwt = pkjwt.to_str().unwrap();
    let hs = assertion_instance(
        &dir,
        "cc_client_secret_jwt",
        &server.base,
        "cc-client-secret-jwt",
        "client_secret",
    );
    let hs = hs.to_str().unwrap();
    let pem_sentinel =
        "-----BEGIN PRIVATE KEY-----\nSENTINEL+pem/7c1eSENTINEL\n-----END PRIVATE KEY-----";
    let file_sentinel = r#"{"type": "service_account", "private_key_id": "k1", "private_key": "SENTINEL-json:7c1e"}"#;
    let key_sentinels = [
        (rsa.as_str(), pkjwt),
        (pem_sentinel, pkjwt),
        (file_sentinel, pkjwt),
        ("SENTINEL-hs256\"7c1e", hs),
        ("client-secret-jwt-key-0123456789abcdef", hs),
    ];
    let key_runs = key_sentinels.iter().flat_map(|&(secret, file)| {
        [
            vec![
                "run",
                SPEC,
                "--instance",
                file,
                "--endpoint",
                "me",
                "--dry-run",
            ],
            vec!["run", SPEC, "--instance", file, "--endpoint", "me"],
            vec!["auth", "token", SPEC, "--instance", file],
            vec!["auth", "status", SPEC, "--instance", file],
        ]
        .map(|args| (args, secret))
    });
    for (args, secret) in key_runs {
        let output = patchbay(&args, secret);
        let everything = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let mut forms: Vec<String> = encodings(secret);
        forms.extend(pem_lines(secret).iter().flat_map(|line| encodings(line)));
        forms.push("SENTINEL".to_owned());
        forms.push(JWT_HEADER_START.to_owned());
        for form in forms {
            assert!(
                !everything.contains(&form),
                "`patchbay {}` wrote `{form}`:\n{everything}",
                args.join(" ")
            );
        }
    }
    for (args, secret) in runs.into_iter().chain(sentinel_runs) {
        let output = patchbay(&args, secret);
        let everything = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let forms = encodings(secret)
            .into_iter()
            .chain(basic_credentials("cc-post", secret));
        for form in forms {
            assert!(
                !everything.contains(&form),
                "`patchbay {}` wrote the secret as `{form}`:\n{everything}",
                args.join(" ")
            );
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// The device code of a device login (RFC 8628) is a secret, the user code
/// is not: through an approved login, a denied one and one whose code
/// expires, then `auth token`, `run` and `auth status` on the stored
/// tokens, all with trace logs on, no device code the server issued
/// appears in any output, in any encoding; the user code is shown.
#[test]
fn a_device_code_appears_in_no_output_and_the_user_code_does() {
    let dir = temp_dir("device-sentinel");
    let issued = dir.join("device-codes.txt");
    let issued_text = issued.to_str().unwrap();
    let mut outputs = Vec::new();
    for (ttl, answer) in [
        ("600", Some(device::Answer::Deny)),
        ("2", None),
        ("600", Some(device::Answer::Approve)),
    ] {
        let server = Server::with_env(&[
            ("DEVICE_POLL_INTERVAL", "1"),
            ("DEVICE_CODE_TTL", ttl),
            ("DEVICE_CODE_LOG", issued_text),
        ]);
        let home = dir.join(format!("home-{ttl}-{answer:?}"));
        std::fs::create_dir_all(&home).unwrap();
        let instance = home.join("instance.toml");
        std::fs::write(
            &instance,
            format!(
                "connector = \"oauth-test-server\"\nauth = \"device_public\"\n[values]\nbase = \"{}\"\nclient_id = \"device-public\"\n",
                server.base
            ),
        )
        .unwrap();
        let instance = instance.to_str().unwrap();
        let login = device::start_device_login(SPEC, instance, &home, &[("PATCHBAY_LOG", "trace")]);
        let user_code = login.user_code.clone();
        if let Some(answer) = answer {
            device::answer_on_another_device(&login.verification_uri_complete, answer);
        }
        let ended = login.finish();
        assert_eq!(
            ended.success,
            answer == Some(device::Answer::Approve),
            "{}",
            ended.stderr
        );
        assert!(
            ended.stdout.contains(&user_code),
            "the user code is shown: {}",
            ended.stdout
        );
        outputs.push((
            format!("auth login --device ({ttl} s, {answer:?})"),
            format!("{}{}", ended.stdout, ended.stderr),
        ));
        if answer == Some(device::Answer::Approve) {
            for args in [
                vec!["auth", "token", SPEC, "--instance", instance],
                vec!["run", SPEC, "--instance", instance, "--endpoint", "me"],
                vec!["auth", "status", SPEC, "--instance", instance],
            ] {
                let output = Command::new(env!("CARGO_BIN_EXE_patchbay"))
                    .args(&args)
                    .current_dir(workspace())
                    .env("PATCHBAY_HOME", &home)
                    .env("PATCHBAY_LOG", "trace")
                    .output()
                    .unwrap();
                assert_eq!(
                    output.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                outputs.push((
                    args.join(" "),
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    ),
                ));
            }
        }
    }
    let codes: Vec<String> = std::fs::read_to_string(&issued)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 3, "one device code per login");
    for code in &codes {
        for form in encodings(code) {
            for (what, everything) in &outputs {
                assert!(
                    !everything.contains(&form),
                    "`patchbay {what}` wrote the device code as `{form}`:\n{everything}"
                );
            }
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}
