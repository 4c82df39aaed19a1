//! Concrete requests: a plan's request rendered with a context.

use std::fmt::Write;

use base64::Engine;
use indexmap::IndexMap;
use patchbay_compiler::plan::{
    BodyPlan, ComputedValue, EntryValue, PlanEntry, RequestPlan, RetryPolicy,
};
use patchbay_schema::{BasicEncoding, HttpMethod};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::multipart::{self, MultipartPart, Upload};
use crate::oauth1::{Signed, Signer};
use crate::render::{Context, Renderer, form_encode, lacks_optional};
use crate::secret::{REDACTED, Redactor, Secret};

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// What the request is, for messages ("token request of auth method
    /// `cc`").
    pub label: String,
    /// HTTP method.
    pub method: HttpMethod,
    /// Full URL, query included.
    pub url: url::Url,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<RequestBody>,
    /// The entries left out because the one value each is made of has none
    /// (an optional variable not given, `page.cursor` on a first page), as
    /// `header on-behalf-of`, `query cursor`, `body /filter/status`: dry
    /// runs show them.
    pub left_out: Vec<String>,
    /// Which failures it is sent again after: the plan's policy, else
    /// every retryable one.
    pub retry: RetryPolicy,
    /// An `oauth1` method's credentials: the request gets its
    /// `Authorization` header each time it is sent, signed over the
    /// request as it is then (a next page, a retry, a redirect), never
    /// when it goes to another origin.
    pub(crate) signer: Option<std::sync::Arc<Signer>>,
    /// Credentials made for this request alone (its signed assertions),
    /// which every text written about it masks like the instance's
    /// secrets.
    pub minted: Vec<Secret>,
}

/// A rendered body.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    /// Form-encoded text.
    Form(String),
    /// A JSON document.
    Json(Value),
    /// Raw text.
    Raw(String),
    /// `multipart/form-data` parts, written between `boundary` lines.
    Multipart {
        /// The boundary, also in the `Content-Type` header.
        boundary: String,
        /// The parts, in order.
        parts: Vec<MultipartPart>,
    },
    /// A file's bytes, as the caller passed them.
    File {
        /// The caller's filename, for display.
        filename: Option<String>,
        /// The bytes.
        bytes: bytes::Bytes,
    },
}

impl RequestBody {
    /// The bytes sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            RequestBody::Form(text) | RequestBody::Raw(text) => text.clone().into_bytes(),
            RequestBody::Json(value) => serde_json::to_vec(value).unwrap_or_default(),
            RequestBody::Multipart { boundary, parts } => multipart::encode(boundary, parts),
            RequestBody::File { bytes, .. } => bytes.to_vec(),
        }
    }
}

/// `RFC 6749 §2.3.1`: client id and secret are form-encoded before they
/// are joined and base64-encoded (unless a server wants them raw).
fn client_basic_auth(client_id: &str, client_secret: &str, encoding: BasicEncoding) -> String {
    let encode = |text: &str| match encoding {
        BasicEncoding::Form => {
            url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
        }
        BasicEncoding::Raw => text.to_owned(),
    };
    basic(&encode(client_id), &encode(client_secret))
}

/// `Basic base64(user:password)` (RFC 7617).
fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The credential of every Basic header the runtime may make of a user
/// and password (client or user, form-encoded or raw), for the redactor.
pub(crate) fn basic_credentials(user: &str, password: &str) -> Vec<String> {
    [
        basic(user, password),
        client_basic_auth(user, password, BasicEncoding::Form),
    ]
    .into_iter()
    .filter_map(|header| header.strip_prefix("Basic ").map(str::to_owned))
    .collect()
}

