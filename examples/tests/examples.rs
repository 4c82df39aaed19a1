//! Runs every example program against a freshly started local Taskpad
//! server and checks what it prints, so that the documented programs keep
//! building and working.

mod common;
// The Redis store's own harness: a real redis-server on a free port.
#[path = "../../redis/tests/common/mod.rs"]
mod redis_server;

use std::process::{Command, Output};

use common::TaskpadServer;
use redis_server::RedisServer;

fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let output = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let stdout = String::from_utf8(output.stdout.clone()).expect("UTF-8 output");
    (output, stdout)
}

fn workspace_file(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn list_tasks_reads_a_task_and_pages_through_the_open_ones() {
    let server = TaskpadServer::start();
    let (output, stdout) = run(
        env!("CARGO_BIN_EXE_list-tasks"),
        &[&server.url],
        &[("TASKPAD_CLIENT_SECRET", "cs_test_Zq81mLx0")],
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout,
        concat!(
            "task tsk_1: \"Write the press release\"\n",
            "open in prj_1: {\"id\":\"tsk_1\",\"project_id\":\"prj_1\",\"title\":\"Write the press release\",\"status\":\"open\",\"due_on\":\"2025-06-20\",\"updated_at\":\"2025-06-01T00:01:00Z\"}\n",
            "open in prj_1: {\"id\":\"tsk_3\",\"project_id\":\"prj_1\",\"title\":\"Brief the support team\",\"status\":\"open\",\"due_on\":null,\"updated_at\":\"2025-06-01T00:03:00Z\"}\n",
            "open in prj_1: {\"id\":\"tsk_4\",\"project_id\":\"prj_1\",\"title\":\"Record the demo video\",\"status\":\"open\",\"due_on\":\"2025-06-27\",\"updated_at\":\"2025-06-01T00:04:00Z\"}\n",
        )
    );
}

#[test]
fn list_tasks_reports_a_refused_client_secret() {
    let server = TaskpadServer::start();
    let (output, _) = run(
        env!("CARGO_BIN_EXE_list-tasks"),
        &[&server.url],
        &[("TASKPAD_CLIENT_SECRET", "not-the-secret")],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid_client"), "{stderr}");
    assert!(!stderr.contains("not-the-secret"), "{stderr}");
}

#[test]
fn redis_workers_share_one_token_through_redis() {
    let server = TaskpadServer::start();
    let redis = RedisServer::start("example");
    let (output, stdout) = run(
        env!("CARGO_BIN_EXE_redis-workers"),
        &[
            &server.url,
            &redis.url(),
            "--workers",
            "3",
            "--calls",
            "10",
            "--allow-private-hosts",
        ],
        &[("TASKPAD_CLIENT_SECRET", "cs_test_Zq81mLx0")],
    );
    assert!(output.status.success(), "{output:?}");
    let mut lines: Vec<&str> = stdout.lines().collect();
    let summary = lines.pop().unwrap_or_default();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "worker 1: 10 of 10 calls answered",
            "worker 2: 10 of 10 calls answered",
            "worker 3: 10 of 10 calls answered",
        ]
    );
    assert!(
        summary.starts_with(
            "3 workers done; Redis holds one encrypted token for taskpad/client_credentials/acme, valid for"
        ),
        "{summary}"
    );
    assert!(!stdout.contains("cs_test_Zq81mLx0"));
}

