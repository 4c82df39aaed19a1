//! The local Taskpad server answers as the real service would: OAuth
//! errors from its token endpoint, API keys that only read, cursors that
//! page, JSON errors for what it refuses.

mod common;

use common::TaskpadServer;
use serde_json::{Value, json};

const VERSION: (&str, &str) = ("Taskpad-Version", "2024-06-01");

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body");
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, json)
}

async fn token(client: &reqwest::Client, url: &str, form: &str) -> (u16, Value) {
    answer(
        client
            .post(format!("{url}/oauth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_owned()),
    )
    .await
}

#[tokio::test]
async fn the_token_endpoint_checks_the_client_and_the_grant() {
    let server = TaskpadServer::start();
    let client = reqwest::Client::new();
    let url = &server.url;

    let (status, body) = token(
        &client,
        url,
        "grant_type=client_credentials&client_id=tp_client_7Hq2&client_secret=cs_test_Zq81mLx0&scope=tasks%3Aread",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "tasks:read");

    // HTTP Basic, as RFC 6749 §2.3.1 has it, works as well.
    let (status, body) = answer(
        client
            .post(format!("{url}/oauth/token"))
            .basic_auth("tp_client_7Hq2", Some("cs_test_Zq81mLx0"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "tasks:read tasks:write");

    let refusals = [
        (
            "grant_type=client_credentials&client_id=tp_client_7Hq2&client_secret=wrong",
            401,
            "invalid_client",
        ),
        (
            "grant_type=password&client_id=tp_client_7Hq2&client_secret=cs_test_Zq81mLx0",
            400,
            "unsupported_grant_type",
        ),
        (
            "grant_type=client_credentials&client_id=tp_client_7Hq2&client_secret=cs_test_Zq81mLx0&scope=admin",
            400,
            "invalid_scope",
        ),
    ];
    for (form, expected_status, error) in refusals {
        let (status, body) = token(&client, url, form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (expected_status, Some(error)),
            "{form}: {body}"
        );
    }
}

#[tokio::test]
async fn api_keys_read_and_only_write_scopes_write() {
    let server = TaskpadServer::start();
    let client = reqwest::Client::new();
    let url = &server.url;
    let tasks = format!("{url}/api/v2/projects/prj_2/tasks");
    let new_task = json!({ "data": { "title": "Interview" }, "notify_assignee": true });

    let with_key = |request: reqwest::RequestBuilder| {
        request
            .header(VERSION.0, VERSION.1)
            .header("X-Api-Key", "tpk_test_4f9a2c7e81")
    };
    let (status, body) = answer(with_key(client.get(&tasks))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = answer(
        with_key(client.post(&tasks))
            .header("Content-Type", "application/json")
            .body(new_task.to_string()),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );

    let (_, read_only) = token(
        &client,
        url,
        "grant_type=client_credentials&client_id=tp_client_7Hq2&client_secret=cs_test_Zq81mLx0&scope=tasks%3Aread",
    )
    .await;
    let bearer = |request: reqwest::RequestBuilder, token: &Value| {
        let token = token["access_token"].as_str().expect("an access token");
        request.header(VERSION.0, VERSION.1).bearer_auth(token)
    };
    let (status, body) = answer(
        bearer(client.post(&tasks), &read_only)
            .header("Content-Type", "application/json")
            .body(new_task.to_string()),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("insufficient_scope")),
        "{body}"
    );

    let (_, writer) = token(
        &client,
        url,
        "grant_type=client_credentials&client_id=tp_client_7Hq2&client_secret=cs_test_Zq81mLx0",
    )
    .await;
    let (status, body) = answer(
        bearer(client.post(&tasks), &writer)
            .header("Content-Type", "application/json")
            .body(new_task.to_string()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["id"], "tsk_6");
    assert_eq!(body["data"]["status"], "open");
    assert_eq!(body["assignee_notified"], true);
    let (status, body) = answer(bearer(
        client.get(format!("{url}/api/v2/tasks/tsk_6")),
        &writer,
    ))
    .await;
    assert_eq!(
        (status, &body["data"]["title"]),
        (200, &json!("Interview")),
        "{body}"
    );

    let unknown = client
        .get(&tasks)
        .header(VERSION.0, VERSION.1)
        .bearer_auth("tpat_forged");
    let (status, body) = answer(unknown).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let (status, body) = answer(
        client
            .get(&tasks)
            .header("X-Api-Key", "tpk_test_4f9a2c7e81"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_version")),
        "{body}"
    );
}

#[tokio::test]
async fn lists_page_by_cursor_and_refuse_what_they_do_not_know() {
    let server = TaskpadServer::start();
    let client = reqwest::Client::new();
    let get = |path: String| {
        client
            .get(format!("{}{path}", server.url))
            .header(VERSION.0, VERSION.1)
            .header("X-Api-Key", "tpk_test_4f9a2c7e81")
    };

    let (_, first) = answer(get("/api/v2/projects?limit=50".to_owned())).await;
    assert_eq!(
        first["data"],
        json!([{ "id": "prj_1", "name": "Launch" }, { "id": "prj_2", "name": "Hiring" }])
    );
    let cursor = first["next_cursor"].as_str().expect("a cursor");
    let (_, last) = answer(get(format!("/api/v2/projects?limit=50&cursor={cursor}"))).await;
    assert_eq!(
        last["data"],
        json!([{ "id": "prj_3", "name": "Office move" }])
    );
    assert_eq!(last["next_cursor"], Value::Null);

    let (_, done) = answer(get("/api/v2/projects/prj_1/tasks?status=done".to_owned())).await;
    assert_eq!(done["data"][0]["id"], "tsk_2");
    assert_eq!(done["data"].as_array().map(Vec::len), Some(1));

    // updated_since is inclusive: tsk_3 changed at 00:03, tsk_4 at 00:04.
    let (_, changed) = answer(get(
        "/api/v2/projects/prj_1/tasks?status=all&updated_since=2025-06-01T00:03:00Z".to_owned(),
    ))
    .await;
    assert_eq!(changed["data"][0]["id"], "tsk_3");
    assert_eq!(changed["data"][1]["updated_at"], "2025-06-01T00:04:00Z");
    assert_eq!(changed["data"].as_array().map(Vec::len), Some(2));

    for (path, status, error) in [
        ("/api/v2/projects?cursor=nonsense", 400, "invalid_cursor"),
        (
            "/api/v2/projects/prj_1/tasks?status=late",
            400,
            "invalid_status",
        ),
        (
            "/api/v2/projects/prj_1/tasks?updated_since=yesterday",
            400,
            "invalid_updated_since",
        ),
        ("/api/v2/projects/prj_9/tasks", 404, "not_found"),
        ("/api/v2/tasks/tsk_99", 404, "not_found"),
        ("/api/v3/projects", 404, "not_found"),
    ] {
        let (got, body) = answer(get(path.to_owned())).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(error)),
            "{path}: {body}"
        );
    }
}