fn text_of(context: &Context, key: &str) -> String {
    match context.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn entry_value(
    entry: &PlanEntry,
    renderer: &Renderer,
    context: &Context,
    header: bool,
    what: &dyn Fn(&str) -> String,
    minted: &mut Vec<Secret>,
) -> Result<String> {
    let render_error = |message: String| Error::Render {
        what: what(&entry.name),
        message,
    };
    match &entry.value {
        EntryValue::Literal(text) => Ok(text.clone()),
        EntryValue::Template(template) if header => {
            renderer.header(template, context).map_err(render_error)
        }
        EntryValue::Template(template) => renderer.text(template, context).map_err(render_error),
        EntryValue::Computed(ComputedValue::ClientBasicAuth { encoding }) => Ok(client_basic_auth(
            &text_of(context, "client_id"),
            &text_of(context, "client_secret"),
            *encoding,
        )),
        EntryValue::Computed(ComputedValue::UserBasicAuth { username, password }) => {
            let side = |template: &str, side: &str| {
                renderer
                    .text(template, context)
                    .map_err(|message| Error::Render {
                        what: what(&format!("{} (Basic {side})", entry.name)),
                        message,
                    })
            };
            Ok(basic(
                &side(username, "user name")?,
                &side(password, "password")?,
            ))
        }
        // Signed when sent (`build_with_files` takes it out of the entries).
        EntryValue::Computed(ComputedValue::OAuth1Signature { .. }) => Err(render_error(
            "an OAuth 1.0a signature is only made for a request being sent".to_owned(),
        )),
        EntryValue::Computed(ComputedValue::JwtAssertion(assertion)) => {
            let signed =
                crate::jwt::sign(assertion, renderer, context).map_err(|(part, message)| {
                    Error::Render {
                        what: what(&format!("{} ({part} of the assertion)", entry.name)),
                        message,
                    }
                })?;
            let value = signed.expose().to_owned();
            minted.push(signed);
            Ok(value)
        }
    }
}

/// The credentials an `oauth1` entry signs with, from the instance's
/// values and its rendered realm.
fn signer(
    entry: &PlanEntry,
    renderer: &Renderer,
    context: &Context,
    what: &dyn Fn(&str) -> String,
) -> Result<Option<Signer>> {
    let EntryValue::Computed(ComputedValue::OAuth1Signature {
        signature_method,
        realm,
    }) = &entry.value
    else {
        return Ok(None);
    };
    let realm = realm
        .as_deref()
        .map(|template| {
            renderer
                .header(template, context)
                .map_err(|message| Error::Render {
                    what: what(&format!("{} (OAuth realm)", entry.name)),
                    message,
                })
        })
        .transpose()?;
    Ok(Some(Signer {
        method: *signature_method,
        consumer_key: text_of(context, "consumer_key"),
        consumer_secret: Secret::new(text_of(context, "consumer_secret")),
        token: Secret::new(text_of(context, "token")),
        token_secret: Secret::new(text_of(context, "token_secret")),
        realm,
    }))
}

/// Whether an entry is left out: its template is exactly an optional
/// runtime value the context lacks (`{{ page.cursor }}` on a first page).
fn lacks(entry: &PlanEntry, context: &Context) -> bool {
    matches!(&entry.value, EntryValue::Template(t) if lacks_optional(t, context))
}

/// Renders a plan's request.
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
pub fn build(
    label: &str,
    plan: &RequestPlan,
    renderer: &Renderer,
    context: &Context,
) -> Result<HttpRequest> {
    build_with_files(label, plan, renderer, context, &IndexMap::new())
}

/// Renders a plan's request, a multipart body's file parts from `files`.
pub(crate) fn build_with_files(
    label: &str,
    plan: &RequestPlan,
    renderer: &Renderer,
    context: &Context,
    files: &IndexMap<String, Upload>,
) -> Result<HttpRequest> {
    let what = |part: &str| format!("{label}: {part}");
    let mut left_out = Vec::new();
    let mut minted = Vec::new();
    let mut lacks = |place: &str, entry: &PlanEntry| {
        let lacking = lacks(entry, context);
        if lacking {
            left_out.push(format!("{place} {}", entry.name));
        }
        lacking
    };
    let mut url = renderer
        .url(&plan.url.value, context)
        .map_err(|message| Error::Render {
            what: what("URL"),
            message,
        })?;
    if !plan.query.is_empty() {
        let mut pairs = Vec::with_capacity(plan.query.len());
        for entry in plan.query.iter().filter(|e| !lacks("query", e)) {
            let value = entry_value(
                entry,
                renderer,
                context,
                false,
                &|n| what(&format!("query `{n}`")),
                &mut minted,
            )?;
            if !(entry.omit_if_empty && value.is_empty()) {
                pairs.push((entry.name.as_str(), value));
            }
        }
        if !pairs.is_empty() {
            let mut query = url.query_pairs_mut();
            for (name, value) in &pairs {
                query.append_pair(name, value);
            }
        }
    }
    let mut headers = Vec::with_capacity(plan.headers.len());
    let mut oauth1 = None;
    for entry in plan.headers.iter().filter(|e| !lacks("header", e)) {
        let header_what = |n: &str| what(&format!("header `{n}`"));
        if let Some(signer) = signer(entry, renderer, context, &header_what)? {
            oauth1 = Some(std::sync::Arc::new(signer));
            continue;
        }
        let value = entry_value(entry, renderer, context, true, &header_what, &mut minted)?;
        if !(entry.omit_if_empty && value.is_empty()) {
            headers.push((entry.name.clone(), value));
        }
    }
    let body = match &plan.body {
        None => None,
        Some(BodyPlan::Form { fields }) => {
            let mut pairs = Vec::with_capacity(fields.len());
            for entry in fields.iter().filter(|e| !lacks("form field", e)) {
                let value = entry_value(
                    entry,
                    renderer,
                    context,
                    false,
                    &|n| what(&format!("form field `{n}`")),
                    &mut minted,
                )?;
                if !(entry.omit_if_empty && value.is_empty()) {
                    pairs.push((entry.name.as_str(), value));
                }
            }
            Some(RequestBody::Form(form_encode(
                pairs.iter().map(|(n, v)| (*n, v.as_str())),
            )))
        }
        Some(BodyPlan::JsonFields { fields }) => {
            let mut object = serde_json::Map::new();
            for field in fields {
                if field
                    .value
                    .as_str()
                    .is_some_and(|t| lacks_optional(t, context))
                {
                    left_out.push(format!("body field /{}", field.name));
                    continue;
                }
                json_left_out(
                    &field.value,
                    context,
                    &format!("/{}", field.name),
                    &mut left_out,
                );
                let value =
                    renderer
                        .json(&field.value, context)
                        .map_err(|message| Error::Render {
                            what: what(&format!("body field `{}`", field.name)),
                            message,
                        })?;
                let empty = value.as_str().is_some_and(str::is_empty) || value.is_null();
                if !(field.omit_if_empty && empty) {
                    object.insert(field.name.clone(), value);
                }
            }
            Some(RequestBody::Json(Value::Object(object)))
        }
        Some(BodyPlan::Json { content, .. }) => {
            json_left_out(content, context, "", &mut left_out);
            Some(RequestBody::Json(renderer.json(content, context).map_err(
                |message| Error::Render {
                    what: what("body"),
                    message,
                },
            )?))
        }
        Some(BodyPlan::Raw { content, .. }) => {
            Some(RequestBody::Raw(renderer.text(content, context).map_err(
                |message| Error::Render {
                    what: what("body"),
                    message,
                },
            )?))
        }
        Some(BodyPlan::Multipart { parts }) => {
            let parts =
                multipart::parts(parts, renderer, context, files).map_err(|(part, message)| {
                    Error::Render {
                        what: what(&part),
                        message,
                    }
                })?;
            let boundary = multipart::boundary().ok_or_else(|| Error::Render {
                what: what("body"),
                message: "the system gave no randomness for a multipart boundary".to_owned(),
            })?;
            // The header must name this body's boundary, whoever wrote it.
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
            headers.push((
                "Content-Type".to_owned(),
                format!("multipart/form-data; boundary={boundary}"),
            ));
            Some(RequestBody::Multipart { boundary, parts })
        }
        Some(BodyPlan::File { name, content_type }) => {
            let upload = files.get(name).ok_or_else(|| Error::Render {
                what: what(&format!("file `{name}`")),
                message: "missing: pass the file under this name (`--file NAME=PATH`, or the call's `files`)".to_owned(),
            })?;
            let content_type = match content_type {
                Some(EntryValue::Template(template)) => Some(
                    renderer
                        .header(template, context)
                        .map_err(|message| Error::Render {
                            what: what("body content type"),
                            message,
                        })?,
                ),
                Some(EntryValue::Literal(text)) => Some(text.clone()),
                Some(EntryValue::Computed(_)) | None => upload.content_type.clone(),
            };
            if let Some(content_type) = content_type {
                if let Some(problem) = crate::render::header_problem(&content_type) {
                    return Err(Error::Render {
                        what: what(&format!("file `{name}`")),
                        message: format!("the content type {problem}"),
                    });
                }
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
                headers.push(("Content-Type".to_owned(), content_type));
            }
            Some(RequestBody::File {
                filename: upload.filename.clone(),
                bytes: upload.bytes.clone(),
            })
        }
    };
    Ok(HttpRequest {
        label: label.to_owned(),
        method: plan.method.value,
        url,
        headers,
        body,
        left_out,
        retry: plan
            .retry
            .as_ref()
            .map_or(RetryPolicy::AnyFailure, |retry| retry.value),
        signer: oauth1,
        minted,
    })
}

/// Records the JSON object members (by pointer) that rendering leaves out.
fn json_left_out(value: &Value, context: &Context, pointer: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, item) in members {
                let pointer = format!("{pointer}/{key}");
                if item.as_str().is_some_and(|t| lacks_optional(t, context)) {
                    out.push(format!("body field {pointer}"));
                } else {
                    json_left_out(item, context, &pointer, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                json_left_out(item, context, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn method_name(method: HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Head => "HEAD",
        HttpMethod::Options => "OPTIONS",
    }
}

impl HttpRequest {
    /// The method's name.
    pub fn method_name(&self) -> &'static str {
        method_name(self.method)
    }

    /// The `Authorization` header of an `oauth1` request as it is about to
    /// be sent, with a new nonce and timestamp: `None` for other requests,
    /// `Err` when the system gives no randomness for a nonce.
    pub(crate) fn oauth1_authorization(&self) -> Option<Result<String>> {
        let signer = self.signer.as_ref()?;
        let form = match &self.body {
            Some(RequestBody::Form(text) | RequestBody::Raw(text)) if self.has_form_body() => {
                Some(text.as_bytes())
            }
            _ => None,
        };
        let signed = Signed {
            method: self.method_name(),
            url: &self.url,
            form,
        };
        Some(signer.authorization(signed).ok_or_else(|| Error::Render {
            what: format!("{}: header `Authorization`", self.label),
            message: "the system gave no randomness for an OAuth nonce".to_owned(),
        }))
    }

    /// Whether the body is sent as `application/x-www-form-urlencoded`,
    /// the one kind an OAuth 1.0a signature covers (RFC 5849 §3.4.1.3.1).
    fn has_form_body(&self) -> bool {
        self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("content-type")
                && value
                    .split(';')
                    .next()
                    .is_some_and(|kind| kind.trim().eq_ignore_ascii_case(FORM_CONTENT_TYPE))
        })
    }

    /// The redactor extended with the credentials made for this request.
    pub(crate) fn redactor<'r>(&self, redactor: &'r Redactor) -> std::borrow::Cow<'r, Redactor> {
        if self.minted.is_empty() {
            return std::borrow::Cow::Borrowed(redactor);
        }
        let mut extended = redactor.clone();
        for secret in &self.minted {
            extended.add(secret);
        }
        std::borrow::Cow::Owned(extended)
    }

    /// The URL as logs and messages show it: secrets masked by position
    /// and by search.
    pub(crate) fn shown_url(&self, redactor: &Redactor) -> String {
        let redactor = self.redactor(redactor);
        redactor.redact(masked_url(&self.url, &redactor).as_str())
    }

    /// A curl command that sends this request, secrets masked: every
    /// header, query parameter and form or JSON field that holds a secret
    /// (of any length) is masked whole, the `Authorization` header's
    /// credential always, and any other text is searched.
    pub fn to_curl(&self, redactor: &Redactor) -> String {
        let redactor = &*self.redactor(redactor);
        let quote = |text: &str| format!("'{}'", text.replace('\'', r"'\''"));
        let mut command = format!(
            "curl -X {} {}",
            self.method_name(),
            quote(&self.shown_url(redactor))
        );
        let multipart = matches!(self.body, Some(RequestBody::Multipart { .. }));
        for (name, value) in &self.headers {
            // curl -F writes its own Content-Type with its own boundary.
            if multipart && name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            let value = if is_credential_header(name) {
                // The scheme stays readable; the credential never does.
                match value.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} {REDACTED}"),
                    None => REDACTED.to_owned(),
                }
            } else {
                redactor.mask_words(value)
            };
            let _ = write!(command, " \\\n  -H {}", quote(&format!("{name}: {value}")));
        }
        if self.signer.is_some() {
            // Signed when sent; the signature, like any credential, never
            // shows.
            let header = format!("Authorization: OAuth {REDACTED}");
            let _ = write!(command, " \\\n  -H {}", quote(&header));
        }
        if let Some(body) = &self.body {
            let text = match body {
                RequestBody::Form(text)
                    if url::form_urlencoded::parse(text.as_bytes())
                        .any(|(_, value)| redactor.holds_secret(&value)) =>
                {
                    masked_form(text, redactor)
                }
                RequestBody::Form(text) => text.clone(),
                RequestBody::Json(value) => masked_json(value, redactor).to_string(),
                RequestBody::Raw(text) => text.clone(),
                RequestBody::Multipart { parts, .. } => {
                    // curl writes the boundary; a file's bytes are never
                    // printed, only their size.
                    for part in parts {
                        let field = if part.is_file {
                            format!(
                                "{}=@{};type={} ({} bytes)",
                                multipart::escaped(&part.name),
                                multipart::escaped(part.filename.as_deref().unwrap_or("-")),
                                part.content_type.as_deref().unwrap_or(""),
                                part.data.len()
                            )
                        } else {
                            format!(
                                "{}={}",
                                multipart::escaped(&part.name),
                                redactor.mask_words(&String::from_utf8_lossy(&part.data))
                            )
                        };
                        let _ = write!(command, " \\\n  -F {}", quote(&redactor.redact(&field)));
                    }
                    return command;
                }
                RequestBody::File { filename, bytes } => {
                    let shown = format!(
                        "@{} ({} bytes)",
                        multipart::escaped(filename.as_deref().unwrap_or("-")),
                        bytes.len()
                    );
                    let _ = write!(
                        command,
                        " \\\n  --data-binary {}",
                        quote(&redactor.redact(&shown))
                    );
                    return command;
                }
            };
            let _ = write!(
                command,
                " \\\n  --data-raw {}",
                quote(&redactor.redact(&text))
            );
        }
        command
    }
}

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Headers whose value is a credential whatever it holds.
fn is_credential_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("proxy-authorization")
}