#[test]
fn service_serves_every_customer_and_handles_each_failure() {
    let server = TaskpadServer::start();
    let (output, stdout) = run(
        env!("CARGO_BIN_EXE_service"),
        &[&server.url, "--allow-private-hosts"],
        &[],
    );
    assert!(output.status.success(), "{output:?}");
    let expected = [
        "[hooli] not connected: show on the instance form, field `url`: not an absolute URL",
        "[acme] connection test: `list_projects` answered HTTP 200",
        "[acme] get_task tsk_1: \"Write the press release\"",
        "[acme] get_task 42: the caller's data, `task_id`: `42` does not match the pattern `^tsk_[A-Za-z0-9]+$`",
        "[acme] create_task: HTTP 201",
        "[acme] all tasks of prj_1: Write the press release; Book the launch venue; Brief the support team; Record the demo video",
        "[acme] tasks of prj_1 changed: 4 on the first run, 1 on the next (since \"2025-06-01T00:04:00Z\")",
        "client_id=tp_client_7Hq2&client_secret=********'",
        "  -H 'Authorization: Bearer ********'",
        "[acme] token: Bearer for ",
        "[globex] connection test: credentials refused (invalid_client): unknown client or wrong secret",
        "[initech] get_task tsk_1: \"Write the press release\"",
        "[initech] create_task: not offered: auth method `api_key` has no endpoint `create_task`",
        "  -H 'X-Api-Key: ********'",
    ];
    for line in expected {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    for secret in ["cs_test_Zq81mLx0", "tpk_test_4f9a2c7e81", "cs_revoked_0000"] {
        assert!(!stdout.contains(secret), "{secret} printed:\n{stdout}");
    }
}

#[test]
fn service_with_the_egress_guard_refuses_a_loopback_api() {
    let server = TaskpadServer::start();
    let (output, stdout) = run(env!("CARGO_BIN_EXE_service"), &[&server.url], &[]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("[acme] connection test: blocked host 127.0.0.1"),
        "{stdout}"
    );
    assert!(!stdout.contains("HTTP 200"), "{stdout}");
}

#[test]
fn lint_spec_passes_the_tutorial_spec_and_explains_a_typo() {
    let spec = workspace_file("docs/examples/taskpad/taskpad.toml");
    let (output, stdout) = run(env!("CARGO_BIN_EXE_lint-spec"), &[&spec], &[]);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.ends_with("no errors, 0 warning(s)\n"), "{stdout}");

    let text = std::fs::read_to_string(&spec).expect("the spec");
    let typo = text.replace(
        "query = { limit = \"{{ page_size }}\" }",
        "query = { limit = \"{{ page_sise }}\" }",
    );
    assert_ne!(typo, text, "the typo was not made");
    let folder = std::env::temp_dir().join(format!("patchbay-lint-spec-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let broken = folder.join("taskpad.toml");
    std::fs::write(&broken, typo).expect("write the spec");
    let (output, stdout) = run(
        env!("CARGO_BIN_EXE_lint-spec"),
        &[broken.to_str().expect("a UTF-8 path")],
        &[],
    );
    std::fs::remove_dir_all(&folder).expect("remove the temporary folder");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    for line in [
        ":52:20: error[PB102] `page_sise` is not in scope in endpoint `list_projects`",
        "  fix: did you mean `page_size`?",
        "  | query = { limit = \"{{ page_sise }}\" }",
        "  rule undeclared-template-variable: ",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[test]
fn metrics_counts_calls_and_token_requests_by_status() {
    let server = TaskpadServer::start();
    let secret = "cs_test_Zq81mLx0";
    let (output, stdout) = run(
        env!("CARGO_BIN_EXE_metrics"),
        &[&server.url],
        &[("TASKPAD_CLIENT_SECRET", secret)],
    );
    assert!(output.status.success(), "{output:?}");
    let labels = r#"connector="taskpad",method="client_credentials""#;
    for line in [
        format!(
            r#"patchbay_call_duration_seconds_count{{{labels},endpoint="get_task",status="200",error=""}} 2"#
        ),
        format!(
            r#"patchbay_call_duration_seconds_count{{{labels},endpoint="get_task",status="404",error="status"}} 1"#
        ),
        format!(
            r#"patchbay_call_duration_seconds_bucket{{{labels},endpoint="get_task",status="404",error="status",le="+Inf"}} 1"#
        ),
        format!(
            r#"patchbay_token_request_duration_seconds_count{{{labels},grant="request",status="200",error=""}} 1"#
        ),
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "no `{line}` in:\n{stdout}"
        );
    }
    assert!(stdout.contains("get_task tsk_404: "), "{stdout}");
    assert!(!stdout.contains(secret), "{stdout}");
}
