//! The checks every request passes before a handler sees it, and the
//! headers every response carries.
//!
//! - `Host` must be one a DNS-rebinding page cannot send: an IP literal or
//!   `localhost` with the listening port, or the public URL's host.
//!   Anything else is answered 421 (Misdirected Request).
//! - With an access token, a request must carry the token's cookie (the
//!   printed URL's `?access_token=` sets it), else 401.
//! - A POST must come from the workbench's own origin (`Origin`, else
//!   `Sec-Fetch-Site`), else 403, and its form must carry the CSRF token,
//!   else 403. Every form the workbench serves is a POST of
//!   `application/x-www-form-urlencoded`; the body is read here (at most
//!   [`MAX_FORM_BYTES`]) and handed on unchanged.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::App;

/// The largest form body read (a JSON payload for a `send` endpoint
/// included).
pub(crate) const MAX_FORM_BYTES: usize = 1 << 20;

/// The name of the form field that holds the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";

/// The cookie that holds the access token.
const ACCESS_COOKIE: &str = "patchbay_workbench_access";

/// No script from anywhere, styles from the workbench only, nothing
/// framed, no `<base>`. (`form-action` is left out: the Connect form
/// redirects to the provider, and Chromium applies `form-action` to the
/// redirect's target.)
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Runs the checks, then the handler, and adds the security headers to
/// whatever answers.
pub(crate) async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = check_then_run(&app, request, next).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // No referrer to other sites (a callback URL holds a code); to
        // the workbench itself, so that Chromium sends the real `Origin`
        // with its forms (`no-referrer` makes it `null`).
        (header::REFERRER_POLICY, "same-origin"),
        // Pages show tokens' state and responses: never kept by a cache.
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn check_then_run(app: &App, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !accepted_host(app, host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "This workbench answers only at its own address (the Host header names another). Open the URL `patchbay serve` printed.",
        );
    }
    if let Some(token) = &app.access_token {
        if request.method() == Method::GET
            && let Some(given) = query_value(request.uri().query(), "access_token")
        {
            if !same(&given, token) {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "Wrong access token: open the URL `patchbay serve` printed.",
                );
            }
            let mut response = Redirect::to(request.uri().path()).into_response();
            let cookie = format!("{ACCESS_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            return response;
        }
        let presented = cookie_value(headers, ACCESS_COOKIE);
        if !presented.is_some_and(|given| same(&given, token)) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "This workbench needs its access token: open the URL `patchbay serve` printed (it ends in ?access_token=…).",
            );
        }
    }
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    if request.method() != Method::POST {
        return refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "Only GET and POST are served.",
        );
    }
    if !same_origin(app, headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Refused: this form was sent from another site. Use the workbench's own pages.",
        );
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is larger than 1 MiB; send a smaller payload.",
        );
    };
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == CSRF_FIELD)
        .map(|(_, value)| value.into_owned());
    if !token.is_some_and(|given| same(&given, &app.csrf)) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Refused: the form's CSRF token is missing or out of date (the workbench was restarted?). Reload the page and send it again.",
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether `host` (a `Host` header) is one the workbench answers at: the
/// public URL's, or a local one.
fn accepted_host(app: &App, host: &str) -> bool {
    public_host(app).is_some_and(|public| host.eq_ignore_ascii_case(&public))
        || local_host(app, host)
}

/// The public URL's host and port, as a `Host` header names them.
fn public_host(app: &App) -> Option<String> {
    let public = app.config.public_url.as_ref()?;
    let host = public.host_str()?;
    Some(match public.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Whether `host` is an IP literal or `localhost` with the listening
/// port: names a DNS-rebinding page cannot make a browser send (it can
/// only send a DNS name it controls).
fn local_host(app: &App, host: &str) -> bool {
    let Some((name, port)) = host.rsplit_once(':') else {
        return false;
    };
    if port.parse::<u16>().ok() != Some(app.port) {
        return false;
    }
    let name = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok()
}

/// Whether a POST comes from the workbench's own pages: its `Origin` is
/// the public URL's origin or `http://` and a local host; without
/// `Origin`, `Sec-Fetch-Site` must not say another site. A client that
/// sends neither is not a browser a page could drive; the CSRF token
/// still binds it.
fn same_origin(app: &App, headers: &HeaderMap) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        return origin == app.origin
            || origin
                .strip_prefix("http://")
                .is_some_and(|host| local_host(app, host));
    }
    match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
        Some(site) => site == b"same-origin" || site == b"none",
        None => true,
    }
}

/// A value of the query string.
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A cookie's value.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Compares two tokens in time that does not depend on where they differ.
fn same(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A refusal: a short plain-text page (it may be answered before the
/// page templates are reached).
fn refuse(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}
