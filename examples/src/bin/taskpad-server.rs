//! A local Taskpad API: the made-up to-do service of `docs/tutorial.md`,
//! served on loopback with in-memory data, so that the library examples,
//! their tests and the tutorial's `patchbay run` have a real server to call.
//!
//! ```console
//! $ cargo run -p patchbay-examples --bin taskpad-server -- --port 8765
//! listening on http://127.0.0.1:8765
//! ```
//!
//! It serves what `docs/examples/taskpad/taskpad.toml` calls: the OAuth 2
//! client-credentials token endpoint, API-key and bearer authentication,
//! cursor-paginated lists (tasks filtered by `updated_since`, for
//! incremental reads), and reading and creating tasks. Every answer is
//! JSON, errors included, as the real service's would be.

// An example program: what it prints is its interface.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The OAuth client the server accepts (the tutorial's `acme-oauth.toml`).
const CLIENT_ID: &str = "tp_client_7Hq2";
const CLIENT_SECRET: &str = "cs_test_Zq81mLx0";
/// The API key the server accepts (the tutorial's `acme-key.toml`).
const API_KEY: &str = "tpk_test_4f9a2c7e81";
/// Every scope a client may ask for.
const SCOPES: [&str; 2] = ["tasks:read", "tasks:write"];
/// The API version clients must name in `Taskpad-Version`.
const API_VERSION: &str = "2024-06-01";
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The largest page the server returns, whatever `limit` asks for. Small,
/// so that the handful of seeded records spans several pages.
const MAX_PAGE_SIZE: usize = 2;
const DEFAULT_PORT: u16 = 8765;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port = match port_from_args(std::env::args().skip(1)) {
        Ok(port) => port,
        Err(message) => {
            eprintln!(
                "{message}\nusage: taskpad-server [--port PORT]  (default {DEFAULT_PORT}; 0 picks a free port)"
            );
            std::process::exit(2);
        }
    };
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {address}: {error}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(bound) => println!("listening on http://{bound}"),
        Err(error) => {
            eprintln!("cannot read the bound address: {error}");
            std::process::exit(1);
        }
    }
    let state = Arc::new(Mutex::new(Taskpad::seeded()));
    if let Err(error) = axum::serve(listener, routes(state)).await {
        eprintln!("server stopped: {error}");
        std::process::exit(1);
    }
}

fn port_from_args(mut args: impl Iterator<Item = String>) -> Result<u16, String> {
    let mut port = DEFAULT_PORT;
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--port" => args.next().ok_or("--port needs a value")?,
            other => match other.strip_prefix("--port=") {
                Some(value) => value.to_owned(),
                None => return Err(format!("unknown argument `{other}`")),
            },
        };
        port = value
            .parse()
            .map_err(|_| format!("`{value}` is not a port number"))?;
    }
    Ok(port)
}

type Shared = Arc<Mutex<Taskpad>>;

fn routes(state: Shared) -> Router {
    Router::new()
        .route("/oauth/token", post(issue_token))
        .route("/api/v2/projects", get(list_projects))
        .route(
            "/api/v2/projects/{project_id}/tasks",
            get(list_tasks).post(create_task),
        )
        .route("/api/v2/tasks/{task_id}", get(get_task))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .with_state(state)
}

/// The service's data, and the access tokens it has issued.
#[derive(Debug)]
struct Taskpad {
    projects: Vec<Project>,
    tasks: Vec<Task>,
    tokens: HashMap<String, Grant>,
    last_task_number: u32,
    /// Changes made so far: each stamps the task it changed, so that every
    /// `updated_at` is distinct and a later change sorts after an earlier one.
    changes: u32,
}

#[derive(Debug, Clone, Serialize)]
struct Project {
    id: String,
    name: String,
}

#[derive(Debug, Clone, Serialize)]
struct Task {
    id: String,
    project_id: String,
    title: String,
    status: TaskStatus,
    due_on: Option<String>,
    updated_at: String,
}

