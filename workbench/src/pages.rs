//! The pages and forms: connectors, a connector, adding an instance, an
//! instance (connect, test, log out, export), calling an endpoint, the
//! login callback and the rule pages.

// A handler's error is the page it answers, made once per request.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::extract::{Form, Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use indexmap::IndexMap;
use patchbay_compiler::plan::{MethodPlan, PaginationPlan};
use patchbay_runtime::{Call, Connection, Connector, Instance, PendingLogin, Redactor};
use patchbay_schema::Direction;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::forms;
use crate::specs::{self, Outcome};
use crate::store::{Saved, valid_name};
use crate::{App, security};

/// A login started at the Connect button, until its callback.
pub(crate) struct Pending {
    instance: String,
    login: PendingLogin,
    started: Instant,
}

/// A message for an instance's page, shown once.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Flash {
    ok: bool,
    text: String,
}

/// The most pages one call follows when asked to.
const MAX_PAGES: usize = 20;

/// The most bytes of a response body a page shows.
const MAX_SHOWN_BYTES: usize = 256 * 1024;

type Shared = State<Arc<App>>;

/// Every route, behind the security checks.
pub(crate) fn routes(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/static/style.css", get(stylesheet))
        .route("/favicon.ico", get(StatusCode::NO_CONTENT))
        .route("/rules/{code}", get(rule_page))
        .route("/connectors/{id}", get(connector_page))
        .route(
            "/connectors/{id}/new",
            get(new_instance_page).post(add_instance),
        )
        .route("/instances/{name}", get(instance_page))
        .route("/instances/{name}/connect", post(connect))
        .route("/instances/{name}/test", post(test_connection))
        .route("/instances/{name}/logout", post(logout))
        .route("/instances/{name}/delete", post(delete))
        .route("/instances/{name}/export", get(export))
        .route(
            "/instances/{name}/endpoints/{endpoint}",
            get(endpoint_page).post(call_endpoint),
        )
        .route("/callback", get(callback))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            security::guard,
        ))
        .with_state(app)
}

/// A page, or the message page for a template error.
fn page(app: &App, status: StatusCode, name: &str, title: &str, context: Value) -> Response {
    match app.templates.page(name, title, context) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => message(app, StatusCode::INTERNAL_SERVER_ERROR, "Page error", &error),
    }
}

/// A page that only says something (an error, mostly), with a way back.
fn message(app: &App, status: StatusCode, title: &str, text: &str) -> Response {
    let context = json!({ "title": title, "text": text });
    match app.templates.page("message.html", title, context) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => (status, error).into_response(),
    }
}

fn not_found_message(app: &App, what: &str) -> Response {
    message(app, StatusCode::NOT_FOUND, "Not found", what)
}

async fn not_found(State(app): Shared) -> Response {
    not_found_message(&app, "There is no such page in this workbench.")
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        crate::templates::STYLESHEET,
    )
        .into_response()
}

/// The connectors page: every spec with its lint status, and the
/// instances added.
async fn index(State(app): Shared) -> Response {
    let (specs, scan_error) = match specs::scan(&app) {
        Ok(specs) => (specs, None),
        Err(error) => (Vec::new(), Some(error)),
    };
    let specs: Vec<Value> = specs
        .iter()
        .map(|spec| {
            let path = spec.path.display().to_string();
            match &spec.outcome {
                Outcome::Compiled {
                    connector,
                    warnings,
                } => {
                    let plan = connector.plan();
                    json!({
                        "path": path, "status": if warnings.is_empty() { "ok" } else { "warnings" },
                        "id": plan.connector.id, "name": plan.connector.name,
                        "version": plan.connector.version,
                        "methods": plan.methods.iter().map(|(k, m)| json!({"key": k, "label": m.label})).collect::<Vec<_>>(),
                        "diagnostics": warnings,
                    })
                }
                Outcome::Errors(diagnostics) => json!({
                    "path": path, "status": "errors", "diagnostics": diagnostics,
                }),
                Outcome::Unreadable(reason) => json!({
                    "path": path, "status": "unreadable", "reason": reason,
                }),
            }
        })
        .collect();
    let instances: Vec<Value> = app
        .instances
        .list()
        .into_iter()
        .map(
            |(name, saved)| json!({"name": name, "connector": saved.connector, "auth": saved.auth}),
        )
        .collect();
    page(
        &app,
        StatusCode::OK,
        "index.html",
        "Connectors",
        json!({ "specs": specs, "instances": instances, "scan_error": scan_error }),
    )
}