/// The URL with every path segment and query value that holds a secret
/// masked.
fn masked_url(url: &url::Url, redactor: &Redactor) -> url::Url {
    let mut masked = url.clone();
    let segments: Option<Vec<String>> = url.path_segments().map(|segments| {
        segments
            .map(|segment| {
                let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
                if redactor.holds_secret(&decoded) {
                    REDACTED.to_owned()
                } else {
                    segment.to_owned()
                }
            })
            .collect()
    });
    let path = segments.map(|segments| format!("/{}", segments.join("/")));
    if let Some(path) = path.filter(|path| path != url.path()) {
        masked.set_path(&path);
    }
    // Rewritten only when a value is masked, so the rest keeps its
    // encoding.
    if url
        .query_pairs()
        .any(|(_, value)| redactor.holds_secret(&value))
    {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| (name.into_owned(), mask_value(&value, redactor)))
            .collect();
        masked.query_pairs_mut().clear().extend_pairs(pairs);
    }
    masked
}

fn mask_value(value: &str, redactor: &Redactor) -> String {
    if redactor.holds_secret(value) {
        REDACTED.to_owned()
    } else {
        value.to_owned()
    }
}

/// A form body with every value that holds a secret masked.
fn masked_form(text: &str, redactor: &Redactor) -> String {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes())
        .map(|(name, value)| (name.into_owned(), mask_value(&value, redactor)))
        .collect();
    form_encode(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// A JSON body with every string that holds a secret masked.
fn masked_json(value: &Value, redactor: &Redactor) -> Value {
    match value {
        Value::String(text) => Value::String(mask_value(text, redactor)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| masked_json(v, redactor)).collect())
        }
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), masked_json(v, redactor)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6749_client_basic_auth_form_encodes() {
        // RFC 6749 §2.3.1 via RFC 6749 Appendix B: a space becomes `+`,
        // reserved characters are percent-encoded.
        assert_eq!(
            client_basic_auth("s6BhdRkqt3", "gX1fBat3bV", BasicEncoding::Form),
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
        let encoded = client_basic_auth("id:1", "a+b %", BasicEncoding::Form);
        assert_eq!(encoded, basic("id%3A1", "a%2Bb+%25"));
        assert_eq!(
            client_basic_auth("id:1", "a+b %", BasicEncoding::Raw),
            basic("id:1", "a+b %")
        );
    }
}