/// The time of the `change`th change, as RFC 3339 in UTC: one minute apart
/// from 2025-06-01, fixed-width, so that text order is time order.
fn change_time(change: u32) -> String {
    let (days, minutes) = (change / 1440, change % 1440);
    let date = if days < 30 {
        format!("2025-06-{:02}", days + 1)
    } else {
        // A demo server makes a few dozen changes; past a month it stops
        // the clock rather than write an invalid date.
        "2025-06-30".to_owned()
    };
    format!("{date}T{:02}:{:02}:00Z", minutes / 60, minutes % 60)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum TaskStatus {
    Open,
    Done,
}

/// What an access token allows, and until when.
#[derive(Debug)]
struct Grant {
    scopes: Vec<String>,
    expires: Instant,
}

impl Taskpad {
    fn seeded() -> Self {
        let project = |id: &str, name: &str| Project {
            id: id.to_owned(),
            name: name.to_owned(),
        };
        let task =
            |number: u32, project_id: &str, title: &str, status, due_on: Option<&str>| Task {
                id: format!("tsk_{number}"),
                project_id: project_id.to_owned(),
                title: title.to_owned(),
                status,
                due_on: due_on.map(str::to_owned),
                updated_at: change_time(number),
            };
        let tasks = vec![
            task(
                1,
                "prj_1",
                "Write the press release",
                TaskStatus::Open,
                Some("2025-06-20"),
            ),
            task(2, "prj_1", "Book the launch venue", TaskStatus::Done, None),
            task(3, "prj_1", "Brief the support team", TaskStatus::Open, None),
            task(
                4,
                "prj_1",
                "Record the demo video",
                TaskStatus::Open,
                Some("2025-06-27"),
            ),
            task(5, "prj_2", "Post the job ad", TaskStatus::Open, None),
        ];
        Taskpad {
            projects: vec![
                project("prj_1", "Launch"),
                project("prj_2", "Hiring"),
                project("prj_3", "Office move"),
            ],
            last_task_number: 5,
            changes: 5,
            tasks,
            tokens: HashMap::new(),
        }
    }
}

/// An error answer: `{"error": code, "message": …}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": self.code, "message": self.message }));
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = [(header::WWW_AUTHENTICATE, "Bearer realm=\"taskpad\"")];
            return (self.status, challenge, body).into_response();
        }
        (self.status, body).into_response()
    }
}

/// An OAuth error answer of the token endpoint (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = Json(json!({ "error": error, "error_description": description }));
    (status, body).into_response()
}

fn lock(state: &Shared) -> MutexGuard<'_, Taskpad> {
    // A handler that panicked left whole records behind: keep serving.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

/// The token endpoint: client credentials in the form body or in HTTP
/// Basic (form-encoded, RFC 6749 §2.3.1).
async fn issue_token(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only client_credentials is supported",
        );
    }
    let (client_id, client_secret) = match basic_credentials(&headers) {
        Some(pair) => pair,
        None => (
            form.client_id.unwrap_or_default(),
            form.client_secret.unwrap_or_default(),
        ),
    };
    if client_id != CLIENT_ID || client_secret != CLIENT_SECRET {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    let requested: Vec<String> = match form.scope.as_deref() {
        Some(scope) if !scope.trim().is_empty() => {
            scope.split_whitespace().map(str::to_owned).collect()
        }
        _ => SCOPES.iter().map(|s| (*s).to_owned()).collect(),
    };
    if let Some(unknown) = requested.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("unknown scope `{unknown}`"),
        );
    }
    let access_token = format!(
        "tpat_{}",
        std::iter::repeat_with(fastrand::alphanumeric)
            .take(32)
            .collect::<String>()
    );
    let scope = requested.join(" ");
    lock(&state).tokens.insert(
        access_token.clone(),
        Grant {
            scopes: requested,
            expires: Instant::now() + TOKEN_LIFETIME,
        },
    );
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "scope": scope,
    }))
    .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id), form_decode(secret)))
}

fn form_decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// What an API request needs besides its credential being valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// Checks the API version and the credential: an API key (read only) or a
/// bearer token with the scope the access needs.
fn authorize(state: &Shared, headers: &HeaderMap, access: Access) -> Result<(), ApiError> {
    let version = headers.get("taskpad-version").and_then(|v| v.to_str().ok());
    if version != Some(API_VERSION) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_version",
            format!("send the header `Taskpad-Version: {API_VERSION}`"),
        ));
    }
    if let Some(key) = headers.get("x-api-key") {
        if key.as_bytes() != API_KEY.as_bytes() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unknown API key",
            ));
        }
        if access == Access::Write {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "API keys are read-only: use an OAuth client to write",
            ));
        }
        return Ok(());
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send an X-Api-Key header or a bearer token",
            )
        })?;
    let taskpad = lock(state);
    let grant = taskpad
        .tokens
        .get(token)
        .filter(|grant| grant.expires > Instant::now())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the access token is unknown or expired",
            )
        })?;
    let needed = match access {
        Access::Read => "tasks:read",
        Access::Write => "tasks:write",
    };
    if !grant.scopes.iter().any(|scope| scope == needed) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("the token lacks the scope `{needed}`"),
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<usize>,
    cursor: Option<String>,
    status: Option<String>,
    /// Only tasks changed at or after this RFC 3339 time (UTC, `Z`).
    updated_since: Option<String>,
}