/// A rule's documentation page, as `patchbay explain` prints it.
async fn rule_page(State(app): Shared, Path(code): Path<String>) -> Response {
    match patchbay_schema::rule(&code) {
        Some(rule) => page(
            &app,
            StatusCode::OK,
            "rule.html",
            rule.code,
            json!({ "code": rule.code, "name": rule.name, "severity": rule.severity.as_str(), "doc": rule.doc }),
        ),
        None => not_found_message(&app, "There is no lint rule of this code."),
    }
}

/// The connector of this id, or the page that says there is none.
fn connector_or_404(
    app: &App,
    id: &str,
) -> Result<(std::path::PathBuf, Connector, Vec<specs::DiagnosticView>), Response> {
    specs::find(app, id).ok_or_else(|| {
        not_found_message(
            app,
            "No spec that compiles has this connector id (see the connectors page for specs with errors).",
        )
    })
}

/// A connector: its methods, endpoints and plan.
async fn connector_page(State(app): Shared, Path(id): Path<String>) -> Response {
    let (path, connector, warnings) = match connector_or_404(&app, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let plan = connector.plan();
    let methods: Vec<Value> = plan
        .methods
        .iter()
        .map(|(key, method)| {
            json!({
                "key": key, "label": method.label, "type": method.auth_type,
                "inputs": method.inputs.iter().filter(|i| forms::asked(i)).map(|i| json!({
                    "key": i.key, "label": i.label, "type": i.kind.as_str(), "required": i.required,
                    "secret": i.secret, "advanced": i.advanced,
                })).collect::<Vec<_>>(),
                "plan": serde_json::to_string_pretty(method).unwrap_or_default(),
            })
        })
        .collect();
    let endpoints: Vec<Value> = plan
        .methods
        .values()
        .next()
        .map(|method| {
            method
                .endpoints
                .iter()
                .map(|(key, e)| {
                    json!({
                        "key": key, "label": e.label, "description": e.description,
                        "direction": direction(e.direction.value),
                        "method": format!("{:?}", e.request.method.value).to_uppercase(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let instances: Vec<Value> = app
        .instances
        .list()
        .into_iter()
        .filter(|(_, saved)| saved.connector == id)
        .map(|(name, saved)| json!({"name": name, "auth": saved.auth}))
        .collect();
    page(
        &app,
        StatusCode::OK,
        "connector.html",
        &plan.connector.name,
        json!({
            "id": id, "name": plan.connector.name, "version": plan.connector.version,
            "description": plan.connector.description,
            // Only a web page is linked (never a `javascript:` URL).
            "docs_url": plan.connector.docs_url.as_ref().filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            "test": plan.connector.test, "path": path.display().to_string(),
            "methods": methods, "endpoints": endpoints, "warnings": warnings, "instances": instances,
        }),
    )
}

fn direction(direction: Direction) -> &'static str {
    match direction {
        Direction::Receive => "receive",
        Direction::Send => "send",
    }
}

#[derive(Deserialize)]
struct MethodQuery {
    method: Option<String>,
}

/// Add an instance: pick a method, then fill in its form.
async fn new_instance_page(
    State(app): Shared,
    Path(id): Path<String>,
    Query(query): Query<MethodQuery>,
) -> Response {
    let (_, connector, _) = match connector_or_404(&app, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    instance_form(
        &app,
        StatusCode::OK,
        &id,
        &connector,
        query.method.as_deref(),
        "",
        &IndexMap::new(),
        &HashMap::new(),
        None,
    )
}

#[allow(clippy::too_many_arguments)] // one form, drawn fresh and again with its errors
fn instance_form(
    app: &App,
    status: StatusCode,
    id: &str,
    connector: &Connector,
    method: Option<&str>,
    name: &str,
    given: &IndexMap<String, String>,
    errors: &HashMap<String, String>,
    general: Option<&str>,
) -> Response {
    let plan = connector.plan();
    let methods: Vec<Value> = plan
        .methods
        .iter()
        .map(|(k, m)| json!({"key": k, "label": m.label, "type": m.auth_type}))
        .collect();
    let chosen = method.and_then(|m| plan.methods.get_key_value(m));
    let fields = match chosen {
        Some((_, method)) => {
            match app
                .templates
                .part("fields.html", forms::fields(&method.inputs, given, errors))
            {
                Ok(fields) => fields,
                Err(error) => {
                    return message(app, StatusCode::INTERNAL_SERVER_ERROR, "Page error", &error);
                }
            }
        }
        None => minijinja::Value::UNDEFINED,
    };
    let context = minijinja::context! {
        id, name => plan.connector.name.as_str(), methods => to_value(&methods),
        method => chosen.map(|(k, _)| k.as_str()),
        method_label => chosen.map(|(_, m)| m.label.as_str()),
        instance_name => name, name_error => errors.get("name"),
        general, fields, csrf => app.csrf.as_str(),
    };
    match app.templates.page(
        "new_instance.html",
        &format!("Add an instance of {}", plan.connector.name),
        context,
    ) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => message(app, StatusCode::INTERNAL_SERVER_ERROR, "Page error", &error),
    }
}

/// A serializable value for a template context.
fn to_value(value: &impl Serialize) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// The value of a form field.
fn field<'f>(form: &'f [(String, String)], name: &str) -> Option<&'f str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Saves a new instance, or shows the form again with each field's error.
async fn add_instance(
    State(app): Shared,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (_, connector, _) = match connector_or_404(&app, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let plan = connector.plan();
    let method_key = field(&form, "method").unwrap_or_default();
    let Some(method) = plan.methods.get(method_key) else {
        return instance_form(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            &id,
            &connector,
            None,
            "",
            &IndexMap::new(),
            &HashMap::new(),
            Some("Pick an auth method."),
        );
    };
    let name = field(&form, "name").unwrap_or_default().trim().to_owned();
    let posted = forms::posted(&form);
    let (values, mut errors) = forms::values(&method.inputs, &method.instance_inputs(), &posted);
    if !valid_name(&name) {
        errors.insert(
            "name".into(),
            "1 to 64 lower-case letters, digits, `-` and `_` (it names the instance's file)".into(),
        );
    } else if matches!(app.instances.load(&name), Ok(Some(_))) {
        errors.insert(
            "name".into(),
            "an instance of this name exists; choose another, or delete that one first".into(),
        );
    }
    let mut general = None;
    if errors.is_empty() {
        // The runtime's binding, as for an instance file: what the field
        // checks cannot see (a value that only fits with another).
        match Instance::from_values(plan, method_key, method, values.clone()) {
            Ok(_) => {}
            Err(patchbay_runtime::Error::Instance { key, message }) => {
                errors.insert(key, message);
            }
            Err(error) => general = Some(error.to_string()),
        }
    }
    if errors.is_empty() && general.is_none() {
        let saved = Saved {
            connector: id.clone(),
            auth: method_key.to_owned(),
            values,
        };
        return match app.instances.save(&name, &saved) {
            Ok(()) => {
                set_flash(&app, &name, true, "Instance added.".into());
                Redirect::to(&format!("/instances/{name}")).into_response()
            }
            Err(error) => message(
                &app,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Cannot save",
                &error,
            ),
        };
    }
    // Secrets are never sent back: the form asks for them again.
    let given: IndexMap<String, String> = posted
        .into_iter()
        .filter(|(key, _)| !method.inputs.iter().any(|i| &i.key == key && i.secret))
        .collect();
    instance_form(
        &app,
        StatusCode::UNPROCESSABLE_ENTITY,
        &id,
        &connector,
        Some(method_key),
        &name,
        &given,
        &errors,
        general.as_deref(),
    )
}

/// An instance connected through the runtime's public API, with the
/// token store for a method that logs in.
struct Live {
    saved: Saved,
    connector: Connector,
    connection: Connection,
}

fn live(app: &App, name: &str) -> Result<Live, Response> {
    let saved = match app.instances.load(name) {
        Ok(Some(saved)) => saved,
        Ok(None) => return Err(not_found_message(app, "There is no instance of this name.")),
        Err(error) => {
            return Err(message(
                app,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Cannot read the instance",
                &error,
            ));
        }
    };
    let Some((_, connector, _)) = specs::find(app, &saved.connector) else {
        return Err(message(
            app,
            StatusCode::CONFLICT,
            "Connector unavailable",
            &format!(
                "The instance `{name}` is of connector `{}`, and no spec that compiles has that id now (see the connectors page).",
                saved.connector
            ),
        ));
    };
    let bound = connector
        .plan()
        .methods
        .get(&saved.auth)
        .ok_or_else(|| {
            patchbay_runtime::Error::NotFound(format!(
                "the connector has no auth method `{}` any more",
                saved.auth
            ))
        })
        .and_then(|method| {
            Instance::from_values(connector.plan(), &saved.auth, method, saved.values.clone())
        })
        .and_then(|instance| Connection::new(&app.runtime, &connector, instance));
    let mut connection = match bound {
        Ok(connection) => connection,
        Err(error) => {
            return Err(message(
                app,
                StatusCode::CONFLICT,
                "The instance no longer fits its connector",
                &format!(
                    "{error}. Delete the instance and add it again with the spec as it is now."
                ),
            ));
        }
    };
    if connection.has_login() {
        let key = format!("workbench/{}/{}/{name}", saved.connector, saved.auth);
        connection = connection.with_store(app.tokens.clone(), key);
    }
    Ok(Live {
        saved,
        connector,
        connection,
    })
}

fn set_flash(app: &App, name: &str, ok: bool, text: String) {
    app.flash
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name.to_owned(), Flash { ok, text });
}

fn take_flash(app: &App, name: &str) -> Option<Flash> {
    app.flash
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(name)
}

/// An instance's page.
async fn instance_page(State(app): Shared, Path(name): Path<String>) -> Response {
    match live(&app, &name) {
        Ok(live) => instance_view(&app, &name, &live, None).await,
        Err(response) => response,
    }
}

async fn instance_view(app: &App, name: &str, live: &Live, result: Option<CallView>) -> Response {
    let plan = live.connector.plan();
    let Some(method) = plan.methods.get(&live.saved.auth) else {
        return not_found_message(app, "The instance's auth method is gone.");
    };
    let connection = &live.connection;
    let (status, connected) = status(connection).await;
    let redactor = connection.redactor();
    let values: Vec<Value> = method
        .inputs
        .iter()
        .filter(|i| forms::asked(i))
        .map(|input| {
            let given = live.saved.values.get(&input.key);
            let shown = match (given, input.secret) {
                (Some(_), true) => "set (hidden)".to_owned(),
                (Some(value), false) => redactor.redact(&value_text(value)),
                (None, _) => match &input.default {
                    Some(default) if !input.secret => {
                        format!("{} (default)", value_text(default))
                    }
                    _ => "not given".to_owned(),
                },
            };
            json!({ "label": input.label, "key": input.key, "value": shown })
        })
        .collect();
    let endpoints: Vec<Value> = method
        .endpoints
        .iter()
        .map(|(key, e)| json!({"key": key, "label": e.label, "direction": direction(e.direction.value)}))
        .collect();
    let result = match result
        .map(|r| app.templates.part("call.html", r))
        .transpose()
    {
        Ok(result) => result,
        Err(error) => return message(app, StatusCode::INTERNAL_SERVER_ERROR, "Page error", &error),
    };
    let context = minijinja::context! {
        name, connector => live.saved.connector.as_str(), connector_name => plan.connector.name.as_str(),
        method => live.saved.auth.as_str(), method_label => method.label.as_str(),
        method_type => method.auth_type.as_str(), values => to_value(&values),
        endpoints => to_value(&endpoints), status, connected, has_login => connection.has_login(),
        test => plan.connector.test.as_deref(), flash => to_value(&take_flash(app, name)), result,
        csrf => app.csrf.as_str(),
    };
    match app.templates.page("instance.html", name, context) {
        Ok(html) => Html(html).into_response(),
        Err(error) => message(app, StatusCode::INTERNAL_SERVER_ERROR, "Page error", &error),
    }
}

/// The connection status line, and whether tokens are stored.
async fn status(connection: &Connection) -> (String, bool) {
    if !connection.has_login() {
        let text = if connection.uses_tokens() {
            "Gets a token from the provider when a call needs one."
        } else {
            "Sends its credentials with each request: nothing to connect."
        };
        return (text.to_owned(), false);
    }
    match connection.stored_token().await {
        Ok(Some(token)) => {
            let info = token.info();
            let mut text = "Connected".to_owned();
            if let Some(seconds) = info.expires_in {
                text.push_str(&format!("; access token valid for {seconds} s"));
            }
            if info.refreshable {
                text.push_str(", renewed with its refresh token");
            }
            if let Some(scope) = info.scope {
                text.push_str(&format!("; scope: {scope}"));
            }
            (text + ".", true)
        }
        Ok(None) => ("Not connected: press Connect to log in.".to_owned(), false),
        Err(error) => (
            connection
                .redactor()
                .redact(&format!("Token store: {error}")),
            false,
        ),
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Starts a login: to the provider, and back to `/callback`.
async fn connect(State(app): Shared, Path(name): Path<String>) -> Response {
    let live = match live(&app, &name) {
        Ok(live) => live,
        Err(response) => return response,
    };
    if !live.connection.has_login() {
        set_flash(
            &app,
            &name,
            false,
            "This auth method does not log in.".into(),
        );
        return Redirect::to(&format!("/instances/{name}")).into_response();
    }
    let redirect_uri = format!("{}/callback", app.origin);
    match live.connection.start_login(&redirect_uri) {
        Ok((url, login)) => {
            let mut pending = app.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.retain(|_, p| p.started.elapsed() < patchbay_runtime::LOGIN_TIMEOUT);
            pending.insert(
                login.state.clone(),
                Pending {
                    instance: name,
                    login,
                    started: Instant::now(),
                },
            );
            Redirect::to(url.as_str()).into_response()
        }
        Err(error) => {
            let text = live.connection.redactor().redact(&error.to_string());
            set_flash(
                &app,
                &name,
                false,
                format!("Cannot start the login: {text}"),
            );
            Redirect::to(&format!("/instances/{name}")).into_response()
        }
    }
}

/// The provider's redirect back: the login completed (or its error
/// shown) on the instance's page.
async fn callback(State(app): Shared, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let pending = app
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&state);
    let Some(pending) = pending.filter(|p| p.started.elapsed() < patchbay_runtime::LOGIN_TIMEOUT)
    else {
        return message(
            &app,
            StatusCode::BAD_REQUEST,
            "Login not completed",
            "This callback's state matches no login started here (an old tab, a login that took longer than 10 minutes, a restarted workbench, or a link from elsewhere), so nothing was exchanged. Start the login again with Connect on the instance's page.",
        );
    };
    let name = pending.instance;
    let live = match live(&app, &name) {
        Ok(live) => live,
        Err(response) => return response,
    };
    let outcome = live.connection.complete_login(pending.login, &query).await;
    let (ok, text) = match outcome {
        Ok(_) => (
            true,
            "Connected: the provider's tokens are stored.".to_owned(),
        ),
        Err(error) => (false, login_failure(&live.connection.redactor(), &error)),
    };
    set_flash(&app, &name, ok, text);
    Redirect::to(&format!("/instances/{name}")).into_response()
}

/// A failed login, said for a person.
fn login_failure(redactor: &Redactor, error: &patchbay_runtime::Error) -> String {
    let detail = redactor.redact(&error.to_string());
    match error {
        patchbay_runtime::Error::OAuth { error: code, .. } if code == "access_denied" => format!(
            "Not connected: access was denied at the provider (the login or the consent was refused). Press Connect to try again. ({detail})"
        ),
        _ => format!("Not connected: {detail}"),
    }
}

/// Calls the connector's `test` endpoint.
async fn test_connection(State(app): Shared, Path(name): Path<String>) -> Response {
    let live = match live(&app, &name) {
        Ok(live) => live,
        Err(response) => return response,
    };
    let Some(test) = live.connector.plan().connector.test.clone() else {
        set_flash(
            &app,
            &name,
            false,
            "The connector names no `test` endpoint.".into(),
        );
        return Redirect::to(&format!("/instances/{name}")).into_response();
    };
    let mut result = run_call(&live.connection, &test, Call::default(), false, true).await;
    result.title = format!("Test connection ({test})");
    instance_view(&app, &name, &live, Some(result)).await
}

async fn logout(State(app): Shared, Path(name): Path<String>) -> Response {
    let live = match live(&app, &name) {
        Ok(live) => live,
        Err(response) => return response,
    };
    let (ok, text) = match live.connection.logout().await {
        Ok(patchbay_runtime::Logout::Revoked) => (
            true,
            "Logged out: the token was revoked at the provider and forgotten.".to_owned(),
        ),
        Ok(patchbay_runtime::Logout::NoRevokeUrl) => (
            true,
            "Logged out: the tokens were forgotten (the method has no revoke URL).".to_owned(),
        ),
        Ok(_) => (true, "There were no tokens to forget.".to_owned()),
        Err(error) => (
            false,
            live.connection
                .redactor()
                .redact(&format!("Log out failed: {error}")),
        ),
    };
    set_flash(&app, &name, ok, text);
    Redirect::to(&format!("/instances/{name}")).into_response()
}

/// Forgets an instance, its login revoked first (when it has one and the
/// provider can be reached; the instance goes either way).
async fn delete(State(app): Shared, Path(name): Path<String>) -> Response {
    if let Ok(live) = live(&app, &name)
        && live.connection.has_login()
    {
        let _ = live.connection.logout().await;
    }
    match app.instances.delete(&name) {
        Ok(()) => Redirect::to("/").into_response(),
        Err(error) => message(
            &app,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot delete",
            &error,
        ),
    }
}

/// The instance as an instance file, its secrets read from environment
/// variables (never written).
async fn export(State(app): Shared, Path(name): Path<String>) -> Response {
    let live = match live(&app, &name) {
        Ok(live) => live,
        Err(response) => return response,
    };
    let Some(method) = live.connector.plan().methods.get(&live.saved.auth) else {
        return not_found_message(&app, "The instance's auth method is gone.");
    };
    let text = instance_file(&name, &live.saved, method);
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.instance.toml\""),
            ),
        ],
        text,
    )
        .into_response()
}

/// An instance file (TOML) of a saved instance: values as given, secrets
/// as `{ env = "NAME_KEY" }`.
fn instance_file(name: &str, saved: &Saved, method: &MethodPlan) -> String {
    // A JSON string, number or boolean is also a TOML one.
    let quote = |text: &str| Value::String(text.to_owned()).to_string();
    let mut text = format!(
        "# The workbench instance `{name}`. Secrets are read from the environment:\n# set the variables named below before using it.\nconnector = {}\nauth = {}\n\n[values]\n",
        quote(&saved.connector),
        quote(&saved.auth)
    );
    for (key, value) in &saved.values {
        let secret = method.inputs.iter().any(|i| &i.key == key && i.secret);
        let written = if secret {
            let variable: String = format!("{name}_{key}")
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{{ env = {} }}", quote(&variable))
        } else {
            value.to_string()
        };
        text.push_str(&format!("{} = {written}\n", quote(key)));
    }
    text
}

#[derive(Deserialize)]
struct NoQuery {}

/// An endpoint's call form.
async fn endpoint_page(
    State(app): Shared,
    Path((name, endpoint)): Path<(String, String)>,
    Query(_): Query<NoQuery>,
) -> Response {
    let live = match live(&app, &name) {
        Ok(live) => live,
        Err(response) => return response,
    };
    endpoint_view(
        &app,
        StatusCode::OK,
        &name,
        &live,
        &endpoint,
        &IndexMap::new(),
        &HashMap::new(),
        None,
    )
}

#[allow(clippy::too_many_arguments)] // one form, drawn fresh, with its errors, and with a result
fn endpoint_view(
    app: &App,
    status: StatusCode,
    name: &str,
    live: &Live,
    endpoint: &str,
    given: &IndexMap<String, String>,
    errors: &HashMap<String, String>,
    result: Option<CallView>,
) -> Response {
    let plan = live.connector.plan();
    let Some(plan_endpoint) = plan
        .methods
        .get(&live.saved.auth)
        .and_then(|m| m.endpoints.get(endpoint))
    else {
        return not_found_message(app, "The connector has no endpoint of this name.");
    };
    let fields = app.templates.part(
        "fields.html",
        forms::fields(&plan_endpoint.variables, given, errors),
    );
    let result = result
        .map(|r| app.templates.part("call.html", r))
        .transpose();
    let (fields, result) = match (fields, result) {
        (Ok(fields), Ok(result)) => (fields, result),
        (Err(error), _) | (_, Err(error)) => {
            return message(app, StatusCode::INTERNAL_SERVER_ERROR, "Page error", &error);
        }
    };
    let send = plan_endpoint.direction.value == Direction::Send;
    let context = minijinja::context! {
        name, endpoint, label => plan_endpoint.label.as_str(),
        description => plan_endpoint.description.as_deref(), send, fields, result,
        csrf => app.csrf.as_str(),
        payload => given.get("payload"), payload_error => errors.get("payload"),
        paginated => !matches!(plan_endpoint.pagination, PaginationPlan::None),
        follow => given.contains_key("all_pages"),
        request_method => format!("{:?}", plan_endpoint.request.method.value).to_uppercase(),
    };
    match app
        .templates
        .page("endpoint.html", &format!("{endpoint} · {name}"), context)
    {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => message(app, StatusCode::INTERNAL_SERVER_ERROR, "Page error", &error),
    }
}

/// Calls an endpoint with the form's variables (and payload).
async fn call_endpoint(
    State(app): Shared,
    Path((name, endpoint)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let live = match live(&app, &name) {
        Ok(live) => live,
        Err(response) => return response,
    };
    let Some(plan_endpoint) = live
        .connector
        .plan()
        .methods
        .get(&live.saved.auth)
        .and_then(|m| m.endpoints.get(&endpoint))
    else {
        return not_found_message(&app, "The connector has no endpoint of this name.");
    };
    let posted = forms::posted(&form);
    let (variables, mut errors) = forms::values(&plan_endpoint.variables, &[], &posted);
    let mut given: IndexMap<String, String> = posted
        .into_iter()
        .filter(|(key, _)| {
            !plan_endpoint
                .variables
                .iter()
                .any(|i| &i.key == key && i.secret)
        })
        .collect();
    let payload = match field(&form, "payload").map(str::trim) {
        Some(text) if !text.is_empty() => {
            given.insert("payload".into(), text.to_owned());
            match serde_json::from_str::<Value>(text) {
                Ok(value) => Some(value),
                Err(error) => {
                    errors.insert(
                        "payload".into(),
                        format!(
                            "not JSON: line {}, column {}: {}",
                            error.line(),
                            error.column(),
                            classify_json_error(&error)
                        ),
                    );
                    None
                }
            }
        }
        _ => None,
    };
    if !errors.is_empty() {
        return endpoint_view(
            &app,
            StatusCode::UNPROCESSABLE_ENTITY,
            &name,
            &live,
            &endpoint,
            &given,
            &errors,
            None,
        );
    }
    let follow = field(&form, "all_pages").is_some();
    if follow {
        given.insert("all_pages".into(), "1".into());
    }
    let call = Call {
        variables,
        payload,
        ..Call::default()
    };
    let receive = plan_endpoint.direction.value == Direction::Receive;
    let mut result = run_call(&live.connection, &endpoint, call, follow, receive).await;
    result.title = format!("Call {endpoint}");
    endpoint_view(
        &app,
        StatusCode::OK,
        &name,
        &live,
        &endpoint,
        &given,
        &HashMap::new(),
        Some(result),
    )
}

/// What kind of JSON error, without serde's text (which may quote input).
fn classify_json_error(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Eof => "it ends early",
        serde_json::error::Category::Syntax => "a syntax error",
        _ => "not a JSON document",
    }
}

/// A call's outcome as a page shows it: every text redacted.
#[derive(Debug, Default, Serialize)]
struct CallView {
    title: String,
    /// The requests, as curl commands with secrets masked.
    requests: Vec<String>,
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: Option<String>,
    truncated: bool,
    records: Option<usize>,
    pages: Option<usize>,
    more_pages: bool,
    millis: u128,
    error: Option<String>,
}

/// Runs a call: first the requests it makes (dry run), then the call
/// itself, through pages (records counted) when the endpoint receives.
async fn run_call(
    connection: &Connection,
    endpoint: &str,
    call: Call,
    follow: bool,
    receive: bool,
) -> CallView {
    let mut view = CallView::default();
    match connection.dry_run(endpoint, &call) {
        Ok(requests) => {
            let redactor = connection.redactor();
            view.requests = requests
                .iter()
                .map(|r| format!("# {}\n{}", r.label, r.to_curl(&redactor)))
                .collect();
        }
        Err(error) => {
            view.error = Some(connection.redactor().redact(&error.to_string()));
            return view;
        }
    }
    let started = Instant::now();
    let mut last = None;
    let mut error = None;
    let mut records: Option<Vec<Value>> = None;
    if receive {
        match connection.pages(endpoint, call) {
            Ok(mut pages) => {
                let mut count = 0;
                let limit = if follow { MAX_PAGES } else { 1 };
                while count < limit {
                    match pages.next().await {
                        Some(Ok(page)) => {
                            count += 1;
                            records.get_or_insert_default().extend(page.records);
                            last = Some(page.response);
                        }
                        Some(Err(e)) => {
                            error = Some(e);
                            break;
                        }
                        None => break,
                    }
                }
                view.pages = Some(count);
                view.more_pages = count == limit && follow;
            }
            Err(e) => error = Some(e),
        }
    } else {
        match connection.call(endpoint, &call).await {
            Ok(response) => last = Some(response),
            Err(e) => error = Some(e),
        }
    }
    view.millis = started.elapsed().as_millis();
    // After the call: the redactor knows the tokens it got.
    let redactor = connection.redactor();
    if let Some(error) = error {
        view.error = Some(redactor.redact(&error.to_string()));
    }
    if let Some(response) = last {
        view.status = Some(response.status);
        view.headers = response
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    redactor.redact(&String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect();
        let shown = match (&records, follow) {
            // Several pages: their records, the pages' bodies differ.
            (Some(records), true) => serde_json::to_string_pretty(records).unwrap_or_default(),
            _ => match response.json() {
                Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
                Err(_) => String::from_utf8_lossy(&response.body).into_owned(),
            },
        };
        let (shown, truncated) = cut(shown);
        view.body = Some(redactor.redact(&shown));
        view.truncated = truncated;
        view.records = records.as_ref().map(Vec::len);
    }
    view
}

/// A text cut at [`MAX_SHOWN_BYTES`] (on a character boundary).
fn cut(mut text: String) -> (String, bool) {
    if text.len() <= MAX_SHOWN_BYTES {
        return (text, false);
    }
    let mut end = MAX_SHOWN_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    (text, true)
}