/// One page of `records`: `{"data": [...], "next_cursor": …}`, the cursor
/// `null` on the last page.
fn page<T: Serialize>(records: &[T], query: &ListQuery) -> Result<Json<Value>, ApiError> {
    let start = match &query.cursor {
        None => 0,
        Some(cursor) => cursor
            .strip_prefix("cur_")
            .and_then(|offset| offset.parse::<usize>().ok())
            .filter(|offset| *offset <= records.len())
            .ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_cursor", "unknown cursor")
            })?,
    };
    let size = query.limit.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let end = (start + size).min(records.len());
    let next_cursor = (end < records.len()).then(|| format!("cur_{end}"));
    Ok(Json(
        json!({ "data": &records[start..end], "next_cursor": next_cursor }),
    ))
}

async fn list_projects(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Access::Read)?;
    page(&lock(&state).projects, &query)
}

fn known_project(taskpad: &Taskpad, project_id: &str) -> Result<(), ApiError> {
    if taskpad.projects.iter().any(|p| p.id == project_id) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no project `{project_id}`"),
        ))
    }
}

/// Whether `text` is `YYYY-MM-DDTHH:MM:SSZ`, the form the server writes
/// and compares as text.
fn is_utc_timestamp(text: &str) -> bool {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:ddZ";
    text.len() == SHAPE.len()
        && text.bytes().zip(SHAPE).all(|(byte, &shape)| match shape {
            b'd' => byte.is_ascii_digit(),
            other => byte == other,
        })
}

async fn list_tasks(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(project_id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Access::Read)?;
    let wanted = match query.status.as_deref().unwrap_or("open") {
        "open" => Some(TaskStatus::Open),
        "done" => Some(TaskStatus::Done),
        "all" => None,
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_status",
                format!("status `{other}` is not one of open, done, all"),
            ));
        }
    };
    if let Some(since) = &query.updated_since
        && !is_utc_timestamp(since)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_updated_since",
            "updated_since must be an RFC 3339 time in UTC, like 2025-06-01T00:00:00Z",
        ));
    }
    let taskpad = lock(&state);
    known_project(&taskpad, &project_id)?;
    let tasks: Vec<&Task> = taskpad
        .tasks
        .iter()
        .filter(|t| t.project_id == project_id && wanted.is_none_or(|s| t.status == s))
        .filter(|t| {
            query
                .updated_since
                .as_deref()
                .is_none_or(|since| t.updated_at.as_str() >= since)
        })
        .collect();
    page(&tasks, &query)
}

async fn get_task(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(task_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, &headers, Access::Read)?;
    let taskpad = lock(&state);
    let task = taskpad
        .tasks
        .iter()
        .find(|t| t.id == task_id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no task `{task_id}`"),
            )
        })?;
    Ok(Json(json!({ "data": task })))
}

#[derive(Debug, Deserialize)]
struct CreateTask {
    data: NewTask,
    #[serde(default)]
    notify_assignee: bool,
}

#[derive(Debug, Deserialize)]
struct NewTask {
    title: String,
    due_on: Option<String>,
}

async fn create_task(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(project_id): Path<String>,
    Json(request): Json<CreateTask>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, &headers, Access::Write)?;
    if request.data.title.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_task",
            "a task needs a title",
        ));
    }
    let mut taskpad = lock(&state);
    known_project(&taskpad, &project_id)?;
    taskpad.last_task_number += 1;
    taskpad.changes += 1;
    let task = Task {
        id: format!("tsk_{}", taskpad.last_task_number),
        project_id,
        title: request.data.title,
        status: TaskStatus::Open,
        due_on: request.data.due_on,
        updated_at: change_time(taskpad.changes),
    };
    taskpad.tasks.push(task.clone());
    let answer = json!({ "data": task, "assignee_notified": request.notify_assignee });
    Ok((StatusCode::CREATED, Json(answer)))
}
